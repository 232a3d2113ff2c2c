"""audit-policy-writing on the kubeadm node: the learner writes the audit policy and edits
the API server's static pod manifest by hand; ``down`` puts every node file back.

The lab keeps the manifest, the policy directory and the log directory as node files
(``environment.cluster.node_files``), so ``down`` restores the manifest byte for byte
and removes what the learner made, also when the learner's manifest keeps the API
server from starting. Skipped without the cluster of ``make cluster``; fails instead
under LABTUI_REQUIRE_CLUSTER=1.

The helpers here also serve tests/k8s/test_apiserver_etcd_tls.py. Other labs may run on
the same cluster meanwhile: the comparison of the cluster before and after leaves out
what carries another lab's name (its namespaces, their Secrets, its labelled
cluster-wide objects, the node files it keeps), and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from labtui.engine import node_target
from labtui.names import SCENARIO_LABEL
from tests.k8s.node_state import fingerprint, kubectl, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

SID = "audit-policy-writing"
POLICY_DIR = Path("/etc/kubernetes/audit")
LOG_DIR = Path("/var/log/kubernetes/audit")
MARKER = b"    - kube-apiserver\n"


# --------------------------------------------------------------------------- helpers


def api_ready() -> bool:
    res = subprocess.run(
        ["kubectl", "--kubeconfig", str(node_target.ADMIN_CONF), "get", "--raw", "/readyz"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return res.returncode == 0 and res.stdout.strip() == "ok"


def controller_manager_ready() -> bool:
    out = kubectl(
        "get",
        "pods",
        "-n",
        "kube-system",
        "-l",
        "component=kube-controller-manager",
        "-o",
        "jsonpath={.items[*].status.containerStatuses[*].ready}",
        check=False,
    )
    return out.split() == ["true"]


def wait_until_the_cluster_is_quiet(sid: str, timeout: float = 900) -> None:
    """Other labs on this cluster may hold the API server's manifest, and after their API
    server restarts kube-controller-manager may be in crash-loop back-off: wait for both."""
    deadline = time.monotonic() + timeout
    while True:
        holder = node_target.holder() or node_target.files_held().get(str(node_target.MANIFEST))
        if holder in (None, sid) and api_ready() and controller_manager_ready():
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"the cluster is not quiet after {timeout:g} s: "
                f"{holder or 'no lab'} holds {node_target.MANIFEST}, "
                f"kube-controller-manager ready: {controller_manager_ready()}"
            )
        time.sleep(10)


def write_manifest(data: bytes) -> None:
    """As an editor that saves by renaming would: the kubelet never reads half a file."""
    tmp = node_target.KUBEADM_DIR / ".kube-apiserver.yaml.test"
    tmp.write_bytes(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, node_target.MANIFEST)


def wait_until_the_api_server_is_down() -> None:
    """The kubelet stops the old API server; the new one exits at every start."""
    deadline = time.monotonic() + 180
    while api_ready():
        assert time.monotonic() < deadline, "the API server still answers"
        time.sleep(3)
    time.sleep(20)
    assert not api_ready()


def down(sid: str) -> subprocess.CompletedProcess[str]:
    """``labtui down``, once more when the only failure was the lab's namespace still
    terminating: after API server restarts the kubelet may hold kube-controller-manager
    (which deletes namespaces) in crash-loop back-off for up to 5 minutes."""
    res = labtui("down", sid)
    if res.returncode != 0 and "is still terminating" in res.stdout + res.stderr:
        res = labtui("down", sid)
    return res


def others(sid: str) -> set[str]:
    """What other labs have on the cluster and the node now, as fingerprint() names it."""
    names: set[str] = set()
    selector = f"{SCENARIO_LABEL},{SCENARIO_LABEL}!={sid}"
    for api_version, plural in node_target.CLUSTER_WIDE:
        group = api_version.split("/")[0] if "/" in api_version else ""
        resource = f"{plural}.{group}" if group else plural
        names.update(kubectl("get", resource, "-l", selector, "-o", "name", check=False).split())
    for ns in [n.split("/", 1)[1] for n in names if n.startswith("namespace/")]:
        names.update(kubectl("get", "secrets", "-n", ns, "-o", "name", check=False).split())
    for path, lab in node_target.files_held().items():
        if lab != sid:
            names.update({path, str(node_target.FILES_DIR / lab)})
            names.update({str(node_target.BACKUP_DIR), str(node_target.FILES_DIR)})
    return names


def differences(before: dict[str, Any], after: dict[str, Any], foreign: set[str]) -> list[str]:
    """What differs between two fingerprints, leaving out what other labs own."""

    def mine(name: str) -> bool:
        return not any(name == f or name.startswith(f + "/") for f in foreign)

    lines = []
    for part in sorted(set(before) | set(after)):
        a, b = before.get(part), after.get(part)
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                x, y = a.get(key), b.get(key)
                if isinstance(x, list) and isinstance(y, list):
                    gone, new = set(x) - set(y), set(y) - set(x)
                    changed = sorted(n for n in gone | new if mine(n))
                    if changed:
                        lines.append(f"{part}: {key}: {changed}")
                elif x != y and mine(key):
                    lines.append(f"{part}: {key}: {x} -> {y}")
        elif isinstance(a, list) and isinstance(b, list):
            changed = sorted(n for n in set(a) ^ set(b) if mine(n))
            if changed:
                lines.append(f"{part}: {changed}")
        elif a != b:
            lines.append(f"{part}: {a} -> {b}")
    return lines


def left_as_found(sid: str, before: dict[str, Any], foreign_before: set[str]) -> list[str]:
    return differences(before, fingerprint(), foreign_before | others(sid))


def test_differences_leave_out_only_what_other_labs_own() -> None:
    before = {
        "node files": {"/etc/a": "1", "/etc/kubernetes/labtui-backup/files/x/0.file": "1"},
        "objects": {"namespaces": ["namespace/default", "namespace/x-lab"]},
        "secrets": ["secret/s-of-x"],
    }
    after = {
        "node files": {"/etc/a": "2"},
        "objects": {"namespaces": ["namespace/default", "namespace/mine"]},
        "secrets": ["secret/mine"],
    }
    foreign = {"namespace/x-lab", "secret/s-of-x", "/etc/kubernetes/labtui-backup/files/x"}
    assert differences(before, after, foreign) == [
        "node files: /etc/a: 1 -> 2",
        "objects: namespaces: ['namespace/mine']",
        "secrets: ['secret/mine']",
    ]


# --------------------------------------------------------------------------- the lab


def assert_nothing_of_the_lab_is_left() -> None:
    assert not (node_target.FILES_DIR / SID).exists()
    assert not POLICY_DIR.exists()
    assert not LOG_DIR.exists()
    assert not Path("/etc/kubernetes/kube-apiserver.yaml.bak").exists()


def solve_verify_on_the_node(sid: str) -> tuple[dict[str, Any], set[str]]:
    """``solve --verify`` of a lab that edits the API server manifest: it exits 0 and the
    manifest is back byte for byte with the API server ready. Returns the fingerprint
    before and the labs of others then, for ``left_as_found``."""
    wait_until_the_cluster_is_quiet(sid)
    before, foreign = fingerprint(), others(sid)
    original = node_target.MANIFEST.read_bytes()
    started = time.monotonic()
    res = labtui("solve", sid, "--verify")
    seconds = time.monotonic() - started
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{sid}: verified" in res.stdout
    print(f"{sid}: solve --verify took {seconds:.0f} s")
    assert node_target.MANIFEST.read_bytes() == original
    assert api_ready()
    return before, foreign


def test_solve_verify_and_down_leave_the_node_as_found() -> None:
    before, foreign = solve_verify_on_the_node(SID)
    assert_nothing_of_the_lab_is_left()
    assert left_as_found(SID, before, foreign) == []


def test_down_puts_back_a_manifest_that_keeps_the_api_server_down() -> None:
    """Half done: a policy, the log directory (and /var/log/kubernetes on the way), and a
    manifest with a flag the API server does not know. down still puts everything back."""
    wait_until_the_cluster_is_quiet(SID)
    before, foreign = fingerprint(), others(SID)
    original = node_target.MANIFEST.read_bytes()
    up = labtui("up", SID)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        POLICY_DIR.mkdir(parents=True)
        (POLICY_DIR / "policy.yaml").write_text(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n"
        )
        LOG_DIR.mkdir(parents=True)
        assert MARKER in original
        write_manifest(
            original.replace(
                MARKER,
                MARKER + b"    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml\n"
                b"    - --audit-log-pathh=/var/log/kubernetes/audit/audit.log\n",
            )
        )
        wait_until_the_api_server_is_down()
    finally:
        res = down(SID)
    assert res.returncode == 0, res.stdout + res.stderr
    assert node_target.MANIFEST.read_bytes() == original
    assert api_ready()
    assert_nothing_of_the_lab_is_left()
    assert left_as_found(SID, before, foreign) == []
