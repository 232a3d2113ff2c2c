"""Command palette entries: every action of the current screen, and every scenario to jump to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from labtui.ui.app import LabApp

# Actions that have no key of their own, per screen class name.
EXTRA_ACTIONS: dict[str, list[tuple[str, str, str]]] = {
    "LabScreen": [
        (
            "apply_solution",
            "Apply the reference solution",
            "Run the solution's commands, then check (marked)",
        ),
        ("summary", "Show the lab summary", "Time taken, hints used, what was learned"),
    ],
}


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[], Any]


class LabCommands(Provider):
    """Actions come from the screen's bindings, so the palette and the keys never disagree."""

    def _commands(self) -> list[Command]:
        from labtui.ui.app import LabApp

        screen = self.screen
        commands: list[Command] = []
        for b in screen.BINDINGS:
            if isinstance(b, Binding) and b.description:
                key = self.app.get_key_display(Binding(b.key.split(",")[0], ""))
                commands.append(
                    Command(
                        b.description,
                        f"{b.tooltip or b.description} ({key})",
                        partial(screen.run_action, b.action),
                    )
                )
        for action, name, help_text in EXTRA_ACTIONS.get(type(screen).__name__, []):
            commands.append(Command(name, help_text, partial(screen.run_action, action)))
        app = self.app
        if isinstance(app, LabApp):
            lab_app: LabApp = app
            commands.append(
                Command(
                    "Environment",
                    "Docker, kind, kubectl, clusters and leftovers (doctor)",
                    lab_app.open_environment,
                )
            )
            for entry in lab_app.loaded_entries:
                if entry.scenario is not None:
                    commands.append(
                        Command(
                            f"Open scenario: {entry.title}",
                            f"{entry.id} · {entry.scenario.topic.value}",
                            partial(lab_app.open_scenario, entry.id),
                        )
                    )
        return commands

    async def discover(self) -> Hits:
        for c in self._commands():
            yield DiscoveryHit(c.name, c.run, help=c.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for c in self._commands():
            score = matcher.match(c.name)
            if score > 0:
                yield Hit(score, matcher.highlight(c.name), c.run, text=c.name, help=c.help)
