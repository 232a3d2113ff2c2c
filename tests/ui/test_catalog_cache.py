"""The catalog index: the first frame comes from it, and any change to a scenario file voids it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labtui.ui import catalog_cache
from labtui.ui.app import LabApp
from labtui.ui.screens.catalog import CatalogScreen
from labtui.ui.screens.lab import LabScreen
from labtui.ui.widgets.catalog_list import CatalogList

from .conftest import PACK, fixed_availability, settle, trust_all


def copy_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    trust_all(pack)
    return pack


def test_index_is_void_when_a_scenario_file_changes_appears_or_goes(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    catalog_cache.write([pack], [{"id": "x"}])
    assert catalog_cache.read([pack]) == [{"id": "x"}]
    (pack / "ui-basics" / "scenario.yaml").write_text(
        (pack / "ui-basics" / "scenario.yaml").read_text() + "\n"
    )
    assert catalog_cache.read([pack]) is None
    catalog_cache.write([pack], [{"id": "x"}])
    shutil.copytree(pack / "ui-slow", pack / "ui-slow-2")
    assert catalog_cache.read([pack]) is None
    catalog_cache.write([pack], [{"id": "x"}])
    shutil.rmtree(pack / "ui-slow-2")
    assert catalog_cache.read([pack]) is None
    assert catalog_cache.read([pack, tmp_path / "other"]) is None


def test_the_index_watches_exactly_the_files_the_catalog_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One discovery: a folder merely named scenario.yaml is neither read nor watched."""
    from labtui.scenario.catalog import Catalog

    pack = copy_pack(tmp_path)
    (pack / "not-a-scenario" / "scenario.yaml").mkdir(parents=True)
    single = tmp_path / "one"
    shutil.copytree(pack / "ui-basics", single)
    monkeypatch.setenv("LABTUI_SCENARIOS_PATH", str(single))
    watched = set(catalog_cache._files(catalog_cache.roots([pack])))
    read = {str((e.folder / "scenario.yaml").resolve()) for e in Catalog.discover([pack]).entries()}
    assert watched == read
    assert str((single / "scenario.yaml").resolve()) in watched


def test_the_index_reads_no_yaml_and_no_pydantic() -> None:
    code = (
        "import sys, labtui.ui.catalog_cache as c; c.read([]);"
        "bad = [m for m in ('yaml', 'pydantic') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_corrupt_index_is_ignored(tmp_path: Path) -> None:
    catalog_cache.cache_path().parent.mkdir(parents=True)
    catalog_cache.cache_path().write_text("{not json")
    assert catalog_cache.read([PACK]) is None


@pytest.mark.asyncio
async def test_second_start_paints_from_the_index_and_opens_at_once(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    first = LabApp([pack], probe=fixed_availability)
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        ids = [o.id for o in first.screen.query_one(CatalogList).options if o.id]
    assert catalog_cache.read([pack]) is not None

    again = LabApp([pack], probe=fixed_availability)
    async with again.run_test(size=(100, 30)) as pilot:
        screen = again.screen
        assert isinstance(screen, CatalogScreen)
        for _ in range(200):
            await pilot.pause(0.01)
            if screen.rows:
                break
        assert screen._from_cache
        assert [o.id for o in screen.query_one(CatalogList).options if o.id] == ids
        screen.open_id("ui-basics")
        await settle(pilot)
        assert isinstance(again.screen, LabScreen) and again.screen.scenario.id == "ui-basics"
