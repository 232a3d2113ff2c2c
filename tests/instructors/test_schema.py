"""The schema editors see is the one the loader enforces."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from labtui.scenario.loader import load_file
from labtui.scenario.model import json_schema
from tests.conftest import REPO, SCENARIOS

SCHEMA = REPO / "assets" / "scenario.schema.json"
FILES = sorted(SCENARIOS.glob("*/scenario.yaml"))


def test_the_asset_is_the_exported_schema() -> None:
    assert json.loads(SCHEMA.read_text()) == json_schema(), (
        "assets/scenario.schema.json is stale: run `labtui schema > assets/scenario.schema.json`"
    )


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_scenario_validates_against_the_schema(path: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(path.read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
    assert load_file(path).ok


def test_schema_rejects_what_the_loader_rejects() -> None:
    schema = json.loads(SCHEMA.read_text())
    data = yaml.safe_load((SCENARIOS / "security-principles" / "scenario.yaml").read_text())
    data["tasks"][0]["checks"][0]["optons"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_there_are_scenarios() -> None:
    assert len(FILES) >= 2
