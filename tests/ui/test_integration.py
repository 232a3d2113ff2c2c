"""The app with the engine's newer parts: trusting packs, unavailable tasks, network labs, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from labtui.engine.session import read_record
from labtui.engine.trust import is_trusted, trust_file
from labtui.scenario.catalog import Catalog
from labtui.state import paths
from labtui.state.progress import ProgressStore
from labtui.ui.app import LabApp
from labtui.ui.screens.completion import CompletionScreen
from labtui.ui.screens.lab import LabScreen
from labtui.ui.screens.modals import AnswerScreen, HelpScreen, TrustScreen
from labtui.ui.widgets.lab_widgets import TaskList
from labtui.ui.widgets.reachability import ReachabilityMatrix

from .conftest import PACK, fixed_availability, fixed_diagnosis, make_app, settle, take_down
from .test_pilot import SIZE, messages, plain, results_text, text

pytestmark = pytest.mark.asyncio

TRUST_LAB = """\
format_version: 1
id: ui-trust
title: A pack lab that runs a command
topic: host
difficulty: beginner
minutes: 1
requires: [local]
tasks:
  - id: touch
    title: The check touches a file
    instructions: The check runs a command.
    checks:
      - kind: command
        command: [touch, "{marker}"]
        description: touches the marker
"""

PARTIAL_LAB = """\
format_version: 1
id: ui-partial
title: Some tasks need a missing tool
topic: host
difficulty: beginner
minutes: 5
requires: [local]
tasks:
  - id: note
    title: Write note.txt
    instructions: Write note.txt.
    checks:
      - kind: file
        path: note.txt
        contains: hi
  - id: tool
    title: Use the missing tool
    requires: [labtui-no-such-tool]
    instructions: Needs a tool this machine lacks.
    checks:
      - kind: command
        command: [labtui-no-such-tool, --version]
  - id: ask
    title: Answer about the missing tool
    requires: [labtui-no-such-tool]
    instructions: Needs a tool this machine lacks.
    checks:
      - kind: answer
        expected: "1"
"""


def write_pack(root: Path, scenario_id: str, text: str) -> Path:
    folder = root / "pack" / scenario_id
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(text)
    return root / "pack"


def pack_app(pack: Path) -> LabApp:
    return LabApp(
        catalog=Catalog([pack], include_builtin=False),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
    )


async def open_only(pilot: Any, scenario_id: str) -> None:
    await settle(pilot)
    pilot.app.open_scenario(scenario_id)
    await settle(pilot)


# -- 1. packs are trusted before they run anything


async def test_untrusted_pack_shows_its_commands_and_no_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    pack = write_pack(tmp_path, "ui-trust", TRUST_LAB.replace("{marker}", str(marker)))
    app = pack_app(pack)
    async with app.run_test(size=SIZE) as pilot:
        await open_only(pilot, "ui-trust")
        assert isinstance(app.screen, TrustScreen)
        listing = text(app.screen.query_one("#trust-list", Static))
        assert f"check: touch {marker}" in listing
        await pilot.press("n")
        await settle(pilot)
        lab = app.screen
        assert isinstance(lab, LabScreen)
        assert any("Nothing was run" in m for m in messages(app))
        assert read_record("ui-trust") is None and not paths.lab_dir("ui-trust").exists()

        # A check asks again; no again runs nothing.
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, TrustScreen)
        await pilot.press("n")
        await settle(pilot)
        assert not marker.exists()
        assert ProgressStore().get("ui-trust").tasks == {}
        entry = app.catalog().find("ui-trust")
        assert not is_trusted(entry)

        # Yes trusts the scenario, starts the lab and runs the check that was asked for.
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, TrustScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CompletionScreen)  # the one check passed
        assert marker.exists()
        assert is_trusted(entry) and read_record("ui-trust") is not None
    take_down_pack(pack, "ui-trust")


async def test_trusted_pack_and_builtin_scenarios_never_ask(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_only(pilot, "ui-basics")
        assert isinstance(app.screen, LabScreen)
    builtin = LabApp(
        catalog=Catalog([], include_builtin=True),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
    )
    trust_file().unlink(missing_ok=True)
    async with builtin.run_test(size=SIZE) as pilot:
        await open_only(pilot, "netpol-frontend-backend")
        assert isinstance(builtin.screen, LabScreen)
        assert not trust_file().exists()


def take_down_pack(pack: Path, scenario_id: str) -> None:
    from labtui.engine.session import Session

    entry = Catalog([pack], include_builtin=False).find(scenario_id)
    assert entry.scenario is not None
    Session(entry.scenario, entry.folder).down()


# -- 2. tasks whose requirement is missing


async def test_unavailable_tasks_are_marked_and_do_not_count(tmp_path: Path) -> None:
    from .conftest import trust_all

    pack = write_pack(tmp_path, "ui-partial", PARTIAL_LAB)
    trust_all(pack)
    app = pack_app(pack)
    async with app.run_test(size=SIZE) as pilot:
        await open_only(pilot, "ui-partial")
        lab = app.screen
        assert isinstance(lab, LabScreen)
        tasks = lab.query_one(TaskList)
        prompts = [plain(o.prompt) for o in tasks.options]
        assert prompts[0].startswith("· 1.")
        assert prompts[1].startswith("⊘ 2.") and prompts[2].startswith("⊘ 3.")

        await pilot.press("n")
        await settle(pilot)
        shown = results_text(app)
        assert "Not available here" in shown and "labtui-no-such-tool" in shown
        await pilot.press("c")
        await settle(pilot)
        assert any("cannot run here" in m and "labtui-no-such-tool" in m for m in messages(app))
        assert "Not available here" in results_text(app)
        assert "tool" not in ProgressStore().get("ui-partial").tasks

        await pilot.press("n")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, AnswerScreen)

        # The one task that can run here completes the lab.
        (paths.lab_dir("ui-partial") / "note.txt").write_text("hi\n")
        lab.select_task("note")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompletionScreen)
        summary = " ".join(text(w) for w in app.screen.query(Static))
        assert "1 of 1" in summary
    take_down_pack(pack, "ui-partial")


# -- 3. network labs show the reachability matrix


async def test_network_lab_shows_the_reachability_matrix() -> None:
    app = LabApp(
        catalog=Catalog([], include_builtin=True),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
    )
    async with app.run_test(size=(120, 50)) as pilot:
        await open_only(pilot, "netpol-frontend-backend")
        lab = app.screen
        assert isinstance(lab, LabScreen)
        widget = lab.query_one(ReachabilityMatrix)
        assert widget.matrix is not None and len(widget.matrix.pods) >= 3
        refs = [p.ref for p in widget.matrix.pods]
        assert any("backend" in r for r in refs)
        explanation = text(widget.query_one("#reach-explanation", Static))
        assert "ALLOWED" in explanation or "DENIED" in explanation

        # A policy that cannot be read: the message goes to the status line, the app stays up.
        bad = paths.lab_dir("netpol-frontend-backend") / "policies" / "broken.yaml"
        bad.parent.mkdir(exist_ok=True)
        bad.write_text("kind: NetworkPolicy\nspec: [not, a, mapping\n")
        await pilot.press("c")
        await settle(pilot)
        if isinstance(app.screen, AnswerScreen):
            await pilot.press("escape")
            lab.run_check(lab.task_id, "pod")
            await settle(pilot)
        assert lab.matrix_error
        assert "reachability:" in text(lab.query_one("#env", Static))
        bad.unlink()
        lab.run_check(lab.task_id, "pod")
        await settle(pilot)
        assert lab.matrix_error == ""
    from labtui.engine.session import Session

    entry = Catalog([], include_builtin=True).find("netpol-frontend-backend")
    assert entry.scenario is not None
    Session(entry.scenario, entry.folder).down()


# -- 4. Docker stops answering


@pytest.mark.docker
async def test_docker_down_gives_a_readable_message_and_the_app_keeps_going(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    saved = os.environ.get("DOCKER_HOST")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/missing.sock")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        lab = await _open_lab(pilot, "ui-docker")
        await pilot.press("c")
        await settle(pilot)
        shown = messages(app)
        assert any("Docker engine is not reachable" in m for m in shown), shown
        assert any("start Docker" in m for m in shown), shown
        assert not any("Traceback" in m for m in shown)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is lab

        # With the engine back, opening the lab again starts it and the check runs.
        if saved is None:
            monkeypatch.delenv("DOCKER_HOST")
        else:
            monkeypatch.setenv("DOCKER_HOST", saved)
        try:
            await pilot.press("escape")
            await settle(pilot)
            lab = await _open_lab(pilot, "ui-docker")
            assert lab.state is not None and lab.state.is_up
            await pilot.press("c")
            await settle(pilot)
            assert "0 of 1 checks passed" in results_text(app)
            assert "not reachable" not in text(lab.query_one("#env", Static))
        finally:
            take_down("ui-docker")


async def _open_lab(pilot: Any, scenario_id: str) -> LabScreen:
    await open_only(pilot, scenario_id)
    screen = pilot.app.screen
    assert isinstance(screen, LabScreen)
    return screen


# -- 5. hostile answers are data


async def answer(pilot: Any, value: str) -> None:
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AnswerScreen)
    pilot.app.screen.query_one(Input).value = value
    await pilot.press("enter")
    await settle(pilot)


async def test_hostile_answer_is_checked_as_data_and_shown_literally() -> None:
    app = make_app()
    markup = "[bold]x[/bold] \x1b[31mred"
    async with app.run_test(size=SIZE) as pilot:
        lab = await _open_lab(pilot, "ui-basics")
        await pilot.press("n")
        await settle(pilot)
        await answer(pilot, markup)
        assert app.screen is lab
        shown = results_text(app)
        assert "0 of 1 checks passed" in shown
        assert "[bold]x[/bold]" in shown and "\\x1b[31mred" in shown and "\x1b" not in shown
        answer_line = text(lab.query_one("#answer-line", Static))
        assert "[bold]x[/bold] \\x1b[31mred" in answer_line and "\x1b" not in answer_line
        assert ProgressStore().get("ui-basics").tasks["multiply"].answer == markup
        # The answer box does not put the raw escape back on screen.
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AnswerScreen)
        assert app.screen.query_one(Input).value == ""
        await pilot.press("escape")
        await settle(pilot)

        # A megabyte: checked, shown cut short, and the keys still answer.
        await answer(pilot, markup + " " + "y" * 1_000_000)
        assert app.screen is lab
        shown = results_text(app)
        assert "0 of 1 checks passed" in shown and len(shown) < 5000
        assert "\x1b" not in shown
        assert ProgressStore().get("ui-basics").tasks["multiply"].attempts == 2
        assert len(text(lab.query_one("#answer-line", Static))) < 2000
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


# -- 6. the status line tells whether a kind lab's cluster runs


@pytest.mark.docker
async def test_status_line_shows_whether_the_kind_cluster_is_up(
    docker_client: Any, tmp_path: Path
) -> None:
    from labtui.engine.requirements import Availability

    def with_kind() -> Availability:
        return Availability(docker_error=None, tools={"kind": True, "kubectl": True})

    # Not trusted, and the answer is no: nothing starts a real cluster where kind is installed.
    pack = write_pack(tmp_path, "ui-cluster", (PACK / "ui-cluster" / "scenario.yaml").read_text())
    app = LabApp(
        catalog=Catalog([pack], include_builtin=False), probe=with_kind, diagnose=fixed_diagnosis
    )
    node = "labtui-ui-cluster-control-plane"
    async with app.run_test(size=SIZE) as pilot:
        await open_only(pilot, "ui-cluster")
        assert isinstance(app.screen, TrustScreen)
        await pilot.press("n")
        await settle(pilot)
        lab = app.screen
        assert isinstance(lab, LabScreen)
        status = text(lab.query_one("#env", Static))
        assert "cluster down" in status and "not trusted" in status
        # A stand-in for the kind node: the status only inspects the control-plane container.
        box = docker_client.containers.run(
            "labtui/base:local", ["sleep", "60"], name=node, detach=True, network_mode="none"
        )
        try:
            lab.refresh_state()
            await settle(pilot)
            assert "cluster up" in text(lab.query_one("#env", Static))
        finally:
            box.remove(force=True)
