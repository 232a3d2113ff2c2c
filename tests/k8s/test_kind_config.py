"""kind configs: golden files, the kind / kubeadm fields they may use, and host paths in the lab dir."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from labtui.cli import main
from labtui.drivers.kind import (
    build_config,
    cluster_name,
    control_plane,
    host_paths,
    mounted_files,
    node_names,
    render_config,
)
from labtui.engine.clusters import spec_of
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import KIND_NODE_IMAGE, Requirement, Scenario
from labtui.state import paths
from labtui.state.progress import ProgressStore

GOLDEN = Path(__file__).parent / "golden"
FIXED_LAB = Path("/labs")

# kind.x-k8s.io/v1alpha4 (sigs.k8s.io/kind/pkg/apis/config/v1alpha4/types.go)
CLUSTER_FIELDS = {
    "kind",
    "apiVersion",
    "name",
    "nodes",
    "networking",
    "featureGates",
    "runtimeConfig",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
    "containerdConfigPatches",
    "containerdConfigPatchesJSON6902",
}
NODE_FIELDS = {
    "role",
    "image",
    "labels",
    "extraMounts",
    "extraPortMappings",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
}
MOUNT_FIELDS = {"containerPath", "hostPath", "readOnly", "selinuxRelabel", "propagation"}
# kubeadm.k8s.io/v1beta3 APIServer / HostPathMount
APISERVER_FIELDS = {"extraArgs", "extraVolumes", "certSANs", "timeoutForControlPlane"}
VOLUME_FIELDS = {"name", "hostPath", "mountPath", "readOnly", "pathType"}


def kind_scenarios() -> list[tuple[Scenario, Path]]:
    out = []
    for entry in Catalog(include_builtin=True).entries():
        sc = entry.scenario
        if sc is not None and Requirement.kind in sc.requires:
            out.append((sc, entry.folder))
    return out


SCENARIOS = kind_scenarios()
IDS = [sc.id for sc, _ in SCENARIOS]


def test_the_six_cluster_labs_are_there() -> None:
    assert {
        "rbac-least-privilege",
        "secrets-in-kubernetes",
        "audit-logging",
        "etcd-encryption-at-rest",
        "admission-control",
        "apiserver-access",
    } <= set(IDS)


def _patches(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [yaml.safe_load(p) for p in node.get("kubeadmConfigPatches", [])]


@pytest.mark.parametrize(("scenario", "folder"), SCENARIOS, ids=IDS)
def test_config_uses_only_kind_and_kubeadm_fields(scenario: Scenario, folder: Path) -> None:
    config = build_config(spec_of(scenario), cluster_name(scenario.id), FIXED_LAB / scenario.id)
    assert set(config) <= CLUSTER_FIELDS
    assert (config["kind"], config["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    assert config["name"] == f"labtui-{scenario.id}"
    assert config["nodes"][0]["role"] == "control-plane"
    for node in config["nodes"]:
        assert set(node) <= NODE_FIELDS
        assert "@sha256:" in node["image"]
        for mount in node.get("extraMounts", []):
            assert set(mount) <= MOUNT_FIELDS
        for patch in _patches(node):
            assert (patch["apiVersion"], patch["kind"]) == (
                "kubeadm.k8s.io/v1beta3",
                "ClusterConfiguration",
            )
            api = patch["apiServer"]
            assert set(api) <= APISERVER_FIELDS
            # v1beta3 extraArgs is a map of flag name to string (v1beta4 would be a name/value list).
            assert all(
                isinstance(k, str) and isinstance(v, str) for k, v in api["extraArgs"].items()
            )
            for volume in api.get("extraVolumes", []):
                assert set(volume) <= VOLUME_FIELDS
                assert volume["hostPath"].startswith("/")


@pytest.mark.parametrize(("scenario", "folder"), SCENARIOS, ids=IDS)
def test_golden(scenario: Scenario, folder: Path) -> None:
    text = render_config(spec_of(scenario), cluster_name(scenario.id), FIXED_LAB / scenario.id)
    golden = GOLDEN / f"{scenario.id}.kind.yaml"
    if os.environ.get("LABTUI_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text(), (
        f"regenerate with LABTUI_UPDATE_GOLDEN=1 and review {golden.name}"
    )


def _apiserver(config: dict[str, Any]) -> dict[str, Any]:
    patches = _patches(config["nodes"][0])
    assert len(patches) == 1
    api: dict[str, Any] = patches[0]["apiServer"]
    return api


def test_audit_logging_matches_the_facts() -> None:
    sc = next(s for s, _ in SCENARIOS if s.id == "audit-logging")
    config = build_config(spec_of(sc), "labtui-audit-logging", Path("/labs/audit-logging"))
    api = _apiserver(config)
    assert api["extraArgs"] == {
        "audit-policy-file": "/etc/kubernetes/policies/audit-policy.yaml",
        "audit-log-path": "/var/log/kubernetes/kube-apiserver-audit.log",
    }
    assert {(v["hostPath"], v["mountPath"], v["readOnly"]) for v in api["extraVolumes"]} == {
        ("/etc/kubernetes/policies", "/etc/kubernetes/policies", True),
        ("/var/log/kubernetes", "/var/log/kubernetes", False),
    }
    assert config["nodes"][0]["extraMounts"] == [
        {
            "hostPath": "/labs/audit-logging/audit",
            "containerPath": "/etc/kubernetes/policies",
            "readOnly": True,
        }
    ]


def test_encryption_matches_the_facts() -> None:
    sc = next(s for s, _ in SCENARIOS if s.id == "etcd-encryption-at-rest")
    config = build_config(spec_of(sc), "labtui-x", Path("/labs/x"))
    api = _apiserver(config)
    assert (
        api["extraArgs"]["encryption-provider-config"]
        == "/etc/kubernetes/encryption/encryption-config.yaml"
    )
    assert api["extraArgs"]["encryption-provider-config-automatic-reload"] == "true"
    assert api["extraVolumes"][0]["mountPath"] == "/etc/kubernetes/encryption"
    assert config["nodes"][0]["extraMounts"][0]["containerPath"] == "/etc/kubernetes/encryption"


def test_admission_settings_and_workers() -> None:
    from labtui.scenario.model import ClusterSpec

    spec = ClusterSpec.model_validate(
        {
            "workers": 2,
            "admission": {
                "enable": ["AlwaysPullImages"],
                "disable": ["DefaultStorageClass"],
                "config": "admission/config.yaml",
            },
        }
    )
    config = build_config(spec, "labtui-a", Path("/labs/a"))
    api = _apiserver(config)
    assert api["extraArgs"] == {
        "enable-admission-plugins": "NodeRestriction,AlwaysPullImages",
        "disable-admission-plugins": "DefaultStorageClass",
        "admission-control-config-file": "/etc/kubernetes/admission/config.yaml",
    }
    assert [n["role"] for n in config["nodes"]] == ["control-plane", "worker", "worker"]
    assert node_names("labtui-a", 2) == [
        "labtui-a-control-plane",
        "labtui-a-worker",
        "labtui-a-worker2",
    ]
    assert control_plane("labtui-a") == "labtui-a-control-plane"


def test_enabling_a_plugin_keeps_kubeadms_node_restriction() -> None:
    """`--enable-admission-plugins` replaces kubeadm's value (NodeRestriction); it must stay on.

    kubeadm: cmd/kubeadm/app/phases/controlplane/manifests.go sets
    enable-admission-plugins=NodeRestriction, and extraArgs override it whole.
    """
    from labtui.scenario.model import ClusterSpec

    def plugins(admission: dict[str, Any]) -> dict[str, str]:
        spec = ClusterSpec.model_validate({"admission": admission})
        return _apiserver(build_config(spec, "labtui-a", Path("/labs/a")))["extraArgs"]

    assert plugins({"enable": ["AlwaysPullImages"]})["enable-admission-plugins"] == (
        "NodeRestriction,AlwaysPullImages"
    )
    assert plugins({"enable": ["NodeRestriction"]})["enable-admission-plugins"] == "NodeRestriction"
    off = plugins({"enable": ["AlwaysPullImages"], "disable": ["NodeRestriction"]})
    assert off["enable-admission-plugins"] == "AlwaysPullImages"
    assert off["disable-admission-plugins"] == "NodeRestriction"


def test_a_plain_cluster_has_no_patches() -> None:
    from labtui.scenario.model import ClusterSpec

    config = build_config(ClusterSpec(), "labtui-p", Path("/labs/p"))
    assert config["nodes"] == [{"role": "control-plane", "image": KIND_NODE_IMAGE}]


@pytest.mark.parametrize(("scenario", "folder"), SCENARIOS, ids=IDS)
def test_every_host_path_is_absolute_and_exists_in_the_lab_dir(
    scenario: Scenario, folder: Path, tmp_path: Path
) -> None:
    session = Session(scenario, folder, store=ProgressStore("t", path=tmp_path / "p.json"))
    session._prepare_lab_dir(fresh=True)
    config = yaml.safe_load(
        render_config(spec_of(scenario), cluster_name(scenario.id), session.lab_dir)
    )
    lab = session.lab_dir.resolve()
    for path in host_paths(config):
        assert Path(path).is_absolute(), path
        assert Path(path).resolve().is_relative_to(lab), path
        assert Path(path).exists(), path
    for rel in spec_of(scenario).manifests:
        assert (session.lab_dir / rel).is_file(), rel


def test_cluster_config_command_prints_the_config() -> None:
    runner = CliRunner()
    for sid in ("audit-logging", "etcd-encryption-at-rest"):
        res = runner.invoke(main, ["cluster", "config", sid])
        assert res.exit_code == 0, res.output
        config = yaml.safe_load(res.output)
        assert config["name"] == f"labtui-{sid}"
        assert all(Path(p).is_absolute() for p in host_paths(config))
    res = runner.invoke(main, ["cluster", "config", "pid-namespace-sharing"])
    assert res.exit_code == 1
    assert "does not use a kind cluster" in res.output


def test_cluster_config_says_when_the_mounted_files_are_not_written_yet() -> None:
    """Printed before `up`, the config's host paths are empty: stderr says which command fills them."""
    res = CliRunner().invoke(main, ["cluster", "config", "audit-logging"])
    assert res.exit_code == 0, res.output
    config = yaml.safe_load(res.stdout)
    assert config["name"] == "labtui-audit-logging"
    assert "labtui up audit-logging" in res.stderr
    assert "audit" in res.stderr and "do not exist yet" in res.stderr


def test_cluster_config_is_quiet_once_the_lab_wrote_its_files() -> None:
    entry = Catalog().find("audit-logging")
    assert entry.scenario is not None
    lab = paths.lab_dir("audit-logging")
    for f in mounted_files(spec_of(entry.scenario), lab):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("kind: Policy\n")
    res = CliRunner().invoke(main, ["cluster", "config", "audit-logging"])
    assert res.exit_code == 0, res.output
    assert res.stderr == ""


def test_cluster_spec_rejects_paths_outside_the_lab_and_unpinned_images() -> None:
    from pydantic import ValidationError

    from labtui.scenario.model import ClusterSpec

    with pytest.raises(ValidationError, match="inside the lab directory"):
        ClusterSpec.model_validate({"audit": {"policy": "../etc/passwd"}})
    with pytest.raises(ValidationError, match="inside the lab directory"):
        ClusterSpec.model_validate({"manifests": ["/abs.yaml"]})
    with pytest.raises(ValidationError, match="sha256"):
        ClusterSpec.model_validate({"node_image": "kindest/node:v1.32.2"})
