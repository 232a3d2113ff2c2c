"""The lab screen's parts: task list, check results and the status line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
# Longest piece of a learner's answer or a command's output that the screen shows.
SHOWN_LIMIT = 400
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    """Control characters would reach the terminal as they are (an input box shows text raw)."""
    return _CONTROL.search(text) is not None


def visible(text: str, limit: int = SHOWN_LIMIT) -> str:
    """``text`` as plain data: control characters spelled out (``\\x1b``), long text cut."""
    cut = len(text) > limit
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text[:limit])
    return shown + (f"… ({len(text):,} characters)" if cut else "")


def format_duration(seconds: float) -> str:
    """How long a check took, as the results panel shows it."""
    return f"{seconds:.1f}s" if seconds >= 0.1 else f"{seconds * 1000:.0f}ms"


@dataclass(frozen=True)
class TaskLine:
    id: str
    title: str
    passed: bool
    failed: bool
    current: bool
    missing: str = ""


class TaskList(OptionList):
    """Tasks with their status; the highlighted one is the current task."""

    DEFAULT_CSS = """
    TaskList { width: 30; height: 1fr; }
    """

    def show(self, lines: Sequence[TaskLine]) -> None:
        options = []
        for n, line in enumerate(lines, 1):
            if line.missing:
                options.append(
                    Option(
                        Content.assemble((f"⊘ {n}. {line.title}", "$text-disabled")),
                        id=line.id,
                    )
                )
                continue
            if line.passed:
                mark = ("✓ ", "$success")
            elif line.failed:
                mark = ("✗ ", "$error")
            else:
                mark = ("· ", "$text-muted")
            options.append(Option(Content.assemble(mark, f"{n}. {line.title}"), id=line.id))
        self.set_options(options)
        for i, line in enumerate(lines):
            if line.current:
                self.highlighted = i


@dataclass(frozen=True)
class ResultLine:
    label: str
    passed: bool | None
    message: str = ""
    expected: str | None = None
    actual: str | None = None
    duration: float = 0.0


def results_content(title: str, lines: Sequence[ResultLine]) -> Content:
    """Each check: a mark, its name, its message; failed ones with expected vs actual.

    Messages, expected and actual values can contain the learner's answer or a
    command's output: they go in as plain text, never as markup.
    """
    if not lines:
        return Content.assemble((title, "$text-muted"))
    parts: list[str | tuple[str, str] | Content] = []
    passed = sum(1 for r in lines if r.passed)
    done = sum(1 for r in lines if r.passed is not None)
    head_style = "$success" if passed == len(lines) else ("$error" if done == len(lines) else "")
    parts.append((f"{passed} of {len(lines)} checks passed", f"bold {head_style}".strip()))
    for r in lines:
        if r.passed is None:
            parts += ["\n", ("… ", "$warning"), r.label, ("  running", "$text-muted")]
            continue
        mark = ("✓ ", "$success") if r.passed else ("✗ ", "$error")
        parts += [
            "\n",
            mark,
            (r.label, "bold"),
            ("  " + format_duration(r.duration), "$text-muted"),
        ]
        if r.message:
            parts += ["\n    ", visible(r.message)]
        if not r.passed and (r.expected is not None or r.actual is not None):
            parts += ["\n    ", ("expected: ", "$text-muted"), visible(str(r.expected))]
            parts += ["\n    ", ("actual:   ", "$text-muted"), visible(str(r.actual))]
    return Content.assemble(*parts)


class Spinner(Static):
    """A one-cell spinner that only animates while shown (never in a settled screen)."""

    DEFAULT_CSS = """
    Spinner { width: 2; color: $warning; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self._frame = 0
        self._timer: Timer | None = None

    def start(self) -> None:
        if self._timer is None:
            self._timer = self.set_interval(0.08, self._tick)
        self._tick()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.update("")

    @property
    def spinning(self) -> bool:
        return self._timer is not None

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self.update(SPINNER[self._frame])


class StatusLine(Horizontal):
    """What is running now (with a spinner) and the state of the lab's environment."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; padding: 0 1; }
    StatusLine #busy { width: auto; max-width: 60%; color: $warning; }
    StatusLine #env { width: 1fr; text-align: right; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def compose(self) -> ComposeResult:
        yield Spinner(id="spinner")
        yield Static("", id="busy", markup=False)
        yield Static("", id="env")

    def busy(self, text: str | None) -> None:
        spinner = self.query_one(Spinner)
        if text:
            spinner.start()
        else:
            spinner.stop()
        self.query_one("#busy", Static).update(Content(text or ""))

    def environment(self, content: Content) -> None:
        self.query_one("#env", Static).update(content)
