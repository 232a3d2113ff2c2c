"""The kubeadm-node cluster target (``--cluster node``) without a cluster.

The static pod manifest, its backup and the lab directory live in a temporary
directory; a small in-memory kube stands for the API server.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from labtui.checks.base import ClusterTarget, NodeUnavailable
from labtui.cli import main
from labtui.engine import clusters, node_target
from labtui.engine.clusters import ClusterChoice
from labtui.engine.node_target import ApiServerSettings, Volume
from labtui.errors import EnvironmentUnavailable, InvalidInput, LabError
from labtui.names import CLUSTER_ENV, CONTEXT_ENV, SCENARIO_LABEL
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import (
    ClusterSpec,
    ExecCheck,
    NodeRole,
    Scenario,
    Solution,
    Step,
    ValueSource,
)
from labtui.scenario.templates import TemplateContext

# The module's own paths, before any test points them at a temporary directory.
REAL_MANIFEST = node_target.MANIFEST
REAL_BACKUP_DIR = node_target.BACKUP_DIR

# kubeadm's kube-apiserver.yaml, cut down, with comments and a layout a YAML dump would
# not give back: restoring it must put these very bytes back.
KUBEADM_MANIFEST = """\
# written by kubeadm; edited by hand on 2024-05-01
apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: 192.0.2.2:6443
  creationTimestamp: null
  labels: {component: kube-apiserver, tier: control-plane}
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=192.0.2.2
    - --allow-privileged=true
    - --authorization-mode=Node,RBAC
    - --client-ca-file=/etc/kubernetes/pki/ca.crt
    - --enable-admission-plugins=NodeRestriction   # kubeadm's default
    - --enable-bootstrap-token-auth=true
    - --etcd-servers=https://127.0.0.1:2379
    - --secure-port=6443
    - --service-account-key-file=/etc/kubernetes/pki/sa.pub
    - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key
    image: registry.k8s.io/kube-apiserver:v1.32.13
    imagePullPolicy: IfNotPresent
    livenessProbe:
      failureThreshold: 8
      httpGet: {host: 192.0.2.2, path: /livez, port: 6443, scheme: HTTPS}
    name: kube-apiserver
    resources:
      requests:
        cpu: 250m
    volumeMounts:
    - mountPath: /etc/ssl/certs
      name: ca-certs
      readOnly: true
    - mountPath: /etc/kubernetes/pki
      name: k8s-certs
      readOnly: true
  hostNetwork: true
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: /etc/ssl/certs
      type: DirectoryOrCreate
    name: ca-certs
  - hostPath:
      path: /etc/kubernetes/pki
      type: DirectoryOrCreate
    name: k8s-certs
status: {}
"""

NODE = "cp-1"


# --------------------------------------------------------------------------- helpers


def stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def obj(name: str, created: float, owner: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "creationTimestamp": stamp(created)}
    if owner is not None:
        meta["labels"] = {SCENARIO_LABEL: owner}
    return {"metadata": meta}


class FakeKube:
    """Lists, gets and deletes cluster-wide objects; its API server pod follows MANIFEST."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = objects or {}
        self.unserved: set[str] = set()
        self.deleted: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str]] = []
        self.stuck: set[str] = set()

    def list_objects(
        self, api_version: str, plural: str, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        if plural == "nodes":
            labels = {node_target.CONTROL_PLANE_LABEL: ""}
            return [{"metadata": {"name": NODE, "labels": labels}}]
        key = f"{api_version}/{plural}"
        if key in self.unserved:
            raise LabError(f"the server does not serve {key}")
        return copy.deepcopy(self.objects.get(key, []))

    def get(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        if plural == "pods":
            # The kubelet's mirror pod: its config hash is that of the manifest on disk.
            digest = hashlib.sha256(node_target.MANIFEST.read_bytes()).hexdigest()
            return {
                "kind": "Pod",
                "metadata": {"annotations": {"kubernetes.io/config.hash": digest}},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            }
        for item in self.objects.get(f"{api_version}/{plural}", []):
            if item["metadata"]["name"] == name:
                return item
        return None

    def delete(
        self, api_version: str, plural: str, name: str, namespace: str | None = None
    ) -> None:
        self.deleted.append((plural, name))
        if name in self.stuck:
            return
        key = f"{api_version}/{plural}"
        self.objects[key] = [o for o in self.objects.get(key, []) if o["metadata"]["name"] != name]

    def request(self, method: str, path: str, **_: Any) -> None:
        self.requests.append((method, path))


def names(kube: FakeKube, key: str) -> set[str]:
    return {o["metadata"]["name"] for o in kube.objects.get(key, [])}


def quiet(_: str) -> None:
    return None


def apiserver(text: str) -> dict[str, Any]:
    pod = yaml.safe_load(text)
    container: dict[str, Any] = pod["spec"]["containers"][0]
    assert container["name"] == "kube-apiserver"
    return container


def command_flags(text: str) -> dict[str, str]:
    args = apiserver(text)["command"][1:]
    assert all(a.startswith("--") and "=" in a for a in args)
    return dict(a[2:].split("=", 1) for a in args)


def spec(**fields: Any) -> ClusterSpec:
    return ClusterSpec.model_validate(fields)


@pytest.fixture
def kubeadm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An /etc/kubernetes of a kubeadm control-plane node, in tmp_path."""
    root = tmp_path / "etc-kubernetes"
    (root / "manifests").mkdir(parents=True)
    backup = root / "labtui-backup"
    paths = {
        "KUBEADM_DIR": root,
        "ADMIN_CONF": root / "admin.conf",
        "MANIFEST": root / "manifests" / "kube-apiserver.yaml",
        "BACKUP_DIR": backup,
        "BACKUP_MANIFEST": backup / "kube-apiserver.yaml",
        "BACKUP_OWNER": backup / "owner.json",
    }
    for name, path in paths.items():
        monkeypatch.setattr(node_target, name, path)
    (root / "manifests" / "kube-apiserver.yaml").write_text(KUBEADM_MANIFEST)
    (root / "manifests" / "kube-apiserver.yaml").chmod(0o600)
    return root


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    d = tmp_path / "lab"
    (d / "audit").mkdir(parents=True)
    (d / "audit" / "policy.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\n")
    (d / "encryption").mkdir()
    (d / "encryption" / "config.yaml").write_text("kind: EncryptionConfiguration\n")
    return d


def entry(sid: str) -> Scenario:
    scenario = Catalog().find(sid).scenario
    assert scenario is not None
    return scenario


# --------------------------------------------------------------------------- the manifest


AUDIT_VOLUMES = [
    Volume("labtui-audit-policy", "/root/lab/audit", "/etc/kubernetes/policies", True, "Directory"),
    Volume("labtui-audit-log", "/var/log/k8s", "/var/log/k8s", False, "DirectoryOrCreate"),
]
AUDIT_FLAGS = {
    "audit-policy-file": "/etc/kubernetes/policies/policy.yaml",
    "audit-log-path": "/var/log/k8s/audit.log",
    "enable-admission-plugins": "NodeRestriction,AlwaysPullImages",
}


def test_edit_manifest_adds_flags_and_replaces_an_existing_one_without_duplicating() -> None:
    edited = node_target.edit_manifest(KUBEADM_MANIFEST, AUDIT_FLAGS, AUDIT_VOLUMES)
    command = apiserver(edited)["command"]
    assert command[0] == "kube-apiserver"
    enables = [a for a in command if a.startswith("--enable-admission-plugins=")]
    assert enables == ["--enable-admission-plugins=NodeRestriction,AlwaysPullImages"]
    assert "--audit-policy-file=/etc/kubernetes/policies/policy.yaml" in command
    assert "--audit-log-path=/var/log/k8s/audit.log" in command
    # Every other flag of kubeadm stays, in its order.
    before = [a for a in apiserver(KUBEADM_MANIFEST)["command"] if "admission" not in a]
    assert [a for a in command if a in before] == before
    assert len(command) == len(before) + 3
    flags = command_flags(edited)
    assert flags["authorization-mode"] == "Node,RBAC"
    assert flags["enable-bootstrap-token-auth"] == "true"


def test_edit_manifest_mounts_host_paths_and_keeps_kubeadms_volumes() -> None:
    edited = node_target.edit_manifest(KUBEADM_MANIFEST, AUDIT_FLAGS, AUDIT_VOLUMES)
    pod = yaml.safe_load(edited)
    container = apiserver(edited)
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert (
        set(mounts)
        == set(volumes)
        == {
            "ca-certs",
            "k8s-certs",
            "labtui-audit-policy",
            "labtui-audit-log",
        }
    )
    assert mounts["k8s-certs"] == {
        "mountPath": "/etc/kubernetes/pki",
        "name": "k8s-certs",
        "readOnly": True,
    }
    assert volumes["ca-certs"]["hostPath"] == {
        "path": "/etc/ssl/certs",
        "type": "DirectoryOrCreate",
    }
    assert mounts["labtui-audit-policy"] == {
        "name": "labtui-audit-policy",
        "mountPath": "/etc/kubernetes/policies",
        "readOnly": True,
    }
    assert volumes["labtui-audit-policy"]["hostPath"] == {
        "path": "/root/lab/audit",
        "type": "Directory",
    }
    assert mounts["labtui-audit-log"]["readOnly"] is False
    assert volumes["labtui-audit-log"]["hostPath"]["type"] == "DirectoryOrCreate"
    # Nothing else of the pod changes.
    original = yaml.safe_load(KUBEADM_MANIFEST)
    for key in ("command", "volumeMounts"):
        del container[key]
        del original["spec"]["containers"][0][key]
    assert container == original["spec"]["containers"][0]
    assert {k: v for k, v in pod["spec"].items() if k not in ("containers", "volumes")} == {
        "hostNetwork": True,
        "priorityClassName": "system-node-critical",
    }
    assert pod["metadata"] == original["metadata"]


def test_edit_manifest_twice_gives_the_same_manifest() -> None:
    once = node_target.edit_manifest(KUBEADM_MANIFEST, AUDIT_FLAGS, AUDIT_VOLUMES)
    twice = node_target.edit_manifest(once, AUDIT_FLAGS, AUDIT_VOLUMES)
    assert twice == once


# --------------------------------------------------------------------------- settings


KUBEADM_COMMAND = apiserver(KUBEADM_MANIFEST)["command"]


def test_settings_for_enabling_admission_plugins_keeps_node_restriction(lab: Path) -> None:
    flags, volumes = node_target.settings_for(
        spec(admission={"enable": ["ImagePolicyWebhook", "NodeRestriction"]}),
        lab,
        KUBEADM_COMMAND,
    )
    assert flags == {"enable-admission-plugins": "NodeRestriction,ImagePolicyWebhook"}
    assert volumes == []


def test_settings_for_disabling_node_restriction_drops_it_from_the_enabled_list(
    lab: Path,
) -> None:
    flags, _ = node_target.settings_for(
        spec(admission={"enable": ["AlwaysPullImages"], "disable": ["NodeRestriction"]}),
        lab,
        KUBEADM_COMMAND,
    )
    assert flags == {
        "enable-admission-plugins": "AlwaysPullImages",
        "disable-admission-plugins": "NodeRestriction",
    }


def test_settings_for_disabling_only_never_leaves_a_plugin_enabled_and_disabled(
    lab: Path,
) -> None:
    # kube-apiserver refuses to start when both lists name the same plugin.
    for disable in (["NodeRestriction"], ["DefaultStorageClass"]):
        flags, volumes = node_target.settings_for(
            spec(admission={"disable": disable}), lab, KUBEADM_COMMAND
        )
        edited = command_flags(node_target.edit_manifest(KUBEADM_MANIFEST, flags, volumes))
        enabled = set(filter(None, edited["enable-admission-plugins"].split(",")))
        disabled = set(edited["disable-admission-plugins"].split(","))
        assert disabled == set(disable)
        assert not enabled & disabled
        assert enabled == {"NodeRestriction"} - disabled


def test_settings_for_mounts_lab_files_by_directory_at_kinds_paths(lab: Path) -> None:
    log = "/var/log/kubernetes/audit/audit.log"
    flags, volumes = node_target.settings_for(
        spec(
            audit={"policy": "audit/policy.yaml", "log_path": log},
            encryption={"config": "encryption/config.yaml"},
            admission={"config": "audit/admission.yaml"},
        ),
        lab,
        KUBEADM_COMMAND,
    )
    assert flags == {
        "audit-policy-file": "/etc/kubernetes/policies/policy.yaml",
        "audit-log-path": log,
        "encryption-provider-config": "/etc/kubernetes/encryption/config.yaml",
        "encryption-provider-config-automatic-reload": "true",
        "admission-control-config-file": "/etc/kubernetes/admission/admission.yaml",
    }
    by_name = {v.name: v for v in volumes}
    assert by_name["labtui-audit-policy"].host_path == str(lab.absolute() / "audit")
    assert by_name["labtui-audit-log"] == Volume(
        "labtui-audit-log",
        "/var/log/kubernetes/audit",
        "/var/log/kubernetes/audit",
        False,
        "DirectoryOrCreate",
    )
    assert by_name["labtui-encryption"].host_path == str(lab.absolute() / "encryption")
    assert by_name["labtui-admission"].mount_path == "/etc/kubernetes/admission"
    assert all(v.read_only for v in volumes if v.name != "labtui-audit-log")
    flags, _ = node_target.settings_for(
        spec(encryption={"config": "encryption/config.yaml"}),
        lab,
        KUBEADM_COMMAND,
        encryption_file=node_target.DECRYPT_FILE,
    )
    assert flags["encryption-provider-config"] == "/etc/kubernetes/encryption/.labtui-decrypt.yaml"


# --------------------------------------------------------------------------- holding the API server


def test_backup_is_never_kept_among_the_static_pod_manifests() -> None:
    assert not REAL_BACKUP_DIR.is_relative_to(REAL_MANIFEST.parent)


def test_apply_then_restore_puts_the_manifest_back_byte_for_byte(
    kubeadm: Path, lab: Path, tmp_path: Path
) -> None:
    kube = FakeKube()
    said: list[str] = []
    log_dir = tmp_path / "audit-logs"
    settings = ApiServerSettings(kube, "audit-logging", said.append)
    lab_spec = spec(
        audit={"policy": "audit/policy.yaml", "log_path": str(log_dir / "audit.log")},
        admission={"enable": ["AlwaysPullImages"]},
    )
    settings.apply(lab_spec, lab)

    manifest = node_target.MANIFEST
    flags = command_flags(manifest.read_text())
    assert flags["audit-policy-file"] == "/etc/kubernetes/policies/policy.yaml"
    assert flags["enable-admission-plugins"] == "NodeRestriction,AlwaysPullImages"
    assert settings.holder() == "audit-logging"
    assert node_target.BACKUP_MANIFEST.read_text() == KUBEADM_MANIFEST
    owner = json.loads(node_target.BACKUP_OWNER.read_text())
    assert owner["scenario"] == "audit-logging"
    assert owner["created"] == [str(log_dir)]
    # Only the manifest itself is in manifests/: the kubelet runs every file there.
    assert sorted(p.name for p in manifest.parent.iterdir()) == ["kube-apiserver.yaml"]
    assert manifest.stat().st_mode & 0o777 == 0o600
    assert ("GET", "/readyz") in kube.requests
    assert any("restarting the API server" in s for s in said)

    log_dir.mkdir()  # what the kubelet makes for a DirectoryOrCreate volume
    (log_dir / "audit.log").write_text("{}\n")
    assert settings.restore() is True
    assert manifest.read_bytes() == KUBEADM_MANIFEST.encode()
    assert not node_target.BACKUP_DIR.exists()
    assert not log_dir.exists()
    assert settings.holder() is None
    assert settings.restore() is False


def test_a_second_apply_of_the_same_lab_starts_from_the_original(kubeadm: Path, lab: Path) -> None:
    settings = ApiServerSettings(FakeKube(), "etcd-encryption-at-rest", quiet)
    lab_spec = spec(encryption={"config": "encryption/config.yaml"})
    settings.apply(lab_spec, lab)
    settings.apply(lab_spec, lab, encryption_file=node_target.DECRYPT_FILE)
    flags = command_flags(node_target.MANIFEST.read_text())
    assert flags["encryption-provider-config"].endswith("/.labtui-decrypt.yaml")
    assert list(flags).count("encryption-provider-config") == 1
    assert node_target.BACKUP_MANIFEST.read_text() == KUBEADM_MANIFEST
    assert settings.restore() is True
    assert node_target.MANIFEST.read_text() == KUBEADM_MANIFEST


def test_another_labs_apply_is_refused_while_the_first_holds_the_backup(
    kubeadm: Path, lab: Path
) -> None:
    first = ApiServerSettings(FakeKube(), "audit-logging", quiet)
    first.apply(spec(admission={"enable": ["AlwaysPullImages"]}), lab)
    held = node_target.MANIFEST.read_bytes()

    second = ApiServerSettings(FakeKube(), "admission-control", quiet)
    with pytest.raises(EnvironmentUnavailable) as caught:
        second.apply(spec(admission={"enable": ["ImagePolicyWebhook"]}), lab)
    assert "audit-logging" in caught.value.message
    assert "labtui down audit-logging" in caught.value.hint
    assert second.restore() is False
    assert node_target.MANIFEST.read_bytes() == held
    assert node_target.BACKUP_MANIFEST.read_text() == KUBEADM_MANIFEST

    assert first.restore() is True
    assert node_target.MANIFEST.read_text() == KUBEADM_MANIFEST


def test_a_backup_without_its_owner_note_still_blocks_other_labs(kubeadm: Path, lab: Path) -> None:
    node_target.BACKUP_DIR.mkdir()
    node_target.BACKUP_MANIFEST.write_text(KUBEADM_MANIFEST)
    settings = ApiServerSettings(FakeKube(), "audit-logging", quiet)
    assert settings.holder() == "an unknown lab"
    with pytest.raises(EnvironmentUnavailable, match="an unknown lab"):
        settings.apply(spec(admission={"enable": ["AlwaysPullImages"]}), lab)


def test_an_api_server_that_does_not_come_back_is_a_lab_error(
    kubeadm: Path, lab: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class StuckKube(FakeKube):
        def get(
            self, api_version: str, plural: str, name: str, namespace: str | None = None
        ) -> dict[str, Any] | None:
            return {"kind": "Pod", "metadata": {"annotations": {}}, "status": {}}

    monkeypatch.setattr(time, "sleep", lambda _: None)
    settings = ApiServerSettings(StuckKube(), "audit-logging", quiet)
    with pytest.raises(LabError, match="did not come back") as caught:
        settings.wait_restarted(NODE, "old-hash", timeout=0.01)
    assert "labtui down audit-logging" in caught.value.hint


# --------------------------------------------------------------------------- encryption


def test_decrypting_config_reads_with_the_keys_and_writes_plain_text() -> None:
    config = """\
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
      - identity: {}
"""
    decrypt = node_target.decrypting_config(config)
    assert decrypt is not None
    data = yaml.safe_load(decrypt)
    assert data["kind"] == "EncryptionConfiguration"
    providers = data["resources"][0]["providers"]
    assert providers[0] == {"identity": {}}
    assert providers[1]["aescbc"]["keys"][0]["name"] == "key1"
    assert len(providers) == 2
    assert data["resources"][0]["resources"] == ["secrets"]


def test_decrypting_config_is_none_when_nothing_is_encrypted() -> None:
    identity_only = (
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"
        "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n"
    )
    assert node_target.decrypting_config(identity_only) is None
    assert node_target.decrypting_config("") is None


# --------------------------------------------------------------------------- leaving it as found


CR = "rbac.authorization.k8s.io/v1/clusterroles"
NS = "v1/namespaces"


def test_leave_as_found_deletes_only_what_this_lab_made(tmp_path: Path) -> None:
    long_ago = time.time() - 3600
    kube = FakeKube(
        {
            NS: [
                obj("default", long_ago),
                obj("kube-system", long_ago),
                obj("kube-public", long_ago),
                obj("team-a", long_ago),
            ],
            CR: [obj("admin", long_ago), obj("team-a-reader", long_ago)],
        }
    )
    kube.unserved.add("admissionregistration.k8s.io/v1/validatingadmissionpolicies")
    node_target.record_before(kube, tmp_path)
    before = json.loads((tmp_path / node_target.BEFORE_FILE).read_text())
    assert before["objects"][NS] == ["default", "kube-public", "kube-system", "team-a"]

    later = time.time() + 60
    kube.objects[NS] += [
        obj("lab", later, owner="audit-logging"),
        obj("scratch", later),  # the learner's, made during the lab
        obj("other-lab", later, owner="rbac-least-privilege"),
    ]
    kube.objects[CR] += [
        obj("audit-reader", later),
        obj("labelled-reader", long_ago, owner="audit-logging"),
        obj("other-reader", later, owner="rbac-least-privilege"),
    ]
    # The protected namespaces stay whatever carries this lab's label.
    kube.objects[NS][0]["metadata"]["labels"] = {SCENARIO_LABEL: "audit-logging"}
    kube.objects[NS][1]["metadata"]["labels"] = {SCENARIO_LABEL: "audit-logging"}

    said: list[str] = []
    node_target.leave_as_found(kube, tmp_path, "audit-logging", said.append)

    assert names(kube, NS) == {"default", "kube-system", "kube-public", "team-a", "other-lab"}
    assert names(kube, CR) == {"admin", "team-a-reader", "other-reader"}
    assert sorted(kube.deleted) == [
        ("clusterroles", "audit-reader"),
        ("clusterroles", "labelled-reader"),
        ("namespaces", "lab"),
        ("namespaces", "scratch"),
    ]
    assert "deleting namespace lab" in said
    assert not (tmp_path / node_target.BEFORE_FILE).exists()


def test_leave_as_found_never_deletes_the_system_namespaces(tmp_path: Path) -> None:
    # A cluster whose note at up missed them: made "after" it, unlabelled.
    (tmp_path / node_target.BEFORE_FILE).write_text(
        json.dumps({"time": time.time() - 60, "objects": {NS: []}})
    )
    now = time.time()
    kube = FakeKube({NS: [obj(n, now) for n in ("default", "kube-system", "kube-public", "x")]})
    node_target.leave_as_found(kube, tmp_path, "audit-logging", quiet)
    assert kube.deleted == [("namespaces", "x")]


def test_without_a_note_from_up_only_labelled_objects_go(tmp_path: Path) -> None:
    now = time.time()
    kube = FakeKube({NS: [obj("lab", now, owner="audit-logging"), obj("unknown", now)]})
    node_target.leave_as_found(kube, tmp_path, "audit-logging", quiet)
    assert names(kube, NS) == {"unknown"}


def test_a_second_up_keeps_the_first_note(tmp_path: Path) -> None:
    kube = FakeKube({NS: [obj("default", time.time() - 10)]})
    node_target.record_before(kube, tmp_path)
    first = (tmp_path / node_target.BEFORE_FILE).read_text()
    kube.objects[NS].append(obj("lab", time.time()))
    node_target.record_before(kube, tmp_path)
    assert (tmp_path / node_target.BEFORE_FILE).read_text() == first


def test_a_namespace_that_does_not_go_away_is_a_lab_error(tmp_path: Path) -> None:
    kube = FakeKube({NS: [obj("lab", time.time(), owner="audit-logging")]})
    kube.stuck.add("lab")
    with pytest.raises(LabError, match="namespace lab is still terminating"):
        node_target.leave_as_found(kube, tmp_path, "audit-logging", quiet, wait=-1.0)


# --------------------------------------------------------------------------- availability


def test_unavailable_says_why_this_is_not_a_kubeadm_node(
    kubeadm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    why = node_target.unavailable()
    assert why is not None and "admin.conf does not exist" in why
    with pytest.raises(EnvironmentUnavailable, match="--cluster node"):
        node_target.admin_kubeconfig()
    node_target.ADMIN_CONF.write_text("apiVersion: v1\nkind: Config\n")
    assert node_target.unavailable() is None
    assert node_target.admin_kubeconfig().startswith("apiVersion: v1")
    monkeypatch.setattr(os, "access", lambda *_: False)
    why = node_target.unavailable()
    assert why is not None and "run labtui as root" in why


# --------------------------------------------------------------------------- choosing the target


def test_parse_cluster_knows_kind_node_and_contexts() -> None:
    assert clusters.parse_cluster("kind") == ClusterChoice("kind")
    assert clusters.parse_cluster(" node ") == ClusterChoice("node")
    assert clusters.parse_cluster("context:classroom") == ClusterChoice("context", "classroom")
    assert str(ClusterChoice("context", "classroom")) == "context:classroom"
    assert str(ClusterChoice("node")) == "node"
    for bad in ("bogus", "context:", "Node", ""):
        with pytest.raises(InvalidInput) as caught:
            clusters.parse_cluster(bad)
        assert "kind, node or context:NAME" in caught.value.hint


def test_chosen_cluster_reads_labtui_cluster_then_labtui_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CLUSTER_ENV, raising=False)
    monkeypatch.delenv(CONTEXT_ENV, raising=False)
    assert clusters.chosen_cluster() == ClusterChoice("kind")
    monkeypatch.setenv(CONTEXT_ENV, "classroom")
    assert clusters.chosen_cluster() == ClusterChoice("context", "classroom")
    monkeypatch.setenv(CLUSTER_ENV, "node")
    assert clusters.chosen_cluster() == ClusterChoice("node")
    assert clusters.chosen_cluster("kind") == ClusterChoice("kind")
    assert clusters.chosen_cluster(ClusterChoice("node")) == ClusterChoice("node")
    monkeypatch.setenv(CLUSTER_ENV, "bogus")
    with pytest.raises(InvalidInput, match=f"{CLUSTER_ENV}="):
        clusters.chosen_cluster()


def test_target_for_node_uses_the_lab_namespace_and_no_kind_cluster(tmp_path: Path) -> None:
    scenario = entry("audit-logging")
    target = clusters.target_for(scenario, tmp_path, "ada", ClusterChoice("node"))
    assert target == ClusterTarget(tmp_path / "kubeconfig", "lab", node=True)
    assert target.mode == "node"
    env = clusters.session_env(target)
    assert env["LAB_CLUSTER_TARGET"] == "node"
    assert "LAB_CLUSTER" not in env
    kind = clusters.target_for(scenario, tmp_path, "ada", ClusterChoice("kind"))
    assert kind is not None and kind.kind_cluster == "labtui-audit-logging"
    docker_lab = entry("pid-namespace-sharing")
    assert clusters.target_for(docker_lab, tmp_path, "ada", ClusterChoice("node")) is None


def test_templates_on_a_kubeadm_node_run_node_commands_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Path] = []

    def client(path: Path) -> FakeKube:
        asked.append(path)
        return FakeKube()

    monkeypatch.setattr(clusters, "_client", client)
    scenario = entry("audit-logging")
    target = ClusterTarget(tmp_path / "kubeconfig", "lab", node=True)
    templates = TemplateContext()
    clusters.add_templates(templates, scenario, target)
    assert asked == []  # {control_plane} asks the cluster only when used
    assert templates.render("{on_node}cat /etc/kubernetes/manifests/x") == (
        "cat /etc/kubernetes/manifests/x"
    )
    assert "control-plane node" in templates.render("{node_where}")
    assert templates.render("{control_plane} {cluster_name} {namespace}") == (
        f"{NODE} kubernetes lab"
    )
    assert asked == [tmp_path / "kubeconfig"]


def test_templates_on_kind_exec_into_the_control_plane_container(tmp_path: Path) -> None:
    scenario = entry("audit-logging")
    target = clusters.target_for(scenario, tmp_path, "ada", ClusterChoice("kind"))
    templates = TemplateContext()
    clusters.add_templates(templates, scenario, target)
    node = "labtui-audit-logging-control-plane"
    assert templates.render("{control_plane}") == node
    assert templates.render("{on_node}ls") == f"docker exec {node} ls"
    assert f"`{node}`" in templates.render("{node_where}")


def test_node_argv_per_cluster_target(tmp_path: Path) -> None:
    argv = ["cat", "/etc/kubernetes/manifests/kube-apiserver.yaml"]
    kind = ClusterTarget(tmp_path / "kubeconfig", "lab", kind_cluster="labtui-x")
    assert kind.node_argv(NodeRole.control_plane, argv) == [
        "docker",
        "exec",
        "-i",
        "labtui-x-control-plane",
        *argv,
    ]
    assert kind.node_argv(NodeRole.worker, argv, interactive=True)[2:4] == [
        "-it",
        "labtui-x-worker",
    ]
    node = ClusterTarget(tmp_path / "kubeconfig", "lab", node=True)
    assert node.node_argv(NodeRole.control_plane, argv) == argv
    with pytest.raises(NodeUnavailable, match="only the control-plane node"):
        node.node_argv(NodeRole.worker, argv)
    shared = ClusterTarget(tmp_path / "kubeconfig", "labtui-ada-x", context="classroom")
    for role in NodeRole:
        with pytest.raises(EnvironmentUnavailable, match="--context classroom"):
            shared.node_argv(role, argv)


# --------------------------------------------------------------------------- the scenario format


def test_exec_checks_name_exactly_one_of_container_or_node() -> None:
    base = {"kind": "exec", "command": ["cat", "/etc/hostname"]}
    on_node = ExecCheck.model_validate({**base, "node": "control-plane"})
    assert on_node.node is NodeRole.control_plane and on_node.container is None
    assert ExecCheck.model_validate({**base, "container": "web"}).container == "web"
    for bad in (
        base,
        {**base, "container": "web", "node": "worker"},
        {**base, "node": "control-plane", "user": "root"},
        {**base, "node": "etcd"},
    ):
        with pytest.raises(ValidationError):
            ExecCheck.model_validate(bad)


def test_values_from_a_node_need_a_command() -> None:
    value = ValueSource.model_validate({"node": "control-plane", "command": ["hostname"]})
    assert value.node is NodeRole.control_plane
    for bad in (
        {"node": "control-plane"},
        {"node": "control-plane", "value": "x"},
        {"node": "control-plane", "container": "web", "command": ["hostname"]},
    ):
        with pytest.raises(ValidationError):
            ValueSource.model_validate(bad)


def test_solution_steps_are_argv_lists_or_steps_on_a_node() -> None:
    solution = Solution.model_validate(
        {
            "run": [
                ["kubectl", "get", "pods"],
                {"command": ["crictl", "ps"], "node": "control-plane", "timeout": 300},
                {"command": ["true"]},
            ]
        }
    )
    first, second, third = solution.run
    assert first == ["kubectl", "get", "pods"]
    assert isinstance(second, Step)
    assert (second.command, second.node, second.timeout) == (
        ["crictl", "ps"],
        NodeRole.control_plane,
        300,
    )
    assert isinstance(third, Step) and third.node is None and third.timeout is None
    bad_steps: list[Any] = [
        {"command": []},
        {"command": ["x"], "timeout": 0},
        {"command": ["x"], "where": "node"},
        [],
    ]
    for bad in bad_steps:
        with pytest.raises(ValidationError):
            Solution.model_validate({"run": [bad]})


# --------------------------------------------------------------------------- the command line


def test_cli_rejects_an_unknown_cluster_target() -> None:
    res = CliRunner().invoke(main, ["--cluster", "bogus", "list"])
    assert res.exit_code == 2, res.output
    assert "kind, node or context:NAME" in res.output


def test_cli_rejects_cluster_node_with_a_context() -> None:
    res = CliRunner().invoke(main, ["--cluster", "node", "--context", "x", "list"])
    assert res.exit_code == 2, res.output
    assert "--cluster or --context" in res.output
