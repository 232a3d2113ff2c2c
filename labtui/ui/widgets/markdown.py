"""Instructions as Markdown whose code blocks scroll sideways instead of being cut off.

Code in the labs is commands to type, aligned output and small diagrams: wrapping
would break the diagrams and make one command look like two. So a code block wider
than the space keeps its lines, shows a scrollbar under them, and takes the focus
(tab or a click) so the arrow keys can scroll it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets.markdown import Markdown, MarkdownBlock, MarkdownFence

# Cells one arrow key scrolls: one cell a press would take a hundred presses for a long command.
STEP = 8


class CodeBlock(MarkdownFence):
    """A code fence that scrolls horizontally (arrow keys once focused) when a line is too wide."""

    can_focus = True

    DEFAULT_CSS = """
    CodeBlock {
        overflow-x: auto;
        scrollbar-size-horizontal: 1;
        & > Label { padding: 0 1; }
        &:focus { background-tint: $foreground 8%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "scroll_by(-1)", "Scroll left", show=False),
        Binding("right", "scroll_by(1)", "Scroll right", show=False),
        Binding("home", "scroll_edge(0)", "Start of the lines", show=False),
        Binding("end", "scroll_edge(1)", "End of the lines", show=False),
    ]

    @property
    def too_wide(self) -> bool:
        """Some line does not fit: part of the block is out of sight."""
        return self.max_scroll_x > 0

    def allow_focus(self) -> bool:
        # A block that fits has nothing to scroll: tab passes it by.
        return self.too_wide

    def action_scroll_by(self, steps: int) -> None:
        self.scroll_to(x=self.scroll_x + steps * STEP, animate=False)

    def action_scroll_edge(self, end: int) -> None:
        self.scroll_to(x=self.max_scroll_x if end else 0, animate=False)


class LabMarkdown(Markdown):
    """Markdown whose code blocks are :class:`CodeBlock`."""

    BLOCKS: dict[str, type[MarkdownBlock]] = {
        **Markdown.BLOCKS,
        "fence": CodeBlock,
        "code_block": CodeBlock,
    }
