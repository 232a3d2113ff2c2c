"""The lab's jobs, and what their outcomes make of the screen's :class:`LabView`.

Every engine call runs in a thread worker, so a check that takes a minute never
stops the keys. Each job posts one typed message with what it ended with
(``labtui.ui.messages``); a job that fails posts nothing, and its error becomes
one ``JobFailed`` here. What runs now is kept in ``doing``, the text the status
line shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.message import Message
from textual.reactive import var
from textual.worker import Worker, WorkerState, get_current_worker

from labtui.ui.messages import (
    CheckProgress,
    EnvironmentStarted,
    JobFailed,
    LabRead,
    LabWasReset,
    MatrixComputed,
    PackTrusted,
    ShellReady,
    TaskChecked,
    WorkProgress,
)
from labtui.ui.screens.base import LabAppScreen
from labtui.ui.screens.lab_view import LabState, LabView, read_state
from labtui.ui.widgets.lab_widgets import ResultLine

if TYPE_CHECKING:
    from labtui.checks import CheckResult
    from labtui.engine.session import Session, TaskResult
    from labtui.scenario.catalog import Entry

# What the status line says while a job runs; empty: nothing worth saying.
JOB_TEXT = {
    "up": "starting the environment… (escape cancels)",
    "check": "checking…",
    "reset": "resetting the lab…",
    "solution": "revealing the solution…",
    "apply": "applying the reference solution…",
    "handoff": "preparing the lab shell…",
    "matrix": "computing the reachability matrix…",
}
# What a job was doing, for its error's title.
DOING = {
    "up": "starting the environment",
    "check": "running the checks",
    "reset": "resetting the lab",
    "state": "reading the lab's state",
    "hint": "revealing a hint",
    "solution": "revealing the solution",
    "apply": "applying the reference solution",
    "select": "saving the current task",
    "handoff": "preparing the lab shell",
    "trust": "trusting the pack",
    "matrix": "computing the reachability matrix",
}


def result_line(r: CheckResult) -> ResultLine:
    return ResultLine(r.label, r.passed, r.message, r.expected, r.actual, r.duration)


class LabJobs(LabAppScreen):
    """The lab screen's workers, and the view their outcomes lead to."""

    # Everything the panes draw; replaced whole after each outcome, never changed in place.
    view: var[LabView] = var(LabView(""))
    # The first running job's text; empty when nothing runs.
    doing: var[str] = var("")

    def __init__(self, session: Session, blocked: list[str]) -> None:
        from labtui.checks.reachability import is_network_lab

        super().__init__()
        self.session = session
        self.scenario = session.scenario
        self.blocked = list(blocked)
        self.network = is_network_lab(session.scenario)
        first = session.scenario.tasks[0].id
        self.set_reactive(LabJobs.view, LabView(first, blocked=tuple(self.blocked)))
        self.running: dict[str, str] = {}
        # Set by escape: ``up`` stops between steps and removes what it made, then reports.
        self._cancel_up = threading.Event()

    def _post(self, message: Message) -> None:
        """Thread-safe: jobs say what they are doing through here."""
        self.post_message(message)

    def _report(self, message: Message) -> None:
        """A job's outcome, unless the job was cancelled (its screen left, or a newer job replaced it)."""
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    def _read(self) -> LabState:
        return read_state(self.session, bool(self.blocked))

    def _checked(self, result: TaskResult, was_completed: bool) -> TaskChecked:
        state = self._read()
        completed = state.progress.completed_at is not None
        return TaskChecked(result, state, completed and not was_completed)

    # -- the jobs

    @work(thread=True, exclusive=True, exit_on_error=False, group="state", name="state")
    def refresh_state(self) -> None:
        self._report(LabRead(self._read()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="env", name="up")
    def start_up(self, then: Callable[[], object] | None = None) -> None:
        worker = get_current_worker()
        self._cancel_up.clear()
        self.session.up(
            progress=lambda text: self._post(WorkProgress("up", text)),
            cancelled=lambda: worker.is_cancelled or self._cancel_up.is_set(),
        )
        self._report(EnvironmentStarted(self._read(), then))

    @work(thread=True, exclusive=True, exit_on_error=False, group="env", name="reset")
    def reset_lab(self) -> None:
        self.session.reset(progress=lambda text: self._post(WorkProgress("reset", text)))
        self._report(LabWasReset(self._read()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="check", name="check")
    def run_check(self, task_id: str, answer: str | None = None) -> None:
        worker = get_current_worker()
        was_completed = self.session.progress.completed_at is not None
        result = self.session.check(
            task_id,
            answer,
            on_result=lambda i, r: self._post(CheckProgress(task_id, i, r)),
            cancelled=lambda: worker.is_cancelled,
        )
        self._report(self._checked(result, was_completed))

    @work(thread=True, exclusive=True, exit_on_error=False, group="check", name="apply")
    def apply_solution(self, task_id: str) -> None:
        was_completed = self.session.progress.completed_at is not None
        self.session.reveal_solution(task_id)
        self.session.apply_solution(
            task_id, notify=lambda text: self._post(WorkProgress("apply", text))
        )
        self._post(WorkProgress("apply", "checking"))
        self._report(self._checked(self.session.check(task_id), was_completed))

    @work(thread=True, exclusive=False, exit_on_error=False, group="progress", name="hint")
    def reveal_hint(self, task_id: str) -> None:
        self.session.next_hint(task_id)
        self._report(LabRead(self._read()))

    @work(thread=True, exclusive=False, exit_on_error=False, group="progress", name="solution")
    def reveal_solution(self, task_id: str) -> None:
        self.session.reveal_solution(task_id)
        self._report(LabRead(self._read()))

    @work(thread=True, exclusive=False, exit_on_error=False, group="progress", name="select")
    def save_current(self, task_id: str) -> None:
        self.session.set_current_task(task_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="handoff", name="handoff")
    def prepare_handoff(self) -> None:
        handoff = self.lab_app.handoff_for(self.session)
        handoff.prepare()
        self._report(ShellReady(handoff))

    @work(thread=True, exclusive=True, exit_on_error=False, group="trust", name="trust")
    def trust_pack(self, entry: Entry, then: Callable[[], object] | None) -> None:
        from labtui.engine.trust import trust

        trust(entry)
        self._report(PackTrusted(then))

    @work(thread=True, exclusive=True, exit_on_error=False, group="matrix", name="matrix")
    def compute_matrix(self) -> None:
        from labtui.netpol.matrix import from_paths

        lab_dir = self.session.lab_dir
        self._report(MatrixComputed(from_paths([lab_dir], base=lab_dir)))

    # -- what the jobs report

    @on(LabRead)
    def _lab_read(self, message: LabRead) -> None:
        self.view = self.view.read(message.state, first=self.view.state is None)

    @on(EnvironmentStarted)
    def _environment_started(self, message: EnvironmentStarted) -> None:
        self.view = self.view.read(message.state, first=self.view.state is None)
        self._refresh_matrix()
        if message.then is not None:
            message.then()

    @on(LabWasReset)
    def _lab_was_reset(self, message: LabWasReset) -> None:
        self.view = self.view.reset(message.state)
        self._refresh_matrix()
        self.notify("The lab was reset: fresh environment, progress cleared.", markup=False)

    @on(TaskChecked)
    def _task_checked(self, message: TaskChecked) -> None:
        result = message.result
        lines = [result_line(r) for r in result.results]
        self.view = self.view.checked(result.task_id, lines, result.passed, message.state)
        self._refresh_matrix()
        if message.newly_completed:
            self._show_completion(message.state)
        elif result.passed:
            more = self.view.next_open_task([t.id for t in self.scenario.tasks], result.task_id)
            self.notify(
                "Task passed." + (" Press n for the next task." if more else ""),
                severity="information",
                markup=False,
            )
        elif result.unavailable:
            self.notify(
                result.results[0].message if result.results else "environment unavailable",
                title="Cannot check",
                severity="error",
                markup=False,
            )

    @on(CheckProgress)
    def _check_progress(self, message: CheckProgress) -> None:
        line = result_line(message.result)
        self.view = self.view.check_finished(message.task_id, message.index, line)

    @on(MatrixComputed)
    def _matrix_computed(self, message: MatrixComputed) -> None:
        from labtui.ui.widgets.reachability import ReachabilityMatrix

        self.query_one("#matrix", ReachabilityMatrix).show(message.matrix)
        self.view = replace(self.view, matrix_error="")

    def _refresh_matrix(self) -> None:
        if self.network and not self.blocked:
            self.compute_matrix()

    @on(JobFailed)
    def _job_failed(self, message: JobFailed) -> None:
        from labtui.errors import LabError

        error = message.error
        if message.job == "matrix":
            text = (
                error.message if isinstance(error, LabError) else f"{type(error).__name__}: {error}"
            )
            self.view = replace(self.view, matrix_error=text)
            return
        if message.job == "up" and isinstance(error, LabError) and error.message == "cancelled":
            self.notify("Starting the environment was cancelled.", severity="warning", markup=False)
        else:
            self.lab_app.show_error(error, message.doing)
        if message.job == "check":
            self.view = self.view.check_failed(self.view.task_id)
        self.refresh_state()

    def _show_completion(self, state: LabState) -> None:
        available = [t.id for t in self.scenario.tasks if t.id not in state.missing]
        self.lab_app.show_completion(self.scenario, state.progress, state.conclusion, available)

    # -- what runs now

    @on(Worker.StateChanged)
    def _job_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        name = worker.name
        if worker.state == WorkerState.RUNNING:
            self.running[name] = JOB_TEXT.get(name, "")
        elif worker.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.running.pop(name, None)
        self._show_doing()
        if worker.state == WorkerState.ERROR:
            self.post_message(JobFailed(name, DOING.get(name, name), worker.error))

    @on(WorkProgress)
    def _work_progress(self, message: WorkProgress) -> None:
        if message.job == "up" and self._cancel_up.is_set():
            return
        if message.job in self.running:
            more = "… (escape cancels)" if message.job == "up" else "…"
            self.running[message.job] = message.text + more
            self._show_doing()

    def cancel_up(self) -> bool:
        """Stop a running ``up`` between steps; False when none runs."""
        if "up" not in self.running:
            return False
        self._cancel_up.set()
        self.running["up"] = "cancelling: removing what was started…"
        self._show_doing()
        return True

    def _show_doing(self) -> None:
        texts = [t for t in self.running.values() if t]
        self.doing = texts[0] if texts else ""
