"""Exam mode end to end (headless, with a fake clock) and the reports built from it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import Failure, JUnitXml

from labtui.authoring import scenario_text
from labtui.checks.choice import order
from labtui.cli import main
from labtui.engine import report as rp
from labtui.engine.exam import Exam, ExamOver, ExamResult, load_result, plan_exam, saved_results
from labtui.errors import InvalidInput, LabError
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import ChoiceCheck
from labtui.state.progress import ProgressStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    (pack / "instr-exam-demo").mkdir(parents=True)
    (pack / "instr-exam-demo" / "scenario.yaml").write_text(scenario_text("instr-exam-demo"))
    return pack


EXAM = """\
format_version: 1
id: principles-check
title: Principles check
minutes: 30
pass_percent: 60
items:
  - scenario: security-principles
    task: attack-surface
    weight: 2
  - scenario: security-principles
    task: unnecessary-port
  - scenario: instr-exam-demo
"""


def _exam_file(tmp_path: Path) -> Path:
    pack = _pack(tmp_path)
    path = pack / "exam.yaml"
    path.write_text(EXAM)
    return path


def _letters(exam: Exam, key: str) -> str:
    item = next(i for i in exam.items if i.key == key)
    check = item.task.checks[0]
    assert isinstance(check, ChoiceCheck)
    shown = order(check, exam.learner, item.scenario.id, item.task.id)
    return ",".join(s.letter for s in shown if s.option.correct)


def test_timer_expiry_scores_what_was_done(tmp_path: Path, data_dir: Path) -> None:
    clock = FakeClock()
    plan = plan_exam(str(_exam_file(tmp_path)))
    exam = Exam(plan, "ada", clock=clock)
    keys = [i.key for i in exam.items]
    assert keys == [
        "security-principles/attack-surface",
        "security-principles/unnecessary-port",
        "instr-exam-demo/write-file",
        "instr-exam-demo/count-users",
        "instr-exam-demo/pick-one",
    ]
    assert exam.remaining == 1800
    exam.start()
    try:
        clock.advance(600)
        assert exam.remaining == 1200 and not exam.expired
        exam.answer(exam.items[0], _letters(exam, "security-principles/attack-surface"))
        demo = exam.sessions["instr-exam-demo"]
        (demo.lab_dir / "greeting.txt").write_text("hello\n")
        exam.answer(exam.items[3], "2")
        clock.advance(1201)
        assert exam.expired and exam.remaining == 0
        with pytest.raises(ExamOver):
            exam.answer(exam.items[1], "2222")
        result = exam.finish()
    finally:
        exam.close()
    by_key = {f"{i.scenario}/{i.task}": i for i in result.items}
    assert by_key["security-principles/attack-surface"].passed
    assert by_key["security-principles/attack-surface"].points == 2
    assert by_key["instr-exam-demo/write-file"].passed
    assert not by_key["instr-exam-demo/count-users"].passed
    assert by_key["security-principles/unnecessary-port"].message == "not answered"
    assert not by_key["instr-exam-demo/pick-one"].passed
    assert (result.score, result.max_score) == (3.0, 6.0)
    assert result.percent == 50.0 and not result.passed and result.expired
    assert result.seconds == 1800
    assert result.late_answers == ["security-principles/unnecessary-port"]
    # Saved under the data dir, and readable again.
    saved = saved_results("ada")
    assert saved == [exam.saved_to] and saved[0].is_relative_to(data_dir / "exams" / "ada")
    assert load_result(saved[0]).to_dict() == result.to_dict()
    # The environments are gone; practice progress was not touched.
    assert not demo.lab_dir.exists()
    assert ProgressStore("ada").load().scenarios == {}
    # JUnit: parses, one testcase per task, failures where not passed.
    junit = tmp_path / "exam.xml"
    junit.write_text(rp.to_junit(result.report()))
    xml = JUnitXml.fromfile(str(junit))
    cases = [(suite.name, case) for suite in xml for case in suite]
    assert len(cases) == len(exam.items) == 5
    failed = {f"{s}/{c.name}" for s, c in cases if any(isinstance(r, Failure) for r in c.result)}
    assert failed == {
        "security-principles/unnecessary-port",
        "instr-exam-demo/count-users",
        "instr-exam-demo/pick-one",
    }


def test_finishing_in_time_passes(tmp_path: Path) -> None:
    clock = FakeClock()
    exam = Exam(plan_exam(str(_exam_file(tmp_path))), "bob", clock=clock, minutes=5)
    assert exam.limit == 300
    exam.start()
    try:
        exam.answer(exam.items[0], _letters(exam, "security-principles/attack-surface"))
        exam.answer(exam.items[1], "2222")
        exam.answer(exam.items[3], "3")
        exam.answer(exam.items[4], _letters(exam, "instr-exam-demo/pick-one"))
        with pytest.raises(InvalidInput, match="done in the lab"):
            exam.answer(exam.items[2], "done")
        clock.advance(90)
        result = exam.finish()
    finally:
        exam.close()
    assert (result.score, result.max_score) == (5.0, 6.0)
    assert result.passed and not result.expired and result.seconds == 90


def test_exam_cli_with_answers_file_and_junit(tmp_path: Path) -> None:
    exam_file = _exam_file(tmp_path)
    learner = "carol"
    # The letters depend on the learner; option ids do not, so CI answer files use ids.
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "security-principles/attack-surface: minimal-image\n"
        "security-principles/unnecessary-port: 2222\n"
        "instr-exam-demo:\n  count-users: 3\n  pick-one: mallory\n"
    )
    junit = tmp_path / "out.xml"
    result = CliRunner().invoke(
        main,
        [
            "--trust",
            "--learner",
            learner,
            "exam",
            str(exam_file),
            "--answers",
            str(answers),
            "--junit",
            str(junit),
        ],
    )
    # write-file is practical and nobody did it: 5 of 6 points, above the 60% pass mark.
    assert result.exit_code == 0, result.output
    assert "score 5/6 (83%, pass mark 60%): PASSED" in result.output
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "5" and root.get("failures") == "1"
    assert [suite.name for suite in JUnitXml.fromfile(str(junit))] == [
        "security-principles",
        "instr-exam-demo",
    ]
    report = CliRunner().invoke(main, ["report", "--learner", learner, "--exam", "latest"])
    assert report.exit_code == 0, report.output
    assert "**Exam Principles check**: 5 / 6 points (83%, passed" in report.output


def test_exam_cli_prompt_loop(tmp_path: Path) -> None:
    # security-principles as one scenario id: 7 tasks; answer the first by id, skip, finish.
    lines = "minimal-image\n\n:list\n:3\nnot-an-option\n:finish\n"
    result = CliRunner().invoke(
        main, ["--learner", "dan", "exam", "security-principles", "--minutes", "5"], input=lines
    )
    assert result.exit_code == 1, result.output
    assert "[05:00 left] 1/7" in result.output or "[04:59 left] 1/7" in result.output
    # No hints and no solutions: neither the port task's hint nor its explanation is shown.
    assert "mean every address" not in result.output
    assert "left in the image from debugging" not in result.output
    assert "  1. security-principles/attack-surface  answered" in result.output
    assert "✓  1. security-principles/attack-surface  1/1  passed" in result.output
    assert "'not-an-option' is not an option: answer with letters a-d" in result.output
    assert "3. security-principles/least-privilege  0/1  not answered" in result.output
    assert "score 1/7" in result.output


def test_plan_from_a_pack_folder_and_bad_inputs(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    plan = plan_exam(str(pack))
    assert plan.definition.id == "pack" and plan.definition.minutes == 10
    assert next(i.key for i in plan.items()) == "instr-exam-demo/write-file"
    with pytest.raises(InvalidInput, match="not an exam file, a pack folder or a scenario id"):
        plan_exam("Not An Id")
    with pytest.raises(InvalidInput, match="no scenario with id 'nope'"):
        plan_exam("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format_version: 1\nid: x1\ntitle: X\nminutes: 5\nitems:\n  - scenario: security-principles\n    wieght: 2\n"
    )
    with pytest.raises(InvalidInput, match=r"bad.yaml:7:5: items\[0\].wieght"):
        plan_exam(str(bad))
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        "format_version: 1\nid: x1\ntitle: X\nminutes: 5\nitems:\n  - scenario: security-principles\n    task: nope\n"
    )
    with pytest.raises(InvalidInput, match="has no task 'nope'"):
        plan_exam(str(missing))


# --------------------------------------------------------------------------- progress reports


def _practice(learner: str) -> None:
    runner = CliRunner()
    base = ["--learner", learner]
    assert (
        runner.invoke(
            main,
            [
                *base,
                "check",
                "security-principles",
                "--task",
                "attack-surface",
                "--answer",
                "minimal-image",
            ],
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            main,
            [
                *base,
                "check",
                "security-principles",
                "--task",
                "least-privilege",
                "--answer",
                "view-clusterrole",
            ],
        ).exit_code
        == 1
    )
    assert (
        runner.invoke(
            main, [*base, "solve", "security-principles", "--task", "defense-in-depth"]
        ).exit_code
        == 0
    )


def test_progress_report_in_every_format(tmp_path: Path) -> None:
    _practice("erin")
    runner = CliRunner()
    out = tmp_path / "report.xml"
    junit = runner.invoke(
        main, ["report", "--learner", "erin", "--format", "junit", "--out", str(out)]
    )
    assert junit.exit_code == 0, junit.output
    xml = JUnitXml.fromfile(str(out))
    suites = list(xml)
    assert [s.name for s in suites] == ["security-principles"]
    cases = {c.name: c for c in suites[0]}
    assert len(cases) == 7
    assert cases["attack-surface"].is_passed and cases["defense-in-depth"].is_passed
    assert not cases["least-privilege"].is_passed
    assert "attempts: 1" in (cases["least-privilege"].system_out or "")
    assert "solution revealed: yes" in (cases["defense-in-depth"].system_out or "")
    data = json.loads(
        runner.invoke(main, ["report", "--learner", "erin", "--format", "json"]).output
    )
    tasks = {t["id"]: t for t in data["scenarios"][0]["tasks"]}
    assert tasks["attack-surface"]["passed"] and tasks["attack-surface"]["attempts"] == 1
    assert tasks["defense-in-depth"]["solution_revealed"]
    assert tasks["unnecessary-port"] == {
        **tasks["unnecessary-port"],
        "passed": False,
        "attempts": 0,
        "message": "not attempted",
    }
    assert isinstance(tasks["attack-surface"]["seconds"], float)
    assert data["learner"] == "erin" and data["passed"] == 2 and data["tasks"] == 7
    md = runner.invoke(main, ["report", "--learner", "erin"]).output
    assert "| Shrink the attack surface | yes | 1 | 0 | - |" in md
    assert "| Defense in depth | yes |" in md and "revealed" in md
    everything = json.loads(
        runner.invoke(main, ["report", "--learner", "erin", "--format", "json", "--all"]).output
    )
    assert len(everything["scenarios"]) == len(
        [e for e in Catalog.discover().entries() if e.scenario]
    )


def test_report_of_nobody_is_empty_but_valid(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["report", "--learner", "nobody", "--format", "junit"])
    assert out.exit_code == 0
    root = ET.fromstring(out.output.strip().split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("tests") == "0"
    missing = CliRunner().invoke(main, ["report", "--learner", "nobody", "--exam", "latest"])
    assert missing.exit_code == 1 and "no saved exam results for nobody" in missing.output


def test_exam_result_round_trip() -> None:
    result = ExamResult(
        "e1", "E", "x", "2026-01-01T00:00:00+00:00", "2026-01-01T00:10:00+00:00", 600, 600, True, 50
    )
    assert ExamResult.from_dict(result.to_dict()) == result
    assert result.percent == 0 and not result.passed


def test_headless_prompt_scores_when_the_time_runs_out() -> None:
    import os
    import subprocess
    import sys
    import threading

    # stdin stays open and silent: the prompt gives up when the 1.8 s are over.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labtui",
            "--learner",
            "fay",
            "exam",
            "security-principles",
            "--minutes",
            "0.03",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
        text=True,
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        output = proc.stdout.read()
        proc.wait(10)
    finally:
        watchdog.cancel()
        if proc.stdin:
            proc.stdin.close()
    assert "time is up" in output, output
    assert "score 0/7" in output and "(time ran out)" in output
    assert proc.returncode == 1
    assert saved_results("fay")


def test_a_start_that_fails_brings_down_what_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second lab cannot start (no Docker engine): the first comes down, the exam closes."""
    pack = _pack(tmp_path)
    path = pack / "exam.yaml"
    path.write_text(
        "format_version: 1\nid: half-start\ntitle: Half a start\nminutes: 10\nitems:\n"
        "  - scenario: instr-exam-demo\n  - scenario: pid-namespace-sharing\n"
    )
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    exam = Exam(plan_exam(str(path)), "ada")
    demo = exam.sessions["instr-exam-demo"]
    with pytest.raises(LabError):
        exam.start()
    assert exam.closed and exam.started is None
    assert not demo.is_up and not demo.lab_dir.exists()
    assert not exam.store.path.parent.exists()
    exam.close()  # closing again (the CLI closes in a finally) does nothing


def test_an_exam_closed_before_it_starts_starts_nothing(tmp_path: Path) -> None:
    """The app quit while the exam was being opened: its start brings up no lab."""
    exam = Exam(plan_exam(str(_exam_file(tmp_path))), "ada")
    exam.close()
    with pytest.raises(LabError, match="closed before it started"):
        exam.start()
    assert not any(s.is_up or s.lab_dir.exists() for s in exam.sessions.values())
