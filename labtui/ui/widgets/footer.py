"""A footer that fits its width: the rarer keys step out of it when the terminal is narrow.

Textual's footer lets keys run past the right edge, under the command palette's
key. This one hides keys, in the order the screen gives, until the rest fits. A
hidden key still works, and the help dialog (?) and the command palette list it.

The keys are this module's own widget, drawn as Textual's footer draws its keys,
so the footer's look does not rest on Textual's private modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer


class FooterKey(Widget):
    """One key of the footer: the key, then what it does; a click presses the key."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description"}

    DEFAULT_CSS = """
    FooterKey {
        width: auto;
        height: 1;
        text-wrap: nowrap;
        background: $footer-item-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
            padding: 0 1;
        }
        .footer-key--description {
            padding: 0 1 0 0;
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        &:hover {
            pointer: pointer;
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        &.-disabled {
            text-style: dim;
        }
        &.-compact {
            .footer-key--key {
                padding: 0;
            }
            .footer-key--description {
                padding: 0 0 0 1;
            }
        }
    }
    """

    compact = reactive(True)
    """Draw without the padding around the key."""

    def __init__(
        self,
        key: str,
        key_display: str,
        description: str,
        action: str,
        *,
        enabled: bool = True,
        tooltip: str = "",
        classes: str = "",
    ) -> None:
        self.key = key
        self.key_display = key_display
        self.description = description
        self.action = action
        self.enabled = enabled
        super().__init__(classes=classes if enabled else f"{classes} -disabled")
        self.set_reactive(Widget.shrink, False)
        if tooltip:
            self.tooltip = tooltip

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        key_padding = self.get_component_styles("footer-key--key").padding
        key = " " * key_padding.left + self.key_display + " " * key_padding.right
        if self.description:
            description_style = self.get_component_rich_style("footer-key--description")
            padding = self.get_component_styles("footer-key--description").padding
            description = " " * padding.left + self.description + " " * padding.right
            text = Text.assemble((key, key_style), (description, description_style))
        else:
            text = Text.assemble((self.key_display, key_style))
        text.stylize_before(self.rich_style)
        return text

    def on_mouse_down(self) -> None:
        if self.enabled:
            self.app.simulate_key(self.key)
        else:
            self.app.bell()

    def watch_compact(self, compact: bool) -> None:
        self.set_class(compact, "-compact")


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

    # The footer's rules for its keys (the palette's key docked right, after a bar);
    # compact, the palette's key kept a key's right margin: an empty cell at the edge.
    DEFAULT_CSS = """
    FittingFooter {
        FooterKey.-command-palette {
            dock: right;
            padding-right: 1;
            border-left: vkey $foreground 20%;
        }
        &.-compact {
            FooterKey { margin-right: 1; }
            FooterKey.-command-palette { padding-right: 0; margin-right: 0; }
        }
    }
    """

    def __init__(self, *, leave_out: Sequence[str] = (), compact: bool = False) -> None:
        """``leave_out``: actions, the first to leave the footer first when space is short."""
        super().__init__(compact=compact)
        self.leave_out = tuple(leave_out)
        # The screen's keys are known once it has said so (``bindings_changed``).
        self._keys_known = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._keys_known = True
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        """A key for each action the screen shows, then the command palette's key."""
        if not self._keys_known:
            return
        active = self.screen.active_bindings
        actions: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled=enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette:
            _node, binding, enabled, tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled=enabled,
                tooltip=binding.tooltip or binding.description,
                classes="-command-palette",
            )

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
