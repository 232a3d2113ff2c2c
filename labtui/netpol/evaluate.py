"""Evaluate one connection exactly as the NetworkPolicy spec says, and explain the verdict.

A connection from ``src`` to ``dst`` on ``port``/``protocol`` is allowed when
the source's egress allows it AND the destination's ingress allows it. Per
direction, a pod is isolated only when some policy of its namespace selects it
with that direction in ``policyTypes``; an isolated pod admits exactly the union
of the rules of the policies that isolate it. Addresses outside the cluster
are not subject to policies; ``ipBlock`` peers match them (and never pods).
Pods with ``hostNetwork`` are evaluated like other pods: the spec leaves them
to the network plugin, and labs do not rely on either behaviour.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from labtui.errors import InvalidInput
from labtui.netpol.model import (
    Cluster,
    Direction,
    Endpoint,
    External,
    Peer,
    Pod,
    Policy,
    PortSpec,
    Protocol,
    Rule,
)


def selects(policy: Policy, pod: Pod) -> bool:
    return policy.namespace == pod.namespace and policy.pod_selector.matches(pod.labels)


def isolating(cluster: Cluster, pod: Pod, direction: Direction) -> list[Policy]:
    """The policies that isolate ``pod`` in ``direction`` (empty: not isolated)."""
    return [p for p in cluster.policies if direction in p.types and selects(p, pod)]


def peer_matches(cluster: Cluster, policy: Policy, peer: Peer, other: Endpoint) -> bool:
    if peer.ip_block is not None:
        return isinstance(other, External) and peer.ip_block.contains(other.ip)
    if not isinstance(other, Pod):
        return False
    if peer.namespace_selector is None:
        if other.namespace != policy.namespace:
            return False
    elif not peer.namespace_selector.matches(cluster.namespace_labels(other.namespace)):
        return False
    return peer.pod_selector is None or peer.pod_selector.matches(other.labels)


def port_matches(spec: PortSpec, dst: Endpoint, port: int, protocol: Protocol) -> bool:
    if spec.protocol is not protocol:
        return False
    if spec.port is None:
        return True
    if isinstance(spec.port, str):
        # A named port is resolved against the destination pod's container ports.
        return isinstance(dst, Pod) and dst.named_port(spec.port, protocol) == port
    if spec.end_port is not None:
        return spec.port <= port <= spec.end_port
    return spec.port == port


def rule_allows(
    cluster: Cluster,
    policy: Policy,
    rule: Rule,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: Protocol,
) -> int | None:
    """Index of the peer that matched (-1 for "all peers"), or None when the rule does not allow."""
    if not rule.all_ports and not any(
        port_matches(s, dst, port, protocol) for s in rule.ports or ()
    ):
        return None
    if rule.all_peers:
        return -1
    for i, peer in enumerate(rule.peers or ()):
        if peer_matches(cluster, policy, peer, other):
            return i
    return None


def direction_allows(
    cluster: Cluster,
    pod: Pod,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: Protocol,
    direction: Direction,
) -> bool:
    """The fast yes/no of one side, with no explanation (the matrix's inner loop uses its own)."""
    policies = isolating(cluster, pod, direction)
    if not policies:
        return True
    return any(
        rule_allows(cluster, p, r, other, dst, port, protocol) is not None
        for p in policies
        for r in p.rules(direction)
    )


# --------------------------------------------------------------------------- explanations


@dataclass(frozen=True)
class RuleRef:
    policy: Policy
    direction: Direction
    rule: int
    peer: int  # -1: the rule has no from/to, so every peer

    def __str__(self) -> str:
        word = "ingress" if self.direction is Direction.ingress else "egress"
        text = f"policy {self.policy.ref} {word} rule {self.rule + 1}"
        return (
            text
            if self.peer < 0
            else f"{text} ({'from' if word == 'ingress' else 'to'} peer {self.peer + 1})"
        )


@dataclass(frozen=True)
class Side:
    """The verdict of one direction: egress of the source or ingress of the destination."""

    direction: Direction
    endpoint: Endpoint
    isolated_by: tuple[Policy, ...]
    allowed_by: RuleRef | None
    why: str

    @property
    def allowed(self) -> bool:
        return not self.isolated_by or self.allowed_by is not None


@dataclass(frozen=True)
class Verdict:
    src: Endpoint
    dst: Endpoint
    port: int
    protocol: Protocol
    egress: Side
    ingress: Side

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def flow(self) -> str:
        return f"{self.src.ref} -> {self.dst.ref} {self.protocol}/{self.port}"

    @property
    def reason(self) -> str:
        if self.allowed:
            return f"allowed: {self.egress.why}; {self.ingress.why}"
        failing = [s.why for s in (self.egress, self.ingress) if not s.allowed]
        return "denied: " + "; ".join(failing)

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reason": self.reason}


def _labels_text(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(labels.items())) + "}"


def _peer_misses(
    cluster: Cluster, policy: Policy, peer: Peer, other: Endpoint
) -> tuple[int, int, list[str]]:
    """(terms that held, terms in total, why the others did not) for one peer."""
    if peer.ip_block is not None:
        if isinstance(other, Pod):
            return (
                0,
                1,
                [
                    f"ipBlock {peer.ip_block} matches addresses outside the cluster, "
                    f"and {other.ref} is a pod (select pods with podSelector/namespaceSelector)"
                ],
            )
        ip = other.ip
        if peer.ip_block.contains(ip):
            return 1, 1, []
        if ip.version != peer.ip_block.cidr.version or ip not in peer.ip_block.cidr:
            return 0, 1, [f"{ip} is not in ipBlock {peer.ip_block.cidr}"]
        cut = next(e for e in peer.ip_block.excepts if ip in e)
        return 0, 1, [f"{ip} is in ipBlock {peer.ip_block.cidr} but also in its except {cut}"]
    if not isinstance(other, Pod):
        return (
            0,
            1,
            [
                f"{peer} selects pods, and {other.ref} is an address outside the cluster "
                "(use an ipBlock peer)"
            ],
        )
    held, total, why = 0, 0, []
    ns_labels = cluster.namespace_labels(other.namespace)
    if peer.namespace_selector is None:
        total += 1
        if other.namespace == policy.namespace:
            held += 1
        else:
            why.append(
                f"a podSelector without namespaceSelector selects only pods of the policy's "
                f"namespace {policy.namespace}, and {other.ref} is in {other.namespace}"
            )
    else:
        total += 1
        if peer.namespace_selector.matches(ns_labels):
            held += 1
        else:
            miss = ", ".join(peer.namespace_selector.failures(ns_labels))
            why.append(
                f"namespaceSelector {peer.namespace_selector} did not match namespace "
                f"{other.namespace} (labels {_labels_text(ns_labels)}; fails {miss})"
            )
    if peer.pod_selector is not None:
        total += 1
        if peer.pod_selector.matches(other.labels):
            held += 1
        else:
            why.append(
                f"podSelector {peer.pod_selector} did not match labels {_labels_text(other.labels)}"
                f" of {other.ref}"
            )
    if why and held:
        matched: list[str] = []
        if peer.namespace_selector is not None and peer.namespace_selector.matches(ns_labels):
            matched.append(f"namespaceSelector matched namespace {other.namespace}")
        if peer.pod_selector is not None and peer.pod_selector.matches(other.labels):
            matched.append(f"podSelector {peer.pod_selector} matched {other.ref}")
        if matched:
            why = [f"{' and '.join(matched)} but {'; '.join(why)}"]
    return held, total, why


def _ports_miss(rule: Rule, dst: Endpoint, port: int, protocol: Protocol) -> str | None:
    if rule.all_ports or any(port_matches(s, dst, port, protocol) for s in rule.ports or ()):
        return None
    notes = []
    for s in rule.ports or ():
        if isinstance(s.port, str) and s.protocol is protocol:
            if not isinstance(dst, Pod):
                notes.append(
                    f"named port {s.port} cannot name a port of an address outside the cluster"
                )
            else:
                number = dst.named_port(s.port, protocol)
                notes.append(
                    f"{dst.ref} has no {protocol} container port named {s.port}"
                    if number is None
                    else f"named port {s.port} is {protocol} {number} on {dst.ref}"
                )
    listed = ", ".join(str(s) for s in rule.ports or ())
    extra = f" ({'; '.join(notes)})" if notes else ""
    return f"its ports [{listed}] do not include {protocol} {port}{extra}"


def _nearest(
    cluster: Cluster,
    policies: list[Policy],
    direction: Direction,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: Protocol,
) -> str:
    best: tuple[float, str] | None = None
    for policy in policies:
        for ri, rule in enumerate(policy.rules(direction)):
            ports = _ports_miss(rule, dst, port, protocol)
            candidates: list[tuple[float, str]] = []
            if rule.all_peers:
                candidates.append((1.0, ""))
            for pi, peer in enumerate(rule.peers or ()):
                held, total, why = _peer_misses(cluster, policy, peer, other)
                label = f"peer {pi + 1} ({peer})"
                candidates.append((held / total, f"{label}: {'; '.join(why)}" if why else ""))
            for score, text in candidates:
                reasons = [t for t in (text, ports) if t]
                total_score = score + (0.0 if ports else 1.0)
                ref = RuleRef(policy, direction, ri, -1)
                line = f"the nearest rule, {ref}, did not match: {'; '.join(reasons)}"
                if best is None or total_score > best[0]:
                    best = (total_score, line)
    if best is None:
        word = "ingress" if direction is Direction.ingress else "egress"
        return f"none of them has an {word} rule, so every {word} connection is denied"
    return best[1]


def explain_side(
    cluster: Cluster,
    direction: Direction,
    pod: Endpoint,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: Protocol,
) -> Side:
    word = "ingress" if direction is Direction.ingress else "egress"
    if isinstance(pod, External):
        return Side(
            direction,
            pod,
            (),
            None,
            f"{pod.ref} is outside the cluster, so no policy governs its {word}",
        )
    policies = isolating(cluster, pod, direction)
    if not policies:
        why = f"{pod.ref} is not isolated for {word} (no policy selects it with {direction.value} in policyTypes)"
        if direction is Direction.egress:
            ignored = [
                p.ref
                for p in cluster.policies
                if p.egress and selects(p, pod) and Direction.egress not in p.types
            ]
            if ignored:
                why += (
                    f"; note: {', '.join(ignored)} has egress rules but policyTypes lacks Egress, "
                    "so they are ignored"
                )
        return Side(direction, pod, (), None, why)
    names = ", ".join(p.ref for p in policies)
    isolation = f"{pod.ref} is isolated for {word} by {names}"
    for policy in policies:
        for ri, rule in enumerate(policy.rules(direction)):
            hit = rule_allows(cluster, policy, rule, other, dst, port, protocol)
            if hit is not None:
                ref = RuleRef(policy, direction, ri, hit)
                what = "every peer" if hit < 0 else str((rule.peers or ())[hit])
                ports = (
                    "every port" if rule.all_ports else ", ".join(str(s) for s in rule.ports or ())
                )
                return Side(
                    direction,
                    pod,
                    tuple(policies),
                    ref,
                    f"{isolation}; {ref} allows it ({what}; {ports})",
                )
    nearest = _nearest(cluster, policies, direction, other, dst, port, protocol)
    return Side(
        direction,
        pod,
        tuple(policies),
        None,
        f"{isolation} and no {word} rule allows {other.ref if word == 'ingress' else dst.ref}"
        f" on {protocol} {port}: {nearest}",
    )


def evaluate(
    cluster: Cluster,
    src: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: Protocol | str = Protocol.TCP,
) -> Verdict:
    proto = Protocol(protocol)
    if not 1 <= port <= 65535:
        raise InvalidInput(f"port {port} is not between 1 and 65535")
    if isinstance(src, External) and isinstance(dst, External):
        raise InvalidInput(
            f"{src.ref} and {dst.ref} are both outside the cluster",
            "at least one end of a flow must be a pod or workload",
        )
    egress = explain_side(cluster, Direction.egress, src, dst, dst, port, proto)
    ingress = explain_side(cluster, Direction.ingress, dst, src, dst, port, proto)
    return Verdict(src, dst, port, proto, egress, ingress)


# --------------------------------------------------------------------------- endpoints


def resolve(cluster: Cluster, text: str) -> Endpoint:
    """``namespace/name`` of a pod or workload (or a pod's owner), or an IP address."""
    text = text.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        for pod in cluster.pods:
            if ip in pod.ips:
                return pod
        return External(ip)
    namespace, sep, name = text.rpartition("/")
    if not sep:
        matches = [p for p in cluster.pods if p.name == name]
        if len(matches) == 1:
            return matches[0]
        raise InvalidInput(
            f"endpoint {text!r}: write it as namespace/name or an IP address", _known(cluster)
        )
    for pod in cluster.pods:
        if pod.namespace == namespace and pod.name == name:
            return pod
    for pod in cluster.pods:
        if pod.namespace == namespace and pod.owner == name:
            return pod
    raise InvalidInput(
        f"endpoint {text!r}: no pod or workload {name} in namespace {namespace}", _known(cluster)
    )


def _known(cluster: Cluster) -> str:
    refs = [p.ref for p in cluster.pods]
    if not refs:
        return "the manifests declare no pods or workloads"
    shown = ", ".join(refs[:12]) + (f" and {len(refs) - 12} more" if len(refs) > 12 else "")
    return f"known: {shown}"
