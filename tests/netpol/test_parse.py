"""Reading manifests: documents, Lists, directories, and errors that say file, document and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labtui.errors import InvalidInput
from labtui.netpol.model import Direction, PortProtocol
from labtui.netpol.parse import ManifestError, load, load_text

POLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: prod}}
spec:
  podSelector: {{}}
{body}
"""


def test_multi_document_list_and_workloads(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: Namespace, metadata: {name: prod, labels: {env: prod}}}\n"
        "  - {apiVersion: v1, kind: Pod, metadata: {name: p1, namespace: prod, labels: {app: a}},"
        " spec: {containers: [{name: c, ports: [{containerPort: 53, protocol: UDP, name: dns}]}]}}\n"
        "---\n---\n"
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds, namespace: prod}\n"
        "spec: {template: {metadata: {labels: {app: ds}}, spec: {containers: [{name: c}]}}}\n"
    )
    sub = tmp_path / "more"
    sub.mkdir()
    (sub / "b.json").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "PodList",
                "items": [
                    {"metadata": {"name": "p2", "labels": {"app": "b"}}, "spec": {"containers": []}}
                ],
            }
        )
    )
    (sub / "flows.json").write_text("[1, 2]")
    (sub / "notes.txt").write_text("not a manifest")
    (sub / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
    cluster = load([tmp_path])
    refs = {p.ref: p for p in cluster.pods}
    assert set(refs) == {"prod/p1", "prod/ds", "default/p2"}
    assert refs["prod/p1"].named_port("dns", PortProtocol.UDP) == 53
    assert refs["prod/ds"].kind == "DaemonSet" and refs["prod/ds"].labels == {"app": "ds"}
    assert cluster.namespace_labels("prod") == {
        "env": "prod",
        "kubernetes.io/metadata.name": "prod",
    }
    assert cluster.namespace_labels("default") == {"kubernetes.io/metadata.name": "default"}
    assert any("ConfigMap cm" in i for i in cluster.ignored)
    assert any("flows.json" in i for i in cluster.ignored)


def test_policy_types_defaulting() -> None:
    c = load_text(POLICY.format(body="  egress: [{}]"))
    assert c.policies[0].types == {Direction.ingress, Direction.egress}
    c = load_text(POLICY.format(body="  egress: []\n  policyTypes: []"))
    assert c.policies[0].types == {Direction.ingress}


BAD = [
    ("  ingress:\n    - form: []", "spec.ingress[0].form: unknown field"),
    ("  ingress:\n    - from: [{}]", "spec.ingress[0].from[0]: a peer needs podSelector"),
    (
        "  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]",
        "ipBlock cannot be combined",
    ),
    (
        "  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.300/8}}]",
        "spec.ingress[0].from[0].ipBlock.cidr: '10.0.0.300/8' is not a CIDR",
    ),
    (
        "  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]",
        "11.0.0.0/16 is not strictly inside 10.0.0.0/8",
    ),
    (
        "  ingress:\n    - ports: [{port: http, endPort: 90}]",
        "spec.ingress[0].ports[0].endPort: endPort needs a numeric port",
    ),
    ("  ingress:\n    - ports: [{port: 90, endPort: 80}]", "must be between port (90) and 65535"),
    ("  ingress:\n    - ports: [{port: '80'}]", "write the number without quotes"),
    ("  ingress:\n    - ports: [{port: 70000}]", "70000 is not a port"),
    ("  ingress:\n    - ports: [{port: 80, protocol: tcp}]", "unknown protocol 'tcp'"),
    (
        "  ingress:\n    - from: [{podSelector: {matchExpressions: [{key: a, operator: Is, values: [b]}]}}]",
        "unknown operator 'Is'",
    ),
    (
        "  ingress:\n    - from: [{podSelector: {matchExpressions: [{key: a, operator: In}]}}]",
        "In needs at least one value",
    ),
    (
        "  ingress:\n    - from: [{podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}}]",
        "Exists takes no values",
    ),
    (
        "  ingress:\n    - from: [{podSelector: {matchLabels: {version: 2}}}]",
        'quote it: version: "2"',
    ),
    ("  ingress:\n    from: []", "spec.ingress: expected a list"),
    ("  policyTypes: [ingress]", "spec.policyTypes[0]: unknown policy type 'ingress'"),
    ("  podselector: {}", "spec.podselector: unknown field"),
]


@pytest.mark.parametrize(("body", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_policy_names_file_document_and_field(body: str, message: str) -> None:
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---" + POLICY.format(body=body)
    with pytest.raises(ManifestError) as err:
        load_text(text, "policies/p.yaml")
    # The body starts on line 10; every error points into it.
    assert re.match(r"policies/p\.yaml:1[0-9] \(document 2\): ", str(err.value)), str(err.value)
    assert message in str(err.value)


def test_api_version() -> None:
    with pytest.raises(
        ManifestError, match=re.escape("'extensions/v1beta1' is not networking.k8s.io/v1")
    ):
        load_text(
            "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n"
        )


def test_yaml_syntax_error_names_document() -> None:
    text = "kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n---\nkind: Pod\n  bad: [\n"
    with pytest.raises(ManifestError) as err:
        load_text(text, "w.yaml")
    assert str(err.value).startswith("w.yaml:6 (document 2): not valid YAML")


def test_list_item_is_named() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n  - {kind: Namespace, metadata: {name: a}}\n  - {kind: Pod, metadata: {}}\n"
    with pytest.raises(
        ManifestError,
        match=re.escape(
            "l.yaml:5 (document 1, item 2): metadata.name: expected a non-empty string"
        ),
    ):
        load_text(text, "l.yaml")


def test_duplicates_are_errors() -> None:
    pol = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n"
    with pytest.raises(
        ManifestError,
        match=re.escape("NetworkPolicy default/p is also declared in d.yaml:3 (document 1)"),
    ):
        load_text(pol + "---\n" + pol, "d.yaml")


def test_not_an_object_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "flows.json").write_text("[1]")
    with pytest.raises(
        ManifestError, match=r"flows.json:1 \(document 1\): expected a Kubernetes object"
    ):
        load([tmp_path / "flows.json"])
    with pytest.raises(InvalidInput, match="no such file or directory"):
        load([tmp_path / "missing.yaml"])
    with pytest.raises(ManifestError, match="kind: missing"):
        load_text("metadata: {name: x}\n")


def test_pod_ips_and_owner() -> None:
    c = load_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p-1\n  ownerReferences: [{kind: ReplicaSet, name: rs, controller: true}]\n"
        "spec: {hostNetwork: true, containers: []}\nstatus: {podIP: 10.1.1.1, podIPs: [{ip: 10.1.1.1}, {ip: 'fd00::1'}]}\n"
    )
    pod = c.pods[0]
    assert pod.owner == "rs" and pod.host_network
    assert [str(i) for i in pod.ips] == ["10.1.1.1", "fd00::1"]
