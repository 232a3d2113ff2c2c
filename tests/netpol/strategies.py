"""Hypothesis strategies: small random clusters and policies over a tiny label alphabet."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from labtui.netpol.model import (
    NAMESPACE_NAME_LABEL,
    ContainerPort,
    Direction,
    External,
    IPBlock,
    LabelSelector,
    Namespace,
    Peer,
    Pod,
    Policy,
    PortProtocol,
    PortSpec,
    Rule,
    SelectorRequirement,
    World,
)

NAMESPACES = ("a", "b", "c")
KEYS = ("app", "tier")
VALUES = ("x", "y")
PORTS = (53, 80, 443)
PORT_NAMES = ("http", "dns")
EXTERNALS = tuple(
    External(ipaddress.ip_address(a))
    for a in ("10.0.0.1", "10.9.9.9", "192.168.0.1", "2001:db8::1")
)

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
protocols = st.sampled_from(list(PortProtocol))


@st.composite
def requirements(draw: st.DrawFn) -> SelectorRequirement:
    op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
    values = (
        frozenset(draw(st.sets(st.sampled_from(VALUES), min_size=1)))
        if op in ("In", "NotIn")
        else frozenset()
    )
    return SelectorRequirement(draw(st.sampled_from(KEYS)), op, values)


@st.composite
def selectors(draw: st.DrawFn, keys: tuple[str, ...] = KEYS) -> LabelSelector:
    match = draw(st.dictionaries(st.sampled_from(keys), st.sampled_from(VALUES), max_size=1))
    exprs = draw(st.lists(requirements(), max_size=1))
    return LabelSelector(tuple(sorted(match.items())), tuple(exprs))


ns_selectors = st.one_of(
    st.just(LabelSelector()),
    st.sampled_from(NAMESPACES).map(lambda n: LabelSelector(((NAMESPACE_NAME_LABEL, n),))),
    selectors(("team",)),
)

ip_blocks = st.sampled_from(
    (
        IPBlock(ipaddress.ip_network("10.0.0.0/8"), (ipaddress.ip_network("10.9.0.0/16"),)),
        IPBlock(ipaddress.ip_network("0.0.0.0/0")),
        IPBlock(ipaddress.ip_network("2001:db8::/32")),
    )
)

peers = st.one_of(
    st.builds(Peer, pod_selector=selectors()),
    st.builds(Peer, namespace_selector=ns_selectors),
    st.builds(Peer, pod_selector=selectors(), namespace_selector=ns_selectors),
    st.builds(Peer, ip_block=ip_blocks),
)


@st.composite
def port_specs(draw: st.DrawFn) -> PortSpec:
    proto = draw(protocols)
    kind = draw(st.sampled_from(("none", "number", "range", "name")))
    if kind == "none":
        return PortSpec(proto)
    if kind == "name":
        return PortSpec(proto, draw(st.sampled_from(PORT_NAMES)))
    port = draw(st.sampled_from(PORTS))
    return PortSpec(proto, port, port + draw(st.integers(0, 400)) if kind == "range" else None)


rules = st.builds(
    Rule,
    peers=st.one_of(st.none(), st.lists(peers, max_size=3).map(tuple)),
    ports=st.one_of(st.none(), st.lists(port_specs(), max_size=2).map(tuple)),
)


@st.composite
def policies(draw: st.DrawFn, n: int = 0) -> Policy:
    types = draw(st.sets(st.sampled_from(list(Direction)), min_size=1))
    return Policy(
        f"p{n}-{draw(st.integers(0, 10**6))}",
        draw(st.sampled_from(NAMESPACES)),
        draw(selectors()),
        frozenset(types),
        tuple(draw(st.lists(rules, max_size=2))),
        tuple(draw(st.lists(rules, max_size=2))),
    )


@st.composite
def pods(draw: st.DrawFn, i: int) -> Pod:
    ports = tuple(
        ContainerPort(
            draw(st.sampled_from(PORTS)), draw(protocols), draw(st.sampled_from(PORT_NAMES))
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return Pod(f"pod{i}", draw(st.sampled_from(NAMESPACES)), draw(labels), ports)


@st.composite
def clusters(draw: st.DrawFn, max_policies: int = 4) -> World:
    n = draw(st.integers(1, 6))
    members = [draw(pods(i)) for i in range(n)]
    namespaces = {
        ns: Namespace(
            ns,
            {
                NAMESPACE_NAME_LABEL: ns,
                **draw(st.dictionaries(st.just("team"), st.sampled_from(VALUES))),
            },
        )
        for ns in NAMESPACES
    }
    pols = [draw(policies(i)) for i in range(draw(st.integers(0, max_policies)))]
    return World(namespaces, members, pols)


# --------------------------------------------------------------------------- manifests


def _maybe(
    draw: st.DrawFn, out: dict[str, object], key: str, value: st.SearchStrategy[object]
) -> None:
    if draw(st.booleans()):
        out[key] = draw(value)


@st.composite
def selector_manifests(draw: st.DrawFn) -> dict[str, object]:
    out: dict[str, object] = {}
    _maybe(
        draw,
        out,
        "matchLabels",
        st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2),
    )
    if draw(st.booleans()):
        op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
        expr: dict[str, object] = {"key": draw(st.sampled_from(KEYS)), "operator": op}
        if op in ("In", "NotIn"):
            expr["values"] = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2))
        out["matchExpressions"] = [expr]
    return out


@st.composite
def peer_manifests(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(st.sampled_from(("pods", "namespaces", "both", "block")))
    if kind == "block":
        block: dict[str, object] = {"cidr": "10.0.0.0/8"}
        _maybe(draw, block, "except", st.just(["10.9.0.0/16"]))
        return {"ipBlock": block}
    out: dict[str, object] = {}
    if kind in ("pods", "both"):
        out["podSelector"] = draw(selector_manifests())
    if kind in ("namespaces", "both"):
        out["namespaceSelector"] = draw(selector_manifests())
    return out


@st.composite
def port_manifests(draw: st.DrawFn) -> dict[str, object]:
    out: dict[str, object] = {}
    _maybe(draw, out, "protocol", st.sampled_from([p.value for p in PortProtocol]))
    kind = draw(st.sampled_from(("none", "number", "range", "name")))
    if kind == "name":
        out["port"] = draw(st.sampled_from(PORT_NAMES))
    elif kind != "none":
        out["port"] = draw(st.sampled_from(PORTS))
        if kind == "range":
            out["endPort"] = 1000
    return out


@st.composite
def rule_manifests(draw: st.DrawFn, peer_key: str) -> dict[str, object]:
    out: dict[str, object] = {}
    _maybe(draw, out, peer_key, st.lists(peer_manifests(), max_size=2))
    _maybe(draw, out, "ports", st.lists(port_manifests(), max_size=2))
    return out


@st.composite
def spec_manifests(draw: st.DrawFn) -> dict[str, object]:
    """A NetworkPolicy spec as a learner writes it, optional fields left out at random."""
    out: dict[str, object] = {}
    _maybe(draw, out, "podSelector", selector_manifests())
    _maybe(
        draw,
        out,
        "policyTypes",
        st.sampled_from((["Ingress"], ["Egress"], ["Ingress", "Egress"], [])),
    )
    _maybe(draw, out, "ingress", st.lists(rule_manifests("from"), max_size=2))
    _maybe(draw, out, "egress", st.lists(rule_manifests("to"), max_size=2))
    return out


# The optional fields of each object of a spec, and how to reach the objects inside.
OPTIONAL = {
    "spec": ("podSelector", "policyTypes", "ingress", "egress"),
    "ingress": ("from", "ports"),
    "egress": ("to", "ports"),
    "peer": ("podSelector", "namespaceSelector", "ipBlock"),
    "selector": ("matchLabels", "matchExpressions"),
    "expression": ("values",),
    "ipBlock": ("except",),
    "port": ("protocol", "port", "endPort"),
}


def with_nulls(spec: dict[str, object]) -> dict[str, object]:
    """``spec`` with every optional field it leaves out written as an explicit ``null``."""

    inner = {
        "podSelector": "selector",
        "namespaceSelector": "selector",
        "ipBlock": "ipBlock",
        "ingress": "ingress",
        "egress": "egress",
        "from": "peer",
        "to": "peer",
        "ports": "port",
        "matchExpressions": "expression",
    }

    def fill(obj: object, kind: str) -> object:
        if not isinstance(obj, dict):
            return obj
        out = dict(obj)
        for key, value in obj.items():
            if key in inner:
                out[key] = (
                    [fill(v, inner[key]) for v in value]
                    if isinstance(value, list)
                    else fill(value, inner[key])
                )
        for key in OPTIONAL[kind]:
            out.setdefault(key, None)
        return out

    filled = fill(spec, "spec")
    assert isinstance(filled, dict)
    return filled
