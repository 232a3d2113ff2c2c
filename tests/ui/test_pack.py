"""The test pack itself, and the catalog rows built from it."""

from __future__ import annotations

from labtui.scenario.catalog import Catalog
from labtui.ui.screens.catalog import build_rows

from .conftest import PACK, make_app


def test_pack_is_valid_apart_from_the_broken_one() -> None:
    entries = Catalog([PACK], include_builtin=False).entries()
    assert sorted(e.id for e in entries if e.broken) == ["ui-broken"]
    for e in entries:
        if e.scenario:
            for name in e.scenario.container_names:
                assert name.startswith("ui-"), name


def test_catalog_rows_show_no_machine_paths() -> None:
    app = make_app()
    rows = build_rows(Catalog([PACK], include_builtin=False).entries(), app)
    broken = next(r for r in rows if r.broken)
    assert all(not p.startswith("/") for p in broken.problems)
