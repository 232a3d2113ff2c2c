"""The CLI surface and its exit codes: 0 ok, 1 failed/invalid, 2 usage, 3 environment unavailable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SCENARIOS
from tests.scenario.test_loader import THREE_MISTAKES


def labtui(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "labtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def test_validate_builtin_scenarios() -> None:
    proc = labtui("validate", str(SCENARIOS))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validate_reports_three_mistakes(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    path = tmp_path / "demo" / "scenario.yaml"
    path.write_text(THREE_MISTAKES)
    proc = labtui("validate", str(tmp_path))
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line.startswith(str(path))]
    assert len(lines) == 3
    assert f"{path}:6:1: colour: unknown field" in proc.stdout
    assert f"{path}:17:5: tasks[1].id: required field is missing" in proc.stdout


def test_usage_error_exits_2() -> None:
    assert labtui("check").returncode == 2
    assert labtui("no-such-verb").returncode == 2


def test_unknown_scenario_exits_1() -> None:
    proc = labtui("up", "no-such-lab")
    assert proc.returncode == 1
    assert "no scenario with id 'no-such-lab'" in proc.stderr


def test_list_json_and_schema() -> None:
    rows = json.loads(labtui("list", "--json").stdout)
    assert any(r["id"] == "pid-namespace-sharing" and not r["broken"] for r in rows)
    schema = json.loads(labtui("schema").stdout)
    assert schema["title"] == "labtui scenario"


def test_docker_down_exits_3_and_leaves_nothing(tmp_path: Path, data_dir: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"}
    proc = labtui("up", "pid-namespace-sharing", env=env)
    assert proc.returncode == 3, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Docker engine is not reachable" in errors[0]
    assert "what to do: start Docker" in proc.stderr
    assert not (data_dir / "sessions" / "pid-namespace-sharing.json").exists()
    assert labtui("check", "pid-namespace-sharing", env=env).returncode == 3
    assert labtui("doctor", "--json", env=env).returncode == 0


def test_broken_progress_file_is_kept_and_reported(data_dir: Path) -> None:
    progress = data_dir / "progress"
    progress.mkdir(parents=True)
    (progress / "ann.json").write_text("{not json")
    proc = labtui("--learner", "ann", "list")
    assert proc.returncode == 0
    assert "was unreadable" in proc.stderr
    assert list(progress.glob("ann.json.corrupt-*"))


def test_every_group_maps_errors_to_exit_codes_in_one_place(tmp_path: Path) -> None:
    """`labtui` and each sub-group end a LabError the same way; no verb exits on its own."""
    import ast

    import click
    from click.testing import CliRunner

    from labtui.cli import main
    from labtui.cli_support import LabGroup

    ctx = click.Context(main)
    groups = [main] + [
        c
        for name in main.list_commands(ctx)
        if isinstance(c := main.get_command(ctx, name), click.Group)
    ]
    assert {g.name for g in groups} >= {"main", "cluster", "netpol", "pki"}
    assert all(isinstance(g, LabGroup) for g in groups)
    exits = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in sorted((REPO / "labtui").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("sys.exit", "exit", "ctx.exit")
    ]
    assert exits and all(e.startswith("labtui/cli_support.py:") for e in exits), exits

    # A sub-group run on its own (as the pki benchmark does) ends through the same mapping.
    from labtui.pki.cli import pki

    here = str(tmp_path / "etc-kubernetes")
    runner = CliRunner()
    assert runner.invoke(pki, ["generate", here]).exit_code == 0
    again = runner.invoke(pki, ["generate", here])
    assert again.exit_code == 1
    assert f"error: {here} already holds a PKI (pki/ca.crt)" in again.output
    assert "what to do: pick another directory, or add --force to overwrite it" in again.output


def test_checks_failed_says_nothing_more_than_the_verb(tmp_path: Path) -> None:
    from labtui.errors import ChecksFailed

    assert ChecksFailed().exit_code == 1 and ChecksFailed().message == ""
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "scenario.yaml").write_text(THREE_MISTAKES)
    proc = labtui("validate", str(tmp_path))
    assert proc.returncode == 1
    assert "error:" not in proc.stderr
    assert proc.stderr.strip() == "0 of 1 scenarios valid"
