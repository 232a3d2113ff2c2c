"""The CIS Benchmark lab on the real kubeadm node: kube-bench flags what kubeadm leaves,
the learner's fixes make it pass, and ``down`` leaves the node as it was.

kube-bench is the one ``scripts/install-lab-tools.sh kube-bench`` builds. These tests
skip where there is no cluster or no kube-bench, and fail instead under
LABTUI_REQUIRE_CLUSTER=1 (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from labtui.engine import node_target
from tests.k8s.node_state import fingerprint, kubectl, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

LAB = "cis-benchmark"
BENCHMARK = "cis-1.12"
LAB_CFG = Path("/etc/kube-bench")


@pytest.fixture(autouse=True)
def _kube_bench() -> None:
    if shutil.which("kube-bench") is None:
        reason = "needs kube-bench: scripts/install-lab-tools.sh kube-bench"
        if os.environ.get("LABTUI_REQUIRE_CLUSTER"):
            pytest.fail(reason)
        pytest.skip(reason)


def tool_cfg() -> Path:
    """The definitions installed next to the binary (the lab copies them to /etc/kube-bench)."""
    return Path(shutil.which("kube-bench") or "").resolve().parent.parent / "cfg"


def result(target: str, check: str) -> dict[str, Any]:
    """kube-bench's JSON result for one check, run on this node as the lab does."""
    res = subprocess.run(
        ["kube-bench", "run", "--targets", target, "--benchmark", BENCHMARK,
         "--config-dir", str(tool_cfg()), "--check", check, "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    (control,) = report["Controls"]
    assert control["version"] == BENCHMARK
    results: list[dict[str, Any]] = [r for group in control["tests"] for r in group["results"]]
    (found,) = results
    assert found["test_number"] == check
    return found


def other_labs() -> dict[str, list[str]]:
    """Namespaces of labs others run on this shared node meanwhile (never in CI), with the
    names of their Secrets (the fingerprint lists Secrets by name only)."""
    found: dict[str, list[str]] = {}
    for ns in json.loads(kubectl("get", "namespaces", "-o", "json"))["items"]:
        name, labels = ns["metadata"]["name"], ns["metadata"].get("labels") or {}
        if labels.get("labtui.scenario") not in (None, LAB):
            found[name] = kubectl("get", "secrets", "-n", name, "-o", "name", check=False).split()
    return found


def without(state: dict[str, Any], others: dict[str, list[str]]) -> dict[str, Any]:
    """``state`` less other labs' namespaces and their Secrets."""
    objects = dict(state["objects"])
    objects["namespaces"] = [
        n for n in objects["namespaces"] if n.removeprefix("namespace/") not in others
    ]
    secrets = list(state["secrets"])
    for name in (s for names in others.values() for s in names):
        if name in secrets:
            secrets.remove(name)
    return {**state, "objects": objects, "secrets": secrets}


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed, one line each: a node file, or the objects of one resource."""
    lines = []
    for part in ("node files", "objects"):
        for key in sorted(set(before[part]) | set(after[part])):
            if before[part].get(key) != after[part].get(key):
                lines.append(f"{part}: {key}: {before[part].get(key)} -> {after[part].get(key)}")
    lines += [part for part in ("secrets", "node labels") if before[part] != after[part]]
    return lines


def test_kube_bench_fails_what_kubeadm_leaves() -> None:
    """On the cluster as kubeadm made it, the checks the lab fixes fail (and 1.2.1 is a
    WARN because it is unscored), so the lab's checks cannot pass by themselves."""
    assert not LAB_CFG.exists(), f"{LAB_CFG} is left from an earlier run"
    profiling = result("master", "1.3.2")
    assert profiling["status"] == "FAIL", profiling
    assert "--profiling=false" not in profiling["actual_value"]
    config = result("node", "4.1.9")
    assert config["status"] == "FAIL", config
    assert config["actual_value"] == "permissions=644"
    anonymous = result("master", "1.2.1")
    assert (anonymous["status"], anonymous["scored"]) == ("WARN", False)


def test_solve_verify_and_down_leave_the_node_as_found() -> None:
    others = other_labs()
    before = fingerprint()
    res = labtui("solve", LAB, "--verify")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{LAB}: verified" in res.stdout
    # down put back the manifest and the kubelet's config, and removed the definitions.
    after = fingerprint()
    for name, secrets in other_labs().items():
        others[name] = sorted({*others.get(name, []), *secrets})
    assert without(after, others) == without(before, others), differences(before, after)
    assert not LAB_CFG.exists()
    assert LAB not in set(node_target.files_held().values())
    assert not (node_target.FILES_DIR / LAB).exists()
    # The controller manager runs kubeadm's flags again.
    assert result("master", "1.3.2")["status"] == "FAIL"
    assert result("node", "4.1.9")["status"] == "FAIL"
