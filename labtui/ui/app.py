"""The Textual app (placeholder until the TUI lands)."""

from __future__ import annotations


def run_app(scenario_dirs: list[str] | None = None, learner: str | None = None) -> None:
    from textual.app import App

    App().run()
