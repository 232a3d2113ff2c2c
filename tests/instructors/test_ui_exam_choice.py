"""The exam screen (countdown, answers, expiry) and the choice input, driven by Textual's pilot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.command import DiscoveryHit
from textual.content import Content
from textual.widgets import Input, Markdown, Static

from labtui.checks.choice import order
from labtui.engine.exam import Exam, plan_exam, saved_results
from labtui.engine.session import Session
from labtui.scenario.catalog import Catalog
from labtui.scenario.model import ChoiceCheck
from labtui.state.progress import ProgressStore
from labtui.ui.screens.exam import ExamApp, ExamScreen, countdown
from labtui.ui.widgets.choice import ChoiceInput, ChoiceScreen, choice_screen_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def text(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Content) else str(content)


async def settle(pilot: Any) -> None:
    for _ in range(100):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return
    raise AssertionError("workers did not settle")


def test_countdown_format() -> None:
    assert countdown(300) == "05:00"
    assert countdown(59.2) == "01:00"
    assert countdown(0) == "00:00"
    assert countdown(3723) == "1:02:03"


@pytest.mark.asyncio
async def test_exam_screen_counts_down_and_scores_when_time_runs_out(tmp_path: Path) -> None:
    clock = FakeClock()
    exam = Exam(plan_exam("security-principles"), "ada", minutes=2, clock=clock)
    app = ExamApp(exam)
    try:
        async with app.run_test(size=(110, 34)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ExamScreen) and screen.phase == "running"
            header = screen.query_one("#exam-header", Static)
            assert "02:00 left" in text(header)
            # No hints, no solutions anywhere on the exam screen.
            assert not [
                b
                for b in screen.active_bindings.values()
                if "hint" in b.binding.description.lower()
            ]
            # Task 1 (attack-surface): pick the right option by its letter.
            check = exam.items[0].task.checks[0]
            assert isinstance(check, ChoiceCheck)
            shown = order(check, "ada", "security-principles", "attack-surface")
            right = next(s.letter for s in shown if s.option.correct)
            screen.query_one(ChoiceInput).focus()
            await pilot.press(right, "enter")
            await pilot.pause()
            assert exam.answers["security-principles/attack-surface"] == right
            assert "answer kept" in text(screen.query_one("#exam-note", Static))
            # The countdown moves with the clock, and turns red in the last minute.
            clock.now += 75
            screen.tick()
            await pilot.pause()
            assert "00:45 left" in text(header) and header.has_class("-low")
            # Last task: type the port.
            await pilot.press("ctrl+pageup")
            await pilot.pause()
            assert screen.item.task.id == "unnecessary-port"
            box = screen.query_one("#exam-input", Input)
            box.focus()
            await pilot.press(*"2222", "enter")
            await pilot.pause()
            assert exam.answers["security-principles/unnecessary-port"] == "2222"
            # Time runs out: scoring starts by itself, late answers are not taken.
            clock.now += 60
            screen.tick()
            await settle(pilot)
            assert screen.phase == "done"
            result = exam.result
            assert result is not None and result.expired
            assert (result.score, result.max_score) == (2.0, 7.0)
            body = screen.query_one("#exam-task", Markdown)
            assert "2 / 7 points" in body.source and "time ran out" in body.source
            assert "score 2/7" in text(header)
            await pilot.press("escape")
            await pilot.pause()
        assert saved_results("ada")
    finally:
        exam.close()


class ChoiceHost(App[None]):
    def __init__(self, screen: ChoiceScreen) -> None:
        super().__init__()
        self.dialog = screen
        self.answer: str | None = "unset"

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        def done(value: str | None) -> None:
            self.answer = value

        self.push_screen(self.dialog, done)


def _session(tmp_path: Path) -> Session:
    entry = Catalog.discover().find("security-principles")
    assert entry.scenario is not None
    return Session(
        entry.scenario, entry.folder, store=ProgressStore("ada", path=tmp_path / "p.json")
    )


@pytest.mark.asyncio
async def test_choice_dialog_single_answer(tmp_path: Path) -> None:
    session = _session(tmp_path)
    dialog = choice_screen_for(session, session.task("attack-surface"), None)
    assert dialog is not None and not dialog.multiple
    assert choice_screen_for(session, session.task("unnecessary-port"), None) is None
    app = ChoiceHost(dialog)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("b", "c", "enter")
        await pilot.pause()
    assert app.answer == "c"


@pytest.mark.asyncio
async def test_choice_dialog_several_answers_and_previous(tmp_path: Path) -> None:
    session = _session(tmp_path)
    dialog = choice_screen_for(session, session.task("cni-requirements"), "a")
    assert dialog is not None and dialog.multiple
    app = ChoiceHost(dialog)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.screen.query_one(ChoiceInput).answer == "a"
        await pilot.press("c", "d", "enter")
        await pilot.pause()
    assert app.answer == "a,c,d"
    verdict = session.check("cni-requirements", answer=app.answer, record=False)
    assert verdict.results[0].kind == "choice"


@pytest.mark.asyncio
async def test_choice_dialog_cancel(tmp_path: Path) -> None:
    session = _session(tmp_path)
    dialog = choice_screen_for(session, session.task("security-layers"), None)
    assert dialog is not None
    app = ChoiceHost(dialog)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.answer is None


@pytest.mark.asyncio
async def test_lab_screen_answers_a_choice_task_with_the_dialog(tmp_path: Path) -> None:
    from labtui.ui.app import LabApp
    from labtui.ui.screens.lab import LabScreen
    from tests.conftest import SCENARIOS
    from tests.ui.conftest import fixed_availability, fixed_diagnosis

    app = LabApp(
        catalog=Catalog([SCENARIOS / "security-principles"], include_builtin=False),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
        learner="ada",
    )
    async with app.run_test(size=(110, 34)) as pilot:
        await settle(pilot)
        from labtui.engine.trust import trust

        trust(app.loaded_entries[0])  # a pack's scenario asks before it runs: say yes up front
        app.open_scenario("security-principles")
        await settle(pilot)
        lab = app.screen
        assert isinstance(lab, LabScreen)
        lab.task_id = "attack-surface"
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceScreen)
        check = lab.scenario.task("attack-surface").checks[0]
        assert isinstance(check, ChoiceCheck)
        shown = order(check, "ada", "security-principles", "attack-surface")
        wrong = next(s for s in shown if not s.option.correct)
        await pilot.press(wrong.letter, "enter")
        await settle(pilot)
        assert app.screen is lab
        results = text(lab.query_one("#results", Static))
        assert f"{wrong.letter}) is not right" in results
    store = ProgressStore("ada")
    assert store.get("security-principles").tasks["attack-surface"].answer == wrong.letter


@pytest.mark.asyncio
async def test_exam_from_the_app_command_palette() -> None:
    from labtui.engine.trust import trust
    from labtui.ui.app import LabApp
    from labtui.ui.exam_commands import ExamCommands, start_exam
    from tests.conftest import SCENARIOS
    from tests.ui.conftest import fixed_availability, fixed_diagnosis

    app = LabApp(
        catalog=Catalog([SCENARIOS / "security-principles"], include_builtin=False),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
        learner="eve",
    )
    async with app.run_test(size=(110, 34)) as pilot:
        await settle(pilot)
        assert ExamCommands in app.COMMANDS
        provider = ExamCommands(app.screen)
        assert [h async for h in provider.discover()] == [], "untrusted packs offer no exam"
        trust(app.loaded_entries[0])
        hits = [h async for h in provider.discover()]
        assert all(isinstance(h, DiscoveryHit) for h in hits)
        assert [h.display for h in hits if isinstance(h, DiscoveryHit)] == [
            "Exam: Security principles: attack surface, defense in depth, least privilege"
        ]
        start_exam(app, app.loaded_entries[0])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExamScreen) and screen.phase == "running"
        assert "15:00 left" in text(screen.query_one("#exam-header", Static)) or "14:59 left" in (
            text(screen.query_one("#exam-header", Static))
        )
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.phase == "done"
        assert screen.exam.result is not None and screen.exam.result.score == 0
        assert not screen.exam.result.expired
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ExamScreen)
    assert saved_results("eve")


def _palette_app(scenario: str) -> Any:
    from labtui.ui.app import LabApp
    from tests.conftest import SCENARIOS
    from tests.ui.conftest import fixed_availability, fixed_diagnosis

    return LabApp(
        catalog=Catalog([SCENARIOS / scenario], include_builtin=False),
        probe=fixed_availability,
        diagnose=fixed_diagnosis,
        learner="eve",
    )


@pytest.mark.asyncio
async def test_quitting_an_exam_from_the_palette_brings_its_labs_down() -> None:
    from labtui.engine.trust import trust
    from labtui.ui.exam_commands import start_exam

    app = _palette_app("security-principles")
    async with app.run_test(size=(110, 34)) as pilot:
        await settle(pilot)
        trust(app.loaded_entries[0])
        start_exam(app, app.loaded_entries[0])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExamScreen) and screen.phase == "running"
        exam = screen.exam
        session = exam.sessions["security-principles"]
        assert session.is_up
        await pilot.press("ctrl+q")
    assert exam.closed
    assert not session.is_up and not session.lab_dir.exists()
    assert not exam.store.path.parent.exists()


@pytest.mark.asyncio
async def test_an_exam_from_the_palette_that_cannot_start_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labtui.engine.trust import trust
    from labtui.ui.exam_commands import start_exam

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    app = _palette_app("pid-namespace-sharing")
    async with app.run_test(size=(110, 34)) as pilot:
        await settle(pilot)
        trust(app.loaded_entries[0])
        start_exam(app, app.loaded_entries[0])
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExamScreen) and screen.phase == "failed"
        assert "could not go on" in str(screen.query_one("#exam-task", Markdown).source)
        exam = screen.exam
        assert exam.closed and not exam.store.path.parent.exists()
        assert not exam.sessions["pid-namespace-sharing"].is_up
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ExamScreen)
