"""The lab screen's panes, each bound to the screen's :class:`LabView` and drawing its own part.

A pane redraws only when its part changed, so setting a new view after a
check's progress does not re-render the instructions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.widgets import Static

from labtui.ui.widgets.lab_widgets import (
    StatusLine,
    TaskLine,
    TaskList,
    results_content,
    visible,
)
from labtui.ui.widgets.markdown import LabMarkdown

if TYPE_CHECKING:
    from labtui.scenario.model import Scenario
    from labtui.ui.screens.lab_view import LabView


def task_lines(view: LabView, scenario: Scenario) -> tuple[TaskLine, ...]:
    progress = view.state.progress if view.state else None
    missing = view.state.missing if view.state else {}
    lines = []
    for t in scenario.tasks:
        tp = progress.tasks.get(t.id) if progress else None
        lines.append(
            TaskLine(
                t.id,
                t.title,
                bool(tp and tp.passed),
                t.id in view.failed,
                t.id == view.task_id,
                missing.get(t.id, ""),
            )
        )
    return tuple(lines)


class LabTaskList(TaskList):
    """The tasks with their marks; the highlighted one is the task on screen."""

    view: var[LabView | None] = var(None)

    def __init__(self, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self._shown: tuple[tuple[TaskLine, ...], object] | None = None

    def watch_view(self, view: LabView | None) -> None:
        if view is None or view.state is None:
            return
        # A fresh read of the lab also brings the highlight back to the task on screen.
        shown = (task_lines(view, self.scenario), view.state)
        if self._shown is None or shown[0] != self._shown[0] or shown[1] is not self._shown[1]:
            self._shown = shown
            self.show(shown[0])


def answer_content(view: LabView, scenario: Scenario) -> Content | None:
    """The answer given so far to an answer task; None for a task with nothing to type."""
    task = scenario.task(view.task_id)
    if not task.needs_answer:
        return None
    given = view.stored_answer
    return Content.assemble(
        (f"{task.answer_prompt or 'Your answer'}: ", "bold"),
        (visible(given), "")
        if given is not None
        else ("(none yet: press a to answer)", "$text-muted"),
    )


def extras_text(view: LabView, scenario: Scenario) -> str:
    """Hints shown, how many are left, and the solution once revealed."""
    assert view.state is not None
    task = scenario.task(view.task_id)
    extras: list[str] = []
    hints = view.state.hints.get(view.task_id, [])
    for i, hint in enumerate(hints, 1):
        extras.append(f"**Hint {i} of {len(task.hints)}:** {hint}")
    if task.hints and len(hints) < len(task.hints):
        extras.append(f"*{len(task.hints) - len(hints)} more hint(s): press h.*")
    steps = view.state.solutions.get(view.task_id)
    if steps is not None and task.solution is not None:
        extras.append("### Solution")
        explanation = view.state.explanations.get(view.task_id, "")
        if explanation:
            extras.append(explanation)
        if steps:
            extras.append("```\n" + "\n".join(steps) + "\n```")
    return "\n\n".join(extras)


class TaskDocument(VerticalScroll):
    """The task on screen: instructions, the answer given, hints and solution, then the lab's introduction."""

    view: var[LabView | None] = var(None)

    def __init__(self, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self._shown: tuple[str, Content | None, str, str] | None = None

    def compose(self) -> ComposeResult:
        yield LabMarkdown("", id="instructions")
        yield Static("", id="answer-line")
        yield LabMarkdown("", id="extras")
        yield LabMarkdown("", id="about")

    def watch_view(self, view: LabView | None) -> None:
        if view is None or view.state is None:
            return
        # The task comes first so it is on screen at once; the lab's introduction follows task 1.
        first = view.task_id == self.scenario.tasks[0].id
        about = view.state.about
        parts = (
            view.state.documents.get(view.task_id, ""),
            answer_content(view, self.scenario),
            extras_text(view, self.scenario),
            f"---\n\n### About this lab\n\n{about}" if first and about else "",
        )
        shown, self._shown = self._shown, parts
        if shown is None or parts[0] != shown[0]:
            self.query_one("#instructions", LabMarkdown).update(parts[0])
        if shown is None or parts[1] != shown[1]:
            answer_line = self.query_one("#answer-line", Static)
            answer_line.display = parts[1] is not None
            if parts[1] is not None:
                answer_line.update(parts[1])
        if shown is None or parts[2] != shown[2]:
            self.query_one("#extras", LabMarkdown).update(parts[2])
        if shown is None or parts[3] != shown[3]:
            self.query_one("#about", LabMarkdown).update(parts[3])


def check_results(view: LabView) -> Content:
    reason = view.missing_reason
    if reason:
        return Content.assemble(("Not available here: ", "bold $warning"), reason)
    lines = view.results.get(view.task_id, ())
    return results_content("Press c to check this task" if not lines else "Checks", lines)


class CheckResults(Static):
    """The checks of the task on screen, each filled in as it finishes."""

    view: var[LabView | None] = var(None)

    def watch_view(self, view: LabView | None) -> None:
        if view is not None and view.state is not None:
            self.update(check_results(view))


def environment_content(view: LabView, scenario: Scenario) -> Content:
    """Where the learner is and what runs: the task's number, the environment, cluster and trust."""
    if view.blocked:
        return Content.assemble(("cannot run here: ", "$error"), "; ".join(view.blocked))
    state = view.state
    if state is None:
        return Content("")
    n = [t.id for t in scenario.tasks].index(view.task_id) + 1
    parts: list[str | tuple[str, str] | Content] = [
        (f"task {n} of {len(scenario.tasks)} · ", "$text-muted")
    ]
    if state.environment_error:
        parts.append(("environment: " + state.environment_error, "$error"))
    else:
        up = state.is_up
        parts.append(
            ("environment up" if up else "environment down", "$success" if up else "$warning")
        )
        for name, status in state.environment:
            style = "$success" if status == "running" else "$text-muted"
            parts += [" · ", (f"{name} {status}", style)]
    if state.cluster:
        style = "$success" if state.cluster == "up" else "$warning"
        parts += [" · ", (f"cluster {state.cluster}", style)]
    if view.not_trusted:
        parts += [" · ", ("not run: not trusted", "$warning")]
    if view.matrix_error:
        parts += [" · ", ("reachability: " + view.matrix_error, "$error")]
    return Content.assemble(*parts)


class LabStatusLine(StatusLine):
    """What runs now (``doing``) and the state of the lab's environment (``view``)."""

    view: var[LabView | None] = var(None)
    doing: var[str] = var("")

    def __init__(self, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def watch_view(self, view: LabView | None) -> None:
        if view is not None:
            self.environment(environment_content(view, self.scenario))

    def watch_doing(self, doing: str) -> None:
        self.busy(doing or None)
