"""The CIS Benchmark lab without a cluster: what it runs, where kube-bench's definitions
come from, and how a node file the learner edited goes back on another mount.

The lab itself is proven on the kubeadm node by ``tests/k8s/test_cis_benchmark.py``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from labtui.engine import node_target
from labtui.scenario.catalog import Catalog
from tests.conftest import SCENARIOS

LAB = "cis-benchmark"
REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "scripts" / "lab-tools" / "kube-bench.sh"
CFG = "/etc/kube-bench/cfg"
BENCHMARK = "cis-1.12"


def pinned_version() -> str:
    found = re.search(r"^KUBE_BENCH_VERSION=(\S+)$", TOOL.read_text(), re.M)
    assert found
    return found.group(1)


def scenario() -> dict[str, Any]:
    data = yaml.safe_load((SCENARIOS / LAB / "scenario.yaml").read_text())
    assert isinstance(data, dict)
    return data


def kube_bench_argvs(node: Any) -> list[list[str]]:
    """Every argv list in the scenario that runs kube-bench directly."""
    found: list[list[str]] = []
    if isinstance(node, dict):
        for value in node.values():
            found += kube_bench_argvs(value)
    elif isinstance(node, list):
        if len(node) > 1 and node[0] == "kube-bench":
            found.append([str(a) for a in node])
        else:
            for value in node:
                found += kube_bench_argvs(value)
    return found


def test_the_lab_loads_and_keeps_the_files_the_learner_edits() -> None:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    spec = entry.scenario.environment.cluster
    assert spec is not None
    assert spec.node_files == [
        "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        "/var/lib/kubelet/config.yaml",
        "/etc/kube-bench",
    ]
    # It needs its own node: never offered on a shared cluster.
    assert "files on the control-plane node" in spec.cluster_wide
    for task in entry.scenario.tasks:
        assert "kube-bench" in task.requires, task.id
    assert "kube-bench" in entry.scenario.tools
    assert pinned_version() in entry.scenario.tools["kube-bench"]


def test_every_kube_bench_run_names_the_benchmark_and_the_definitions() -> None:
    """Version detection falls back to 1.18 (cis-1.6) on a node without a kubeconfig."""
    argvs = kube_bench_argvs(scenario())
    assert len(argvs) >= 4
    for argv in argvs:
        assert argv[1] == "run", argv
        assert argv[argv.index("--benchmark") + 1] == BENCHMARK, argv
        assert argv[argv.index("--config-dir") + 1] == CFG, argv
    text = re.sub(r"\\\n\s*", "", (SCENARIOS / LAB / "scenario.yaml").read_text())
    for line in re.findall(r"kube-bench run [^\n]*", text):
        assert f"--benchmark {BENCHMARK}" in line and f"--config-dir {CFG}" in line, line


def test_checks_select_one_result_by_id_and_read_its_status() -> None:
    checks = {
        task["id"]: [c for c in task["checks"] if c["kind"] == "exec"]
        for task in scenario()["tasks"]
    }
    for task_id, check_id in (
        ("controller-manager-profiling", "1.3.2"),
        ("kubelet-config-permissions", "4.1.9"),
    ):
        (check,) = checks[task_id]
        argv = check["command"]
        assert argv[argv.index("--check") + 1] == check_id
        assert "--json" in argv
        assert check["stdout_contains"] == [f'"test_number":"{check_id}"', '"status":"PASS"']


def test_the_install_script_builds_the_pinned_module_and_copies_its_cfg() -> None:
    text = TOOL.read_text()
    version = pinned_version()
    assert 'module="github.com/aquasecurity/kube-bench@v$KUBE_BENCH_VERSION"' in text
    assert "cmd.KubeBenchVersion=$KUBE_BENCH_VERSION" in text
    assert 'cp -R "$src/cfg" "$dir/cfg"' in text
    res = subprocess.run(["bash", "-n", str(TOOL)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert version.count(".") == 2


installed = pytest.mark.skipif(
    shutil.which("kube-bench") is None,
    reason="needs kube-bench: scripts/install-lab-tools.sh kube-bench, "
    "then PATH=$HOME/.cache/labtui/tools/bin:$PATH",
)


@installed
def test_the_installed_kube_bench_is_the_pinned_one_and_maps_1_32_to_cis_1_12() -> None:
    binary = Path(shutil.which("kube-bench") or "").resolve()
    out = subprocess.run(
        [str(binary), "version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == pinned_version()
    cfg = binary.parent.parent / "cfg"
    config = yaml.safe_load((cfg / "config.yaml").read_text())
    assert config["version_mapping"]["1.32"] == BENCHMARK
    for name in ("master.yaml", "node.yaml", "config.yaml"):
        assert (cfg / BENCHMARK / name).is_file()
    master = (cfg / BENCHMARK / "master.yaml").read_text()
    node = (cfg / BENCHMARK / "node.yaml").read_text()
    assert re.search(r"id: 1\.3\.2\n\s+text: \"Ensure that the --profiling argument", master)
    assert re.search(r"id: 4\.1\.9\n\s+text: \"If the kubelet config\.yaml", node)


@installed
def test_kube_bench_json_names_the_benchmark_and_each_result_by_number(tmp_path: Path) -> None:
    """The exact fields the checks look for, from the real binary (no cluster needed:
    a file-mode check of a kubelet config the test points it at)."""
    binary = Path(shutil.which("kube-bench") or "").resolve()
    cfg = tmp_path / "cfg"
    shutil.copytree(binary.parent.parent / "cfg", cfg)
    kubelet_conf = tmp_path / "kubelet-config.yaml"
    kubelet_conf.write_text("kind: KubeletConfiguration\n")
    config = cfg / "config.yaml"
    config.write_text(
        config.read_text().replace("/var/lib/kubelet/config.yaml", str(kubelet_conf), 1)
    )

    def status(mode: int) -> tuple[str, dict[str, Any]]:
        kubelet_conf.chmod(mode)
        res = subprocess.run(
            [str(binary), "run", "--targets", "node", "--benchmark", BENCHMARK,
             "--config-dir", str(cfg), "--check", "4.1.9", "--json"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if res.returncode != 0 and "kubelet" in res.stderr:
            pytest.skip(f"kube-bench audits a node with a running kubelet: {res.stderr.strip()}")
        assert res.returncode == 0, res.stderr
        return res.stdout, json.loads(res.stdout)

    text, report = status(0o644)
    (control,) = report["Controls"]
    assert control["version"] == BENCHMARK
    (result,) = [r for group in control["tests"] for r in group["results"]]
    if result["audit"].find(str(kubelet_conf)) < 0:
        pytest.skip("this node's kubelet names another config file; kube-bench audits that one")
    assert (result["test_number"], result["status"]) == ("4.1.9", "FAIL")
    assert '"test_number":"4.1.9"' in text and '"status":"PASS"' not in text
    text, report = status(0o600)
    assert '"test_number":"4.1.9"' in text and '"status":"PASS"' in text


# --------------------------------------------------------------------------- putting files back


def test_a_kept_file_goes_back_by_a_rename_in_its_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/var/lib/kubelet may be a mount of its own: a rename from labtui's backup directory
    would fail there (EXDEV), so the new bytes are written beside the file."""
    copies = tmp_path / "backup"
    copies.mkdir()
    (copies / "0.file").write_bytes(b"kind: KubeletConfiguration\n")
    target = tmp_path / "var-lib-kubelet" / "config.yaml"
    target.parent.mkdir()
    target.write_bytes(b"edited\n")
    target.chmod(0o600)
    st = target.stat()
    entry = {
        "path": str(target),
        "existed": True,
        "copy": "0.file",
        "mode": 0o644,
        "uid": st.st_uid,
        "gid": st.st_gid,
    }
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    node_target._put_back(entry, copies)
    assert target.read_bytes() == b"kind: KubeletConfiguration\n"
    assert target.stat().st_mode & 0o777 == 0o644
    ((src, dst),) = renames
    assert dst == target and src.parent == target.parent
    # A dot name: the kubelet skips it in a static pod directory.
    assert src.name.startswith(".")
    assert sorted(p.name for p in target.parent.iterdir()) == ["config.yaml"]


def test_a_failed_rename_leaves_the_file_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = tmp_path / "backup"
    copies.mkdir()
    (copies / "0.file").write_bytes(b"original\n")
    target = tmp_path / "config.yaml"
    target.write_bytes(b"edited\n")
    st = target.stat()
    entry = {
        "path": str(target),
        "existed": True,
        "copy": "0.file",
        "mode": 0o644,
        "uid": st.st_uid,
        "gid": st.st_gid,
    }

    def replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        node_target._put_back(entry, copies)
    # Never removed before the rename: a kubelet restarted now still finds its config.
    assert target.read_bytes() == b"edited\n"
