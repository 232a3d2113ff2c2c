"""audit-policy-writing and apiserver-etcd-tls without a cluster: the reference solutions'
manifest edits give a valid static pod that the labs' own checks accept, the cipher suite
check accepts strong lists only, and the texts state upstream facts.

The edits are the shell scripts of the solutions, run on a copy of kubeadm's manifest
(GNU sed, as on a kubeadm node and in a kind node).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from labtui.scenario.loader import load_file
from tests.conftest import SCENARIOS
from tests.engine.test_node_target import KUBEADM_MANIFEST

MANIFEST = "/etc/kubernetes/manifests/kube-apiserver.yaml"


def gnu_sed() -> bool:
    sed = shutil.which("sed")
    if sed is None:
        return False
    res = subprocess.run([sed, "--version"], capture_output=True, text=True, check=False)
    return "GNU sed" in res.stdout


needs_gnu_sed = pytest.mark.skipif(not gnu_sed(), reason="the solutions use GNU sed's one-line a\\")


def scenario(sid: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SCENARIOS / sid / "scenario.yaml").read_text())
    return data


def task(sid: str, task_id: str) -> dict[str, Any]:
    return next(t for t in scenario(sid)["tasks"] if t["id"] == task_id)


def on_copy(script: str, node: Path) -> str:
    """The script with the node's paths moved into ``node``."""
    return (
        script.replace(MANIFEST, str(node / "manifests" / "kube-apiserver.yaml"))
        .replace("/etc/kubernetes/.kube-apiserver.yaml.edit", str(node / ".edit"))
        .replace("/etc/kubernetes/kube-apiserver.yaml.bak", str(node / "kube-apiserver.yaml.bak"))
    )


def edit(sid: str, task_id: str, node: Path) -> subprocess.CompletedProcess[str]:
    script = task(sid, task_id)["solution"]["run"][0]["command"][2]
    return subprocess.run(
        ["sh", "-c", on_copy(script, node)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def node(tmp_path: Path) -> Path:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "kube-apiserver.yaml").write_text(KUBEADM_MANIFEST)
    return tmp_path


def grep_check(check: dict[str, Any], node: Path) -> str:
    """Run a check's ``grep`` over the copy of the manifest."""
    argv = [
        a.replace(MANIFEST, str(node / "manifests" / "kube-apiserver.yaml"))
        for a in check["command"]
    ]
    assert argv[0] == "grep"
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def passes(check: dict[str, Any], stdout: str) -> bool:
    """The output expectations of an exec check, as labtui judges them."""
    contains = check.get("stdout_contains") or []
    if isinstance(contains, str):
        contains = [contains]
    if not all(c in stdout for c in contains):
        return False
    pattern = check.get("stdout_matches")
    return pattern is None or re.search(pattern, stdout, re.MULTILINE) is not None


@pytest.mark.parametrize("sid", ["audit-policy-writing", "apiserver-etcd-tls"])
def test_the_labs_load_and_keep_the_manifest_for_down(sid: str) -> None:
    result = load_file(SCENARIOS / sid / "scenario.yaml")
    assert result.scenario is not None, result.problems
    cluster = scenario(sid)["environment"]["cluster"]
    assert MANIFEST in cluster["node_files"]
    # The learner sets the flags; labtui's own API server settings are not used.
    assert not {"audit", "encryption", "admission"} & set(cluster)


@needs_gnu_sed
def test_the_audit_solution_gives_a_valid_manifest_the_checks_accept(node: Path) -> None:
    res = edit("audit-policy-writing", "enable-audit", node)
    assert res.returncode == 0, res.stderr
    manifest = node / "manifests" / "kube-apiserver.yaml"
    pod = yaml.safe_load(manifest.read_text())
    container = pod["spec"]["containers"][0]
    assert container["command"][0] == "kube-apiserver"
    assert "--audit-log-maxbackup=2" in container["command"]
    volumes = {v["name"]: v["hostPath"] for v in pod["spec"]["volumes"]}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert len(volumes) == len(pod["spec"]["volumes"]) and set(mounts) == set(volumes)
    assert volumes["audit-policy"]["path"] == mounts["audit-policy"]["mountPath"]
    assert mounts["audit-policy"]["readOnly"] is True
    assert volumes["audit-log"]["path"] == "/var/log/kubernetes/audit"
    assert not mounts["audit-log"].get("readOnly")
    # The copy went outside the manifests directory, and no temporary file is left.
    assert sorted(p.name for p in node.iterdir()) == ["kube-apiserver.yaml.bak", "manifests"]
    assert (node / "kube-apiserver.yaml.bak").read_text() == KUBEADM_MANIFEST
    assert [p.name for p in (node / "manifests").iterdir()] == ["kube-apiserver.yaml"]
    flags, mounts_check = task("audit-policy-writing", "enable-audit")["checks"][:2]
    assert passes(flags, grep_check(flags, node))
    assert passes(mounts_check, grep_check(mounts_check, node))
    # On kubeadm's own manifest they fail.
    manifest.write_text(KUBEADM_MANIFEST)
    assert not passes(flags, grep_check(flags, node))


@pytest.mark.parametrize(
    ("sid", "task_id"),
    [("audit-policy-writing", "enable-audit"), ("apiserver-etcd-tls", "restrict-tls")],
)
@needs_gnu_sed
def test_a_solution_never_edits_a_manifest_twice(sid: str, task_id: str, node: Path) -> None:
    assert edit(sid, task_id, node).returncode == 0
    once = (node / "manifests" / "kube-apiserver.yaml").read_text()
    again = edit(sid, task_id, node)
    assert again.returncode == 1 and "start from the original" in again.stderr
    assert (node / "manifests" / "kube-apiserver.yaml").read_text() == once


@needs_gnu_sed
def test_the_tls_solution_gives_flags_the_checks_accept(node: Path) -> None:
    res = edit("apiserver-etcd-tls", "restrict-tls", node)
    assert res.returncode == 0, res.stderr
    pod = yaml.safe_load((node / "manifests" / "kube-apiserver.yaml").read_text())
    command = pod["spec"]["containers"][0]["command"]
    assert command[:2] == ["kube-apiserver", "--tls-min-version=VersionTLS12"]
    manifest_check = task("apiserver-etcd-tls", "restrict-tls")["checks"][0]
    assert passes(manifest_check, grep_check(manifest_check, node))


TLS_PATTERN = task("apiserver-etcd-tls", "restrict-tls")["checks"][0]["stdout_matches"]
STRONG = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,"
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"
)


@pytest.mark.parametrize(
    ("minimum", "suites", "accepted"),
    [
        ("VersionTLS12", STRONG, True),
        ("VersionTLS13", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", True),
        ("VersionTLS11", STRONG, False),
        ("VersionTLS12", STRONG + ",TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", False),
        ("VersionTLS12", "TLS_RSA_WITH_AES_128_GCM_SHA256", False),  # no forward secrecy
        ("VersionTLS12", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", False),
        ("VersionTLS12", "", False),
    ],
)
def test_the_cipher_suite_check_accepts_strong_lists_only(
    minimum: str, suites: str, accepted: bool
) -> None:
    out = (
        f"--tls-min-version={minimum}\n--tls-cipher-suites={suites}\n"
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt\n"
    )
    assert (re.search(TLS_PATTERN, out, re.MULTILINE) is not None) is accepted


def test_the_tls_lab_states_the_upstream_facts() -> None:
    # component-base cli/flag: --tls-min-version takes VersionTLS10..VersionTLS13; Go's
    # crypto/tls: "TLS 1.3 ciphersuites are not configurable"; Go 1.22 raised the default
    # minimum of TLS servers to 1.2 (GODEBUG tls10server); etcd --client-cert-auth refuses
    # clients without a certificate signed by --trusted-ca-file.
    text = (SCENARIOS / "apiserver-etcd-tls" / "scenario.yaml").read_text()
    for fact in (
        "`VersionTLS10` to `VersionTLS13`",
        "TLS 1.3 suites are not configurable",
        "Go 1.22",
        "--client-cert-auth=true",
        "--trusted-ca-file",
        "--etcd-certfile",
        "--http1.1",
    ):
        assert fact in text, fact
    choice = task("apiserver-etcd-tls", "default-tls-floor")["checks"][0]
    assert [o["id"] for o in choice["options"] if o.get("correct")] == ["go-default"]


def test_the_audit_lab_orders_its_rules_as_upstream_matches_them() -> None:
    # audit.k8s.io/v1 Policy: the first matching rule sets the level; omitStages drops
    # events of a stage.
    policy_script = task("audit-policy-writing", "write-policy")["solution"]["run"][0]["command"][2]
    policy = yaml.safe_load(policy_script.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0])
    assert policy["apiVersion"] == "audit.k8s.io/v1" and policy["kind"] == "Policy"
    assert policy["omitStages"] == ["RequestReceived"]
    levels = [r["level"] for r in policy["rules"]]
    assert levels == ["None", "None", "RequestResponse", "Metadata", "Metadata"]
    namespaced, general = policy["rules"][2], policy["rules"][3]
    assert namespaced["namespaces"] == ["{namespace}"]
    assert "configmaps" in namespaced["resources"][0]["resources"]
    assert {"secrets", "configmaps"} <= set(general["resources"][0]["resources"])
    assert set(policy["rules"][-1]) == {"level"}
