"""Templates are data; the catalog never lets a broken scenario hide others; the schema copy is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labtui.scenario.catalog import Catalog, UnknownScenario
from labtui.scenario.model import json_schema
from labtui.scenario.templates import TemplateContext, TemplateError
from tests.conftest import REPO


def test_template_fills_names_and_leaves_go_templates() -> None:
    ctx = TemplateContext({"base_image": "img"})
    ctx.add_resolver("containers", lambda parts: "-".join(parts))
    assert ctx.render("{base_image} {containers.c1.id}") == "img c1-id"
    assert (
        ctx.render("docker inspect -f '{{.State.Pid}}' c1")
        == "docker inspect -f '{{.State.Pid}}' c1"
    )


def test_template_values_stay_one_argv_element() -> None:
    ctx = TemplateContext({"x": "a; rm -rf / #"})
    assert ctx.render_argv(["echo", "{x}"]) == ["echo", "a; rm -rf / #"]


def test_unknown_template_name() -> None:
    with pytest.raises(TemplateError, match="unknown template name"):
        TemplateContext().render("{nope}")
    assert TemplateContext().render("{nope}", strict=False) == "{nope}"


GOOD = """format_version: 1
id: {id}
title: T
topic: principles
tasks:
  - id: t
    title: T
    checks:
      - kind: file
        path: x
"""


def make_pack(root: Path) -> Path:
    (root / "good").mkdir(parents=True)
    (root / "good" / "scenario.yaml").write_text(GOOD.format(id="good-one"))
    (root / "bad").mkdir()
    (root / "bad" / "scenario.yaml").write_text("format_version: 1\nid: bad-one\ntitle: [\n")
    return root


def test_broken_scenario_is_listed_beside_good_ones(tmp_path: Path) -> None:
    catalog = Catalog([make_pack(tmp_path / "pack")])
    ids = {e.id: e for e in catalog.entries()}
    assert "pid-namespace-sharing" in ids and not ids["pid-namespace-sharing"].broken
    assert not ids["good-one"].broken
    assert ids["bad"].broken and ids["bad"].problems


def test_packs_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = make_pack(tmp_path / "pack")
    monkeypatch.setenv("LABTUI_SCENARIOS_PATH", str(pack))
    assert Catalog.discover().find("good-one").scenario is not None


def test_find_unknown_lists_known() -> None:
    with pytest.raises(UnknownScenario, match="pid-namespace-sharing"):
        Catalog.discover().find("nope")


def test_schema_copy_in_assets_is_current() -> None:
    on_disk = json.loads((REPO / "assets" / "scenario.schema.json").read_text())
    assert on_disk == json_schema(), "run `labtui schema > assets/scenario.schema.json`"
