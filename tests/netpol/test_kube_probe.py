"""The cluster prober: stand-in pods with the endpoints' labels and a fresh connection per probe.

A recording Kubernetes API stands in for the cluster here (kind cannot run on
this machine); the `kind`-marked cluster tests exercise the real thing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from labtui.errors import LabError
from labtui.netpol.kube_probe import (
    OWNER,
    PAGE,
    PROBE_LABEL,
    PROBE_MANAGER,
    KubeProber,
    ProbeUnsupported,
)
from labtui.netpol.parse import load
from tests.conftest import SCENARIOS


@dataclass
class Exec:
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""


@dataclass
class RecordingKube:
    """Applies pods, gives each an IP, and lets a connection through unless the pair is blocked."""

    blocked: set[tuple[str, str]] = field(default_factory=set)
    pods: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    namespaces: dict[str, dict[str, str] | None] = field(default_factory=dict)
    execs: list[tuple[str, str, list[str]]] = field(default_factory=list)
    deleted: list[tuple[str, str]] = field(default_factory=list)

    managers: list[tuple[str, str]] = field(default_factory=list)  # (kind, field manager)
    configmaps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def ensure_namespace(
        self, name: str, labels: dict[str, str] | None = None, field_manager: str = "labtui"
    ) -> dict[str, Any]:
        self.namespaces[name] = labels
        self.managers.append(("Namespace", field_manager))
        return {}

    def apply(
        self,
        obj: dict[str, Any],
        namespace: str | None = None,
        force: bool = True,
        field_manager: str = "labtui",
    ) -> dict[str, Any]:
        meta = obj["metadata"]
        self.managers.append((obj["kind"], field_manager))
        if obj["kind"] == "ConfigMap":
            made = {**obj, "metadata": {**meta, "uid": f"uid-{meta['namespace']}"}}
            self.configmaps[(meta["namespace"], meta["name"])] = made
            return made
        ip = f"10.244.0.{len(self.pods) + 10}"
        self.pods[(meta["namespace"], meta["name"])] = {**obj, "status": {"podIP": ip}}
        return obj

    def wait_ready(
        self,
        api_version: str,
        plural: str,
        name: str,
        namespace: str | None = None,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        assert namespace is not None
        return self.pods[(namespace, name)]

    def exec(
        self,
        pod: str,
        namespace: str,
        argv: list[str],
        container: str | None = None,
        timeout: float = 30.0,
    ) -> Exec:
        self.execs.append((namespace, pod, argv))
        ip = argv[-1].split()[-2]
        target = next(p for p in self.pods.values() if p["status"]["podIP"] == ip)
        pair = (namespace, target["metadata"]["namespace"])
        return Exec(1) if pair in self.blocked else Exec(0, PAGE + "\n")

    def delete(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> bool:
        assert namespace is not None
        self.deleted.append((namespace, name))
        if plural == "configmaps":
            return self.configmaps.pop((namespace, name), None) is not None
        return self.pods.pop((namespace, name), None) is not None


@pytest.fixture
def cluster(tmp_path: Path) -> Any:
    shutil.copytree(SCENARIOS / "netpol-default-deny" / "cluster", tmp_path / "cluster")
    return load([tmp_path / "cluster"])


def test_stand_ins_carry_the_endpoint_labels_and_connect_afresh(cluster: Any) -> None:
    kube = RecordingKube()
    prober = KubeProber(kube, cluster, "busybox:1.36")
    assert prober.probe("shop/web", "shop/api", 8080, "TCP") is True
    assert prober.probe("shop/web", "shop/api", 8080, "TCP") is True

    web = next(p for p in cluster.pods if p.namespace == "shop" and p.name == "web")
    api = next(p for p in cluster.pods if p.namespace == "shop" and p.name == "api")
    made = {obj["metadata"]["labels"][PROBE_LABEL]: obj for obj in kube.pods.values()}
    assert set(made) == {"listener", "client"}, "one listener and one client, reused"
    assert made["client"]["metadata"]["labels"] == {**web.labels, PROBE_LABEL: "client"}
    assert made["listener"]["metadata"]["labels"] == {**api.labels, PROBE_LABEL: "listener"}
    listener = made["listener"]["spec"]["containers"][0]["command"]
    assert listener[:2] == ["sh", "-c"] and "httpd -f -p 8080" in listener[2]
    # Every probe is a new connection (a fresh wget), never a reused one.
    assert [argv[-1].split("|")[-1].split() for _, _, argv in kube.execs] == [
        ["nc", "-w", "2", "10.244.0.10", "8080"]
    ] * 2
    assert "shop" in kube.namespaces

    prober.close()
    assert kube.pods == {} and kube.configmaps == {} and len(kube.deleted) == 3


def test_stand_ins_cannot_be_adopted_by_a_replicaset(cluster: Any) -> None:
    """A ReplicaSet adopts only pods without a controller owner reference
    (k8s.io/kubernetes pkg/controller/controller_ref_manager.go, ClaimPods): the
    stand-ins carry the workload's labels, so they must have a controller of their own."""
    kube = RecordingKube()
    KubeProber(kube, cluster, "busybox:1.36").probe("shop/web", "shop/api", 8080, "TCP")
    owner = kube.configmaps[("shop", OWNER)]
    for pod in kube.pods.values():
        (ref,) = pod["metadata"]["ownerReferences"]
        assert ref["controller"] is True
        assert (ref["kind"], ref["name"], ref["uid"]) == (
            "ConfigMap",
            OWNER,
            owner["metadata"]["uid"],
        )


def test_the_prober_applies_namespaces_under_its_own_field_manager(cluster: Any) -> None:
    """Server-side apply drops the fields a manager owned and leaves out; labtui's own
    namespace labels (which `down` selects by) are owned by the manager `labtui`, so the
    prober must never apply a namespace as `labtui`."""
    kube = RecordingKube()
    KubeProber(kube, cluster, "busybox:1.36").probe("shop/web", "shop/api", 8080, "TCP")
    assert ("Namespace", PROBE_MANAGER) in kube.managers
    assert all(manager == PROBE_MANAGER for _, manager in kube.managers)


def test_a_refused_connection_is_denied(cluster: Any) -> None:
    kube = RecordingKube(blocked={("shop", "shop")})
    assert (
        KubeProber(kube, cluster, "busybox:1.36").probe("shop/web", "shop/api", 8080, "TCP")
        is False
    )


def test_udp_and_outside_addresses_are_not_probed(cluster: Any) -> None:
    prober = KubeProber(RecordingKube(), cluster, "busybox:1.36")
    with pytest.raises(ProbeUnsupported, match="only TCP"):
        prober.probe("shop/web", "kube-system/coredns", 53, "UDP")
    with pytest.raises(ProbeUnsupported, match="outside the cluster"):
        prober.probe("shop/web", "203.0.113.9", 443, "TCP")


def test_stand_ins_wait_for_a_new_namespace_s_default_service_account(
    cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pods in a namespace made a moment ago are refused until the controller manager
    adds its default ServiceAccount: the prober waits instead of failing the check."""
    import labtui.netpol.kube_probe as kube_probe

    monkeypatch.setattr(kube_probe.time, "sleep", lambda _: None)
    refusals = [2]

    class NewNamespaceKube(RecordingKube):
        def apply(self, obj: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
            if obj["kind"] == "Pod" and refusals[0] > 0:
                refusals[0] -= 1
                raise LabError(
                    'PATCH /api/v1/namespaces/shop/pods/x: 403 pods "x" is forbidden: error '
                    'looking up service account shop/default: serviceaccount "default" not found'
                )
            return super().apply(obj, *args, **kwargs)

    prober = KubeProber(NewNamespaceKube(), cluster, "busybox:1.36")
    assert prober.probe("shop/web", "shop/api", 8080, "TCP") is True
    assert refusals == [0]
