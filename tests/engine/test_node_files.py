"""Node files a lab lets the learner edit (``environment.cluster.node_files``): kept byte
for byte at ``up``, put back at ``down``, without a cluster.

The node's directories live in a temporary directory; the in-memory kube of the node
target's tests stands for the API server and its mirror pods.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from labtui.engine import node_target
from labtui.engine.node_target import ApiServerSettings, NodeFiles
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.model import ClusterSpec
from tests.engine.test_node_target import KUBEADM_MANIFEST, FakeKube, quiet


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An /etc/kubernetes with kubeadm's API server manifest, and a kubelet directory."""
    root = tmp_path / "etc-kubernetes"
    (root / "manifests").mkdir(parents=True)
    backup = root / "labtui-backup"
    for name, path in {
        "KUBEADM_DIR": root,
        "MANIFEST": root / "manifests" / "kube-apiserver.yaml",
        "MANIFESTS_DIR": root / "manifests",
        "BACKUP_DIR": backup,
        "BACKUP_MANIFEST": backup / "kube-apiserver.yaml",
        "BACKUP_OWNER": backup / "owner.json",
        "FILES_DIR": backup / "files",
    }.items():
        monkeypatch.setattr(node_target, name, path)
    manifest = root / "manifests" / "kube-apiserver.yaml"
    manifest.write_text(KUBEADM_MANIFEST)
    manifest.chmod(0o600)
    kubelet = tmp_path / "var-lib-kubelet"
    kubelet.mkdir()
    (kubelet / "config.yaml").write_text("kind: KubeletConfiguration\nreadOnlyPort: 0\n")
    return tmp_path


def paths(node: Path) -> list[str]:
    return [
        str(node / "etc-kubernetes" / "manifests" / "kube-apiserver.yaml"),
        str(node / "etc-kubernetes" / "audit-policy.yaml"),  # made by the learner
        str(node / "var-log" / "kubernetes" / "audit"),  # made with its parents
        str(node / "var-lib-kubelet"),  # a directory that was there
    ]


def test_down_puts_back_every_byte_and_mode_and_removes_what_was_not_there(node: Path) -> None:
    kube = FakeKube()
    manifest = node / "etc-kubernetes" / "manifests" / "kube-apiserver.yaml"
    NodeFiles(kube, "audit-policy-writing", quiet).keep(paths(node))
    assert set(node_target.files_held().values()) == {"audit-policy-writing"}

    # The learner's edits: flags and a mount in the manifest, a looser mode, new files.
    manifest.write_text(
        KUBEADM_MANIFEST.replace(
            "    - kube-apiserver\n", "    - kube-apiserver\n    - --audit-log-maxage=30\n"
        )
    )
    manifest.chmod(0o644)
    (node / "etc-kubernetes" / "audit-policy.yaml").write_text("kind: Policy\n")
    (node / "var-log" / "kubernetes" / "audit").mkdir(parents=True)
    (node / "var-log" / "kubernetes" / "audit" / "audit.log").write_text("{}\n")
    (node / "var-lib-kubelet" / "config.yaml").write_text("readOnlyPort: 10255\n")
    (node / "var-lib-kubelet" / "extra").write_text("x")
    changed = NodeFiles(kube, "audit-policy-writing", quiet).changed()
    assert set(changed) == set(paths(node))

    said: list[str] = []
    assert NodeFiles(kube, "audit-policy-writing", said.append).restore()
    assert manifest.read_text() == KUBEADM_MANIFEST
    assert manifest.stat().st_mode & 0o777 == 0o600
    assert not (node / "etc-kubernetes" / "audit-policy.yaml").exists()
    assert not (node / "var-log").exists()
    assert sorted(p.name for p in (node / "var-lib-kubelet").iterdir()) == ["config.yaml"]
    assert "readOnlyPort: 0" in (node / "var-lib-kubelet" / "config.yaml").read_text()
    # It waited for the API server to run the manifest put back, and asked it if ready.
    assert any("waiting for kube-apiserver" in s for s in said)
    assert ("GET", "/readyz") in kube.requests
    # Nothing of labtui's is left on the node.
    assert not node_target.BACKUP_DIR.exists()
    assert node_target.files_held() == {}


def test_unchanged_files_are_not_touched_and_nothing_waits(node: Path) -> None:
    kube = FakeKube()
    NodeFiles(kube, "lab-a", quiet).keep(paths(node)[:2])
    manifest = node / "etc-kubernetes" / "manifests" / "kube-apiserver.yaml"
    before = manifest.stat().st_mtime_ns
    time.sleep(0.01)
    assert NodeFiles(kube, "lab-a", quiet).restore()
    assert manifest.stat().st_mtime_ns == before
    assert kube.requests == []


def test_a_second_up_keeps_the_first_copies(node: Path) -> None:
    kube = FakeKube()
    manifest = node / "etc-kubernetes" / "manifests" / "kube-apiserver.yaml"
    NodeFiles(kube, "lab-a", quiet).keep(paths(node)[:1])
    manifest.write_text("edited\n")
    NodeFiles(kube, "lab-a", quiet).keep(paths(node)[:1])
    NodeFiles(kube, "lab-a", quiet).restore()
    assert manifest.read_text() == KUBEADM_MANIFEST


def test_labs_keep_different_files_at_once_but_never_the_same_one(node: Path) -> None:
    kube = FakeKube()
    manifest, policy = paths(node)[:2]
    NodeFiles(kube, "lab-a", quiet).keep([manifest])
    NodeFiles(kube, "lab-b", quiet).keep([policy])
    with pytest.raises(EnvironmentUnavailable) as err:
        NodeFiles(kube, "lab-c", quiet).keep([policy, manifest])
    assert "lab-a" in err.value.message or "lab-b" in err.value.message
    assert "labtui down lab-" in (err.value.hint or "")
    assert not NodeFiles(kube, "lab-c", quiet).restore()
    assert node_target.files_held() == {manifest: "lab-a", policy: "lab-b"}
    assert NodeFiles(kube, "lab-b", quiet).restore()
    assert node_target.files_held() == {manifest: "lab-a"}


def test_the_api_server_manifest_is_either_kept_or_set_by_a_lab_never_both(
    node: Path, tmp_path: Path
) -> None:
    lab = tmp_path / "lab"
    (lab / "audit").mkdir(parents=True)
    (lab / "audit" / "policy.yaml").write_text("kind: Policy\n")
    kube = FakeKube()
    NodeFiles(kube, "lab-a", quiet).keep(paths(node)[:1])
    audit = ClusterSpec.model_validate({"audit": {"policy": "audit/policy.yaml"}})
    with pytest.raises(EnvironmentUnavailable, match="lab-a keeps"):
        ApiServerSettings(kube, "lab-b", quiet).apply(audit, lab)
    NodeFiles(kube, "lab-a", quiet).restore()
    ApiServerSettings(kube, "lab-b", quiet).apply(audit, lab)
    with pytest.raises(EnvironmentUnavailable, match="lab-b has"):
        NodeFiles(kube, "lab-c", quiet).keep(paths(node)[:1])
    ApiServerSettings(kube, "lab-b", quiet).restore()


def test_a_component_that_does_not_come_back_is_reported(node: Path) -> None:
    class Down(FakeKube):
        def get(self, *args: object, **kwargs: object) -> None:
            raise LabError("connection refused")

    kube = Down()
    nf = NodeFiles(kube, "lab-a", quiet)
    with pytest.raises(LabError) as err:
        nf.wait_component("kube-controller-manager", None, timeout=0.5)
    assert "kube-controller-manager did not come back" in err.value.message
    assert "crictl" in (err.value.hint or "")


def test_the_kubelet_is_restarted_through_the_cluster_supervisor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no systemd runs the kubelet, its supervisor starts it again after TERM."""
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setattr(node_target, "SUPERVISED_RUN", run)
    monkeypatch.setattr("shutil.which", lambda name: None)
    first = subprocess.Popen(["sleep", "60"])
    second = subprocess.Popen(["sleep", "60"])
    try:
        (run / "kubelet.child.pid").write_text(f"{first.pid}\n")

        def supervisor() -> None:
            first.wait()
            (run / "kubelet.child.pid").write_text(f"{second.pid}\n")

        threading.Thread(target=supervisor, daemon=True).start()
        node_target.restart_service("kubelet", quiet, timeout=10)
        assert first.wait(timeout=5) != 0
        assert second.poll() is None
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_without_systemd_or_supervisor_the_restart_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_target, "SUPERVISED_RUN", tmp_path)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(LabError) as err:
        node_target.restart_service("containerd", quiet)
    assert "neither systemd nor" in err.value.message


def test_service_and_component_of_a_path() -> None:
    assert node_target._service_of(Path("/var/lib/kubelet/config.yaml")) == "kubelet"
    assert node_target._service_of(Path("/etc/containerd/config.toml")) == "containerd"
    assert node_target._service_of(Path("/etc/kubernetes/audit.yaml")) is None
    manifests = node_target.MANIFESTS_DIR
    assert node_target._static_pod(manifests / "kube-controller-manager.yaml") == (
        "kube-controller-manager"
    )
    assert node_target._static_pod(manifests.parent / "admin.conf") is None


@pytest.mark.parametrize("bad", [["etc/kubernetes/x"], ["/etc/../root/x"], ["/etc"], ["/a", "/a"]])
def test_node_files_must_be_absolute_and_distinct(bad: list[str]) -> None:
    with pytest.raises(ValidationError):
        ClusterSpec.model_validate({"node_files": bad})


def test_a_lab_with_node_files_cannot_claim_to_fit_in_a_namespace() -> None:
    files = ["/etc/kubernetes/manifests/kube-apiserver.yaml"]
    assert "files on the control-plane node" in ClusterSpec(node_files=files).cluster_wide
    with pytest.raises(ValidationError) as err:
        ClusterSpec.model_validate({"node_files": files, "namespaced": True})
    assert "files on the control-plane node" in str(err.value)


def test_down_does_not_wait_forever_when_the_kubelet_never_ran_the_edit(
    node: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mirror pod still shows the original manifest's hash when the file goes back
    (the kubelet had not acted on the edit, or not reported it): the hash holding is enough."""
    import hashlib

    monkeypatch.setattr(node_target, "SETTLE", 0.5)
    manifest = node / "etc-kubernetes" / "manifests" / "kube-apiserver.yaml"
    original = hashlib.sha256(manifest.read_bytes()).hexdigest()

    class Stale(FakeKube):
        def get(self, api_version: str, plural: str, name: str, namespace: str | None = None):  # type: ignore[no-untyped-def]
            pod = super().get(api_version, plural, name, namespace)
            if plural == "pods" and pod:
                pod["metadata"]["annotations"]["kubernetes.io/config.hash"] = original
            return pod

    kube = Stale()
    NodeFiles(kube, "lab-a", quiet).keep(paths(node)[:1])
    manifest.write_text("edited\n")
    started = time.monotonic()
    assert NodeFiles(kube, "lab-a", quiet).restore()
    assert time.monotonic() - started < 10
    assert manifest.read_text() == KUBEADM_MANIFEST
