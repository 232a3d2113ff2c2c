"""The admission-policies lab without a cluster: its Rego task with the real OPA, its
shell in checks and solutions, and what it says about the OPA it pins.

The cluster side (the ValidatingAdmissionPolicy refusing real requests) is proven by
``tests/k8s/test_admission_policies.py`` on the kubeadm node.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labtui.checks.base import CheckContext
from labtui.checks.kinds import command_check
from labtui.drivers.docker import DockerDriver
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import CommandCheck, Scenario
from labtui.scenario.templates import TemplateContext
from tests.labs.lab_scripts import built_in, offline_templates, shell_scripts

LAB = "admission-policies"
REPO = Path(__file__).resolve().parents[2]
OPA_PIN = REPO / "scripts" / "lab-tools" / "opa.sh"
NAMESPACE = "policy-lab"

needs_opa = pytest.mark.skipif(
    shutil.which("opa") is None,
    reason="needs opa: scripts/install-lab-tools.sh opa, "
    "then PATH=$HOME/.cache/labtui/tools/bin:$PATH",
)


def scenario() -> Scenario:
    return built_in(LAB)


def templates(lab_dir: Path) -> TemplateContext:
    return offline_templates(NAMESPACE, lab_dir)


def lay_out(lab_dir: Path) -> Scenario:
    """The lab's files as ``up`` writes them (templated), without a cluster."""
    sc = scenario()
    render = templates(lab_dir).render
    for rel, text in sc.environment.files.items():
        path = lab_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(text))
    return sc


def apply_files(sc: Scenario, task_id: str, lab_dir: Path) -> None:
    task = next(t for t in sc.tasks if t.id == task_id)
    assert task.solution is not None
    render = templates(lab_dir).render
    for rel, text in task.solution.files.items():
        (lab_dir / rel).write_text(render(text))


def run_checks(sc: Scenario, task_id: str, lab_dir: Path) -> list[bool]:
    """The task's command checks, run by labtui's own check code in ``lab_dir``."""
    task = next(t for t in sc.tasks if t.id == task_id)
    ctx = CheckContext(sc, task, templates(lab_dir), DockerDriver(timeout=5), lab_dir)
    verdicts = []
    for check in task.checks:
        assert isinstance(check, CommandCheck)
        verdicts.append(command_check(check, ctx).passed)
    return verdicts


@needs_opa
def test_the_rego_task_fails_on_the_starting_files_and_passes_with_the_solution(
    tmp_path: Path,
) -> None:
    sc = lay_out(tmp_path)
    assert run_checks(sc, "rego-offline", tmp_path) == [False, False]
    apply_files(sc, "rego-offline", tmp_path)
    assert run_checks(sc, "rego-offline", tmp_path) == [True, True]


@needs_opa
def test_the_starting_rego_denies_only_privileged_pods(tmp_path: Path) -> None:
    """What the learner starts from: one rule written, the registry rule missing."""
    lay_out(tmp_path)
    verdicts = {}
    for case in sorted((tmp_path / "cases").glob("*.yaml")):
        argv = ["opa", "eval", "--format", "raw", "-d", "rego/pods.rego", "-i", str(case)]
        out = subprocess.run(
            [*argv, "count(data.pods.deny)"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        verdicts[case.stem] = int(out)
    assert verdicts == {
        "compliant": 0,
        "docker-hub": 0,
        "look-alike": 0,
        "privileged": 1,
        "privileged-init": 1,
        "short-name": 0,
    }
    tests = subprocess.run(
        ["opa", "test", "rego/", "-v"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert tests.returncode != 0
    assert "test_privileged_is_denied: PASS" in tests.stdout
    assert "test_docker_hub_is_denied: FAIL" in tests.stdout


@needs_opa
def test_deleting_the_failing_tests_does_not_pass_the_task(tmp_path: Path) -> None:
    """`opa test` passes once the failing tests are gone; the check still wants them."""
    sc = lay_out(tmp_path)
    tests = tmp_path / "rego" / "pods_test.rego"
    text = tests.read_text()
    tests.write_text(text[: text.index("test_docker_hub_is_denied")].rsplit("\n", 1)[0] + "\n")
    passing = subprocess.run(
        ["opa", "test", "rego/"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert run_checks(sc, "rego-offline", tmp_path) == [False, False]


def test_every_shell_script_of_the_lab_parses(tmp_path: Path) -> None:
    scripts = shell_scripts(scenario())
    assert len(scripts) >= 4
    render = templates(tmp_path).render
    for where, script in scripts:
        res = subprocess.run(["sh", "-n", "-c", render(script)], capture_output=True, text=True)
        assert res.returncode == 0, f"{where}: {res.stderr}"


def test_the_policy_is_bound_to_the_lab_namespace_only(tmp_path: Path) -> None:
    """The binding selects the lab's namespace by its name label, from the starting file
    on; the cluster checks prove a privileged pod is still admitted in default."""
    import yaml

    sc = lay_out(tmp_path)
    apply_files(sc, "write-the-policy", tmp_path)
    binding = yaml.safe_load((tmp_path / "binding.yaml").read_text())
    assert binding["spec"]["validationActions"] == ["Deny"]
    assert binding["spec"]["matchResources"]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}
    }
    # The starting binding only warns (the learner's to fix), and is scoped from the
    # start: a half-made policy applied on a shared cluster never reaches other namespaces.
    start = yaml.safe_load(templates(tmp_path).render(sc.environment.files["binding.yaml"]))
    assert start["spec"]["validationActions"] == ["Warn"]
    assert start["spec"]["matchResources"] == binding["spec"]["matchResources"]


def test_the_lab_names_the_opa_it_pins_and_is_unavailable_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin = re.search(r"^OPA_VERSION=(\S+)$", OPA_PIN.read_text(), re.MULTILINE)
    assert pin is not None
    version = pin.group(1)
    sc = scenario()
    assert f"OPA {version}" in sc.introduction
    assert f"github.com/open-policy-agent/opa@v{version}" in sc.introduction
    assert f"opa@v{version}" in sc.tools["opa"]
    monkeypatch.setenv("PATH", str(tmp_path))  # no program at all
    entry = Catalog().find(LAB)
    session = Session(sc, entry.folder)
    assert session.task_missing("rego-offline") == [
        f"needs opa: not found on PATH; install: {sc.tools['opa']}"
    ]
    # The cluster tasks do not need it.
    assert session.task_missing("write-the-policy") == []


def test_the_lab_needs_a_cluster_of_its_own() -> None:
    """Policies and bindings are cluster-wide: not offered on a shared cluster."""
    from labtui.engine.clusters import context_unavailable

    sc = scenario()
    assert sc.environment.cluster is not None
    assert not sc.environment.cluster.namespaced
    assert context_unavailable(sc) is not None
