"""What an update changed (``U``): the diff lines, shown literally."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rlhf_reader.tui.literal import content

LINE_STYLE = {"+": "$text-success", "-": "$text-error", "~": "$text-warning", "=": "$text-accent"}


class UpdateSummary(ModalScreen[None]):
    """The first line (counts) in bold, then one line per added, removed, changed entry."""

    DEFAULT_CSS = """
    UpdateSummary { align: center middle; }
    UpdateSummary > VerticalScroll {
        width: 100; max-width: 95%; height: auto; max-height: 85%;
        border: thick $success; background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="dialog.close"),
    ]

    def __init__(self, title: str, lines: list[str], footer: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.footer = footer

    def compose(self) -> ComposeResult:
        head, *rest = self.lines or [""]
        parts: list = [(head + "\n", "bold")]
        for line in rest:
            parts.append((line + "\n", LINE_STYLE.get(line[:1], "")))
        parts.append(("\n" + self.footer, "$foreground-muted"))
        with VerticalScroll() as box:
            box.border_title = self.title_text
            box.border_subtitle = "esc closes"
            yield Static(content(*parts), id="update-lines", markup=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
