"""What the lab screen shows, as one value.

The session is read off the UI thread into a :class:`LabState`; the screen holds
a :class:`LabView` (that state, the task on screen, the check results of this
visit) and replaces it whole after each action. The widgets bound to it each
draw their part, so nothing is re-read or redrawn by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from labtui.ui.widgets.lab_widgets import ResultLine

if TYPE_CHECKING:
    from labtui.engine.session import Session
    from labtui.state.progress import ScenarioProgress


@dataclass(frozen=True)
class LabState:
    """What the session says about the lab, read in a worker."""

    progress: ScenarioProgress
    current: str
    documents: Mapping[str, str]
    hints: Mapping[str, list[str]]
    # Only for tasks whose solution was revealed: the steps, and the explanation rendered.
    solutions: Mapping[str, list[str]]
    explanations: Mapping[str, str]
    is_up: bool
    environment: tuple[tuple[str, str], ...] = ()
    environment_error: str = ""
    conclusion: str = ""
    about: str = ""
    # Why a task cannot run here (its own ``requires``); tasks that can are absent.
    missing: Mapping[str, str] = field(default_factory=dict)
    # "up" or "down" for a lab with a kind cluster of its own; empty otherwise.
    cluster: str = ""


@dataclass(frozen=True)
class LabView:
    """Everything the lab screen draws: replaced whole, never changed in place."""

    task_id: str
    state: LabState | None = None
    # Check results of this visit, by task; None in a line: that check still runs.
    results: Mapping[str, tuple[ResultLine, ...]] = field(default_factory=dict)
    failed: frozenset[str] = frozenset()
    # Why the whole lab cannot run on this machine.
    blocked: tuple[str, ...] = ()
    # The learner said no to a pack's commands, so the environment was not started.
    not_trusted: bool = False
    matrix_error: str = ""

    @property
    def missing_reason(self) -> str:
        """Why the task on screen cannot run here; empty when it can."""
        return self.state.missing.get(self.task_id, "") if self.state else ""

    @property
    def stored_answer(self) -> str | None:
        """The answer last given to the task on screen."""
        tp = self.state.progress.tasks.get(self.task_id) if self.state else None
        return tp.answer if tp else None

    # -- the next view: each action's outcome as a new value

    def read(self, state: LabState, *, first: bool = False) -> LabView:
        """A fresh read of the session; the first one brings the task the learner was on last."""
        return replace(self, state=state, task_id=state.current if first else self.task_id)

    def reset(self, state: LabState) -> LabView:
        """After a reset: no results, no failures, the task the session starts at."""
        return replace(self, state=state, task_id=state.current, results={}, failed=frozenset())

    def checking(self, task_id: str, labels: Sequence[str]) -> LabView:
        """A task's checks shown as running."""
        running = tuple(ResultLine(label, None) for label in labels)
        return replace(self, results={**self.results, task_id: running})

    def check_finished(self, task_id: str, index: int, line: ResultLine) -> LabView:
        """One check of a running task is done; a task not running is left as it is."""
        lines = self.results.get(task_id)
        if lines is None or index >= len(lines):
            return self
        changed = (*lines[:index], line, *lines[index + 1 :])
        return replace(self, results={**self.results, task_id: changed})

    def checked(
        self, task_id: str, lines: Sequence[ResultLine], passed: bool, state: LabState
    ) -> LabView:
        """A task's checks all ran: its results, its mark in the task list, the session's state."""
        failed = self.failed - {task_id} if passed else self.failed | {task_id}
        results = {**self.results, task_id: tuple(lines)}
        return replace(self, state=state, results=results, failed=failed)

    def check_failed(self, task_id: str) -> LabView:
        """The checks could not run: back to "press c"."""
        return replace(self, results={k: v for k, v in self.results.items() if k != task_id})

    def hints_shown(self, task_id: str) -> int:
        return len(self.state.hints.get(task_id, [])) if self.state else 0

    def next_open_task(self, task_ids: Sequence[str], after: str) -> str | None:
        """The next task, wrapping round, that is neither passed nor unavailable."""
        i = task_ids.index(after)
        for tid in [*task_ids[i + 1 :], *task_ids[:i]]:
            tp = self.state.progress.tasks.get(tid) if self.state else None
            missing = self.state.missing if self.state else {}
            if not (tp and tp.passed) and tid not in missing:
                return tid
        return None


def read_state(session: Session, blocked: bool) -> LabState:
    """Everything the screen shows from the session; slow (files, Docker), so never on the UI thread."""
    from labtui.errors import LabError

    scenario = session.scenario
    progress = session.progress
    documents: dict[str, str] = {}
    hints: dict[str, list[str]] = {}
    solutions: dict[str, list[str]] = {}
    explanations: dict[str, str] = {}
    missing: dict[str, str] = {}
    for n, t in enumerate(scenario.tasks, 1):
        documents[t.id] = f"## {n}. {t.title}\n\n{session.render(t.instructions)}"
        hints[t.id] = session.hints_shown(t.id)
        tp = progress.tasks.get(t.id)
        if tp is not None and tp.solution_revealed:
            try:
                solutions[t.id] = session.solution_steps(t.id)
            except (LabError, ValueError) as exc:
                solutions[t.id] = [f"(cannot show the steps: {exc})"]
            if t.solution is not None and t.solution.explanation:
                explanations[t.id] = session.render(t.solution.explanation)
        reasons = session.task_missing(t.id)
        if reasons:
            missing[t.id] = "; ".join(reasons)
    environment: tuple[tuple[str, str], ...] = ()
    environment_error = ""
    if session.uses_docker and not blocked:
        try:
            environment = tuple((c.name, c.state) for c in session.environment_status())
        except LabError as exc:
            environment_error = exc.message
    return LabState(
        progress,
        session.current_task.id,
        documents,
        hints,
        solutions,
        explanations,
        session.is_up,
        environment,
        environment_error,
        conclusion=session.render(scenario.conclusion),
        about=session.render(scenario.introduction).strip(),
        missing=missing,
        cluster="" if blocked else cluster_state(session),
    )


def cluster_state(session: Session) -> str:
    """A kind cluster's nodes are containers: inspecting the control plane is one cheap call."""
    from labtui.drivers.kind import cluster_name, control_plane
    from labtui.engine.clusters import uses_cluster
    from labtui.errors import LabError

    if session.cluster_choice.mode != "kind" or not uses_cluster(session.scenario):
        return ""
    try:
        attrs = session.docker.inspect(control_plane(cluster_name(session.scenario.id)))
    except LabError:
        return ""
    running = attrs is not None and attrs.get("State", {}).get("Status") == "running"
    return "up" if running else "down"
