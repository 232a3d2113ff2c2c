"""Pictures of the app (pytest-textual-snapshot): the test pack on a fixed machine, fixed times."""

from __future__ import annotations

from typing import Any

import pytest

from labtui.state import paths

from .conftest import LONG_PACK, make_app, settle

SIZE = (100, 30)
# The classic terminal, and a large one.
SMALL = (80, 24)
LARGE = (160, 45)

pytestmark = pytest.mark.usefixtures("frozen_times")


def test_catalog(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=settle)


def test_catalog_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=settle)


def test_catalog_160x45(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=settle)


async def _open_long_lab(pilot: Any) -> None:
    await settle(pilot)
    pilot.app.open_scenario("ui-long")
    await settle(pilot)


def test_lab_80x24(snap_compare: Any) -> None:
    """A narrow task list of one-line titles; wide code scrolls under a scrollbar."""
    app = make_app(pack=LONG_PACK)
    assert snap_compare(app, terminal_size=SMALL, run_before=_open_long_lab)


def test_lab_80x24_without_the_task_list(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await _open_long_lab(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(make_app(pack=LONG_PACK), terminal_size=SMALL, run_before=run_before)


def test_lab_160x45(snap_compare: Any) -> None:
    app = make_app(pack=LONG_PACK)
    assert snap_compare(app, terminal_size=LARGE, run_before=_open_long_lab)


def test_lab_with_a_failed_check(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_scenario("ui-basics")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_lab_with_a_hint_shown(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_scenario("ui-basics")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_completion_summary(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_scenario("ui-basics")
        await settle(pilot)
        (paths.lab_dir("ui-basics") / "notes.txt").write_text("hello\n")
        await pilot.press("h", "c")
        await settle(pilot)
        await pilot.press("n", "a")
        await pilot.pause()
        await pilot.press("4", "2", "enter")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_environment_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_trust_question_for_a_pack_scenario(
    snap_compare: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labtui.scenario.catalog import Entry

    # The pack's folder and the lab image differ from machine to machine.
    monkeypatch.setattr(Entry, "source", property(lambda self: "/srv/packs"))
    monkeypatch.setenv("LABTUI_BASE_IMAGE", "labtui/base:local")

    async def run_before(pilot: Any) -> None:
        from labtui.engine.trust import trust_file

        trust_file().unlink()
        await settle(pilot)
        pilot.app.open_scenario("ui-docker")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
