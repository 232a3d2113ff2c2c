"""The runtimeclass-gvisor lab on the kubeadm node of ``make cluster`` (``--cluster node``).

Where the node can run gVisor pods, the lab proves itself (``solve --verify``: runsc and
its shim copied to /usr/local/bin, the runtime handler runsc added to
/etc/containerd/config.toml and containerd restarted, a RuntimeClass, a pod under it,
gVisor's kernel seen from inside) and ``down`` leaves the node byte for byte as it
found it: containerd's config, the two programs gone again, no RuntimeClass, no
namespace.

Where it cannot, every task is unavailable with the exact reasons (the gVisor shim
needs CAP_SYS_RESOURCE to set its OOM score; containerd must read the config file the
learner edits), never passed, and ``up``/``down`` still leave the node as found.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from labtui.engine import gvisor
from labtui.engine.requirements import Availability, task_missing
from labtui.scenario.catalog import Catalog
from tests.k8s.node_state import fingerprint, kubectl, labtui

pytestmark = [pytest.mark.node_cluster, pytest.mark.timeout(1500)]

LAB = "runtimeclass-gvisor"
PROGRAMS = (Path("/usr/local/bin/runsc"), Path("/usr/local/bin/containerd-shim-runsc-v1"))


def reasons_here() -> list[str]:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Availability.probe(cluster="node").missing(entry.scenario)


def down() -> subprocess.CompletedProcess[str]:
    """``labtui down``, again after a minute while another lab restarts the API server."""
    for _ in range(3):
        res = labtui("down", LAB)
        if res.returncode == 0 or "does not answer" not in res.stdout + res.stderr:
            return res
        time.sleep(60)
    return res


def programs() -> dict[str, bytes | None]:
    return {str(p): p.read_bytes() if p.exists() else None for p in PROGRAMS}


def test_unavailable_here_with_the_exact_reasons_and_nothing_changed() -> None:
    reasons = reasons_here()
    if not reasons:
        pytest.skip("gVisor pods run on this node: the next test proves the lab")
    entry = Catalog().find(LAB)
    assert entry.scenario is not None
    first = entry.scenario.tasks[0]
    assert reasons == task_missing(list(first.requires), None, entry.scenario.tools, node=True)
    for probe in (gvisor.shim_missing(), gvisor.containerd_config_missing()):
        assert probe is None or probe in reasons
    listed = labtui("list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith(LAB))
    assert "-" in line.split()  # no progress column: nothing to do here
    assert f"unavailable here: {reasons[0]}" in listed.stdout
    # up and down on a node where nothing can be done still leave it as found
    before, bins = fingerprint(), programs()
    up = labtui("up", LAB)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        checked = labtui("check", LAB)
        assert "skipped: " + reasons[0] in checked.stdout
        assert "passed" not in checked.stdout.replace("0 passed", "")
    finally:
        gone = down()
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert fingerprint() == before
    assert programs() == bins


def test_solve_verify_and_down_restores_containerd_byte_for_byte() -> None:
    reasons = reasons_here()
    if reasons:
        pytest.skip("; ".join(reasons))
    before, bins = fingerprint(), programs()
    try:
        res = labtui("solve", LAB, "--verify")
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"{LAB}: verified" in res.stdout
        assert "skipped" not in res.stdout
    finally:
        gone = down()
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert fingerprint() == before
    assert programs() == bins
    assert "gvisor" not in kubectl("get", "runtimeclasses", "-o", "name")
