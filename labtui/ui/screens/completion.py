"""Shown when every task of a lab passes: time taken, help used, and what was learned."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

if TYPE_CHECKING:
    from labtui.scenario.model import Scenario
    from labtui.state.progress import ScenarioProgress


def elapsed_text(started_at: str | None, finished_at: str | None) -> str:
    """``12 min 5 s`` between two ISO times; ``unknown`` when either is missing."""
    if not started_at or not finished_at:
        return "unknown"
    try:
        seconds = int(
            (
                datetime.fromisoformat(finished_at) - datetime.fromisoformat(started_at)
            ).total_seconds()
        )
    except ValueError:
        return "unknown"
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


class CompletionScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back to the lab", id="completion.back"),
        Binding("enter", "catalog", "Catalog", id="completion.catalog"),
        Binding("q", "quit", "Quit", id="completion.quit"),
    ]

    def __init__(
        self,
        scenario: Scenario,
        progress: ScenarioProgress,
        conclusion: str,
        available: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.scenario = scenario
        self.progress = progress
        self.conclusion = conclusion
        # Tasks that need a tool missing here do not count towards completion.
        self.available = available if available is not None else [t.id for t in scenario.tasks]

    def compose(self) -> ComposeResult:
        sp = self.progress
        total = len(self.available)
        hints_available = sum(len(t.hints) for t in self.scenario.tasks)
        attempts = sum(t.attempts for t in sp.tasks.values())
        rows = [
            ("Time taken", elapsed_text(sp.started_at, sp.completed_at)),
            ("Tasks passed", f"{sp.passed_count(self.available)} of {total}"),
            ("Checks run", str(attempts)),
            ("Hints used", f"{sp.hints_used()} of {hints_available}"),
            ("Solutions revealed", f"{sp.solutions_revealed()} of {len(self.scenario.tasks)}"),
        ]
        parts: list[str | tuple[str, str]] = []
        for i, (name, value) in enumerate(rows):
            parts.append((("\n" if i else "") + name.ljust(20), "$text-muted"))
            parts.append(value)
        stats = Content.assemble(*parts)
        yield Static(
            Content.assemble(("✓ Lab complete: ", "bold $success"), (self.scenario.title, "bold")),
            id="title-bar",
        )
        with VerticalScroll(id="completion"):
            with Vertical(id="completion-stats"):
                yield Static(stats)
            yield Markdown(
                "## What you learned\n\n" + (self.conclusion or "_This lab has no summary._"),
                id="conclusion",
            )
        yield Footer()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_catalog(self) -> None:
        from labtui.ui.app import LabApp

        assert isinstance(self.app, LabApp)
        self.app.back_to_catalog()

    def action_quit(self) -> None:
        self.app.exit()
