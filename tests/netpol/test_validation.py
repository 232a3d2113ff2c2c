"""Manifests the API server rejects are rejected here, with file, line and field; none is answered.

Each case cites the upstream rule it follows:
- strict field validation (``fieldValidation=Strict``, kubectl's default): unknown
  and duplicate fields, in every object the engine reads;
- k8s.io/kubernetes pkg/apis/networking/validation/validation.go:
  ``ValidateNetworkPolicySpec``, ``ValidateNetworkPolicyPeer``,
  ``ValidateNetworkPolicyPort``, ``ValidateIPBlock``;
- k8s.io/kubernetes pkg/apis/core/validation/validation.go:
  ``validateContainerPorts``;
- k8s.io/apimachinery pkg/util/validation: ``IsValidPortName`` (IANA_SVC_NAME),
  ``IsQualifiedName``, ``IsValidLabelValue``, ``IsDNS1123Label``,
  ``IsValidCIDRForLegacyField`` (pkg/api/validation);
- the NamespaceLifecycle admission plugin: no object in a namespace that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from labtui.netpol.evaluate import evaluate, resolve
from labtui.netpol.model import Direction
from labtui.netpol.parse import ManifestError, load_text

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n"
POD = """apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec:
  containers:
    - name: db
      ports:
        - {name: pg, containerPort: 5432}
"""


def policy(spec: str, meta: str = "{name: p, namespace: prod}") -> str:
    """A policy in prod; ``podSelector: {}`` is added at the end unless ``spec`` has one."""
    if not re.search("^  podSelector:", spec, re.MULTILINE):
        spec += "  podSelector: {}\n"
    return f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {meta}\nspec:\n{spec}"


def docs(*texts: str) -> str:
    return "---\n".join(texts)


@dataclass(frozen=True)
class Bad:
    id: str
    rule: str
    text: str
    where: str  # "LINE (document N): field path"
    message: str


STRICT = "strict field validation: unknown field"
DUPLICATE = "strict field validation: duplicate field"
PEER = "ValidateNetworkPolicyPeer: must specify a peer; ipBlock alone"
PORT_NAME = "ValidateNetworkPolicyPort -> IsValidPortName (IANA_SVC_NAME)"
CONTAINER_PORTS = "validateContainerPorts: IsValidPortName, names unique in a container"
TYPES = "ValidateNetworkPolicySpec: may not specify more than two policyTypes"
CIDR = "ValidateIPBlock -> IsValidCIDRForLegacyField: ADDRESS/PREFIX-LENGTH"
LABELS = "ValidateLabelSelector / ValidateLabels: IsQualifiedName keys, IsValidLabelValue values"
NAMESPACES = "NamespaceLifecycle admission: the namespace must exist; names are IsDNS1123Label"

BAD = [
    Bad(
        "metadata-typo",
        STRICT,
        docs(NAMESPACE, POD, policy("  podSelector: {}\n", "\n  name: p\n  namespce: prod")),
        "18 (document 3): metadata.namespce",
        "unknown field",
    ),
    Bad(
        "top-level-typo",
        STRICT,
        docs(NAMESPACE, POD.replace("spec:", "specs:")),
        "8 (document 2): specs",
        "unknown field",
    ),
    Bad(
        "policy-top-level-typo",
        STRICT,
        docs(NAMESPACE, policy("  podSelector: {}\n") + "ingress: []\n"),
        "10 (document 2): ingress",
        "unknown field",
    ),
    Bad(
        "pod-spec-typo",
        STRICT,
        docs(NAMESPACE, POD.replace("spec:\n", "spec:\n  hostnetwork: true\n")),
        "9 (document 2): spec.hostnetwork",
        "unknown field",
    ),
    Bad(
        "container-typo",
        STRICT,
        docs(NAMESPACE, POD.replace("      ports:", "      port:")),
        "11 (document 2): spec.containers[0].port",
        "unknown field",
    ),
    Bad(
        "container-port-typo",
        STRICT,
        docs(NAMESPACE, POD.replace("containerPort", "containerport")),
        "12 (document 2): spec.containers[0].ports[0].containerport",
        "unknown field",
    ),
    Bad(
        "workload-spec-typo",
        STRICT,
        docs(
            NAMESPACE,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: prod}\n"
            "spec:\n  templates: {metadata: {labels: {app: d}}}\n",
        ),
        "9 (document 2): spec.templates",
        "unknown field",
    ),
    Bad(
        "template-metadata-typo",
        STRICT,
        docs(
            NAMESPACE,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: prod}\n"
            "spec:\n  template:\n    metadata:\n      label: {app: d}\n",
        ),
        "11 (document 2): spec.template.metadata.label",
        "unknown field",
    ),
    Bad(
        "namespace-metadata-typo",
        STRICT,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  lables: {env: prod}\n",
        "5 (document 1): metadata.lables",
        "unknown field",
    ),
    Bad(
        "list-typo",
        STRICT,
        "apiVersion: v1\nkind: List\nitem:\n  - {kind: Namespace, metadata: {name: prod}}\n",
        "3 (document 1): item",
        "unknown field",
    ),
    Bad(
        "owner-reference-typo",
        STRICT,
        docs(
            NAMESPACE,
            POD.replace(
                "metadata: {name: db, namespace: prod, labels: {app: db}}",
                "metadata:\n  name: db\n  namespace: prod\n  ownerReferences:\n"
                "    - {kind: ReplicaSet, name: rs, controler: true}",
            ),
        ),
        "11 (document 2): metadata.ownerReferences[0].controler",
        "unknown field",
    ),
    Bad(
        "pod-status-typo",
        STRICT,
        docs(NAMESPACE, POD + "status:\n  podIPs:\n    - {address: 10.0.0.5}\n"),
        "15 (document 2): status.podIPs[0].address",
        "unknown field",
    ),
    Bad(
        "policy-status-content",
        STRICT,
        docs(NAMESPACE, policy("  podSelector: {}\n") + "status: {phase: Ready}\n"),
        "10 (document 2): status.phase",
        "unknown field",
    ),
    Bad(
        "duplicate-field",
        DUPLICATE,
        docs(NAMESPACE, policy("  podSelector: {}\n  ingress: []\n  ingress: [{}]\n")),
        "11 (document 2): field 'ingress' appears twice in one mapping",
        "the API server rejects a duplicate field",
    ),
    Bad(
        "undeclared-namespace",
        NAMESPACES,
        docs(NAMESPACE, policy("  podSelector: {}\n", "{name: p, namespace: prd}")),
        "7 (document 2): metadata.namespace",
        "NetworkPolicy prd/p is in namespace prd, which no Namespace object declares",
    ),
    Bad(
        "undeclared-namespace-of-a-pod",
        NAMESPACES,
        docs(NAMESPACE, POD.replace("namespace: prod", "namespace: shop")),
        "7 (document 2): metadata.namespace",
        "Pod shop/db is in namespace shop, which no Namespace object declares",
    ),
    Bad(
        "namespace-name",
        NAMESPACES,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: Prod}\n",
        "3 (document 1): metadata.name",
        "'Prod' is not a namespace name",
    ),
    Bad(
        "namespace-twice",
        NAMESPACES,
        docs(NAMESPACE, NAMESPACE),
        "7 (document 2): metadata.name",
        "Namespace prod is declared twice",
    ),
    Bad(
        "null-pod-selector-alone",
        PEER,
        docs(NAMESPACE, policy("  ingress:\n    - from:\n        - podSelector: null\n")),
        "11 (document 2): spec.ingress[0].from[0]",
        "a peer needs podSelector, namespaceSelector or ipBlock (podSelector: null is the same",
    ),
    Bad(
        "null-selectors-and-block",
        PEER,
        docs(
            NAMESPACE,
            policy("  egress:\n    - to: [{namespaceSelector: null, ipBlock: null}]\n"),
        ),
        "10 (document 2): spec.egress[0].to[0]",
        "a peer needs podSelector, namespaceSelector or ipBlock",
    ),
    Bad(
        "empty-peer",
        PEER,
        docs(NAMESPACE, policy("  ingress:\n    - from: [{}]\n")),
        "10 (document 2): spec.ingress[0].from[0]",
        "a peer needs podSelector, namespaceSelector or ipBlock",
    ),
    Bad(
        "cidr-without-prefix",
        CIDR,
        docs(NAMESPACE, policy("  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.1}}]\n")),
        "10 (document 2): spec.ingress[0].from[0].ipBlock.cidr",
        "'10.0.0.1' is not a CIDR (it needs /PREFIX-LENGTH)",
    ),
    Bad(
        "except-without-prefix",
        CIDR,
        docs(
            NAMESPACE,
            policy(
                "  egress:\n    - to:\n        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.1.1]}\n"
            ),
        ),
        "11 (document 2): spec.egress[0].to[0].ipBlock.except[0]",
        "'10.1.1.1' is not a CIDR",
    ),
    Bad(
        "cidr-netmask",
        CIDR,
        docs(
            NAMESPACE, policy("  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/255.0.0.0}}]\n")
        ),
        "10 (document 2): spec.ingress[0].from[0].ipBlock.cidr",
        "is not a CIDR",
    ),
    Bad(
        "cidr-null",
        CIDR,
        docs(NAMESPACE, policy("  ingress:\n    - from: [{ipBlock: {cidr: null}}]\n")),
        "10 (document 2): spec.ingress[0].from[0].ipBlock.cidr",
        "required",
    ),
    Bad(
        "policy-types-three",
        TYPES,
        docs(NAMESPACE, policy("  policyTypes: [Ingress, Egress, Ingress]\n")),
        "9 (document 2): spec.policyTypes",
        "3 entries; the API server accepts at most two",
    ),
    Bad(
        "label-key-in-selector",
        LABELS,
        docs(NAMESPACE, policy("  podSelector: {matchLabels: {-app: db}}\n")),
        "9 (document 2): spec.podSelector.matchLabels.-app",
        "'-app' is not a label key",
    ),
    Bad(
        "label-value-in-selector",
        LABELS,
        docs(NAMESPACE, policy("  podSelector: {matchLabels: {app: my db}}\n")),
        "9 (document 2): spec.podSelector.matchLabels.app",
        "'my db' is not valid in a selector",
    ),
    Bad(
        "label-value-in-expression",
        LABELS,
        docs(
            NAMESPACE,
            policy(
                "  podSelector:\n    matchExpressions: [{key: app, operator: In, values: [a/b]}]\n"
            ),
        ),
        "10 (document 2): spec.podSelector.matchExpressions[0].values",
        "'a/b' is not a label value",
    ),
    Bad(
        "label-of-a-pod",
        LABELS,
        docs(NAMESPACE, POD.replace("{app: db}", "{app: db_}")),
        "7 (document 2): metadata.labels.app",
        "'db_' is not valid in a label",
    ),
]

PORT_NAMES = [
    ("a--b", "must not contain consecutive hyphens"),
    ("HTTP", "must contain only lower-case letters"),
    ("web-frontend-http", "must be no more than 15 characters"),
    ("-http", "must not begin or end with a hyphen"),
    ("http-", "must not begin or end with a hyphen"),
    ("h_ttp", "must contain only lower-case letters"),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_rejected_with_file_line_and_field(case: Bad) -> None:
    with pytest.raises(ManifestError) as err:
        load_text(case.text, "m.yaml")
    text = str(err.value)
    assert text.startswith(f"m.yaml:{case.where}"), f"{case.rule}\n{text}"
    assert case.message in text, f"{case.rule}\n{text}"


@pytest.mark.parametrize(("name", "problem"), PORT_NAMES, ids=[n for n, _ in PORT_NAMES])
def test_policy_port_names_are_iana_service_names(name: str, problem: str) -> None:
    text = docs(NAMESPACE, policy(f"  ingress:\n    - ports: [{{port: {name}}}]\n"))
    with pytest.raises(ManifestError) as err:
        load_text(text, "m.yaml")
    assert str(err.value).startswith("m.yaml:10 (document 2): spec.ingress[0].ports[0].port: ")
    assert f"{name!r} is not a valid port name: {problem}" in str(err.value), PORT_NAME


@pytest.mark.parametrize(("name", "problem"), PORT_NAMES, ids=[n for n, _ in PORT_NAMES])
def test_container_port_names_are_iana_service_names(name: str, problem: str) -> None:
    with pytest.raises(ManifestError) as err:
        load_text(docs(NAMESPACE, POD.replace("name: pg", f"name: {name}")), "m.yaml")
    assert str(err.value).startswith("m.yaml:12 (document 2): spec.containers[0].ports[0].name: ")
    assert f"{name!r} is not a valid port name: {problem}" in str(err.value), CONTAINER_PORTS


def test_container_port_names_are_unique_within_a_container() -> None:
    twice = POD + "        - {name: pg, containerPort: 5433}\n"
    with pytest.raises(ManifestError) as err:
        load_text(docs(NAMESPACE, twice), "m.yaml")
    assert str(err.value).startswith("m.yaml:13 (document 2): spec.containers[0].ports[1].name: ")
    assert "the container already has a port named pg" in str(err.value), CONTAINER_PORTS
    # validateContainerPorts checks each container on its own: two containers may share a name.
    other = POD + "    - name: sidecar\n      ports: [{name: pg, containerPort: 6432}]\n"
    assert len(load_text(docs(NAMESPACE, other)).pods[0].ports) == 2


def test_a_typo_in_metadata_no_longer_moves_the_policy() -> None:
    """Before: namespce was dropped, the policy landed in default and prod/db stayed open."""
    deny = policy("  podSelector: {}\n", "\n  name: deny\n  namespce: prod")
    with pytest.raises(ManifestError, match="did you mean namespace"):
        load_text(docs(NAMESPACE, POD, deny), "m.yaml")
    cluster = load_text(docs(NAMESPACE, POD, deny.replace("namespce", "namespace")))
    db = resolve(cluster, "prod/db")
    assert not evaluate(cluster, resolve(cluster, "10.0.0.1"), db, 5432).allowed


def test_two_equal_policy_types_pass_validation() -> None:
    """policyTypes is an atomic list: ValidateNetworkPolicySpec rejects only more than two."""
    cluster = load_text(docs(NAMESPACE, policy("  policyTypes: [Egress, Egress]\n")))
    assert cluster.policies[0].types == {Direction.egress}


def test_namespaces_every_cluster_has_need_no_declaration() -> None:
    """default, kube-system, kube-public and kube-node-lease are created by the API server."""
    dns = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: dns, namespace: kube-system}\n"
        "spec: {containers: []}\n"
    )
    plain = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n"
    cluster = load_text(docs(NAMESPACE, dns, plain))
    assert cluster.assumed == ["kube-system", "default"]
    assert "prod" not in cluster.assumed


def test_without_namespace_objects_every_namespace_is_assumed() -> None:
    cluster = load_text(docs(POD, policy("  podSelector: {}\n", "{name: p, namespace: shop}")))
    assert cluster.assumed == ["prod", "shop"]
    assert cluster.namespace_labels("shop") == {"kubernetes.io/metadata.name": "shop"}


def test_unknown_field_hint_suggests_the_field() -> None:
    with pytest.raises(ManifestError) as err:
        load_text(docs(NAMESPACE, POD.replace("      ports:", "      prots:")), "m.yaml")
    assert err.value.hint == "did you mean ports?"
    with pytest.raises(ManifestError) as err:
        load_text(docs(NAMESPACE, policy("  podSelector: {}\n  zzz: 1\n")), "m.yaml")
    assert re.search("allowed here: podSelector, policyTypes, ingress, egress", err.value.hint)
