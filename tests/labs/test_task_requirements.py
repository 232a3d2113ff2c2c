"""Tasks that need a tool this machine lacks: shown unavailable, skipped by verify, never passed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from labtui.engine.requirements import task_missing
from labtui.engine.session import Session
from labtui.engine.verify import verify
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import ImageSpec, Task
from tests.test_cli import labtui

SCENARIO = """\
format_version: 1
id: req-lab
title: Requirements
topic: principles
requires: [local]
tasks:
  - id: plain
    title: Write a file
    checks:
      - kind: file
        path: plain.txt
    solution:
      files:
        plain.txt: done
  - id: needs-missing
    title: Needs a program nobody has
    requires: [labtui-no-such-tool]
    checks:
      - kind: file
        path: missing.txt
    solution:
      files:
        missing.txt: done
  - id: needs-sh
    title: Needs sh, which every machine has
    requires: [sh]
    checks:
      - kind: command
        command: [sh, -c, "cat needs-sh.txt"]
        stdout_contains: done
    solution:
      files:
        needs-sh.txt: done
"""


@pytest.fixture
def session(tmp_path: Path) -> Session:
    folder = tmp_path / "pack" / "req-lab"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(SCENARIO)
    entry = Catalog([tmp_path / "pack"], include_builtin=False).find("req-lab")
    assert entry.scenario is not None, entry.problems
    return Session(entry.scenario, entry.folder)


def test_missing_program_makes_the_task_unavailable(session: Session) -> None:
    assert session.task_missing("plain") == []
    assert session.task_missing("needs-sh") == []
    assert session.task_missing("needs-missing") == ["needs labtui-no-such-tool: not found on PATH"]
    result = session.check("needs-missing")
    assert result.unavailable and not result.passed
    assert result.results[0].message == "needs labtui-no-such-tool: not found on PATH"
    assert "needs-missing" not in session.progress.tasks  # an unavailable task is not an attempt


def test_the_rest_of_the_lab_completes(session: Session) -> None:
    session.up()
    for task_id in ("plain", "needs-sh"):
        session.apply_solution(task_id)
        assert session.check(task_id).passed
    assert session.available_task_ids == ["plain", "needs-sh"]
    assert session.completed
    assert session.progress.completed_at is not None


def test_checking_several_tasks_reports_unavailable_tasks_in_order(session: Session) -> None:
    session.up()
    results = session.check(["plain", "needs-missing", "needs-sh"])
    assert [r.task_id for r in results] == ["plain", "needs-missing", "needs-sh"]
    assert results[1].unavailable and not results[1].passed
    assert not results[0].unavailable


def test_verify_skips_with_the_reason_and_never_passes(session: Session) -> None:
    report = verify(session.scenario, session.folder)
    assert report.ok
    by_id = {t.task_id: t for t in report.tasks}
    skipped = by_id["needs-missing"]
    assert skipped.skipped == "needs labtui-no-such-tool: not found on PATH"
    assert not skipped.ok and skipped.before is None and skipped.after is None
    assert by_id["plain"].ok and by_id["needs-sh"].ok
    assert [t.task_id for t in report.skipped] == ["needs-missing"]


def test_environment_requirements_name_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert task_missing(["kind"]) == [
        "needs kind: not found on PATH",
        "needs kubectl: not found on PATH",
    ]
    assert task_missing(["docker"], docker_error="engine down") == ["needs docker: engine down"]
    assert task_missing(["docker"]) == []
    assert task_missing(["cluster"]) == ["needs kubectl: not found on PATH"]


def test_requires_names_are_checked() -> None:
    with pytest.raises(ValidationError, match="requires"):
        Task.model_validate(
            {
                "id": "t",
                "title": "T",
                "requires": ["no spaces"],
                "checks": [{"kind": "file", "path": "x"}],
            }
        )


@pytest.mark.parametrize("name", ["app", "App:v1", "labtui-x/app:", "../x:1"])
def test_image_names_need_a_lowercase_repository_and_a_tag(name: str) -> None:
    with pytest.raises(ValidationError):
        ImageSpec(name=name, dockerfile="FROM scratch")


def test_image_name_accepted() -> None:
    assert (
        ImageSpec(name="labtui-sec/app:v1", dockerfile="FROM scratch").name == "labtui-sec/app:v1"
    )


def test_cli_shows_skipped_tasks_and_exits_by_the_available_ones(session: Session) -> None:
    pack = str(session.folder.parent)
    assert labtui("--scenarios", pack, "trust", "req-lab", "--yes").returncode == 0
    verified = labtui("--scenarios", pack, "solve", "req-lab", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "skipped: needs labtui-no-such-tool: not found on PATH" in verified.stdout
    assert "req-lab: verified (1 task(s) skipped: not passed)" in verified.stdout

    assert labtui("--scenarios", pack, "up", "req-lab").returncode == 0
    for task_id in ("plain", "needs-sh"):
        assert labtui("--scenarios", pack, "solve", "req-lab", "--task", task_id).returncode == 0
    every = labtui("--scenarios", pack, "check", "req-lab")
    assert every.returncode == 0, every.stdout + every.stderr
    assert "- needs-missing  Needs a program nobody has" in every.stdout
    assert "skipped: needs labtui-no-such-tool" in every.stdout

    one = labtui("--scenarios", pack, "check", "req-lab", "--task", "needs-missing")
    assert one.returncode == 3
    assert "needs labtui-no-such-tool: not found on PATH" in one.stdout + one.stderr
