"""Bitmasks over a cluster's pods: what the fast paths of the matrix and the evaluator share."""

from __future__ import annotations

from collections.abc import Sequence

from labtui.netpol.model import LabelSelector, Peer, Pod, Policy, PortProtocol, Rule, World


class PodIndex:
    """Bitmasks over ``pods``: bit i stands for ``pods[i]``.

    Which pods a selector, a policy, a peer or a rule's ports select, each
    worked out once over all the pods, so that a question about one pair of
    pods is a couple of bit tests.
    """

    def __init__(self, cluster: World, pods: Sequence[Pod]) -> None:
        self.cluster = cluster
        self.pods = pods
        self.all = (1 << len(pods)) - 1
        self.by_namespace: dict[str, int] = {}
        for i, pod in enumerate(pods):
            self.by_namespace[pod.namespace] = self.by_namespace.get(pod.namespace, 0) | (1 << i)
        self._pod_sel: dict[LabelSelector, int] = {}
        self._ns_sel: dict[LabelSelector, int] = {}

    def pod_selector(self, selector: LabelSelector) -> int:
        mask = self._pod_sel.get(selector)
        if mask is None:
            mask = 0
            for i, pod in enumerate(self.pods):
                if selector.matches(pod.labels):
                    mask |= 1 << i
            self._pod_sel[selector] = mask
        return mask

    def namespace_selector(self, selector: LabelSelector) -> int:
        mask = self._ns_sel.get(selector)
        if mask is None:
            mask = 0
            for name, pods in self.by_namespace.items():
                if selector.matches(self.cluster.namespace_labels(name)):
                    mask |= pods
            self._ns_sel[selector] = mask
        return mask

    def selected(self, policy: Policy) -> int:
        return self.by_namespace.get(policy.namespace, 0) & self.pod_selector(policy.pod_selector)

    def peer(self, policy: Policy, peer: Peer) -> int:
        if peer.ip_block is not None:
            return 0
        if peer.namespace_selector is None:
            scope = self.by_namespace.get(policy.namespace, 0)
        else:
            scope = self.namespace_selector(peer.namespace_selector)
        return scope if peer.pod_selector is None else scope & self.pod_selector(peer.pod_selector)

    def terms(self, policy: Policy, peer: Peer) -> tuple[int, int, int]:
        """A peer's terms over the pods: where its namespace term holds, where its podSelector
        holds, and how many terms it has (a pod matches where all of them hold)."""
        if peer.ip_block is not None:
            return 0, 0, 1
        if peer.namespace_selector is None:
            scope = self.by_namespace.get(policy.namespace, 0)
        else:
            scope = self.namespace_selector(peer.namespace_selector)
        if peer.pod_selector is None:
            return scope, 0, 1
        return scope, self.pod_selector(peer.pod_selector), 2

    def peers(self, policy: Policy, rule: Rule) -> int:
        if rule.all_peers:
            return self.all
        mask = 0
        for peer in rule.peers or ():
            mask |= self.peer(policy, peer)
        return mask

    def ports(self, rule: Rule, port: int, protocol: PortProtocol) -> int:
        """Destinations for which some port entry of ``rule`` covers ``port``/``protocol``."""
        every, named = self.cover(rule, port, protocol)
        return self.all if every else named

    def cover(self, rule: Rule, port: int, protocol: PortProtocol) -> tuple[bool, int]:
        """Does ``rule`` cover ``port``/``protocol`` for every destination, and else for which pods.

        Only a named port depends on the destination: it covers the pods whose
        container port of that name and protocol is ``port``; no address
        outside the cluster has named ports.
        """
        if rule.all_ports:
            return True, self.all
        mask = 0
        for spec in rule.ports or ():
            if spec.protocol is not protocol:
                continue
            if (
                spec.port is None
                or (spec.end_port is None and spec.port == port)
                or (
                    spec.end_port is not None
                    and isinstance(spec.port, int)
                    and spec.port <= port <= spec.end_port
                )
            ):
                return True, self.all
            if isinstance(spec.port, str):
                for i, pod in enumerate(self.pods):
                    if pod.named_port(spec.port, protocol) == port:
                        mask |= 1 << i
        return False, mask


def bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out
