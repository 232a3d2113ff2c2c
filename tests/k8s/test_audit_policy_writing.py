"""audit-policy-writing on the kubeadm node: the learner writes the audit policy and edits
the API server's static pod manifest by hand; ``down`` puts every node file back.

The lab keeps the manifest, the policy directory and the log directory as node files
(``environment.cluster.node_files``), so ``down`` restores the manifest byte for byte
and removes what the learner made, also when the learner's manifest keeps the API
server from starting. Skipped without the cluster of ``make cluster``; fails instead
under LABTUI_REQUIRE_CLUSTER=1.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from labtui.engine import node_target
from tests.k8s.node_state import fingerprint, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

SID = "audit-policy-writing"
POLICY_DIR = Path("/etc/kubernetes/audit")
LOG_DIR = Path("/var/log/kubernetes/audit")


def wait_until_the_cluster_is_quiet(timeout: float = 900) -> None:
    """Other labs on this cluster may hold the API server's manifest, and after their API
    server restarts kube-controller-manager may be in crash-loop back-off: wait for both."""
    deadline = time.monotonic() + timeout
    while True:
        holder = node_target.holder() or node_target.files_held().get(str(node_target.MANIFEST))
        ready = holder is None and api_ready() and controller_manager_ready()
        if ready:
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"the cluster is not quiet after {timeout:g} s: "
                f"{holder or 'no lab'} holds {node_target.MANIFEST}, "
                f"kube-controller-manager ready: {controller_manager_ready()}"
            )
        time.sleep(10)


def controller_manager_ready() -> bool:
    res = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(node_target.ADMIN_CONF),
            "get",
            "pods",
            "-n",
            "kube-system",
            "-l",
            "component=kube-controller-manager",
            "-o",
            "jsonpath={.items[*].status.containerStatuses[*].ready}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return res.returncode == 0 and res.stdout.split() == ["true"]


def api_ready() -> bool:
    res = subprocess.run(
        ["kubectl", "--kubeconfig", str(node_target.ADMIN_CONF), "get", "--raw", "/readyz"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return res.returncode == 0 and res.stdout.strip() == "ok"


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, one line per file or list."""
    lines = []
    for part in sorted(set(before) | set(after)):
        a, b = before.get(part), after.get(part)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    lines.append(f"{part}: {key}: {a.get(key)} -> {b.get(key)}")
        else:
            lines.append(f"{part}: {a} -> {b}")
    return lines


def down() -> subprocess.CompletedProcess[str]:
    """``labtui down``, once more when the only failure was the lab's namespace still
    terminating: after API server restarts the kubelet may hold kube-controller-manager
    (which deletes namespaces) in crash-loop back-off for up to 5 minutes."""
    res = labtui("down", SID)
    if res.returncode != 0 and "is still terminating" in res.stdout + res.stderr:
        res = labtui("down", SID)
    return res


def write_manifest(data: bytes) -> None:
    """As an editor that saves by renaming would: the kubelet never reads half a file."""
    tmp = node_target.KUBEADM_DIR / ".kube-apiserver.yaml.test"
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, node_target.MANIFEST)


def assert_nothing_of_the_lab_is_left() -> None:
    assert not (node_target.FILES_DIR / SID).exists()
    assert not POLICY_DIR.exists()
    assert not LOG_DIR.exists()
    assert not Path("/etc/kubernetes/kube-apiserver.yaml.bak").exists()


def test_solve_verify_and_down_leave_the_node_as_found() -> None:
    wait_until_the_cluster_is_quiet()
    before = fingerprint()
    started = time.monotonic()
    res = labtui("solve", SID, "--verify")
    seconds = time.monotonic() - started
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{SID}: verified" in res.stdout
    print(f"{SID}: solve --verify took {seconds:.0f} s")
    assert api_ready()
    assert_nothing_of_the_lab_is_left()
    assert differences(before, fingerprint()) == []


def test_down_puts_back_a_manifest_that_keeps_the_api_server_down() -> None:
    """Half done: a policy, the log directory, and a manifest with a flag the API server
    does not know, so it exits at every start. down still puts everything back."""
    wait_until_the_cluster_is_quiet()
    before = fingerprint()
    original = node_target.MANIFEST.read_bytes()
    up = labtui("up", SID)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        POLICY_DIR.mkdir(parents=True)
        (POLICY_DIR / "policy.yaml").write_text(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n"
        )
        LOG_DIR.mkdir(parents=True)
        marker = b"    - kube-apiserver\n"
        assert marker in original
        write_manifest(
            original.replace(
                marker,
                marker + b"    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml\n"
                b"    - --audit-log-pathh=/var/log/kubernetes/audit/audit.log\n",
            )
        )
        # The kubelet stops the old API server and the new one exits at once.
        deadline = time.monotonic() + 180
        while api_ready():
            assert time.monotonic() < deadline, "the API server still answers"
            time.sleep(3)
        time.sleep(20)
        assert not api_ready()
    finally:
        res = down()
    assert res.returncode == 0, res.stdout + res.stderr
    assert node_target.MANIFEST.read_bytes() == original
    assert api_ready()
    assert_nothing_of_the_lab_is_left()
    assert differences(before, fingerprint()) == []
