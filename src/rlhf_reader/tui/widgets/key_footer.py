"""The footer: the active screen's keys that fit the width whole, drawn as one line.

Textual's own ``Footer`` composes one widget per key and composes them all again whenever
the bindings change (focus moves, a screen opens): about 75 re-compositions at start-up for
13 keys, and a narrow terminal cuts labels mid-word. This footer is one widget: when the
screen says its bindings changed, it reads ``Screen.active_bindings`` (so it follows the
focused widget and a keymap set with ``App.set_keymap``), and repaints only if the keys to
show differ. A key is drawn whole or not at all: the others stay in ``?`` help and the
palette. Quit, help and the palette key are placed first, the rest in binding order.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

FIRST = ("app.quit", "app.help")
"""Binding ids that get room before the others (they are how a new user finds the rest)."""


class FooterItem(NamedTuple):
    """One key as drawn: the key to simulate on a click, its display, its label."""

    key: str
    display: str
    label: str
    enabled: bool
    first: bool

    @property
    def width(self) -> int:
        # " key label " — the same spacing as Textual's footer (key padded, label padded right).
        return cell_len(self.display) + cell_len(self.label) + 3


def fit(items: list[FooterItem], width: int, right: FooterItem | None = None) -> list[int]:
    """Indexes of ``items`` to show in ``width`` cells (``right`` takes its room first):
    the ``first`` items, then the others in order, each one whole or skipped."""
    room = width - (right.width if right is not None and right.width <= width else 0)
    chosen: set[int] = set()
    for wanted_first in (True, False):
        for index, item in enumerate(items):
            if item.first is wanted_first and item.width <= room:
                chosen.add(index)
                room -= item.width
    return sorted(chosen)


class KeyFooter(Widget, can_focus=False):
    """One line of keys at the bottom of a screen."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--label {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-footer--disabled {
            text-style: dim;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key",
        "key-footer--label",
        "key-footer--disabled",
    }
    ALLOW_SELECT = False

    def __init__(self, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.items: tuple[FooterItem, ...] = ()
        """The keys the screen offers now, in order (shown or not)."""
        self.palette: FooterItem | None = None
        self.renders = 0
        """How many times the line was drawn (a binding or size change draws it once)."""
        self._spans: list[tuple[int, int, str]] = []
        self._shown_for: tuple[tuple[FooterItem, ...], FooterItem | None, int] | None = None
        self._line = Text()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        items, palette = self._read_bindings(screen)
        if (items, palette) != (self.items, self.palette):
            self.items, self.palette = items, palette
            self.refresh()

    def _read_bindings(
        self, screen: Screen[object]
    ) -> tuple[tuple[FooterItem, ...], FooterItem | None]:
        app = self.app
        items: list[FooterItem] = []
        seen_actions: set[str] = set()
        palette: FooterItem | None = None
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if app.ENABLE_COMMAND_PALETTE and binding.key == app.COMMAND_PALETTE_BINDING:
                palette = self._item(binding, enabled)
                continue
            if not binding.show or binding.action in seen_actions:
                continue  # one key per action, as Textual's footer does
            seen_actions.add(binding.action)
            items.append(self._item(binding, enabled))
        return tuple(items), palette

    def _item(self, binding: Binding, enabled: bool) -> FooterItem:
        display = self.app.get_key_display(binding)
        return FooterItem(binding.key, display, binding.description, enabled, binding.id in FIRST)

    @property
    def shown(self) -> list[FooterItem]:
        """The keys drawn at the current width (the palette's last when it is drawn)."""
        items = [self.items[i] for i in fit(list(self.items), self.size.width, self.palette)]
        if self.palette is not None and self.palette.width <= self.size.width:
            items.append(self.palette)
        return items

    def render(self) -> RenderResult:
        width = self.size.width
        wanted = (self.items, self.palette, width)
        if wanted == self._shown_for:
            return self._line
        self.renders += 1
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        label_style = self.get_component_rich_style("key-footer--label", partial=True)
        dim = self.get_component_rich_style("key-footer--disabled", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []

        def add(item: FooterItem) -> None:
            extra = Style() if item.enabled else dim
            start = line.cell_len
            line.append(f" {item.display} ", key_style + extra)
            line.append(f"{item.label} " if item.label else "", label_style + extra)
            spans.append((start, line.cell_len, item.key))

        for index in fit(list(self.items), width, self.palette):
            add(self.items[index])
        palette = self.palette
        if palette is not None and palette.width <= width:
            line.append(" " * (width - line.cell_len - palette.width))
            add(palette)
        self._line, self._spans, self._shown_for = line, spans, wanted
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
