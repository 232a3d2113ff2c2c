"""Table-driven cases: each names the rule of the NetworkPolicy spec it exercises.

Sources: the Kubernetes documentation "Network Policies"
(concepts/services-networking/network-policies) and the networking.k8s.io/v1
API reference (NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort, IPBlock,
LabelSelector), read with the API server's JSON decoding, where an explicit
null leaves a field unset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from labtui.netpol.evaluate import evaluate, resolve
from tests.netpol.world import policy, world

# --- the rules, as the upstream documentation states them
ISOLATION = "docs §Two sorts of pod isolation: a pod is non-isolated for a direction until a policy selecting it has that direction in policyTypes"
NAMESPACED = "docs §NetworkPolicy resource: a policy selects pods (spec.podSelector) of its own namespace only"
NO_RULES = "NetworkPolicySpec.ingress/egress: an isolated pod with no rule for the direction allows nothing"
TYPES_DEFAULT = "NetworkPolicySpec.policyTypes: unset means Ingress, plus Egress when the policy has egress rules"
TYPES_EXPLICIT = "NetworkPolicySpec.policyTypes: when set, only the listed directions are isolated; rules of other directions are ignored"
EMPTY_RULE = (
    "NetworkPolicyIngressRule/EgressRule: a rule with neither peers nor ports matches all traffic"
)
UNION = "docs §policies are additive: the allowed set is the union of the rules of every policy that isolates the pod"
BOTH_ENDS = "docs §Two sorts of pod isolation: a connection needs the source's egress AND the destination's ingress to allow it"
POD_SELECTOR_PEER = (
    "NetworkPolicyPeer.podSelector alone: pods with these labels in the policy's namespace"
)
NS_SELECTOR_PEER = (
    "NetworkPolicyPeer.namespaceSelector alone: every pod of the namespaces it selects"
)
AND_IN_PEER = "docs §Behavior of to and from selectors: namespaceSelector and podSelector in one element are ANDed"
OR_ACROSS_PEERS = "docs §Behavior of to and from selectors: separate from/to elements are ORed"
EMPTY_POD_SELECTOR = (
    "NetworkPolicyPeer: an empty podSelector selects every pod of the policy's namespace"
)
EMPTY_NS_SELECTOR = "NetworkPolicyPeer: an empty namespaceSelector selects every namespace"
MISSING_PEERS = "NetworkPolicyIngressRule.from / EgressRule.to: empty or missing matches every peer (pods and outside addresses)"
NS_NAME_LABEL = (
    "docs §Targeting a Namespace by its name: every namespace carries kubernetes.io/metadata.name"
)
IN = "LabelSelectorRequirement In: the label is present and its value is in values"
NOT_IN = "LabelSelectorRequirement NotIn: the label is absent or its value is not in values"
EXISTS = "LabelSelectorRequirement Exists: the label key is present"
NOT_EXISTS = "LabelSelectorRequirement DoesNotExist: the label key is absent"
LABELS_AND_EXPR = "LabelSelector: matchLabels and matchExpressions are ANDed"
PORT_NUMBER = "NetworkPolicyPort.port: a number matches that destination port only"
MISSING_PORTS = "NetworkPolicyIngressRule/EgressRule.ports: empty or missing matches every port"
DEFAULT_TCP = "NetworkPolicyPort.protocol: defaults to TCP"
PROTOCOLS = "NetworkPolicyPort.protocol: TCP, UDP and SCTP are matched separately"
PORT_UNSET = "NetworkPolicyPort.port: unset matches every port of the protocol"
END_PORT = "NetworkPolicyPort.endPort: port..endPort inclusive"
NAMED_PORT = (
    "NetworkPolicyPort.port: a name is resolved against the destination pod's container ports"
)
NAMED_PORT_PROTO = "NetworkPolicyPort.port: a named port matches a container port of that name AND the rule's protocol"
IP_BLOCK = "IPBlock: cidr minus every except range; for addresses outside the cluster"
IP_BLOCK_PODS = "docs §ipBlock: meant for cluster-external IPs; pods are selected by selectors, not by their IPs"
IPV6 = "IPBlock.cidr: IPv4 or IPv6; an address only matches a block of its own family"
EXTERNAL = "docs: policies select pods; an outside address is not subject to any policy"
WORKLOAD = "workloads: a Deployment/CronJob's pods carry the labels of its pod template"
ITSELF = "docs §Network Policies (the entities a Pod can communicate with): a pod cannot block access to itself"
REPLICAS = "docs §Network Policies: only a pod's traffic to itself is exempt; two pods of one workload are two pods"
POD_SELECTOR_OPTIONAL = "NetworkPolicySpec.podSelector: optional; unset it is the empty selector, every pod of the policy's namespace"
# An explicit null is decoded as the field being unset (JSON null into a Go pointer,
# slice or struct leaves it nil or zero), so each of these reads as if left out.
NULL_NS_SELECTOR = "NetworkPolicyPeer.namespaceSelector: null is unset, so the peer selects podSelector's pods in the policy's own namespace"
NULL_POD_SELECTOR = "NetworkPolicyPeer.podSelector: null is unset, so the peer selects every pod of the namespaces namespaceSelector selects"
NULL_IP_BLOCK = "NetworkPolicyPeer.ipBlock: null is unset, so it combines with nothing"
NULL_PEERS = (
    "NetworkPolicyIngressRule.from / EgressRule.to: null is missing, so the rule matches every peer"
)
NULL_PORTS = (
    "NetworkPolicyIngressRule/EgressRule.ports: null is missing, so the rule matches every port"
)
NULL_PROTOCOL = "NetworkPolicyPort.protocol: null is unset, so it defaults to TCP"
NULL_EXCEPT = "IPBlock.except: null is missing, so nothing is cut out of cidr"
NULL_SELECTOR_FIELDS = (
    "LabelSelector.matchLabels/matchExpressions: null is missing, so the selector is empty"
)
NULL_SPEC_POD_SELECTOR = "NetworkPolicySpec.podSelector: null is unset, the empty selector"
NULL_TYPES = "NetworkPolicySpec.policyTypes: null is unset, so the default applies"
NULL_RULES = "NetworkPolicySpec.ingress/egress: null is missing, so the policy has no rules of that direction"


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    policies: tuple[dict[str, Any], ...]
    src: str
    dst: str
    port: int
    allowed: bool
    protocol: str = "TCP"


def sel(**labels: str) -> dict[str, Any]:
    return {"matchLabels": labels}


def expr(key: str, op: str, *values: str) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "operator": op}
    if values:
        item["values"] = list(values)
    return {"matchExpressions": [item]}


def ingress_to(
    ns: str, target: dict[str, Any], *rules: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return policy(
        ns, {"podSelector": target, "policyTypes": ["Ingress"], "ingress": list(rules), **extra}
    )


def egress_from(ns: str, target: dict[str, Any], *rules: dict[str, Any]) -> dict[str, Any]:
    return policy(ns, {"podSelector": target, "policyTypes": ["Egress"], "egress": list(rules)})


DB = sel(app="db")
WEB = sel(app="web")
DENY_DB = ingress_to("prod", DB)
FROM = lambda *peers, **kw: {"from": list(peers), **kw}  # noqa: E731
TO = lambda *peers, **kw: {"to": list(peers), **kw}  # noqa: E731


def web_ports(*ports: dict[str, Any]) -> dict[str, Any]:
    return ingress_to("prod", WEB, {"ports": list(ports)})


CASES = [
    # isolation and policyTypes
    Case("no-policy-allows", ISOLATION, (), "other/client", "prod/db", 5432, True),
    Case("selected-pod-isolated", NO_RULES, (DENY_DB,), "prod/api", "prod/db", 5432, False),
    Case("unselected-pod-open", ISOLATION, (DENY_DB,), "other/client", "prod/api", 8081, True),
    Case("ingress-only-keeps-egress", ISOLATION, (DENY_DB,), "prod/db", "other/client", 80, True),
    Case(
        "policy-other-namespace",
        NAMESPACED,
        (policy("dev", {"podSelector": {}}),),
        "prod/web",
        "prod/api",
        8081,
        True,
    ),
    Case(
        "policy-own-namespace",
        NAMESPACED,
        (policy("dev", {"podSelector": {}}),),
        "prod/web",
        "dev/api",
        80,
        False,
    ),
    Case(
        "default-types-ingress",
        TYPES_DEFAULT,
        (policy("prod", {"podSelector": {}}),),
        "prod/web",
        "other/client",
        80,
        True,
    ),
    Case(
        "default-types-egress-rules",
        TYPES_DEFAULT,
        (policy("prod", {"podSelector": WEB, "egress": [TO({"podSelector": sel(app="api")})]}),),
        "prod/web",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "default-types-egress-allowed",
        TYPES_DEFAULT,
        (policy("prod", {"podSelector": WEB, "egress": [TO({"podSelector": sel(app="api")})]}),),
        "prod/web",
        "prod/api",
        8081,
        True,
    ),
    Case(
        "default-types-empty-egress",
        TYPES_DEFAULT,
        (policy("prod", {"podSelector": WEB, "egress": []}),),
        "prod/web",
        "other/client",
        80,
        True,
    ),
    Case(
        "explicit-egress-ignores-ingress",
        TYPES_EXPLICIT,
        (
            policy(
                "prod",
                {
                    "podSelector": WEB,
                    "policyTypes": ["Egress"],
                    "ingress": [FROM({"podSelector": DB})],
                },
            ),
        ),
        "other/client",
        "prod/web",
        8080,
        True,
    ),
    Case(
        "explicit-ingress-ignores-egress",
        TYPES_EXPLICIT,
        (
            policy(
                "prod",
                {
                    "podSelector": WEB,
                    "policyTypes": ["Ingress"],
                    "egress": [TO({"podSelector": DB})],
                },
            ),
        ),
        "prod/web",
        "other/client",
        80,
        True,
    ),
    Case(
        "both-types-no-rules-egress",
        NO_RULES,
        (policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),),
        "prod/web",
        "dev/web",
        80,
        False,
    ),
    Case(
        "both-types-no-rules-ingress",
        NO_RULES,
        (policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),),
        "dev/web",
        "prod/web",
        8080,
        False,
    ),
    Case(
        "empty-ingress-rule",
        EMPTY_RULE,
        (ingress_to("prod", DB, {}),),
        "other/client",
        "prod/db",
        1,
        True,
    ),
    Case(
        "empty-egress-rule",
        EMPTY_RULE,
        (egress_from("prod", WEB, {}),),
        "prod/web",
        "10.1.2.3",
        443,
        True,
    ),
    # union, both ends
    Case(
        "union-first",
        UNION,
        (
            ingress_to("prod", DB, FROM({"podSelector": sel(app="api")})),
            ingress_to("prod", DB, FROM({"podSelector": WEB})),
        ),
        "prod/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "union-second",
        UNION,
        (
            ingress_to("prod", DB, FROM({"podSelector": sel(app="api")})),
            ingress_to("prod", DB, FROM({"podSelector": WEB})),
        ),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "union-neither",
        UNION,
        (
            ingress_to("prod", DB, FROM({"podSelector": sel(app="api")})),
            ingress_to("prod", DB, FROM({"podSelector": WEB})),
        ),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "deny-plus-allow",
        UNION,
        (DENY_DB, ingress_to("prod", DB, FROM({"podSelector": sel(app="api")}))),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "rules-or-in-policy",
        UNION,
        (
            ingress_to(
                "prod", DB, FROM({"podSelector": WEB}), FROM({"podSelector": sel(app="api")})
            ),
        ),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "egress-ok-ingress-denies",
        BOTH_ENDS,
        (egress_from("prod", WEB, {}), DENY_DB),
        "prod/web",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ingress-ok-egress-denies",
        BOTH_ENDS,
        (egress_from("prod", WEB), ingress_to("prod", DB, {})),
        "prod/web",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "both-allow",
        BOTH_ENDS,
        (
            egress_from("prod", WEB, TO({"podSelector": DB})),
            ingress_to("prod", DB, FROM({"podSelector": WEB})),
        ),
        "prod/web",
        "prod/db",
        5432,
        True,
    ),
    # peers
    Case(
        "pod-selector-same-ns",
        POD_SELECTOR_PEER,
        (ingress_to("prod", DB, FROM({"podSelector": sel(app="api")})),),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "pod-selector-other-ns",
        POD_SELECTOR_PEER,
        (ingress_to("prod", DB, FROM({"podSelector": sel(app="api")})),),
        "dev/api",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ns-selector-match",
        NS_SELECTOR_PEER,
        (ingress_to("prod", DB, FROM({"namespaceSelector": sel(env="dev")})),),
        "dev/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "ns-selector-miss",
        NS_SELECTOR_PEER,
        (ingress_to("prod", DB, FROM({"namespaceSelector": sel(env="dev")})),),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "and-both-match",
        AND_IN_PEER,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(env="dev"), "podSelector": sel(app="api")}),
            ),
        ),
        "dev/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "and-pod-misses",
        AND_IN_PEER,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(env="dev"), "podSelector": sel(app="api")}),
            ),
        ),
        "dev/web",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "and-ns-misses",
        AND_IN_PEER,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(env="dev"), "podSelector": sel(app="api")}),
            ),
        ),
        "prod/api",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "or-ns-branch",
        OR_ACROSS_PEERS,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(env="dev")}, {"podSelector": sel(app="api")}),
            ),
        ),
        "dev/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "or-pod-branch",
        OR_ACROSS_PEERS,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(env="dev")}, {"podSelector": sel(app="api")}),
            ),
        ),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "or-neither",
        OR_ACROSS_PEERS,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(env="dev")}, {"podSelector": sel(app="api")}),
            ),
        ),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "empty-pod-selector-own-ns",
        EMPTY_POD_SELECTOR,
        (ingress_to("prod", DB, FROM({"podSelector": {}})),),
        "prod/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "empty-pod-selector-not-other",
        EMPTY_POD_SELECTOR,
        (ingress_to("prod", DB, FROM({"podSelector": {}})),),
        "dev/web",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "empty-ns-selector-all",
        EMPTY_NS_SELECTOR,
        (ingress_to("prod", DB, FROM({"namespaceSelector": {}})),),
        "other/nolabels",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "empty-ns-selector-no-external",
        EMPTY_NS_SELECTOR,
        (ingress_to("prod", DB, FROM({"namespaceSelector": {}})),),
        "10.0.0.5",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "empty-ns-with-pod",
        EMPTY_NS_SELECTOR,
        (ingress_to("prod", DB, FROM({"namespaceSelector": {}, "podSelector": sel(app="api")})),),
        "dev/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "empty-ns-with-pod-miss",
        EMPTY_NS_SELECTOR,
        (ingress_to("prod", DB, FROM({"namespaceSelector": {}, "podSelector": sel(app="api")})),),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "missing-from-external",
        MISSING_PEERS,
        (ingress_to("prod", DB, {"ports": [{"port": 5432}]}),),
        "10.0.0.5",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "empty-from-list",
        MISSING_PEERS,
        (ingress_to("prod", DB, {"from": []}),),
        "other/client",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "missing-to-external",
        MISSING_PEERS,
        (egress_from("prod", WEB, {"ports": [{"port": 443}]}),),
        "prod/web",
        "2001:db8::1",
        443,
        True,
    ),
    Case(
        "ns-name-label",
        NS_NAME_LABEL,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": sel(**{"kubernetes.io/metadata.name": "dev"})}),
            ),
        ),
        "dev/web",
        "prod/db",
        5432,
        True,
    ),
    # expressions
    Case(
        "in-match",
        IN,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": {}, "podSelector": expr("app", "In", "api", "web")}),
            ),
        ),
        "prod/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "in-miss",
        IN,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": {}, "podSelector": expr("app", "In", "api", "web")}),
            ),
        ),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "in-missing-key",
        IN,
        (
            ingress_to(
                "prod", DB, FROM({"namespaceSelector": {}, "podSelector": expr("app", "In", "api")})
            ),
        ),
        "other/nolabels",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "notin-match",
        NOT_IN,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": {}, "podSelector": expr("app", "NotIn", "client")}),
            ),
        ),
        "prod/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "notin-missing-key",
        NOT_IN,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": {}, "podSelector": expr("app", "NotIn", "client")}),
            ),
        ),
        "other/nolabels",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "notin-miss",
        NOT_IN,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": {}, "podSelector": expr("app", "NotIn", "client")}),
            ),
        ),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "exists-match",
        EXISTS,
        (ingress_to("prod", DB, FROM({"podSelector": expr("tier", "Exists")})),),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "exists-miss",
        EXISTS,
        (
            ingress_to(
                "prod", DB, FROM({"namespaceSelector": {}, "podSelector": expr("tier", "Exists")})
            ),
        ),
        "other/nolabels",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "not-exists-match",
        NOT_EXISTS,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"namespaceSelector": {}, "podSelector": expr("tier", "DoesNotExist")}),
            ),
        ),
        "other/client",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "not-exists-miss",
        NOT_EXISTS,
        (ingress_to("prod", DB, FROM({"podSelector": expr("tier", "DoesNotExist")})),),
        "prod/web",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "labels-and-expr",
        LABELS_AND_EXPR,
        (
            ingress_to(
                "prod", DB, FROM({"podSelector": {**sel(app="api"), **expr("tier", "In", "be")}})
            ),
        ),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "labels-and-expr-miss",
        LABELS_AND_EXPR,
        (
            ingress_to(
                "prod", DB, FROM({"podSelector": {**sel(app="api"), **expr("tier", "NotIn", "be")}})
            ),
        ),
        "prod/api",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ns-expr-match",
        IN,
        (ingress_to("prod", DB, FROM({"namespaceSelector": expr("team", "Exists")})),),
        "dev/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "ns-expr-miss",
        EXISTS,
        (ingress_to("prod", DB, FROM({"namespaceSelector": expr("team", "Exists")})),),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "policy-selector-expr",
        IN,
        (ingress_to("prod", expr("app", "In", "db", "x")),),
        "prod/web",
        "prod/db",
        5432,
        False,
    ),
    # ports
    Case(
        "port-number-match",
        PORT_NUMBER,
        (web_ports({"port": 8080}),),
        "other/client",
        "prod/web",
        8080,
        True,
    ),
    Case(
        "port-number-miss",
        PORT_NUMBER,
        (web_ports({"port": 8080}),),
        "other/client",
        "prod/web",
        8081,
        False,
    ),
    Case(
        "missing-ports",
        MISSING_PORTS,
        (ingress_to("prod", WEB, FROM({"namespaceSelector": {}})),),
        "other/client",
        "prod/web",
        12345,
        True,
    ),
    Case(
        "empty-ports-list",
        MISSING_PORTS,
        (ingress_to("prod", WEB, {"ports": []}),),
        "other/client",
        "prod/web",
        23,
        True,
    ),
    Case(
        "default-tcp",
        DEFAULT_TCP,
        (web_ports({"port": 5353}),),
        "other/client",
        "prod/web",
        5353,
        False,
        "UDP",
    ),
    Case(
        "default-tcp-match",
        DEFAULT_TCP,
        (web_ports({"port": 5353}),),
        "other/client",
        "prod/web",
        5353,
        True,
    ),
    Case(
        "udp-rule",
        PROTOCOLS,
        (web_ports({"port": 5353, "protocol": "UDP"}),),
        "other/client",
        "prod/web",
        5353,
        True,
        "UDP",
    ),
    Case(
        "sctp-rule",
        PROTOCOLS,
        (web_ports({"port": 3868, "protocol": "SCTP"}),),
        "other/client",
        "prod/web",
        3868,
        True,
        "SCTP",
    ),
    Case(
        "sctp-rule-tcp",
        PROTOCOLS,
        (web_ports({"port": 3868, "protocol": "SCTP"}),),
        "other/client",
        "prod/web",
        3868,
        False,
    ),
    Case(
        "protocol-only-udp",
        PORT_UNSET,
        (web_ports({"protocol": "UDP"}),),
        "other/client",
        "prod/web",
        40000,
        True,
        "UDP",
    ),
    Case(
        "protocol-only-tcp",
        PORT_UNSET,
        (web_ports({"protocol": "UDP"}),),
        "other/client",
        "prod/web",
        40000,
        False,
    ),
    Case(
        "end-port-upper",
        END_PORT,
        (web_ports({"port": 8000, "endPort": 8100}),),
        "other/client",
        "prod/web",
        8100,
        True,
    ),
    Case(
        "end-port-lower",
        END_PORT,
        (web_ports({"port": 8000, "endPort": 8100}),),
        "other/client",
        "prod/web",
        8000,
        True,
    ),
    Case(
        "end-port-above",
        END_PORT,
        (web_ports({"port": 8000, "endPort": 8100}),),
        "other/client",
        "prod/web",
        8101,
        False,
    ),
    Case(
        "end-port-below",
        END_PORT,
        (web_ports({"port": 8000, "endPort": 8100}),),
        "other/client",
        "prod/web",
        7999,
        False,
    ),
    Case(
        "named-port",
        NAMED_PORT,
        (web_ports({"port": "http"}),),
        "other/client",
        "prod/web",
        8080,
        True,
    ),
    Case(
        "named-port-other-number",
        NAMED_PORT,
        (web_ports({"port": "http"}),),
        "other/client",
        "prod/web",
        8081,
        False,
    ),
    Case(
        "named-port-per-dst",
        NAMED_PORT,
        (ingress_to("prod", {}, {"ports": [{"port": "http"}]}),),
        "other/client",
        "prod/api",
        8081,
        True,
    ),
    Case(
        "named-port-absent",
        NAMED_PORT,
        (ingress_to("prod", {}, {"ports": [{"port": "http"}]}),),
        "other/client",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "named-port-protocol",
        NAMED_PORT_PROTO,
        (web_ports({"port": "mdns"}),),
        "other/client",
        "prod/web",
        5353,
        False,
    ),
    Case(
        "named-port-protocol-udp",
        NAMED_PORT_PROTO,
        (web_ports({"port": "mdns", "protocol": "UDP"}),),
        "other/client",
        "prod/web",
        5353,
        True,
        "UDP",
    ),
    Case(
        "named-egress-port",
        NAMED_PORT,
        (egress_from("prod", sel(app="api"), TO({"podSelector": WEB}, ports=[{"port": "http"}])),),
        "prod/api",
        "prod/web",
        8080,
        True,
    ),
    Case(
        "named-egress-external",
        NAMED_PORT,
        (
            egress_from(
                "prod", WEB, TO({"ipBlock": {"cidr": "0.0.0.0/0"}}, ports=[{"port": "http"}])
            ),
        ),
        "prod/web",
        "10.0.0.5",
        8080,
        False,
    ),
    # ipBlock
    Case(
        "ipblock-in",
        IP_BLOCK,
        (
            ingress_to(
                "prod", DB, FROM({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}})
            ),
        ),
        "10.0.0.5",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "ipblock-out",
        IP_BLOCK,
        (
            ingress_to(
                "prod", DB, FROM({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}})
            ),
        ),
        "192.168.1.10",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ipblock-except",
        IP_BLOCK,
        (
            ingress_to(
                "prod", DB, FROM({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}})
            ),
        ),
        "10.1.2.3",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ipblock-not-pods",
        IP_BLOCK_PODS,
        (ingress_to("prod", DB, FROM({"ipBlock": {"cidr": "0.0.0.0/0"}})),),
        "prod/api",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ipv6-in",
        IPV6,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:0:1::/64"]}}),
            ),
        ),
        "2001:db8::5",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "ipv6-except",
        IPV6,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:0:1::/64"]}}),
            ),
        ),
        "2001:db8:0:1::5",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "ipv4-block-ipv6-addr",
        IPV6,
        (ingress_to("prod", DB, FROM({"ipBlock": {"cidr": "0.0.0.0/0"}})),),
        "2001:db8::5",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "egress-ipblock-in",
        IP_BLOCK,
        (egress_from("prod", WEB, TO({"ipBlock": {"cidr": "203.0.113.0/24"}})),),
        "prod/web",
        "203.0.113.9",
        443,
        True,
    ),
    Case(
        "egress-ipblock-out",
        IP_BLOCK,
        (egress_from("prod", WEB, TO({"ipBlock": {"cidr": "203.0.113.0/24"}})),),
        "prod/web",
        "198.51.100.9",
        443,
        False,
    ),
    Case(
        "external-source-not-subject",
        EXTERNAL,
        (egress_from("prod", {}),),
        "10.0.0.5",
        "dev/web",
        80,
        True,
    ),
    Case("pod-to-external-open", ISOLATION, (), "prod/web", "8.8.8.8", 53, True, "UDP"),
    # workloads
    Case(
        "deployment-template-labels",
        WORKLOAD,
        (ingress_to("prod", sel(app="worker")),),
        "prod/web",
        "prod/worker",
        7000,
        False,
    ),
    Case(
        "deployment-metadata-labels-unused",
        WORKLOAD,
        (ingress_to("prod", sel(app="not-the-template")),),
        "prod/web",
        "prod/worker",
        7000,
        True,
    ),
    # a pod and itself
    Case(
        "pod-to-itself-isolated",
        ITSELF,
        (policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),),
        "prod/db",
        "prod/db",
        5432,
        True,
    ),
    Case("pod-to-itself-open", ITSELF, (), "other/client", "other/client", 80, True),
    Case(
        "workload-replicas-isolated",
        REPLICAS,
        (policy("prod", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),),
        "prod/worker",
        "prod/worker",
        7000,
        False,
    ),
    # an optional spec.podSelector
    Case(
        "no-pod-selector-isolates-namespace",
        POD_SELECTOR_OPTIONAL,
        (policy("prod", {"policyTypes": ["Ingress"]}),),
        "other/client",
        "prod/web",
        8080,
        False,
    ),
    Case(
        "no-spec-isolates-namespace",
        POD_SELECTOR_OPTIONAL,
        (policy("prod", {}),),
        "prod/api",
        "prod/db",
        5432,
        False,
    ),
    # explicit nulls read as unset
    Case(
        "null-ns-selector-other-namespace",
        NULL_NS_SELECTOR,
        (ingress_to("prod", DB, FROM({"podSelector": sel(app="api"), "namespaceSelector": None})),),
        "dev/api",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "null-ns-selector-own-namespace",
        NULL_NS_SELECTOR,
        (ingress_to("prod", DB, FROM({"podSelector": sel(app="api"), "namespaceSelector": None})),),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "null-pod-selector-other-namespace",
        NULL_POD_SELECTOR,
        (ingress_to("prod", DB, FROM({"podSelector": None, "namespaceSelector": sel(env="dev")})),),
        "dev/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "null-ip-block-with-pod-selector",
        NULL_IP_BLOCK,
        (ingress_to("prod", DB, FROM({"podSelector": sel(app="api"), "ipBlock": None})),),
        "prod/api",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "null-from",
        NULL_PEERS,
        (ingress_to("prod", DB, {"from": None, "ports": [{"port": 5432}]}),),
        "10.1.2.3",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "null-to",
        NULL_PEERS,
        (egress_from("prod", WEB, {"to": None}),),
        "prod/web",
        "other/client",
        80,
        True,
    ),
    Case(
        "null-ports",
        NULL_PORTS,
        (ingress_to("prod", DB, FROM({"podSelector": sel(app="api")}, ports=None)),),
        "prod/api",
        "prod/db",
        6000,
        True,
    ),
    Case(
        "null-protocol-is-tcp",
        NULL_PROTOCOL,
        (web_ports({"protocol": None, "port": 8080}),),
        "other/client",
        "prod/web",
        8080,
        True,
    ),
    Case(
        "null-protocol-not-udp",
        NULL_PROTOCOL,
        (web_ports({"protocol": None, "port": 5353}),),
        "other/client",
        "prod/web",
        5353,
        False,
        "UDP",
    ),
    Case(
        "null-except",
        NULL_EXCEPT,
        (ingress_to("prod", DB, FROM({"ipBlock": {"cidr": "10.0.0.0/8", "except": None}})),),
        "10.1.2.3",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "null-match-labels-and-expressions",
        NULL_SELECTOR_FIELDS,
        (
            ingress_to(
                "prod",
                DB,
                FROM({"podSelector": {"matchLabels": None, "matchExpressions": None}}),
            ),
        ),
        "prod/web",
        "prod/db",
        5432,
        True,
    ),
    Case(
        "null-spec-pod-selector",
        NULL_SPEC_POD_SELECTOR,
        (policy("prod", {"podSelector": None, "policyTypes": ["Ingress"]}),),
        "other/client",
        "prod/api",
        8081,
        False,
    ),
    Case(
        "null-policy-types-default",
        NULL_TYPES,
        (policy("prod", {"podSelector": WEB, "policyTypes": None, "egress": None}),),
        "prod/web",
        "other/client",
        80,
        True,
    ),
    Case(
        "null-ingress-denies",
        NULL_RULES,
        (policy("prod", {"podSelector": DB, "policyTypes": ["Ingress"], "ingress": None}),),
        "prod/api",
        "prod/db",
        5432,
        False,
    ),
    Case(
        "cronjob-template-labels",
        WORKLOAD,
        (ingress_to("prod", sel(app="backup")),),
        "prod/web",
        "prod/backup",
        22,
        False,
    ),
]


def test_enough_cases_and_every_rule_used() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    rules = {
        v
        for k, v in globals().items()
        if k.isupper()
        and isinstance(v, str)
        and (v.startswith(("docs", "Network", "IPBlock", "LabelSelector", "workloads")))
    }
    assert rules <= {c.rule for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    cluster = world(*case.policies)
    verdict = evaluate(
        cluster, resolve(cluster, case.src), resolve(cluster, case.dst), case.port, case.protocol
    )
    assert verdict.allowed is case.allowed, f"{case.rule}\n{verdict.reason}"
    assert verdict.reason.startswith("allowed" if case.allowed else "denied")
