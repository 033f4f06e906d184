"""The tag editor: one input, prefilled with the entry's tags, completing tags in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from rlhf_reader.tui.literal import content
from rlhf_reader.tui.tagedit import apply_tag_input, complete_last

SaveTags = Callable[[tuple[str, ...]], str | None]
"""Stores the tags; returns an error message, or None when they were saved."""


class TagSuggester(Suggester):
    """Completes the word being typed from the tags already in use."""

    def __init__(self, known: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.known = known

    async def get_suggestion(self, value: str) -> str | None:
        return complete_last(value, self.known)


class TagsDialog(ModalScreen[None]):
    """Enter saves; a plain list replaces the tags, ``+x`` adds and ``-x`` removes."""

    DEFAULT_CSS = """
    TagsDialog { align: center middle; }
    TagsDialog > Vertical {
        width: 72; max-width: 95%; height: auto; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    TagsDialog #tags-title { margin-bottom: 1; }
    TagsDialog #tags-help { color: $text-muted; }
    TagsDialog #tags-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, title: str, tags: tuple[str, ...], known: list[str], save: SaveTags):
        super().__init__()
        self.entry_title = title
        self.tags = tags
        self.known = known
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Tags"
            title = content(("Tags of ", "$foreground-muted"), (self.entry_title, "bold"))
            yield Static(title, id="tags-title")
            yield Input(
                " ".join(self.tags),
                placeholder="tags separated by spaces; +tag adds, -tag removes",
                suggester=TagSuggester(self.known),
                id="tags-input",
            )
            yield Static(
                Text("Enter saves · Esc cancels · → accepts a suggestion · empty clears"),
                id="tags-help",
            )
            yield Static(Text(""), id="tags-error")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = not self.app.is_headless
        field.focus()

    def _show_error(self, message: str) -> None:
        self.query_one("#tags-error", Static).update(Text(message))

    @on(Input.Changed)
    def _check(self, event: Input.Changed) -> None:
        try:
            apply_tag_input(event.value, self.tags)
        except ValueError as exc:
            self._show_error(str(exc))
        else:
            self._show_error("")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            tags = apply_tag_input(event.value, self.tags)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        error = self.save(tags)
        if error:
            self._show_error(error)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
