"""The help screen: every key, grouped by purpose, generated from the bindings themselves.

The main screen hands over its bindings (and its tree's and the note editor's); a binding's
id is ``group.name`` and the group picks the heading. Keys shown are the ones bound now: a
keymap set with ``App.set_keymap`` shows up here too (``ReaderApp.keymap``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rlhf_reader.tui.actions import VIM_KEYS
from rlhf_reader.tui.theme import component_style
from rlhf_reader.tui.widgets.vimkeys import VimKeys

# Headings fit the key column (16 cells).
GROUPS = {
    "move": "Move around",
    "scroll": "Detail, lists",
    "status": "Reading status",
    "edit": "Tags and notes",
    "open": "Open",
    "read": "PDF and queue",
    "copy": "Copy and export",
    "arxiv": "arXiv",
    "list": "Update, progress",
    "find": "Filter",
    "note": "Note editor",
    "app": "The app",
}


def help_rows(
    bindings: Iterable[Binding],
    keymap: dict[str, str],
    show_key: Callable[[Binding], str],
    palette_key: str,
) -> dict[str, list[tuple[str, str]]]:
    """``{heading: [(keys, what it does)]}`` in the order of ``GROUPS``."""
    grouped: dict[str, list[tuple[str, str]]] = {title: [] for title in GROUPS.values()}
    for binding in bindings:
        if not binding.id:
            continue
        group = GROUPS.get(binding.id.split(".", 1)[0], "Other")
        keys = keymap.get(binding.id, binding.key)
        shown = " ".join(show_key(Binding(key.strip(), "")) for key in keys.split(","))
        grouped.setdefault(group, []).append((shown, binding.tooltip or binding.description))
    grouped[GROUPS["app"]].append(
        (show_key(Binding(palette_key, "")), "Command palette: every action and every paper")
    )
    return {title: rows for title, rows in grouped.items() if rows}


class HelpScreen(VimKeys, ModalScreen[None]):
    """Esc, q or ? closes it; j/k/g/G scroll it, as the arrows and home/end do."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 95%; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    HelpScreen > .help--heading { text-style: bold underline; }
    HelpScreen > .help--key { color: $text-accent; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"help--heading", "help--key"}

    def __init__(self, bindings: Iterable[BindingType]) -> None:
        super().__init__()
        self.bindings = [b for b in bindings if isinstance(b, Binding)]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="dialog.close"),
        *VIM_KEYS,
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Keys"
            box.border_subtitle = "esc closes"
            yield Static(id="help-table")

    def on_mount(self) -> None:
        self._fill()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill())

    def _fill(self) -> None:
        self.query_one("#help-table", Static).update(self._table())

    def _table(self) -> Table:
        app = self.app
        keymap = getattr(app, "keymap", {})
        rows = help_rows(self.bindings, keymap, app.get_key_display, app.COMMAND_PALETTE_BINDING)
        heading = component_style(self, "help--heading")
        key_style = component_style(self, "help--key")
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(style="bold", no_wrap=True, width=16)
        table.add_column(ratio=1)
        for title, entries in rows.items():
            table.add_row(Text(title, style=heading), Text(""))
            for keys, what in entries:
                table.add_row(Text(keys, style=key_style), Text(what))
            table.add_row(Text(""), Text(""))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
