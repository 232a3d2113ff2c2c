"""The app's trust question marks what reaches beyond the lab, in the error colour."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.content import Content
from textual.widgets import Static

from labtui.scenario.catalog import Catalog
from labtui.ui.app import LabApp
from labtui.ui.screens.modals import TrustScreen
from tests.engine.test_trust_review import write
from tests.ui.conftest import fixed_availability, fixed_diagnosis, settle

pytestmark = pytest.mark.asyncio


async def test_trust_question_marks_the_hostile_settings(tmp_path: Path) -> None:
    app = LabApp(
        catalog=Catalog([write(tmp_path)], include_builtin=False),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_scenario("hostile")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrustScreen)
        listing = screen.query_one("#trust-list", Static).content
        assert isinstance(listing, Content)
        plain = listing.plain
        assert "! container c: docker run -d --name c --pid=host --network=host" in plain
        assert "pipes text into a shell" in plain and "Docker socket" in plain
        marked = [s for s in listing.spans if "$error" in str(s.style)]
        assert len(marked) >= 8  # four findings: the line and its reason each
        detail = screen.query_one("#trust-detail", Static).content
        assert "4 of them reach beyond the lab" in str(detail)
        await pilot.press("n")
        await settle(pilot)
