"""The lab screen's state as one value: each outcome gives the next view, the old one is untouched."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from labtui.state.progress import ScenarioProgress, TaskProgress
from labtui.ui.screens.lab_view import LabState, LabView
from labtui.ui.widgets.lab_widgets import ResultLine

TASKS = ["one", "two", "three"]


def state(current: str = "two", **tasks: TaskProgress) -> LabState:
    progress = ScenarioProgress(current_task=current, tasks=dict(tasks))
    empty = {t: "" for t in TASKS}
    return LabState(progress, current, empty, {t: [] for t in TASKS}, {}, {}, is_up=True)


def test_the_first_read_brings_the_learners_last_task_and_later_ones_keep_it() -> None:
    view = LabView("one").read(state("two"), first=True)
    assert view.task_id == "two"
    assert view.read(state("three")).task_id == "two"


def test_a_check_runs_line_by_line_then_marks_the_task() -> None:
    before = LabView("one").read(state("one"), first=True)
    running = before.checking("one", ["a", "b"])
    assert [line.passed for line in running.results["one"]] == [None, None]
    assert before.results == {}  # the view it came from is unchanged

    first = running.check_finished("one", 0, ResultLine("a", True))
    assert [line.passed for line in first.results["one"]] == [True, None]
    # Results of a task not running, or past its last check, change nothing.
    assert first.check_finished("two", 0, ResultLine("x", True)) is first
    assert first.check_finished("one", 5, ResultLine("x", True)) is first

    done = first.checked(
        "one", [ResultLine("a", True), ResultLine("b", False)], False, state("one")
    )
    assert done.failed == {"one"}
    assert done.checked("one", [ResultLine("a", True)], True, state("one")).failed == frozenset()
    assert done.check_failed("one").results == {}


def test_a_reset_clears_results_and_marks() -> None:
    view = LabView("two").checking("two", ["a"]).checked("two", [], False, state())
    after = view.reset(state("one"))
    assert after.results == {} and after.failed == frozenset() and after.task_id == "one"


def test_the_next_open_task_skips_passed_and_unavailable_ones_and_wraps() -> None:
    lab = state("one", two=TaskProgress(passed=True))
    assert LabView("one", state=lab).next_open_task(TASKS, "one") == "three"
    assert LabView("one", state=lab).next_open_task(TASKS, "three") == "one"
    view = LabView("one", state=replace(lab, missing={"three": "needs kind"}))
    assert view.next_open_task(TASKS, "one") is None  # the task just passed does not count


def test_the_answer_and_hints_of_the_task_on_screen() -> None:
    view = LabView("two", state=state("two", two=TaskProgress(answer="42")))
    assert view.stored_answer == "42" and view.hints_shown("two") == 0
    assert LabView("one", state=view.state).stored_answer is None


def test_no_lab_screen_module_is_longer_than_a_read_through() -> None:
    screens = Path(__file__).resolve().parents[2] / "labtui" / "ui" / "screens"
    long = {p.name: n for p in screens.glob("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_the_ui_reaches_the_session_only_through_what_it_exposes() -> None:
    ui = Path(__file__).resolve().parents[2] / "labtui" / "ui"
    private = [
        f"{p.relative_to(ui)}:{i}"
        for p in ui.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if "session._" in line
    ]
    assert private == []


def test_the_lab_screen_loads_without_the_app() -> None:
    """The app opens screens; a screen never needs the app's module to load (no import cycle)."""
    import subprocess
    import sys

    probe = (
        "import sys, labtui.ui.screens.lab, labtui.ui.widgets.lab_panes; "
        "print('labtui.ui.app' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False", out.stderr
