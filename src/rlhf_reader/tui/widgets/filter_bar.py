"""The filter bar: an input for the filter language and a line for its errors.

It is mounted the first time ``/`` is pressed, so starting the app does not pay for it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from rlhf_reader.textsafe import printable
from rlhf_reader.tui.messages import FilterChanged, FilterSubmitted

PLACEHOLDER = "words  tag:x  status:unread  section:survey  year:>=2023  -word   (esc clears)"


class FilterBar(Vertical):
    DEFAULT_CSS = """
    FilterBar { height: auto; }
    FilterBar > Input { border: tall $accent; }
    FilterBar > #filter-error { color: $error; padding: 0 1; display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Input(placeholder=PLACEHOLDER, id="filter-input")
        yield Static(Text(""), id="filter-error")

    def on_mount(self) -> None:
        self.input.cursor_blink = not self.app.is_headless

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FilterChanged(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(FilterSubmitted())

    def clear(self) -> None:
        """Empty and hidden (no ``FilterChanged`` for the emptying)."""
        with self.input.prevent(Input.Changed):
            self.input.value = ""
        self.show_error(None)
        self.display = False

    def show_error(self, message: str | None) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(Text(printable(message or ""), style="bold"))
        error.display = bool(message)
