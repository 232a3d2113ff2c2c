"""Solution steps with a time limit, an undo or a node of their own, in a lab without Docker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from labtui.drivers import shell
from labtui.engine import guidance
from labtui.engine.guidance import SOLUTION_TIMEOUT, solution_steps
from labtui.engine.session import Session
from labtui.engine.trust import ON_NODE_RISK, review
from labtui.errors import EnvironmentUnavailable, LabError
from labtui.scenario.loader import load_file
from labtui.scenario.model import Scenario
from labtui.state.progress import ProgressStore

LAB = """\
format_version: 1
id: steps-lab
title: Solution steps
topic: host
difficulty: beginner
minutes: 1
requires: [local]
tasks:
  - id: cut
    title: A step with a time limit of its own
    checks:
      - kind: file
        path: done.txt
    solution:
      run:
        - command: [sleep, "5"]
          timeout: 1
          undo: [touch, undone.txt]
  - id: plain
    title: An argv step and a step without a limit
    checks:
      - kind: file
        path: plain.txt
    solution:
      run:
        - [touch, plain.txt]
        - command: [touch, step.txt]
  - id: undone
    title: A failing step that is undone
    checks:
      - kind: file
        path: done.txt
    solution:
      run:
        - [touch, before.txt]
        - command: [sh, -c, "echo broken >&2; exit 3"]
          timeout: 30
          undo: [touch, undone.txt]
  - id: undo-fails
    title: A failing step whose undo fails too
    checks:
      - kind: file
        path: done.txt
    solution:
      run:
        - command: [sh, -c, "exit 3"]
          undo: [sh, -c, "exit 4"]
  - id: no-undo
    title: A failing step without undo
    checks:
      - kind: command
        command: ["true"]
    solution:
      run:
        - command: [sh, -c, "echo nope >&2; exit 2"]
  - id: on-node
    title: A step on the control-plane node
    checks:
      - kind: command
        command: ["true"]
    solution:
      run:
        - [touch, host.txt]
        - command: [sudo, crictl, ps]
          node: control-plane
          timeout: 60
"""

# An exec check counts as using containers, so the lab that has one on a node needs docker.
NODE_CHECK = """\
  - id: node-check
    title: A check on the control-plane node
    checks:
      - kind: exec
        node: control-plane
        command: [crictl, ps]
"""


def load(tmp_path: Path, text: str) -> tuple[Scenario, Path]:
    folder = tmp_path / "pack" / "steps-lab"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(text)
    loaded = load_file(folder / "scenario.yaml")
    assert loaded.ok and loaded.scenario is not None, loaded.problems
    return loaded.scenario, folder


@pytest.fixture
def session(tmp_path: Path) -> Session:
    scenario, folder = load(tmp_path, LAB)
    return Session(scenario, folder, store=ProgressStore("t", path=tmp_path / "p.json"))


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], float]]:
    """Every command the solution runs, with the time limit it was given; they still run."""
    calls: list[tuple[list[str], float]] = []
    real = shell.run

    def recording(argv: list[str], timeout: float = 10.0, **kwargs: Any) -> shell.CommandResult:
        calls.append((list(argv), timeout))
        return real(argv, timeout=timeout, **kwargs)

    monkeypatch.setattr("labtui.engine.guidance.shell.run", recording)
    return calls


# -- 1. time limits


def test_a_step_with_its_own_timeout_is_cut_then_undone(session: Session) -> None:
    start = time.monotonic()
    with pytest.raises(LabError) as caught:
        session.apply_solution("cut")
    elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 4, elapsed
    assert "timed out after 1 s" in caught.value.message
    assert "sleep 5" in caught.value.message
    # A step that was cut is undone like one that failed.
    assert (session.lab_dir / "undone.txt").exists()
    assert "undone with `touch undone.txt`" in caught.value.hint


def test_steps_without_a_limit_keep_the_default(
    session: Session, runs: list[tuple[list[str], float]]
) -> None:
    assert SOLUTION_TIMEOUT == 120
    session.apply_solution("plain")
    assert runs == [(["touch", "plain.txt"], SOLUTION_TIMEOUT), (["touch", "step.txt"], 120)]
    assert (session.lab_dir / "plain.txt").exists() and (session.lab_dir / "step.txt").exists()
    assert session.check("plain").passed


def test_the_limit_of_a_step_is_the_one_it_runs_with(
    session: Session, runs: list[tuple[list[str], float]]
) -> None:
    with pytest.raises(LabError):
        session.apply_solution("undone")
    assert [timeout for _, timeout in runs] == [SOLUTION_TIMEOUT, 30, SOLUTION_TIMEOUT]


# -- 2. undo


def test_a_failing_step_is_undone_and_the_hint_says_so(
    session: Session, runs: list[tuple[list[str], float]]
) -> None:
    with pytest.raises(LabError) as caught:
        session.apply_solution("undone")
    error = caught.value
    assert "exited 3" in error.message
    assert error.hint == "broken; undone with `touch undone.txt`"
    assert (session.lab_dir / "before.txt").exists()
    assert (session.lab_dir / "undone.txt").exists()
    assert runs[-1][0] == ["touch", "undone.txt"]


def test_an_undo_that_fails_asks_to_clean_up_by_hand(session: Session) -> None:
    with pytest.raises(LabError) as caught:
        session.apply_solution("undo-fails")
    hint = caught.value.hint
    assert "did not undo it either (exit 4)" in hint
    assert hint.endswith("clean up by hand")
    assert "undone with" not in hint


def test_a_step_without_undo_runs_nothing_more(
    session: Session, runs: list[tuple[list[str], float]]
) -> None:
    with pytest.raises(LabError) as caught:
        session.apply_solution("no-undo")
    assert [argv for argv, _ in runs] == [["sh", "-c", "echo nope >&2; exit 2"]]
    assert caught.value.hint == "nope"
    assert "undo" not in str(caught.value)


# -- 3. progress


def test_each_step_is_reported_before_it_runs(
    session: Session, runs: list[tuple[list[str], float]]
) -> None:
    heard: list[str] = []

    def notify(text: str) -> None:
        heard.append(text)
        # Reported before the step runs: nothing of it has run yet.
        assert len(runs) == len(heard) - 1

    session.apply_solution("plain", notify=notify)
    assert heard == ["plain: step 1/2: touch plain.txt", "plain: step 2/2: touch step.txt"]


def test_a_steps_own_limit_and_its_undo_are_reported(session: Session) -> None:
    heard: list[str] = []
    with pytest.raises(LabError):
        session.apply_solution("undone", notify=heard.append)
    assert heard == [
        "undone: step 1/2: touch before.txt",
        "undone: step 2/2: sh -c 'echo broken >&2; exit 3' (up to 30 s)",
        "undone: undoing the failed step: touch undone.txt",
    ]


def test_a_step_without_undo_reports_only_itself(session: Session) -> None:
    heard: list[str] = []
    with pytest.raises(LabError):
        guidance.apply_solution(session, "no-undo", heard.append)
    assert heard == ["no-undo: step 1/1: sh -c 'echo nope >&2; exit 2'"]


# -- 4. steps as shown, and a node where there is none


def test_steps_are_shown_as_typed_and_a_missing_node_says_why(session: Session) -> None:
    assert solution_steps(session, "plain") == ["touch plain.txt", "touch step.txt"]
    assert solution_steps(session, "undone") == [
        "touch before.txt",
        "sh -c 'echo broken >&2; exit 3'",
    ]
    host, node = solution_steps(session, "on-node")
    assert host == "touch host.txt"
    assert node.startswith("(unavailable here: ")
    assert "scenario steps-lab has no cluster, so no control-plane node" in node


def test_a_node_step_without_a_cluster_is_unavailable(
    session: Session, runs: list[tuple[list[str], float]]
) -> None:
    heard: list[str] = []
    with pytest.raises(EnvironmentUnavailable) as caught:
        session.apply_solution("on-node", notify=heard.append)
    assert "no control-plane node" in caught.value.message
    assert caught.value.exit_code == 3
    # The steps before it ran; the node step itself never started.
    assert [argv for argv, _ in runs] == [["touch", "host.txt"]]
    assert heard == ["on-node: step 1/2: touch host.txt"]


# -- 5. the trust review


def test_review_names_the_node_and_its_risk_first(tmp_path: Path) -> None:
    scenario, _ = load(
        tmp_path, LAB.replace("requires: [local]", "requires: [docker]") + NODE_CHECK
    )
    findings = review(scenario)
    (step,) = [f for f in findings if f.where.startswith("solution on")]
    assert step.where == "solution on the control-plane node"
    assert step.text == "sudo crictl ps"
    assert step.risk == f"{ON_NODE_RISK}; runs sudo"
    (check,) = [f for f in findings if f.where.startswith("check on")]
    assert check.where == "check on the control-plane node"
    assert check.text == "crictl ps"
    assert check.risk == ON_NODE_RISK
    # Steps on this machine are listed as plain solution commands, without the node's risk.
    plain = [f for f in findings if f.where == "solution"]
    assert "touch host.txt" in [f.text for f in plain]
    assert all(f.risk is None or ON_NODE_RISK not in f.risk for f in plain)
