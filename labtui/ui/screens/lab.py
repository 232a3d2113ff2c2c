"""The lab: tasks on the left, the current task's instructions, check results, environment state.

Every engine call (up, check, hints, solutions, reset, the environment's state)
runs in a thread worker; the screen only shows what the workers return, so a
check that takes a minute never stops the keys.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Markdown, OptionList, Static
from textual.worker import Worker, WorkerState, get_current_worker

from labtui.ui.messages import CheckProgress, WorkProgress
from labtui.ui.screens.base import LabAppScreen
from labtui.ui.widgets.footer import FittingFooter
from labtui.ui.widgets.lab_widgets import (
    ResultLine,
    StatusLine,
    TaskLine,
    TaskList,
    has_control,
    results_content,
    visible,
)
from labtui.ui.widgets.markdown import LabMarkdown

if TYPE_CHECKING:
    from labtui.checks import CheckResult
    from labtui.engine.handoff import Handoff
    from labtui.engine.session import Session, TaskResult
    from labtui.netpol.matrix import Matrix
    from labtui.scenario.catalog import Entry
    from labtui.state.progress import ScenarioProgress

JOB_TEXT = {
    "up": "starting the environment… (escape cancels)",
    "check": "checking…",
    "reset": "resetting the lab…",
    "state": "",
    "hint": "",
    "solution": "revealing the solution…",
    "apply": "applying the reference solution…",
    "select": "",
    "handoff": "preparing the lab shell…",
    "trust": "",
    "matrix": "computing the reachability matrix…",
}
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


@dataclass
class LabState:
    """What the screen shows, read off the UI thread."""

    progress: ScenarioProgress
    current: str
    documents: dict[str, str]
    hints: dict[str, list[str]]
    solutions: dict[str, list[str]]
    is_up: bool
    environment: list[tuple[str, str]] = field(default_factory=list)
    environment_error: str = ""
    conclusion: str = ""
    about: str = ""
    # Why a task cannot run here (its own ``requires``); tasks that can are absent.
    missing: dict[str, str] = field(default_factory=dict)
    # "up" or "down" for a lab with a kind cluster of its own; empty otherwise.
    cluster: str = ""


@dataclass
class CheckDone:
    result: TaskResult
    state: LabState
    newly_completed: bool


def _result_line(r: CheckResult) -> ResultLine:
    return ResultLine(r.label, r.passed, r.message, r.expected, r.actual, r.duration)


# Keys that leave a narrow footer first: rare (solution, reset, quit) or paired with one shown.
FOOTER_LEAVES_OUT = ("quit", "reset", "solution", "previous_task", "shell", "answer")


class LabScreen(LabAppScreen):
    BINDINGS = [
        Binding("c", "check", "Check", id="lab.check", tooltip="Run the current task's checks"),
        Binding("n", "next_task", "Next", id="lab.next", tooltip="Next task"),
        Binding("p", "previous_task", "Prev", id="lab.previous", tooltip="Previous task"),
        Binding("h", "hint", "Hint", id="lab.hint", tooltip="Reveal the next hint (counted)"),
        Binding(
            "a", "answer", "Answer", id="lab.answer", tooltip="Type the answer of an answer task"
        ),
        Binding(
            "s", "shell", "Shell", id="lab.shell", tooltip="Open your shell in the lab directory"
        ),
        Binding(
            "o", "solution", "Solution", id="lab.solution", tooltip="Reveal the solution (marked)"
        ),
        Binding(
            "r",
            "reset",
            "Reset",
            id="lab.reset",
            tooltip="Recreate the environment, clear progress",
        ),
        Binding("t", "toggle_tasks", "Tasks", id="lab.tasks", tooltip="Show or hide the task list"),
        Binding(
            "escape", "back", "Back", id="lab.back", tooltip="Back to the catalog (cancels a start)"
        ),
        Binding("question_mark", "help", "Help", id="lab.help"),
        Binding("q", "quit", "Quit", id="lab.quit", tooltip="Quit; the environment stays up"),
    ]

    def __init__(
        self, session: Session, blocked: list[str] | None = None, untrusted: Entry | None = None
    ) -> None:
        from labtui.checks.reachability import is_network_lab

        super().__init__()
        self.session = session
        self.scenario = session.scenario
        self.blocked = list(blocked or [])
        # A pack's scenario nobody has trusted yet: ask before it runs anything.
        self.untrusted = untrusted
        self._asking_trust = False
        self._up_skipped = False
        self._after_up: Callable[[], None] | None = None
        self.network = is_network_lab(session.scenario)
        self.matrix_error = ""
        self.task_id = session.scenario.tasks[0].id
        self.state: LabState | None = None
        self.results: dict[str, list[ResultLine]] = {}
        self.failed: set[str] = set()
        self.running: dict[str, str] = {}
        # Set by escape: ``up`` stops between steps and removes what it made, then reports.
        self._cancel_up = threading.Event()

    # -- layout

    def compose(self) -> ComposeResult:
        sc = self.scenario
        yield Static(
            Content.assemble(
                (sc.title, "bold"),
                (f"  {sc.topic.value} · {sc.difficulty.value} · {sc.minutes} min", "$text-muted"),
            ),
            id="title-bar",
        )
        with Horizontal(id="lab-body"):
            yield TaskList(id="tasks")
            with Vertical(id="lab-main"):
                with VerticalScroll(id="lab-doc"):
                    yield LabMarkdown("", id="instructions")
                    yield Static("", id="answer-line")
                    yield LabMarkdown("", id="extras")
                    yield LabMarkdown("", id="about")
                yield Static("", id="results")
                if self.network:
                    from labtui.ui.widgets.reachability import ReachabilityMatrix

                    yield ReachabilityMatrix(id="matrix")
        yield StatusLine(id="status")
        yield FittingFooter(leave_out=FOOTER_LEAVES_OUT, compact=True)

    def on_mount(self) -> None:
        self.set_class(self.network, "-network")
        self.query_one("#results", Static).border_title = "Checks"
        self.query_one(TaskList).border_title = "Tasks"
        self.query_one(TaskList).display = self.lab_app.show_tasks
        if self.lab_app.show_tasks:
            self.query_one(TaskList).focus()
        else:
            self.query_one("#lab-doc").focus()
        self._show_environment()
        self.refresh_state()
        if not self.blocked:
            self._when_trusted(None)

    # -- workers

    def _post(self, message: Message) -> None:
        """Thread-safe: workers report progress through here."""
        self.post_message(message)

    def _read_state(self) -> LabState:
        from labtui.errors import LabError

        s = self.session
        documents: dict[str, str] = {}
        hints: dict[str, list[str]] = {}
        solutions: dict[str, list[str]] = {}
        progress = s.progress
        for n, t in enumerate(self.scenario.tasks, 1):
            documents[t.id] = f"## {n}. {t.title}\n\n{s.render(t.instructions)}"
            hints[t.id] = s.hints_shown(t.id)
            tp = progress.tasks.get(t.id)
            if tp is not None and tp.solution_revealed:
                try:
                    solutions[t.id] = s.solution_steps(t.id)
                except (LabError, ValueError) as exc:
                    solutions[t.id] = [f"(cannot show the steps: {exc})"]
        state = LabState(
            progress,
            s.current_task.id,
            documents,
            hints,
            solutions,
            s.is_up,
            conclusion=s.render(self.scenario.conclusion),
            about=s.render(self.scenario.introduction).strip(),
        )
        if not self.blocked:
            state.cluster = self._cluster_state()
        for t in self.scenario.tasks:
            reasons = s.task_missing(t.id)
            if reasons:
                state.missing[t.id] = "; ".join(reasons)
        if s.uses_docker and not self.blocked:
            try:
                state.environment = [(c.name, c.state) for c in s.environment_status()]
            except LabError as exc:
                state.environment_error = exc.message
        return state

    def _cluster_state(self) -> str:
        """A kind cluster's nodes are containers: inspecting the control plane is one cheap call."""
        from labtui.drivers.kind import cluster_name, control_plane
        from labtui.engine.clusters import uses_cluster
        from labtui.errors import LabError

        s = self.session
        if s.kube_context or not uses_cluster(self.scenario):
            return ""
        try:
            attrs = s.docker.inspect(control_plane(cluster_name(self.scenario.id)))
        except LabError:
            return ""
        running = attrs is not None and attrs.get("State", {}).get("Status") == "running"
        return "up" if running else "down"

    @work(thread=True, exclusive=True, exit_on_error=False, group="state", name="state")
    def refresh_state(self) -> LabState:
        return self._read_state()

    @work(thread=True, exclusive=True, exit_on_error=False, group="env", name="up")
    def start_up(self) -> LabState:
        worker = get_current_worker()
        self._cancel_up.clear()
        self.session.up(
            progress=lambda text: self._post(WorkProgress("up", text)),
            cancelled=lambda: worker.is_cancelled or self._cancel_up.is_set(),
        )
        return self._read_state()

    @work(thread=True, exclusive=True, exit_on_error=False, group="env", name="reset")
    def reset_lab(self) -> LabState:
        self.session.reset(progress=lambda text: self._post(WorkProgress("reset", text)))
        return self._read_state()

    @work(thread=True, exclusive=True, exit_on_error=False, group="check", name="check")
    def run_check(self, task_id: str, answer: str | None = None) -> CheckDone:
        worker = get_current_worker()
        was_completed = self.session.progress.completed_at is not None
        result = self.session.check(
            task_id,
            answer,
            on_result=lambda i, r: self._post(CheckProgress(task_id, i, r)),
            cancelled=lambda: worker.is_cancelled,
        )
        state = self._read_state()
        return CheckDone(
            result, state, state.progress.completed_at is not None and not was_completed
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="check", name="apply")
    def apply_solution(self, task_id: str) -> CheckDone:
        was_completed = self.session.progress.completed_at is not None
        self.session.reveal_solution(task_id)
        self.session.apply_solution(task_id)
        result = self.session.check(task_id)
        state = self._read_state()
        return CheckDone(
            result, state, state.progress.completed_at is not None and not was_completed
        )

    @work(thread=True, exclusive=False, exit_on_error=False, group="progress", name="hint")
    def reveal_hint(self, task_id: str) -> LabState:
        self.session.next_hint(task_id)
        return self._read_state()

    @work(thread=True, exclusive=False, exit_on_error=False, group="progress", name="solution")
    def reveal_solution(self, task_id: str) -> LabState:
        self.session.reveal_solution(task_id)
        return self._read_state()

    @work(thread=True, exclusive=False, exit_on_error=False, group="progress", name="select")
    def save_current(self, task_id: str) -> None:
        self.session.set_current_task(task_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="handoff", name="handoff")
    def prepare_handoff(self) -> Handoff:
        handoff = self.lab_app.handoff_for(self.session)
        handoff.prepare()
        return handoff

    @work(thread=True, exclusive=True, exit_on_error=False, group="trust", name="trust")
    def trust_pack(self, then: Callable[[], None] | None) -> Callable[[], None] | None:
        from labtui.engine.trust import trust

        assert self.untrusted is not None
        trust(self.untrusted)
        return then

    @work(thread=True, exclusive=True, exit_on_error=False, group="matrix", name="matrix")
    def compute_matrix(self) -> Matrix:
        from labtui.netpol.matrix import from_paths

        lab_dir = self.session.lab_dir
        return from_paths([lab_dir], base=lab_dir)

    # -- trust

    def _when_trusted(self, then: Callable[[], None] | None) -> None:
        """Run ``then`` (None: start the environment) now, or once the learner trusts the pack."""
        entry = self.untrusted
        if entry is None:
            if then is None:
                self.start_up()
            else:
                then()
            return
        if self._asking_trust:
            return
        from labtui.engine.trust import preview
        from labtui.ui.screens.modals import TrustScreen

        self._asking_trust = True

        def answered(yes: bool | None) -> None:
            self._asking_trust = False
            if yes:
                self.trust_pack(then)
                return
            if then is None:
                self._up_skipped = True
            self.notify(
                "Nothing was run: the lab's commands were not trusted. Press c to be asked again.",
                title="Not run",
                severity="warning",
                markup=False,
            )
            self._show_environment()

        self.app.push_screen(
            TrustScreen(self.scenario.title, entry.source, preview(self.scenario)),
            answered,
        )

    def _done_trust(self, then: Callable[[], None] | None) -> None:
        self.untrusted = None
        if self._up_skipped or then is None:
            # The environment never started: start it first, then do what was asked.
            self._up_skipped = False
            self._after_up = then
            self.start_up()
        else:
            then()

    # -- worker results

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker: Worker[Any] = event.worker
        name = worker.name
        if worker.state == WorkerState.RUNNING:
            self.running[name] = JOB_TEXT.get(name, "")
        elif worker.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.running.pop(name, None)
        self._show_busy()
        if worker.state == WorkerState.ERROR:
            self._worker_failed(name, worker.error)
        elif worker.state == WorkerState.SUCCESS:
            handler = getattr(self, f"_done_{name}", None)
            if handler is not None:
                handler(worker.result)

    def _worker_failed(self, name: str, error: BaseException | None) -> None:
        from labtui.errors import LabError

        if name == "matrix":
            self.matrix_error = (
                error.message if isinstance(error, LabError) else f"{type(error).__name__}: {error}"
            )
            self._show_environment()
            return
        if name == "up":
            self._after_up = None
        if name == "up" and isinstance(error, LabError) and error.message == "cancelled":
            self.notify("Starting the environment was cancelled.", severity="warning", markup=False)
        else:
            self.lab_app.show_error(error, DOING.get(name, name))
        if name == "check":
            self.results.pop(self.task_id, None)
            self._show_results()
        self.refresh_state()

    def _done_state(self, state: LabState) -> None:
        first = self.state is None
        self.state = state
        if first:
            self.task_id = state.current
        self._show_all()

    def _done_up(self, state: LabState) -> None:
        self._done_state(state)
        self._refresh_matrix()
        after, self._after_up = self._after_up, None
        if after is not None:
            after()

    def _done_matrix(self, matrix: Matrix) -> None:
        from labtui.ui.widgets.reachability import ReachabilityMatrix

        self.matrix_error = ""
        self.query_one("#matrix", ReachabilityMatrix).show(matrix)
        self._show_environment()

    def _refresh_matrix(self) -> None:
        if self.network and not self.blocked:
            self.compute_matrix()

    _done_hint = _done_state
    _done_solution = _done_state

    def _done_reset(self, state: LabState) -> None:
        self.results.clear()
        self.failed.clear()
        self.state = state
        self.task_id = state.current
        self._show_all()
        self._refresh_matrix()
        self.notify("The lab was reset: fresh environment, progress cleared.", markup=False)

    def _done_check(self, done: CheckDone) -> None:
        result = done.result
        self.results[result.task_id] = [_result_line(r) for r in result.results]
        if result.passed:
            self.failed.discard(result.task_id)
        else:
            self.failed.add(result.task_id)
        self.state = done.state
        self._show_all()
        self._refresh_matrix()
        if done.newly_completed:
            self._show_completion(done.state)
        elif result.passed:
            more = self._next_open_task(result.task_id)
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

    _done_apply = _done_check

    def _done_handoff(self, handoff: Handoff) -> None:
        try:
            with self.app.suspend():
                handoff.run()
        except SuspendNotSupported:
            from labtui.ui.screens.modals import ShellCommandScreen

            self.app.push_screen(
                ShellCommandScreen(
                    "This terminal cannot be handed over from here. Run this in another terminal:",
                    handoff.command_line(),
                )
            )
            return
        except OSError as exc:
            self.lab_app.show_error(exc, f"starting the shell {handoff.argv[0]}")
            return
        self.action_check()

    @on(CheckProgress)
    def _check_progress(self, message: CheckProgress) -> None:
        lines = self.results.get(message.task_id)
        if lines is None or message.index >= len(lines):
            return
        lines[message.index] = _result_line(message.result)
        if message.task_id == self.task_id:
            self._show_results()

    @on(WorkProgress)
    def _work_progress(self, message: WorkProgress) -> None:
        if message.job == "up" and self._cancel_up.is_set():
            return
        if message.job in self.running:
            self.running[message.job] = message.text + (
                "… (escape cancels)" if message.job == "up" else "…"
            )
            self._show_busy()

    # -- showing

    def _show_all(self) -> None:
        self._show_tasks()
        self._show_task()
        self._show_results()
        self._show_environment()

    def _show_tasks(self) -> None:
        progress = self.state.progress if self.state else None
        missing = self.state.missing if self.state else {}
        lines = []
        for t in self.scenario.tasks:
            tp = progress.tasks.get(t.id) if progress else None
            lines.append(
                TaskLine(
                    t.id,
                    t.title,
                    bool(tp and tp.passed),
                    t.id in self.failed,
                    t.id == self.task_id,
                    missing.get(t.id, ""),
                )
            )
        self.query_one(TaskList).show(lines)

    def _show_task(self) -> None:
        if self.state is None:
            return
        task = self.scenario.task(self.task_id)
        self.query_one("#instructions", Markdown).update(self.state.documents.get(self.task_id, ""))
        tp = self.state.progress.tasks.get(self.task_id)
        answer_line = self.query_one("#answer-line", Static)
        if task.needs_answer:
            given = tp.answer if tp and tp.answer is not None else None
            prompt = task.answer_prompt or "Your answer"
            answer_line.update(
                Content.assemble(
                    (f"{prompt}: ", "bold"),
                    (visible(given), "")
                    if given is not None
                    else ("(none yet: press a to answer)", "$text-muted"),
                )
            )
            answer_line.display = True
        else:
            answer_line.display = False
        extras: list[str] = []
        hints = self.state.hints.get(self.task_id, [])
        for i, hint in enumerate(hints, 1):
            extras.append(f"**Hint {i} of {len(task.hints)}:** {hint}")
        if task.hints and len(hints) < len(task.hints):
            extras.append(f"*{len(task.hints) - len(hints)} more hint(s): press h.*")
        steps = self.state.solutions.get(self.task_id)
        if steps is not None and task.solution is not None:
            extras.append("### Solution")
            if task.solution.explanation:
                extras.append(self.session.render(task.solution.explanation))
            if steps:
                extras.append("```\n" + "\n".join(steps) + "\n```")
        self.query_one("#extras", Markdown).update("\n\n".join(extras))
        # The task comes first so it is on screen at once; the lab's introduction follows task 1.
        first = self.task_id == self.scenario.tasks[0].id
        about = (
            f"---\n\n### About this lab\n\n{self.state.about}" if first and self.state.about else ""
        )
        self.query_one("#about", Markdown).update(about)

    def _show_results(self) -> None:
        reason = self._missing_reason()
        if reason:
            self.query_one("#results", Static).update(
                Content.assemble(("Not available here: ", "bold $warning"), reason)
            )
            return
        lines = self.results.get(self.task_id, [])
        title = "Press c to check this task" if not lines else "Checks"
        self.query_one("#results", Static).update(results_content(title, lines))

    def _show_environment(self) -> None:
        status = self.query_one(StatusLine)
        if self.blocked:
            status.environment(
                Content.assemble(("cannot run here: ", "$error"), "; ".join(self.blocked))
            )
            return
        if self.state is None:
            status.environment(Content(""))
            return
        parts: list[str | tuple[str, str] | Content] = []
        n = self.scenario.tasks.index(self.scenario.task(self.task_id)) + 1
        parts.append((f"task {n} of {len(self.scenario.tasks)} · ", "$text-muted"))
        if self.state.environment_error:
            parts.append(("environment: " + self.state.environment_error, "$error"))
        else:
            parts.append(
                (
                    "environment up" if self.state.is_up else "environment down",
                    "$success" if self.state.is_up else "$warning",
                )
            )
            for name, state in self.state.environment:
                style = "$success" if state == "running" else "$text-muted"
                parts += [" · ", (f"{name} {state}", style)]
        if self.state.cluster:
            up = self.state.cluster == "up"
            parts += [" · ", (f"cluster {self.state.cluster}", "$success" if up else "$warning")]
        if self.untrusted is not None and self._up_skipped:
            parts += [" · ", ("not run: not trusted", "$warning")]
        if self.matrix_error:
            parts += [" · ", ("reachability: " + self.matrix_error, "$error")]
        status.environment(Content.assemble(*parts))

    def _show_busy(self) -> None:
        texts = [t for t in self.running.values() if t]
        self.query_one(StatusLine).busy(texts[0] if texts else None)

    # -- actions

    def _can_run(self) -> bool:
        if self.blocked:
            self.notify(
                "This lab cannot run on this machine: " + "; ".join(self.blocked),
                severity="warning",
                markup=False,
            )
            return False
        return True

    def _missing_reason(self) -> str:
        return self.state.missing.get(self.task_id, "") if self.state else ""

    def _task_available(self) -> bool:
        reason = self._missing_reason()
        if reason:
            self.notify(
                "This task cannot run here: " + reason,
                title="Not available",
                severity="warning",
                markup=False,
            )
            return False
        return True

    def action_check(self) -> None:
        if not self._can_run() or not self._task_available():
            return
        self._when_trusted(self._check_now)

    def _check_now(self) -> None:
        task = self.scenario.task(self.task_id)
        if task.needs_answer and self._stored_answer() is None:
            # Nothing to compare yet: ask for the answer rather than record a failed attempt.
            self.action_answer()
            return
        self.results[self.task_id] = [ResultLine(_label(c), None) for c in task.checks]
        self._show_results()
        self.run_check(self.task_id)

    def _stored_answer(self) -> str | None:
        tp = self.state.progress.tasks.get(self.task_id) if self.state else None
        return tp.answer if tp else None

    def _next_open_task(self, after: str) -> str | None:
        ids = [t.id for t in self.scenario.tasks]
        progress = self.state.progress if self.state else None
        missing = self.state.missing if self.state else {}
        for tid in ids[ids.index(after) + 1 :] + ids[: ids.index(after)]:
            tp = progress.tasks.get(tid) if progress else None
            if not (tp and tp.passed) and tid not in missing:
                return tid
        return None

    def select_task(self, task_id: str) -> None:
        if task_id == self.task_id:
            return
        self.task_id = task_id
        self._show_all()
        self.query_one("#lab-doc", VerticalScroll).scroll_home(animate=False)
        self.save_current(task_id)

    def _move(self, step: int) -> None:
        ids = [t.id for t in self.scenario.tasks]
        i = ids.index(self.task_id) + step
        if 0 <= i < len(ids):
            self.select_task(ids[i])
        else:
            self.notify("This is the " + ("last" if step > 0 else "first") + " task.", markup=False)

    def action_next_task(self) -> None:
        self._move(1)

    def action_previous_task(self) -> None:
        self._move(-1)

    @on(OptionList.OptionSelected, "#tasks")
    def _task_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.select_task(event.option.id)

    def action_toggle_tasks(self) -> None:
        """The instructions take the whole width while the task list is hidden."""
        tasks = self.query_one(TaskList)
        show = not tasks.display
        self.lab_app.show_tasks = show
        tasks.display = show
        if show:
            tasks.focus()
        elif self.focused is None or self.focused is tasks:
            self.query_one("#lab-doc", VerticalScroll).focus()

    def action_hint(self) -> None:
        task = self.scenario.task(self.task_id)
        shown = len(self.state.hints.get(self.task_id, [])) if self.state else 0
        if not task.hints:
            self.notify("This task has no hints.", markup=False)
        elif shown >= len(task.hints):
            self.notify("Every hint of this task is shown.", markup=False)
        else:
            self.reveal_hint(self.task_id)

    def action_answer(self) -> None:
        from labtui.ui.screens.modals import AnswerScreen
        from labtui.ui.widgets.choice import choice_screen_for

        task = self.scenario.task(self.task_id)
        if not task.needs_answer:
            self.notify("This task has nothing to type: do it, then press c.", markup=False)
            return
        if not self._can_run() or not self._task_available():
            return
        tp = self.state.progress.tasks.get(self.task_id) if self.state else None
        task_id = self.task_id

        def check_answer(value: str) -> None:
            self.results[task_id] = [ResultLine(_label(c), None) for c in task.checks]
            self._show_results()
            self.run_check(task_id, value)

        def submitted(value: str | None) -> None:
            if value is not None:
                self._when_trusted(lambda: check_answer(value))

        previous = tp.answer if tp else None
        if previous is not None and has_control(previous):
            previous = None
        self.app.push_screen(
            choice_screen_for(self.session, task, previous)
            or AnswerScreen(task.answer_prompt or "Your answer", previous),
            submitted,
        )

    def action_shell(self) -> None:
        if not self._can_run():
            return
        self.prepare_handoff()

    def action_solution(self) -> None:
        from labtui.ui.screens.modals import ConfirmScreen

        task = self.scenario.task(self.task_id)
        if task.solution is None:
            self.notify("This task has no reference solution.", markup=False)
            return
        task_id = self.task_id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.reveal_solution(task_id)

        self.app.push_screen(
            ConfirmScreen(
                f"Reveal the solution of “{task.title}”?",
                "It is marked in your progress and shown in the summary.",
                "Reveal",
            ),
            confirmed,
        )

    def action_apply_solution(self) -> None:
        from labtui.ui.screens.modals import ConfirmScreen

        task = self.scenario.task(self.task_id)
        if task.solution is None or not self._can_run() or not self._task_available():
            if task.solution is None:
                self.notify("This task has no reference solution.", markup=False)
            return
        task_id = self.task_id

        def apply() -> None:
            self.apply_solution(task_id)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._when_trusted(apply)

        self.app.push_screen(
            ConfirmScreen(
                f"Apply the reference solution of “{task.title}”?",
                "It runs the solution's commands, is marked in your progress, then checks.",
                "Apply",
            ),
            confirmed,
        )

    def action_reset(self) -> None:
        from labtui.ui.screens.modals import ConfirmScreen

        if not self._can_run():
            return

        def reset() -> None:
            self.reset_lab()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._when_trusted(reset)

        self.app.push_screen(
            ConfirmScreen(
                f"Reset “{self.scenario.title}”?",
                "The environment is recreated and this lab's progress (passed tasks, "
                "hints, answers) is cleared.",
                "Reset",
            ),
            confirmed,
        )

    def action_back(self) -> None:
        if "up" in self.running:
            self._cancel_up.set()
            self.running["up"] = "cancelling: removing what was started…"
            self._show_busy()
            return
        self.lab_app.back_to_catalog()

    def action_help(self) -> None:
        from labtui.ui.screens.modals import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Work through the tasks; c checks the current one. "
                "Your progress is saved as you go.",
            )
        )

    def action_quit(self) -> None:
        self.app.exit()

    def action_summary(self) -> None:
        if self.state is not None:
            self._show_completion(self.state)

    def _show_completion(self, state: LabState) -> None:
        available = [t.id for t in self.scenario.tasks if t.id not in state.missing]
        self.lab_app.show_completion(self.scenario, state.progress, state.conclusion, available)


def _label(check: Any) -> str:
    from labtui.checks import label

    return label(check)
