"""Command palette entries that start an exam of one scenario (``Exam: <title>``).

Kept apart from the exam screen so that the app's start imports Textual only;
the engine loads when a command runs.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from labtui.scenario.catalog import Entry


def start_exam(app: object, entry: Entry) -> None:
    from labtui.engine.exam import Exam, plan_for_entry
    from labtui.ui.app import LabApp
    from labtui.ui.screens.exam import ExamScreen

    assert isinstance(app, LabApp)
    exam = Exam(plan_for_entry(entry), app.store.learner, cluster=app.cluster_target)
    app.push_screen(ExamScreen(exam))


class ExamCommands(Provider):
    """One exam per trusted, loaded scenario: timed, no hints, no solutions."""

    def _entries(self) -> list[Entry]:
        from labtui.engine.trust import is_trusted

        entries: list[Entry] = getattr(self.app, "loaded_entries", [])
        return [e for e in entries if e.scenario is not None and is_trusted(e)]

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(
                f"Exam: {entry.title}",
                partial(start_exam, self.app, entry),
                help=f"{entry.id}: every task timed and scored, no hints or solutions",
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            name = f"Exam: {entry.title}"
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(start_exam, self.app, entry),
                    text=name,
                    help=f"{entry.id}: timed, no hints or solutions",
                )
