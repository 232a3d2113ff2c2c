"""docs/authoring.md keeps up with the model: every check kind has a section with an example."""

from __future__ import annotations

import re

import yaml

from labtui.scenario.model import CHECK_KINDS, Task
from tests.conftest import REPO

DOC = (REPO / "docs" / "authoring.md").read_text()


def test_every_check_kind_has_a_section_with_an_example() -> None:
    for kind in CHECK_KINDS:
        assert f"### `{kind}`" in DOC, f"docs/authoring.md has no section for the {kind} check"
        assert f"- kind: {kind}" in DOC, f"docs/authoring.md has no example of the {kind} check"


def test_check_examples_are_valid_checks() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
    checked = set()
    for block in blocks:
        if not block.startswith("- kind: "):
            continue
        for item in yaml.safe_load(block):
            Task.model_validate({"id": "t", "title": "T", "checks": [item]})
            checked.add(item["kind"])
    assert checked == set(CHECK_KINDS)


def test_the_modeline_is_documented() -> None:
    assert "# yaml-language-server: $schema=../scenario.schema.json" in DOC
