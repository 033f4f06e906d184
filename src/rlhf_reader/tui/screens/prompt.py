"""A one-line question with an inline error: the arXiv id to add, the URL to update from."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.widgets.input import Selection

from rlhf_reader.textsafe import printable


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line; ``check(text)`` returns an error to show inline, or None to accept.

    Enter accepts (dismissed with the text), esc cancels (dismissed with None).
    """

    DEFAULT_CSS = """
    PromptDialog { align: center middle; }
    PromptDialog > Vertical {
        width: 80; max-width: 95%; height: auto; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    PromptDialog #prompt-error { color: $error; display: none; }
    PromptDialog #prompt-hint { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(
        self,
        title: str,
        hint: str,
        *,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], str | None] | None = None,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.hint = hint
        self.value = value
        self.placeholder = placeholder
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter accepts · esc cancels"
            yield Static(Text(printable(self.hint)), id="prompt-hint", markup=False)
            # Not Input's select-on-focus: it puts the cursor, and the view, at the end.
            yield Input(
                self.value, placeholder=self.placeholder, select_on_focus=False, id="prompt-input"
            )
            yield Static(Text(""), id="prompt-error", markup=False)

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = not self.app.is_headless
        field.focus()
        # A long value (the URL to update from) is seen from its start, all of it selected
        # so that typing replaces it; the cursor is at the start.
        field.selection = Selection(len(field.value), 0)

    def show_error(self, message: str | None) -> None:
        error = self.query_one("#prompt-error", Static)
        error.update(Text(printable(message or "")))
        error.display = bool(message)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_error(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.show_error("Type something, or esc to cancel.")
            return
        problem = self.check(text) if self.check else None
        if problem:
            self.show_error(problem)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
