"""Each lab job reports how it ended as one typed message, which the screen handles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.widgets import Static

from labtui.ui.messages import EnvironmentStarted, JobFailed, LabRead, PackTrusted, TaskChecked
from labtui.ui.screens.lab import LabScreen

from .conftest import make_app, settle
from .test_pilot import SIZE, open_lab, results_text, text

pytestmark = pytest.mark.asyncio


async def test_a_check_reports_its_result_and_the_state_after_it() -> None:
    seen: list[Message] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await open_lab(pilot, "ui-basics")
        # Reading the lab and starting its environment run side by side: either may end first.
        outcomes = [type(m) for m in seen if isinstance(m, LabRead | EnvironmentStarted)]
        assert sorted(t.__name__ for t in outcomes) == ["EnvironmentStarted", "LabRead"]
        await pilot.press("c")
        await settle(pilot)
        (checked,) = [m for m in seen if isinstance(m, TaskChecked)]
        assert checked.result.task_id == "write-note" and not checked.result.passed
        assert checked.state.progress.tasks["write-note"].attempts == 1
        assert not checked.newly_completed
        assert "0 of 1 checks passed" in results_text(app)
        assert not [m for m in seen if isinstance(m, JobFailed)]


async def test_a_failing_job_reports_what_it_was_doing_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    seen: list[Any] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await open_lab(pilot, "ui-docker")
    (failed,) = [m for m in seen if isinstance(m, JobFailed)]
    assert failed.job == "up" and failed.doing == "starting the environment"
    assert "not reachable" in str(failed.error)
    assert not [m for m in seen if isinstance(m, EnvironmentStarted)]


async def test_no_to_a_packs_commands_stays_in_the_status_line_until_yes(tmp_path: Path) -> None:
    from .test_integration import TRUST_LAB, open_only, pack_app, take_down_pack, write_pack

    pack = write_pack(tmp_path, "ui-trust", TRUST_LAB.replace("{marker}", str(tmp_path / "ran")))
    seen: list[Message] = []
    app = pack_app(pack)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await open_only(pilot, "ui-trust")
        await pilot.press("n")
        await settle(pilot)
        lab = app.screen
        assert isinstance(lab, LabScreen)
        status = text(lab.query_one("#env", Static))
        assert "environment down" in status and "not run: not trusted" in status

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        # Yes: the environment starts first, then the check that was asked for runs.
        (trusted,) = [m for m in seen if isinstance(m, PackTrusted)]
        (started,) = [m for m in seen if isinstance(m, EnvironmentStarted)]
        assert trusted.then is not None and started.then is trusted.then
        assert [m.result.task_id for m in seen if isinstance(m, TaskChecked)] == ["touch"]
        status = text(lab.query_one("#env", Static))
        assert "environment up" in status and "not trusted" not in status
    take_down_pack(pack, "ui-trust")
