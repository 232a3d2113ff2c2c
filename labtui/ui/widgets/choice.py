"""A multiple-choice input: this learner's shuffled options, picked with keys or the mouse.

``ChoiceInput`` is the list itself (used by the lab's answer dialog and the exam
screen); ``ChoiceScreen`` is the dialog. Both give the answer as the letters the
learner sees (``"b"`` or ``"a,c"``), which the ``choice`` check maps back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from labtui.checks.choice import BadAnswer, Shown, order, parse_answer
from labtui.scenario.model import ChoiceCheck, Task

if TYPE_CHECKING:
    from labtui.engine.session import Session


def choice_of(task: Task) -> ChoiceCheck | None:
    """The task's multiple-choice question, if it has one."""
    return next((c for c in task.checks if isinstance(c, ChoiceCheck)), None)


def options_text(shown: list[Shown]) -> Content:
    """Every option in full (the list below them may cut long ones short)."""
    return Content("\n").join(
        Content.assemble((f"{s.letter}) ", "bold"), s.option.text) for s in shown
    )


class ChoiceInput(SelectionList[str]):
    """Options with their letters; space toggles, enter submits; one pick when not multiple."""

    DEFAULT_CSS = """
    ChoiceInput { height: auto; max-height: 16; }
    """
    BINDINGS = [Binding("enter", "submit", "Submit", id="choice.submit", show=True)]

    class Submitted(Message):
        def __init__(self, choice: ChoiceInput, answer: str) -> None:
            super().__init__()
            self.choice = choice
            self.answer = answer

    def __init__(
        self, shown: list[Shown], multiple: bool, previous: str | None = None, **kwargs: Any
    ) -> None:
        picked: set[str] = set()
        if previous:
            try:
                picked = {s.letter for s in parse_answer(previous, shown)}
            except BadAnswer:
                picked = set()
        super().__init__(
            *(
                Selection(Content(f"{s.letter}) {s.option.text}"), s.letter, s.letter in picked)
                for s in shown
            ),
            **kwargs,
        )
        self.shown = shown
        self.multiple = multiple

    @property
    def answer(self) -> str:
        return ",".join(sorted(self.selected))

    @on(SelectionList.SelectionToggled)
    def _one_only(self, event: SelectionList.SelectionToggled[str]) -> None:
        if self.multiple:
            return
        value = event.selection.value
        if value in self.selected:
            for other in list(self.selected):
                if other != value:
                    self.deselect(other)

    def on_key(self, event: events.Key) -> None:
        """A letter picks (or, for several answers, toggles) that option."""
        letters = [s.letter for s in self.shown]
        if event.character and event.character.lower() in letters:
            event.stop()
            letter = event.character.lower()
            self.highlighted = letters.index(letter)
            if self.multiple:
                self.toggle(letter)
            else:
                self.deselect_all()
                self.select(letter)

    def action_submit(self) -> None:
        if not self.selected and self.highlighted is not None:
            self.select(self.get_option_at_index(self.highlighted).value)
        self.post_message(self.Submitted(self, self.answer))


class ChoiceScreen(ModalScreen[str | None]):
    """The answer dialog of a multiple-choice task."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(
        self, question: str, shown: list[Shown], multiple: bool, previous: str | None = None
    ) -> None:
        super().__init__()
        self.question = question
        self.shown = shown
        self.multiple = multiple
        self.previous = previous

    def compose(self) -> ComposeResult:
        how = "space picks each right option" if self.multiple else "pick one option"
        with Vertical(classes="dialog"):
            if self.question:
                yield Static(Content(self.question), classes="dialog-title")
            yield Static(options_text(self.shown), classes="dialog-detail")
            yield ChoiceInput(self.shown, self.multiple, self.previous, id="choice")
            yield Static(
                Content(f"{how} · enter submits and checks · escape cancels"),
                classes="dialog-detail",
            )

    def on_mount(self) -> None:
        self.query_one(ChoiceInput).focus()

    @on(ChoiceInput.Submitted)
    def _submitted(self, event: ChoiceInput.Submitted) -> None:
        self.dismiss(event.answer or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def choice_screen_for(session: Session, task: Task, previous: str | None) -> ChoiceScreen | None:
    """The dialog for ``task`` when it is a multiple-choice question, else None."""
    check = choice_of(task)
    if check is None:
        return None
    shown = order(check, session.store.learner, session.scenario.id, task.id)
    question = session.render(check.question) if check.question else task.title
    return ChoiceScreen(question, shown, check.is_multiple, previous)
