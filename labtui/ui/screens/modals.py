"""Small modal screens: confirm, trust a pack, answer input, help, and the shell command fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Static

if TYPE_CHECKING:
    from labtui.engine.trust import Finding


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; ``y``/``enter`` confirm, ``n``/``escape`` cancel."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "", confirm_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-title")
            if self.detail:
                yield Static(Content(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.confirm_label} (y)", id="yes", variant="warning")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class TrustScreen(ModalScreen[bool]):
    """Before a pack's scenario runs anything: the commands it will run, then yes or no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="trust.yes"),
        Binding("n,escape", "answer(False)", "No", id="trust.no"),
    ]

    def __init__(self, title: str, source: str, findings: list[Finding]) -> None:
        super().__init__()
        self.lab_title = title
        self.source = source
        self.findings = findings

    def listing(self) -> Content:
        """Every command and setting; what reaches beyond the lab in the error colour, with why."""
        if not self.findings:
            return Content("(no commands)")
        lines: list[Content] = []
        for f in self.findings:
            text = Content(f"{f.where}: {f.text}")
            if f.risk:
                lines.append(Content.assemble("! ", text).stylize("bold $error"))
                lines.append(Content(f"    {f.risk}").stylize("$error"))
            else:
                lines.append(Content.assemble("  ", text))
        return Content("\n").join(lines)

    def compose(self) -> ComposeResult:
        risky = sum(1 for f in self.findings if f.risk)
        detail = (
            "This lab comes from a pack, not from labtui itself. It runs these "
            "commands on this machine"
        )
        if risky:
            detail += f"; {risky} of them reach beyond the lab (marked !, in red):"
        else:
            detail += ":"
        with Vertical(classes="dialog wide"):
            yield Static(
                Content(f"Run “{self.lab_title}” from {self.source}?"), classes="dialog-title"
            )
            yield Static(Content(detail), classes="dialog-detail", id="trust-detail")
            with VerticalScroll(id="trust-commands"):
                yield Static(self.listing(), id="trust-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Trust and run (y)", id="yes", variant="warning")
                yield Button("Do not run (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class AnswerScreen(ModalScreen[str | None]):
    """Asks for the answer of an answer task; the text is data and is shown escaped."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="answer.cancel")]

    def __init__(self, prompt: str, previous: str | None = None) -> None:
        super().__init__()
        self.prompt = prompt
        self.previous = previous

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.prompt), classes="dialog-title")
            yield Input(value=self.previous or "", placeholder="your answer", id="answer")
            yield Static(
                Content("enter submits and checks · escape cancels"), classes="dialog-detail"
            )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ShellCommandScreen(ModalScreen[None]):
    """Shown where the app cannot hand over the terminal: the exact command to run elsewhere."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="shell.close")]

    def __init__(self, reason: str, command: str) -> None:
        super().__init__()
        self.reason = reason
        self.command = command

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Content("Open the lab shell in another terminal"), classes="dialog-title")
            yield Static(Content(self.reason), classes="dialog-detail")
            yield Static(Content(self.command), id="shell-command")
            yield Static(
                Content("Press c here after you have worked in that shell. escape closes."),
                classes="dialog-detail",
            )

    def action_close(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened from, generated from its bindings."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, origin: Screen[Any], intro: str = "") -> None:
        super().__init__()
        self.origin = origin
        self.intro = intro

    def compose(self) -> ComposeResult:
        rows: list[str | tuple[str, str] | Content] = []
        seen: set[str] = set()
        bindings = [*self.origin.BINDINGS, *self.app.BINDINGS]
        for b in bindings:
            if not isinstance(b, Binding) or not b.description or b.description in seen:
                continue
            seen.add(b.description)
            keys = ", ".join(
                self.app.get_key_display(Binding(k.strip(), "")) for k in b.key.split(",")
            )
            rows += [(f"{keys:>14}  ", "bold $accent"), b.description.ljust(10)]
            if b.tooltip:
                rows += [("  " + b.tooltip, "$text-muted")]
            rows.append("\n")
        rows += [
            (f"{'ctrl+p':>14}  ", "bold $accent"),
            "Command palette: every action, any scenario, theme",
        ]
        with Vertical(classes="dialog wide"):
            yield Static(Content("Keys"), classes="dialog-title")
            if self.intro:
                yield Static(Content(self.intro), classes="dialog-detail")
            with VerticalScroll(id="help-keys"):
                yield Static(Content.assemble(*rows))
            yield Static(Content("escape closes"), classes="dialog-detail")

    def action_close(self) -> None:
        self.dismiss(None)
