"""A footer that fits its width: the rarer keys step out of it when the terminal is narrow.

Textual's footer lets keys run past the right edge, under the command palette's
key. This one hides keys, in the order the screen gives, until the rest fits. A
hidden key still works, and the help dialog (?) and the command palette list it.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


def _outer_width(widget: Widget) -> int:
    """Cells the widget takes in the footer's row, measured from what it renders."""
    styles = widget.styles
    if isinstance(widget, FooterKey):
        content = widget.render().cell_len
    else:
        content = sum(_outer_width(child) for child in widget.children)
    return content + styles.gutter.width + styles.margin.width


class FittingFooter(Footer):
    """A footer whose keys never run past its width while there are keys to leave out."""

    # Compact, the palette's key kept a key's right margin: an empty cell at the edge.
    DEFAULT_CSS = """
    FittingFooter.-compact FooterKey.-command-palette { margin-right: 0; }
    """

    def __init__(self, *, leave_out: Sequence[str] = (), compact: bool = False) -> None:
        """``leave_out``: actions, the first to leave the footer first when space is short."""
        super().__init__(compact=compact)
        self.leave_out = tuple(leave_out)

    @property
    def left_out(self) -> list[str]:
        """The actions whose keys are out of the footer now."""
        return [key.action for key in self.query(FooterKey) if not key.display]

    async def recompose(self) -> None:
        await super().recompose()
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        items = [w for w in self.children if not w.has_class("-command-palette")]
        palette = [w for w in self.children if w.has_class("-command-palette")]
        for item in items:
            item.display = True
        room = self.size.width - sum(_outer_width(w) for w in palette)
        used = sum(_outer_width(w) for w in items)
        for action in self.leave_out:
            if used <= room:
                break
            for item in items:
                if isinstance(item, FooterKey) and item.action == action and item.display:
                    item.display = False
                    used -= _outer_width(item)
