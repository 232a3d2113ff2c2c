"""The lab's files are the truth on a cluster: namespaces with their labels, policies
applied, a policy removed from the files deleted, nothing touched that is not the lab's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labtui.names import SCENARIO_LABEL
from labtui.netpol.kube_sync import lab_objects, sync

NETPOL = "networking.k8s.io/v1"


class FakeKube:
    def __init__(self) -> None:
        self.namespaces: dict[str, dict[str, str]] = {"kube-system": {"x": "y"}}
        self.policies: dict[tuple[str, str], dict[str, Any]] = {}
        self.deleted: list[tuple[str, str]] = []
        self.applied: list[tuple[str, str]] = []

    def get(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> Any:
        assert plural == "namespaces"
        if name not in self.namespaces:
            return None
        return {"metadata": {"name": name, "labels": dict(self.namespaces[name])}}

    def ensure_namespace(
        self, name: str, labels: dict[str, str] | None = None, field_manager: str = ""
    ) -> dict[str, Any]:
        self.namespaces.setdefault(name, {}).update(labels or {})
        return {}

    def list_objects(
        self, api_version: str, plural: str, namespace: str | None = None, label_selector: str = ""
    ) -> list[dict[str, Any]]:
        key, _, value = label_selector.partition("=")
        return [
            p
            for p in self.policies.values()
            if (p["metadata"].get("labels") or {}).get(key) == value
        ]

    def delete(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> bool:
        assert namespace is not None
        self.deleted.append((namespace, name))
        return self.policies.pop((namespace, name), None) is not None

    def apply(
        self, obj: dict[str, Any], namespace: str | None = None, field_manager: str = ""
    ) -> dict[str, Any]:
        meta = obj["metadata"]
        self.policies[(meta["namespace"], meta["name"])] = obj
        self.applied.append((meta["namespace"], meta["name"]))
        return obj


WORLD = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: shop}
---
apiVersion: v1
kind: Namespace
metadata:
  name: kube-system
  labels: {purpose: system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""

DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


def lab(tmp_path: Path, *policies: str) -> Path:
    (tmp_path / "cluster").mkdir(exist_ok=True)
    (tmp_path / "cluster" / "world.yaml").write_text(WORLD)
    pol = tmp_path / "policies"
    pol.mkdir(exist_ok=True)
    for old in pol.iterdir():
        old.unlink()
    for i, text in enumerate(policies):
        (pol / f"p{i}.yaml").write_text(text)
    # labtui's own files in the lab directory are not manifests.
    (tmp_path / ".node-before.json").write_text('{"time": 1}')
    return tmp_path


def test_lab_objects_reads_namespaces_and_policies_only(tmp_path: Path) -> None:
    namespaces, policies = lab_objects([lab(tmp_path, DENY)])
    assert [n["metadata"]["name"] for n in namespaces] == ["shop", "kube-system"]
    assert [p["metadata"]["name"] for p in policies] == ["default-deny"]


def test_sync_applies_labels_policies_and_removes_what_the_files_dropped(tmp_path: Path) -> None:
    kube = FakeKube()
    assert sync(kube, [lab(tmp_path, DENY)], "netpol-x", settle=0) is True
    assert kube.namespaces["shop"] == {"team": "shop", SCENARIO_LABEL: "netpol-x"}
    # A namespace that was there keeps its labels and gets the lab's, not the lab's owner label.
    assert kube.namespaces["kube-system"] == {"x": "y", "purpose": "system"}
    policy = kube.policies[("shop", "default-deny")]
    assert policy["metadata"]["labels"][SCENARIO_LABEL] == "netpol-x"

    # Nothing changed: nothing applied again, no settling wait needed.
    kube.applied.clear()
    assert sync(kube, [lab(tmp_path, DENY)], "netpol-x", settle=0) is False
    assert kube.applied == []

    # Another lab's policy is not this lab's to delete.
    other = {
        "apiVersion": NETPOL,
        "kind": "NetworkPolicy",
        "metadata": {"name": "keep", "namespace": "shop", "labels": {SCENARIO_LABEL: "other"}},
        "spec": {"podSelector": {}},
    }
    kube.policies[("shop", "keep")] = other
    # The learner deleted the policy file: the cluster loses the policy too.
    assert sync(kube, [lab(tmp_path)], "netpol-x", settle=0) is True
    assert kube.deleted == [("shop", "default-deny")]
    assert ("shop", "keep") in kube.policies
