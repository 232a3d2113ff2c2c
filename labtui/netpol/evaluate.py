"""Evaluate one connection exactly as the NetworkPolicy spec says, and explain the verdict.

A connection from ``src`` to ``dst`` on ``port``/``protocol`` is allowed when
the source's egress allows it AND the destination's ingress allows it. Per
direction, a pod is isolated only when some policy of its namespace selects it
with that direction in ``policyTypes``; an isolated pod admits exactly the union
of the rules of the policies that isolate it. Addresses outside the cluster
are not subject to policies; ``ipBlock`` peers match them (and never pods).
A pod's traffic to itself is always allowed ("a pod cannot block access to
itself", Network Policies concepts page). Pods with ``hostNetwork`` are
evaluated like other pods: the spec leaves them to the network plugin, and
labs do not rely on either behaviour.

:func:`evaluate` answers one question by walking the rules; an
:class:`Evaluator` kept for many questions (a batch, a class's matrix of flows)
works out once what they share, as bitmasks over the pods, and says the same
words.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from labtui.errors import InvalidInput
from labtui.netpol.index import PodIndex, bits
from labtui.netpol.model import (
    Direction,
    Endpoint,
    External,
    Peer,
    Pod,
    Policy,
    PortProtocol,
    PortSpec,
    Rule,
    World,
)

ITSELF = "a pod cannot block access to itself: its traffic to itself is allowed whatever the policies say"


def selects(policy: Policy, pod: Pod) -> bool:
    return policy.namespace == pod.namespace and policy.pod_selector.matches(pod.labels)


def isolating(cluster: World, pod: Pod, direction: Direction) -> list[Policy]:
    """The policies that isolate ``pod`` in ``direction`` (empty: not isolated)."""
    return [p for p in cluster.policies if direction in p.types and selects(p, pod)]


def to_itself(src: Endpoint, dst: Endpoint) -> bool:
    """A pod's traffic to itself; a workload's "itself" is one of its replicas to another."""
    return (
        isinstance(src, Pod)
        and isinstance(dst, Pod)
        and src.name == dst.name
        and src.namespace == dst.namespace
        and src.kind == dst.kind == "Pod"
    )


def peer_matches(cluster: World, policy: Policy, peer: Peer, other: Endpoint) -> bool:
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


def port_matches(spec: PortSpec, dst: Endpoint, port: int, protocol: PortProtocol) -> bool:
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
    cluster: World,
    policy: Policy,
    rule: Rule,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: PortProtocol,
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
    cluster: World,
    pod: Pod,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: PortProtocol,
    direction: Direction,
) -> bool:
    """The plain yes/no of one side, walking every policy: the baseline of tests and benchmarks."""
    policies = isolating(cluster, pod, direction)
    if not policies:
        return True
    return any(
        rule_allows(cluster, p, r, other, dst, port, protocol) is not None
        for p in policies
        for r in p.rules(direction)
    )


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Side:
    """The verdict of one direction: egress of the source or ingress of the destination.

    ``itself`` marks a pod's traffic to itself, which no policy can deny.
    """

    direction: Direction
    endpoint: Endpoint
    isolated_by: tuple[Policy, ...]
    allowed_by: RuleRef | None
    why: str
    itself: bool = False

    @property
    def allowed(self) -> bool:
        return self.itself or not self.isolated_by or self.allowed_by is not None


@dataclass(frozen=True, slots=True)
class Verdict:
    src: Endpoint
    dst: Endpoint
    port: int
    protocol: PortProtocol
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
        if self.egress.itself:
            isolated = [
                f"for {_word(s.direction)} by {', '.join(p.ref for p in s.isolated_by)}"
                for s in (self.egress, self.ingress)
                if s.isolated_by
            ]
            note = (
                f" ({self.src.ref} is isolated {' and '.join(isolated)}, which limits only its "
                "traffic with other endpoints)"
                if isolated
                else ""
            )
            return f"allowed: {self.flow} is the pod's traffic to itself, and {ITSELF}{note}"
        egress, ingress = self.egress, self.ingress
        return _reason(self.src, self.dst, egress.allowed, egress.why, ingress.allowed, ingress.why)

    def to_dict(self) -> dict[str, object]:
        return {"allowed": self.allowed, "reason": self.reason}


def _reason(
    src: Endpoint, dst: Endpoint, egress: bool, egress_why: str, ingress: bool, ingress_why: str
) -> str:
    """A verdict's reason from its two sides (not for a pod's traffic to itself)."""
    if egress and ingress:
        text = f"allowed: {egress_why}; {ingress_why}"
    elif egress:
        text = f"denied: {ingress_why}"
    elif ingress:
        text = f"denied: {egress_why}"
    else:
        text = f"denied: {egress_why}; {ingress_why}"
    if src is dst and isinstance(src, Pod):
        text += (
            f" (source and destination are the same {src.kind}, read as one of its "
            "pods to another; each pod's traffic to itself is always allowed)"
        )
    return text


# --------------------------------------------------------------------------- explanations


def _rules(iso: _Isolation, direction: Direction) -> list[tuple[Policy, int, Rule]]:
    """The rules of the isolating policies, in the order explanations walk them."""
    return [(p, ri, rule) for p in iso.policies for ri, rule in enumerate(p.rules(direction))]


def _word(direction: Direction) -> str:
    return "ingress" if direction is Direction.ingress else "egress"


def _labels_text(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(labels.items())) + "}"


def _key(endpoint: Endpoint) -> object:
    """Pods are the cluster's own objects (identity); outside addresses are their IP."""
    return id(endpoint) if isinstance(endpoint, Pod) else endpoint.ip


@dataclass(frozen=True, slots=True)
class _Isolation:
    """A set of policies isolating pods in one direction, shared by every pod it isolates.

    ``named`` says some rule names a port, so what the rules cover depends on
    the destination's container ports.
    """

    policies: tuple[Policy, ...]
    named: bool


# Which rule (by position among the isolating policies' rules) decides a flow: with
# the peer that allows it (-1: every peer), or None when the rule is only the nearest
# miss; None when the policies have no rule for the direction.
_Outcome = tuple[int, int | None] | None


@dataclass(slots=True)
class _Table:
    """For one set of isolating policies, direction, port (and destination ports when
    rules name them): each pod's outcome as the other endpoint, and its words once made."""

    outcomes: list[_Outcome]
    tails: list[tuple[RuleRef | None, list[str]] | None]


# One rule of a set of isolating policies, with each peer's terms as pod bitmasks
# (PodIndex.terms); None stands for a rule without from/to, which admits every peer.
_Row = tuple[Policy, int, Rule, tuple[tuple[Peer, int, int, int], ...] | None]
# Stands for the destination's name in an explanation shared by destinations alike.
_DST = "\x00"


class Evaluator:
    """Answers questions about one cluster, remembering what the questions share.

    A batch of all pairs of 200 pods asks the same things again and again:
    which policies isolate each pod, which pods each peer selects, which
    destinations each rule's ports cover. Each is worked out once here, as
    bitmasks over the pods (:class:`~labtui.netpol.index.PodIndex`), and so is
    the end of each explanation, which depends only on the set of isolating
    policies (pods isolated by the same policies share it), the other endpoint,
    the port and, when rules name ports, the destination's container ports.

    Endpoints are the cluster's pods (and outside addresses), and the cluster
    must not change while an evaluator is in use: make a new one after that.
    """

    def __init__(self, cluster: World, indexed: bool = True) -> None:
        self.cluster = cluster
        self.indexed = indexed
        self._by_namespace: dict[str, list[Policy]] | None = None
        self._index: PodIndex | None = None
        self._position: dict[int, int] = {}
        self._sets: dict[tuple[int, ...], _Isolation] = {}
        self._isolation: dict[tuple[int, Direction], tuple[_Isolation, str]] = {}
        self._port_sets: dict[object, int] = {}
        self._pod_ports: dict[int, int] = {}
        self._rows: dict[tuple[int, Direction], list[_Row]] = {}
        self._covers: dict[tuple[int, Direction, int, PortProtocol], list[tuple[bool, int]]] = {}
        self._tables: dict[tuple[object, ...], _Table] = {}
        self._tails: dict[tuple[object, ...], tuple[RuleRef | None, list[str]]] = {}
        self._misses: dict[tuple[int, str, object], str] = {}
        self._nearest: dict[tuple[int, str, object], int] = {}
        self._ports: dict[tuple[object, ...], str] = {}
        self._allows: dict[tuple[int, Direction, int, int], str] = {}
        self._endpoints: dict[str, Endpoint] = {}

    # ----------------------------------------------------------------- isolation

    def _isolated(self, pod: Pod, direction: Direction) -> tuple[_Isolation, str]:
        """The set of policies isolating ``pod``, and the sentence that says so."""
        key = (id(pod), direction)
        found = self._isolation.get(key)
        if found is None:
            if self._by_namespace is None:
                self._by_namespace = {}
                for p in self.cluster.policies:
                    self._by_namespace.setdefault(p.namespace, []).append(p)
            policies = tuple(
                p
                for p in self._by_namespace.get(pod.namespace, ())
                if direction in p.types and p.pod_selector.matches(pod.labels)
            )
            ids = tuple(id(p) for p in policies)
            iso = self._sets.get(ids)
            if iso is None:
                named = any(
                    isinstance(s.port, str)
                    for p in policies
                    for r in p.rules(direction)
                    for s in r.ports or ()
                )
                iso = self._sets[ids] = _Isolation(policies, named)
            word = _word(direction)
            if policies:
                text = f"{pod.ref} is isolated for {word} by {', '.join(p.ref for p in policies)}"
            else:
                text = f"{pod.ref} is not isolated for {word} (no policy selects it with {direction.value} in policyTypes)"
                ignored = [
                    p.ref
                    for p in self.cluster.policies
                    if direction is Direction.egress
                    and p.egress
                    and selects(p, pod)
                    and Direction.egress not in p.types
                ]
                if ignored:
                    text += (
                        f"; note: {', '.join(ignored)} has egress rules but policyTypes lacks "
                        "Egress, so they are ignored"
                    )
            found = self._isolation[key] = (iso, text)
        return found

    def isolating(self, pod: Pod, direction: Direction) -> tuple[Policy, ...]:
        return self._isolated(pod, direction)[0].policies

    def _ports_of(self, pod: Pod) -> int:
        """A number shared by every pod that declares the same container ports."""
        found = self._pod_ports.get(id(pod))
        if found is None:
            found = self._port_sets.setdefault(pod.ports, len(self._port_sets))
            self._pod_ports[id(pod)] = found
        return found

    # ----------------------------------------------------------------- the index

    def _pods(self) -> PodIndex:
        if self._index is None:
            self._index = PodIndex(self.cluster, self.cluster.pods)
            self._position = {id(p): i for i, p in enumerate(self.cluster.pods)}
        return self._index

    def _rows_of(self, iso: _Isolation, direction: Direction) -> list[_Row]:
        key = (id(iso), direction)
        rows = self._rows.get(key)
        if rows is None:
            index = self._pods()
            rows = self._rows[key] = [
                (
                    policy,
                    ri,
                    rule,
                    None
                    if rule.all_peers
                    else tuple((peer, *index.terms(policy, peer)) for peer in rule.peers or ()),
                )
                for policy, ri, rule in _rules(iso, direction)
            ]
        return rows

    def _covers_of(
        self, iso: _Isolation, direction: Direction, port: int, protocol: PortProtocol
    ) -> list[tuple[bool, int]]:
        key = (id(iso), direction, port, protocol)
        covers = self._covers.get(key)
        if covers is None:
            index = self._pods()
            covers = self._covers[key] = [
                index.cover(rule, port, protocol) for _, _, rule, _ in self._rows_of(iso, direction)
            ]
        return covers

    # ----------------------------------------------------------------- words

    def _miss(self, policy: Policy, peer: Peer, other: Endpoint) -> str:
        """Why ``peer`` of ``policy`` does not select ``other``."""
        key = (id(peer), policy.namespace, _key(other))
        text = self._misses.get(key)
        if text is None:
            text = self._misses[key] = _peer_misses(self.cluster, policy, peer, other)
        return text

    def _ports_text(
        self, rule: Rule, dst: Endpoint, port: int, protocol: PortProtocol, shared: bool
    ) -> str:
        """Why ``rule``'s ports leave out the flow ("" when they cover it)."""
        where: object = None
        if any(isinstance(s.port, str) for s in rule.ports or ()):
            # A named port's words depend on the destination's ports, and on its name too
            # unless the name is left as a gap.
            where = self._ports_of(dst) if shared and isinstance(dst, Pod) else _key(dst)
        key = (id(rule), where, port, protocol, shared)
        text = self._ports.get(key)
        if text is None:
            text = _ports_miss(rule, dst, port, protocol, _DST if shared else None) or ""
            self._ports[key] = text
        return text

    def _closest(self, policy: Policy, rule: Rule, other: Endpoint) -> int:
        key = (id(rule), policy.namespace, _key(other))
        found = self._nearest.get(key)
        if found is None:
            found = self._nearest[key] = _closest(self.cluster, policy, rule, other)
        return found

    def _allows_text(self, policy: Policy, direction: Direction, ri: int, hit: int) -> str:
        key = (id(policy), direction, ri, hit)
        text = self._allows.get(key)
        if text is None:
            rule = policy.rules(direction)[ri]
            what = "every peer" if hit < 0 else str((rule.peers or ())[hit])
            ports = "every port" if rule.all_ports else ", ".join(str(s) for s in rule.ports or ())
            text = f"{RuleRef(policy, direction, ri, hit)} allows it ({what}; {ports})"
            self._allows[key] = text
        return text

    # ----------------------------------------------------------------- verdicts

    def side(
        self,
        direction: Direction,
        pod: Endpoint,
        other: Endpoint,
        dst: Endpoint,
        port: int,
        protocol: PortProtocol,
    ) -> Side:
        """One direction's verdict: the first rule that allows the flow, else the nearest miss."""
        return Side(direction, pod, *self._side(direction, pod, other, dst, port, protocol))

    def _side(
        self,
        direction: Direction,
        pod: Endpoint,
        other: Endpoint,
        dst: Endpoint,
        port: int,
        protocol: PortProtocol,
    ) -> tuple[tuple[Policy, ...], RuleRef | None, str]:
        """A :class:`Side`'s isolating policies, allowing rule and words."""
        if isinstance(pod, External):
            word = _word(direction)
            return (), None, f"{pod.ref} is outside the cluster, so no policy governs its {word}"
        iso, text = self._isolation.get((id(pod), direction)) or self._isolated(pod, direction)
        if not iso.policies:
            return (), None, text
        ref, parts = self._tail(iso, direction, other, dst, port, protocol)
        return iso.policies, ref, text + (parts[0] if len(parts) == 1 else dst.ref.join(parts))

    def _tail(
        self,
        iso: _Isolation,
        direction: Direction,
        other: Endpoint,
        dst: Endpoint,
        port: int,
        protocol: PortProtocol,
    ) -> tuple[RuleRef | None, list[str]]:
        """What follows "X is isolated for ... by ...": the allowing rule, else the nearest miss.

        Pods isolated by the same policies share it. When those policies name
        ports, an ingress explanation also depends on the destination's
        container ports, and destinations that declare the same ports share it
        with their name left as a gap (``_DST``) to fill in.
        """
        shared = direction is Direction.ingress and iso.named
        ports = self._ports_of(dst) if shared and isinstance(dst, Pod) else None
        # Egress tables read the destination's ports off the other endpoint's bit.
        if self.indexed and isinstance(other, Pod) and (shared or other is dst or not iso.named):
            if self._index is None:
                self._pods()
            j = self._position.get(id(other))
            i = self._position.get(id(dst))
            if j is not None and (i is not None or not shared):
                key = (id(iso), direction, ports, port, protocol)
                table = self._tables.get(key)
                if table is None:
                    table = self._tables[key] = self._table(iso, direction, i, port, protocol)
                tail = table.tails[j]
                if tail is None:
                    outcome = table.outcomes[j]
                    tail = self._words(iso, direction, outcome, other, dst, port, protocol)
                    table.tails[j] = tail
                return tail
        slow = (id(iso), direction, _key(other), ports, port, protocol)
        tail = self._tails.get(slow)
        if tail is None:
            outcome = self._outcome(iso, direction, other, dst, port, protocol)
            tail = self._tails[slow] = self._words(
                iso, direction, outcome, other, dst, port, protocol
            )
        return tail

    def _outcome(
        self,
        iso: _Isolation,
        direction: Direction,
        other: Endpoint,
        dst: Endpoint,
        port: int,
        protocol: PortProtocol,
    ) -> _Outcome:
        """The outcome for one flow, walking the rules: the definition the tables follow.

        The first rule whose ports cover the flow and one of whose peers (or
        every peer) selects ``other`` allows it. Otherwise the nearest miss is
        the first rule with the best score: the share of its closest peer's
        terms that held, plus one when its ports cover the flow.
        """
        best: _Outcome = None
        best_score = -1.0
        r = 0
        for policy in iso.policies:
            for rule in policy.rules(direction):
                covered = rule.all_ports or any(
                    port_matches(s, dst, port, protocol) for s in rule.ports or ()
                )
                hit: int | None = -1
                score = 1.0
                if not rule.all_peers:
                    hit, score = None, 0.0
                    for k, peer in enumerate(rule.peers or ()):
                        held, total = _peer_score(self.cluster, policy, peer, other)
                        if held == total:
                            hit, score = k, 1.0
                            break
                        score = max(score, held / total)
                if covered:
                    if hit is not None:
                        return r, hit
                    score += 1.0
                if score > best_score:
                    best, best_score = (r, None), score
                r += 1
        return best

    def _table(
        self,
        iso: _Isolation,
        direction: Direction,
        i: int | None,
        port: int,
        protocol: PortProtocol,
    ) -> _Table:
        """:meth:`_outcome` for every pod as the other endpoint at once, with bitmasks.

        For egress the other endpoint is the destination, so what a rule's
        ports cover is a mask over the same pods; for ingress the destination
        is the pod at ``i`` (or any pod declaring the same ports).
        """
        index = self._pods()
        everyone = index.all
        rows = self._rows_of(iso, direction)
        covers = []
        for every, named in self._covers_of(iso, direction, port, protocol):
            if every:
                covers.append(everyone)
            elif direction is Direction.egress:
                covers.append(named)
            else:
                covers.append(everyone if i is not None and (named >> i) & 1 else 0)
        outcomes: list[_Outcome] = [None] * len(index.pods)
        left = everyone
        full, half = [], []
        for r, (_, _, _, peers) in enumerate(rows):
            if peers is None:
                hits, all_held, one_held = [(-1, everyone)], everyone, 0
            else:
                hits, all_held, one_held = [], 0, 0
                for k, (_, in_ns, in_pods, total) in enumerate(peers):
                    match = in_ns & in_pods if total == 2 else in_ns
                    hits.append((k, match))
                    all_held |= match
                    if total == 2:
                        one_held |= in_ns ^ in_pods
                one_held &= ~all_held
            full.append(all_held)
            half.append(one_held)
            for k, match in hits:
                match &= covers[r] & left
                if match:
                    for j in bits(match):
                        outcomes[j] = (r, k)
                    left &= ~match
        # The rest are denied: the nearest rule for each, by score (twice the
        # peer's share of terms held, plus two when the ports cover), highest
        # first, and the first rule of that score.
        for level in (3, 2, 1, 0):
            for r in range(len(rows)):
                if not left:
                    break
                cover, all_held, one_held = covers[r], full[r], half[r]
                none_held = everyone & ~all_held & ~one_held
                if level == 3:
                    miss = one_held & cover
                elif level == 2:
                    miss = (all_held & ~cover) | (none_held & cover)
                elif level == 1:
                    miss = one_held & ~cover
                else:
                    miss = none_held & ~cover
                miss &= left
                if miss:
                    for j in bits(miss):
                        outcomes[j] = (r, None)
                    left &= ~miss
        return _Table(outcomes, [None] * len(index.pods))

    def _words(
        self,
        iso: _Isolation,
        direction: Direction,
        outcome: _Outcome,
        other: Endpoint,
        dst: Endpoint,
        port: int,
        protocol: PortProtocol,
    ) -> tuple[RuleRef | None, list[str]]:
        """The explanation of an outcome, split where the destination's name goes when shared."""
        word = _word(direction)
        if outcome is None:
            nearest = f"none of them has an {word} rule, so every {word} connection is denied"
        else:
            r, hit = outcome
            policy, ri, rule = _rules(iso, direction)[r]
            if hit is not None:
                ref = RuleRef(policy, direction, ri, hit)
                return ref, [f"; {self._allows_text(policy, direction, ri, hit)}"]
            shared = direction is Direction.ingress and iso.named
            reasons = [self._ports_text(rule, dst, port, protocol, shared)]
            closest = self._closest(policy, rule, other)
            if closest >= 0:
                peer = (rule.peers or ())[closest]
                reasons.insert(0, f"peer {closest + 1} ({peer}): {self._miss(policy, peer, other)}")
            nearest = (
                f"the nearest rule, {RuleRef(policy, direction, ri, -1)}, did not match: "
                + "; ".join(t for t in reasons if t)
            )
        whom = other.ref if direction is Direction.ingress else dst.ref
        return None, f" and no {word} rule allows {whom} on {protocol} {port}: {nearest}".split(
            _DST
        )

    def _itself(self, direction: Direction, pod: Pod) -> Side:
        iso, text = self._isolated(pod, direction)
        first = text if iso.policies else f"{pod.ref} is not isolated for {_word(direction)}"
        return Side(direction, pod, iso.policies, None, f"{first}, but {ITSELF}", itself=True)

    def evaluate(
        self,
        src: Endpoint,
        dst: Endpoint,
        port: int,
        protocol: PortProtocol | str = PortProtocol.TCP,
    ) -> Verdict:
        proto = protocol if isinstance(protocol, PortProtocol) else PortProtocol(protocol)
        if not 1 <= port <= 65535:
            raise InvalidInput(f"port {port} is not between 1 and 65535")
        if isinstance(src, External) and isinstance(dst, External):
            raise InvalidInput(
                f"{src.ref} and {dst.ref} are both outside the cluster",
                "at least one end of a flow must be a pod or workload",
            )
        if to_itself(src, dst):
            assert isinstance(src, Pod) and isinstance(dst, Pod)
            return Verdict(
                src,
                dst,
                port,
                proto,
                self._itself(Direction.egress, src),
                self._itself(Direction.ingress, dst),
            )
        egress = self.side(Direction.egress, src, dst, dst, port, proto)
        ingress = self.side(Direction.ingress, dst, src, dst, port, proto)
        return Verdict(src, dst, port, proto, egress, ingress)

    def answer(
        self, src: Endpoint, dst: Endpoint, port: int, protocol: PortProtocol
    ) -> tuple[bool, str]:
        """``evaluate(...)``'s ``allowed`` and ``reason`` without building it: a batch's inner loop."""
        if (
            to_itself(src, dst)
            or not 1 <= port <= 65535
            or (isinstance(src, External) and isinstance(dst, External))
        ):
            verdict = self.evaluate(src, dst, port, protocol)
            return verdict.allowed, verdict.reason
        out, e_ref, e_why = self._side(Direction.egress, src, dst, dst, port, protocol)
        into, i_ref, i_why = self._side(Direction.ingress, dst, src, dst, port, protocol)
        egress = not out or e_ref is not None
        ingress = not into or i_ref is not None
        return egress and ingress, _reason(src, dst, egress, e_why, ingress, i_why)

    def resolve(self, text: str) -> Endpoint:
        """:func:`resolve`, remembered per text."""
        found = self._endpoints.get(text)
        if found is None:
            found = resolve(self.cluster, text)
            self._endpoints[text] = found
        return found


def _peer_score(cluster: World, policy: Policy, peer: Peer, other: Endpoint) -> tuple[int, int]:
    """(terms that held, terms in total) of one peer for ``other``; all held means it matches.

    An ipBlock, or a selector peer facing an outside address, is one term; a
    selector peer facing a pod has a namespace term (its namespaceSelector, or
    the policy's own namespace) and a podSelector term when it has one.
    """
    if peer.ip_block is not None:
        return int(isinstance(other, External) and peer.ip_block.contains(other.ip)), 1
    if not isinstance(other, Pod):
        return 0, 1
    if peer.namespace_selector is None:
        held = int(other.namespace == policy.namespace)
    else:
        held = int(peer.namespace_selector.matches(cluster.namespace_labels(other.namespace)))
    if peer.pod_selector is None:
        return held, 1
    return held + int(peer.pod_selector.matches(other.labels)), 2


def _closest(cluster: World, policy: Policy, rule: Rule, other: Endpoint) -> int:
    """The first of ``rule``'s peers with the largest share of terms held.

    -1 when the rule has no peers or one of them selects ``other``: then only
    its ports kept it from allowing the flow, and no peer needs explaining.
    """
    closest, score = -1, -1.0
    for k, peer in enumerate(rule.peers or ()):
        held, total = _peer_score(cluster, policy, peer, other)
        if held == total:
            return -1
        if held / total > score:
            closest, score = k, held / total
    return closest


def _peer_misses(cluster: World, policy: Policy, peer: Peer, other: Endpoint) -> str:
    """Why ``peer`` does not select ``other``: its terms that failed, as a learner reads them."""
    if peer.ip_block is not None:
        if isinstance(other, Pod):
            return (
                f"ipBlock {peer.ip_block} matches addresses outside the cluster, "
                f"and {other.ref} is a pod (select pods with podSelector/namespaceSelector)"
            )
        ip = other.ip
        if ip.version != peer.ip_block.cidr.version or ip not in peer.ip_block.cidr:
            return f"{ip} is not in ipBlock {peer.ip_block.cidr}"
        cut = next((e for e in peer.ip_block.excepts if ip in e), None)
        return f"{ip} is in ipBlock {peer.ip_block.cidr} but also in its except {cut}"
    if not isinstance(other, Pod):
        return (
            f"{peer} selects pods, and {other.ref} is an address outside the cluster "
            "(use an ipBlock peer)"
        )
    why, matched = [], []
    ns_labels = cluster.namespace_labels(other.namespace)
    if peer.namespace_selector is None:
        if other.namespace != policy.namespace:
            why.append(
                f"a podSelector without namespaceSelector selects only pods of the policy's "
                f"namespace {policy.namespace}, and {other.ref} is in {other.namespace}"
            )
    elif peer.namespace_selector.matches(ns_labels):
        matched.append(f"namespaceSelector matched namespace {other.namespace}")
    else:
        miss = ", ".join(peer.namespace_selector.failures(ns_labels))
        assumed = (
            "; no Namespace object declares it, so it has only that label"
            if other.namespace in cluster.assumed
            else ""
        )
        why.append(
            f"namespaceSelector {peer.namespace_selector} did not match namespace "
            f"{other.namespace} (labels {_labels_text(ns_labels)}; fails {miss}{assumed})"
        )
    if peer.pod_selector is not None:
        if peer.pod_selector.matches(other.labels):
            matched.append(f"podSelector {peer.pod_selector} matched {other.ref}")
        else:
            why.append(
                f"podSelector {peer.pod_selector} did not match labels {_labels_text(other.labels)}"
                f" of {other.ref}"
            )
    if why and matched:
        return f"{' and '.join(matched)} but {'; '.join(why)}"
    return "; ".join(why)


def _ports_miss(
    rule: Rule, dst: Endpoint, port: int, protocol: PortProtocol, shown: str | None = None
) -> str | None:
    """Why ``rule``'s ports leave out the flow (None if they cover it); ``shown`` names ``dst``."""
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
                    f"{shown or dst.ref} has no {protocol} container port named {s.port}"
                    if number is None
                    else f"named port {s.port} is {protocol} {number} on {shown or dst.ref}"
                )
    listed = ", ".join(str(s) for s in rule.ports or ())
    extra = f" ({'; '.join(notes)})" if notes else ""
    return f"its ports [{listed}] do not include {protocol} {port}{extra}"


def explain_side(
    cluster: World,
    direction: Direction,
    pod: Endpoint,
    other: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: PortProtocol,
) -> Side:
    return Evaluator(cluster, indexed=False).side(direction, pod, other, dst, port, protocol)


def evaluate(
    cluster: World,
    src: Endpoint,
    dst: Endpoint,
    port: int,
    protocol: PortProtocol | str = PortProtocol.TCP,
) -> Verdict:
    """One flow; for many, keep one :class:`Evaluator` (its index pays off from a few dozen)."""
    return Evaluator(cluster, indexed=False).evaluate(src, dst, port, protocol)


# --------------------------------------------------------------------------- endpoints


def resolve(cluster: World, text: str) -> Endpoint:
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


def _known(cluster: World) -> str:
    refs = [p.ref for p in cluster.pods]
    if not refs:
        return "the manifests declare no pods or workloads"
    shown = ", ".join(refs[:12]) + (f" and {len(refs) - 12} more" if len(refs) > 12 else "")
    return f"known: {shown}"
