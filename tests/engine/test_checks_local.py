"""Check kinds that need no Docker, and the runner's timeouts and concurrency."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from labtui.checks import CheckContext
from labtui.drivers.docker import DockerDriver
from labtui.engine.runner import run_checks
from labtui.scenario.model import Check, Scenario
from labtui.scenario.templates import TemplateContext

ADAPTER: TypeAdapter[object] = TypeAdapter(Check)


def ctx(tmp_path: Path, answer: str | None = None) -> CheckContext:
    scenario = Scenario.model_validate(
        {
            "format_version": 1,
            "id": "t",
            "title": "t",
            "topic": "host",
            "tasks": [
                {"id": "a", "title": "a", "checks": [{"kind": "command", "command": ["true"]}]}
            ],
        }
    )
    return CheckContext(
        scenario=scenario,
        task=scenario.tasks[0],
        templates=TemplateContext({"lab_dir": str(tmp_path), "word": "hello"}),
        docker=DockerDriver(client=object()),
        lab_dir=tmp_path,
        answer=answer,
    )


def run(tmp_path: Path, *checks: dict[str, object], answer: str | None = None) -> list[object]:
    models = [ADAPTER.validate_python(c) for c in checks]
    return run_checks(models, ctx(tmp_path, answer))  # type: ignore[return-value]


def test_command_check_output_and_exit_code(tmp_path: Path) -> None:
    ok, bad_code, bad_out, missing = run(
        tmp_path,
        {"kind": "command", "command": ["echo", "{word} world"], "stdout_contains": "hello world"},
        {"kind": "command", "command": ["false"]},
        {"kind": "command", "command": ["echo", "x"], "stdout_matches": "^y$"},
        {"kind": "command", "command": ["no-such-binary-here"]},
    )
    assert ok.passed  # type: ignore[attr-defined]
    assert not bad_code.passed and bad_code.expected == "0" and bad_code.actual == "1"  # type: ignore[attr-defined]
    assert not bad_out.passed and "does not match" in bad_out.message  # type: ignore[attr-defined]
    assert not missing.passed and "not found" in missing.message  # type: ignore[attr-defined]


def test_hung_command_is_cut_at_its_timeout(tmp_path: Path) -> None:
    start = time.monotonic()
    (r,) = run(tmp_path, {"kind": "command", "command": ["sleep", "30"], "timeout": 0.5})
    assert time.monotonic() - start < 3
    assert not r.passed and "timed out" in str(r.actual)  # type: ignore[attr-defined]


def test_checks_run_concurrently(tmp_path: Path) -> None:
    start = time.monotonic()
    results = run(tmp_path, *[{"kind": "command", "command": ["sleep", "1"]} for _ in range(6)])
    assert all(r.passed for r in results)  # type: ignore[attr-defined]
    assert time.monotonic() - start < 3


def test_file_check(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text("spec:\n  containers:\n    - name: app\n      image: web\n")
    ok, wrong, missing = run(
        tmp_path,
        {
            "kind": "file",
            "path": "pod.yaml",
            "yaml_path": "spec.containers.0.image",
            "equals": "web",
        },
        {"kind": "file", "path": "pod.yaml", "yaml_path": "spec.containers.0.name", "equals": "db"},
        {"kind": "file", "path": "nope.yaml"},
    )
    assert ok.passed and not wrong.passed and not missing.passed  # type: ignore[attr-defined]
    assert wrong.expected == "db" and wrong.actual == "app"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("answer", "passed"),
    [
        ("42", True),
        (" 42.0 ", True),
        ("`42`", True),
        ("41", False),
        ("", False),
        ("$(touch {m})", False),
    ],
)
def test_answer_is_compared_as_data(tmp_path: Path, answer: str, passed: bool) -> None:
    marker = tmp_path / "ran"
    (r,) = run(
        tmp_path,
        {
            "kind": "answer",
            "normalize": ["strip", "number"],
            "expected": {"command": ["echo", "answer=42"], "extract": r"answer=(\d+)"},
        },
        answer=answer.replace("{m}", str(marker)),
    )
    assert r.passed is passed  # type: ignore[attr-defined]
    if not passed:
        assert r.expected in ("(hidden until solved)", "an answer")  # type: ignore[attr-defined]
    assert not marker.exists()


def test_docker_down_is_reported_as_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    context = ctx(tmp_path)
    context.docker = DockerDriver(timeout=2)
    (r,) = run_checks(
        [ADAPTER.validate_python({"kind": "container", "name": "c1", "running": True})], context
    )
    assert not r.passed and r.unavailable
    assert "not reachable" in r.message and r.hint and "start Docker" in r.hint


def test_a_choice_check_without_a_learner_says_so(tmp_path: Path) -> None:
    """The options come in the learner's order: with no learner there is no order to check."""
    choice = {
        "kind": "choice",
        "options": [
            {"id": "yes", "text": "Yes", "correct": True},
            {"id": "no", "text": "No"},
        ],
    }
    [result] = run(tmp_path, choice, answer="yes")
    assert not result.passed  # type: ignore[attr-defined]
    assert "needs to know the learner" in result.message  # type: ignore[attr-defined]
    context = ctx(tmp_path, "yes")
    context.learner = "ada"
    [result] = run_checks([ADAPTER.validate_python(choice)], context)
    assert result.passed, result.message
