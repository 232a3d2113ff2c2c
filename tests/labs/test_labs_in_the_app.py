"""Each container lab walked in the app: every task's text renders filled in, unavailable tasks say why."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
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
    "seccomp-profiles",
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


def path_without(program: str, into: Path) -> str:
    """A PATH that finds every program of this one except ``program``."""
    into.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for entry in Path(folder).iterdir():
            link = into / entry.name
            if entry.name != program and not link.exists() and os.access(entry, os.X_OK):
                link.symlink_to(entry)
    return str(into)


async def test_a_task_needing_podman_says_so_in_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_without("podman", tmp_path / "bin"))
    assert shutil.which("podman") is None
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
