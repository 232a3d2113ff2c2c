"""The app under test: the test pack in tests/ui/pack, a fixed machine where pictures need one."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from labtui.doctor import Diagnosis, Item, Leftover
from labtui.engine.requirements import Availability
from labtui.scenario.catalog import Catalog
from labtui.ui.app import LabApp

PACK = Path(__file__).resolve().parent / "pack"
# One lab whose task titles and code lines are wider than an 80-column terminal.
LONG_PACK = Path(__file__).resolve().parent / "long_pack"


@pytest.fixture(autouse=True)
def no_cluster_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """A context the user exported (existing-cluster mode) would change what labs need."""
    monkeypatch.delenv("LABTUI_CONTEXT", raising=False)


def trust_all(pack: Path) -> None:
    """Say yes to every loadable scenario of ``pack``, as its owner would in the app."""
    from labtui.engine.trust import trust

    for entry in Catalog([pack], include_builtin=False).entries():
        if entry.scenario is not None:
            trust(entry)


@pytest.fixture(autouse=True)
def trusted_pack(data_dir: Path) -> None:
    """The test packs are instructor packs: their owner has said yes to their commands."""
    trust_all(PACK)
    trust_all(LONG_PACK)


def fixed_availability() -> Availability:
    """Docker answers, kind is missing: the same catalog picture on every machine."""
    return Availability(docker_error=None, tools={"kind": False, "kubectl": True})


def fixed_diagnosis() -> Diagnosis:
    return Diagnosis(
        items=[
            Item("docker", "ok", "engine 24.0.7 answers"),
            Item("base image", "ok", "labtui/base:local is present"),
            Item(
                "kind",
                "warn",
                "not found on PATH",
                "install kind (https://kind.sigs.k8s.io) for cluster labs",
            ),
            Item("kubectl", "ok", "/usr/local/bin/kubectl (Client Version: v1.31.0)"),
            Item("data", "info", "/home/learner/.local/share/labtui"),
            Item(
                "leftovers",
                "warn",
                "2 lab resources exist",
                "`labtui down ID` for one lab, `labtui clean` for all",
            ),
        ],
        leftovers=[
            Leftover("session", "ui-basics", "ui-basics", "up since 2026-01-05T10:00:00+00:00"),
            Leftover("container", "ui-tui-box", "ui-docker", "running"),
        ],
        docker_ok=True,
    )


def make_app(
    probe: Callable[[], Availability] | None = fixed_availability,
    diagnose: Callable[[], Diagnosis] | None = fixed_diagnosis,
    pack: Path = PACK,
    **kwargs: Any,
) -> LabApp:
    return LabApp(
        catalog=Catalog([pack], include_builtin=False), probe=probe, diagnose=diagnose, **kwargs
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs (a finished worker may start the next one) and the screen is drawn."""
    app = pilot.app
    for _ in range(100):
        await pilot.pause()
        with contextlib.suppress(WorkerFailed):  # the app shows worker errors; tests assert on them
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return
    raise AssertionError("workers did not settle")


@pytest.fixture
def frozen_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Durations and elapsed times in pictures do not depend on the machine's speed."""
    monkeypatch.setattr("labtui.ui.widgets.lab_widgets.format_duration", lambda seconds: "12ms")
    monkeypatch.setattr(
        "labtui.ui.screens.completion.elapsed_text", lambda start, end: "3 min 20 s"
    )


def take_down(scenario_id: str) -> None:
    """Remove what a test's lab made; the engine may still be finishing a removal, so retry."""
    import time

    from labtui.engine.session import Session
    from labtui.errors import LabError

    entry = Catalog([PACK], include_builtin=False).find(scenario_id)
    assert entry.scenario is not None
    for attempt in range(10):
        try:
            Session(entry.scenario, entry.folder).down()
            return
        except LabError:
            if attempt == 9:
                raise
            time.sleep(0.5)
