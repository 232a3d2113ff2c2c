"""Each container lab walked in the app: every task's text renders filled in, unavailable tasks say why."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from textual.content import Content
from textual.widgets import Markdown, Static

from labtui.engine.requirements import Availability
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from labtui.ui.app import LabApp
from labtui.ui.screens.lab import LabScreen
from tests.ui.conftest import fixed_diagnosis, settle

pytestmark = [pytest.mark.docker, pytest.mark.asyncio]

LABS = [
    "container-namespaces",
    "container-hardening",
    "runtimes-docker-containerd",
    "malicious-process-hunt",
    "secrets-not-hardcoded",
]


def app() -> LabApp:
    return LabApp(
        catalog=Catalog(),
        probe=lambda: Availability(docker_error=None, tools={"kind": False, "kubectl": True}),
        diagnose=fixed_diagnosis,
    )


def results(screen: Any) -> str:
    content = screen.query_one("#results", Static).content
    return content.plain if isinstance(content, Content) else str(content)


def down(scenario_id: str) -> None:
    entry = Catalog().find(scenario_id)
    assert entry.scenario is not None
    Session(entry.scenario, entry.folder).down()


@pytest.mark.parametrize("scenario_id", LABS)
async def test_every_task_reads_without_template_leftovers(scenario_id: str) -> None:
    lab = app()
    try:
        async with lab.run_test(size=(110, 40)) as pilot:
            await settle(pilot)
            lab.open_scenario(scenario_id)
            await settle(pilot)
            screen = lab.screen
            assert isinstance(screen, LabScreen)
            for index, task in enumerate(screen.scenario.tasks):
                if index:
                    await pilot.press("n")
                    await settle(pilot)
                source = screen.query_one("#instructions", Markdown).source
                assert source.strip(), f"{task.id} has no instructions"
                for name in ("{lab_dir}", "{base_image}", "{containers."):
                    assert name not in source, f"{task.id}: {name} left unrendered"
    finally:
        down(scenario_id)


@pytest.mark.skipif(shutil.which("podman") is not None, reason="podman is installed here")
async def test_a_task_needing_podman_says_so_in_the_app() -> None:
    lab = app()
    try:
        async with lab.run_test(size=(110, 40)) as pilot:
            await settle(pilot)
            lab.open_scenario("runtimes-docker-containerd")
            await settle(pilot)
            screen = lab.screen
            assert isinstance(screen, LabScreen)
            for _ in range(len(screen.scenario.tasks) - 1):
                await pilot.press("n")
            await settle(pilot)
            await pilot.press("c")  # an answer task asks for the answer first
            await settle(pilot)
            await pilot.press("r", "u", "n", "c", "enter")
            await settle(pilot)
            shown = results(screen) + " ".join(n.message for n in lab._notifications)
            assert "needs podman: not found on PATH" in shown
    finally:
        down("runtimes-docker-containerd")
