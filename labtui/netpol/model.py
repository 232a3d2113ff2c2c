"""What the NetworkPolicy engine reasons about: namespaces, pods and policies.

Plain frozen dataclasses, built by :mod:`labtui.netpol.parse` from manifests.
A workload (Deployment, CronJob, ...) becomes one representative pod carrying
its template's labels and container ports: every replica is selected by the
same selectors, so one stands for all.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

# Where an object was read is the manifest reader's, shared with everyone who reads one.
from labtui.manifests import Source as Source

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


class PortProtocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


class Direction(StrEnum):
    ingress = "Ingress"
    egress = "Egress"


@dataclass(frozen=True)
class SelectorRequirement:
    """One ``matchExpressions`` entry."""

    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels

    def __str__(self) -> str:
        if self.operator in ("Exists", "DoesNotExist"):
            return self.key if self.operator == "Exists" else f"!{self.key}"
        op = "in" if self.operator == "In" else "notin"
        return f"{self.key} {op} ({','.join(sorted(self.values))})"


@dataclass(frozen=True)
class LabelSelector:
    """``matchLabels`` AND ``matchExpressions``; an empty selector selects everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[SelectorRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.matches(labels) for r in self.expressions
        )

    def failures(self, labels: dict[str, str]) -> list[str]:
        """The terms that do not hold for ``labels``, as a learner would write them."""
        out = [f"{k}={v}" for k, v in self.match_labels if labels.get(k) != v]
        out += [str(r) for r in self.expressions if not r.matches(labels)]
        return out

    def __str__(self) -> str:
        if self.empty:
            return "{} (everything)"
        terms = [f"{k}={v}" for k, v in self.match_labels] + [str(r) for r in self.expressions]
        return ",".join(terms)


@dataclass(frozen=True)
class IPBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def contains(self, ip: IPAddress) -> bool:
        if ip.version != self.cidr.version or ip not in self.cidr:
            return False
        return not any(ip in e for e in self.excepts)

    def __str__(self) -> str:
        if self.excepts:
            return f"{self.cidr} except {', '.join(str(e) for e in self.excepts)}"
        return str(self.cidr)


@dataclass(frozen=True)
class Peer:
    """One element of ``from``/``to``: selectors (ANDed) or an ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {self.namespace_selector}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {self.pod_selector}")
        return " AND ".join(parts)


@dataclass(frozen=True)
class PortSpec:
    """One ``ports`` entry; ``port`` None means every port of the protocol."""

    protocol: PortProtocol = PortProtocol.TCP
    port: int | str | None = None
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"all {self.protocol} ports"
        if self.end_port is not None:
            return f"{self.protocol} {self.port}-{self.end_port}"
        return f"{self.protocol} {self.port}"


@dataclass(frozen=True)
class Rule:
    """An ingress or egress rule; ``peers``/``ports`` None (or empty) means all."""

    peers: tuple[Peer, ...] | None = None
    ports: tuple[PortSpec, ...] | None = None

    @property
    def all_peers(self) -> bool:
        return not self.peers

    @property
    def all_ports(self) -> bool:
        return not self.ports


@dataclass(frozen=True)
class Policy:
    name: str
    namespace: str
    pod_selector: LabelSelector
    types: frozenset[Direction]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    source: Source | None = None

    @cached_property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.ingress else self.egress


@dataclass(frozen=True)
class ContainerPort:
    port: int
    protocol: PortProtocol = PortProtocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class Pod:
    """A pod, or the representative pod of a workload (``kind`` says which)."""

    name: str
    namespace: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    ports: tuple[ContainerPort, ...] = ()
    kind: str = "Pod"
    owner: str | None = None
    ips: tuple[IPAddress, ...] = ()
    host_network: bool = False
    source: Source | None = None

    @cached_property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def named_port(self, name: str, protocol: PortProtocol) -> int | None:
        for p in self.ports:
            if p.name == name and p.protocol is protocol:
                return p.port
        return None


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class External:
    """An address outside the cluster (no pod has it)."""

    ip: IPAddress

    @cached_property
    def ref(self) -> str:
        return str(self.ip)


Endpoint = Pod | External


@dataclass
class World:
    """Everything the manifests declared.

    ``assumed`` lists the namespaces that objects use but no Namespace object
    declares (see :func:`labtui.netpol.parse.finish` for when that is allowed);
    they carry only the ``kubernetes.io/metadata.name`` label.
    """

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)

    def namespace(self, name: str) -> Namespace:
        ns = self.namespaces.get(name)
        if ns is None:
            ns = Namespace(name, {NAMESPACE_NAME_LABEL: name})
            self.namespaces[name] = ns
        return ns

    def namespace_labels(self, name: str) -> dict[str, str]:
        return self.namespace(name).labels
