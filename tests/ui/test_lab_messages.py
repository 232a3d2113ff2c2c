"""Each lab job reports how it ended as one typed message, which the screen handles."""

from __future__ import annotations

from typing import Any

import pytest
from textual.message import Message

from labtui.ui.messages import EnvironmentStarted, JobFailed, LabRead, TaskChecked

from .conftest import make_app, settle
from .test_pilot import SIZE, open_lab, results_text

pytestmark = pytest.mark.asyncio


async def test_a_check_reports_its_result_and_the_state_after_it() -> None:
    seen: list[Message] = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await open_lab(pilot, "ui-basics")
        assert [type(m) for m in seen if isinstance(m, LabRead | EnvironmentStarted)] == [
            LabRead,
            EnvironmentStarted,
        ]
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
