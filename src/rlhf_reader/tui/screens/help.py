"""The help screen: every key, grouped by purpose, generated from the bindings themselves.

A binding's id is ``group.name``; the group picks the heading. Keys shown are the ones
bound now, so a keymap set with ``App.set_keymap`` shows up here too.
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

# Headings fit the key column (16 cells).
GROUPS = {
    "move": "Move around",
    "status": "Reading status",
    "edit": "Tags and notes",
    "open": "Open",
    "copy": "Copy and export",
    "arxiv": "arXiv",
    "list": "Update, progress",
    "find": "Filter",
    "note": "Note editor",
    "app": "The app",
}


def _bindings() -> list[Binding]:
    from rlhf_reader.tui.screens.main import MainScreen
    from rlhf_reader.tui.screens.note import NoteEditor
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree

    found: list[Binding] = []
    for owner in (CatalogTree, MainScreen, NoteEditor):
        found.extend(b for b in owner.BINDINGS if isinstance(b, Binding))
    return found


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


class HelpScreen(ModalScreen[None]):
    """Esc, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 95%; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="dialog.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Keys"
            box.border_subtitle = "esc closes"
            yield Static(self._table(), id="help-table")

    def _table(self) -> Table:
        app = self.app
        rows = help_rows(
            _bindings(), dict(app._keymap), app.get_key_display, app.COMMAND_PALETTE_BINDING
        )
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(style="bold", no_wrap=True, width=16)
        table.add_column(ratio=1)
        for title, entries in rows.items():
            table.add_row(Text(title, style="bold underline"), Text(""))
            for keys, what in entries:
                table.add_row(Text(keys, style="bold cyan"), Text(what))
            table.add_row(Text(""), Text(""))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
