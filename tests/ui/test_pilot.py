"""The learner's app driven through Textual's pilot: every acceptance path of the TUI."""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.content import Content
from textual.widgets import Input, Markdown, Static

from labtui.engine.handoff import shell_handoff
from labtui.state import paths
from labtui.state.progress import ProgressStore
from labtui.ui.screens.catalog import CatalogScreen
from labtui.ui.screens.completion import CompletionScreen
from labtui.ui.screens.environment import EnvironmentScreen
from labtui.ui.screens.lab import LabScreen
from labtui.ui.screens.modals import AnswerScreen, ConfirmScreen, HelpScreen, ShellCommandScreen
from labtui.ui.widgets.catalog_list import CatalogList

from .conftest import PACK, make_app, settle, take_down

SIZE = (100, 30)
pytestmark = pytest.mark.asyncio


def text(widget: Any) -> str:
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


def plain(prompt: Any) -> str:
    return prompt.plain if isinstance(prompt, Content) else str(prompt)


def messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def catalog_ids(app: Any) -> list[str]:
    catalog = app.screen.query_one(CatalogList)
    return [o.id for o in catalog.options if o.id]


async def open_lab(pilot: Any, scenario_id: str) -> LabScreen:
    await settle(pilot)
    pilot.app.open_scenario(scenario_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LabScreen)
    return screen


def results_text(app: Any) -> str:
    return text(app.screen.query_one("#results", Static))


# -- catalog


async def test_catalog_groups_scenarios_by_topic_with_status_and_reasons() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        catalog = app.screen.query_one(CatalogList)
        prompts = [
            str(o.prompt) if not isinstance(o.prompt, Content) else o.prompt.plain
            for o in catalog.options
        ]
        headers = [p for o, p in zip(catalog.options, prompts, strict=True) if o.disabled]
        assert headers == ["PRINCIPLES", "HOST", "CLUSTER", "CONTAINERS", "BROKEN SCENARIOS"]
        assert catalog_ids(app) == [
            "ui-basics",
            "ui-slow",
            "ui-cluster",
            "ui-docker",
            "ui-many",
            f"broken:{PACK / 'ui-broken'}",
        ]
        basics = prompts[1]
        assert "Notes and answers" in basics and "beginner" in basics and "5 min" in basics
        assert "local" in basics and "not started" in basics
        cluster = next(p for p in prompts if "kind cluster" in p)
        assert "needs kind: not found on PATH" in cluster
        broken = prompts[-1]
        assert "ui-broken/scenario.yaml:11:9" in broken and "stdout_contain" in broken
        assert str(PACK) not in broken


async def test_filter_by_typing_and_escape_clears() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "o", "t", "e", "s")
        assert app.screen.query_one("#filter", Input).value == "notes"
        assert catalog_ids(app) == ["ui-basics"]
        await pilot.press("escape")
        assert app.screen.query_one("#filter", Input).value == ""
        assert len(catalog_ids(app)) == 6
        await pilot.press("k", "i", "n", "d")
        assert catalog_ids(app) == ["ui-cluster"]


async def test_enter_opens_the_highlighted_scenario() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "l", "o", "w", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen)
        assert app.screen.scenario.id == "ui-slow"


async def test_open_scenario_shows_tasks_and_instructions() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "o", "t", "e", "s", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LabScreen) and screen.scenario.id == "ui-basics"
        assert "notes.txt" in screen.query_one("#instructions", Markdown).source
        assert "Press c to check" in results_text(app)
        assert "environment up" in text(screen.query_one("#env", Static))


async def test_broken_scenario_shows_its_errors_instead_of_opening() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b", "r", "o", "k", "e", "n", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CatalogScreen)
        assert any("cannot be loaded" in m and "stdout_contain" in m for m in messages(app))


async def test_unavailable_scenario_can_be_read_but_not_run() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-cluster")
        assert screen.blocked == ["needs kind: not found on PATH"]
        assert "kubectl get nodes" in screen.query_one("#instructions", Markdown).source
        assert "cannot run here" in text(screen.query_one("#env", Static))
        await pilot.press("c")
        await settle(pilot)
        assert any("cannot run on this machine" in m for m in messages(app))


# -- checks, hints, answers


async def test_failing_check_shows_expected_and_actual() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        await pilot.press("c")
        await settle(pilot)
        shown = results_text(app)
        assert "0 of 1 checks passed" in shown
        assert "✗ notes.txt says hello" in shown
        assert "expected: exists" in shown and "actual:   missing" in shown
        assert ProgressStore().get("ui-basics").tasks["write-note"].attempts == 1


async def test_passing_check_after_the_learner_does_the_task() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        (paths.lab_dir("ui-basics") / "notes.txt").write_text("hello\n")
        await pilot.press("c")
        await settle(pilot)
        assert "1 of 1 checks passed" in results_text(app)
        assert ProgressStore().get("ui-basics").tasks["write-note"].passed


async def test_hints_are_revealed_one_by_one_and_counted() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-basics")
        extras = screen.query_one("#extras", Markdown)
        assert "Hint 1" not in extras.source and "2 more hint(s)" in extras.source
        await pilot.press("h")
        await settle(pilot)
        assert "Hint 1 of 2" in extras.source and "Hint 2" not in extras.source
        assert ProgressStore().get("ui-basics").tasks["write-note"].hints_used == 1
        await pilot.press("h")
        await settle(pilot)
        assert "Hint 2 of 2" in extras.source and "echo hello > notes.txt" in extras.source
        await pilot.press("h")
        await settle(pilot)
        assert any("Every hint" in m for m in messages(app))
        assert ProgressStore().get("ui-basics").tasks["write-note"].hints_used == 2


async def test_wrong_then_right_answer_then_completion() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-basics")
        (paths.lab_dir("ui-basics") / "notes.txt").write_text("hello\n")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("n", "a")
        await pilot.pause()
        assert isinstance(app.screen, AnswerScreen)
        await pilot.press(*"[b]41[/b]", "enter")
        await settle(pilot)
        shown = results_text(app)
        assert "'[b]41[/b]' is not the answer" in shown
        assert "[b]41[/b]" in text(screen.query_one("#answer-line", Static))
        await pilot.press("a")
        await pilot.pause()
        answer = app.screen.query_one(Input)
        assert answer.value == "[b]41[/b]"
        answer.value = ""
        await pilot.press("4", "2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CompletionScreen)
        summary = app.screen
        assert "You wrote a file" in summary.query_one("#conclusion", Markdown).source
        stats = text(summary.query_one("#completion-stats Static", Static))
        assert "Tasks passed        2 of 2" in stats
        assert "Hints used          0 of 4" in stats
        assert "Solutions revealed  0 of 2" in stats
        await pilot.press("escape")
        assert isinstance(app.screen, LabScreen)


async def test_solution_needs_confirmation_and_is_marked() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-basics")
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert not ProgressStore().get("ui-basics").tasks.get("write-note")
        await pilot.press("o", "y")
        await settle(pilot)
        assert "### Solution" in screen.query_one("#extras", Markdown).source
        assert "write notes.txt" in screen.query_one("#extras", Markdown).source
        assert ProgressStore().get("ui-basics").tasks["write-note"].solution_revealed


async def test_next_and_previous_task() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-basics")
        await pilot.press("n")
        await settle(pilot)
        assert screen.task_id == "multiply"
        assert "6 and 7" in screen.query_one("#instructions", Markdown).source
        await pilot.press("n")
        assert any("last task" in m for m in messages(app))
        await pilot.press("p")
        await settle(pilot)
        assert screen.task_id == "write-note"


async def test_reset_asks_then_clears_progress_and_lab_directory() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        note = paths.lab_dir("ui-basics") / "notes.txt"
        note.write_text("hello\n")
        await pilot.press("c")
        await settle(pilot)
        assert ProgressStore().get("ui-basics").tasks["write-note"].passed
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen)
        assert ProgressStore().get("ui-basics").tasks == {}
        assert not note.exists() and paths.lab_dir("ui-basics").is_dir()
        assert "Press c to check" in results_text(app)


async def test_resume_after_restarting_the_app() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        await pilot.press("n", "h")
        await settle(pilot)
        await pilot.press("q")
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "in progress 0 of 2" in plain(
            again.screen.query_one(CatalogList).get_option("ui-basics").prompt
        )
        screen = await open_lab(pilot, "ui-basics")
        assert screen.task_id == "multiply"
        assert "Hint 1 of 2" in screen.query_one("#extras", Markdown).source


async def test_back_returns_to_the_catalog_with_fresh_status() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        (paths.lab_dir("ui-basics") / "notes.txt").write_text("hello\n")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        prompt = app.screen.query_one(CatalogList).get_option("ui-basics").prompt
        assert "in progress 1 of 2" in plain(prompt)


# -- shell handoff


async def test_shell_handoff_falls_back_to_the_exact_command() -> None:
    """The headless driver cannot suspend: the app shows the command it would run."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-basics")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ShellCommandScreen)
        expected = shell_handoff(screen.scenario, paths.lab_dir("ui-basics"), screen.session.env)
        shown = text(app.screen.query_one("#shell-command", Static))
        assert shown == expected.command_line()
        assert (
            "LAB_SCENARIO=ui-basics" in shown and f"LAB_DIR={paths.lab_dir('ui-basics')}" in shown
        )
        assert f"cd {paths.lab_dir('ui-basics')}" in shown
        for path in expected.files:
            assert path.is_file()
        await pilot.press("escape")
        assert isinstance(app.screen, LabScreen)


async def test_shell_handoff_suspends_runs_the_shell_and_rechecks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the terminal can be handed over, the shell runs and the current task is checked after."""
    import contextlib

    from labtui.engine import handoff as handoff_module

    ran: list[dict[str, Any]] = []

    def fake_run(self: handoff_module.Handoff, base_env: Any = None) -> int:
        ran.append({"argv": self.argv, "cwd": self.cwd, "env": self.env})
        (self.cwd / "notes.txt").write_text("hello\n")
        return 0

    app = make_app()
    monkeypatch.setattr(handoff_module.Handoff, "run", fake_run)
    monkeypatch.setattr(type(app), "suspend", lambda self: contextlib.nullcontext())
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        await pilot.press("s")
        await settle(pilot)
        assert len(ran) == 1 and ran[0]["cwd"] == paths.lab_dir("ui-basics")
        assert ran[0]["env"]["LAB_SCENARIO"] == "ui-basics"
        assert "1 of 1 checks passed" in results_text(app)


# -- never freeze


async def test_keys_work_while_a_slow_check_runs() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lab(pilot, "ui-slow")
        started = time.monotonic()
        await pilot.press("c")
        await pilot.pause(0.3)
        assert "running" in results_text(app)
        assert any(w.name == "check" and w.is_running for w in app.workers)
        await pilot.press("h")
        for _ in range(50):
            await pilot.pause(0.05)
            if "Hint 1 of 2" in screen.query_one("#extras", Markdown).source:
                break
        assert "Hint 1 of 2" in screen.query_one("#extras", Markdown).source
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert any(w.name == "check" and w.is_running for w in app.workers)
        assert time.monotonic() - started < 4.0
        assert "checking" in text(screen.query_one("#busy", Static))
        await settle(pilot)
        assert time.monotonic() - started >= 4.9
        assert isinstance(app.screen, CompletionScreen)
        assert "1 of 1 checks passed" in text(screen.query_one("#results", Static))
        assert text(screen.query_one("#busy", Static)) == ""


async def test_worker_errors_become_readable_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-docker")
        shown = messages(app)
        assert any("Docker engine is not reachable" in m and "What to do" in m for m in shown), (
            shown
        )
        assert not any("Traceback" in m for m in shown)


# -- help, palette, environment


async def test_help_lists_every_key_of_the_lab() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(text(s) for s in app.screen.query(Static))
        for key, what in [
            ("c", "Check"),
            ("n", "Next"),
            ("p", "Prev"),
            ("h", "Hint"),
            ("a", "Answer"),
            ("s", "Shell"),
            ("o", "Solution"),
            ("r", "Reset"),
            ("t", "Tasks"),
            ("esc", "Back"),
            ("q", "Quit"),
        ]:
            assert f"{key}  {what}" in shown, (key, what)


async def test_every_lab_binding_has_an_id_and_is_in_the_footer() -> None:
    app = make_app()
    # Wide enough for every key (narrower footers leave the rarer ones out: test_small_terminal).
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_lab(pilot, "ui-basics")
        keys = {b.key: b for b in screen.BINDINGS}  # type: ignore[union-attr]
        every = {"c", "n", "p", "h", "a", "s", "o", "r", "t", "escape", "q", "question_mark"}
        assert set(keys) >= every
        assert all(b.id for b in keys.values())  # type: ignore[union-attr]
        footer_keys = {
            k.key  # type: ignore[attr-defined]
            for k in app.screen.query("FooterKey")
            if k.display
        }
        assert footer_keys >= every


async def test_command_palette_jumps_to_a_scenario_and_runs_actions() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Open scenario: Notes")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen) and app.screen.scenario.id == "ui-basics"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Hint")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert ProgressStore().get("ui-basics").tasks["write-note"].hints_used == 1


async def test_environment_screen_shows_doctor_and_takes_a_lab_down() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_lab(pilot, "ui-basics")
        assert paths.lab_dir("ui-basics").is_dir()
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, EnvironmentScreen)
        shown = " ".join(text(s) for s in app.screen.query(".doctor-row Static"))
        assert "docker" in shown and "kind" in shown and "not found on PATH" in shown
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#leftovers").focus()
        await pilot.press("home", "d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert not paths.lab_dir("ui-basics").exists()
        assert any("Removed" in m for m in messages(app))


# -- the real Docker engine


@pytest.mark.docker
async def test_task_passes_after_the_learner_acts_through_docker(docker_client: Any) -> None:
    from labtui.engine.requirements import Availability

    app = make_app(probe=Availability.probe)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lab(pilot, "ui-docker")
            assert "ui-tui-box running" in text(screen.query_one("#env", Static))
            await pilot.press("c")
            await settle(pilot)
            assert "/tmp/flag says ready" in results_text(app) and "0 of 1" in results_text(app)
            box = docker_client.containers.get("ui-tui-box")
            assert box.exec_run(["sh", "-c", "echo ready > /tmp/flag"]).exit_code == 0
            await pilot.press("c")
            await settle(pilot)
            assert isinstance(app.screen, CompletionScreen)
    finally:
        take_down("ui-docker")


@pytest.mark.docker
async def test_a_long_start_can_be_cancelled_and_leaves_nothing(docker_client: Any) -> None:
    from labtui.engine.requirements import Availability

    def ours() -> list[str]:
        return [
            c.name
            for c in docker_client.containers.list(all=True, filters={"name": "ui-tui-many-"})
        ]

    app = make_app(probe=Availability.probe)
    try:
        for _ in range(100):  # an earlier run's removals may still be finishing
            if not ours():
                break
            time.sleep(0.1)
        assert ours() == []
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_scenario("ui-many")
            for _ in range(200):
                await pilot.pause(0.05)
                if ours():
                    break
            assert ours(), "the environment did not start"
            assert "escape cancels" in text(app.screen.query_one("#busy", Static))
            await pilot.press("escape")
            await pilot.pause()
            assert "cancelling" in text(app.screen.query_one("#busy", Static))
            await settle(pilot)
            assert isinstance(app.screen, LabScreen)
            assert any("cancelled" in m for m in messages(app)), messages(app)
            assert ours() == []
            assert "environment down" in text(app.screen.query_one("#env", Static))
    finally:
        take_down("ui-many")
