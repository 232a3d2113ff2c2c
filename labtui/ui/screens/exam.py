"""The exam: a countdown in the header, the tasks on the left, no hints and no solutions.

The environments start and the scoring runs in thread workers; a timer only
redraws the countdown and, once the time is up, starts the scoring. The exam's
clock comes from the ``Exam`` object, so tests drive the time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from labtui.checks.choice import order
from labtui.engine.exam import Exam, ExamItem, ExamOver, ExamResult
from labtui.ui.app import LabApp
from labtui.ui.widgets.choice import ChoiceInput, choice_of, options_text

if TYPE_CHECKING:
    from labtui.engine.exam import ExamPlan

LOW_SECONDS = 60


def countdown(seconds: float) -> str:
    s = max(0, int(seconds + 0.999))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if s >= 3600
        else f"{s // 60:02d}:{s % 60:02d}"
    )


def result_markdown(result: ExamResult) -> str:
    verdict = "passed" if result.passed else "not passed"
    lines = [
        f"## {result.score:g} / {result.max_score:g} points ({result.percent:.0f}%): {verdict}",
        "",
        f"Pass mark {result.pass_percent:g}%."
        + (" The time ran out; what was done by then was scored." if result.expired else ""),
        "",
        "| # | task | points | |",
        "| --- | --- | --- | --- |",
    ]
    for it in result.items:
        mark = "✓" if it.passed else "✗"
        note = it.message.replace("|", "\\|")
        lines.append(f"| {it.number} | {it.title} | {it.points:g}/{it.weight:g} | {mark} {note} |")
    return "\n".join(lines)


class ExamScreen(Screen[ExamResult | None]):
    # The lab app's breakpoints, here too when the exam runs on its own (``ExamApp``): under
    # 100 cells (80x24, the classic terminal) the task list narrows to the lab's narrow
    # width, so the task's text keeps most of the screen; its titles wrap, their state shown.
    HORIZONTAL_BREAKPOINTS = LabApp.HORIZONTAL_BREAKPOINTS
    DEFAULT_CSS = """
    ExamScreen #exam-header { height: 1; background: $primary; color: $text; padding: 0 1; }
    ExamScreen #exam-header.-low { background: $error; }
    ExamScreen #exam-items { width: 38; }
    ExamScreen.-narrow #exam-items { width: 24; }
    ExamScreen #exam-body { padding: 0 1; }
    ExamScreen #exam-answer-area { height: auto; }
    ExamScreen #exam-note { color: $text-muted; }
    ExamScreen .exam-options { margin-bottom: 1; padding: 0 2; }
    """
    BINDINGS = [
        Binding("ctrl+e", "finish", "Finish now", id="exam.finish"),
        Binding("ctrl+pagedown", "move(1)", "Next task", id="exam.next"),
        Binding("ctrl+pageup", "move(-1)", "Previous task", id="exam.previous"),
        Binding("escape", "close", "Close", id="exam.close"),
    ]

    def __init__(self, exam: Exam) -> None:
        super().__init__()
        self.exam = exam
        self.current = 0
        self.phase = "starting"  # starting | running | scoring | done | failed

    def compose(self) -> ComposeResult:
        yield Static(self._header(), id="exam-header")
        with Horizontal():
            yield OptionList(*self._item_options(), id="exam-items")
            with VerticalScroll(id="exam-body"):
                yield Markdown("*Starting the environments…*", id="exam-task")
                yield Vertical(id="exam-answer-area")
                yield Static("", id="exam-note")
        yield Footer()

    def on_mount(self) -> None:
        self.start_exam()
        self.set_interval(0.5, self.tick)

    def on_unmount(self) -> None:
        """However the screen goes (closed, or the app quit mid-exam), the labs go with it."""
        self.exam.close()

    # -- header and list

    def _header(self) -> Content:
        d = self.exam.definition
        title = f" {d.title} · {len(self.exam.items)} tasks"
        if self.phase == "starting":
            return Content.assemble(("EXAM", "bold"), title, " · starting…")
        if self.phase in ("scoring", "done") and self.exam.result is None:
            return Content.assemble(("EXAM", "bold"), title, " · scoring…")
        if self.exam.result is not None:
            r = self.exam.result
            return Content.assemble(
                ("EXAM", "bold"), title, f" · score {r.score:g}/{r.max_score:g} ({r.percent:.0f}%)"
            )
        return Content.assemble(
            ("EXAM", "bold"), title, " · ", (f"{countdown(self.exam.remaining)} left", "bold")
        )

    def _item_options(self) -> list[Option]:
        out = []
        for it in self.exam.items:
            if it.task.needs_answer:
                state = "answered" if self.exam.answered(it) else "to answer"
            else:
                state = "in the lab"
            label = Content.assemble(
                f"{it.number:>2}. {it.task.title} ", (f"({state})", "$text-muted")
            )
            out.append(Option(label, id=str(it.number)))
        return out

    def _refresh_list(self) -> None:
        items = self.query_one("#exam-items", OptionList)
        highlighted = items.highlighted
        items.clear_options()
        items.add_options(self._item_options())
        items.highlighted = highlighted

    def tick(self) -> None:
        header = self.query_one("#exam-header", Static)
        header.update(self._header())
        header.set_class(self.phase == "running" and self.exam.remaining <= LOW_SECONDS, "-low")
        if self.phase == "running" and self.exam.expired:
            self.score_exam()
        self.refresh_bindings()

    # -- the current task

    @property
    def item(self) -> ExamItem:
        return self.exam.items[self.current]

    async def show_item(self, index: int) -> None:
        self.current = index
        item = self.item
        session = self.exam.session(item)
        text = f"### {item.number}. {item.task.title}\n\n*weight {item.weight:g}*\n\n"
        text += session.render(item.task.instructions)
        if not item.task.needs_answer:
            text += f"\n\n*Do this in a shell; the lab directory is `{session.lab_dir}`.*"
        self.query_one("#exam-task", Markdown).update(text)
        area = self.query_one("#exam-answer-area", Vertical)
        await area.remove_children()
        previous = self.exam.answers.get(item.key)
        check = choice_of(item.task)
        if check is not None:
            shown = order(check, self.exam.learner, item.scenario.id, item.task.id)
            if check.question:
                await area.mount(Static(Content(session.render(check.question))))
            await area.mount(Static(options_text(shown), classes="exam-options"))
            await area.mount(ChoiceInput(shown, check.is_multiple, previous, id="exam-choice"))
        elif item.task.needs_answer:
            await area.mount(
                Input(
                    value=previous or "",
                    placeholder=item.task.answer_prompt or "your answer (enter keeps it)",
                    id="exam-input",
                )
            )
        self._note("answer kept" if previous else "")

    def _note(self, text: str) -> None:
        self.query_one("#exam-note", Static).update(Content(text))

    def keep_answer(self, text: str) -> None:
        if self.phase != "running" or not text.strip():
            return
        try:
            self.exam.answer(self.item, text)
        except ExamOver:
            self.tick()
            return
        self._note(f"answer kept: {text}")
        self._refresh_list()

    @on(OptionList.OptionHighlighted, "#exam-items")
    async def _picked(self, event: OptionList.OptionHighlighted) -> None:
        if self.phase == "running" and event.option.id:
            await self.show_item(int(event.option.id) - 1)

    @on(Input.Submitted, "#exam-input")
    def _typed(self, event: Input.Submitted) -> None:
        self.keep_answer(event.value)

    @on(ChoiceInput.Submitted)
    def _chosen(self, event: ChoiceInput.Submitted) -> None:
        self.keep_answer(event.answer)

    def action_move(self, step: int) -> None:
        if self.phase == "running":
            index = (self.current + step) % len(self.exam.items)
            self.query_one("#exam-items", OptionList).highlighted = index

    def action_finish(self) -> None:
        from labtui.ui.screens.modals import ConfirmScreen

        if self.phase != "running":
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.score_exam()

        self.app.push_screen(
            ConfirmScreen("Finish the exam now?", "Every task is checked once.", "Finish"),
            confirmed,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys show only when they can act: finish and move while running, close when done."""
        if action in ("finish", "move"):
            return self.phase == "running"
        if action == "close":
            return self.phase in ("done", "failed")
        return True

    def action_close(self) -> None:
        if self.phase in ("done", "failed"):
            self.dismiss(self.exam.result)

    # -- workers

    @work(thread=True, exclusive=True, exit_on_error=False, group="exam", name="start_exam")
    def start_exam(self) -> None:
        self.exam.start()

    @work(thread=True, exclusive=True, exit_on_error=False, group="exam", name="score_exam")
    def score_exam_worker(self) -> ExamResult:
        try:
            return self.exam.finish()
        finally:
            self.exam.close()

    def score_exam(self) -> None:
        if self.phase != "running":
            return
        self.phase = "scoring"
        self.query_one("#exam-answer-area", Vertical).remove_children()
        self.query_one("#exam-task", Markdown).update("*Time to check every task…*")
        self.tick()
        self.score_exam_worker()

    @on(Worker.StateChanged)
    async def _worker_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "exam":
            return
        if event.state == WorkerState.ERROR:
            self.phase = "failed"
            self.query_one("#exam-task", Markdown).update(
                f"**The exam could not go on:** {worker.error}"
            )
            return
        if event.state != WorkerState.SUCCESS:
            return
        if worker.name == "start_exam":
            self.phase = "running"
            self.query_one("#exam-items", OptionList).highlighted = 0
            await self.show_item(0)
            self.tick()
        elif worker.name == "score_exam":
            self.phase = "done"
            result = worker.result
            assert isinstance(result, ExamResult)
            self.query_one("#exam-task", Markdown).update(result_markdown(result))
            self._note(f"saved to {self.exam.saved_to}" if self.exam.saved_to else "")
            self.tick()


class ExamApp(App[ExamResult | None]):
    """``labtui exam PACK --tui``: the exam screen on its own."""

    TITLE = "labtui exam"

    def __init__(self, exam: Exam) -> None:
        super().__init__()
        self.exam = exam

    def on_mount(self) -> None:
        self.push_screen(ExamScreen(self.exam), self.exit)


def run_exam_app(
    plan: ExamPlan, learner: str, minutes: float | None, cluster: str | None = None
) -> ExamResult | None:
    """Run the exam in the terminal; environments are removed however the app ends."""
    exam = Exam(plan, learner, minutes=minutes, cluster=cluster)
    try:
        ExamApp(exam).run()
    finally:
        exam.close()
    return exam.result
