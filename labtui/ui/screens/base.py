"""What the app's full screens share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from labtui.ui.app import LabApp


class LabAppScreen(Screen[None]):
    """A screen of :class:`LabApp`, with the app typed as such."""

    @property
    def lab_app(self) -> LabApp:
        from labtui.ui.app import LabApp

        assert isinstance(self.app, LabApp)
        return self.app
