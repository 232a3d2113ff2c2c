"""The lab: tasks on the left, the current task's instructions, check results, environment state.

The screen holds one :class:`LabView` and replaces it after each action; the
panes bound to it (``widgets/lab_panes.py``) draw their part. Every engine call
runs as a job (``lab_jobs.py``) whose outcome arrives as a typed message. This
module is the layout, the keys and the trust question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Static

from labtui.ui.messages import PackTrusted, ShellReady
from labtui.ui.screens.lab_jobs import LabJobs
from labtui.ui.screens.lab_view import LabState
from labtui.ui.widgets.footer import FittingFooter
from labtui.ui.widgets.lab_panes import CheckResults, LabStatusLine, LabTaskList, TaskDocument
from labtui.ui.widgets.lab_widgets import TaskList, has_control

if TYPE_CHECKING:
    from labtui.engine.session import Session
    from labtui.scenario.catalog import Entry


# Keys that leave a narrow footer first: rare (solution, reset, quit) or paired with one shown.
FOOTER_LEAVES_OUT = ("quit", "reset", "solution", "previous_task", "shell", "answer")


class LabScreen(LabJobs):
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
        super().__init__(session, list(blocked or []))
        # A pack's scenario nobody has trusted yet: ask before it runs anything.
        self.untrusted = untrusted

    @property
    def task_id(self) -> str:
        """The task on screen."""
        return self.view.task_id

    @task_id.setter
    def task_id(self, task_id: str) -> None:
        """Shows the task without saving it as the learner's current one (``select_task`` does)."""
        self.view = replace(self.view, task_id=task_id)

    @property
    def state(self) -> LabState | None:
        """What the session said last; None until it is first read."""
        return self.view.state

    @property
    def matrix_error(self) -> str:
        return self.view.matrix_error

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
            yield LabTaskList(sc, id="tasks").data_bind(LabScreen.view)
            with Vertical(id="lab-main"):
                yield TaskDocument(sc, id="lab-doc").data_bind(LabScreen.view)
                yield CheckResults("", id="results").data_bind(LabScreen.view)
                if self.network:
                    from labtui.ui.widgets.reachability import ReachabilityMatrix

                    yield ReachabilityMatrix(id="matrix")
        yield LabStatusLine(sc, id="status").data_bind(LabScreen.view, LabScreen.doing)
        yield FittingFooter(leave_out=FOOTER_LEAVES_OUT, compact=True)

    def on_mount(self) -> None:
        self.set_class(self.network, "-network")
        self.query_one("#results", Static).border_title = "Checks"
        tasks = self.query_one(TaskList)
        tasks.border_title = "Tasks"
        tasks.display = self.lab_app.show_tasks
        if self.lab_app.show_tasks:
            tasks.focus()
        else:
            self.query_one("#lab-doc").focus()
        self.refresh_state()
        if not self.blocked:
            self._when_trusted(None)

    # -- trust

    def _when_trusted(self, then: Callable[[], object] | None) -> None:
        """Run ``then`` (None: start the environment) now, or once the learner trusts the pack.

        The question is one dialog whose answer comes back to ``_trust_answered``,
        not a worker awaiting it: such a worker would count as work still running
        for as long as the learner reads the dialog.
        """
        from labtui.ui.screens.modals import TrustScreen

        entry = self.untrusted
        if entry is None:
            if then is None:
                self.start_up()
            else:
                then()
        elif not isinstance(self.app.screen, TrustScreen):
            from labtui.engine.trust import preview

            question = TrustScreen(self.scenario.title, entry.source, preview(self.scenario))
            self.app.push_screen(question, partial(self._trust_answered, entry, then))

    def _trust_answered(
        self, entry: Entry, then: Callable[[], object] | None, yes: bool | None
    ) -> None:
        if yes:
            self.trust_pack(entry, then)
            return
        if then is None:
            self.view = replace(self.view, not_trusted=True)
        self.notify(
            "Nothing was run: the lab's commands were not trusted. Press c to be asked again.",
            title="Not run",
            severity="warning",
            markup=False,
        )

    @on(PackTrusted)
    def _pack_trusted(self, message: PackTrusted) -> None:
        self.untrusted = None
        if self.view.not_trusted or message.then is None:
            # The environment never started: start it first, then do what was asked.
            self.view = replace(self.view, not_trusted=False)
            self.start_up(message.then)
        else:
            message.then()

    # -- what the jobs report

    @on(ShellReady)
    def _shell_ready(self, message: ShellReady) -> None:
        handoff = message.handoff
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

    def _task_available(self) -> bool:
        reason = self.view.missing_reason
        if reason:
            self.notify(
                "This task cannot run here: " + reason,
                title="Not available",
                severity="warning",
                markup=False,
            )
            return False
        return True

    def _start_check(self, task_id: str, answer: str | None = None) -> None:
        """The task's checks shown as running at once, then run."""
        labels = [_label(c) for c in self.scenario.task(task_id).checks]
        self.view = self.view.checking(task_id, labels)
        self.run_check(task_id, answer)

    def action_check(self) -> None:
        if not self._can_run() or not self._task_available():
            return
        self._when_trusted(self._check_now)

    def _check_now(self) -> None:
        task = self.scenario.task(self.task_id)
        if task.needs_answer and self.view.stored_answer is None:
            # Nothing to compare yet: ask for the answer rather than record a failed attempt.
            self.action_answer()
            return
        self._start_check(self.task_id)

    def select_task(self, task_id: str) -> None:
        if task_id == self.task_id:
            return
        self.view = replace(self.view, task_id=task_id)
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
        if not task.hints:
            self.notify("This task has no hints.", markup=False)
        elif self.view.hints_shown(self.task_id) >= len(task.hints):
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
        task_id = self.task_id

        def submitted(value: str | None) -> None:
            if value is not None:
                self._when_trusted(lambda: self._start_check(task_id, value))

        previous = self.view.stored_answer
        if previous is not None and has_control(previous):
            previous = None
        self.app.push_screen(
            choice_screen_for(self.session, task, previous)
            or AnswerScreen(task.answer_prompt or "Your answer", previous),
            submitted,
        )

    def action_shell(self) -> None:
        if self._can_run():
            self.prepare_handoff()

    def _confirm(self, question: str, detail: str, label: str, then: Callable[[], object]) -> None:
        """Ask the learner ``question``; on yes run ``then``."""
        from labtui.ui.screens.modals import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question, detail, label), confirmed)

    def action_solution(self) -> None:
        task = self.scenario.task(self.task_id)
        if task.solution is None:
            self.notify("This task has no reference solution.", markup=False)
            return
        self._confirm(
            f"Reveal the solution of “{task.title}”?",
            "It is marked in your progress and shown in the summary.",
            "Reveal",
            partial(self.reveal_solution, task.id),
        )

    def action_apply_solution(self) -> None:
        task = self.scenario.task(self.task_id)
        if task.solution is None:
            self.notify("This task has no reference solution.", markup=False)
            return
        if not self._can_run() or not self._task_available():
            return
        self._confirm(
            f"Apply the reference solution of “{task.title}”?",
            "It runs the solution's commands, is marked in your progress, then checks.",
            "Apply",
            partial(self._when_trusted, partial(self.apply_solution, task.id)),
        )

    def action_reset(self) -> None:
        if not self._can_run():
            return
        self._confirm(
            f"Reset “{self.scenario.title}”?",
            "The environment is recreated and this lab's progress (passed tasks, "
            "hints, answers) is cleared.",
            "Reset",
            partial(self._when_trusted, self.reset_lab),
        )

    def action_back(self) -> None:
        if not self.cancel_up():
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
        if self.view.state is not None:
            self._show_completion(self.view.state)


def _label(check: Any) -> str:
    from labtui.checks import label

    return label(check)
