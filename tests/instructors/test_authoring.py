"""``labtui new``: the generated examples validate and verify as generated."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from labtui.authoring import scenario_text
from labtui.cli import main
from labtui.scenario.loader import load_file


@pytest.fixture
def empty_dir(tmp_path: Path) -> Iterator[Path]:
    here = tmp_path / "pack"
    here.mkdir()
    old = Path.cwd()
    os.chdir(here)
    try:
        yield here
    finally:
        os.chdir(old)


def test_new_validate_verify_from_an_empty_directory(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["new", "demo"])
    assert made.exit_code == 0, made.output
    assert (empty_dir / "demo" / "scenario.yaml").is_file()
    assert (empty_dir / "scenario.schema.json").is_file()
    monkeypatch.setenv("LABTUI_SCENARIOS_PATH", str(empty_dir))
    valid = runner.invoke(main, ["validate"])
    assert valid.exit_code == 0, valid.output
    verified = runner.invoke(main, ["solve", "demo", "--verify"])
    assert verified.exit_code == 0, verified.output
    assert "demo: verified" in verified.output


def test_generated_file_is_commented_and_points_editors_at_the_schema(empty_dir: Path) -> None:
    CliRunner().invoke(main, ["new", "commented"])
    text = (empty_dir / "commented" / "scenario.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../scenario.schema.json"
    assert text.count("#") > 10
    schema = json.loads((empty_dir / "scenario.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(text), schema)


@pytest.mark.docker
def test_docker_example_verifies(empty_dir: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["new", "instr-scaffold-docker", "--requires", "docker"])
    assert made.exit_code == 0, made.output
    text = (empty_dir / "instr-scaffold-docker" / "scenario.yaml").read_text()
    assert 'image: "{base_image}"' in text
    assert "name: instr-scaffold-docker-app" in text
    verified = runner.invoke(
        main, ["--scenarios", str(empty_dir), "solve", "instr-scaffold-docker", "--verify"]
    )
    assert verified.exit_code == 0, verified.output


def test_kind_example_validates(empty_dir: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["new", "instr-scaffold-kind", "--requires", "kind"])
    assert made.exit_code == 0, made.output
    result = load_file(empty_dir / "instr-scaffold-kind" / "scenario.yaml")
    assert result.ok, result.problems
    assert result.scenario is not None and [r.value for r in result.scenario.requires] == ["kind"]
    valid = runner.invoke(main, ["validate", str(empty_dir)])
    assert valid.exit_code == 0, valid.output


@pytest.mark.parametrize("requires", ["local", "docker", "kind"])
def test_every_example_loads(requires: str, tmp_path: Path) -> None:
    target = tmp_path / "x" / "scenario.yaml"
    target.parent.mkdir()
    target.write_text(scenario_text("my-lab", requires))
    assert load_file(target).ok


def test_bad_id_and_existing_folder_are_clear_errors(empty_dir: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["new", "Bad_Id"])
    assert bad.exit_code == 1
    assert "'Bad_Id' is not a scenario id" in bad.output
    assert "lowercase letters" in bad.output
    assert runner.invoke(main, ["new", "twice"]).exit_code == 0
    again = runner.invoke(main, ["new", "twice"])
    assert again.exit_code == 1 and "already exists" in again.output and "--force" in again.output
    assert runner.invoke(main, ["new", "twice", "--force"]).exit_code == 0
    wrong = runner.invoke(main, ["new", "x1", "--requires", "cluster"])
    assert wrong.exit_code == 2
