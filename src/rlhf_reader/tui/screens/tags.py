"""The tag editor: the entry's tags shown, one input for a change to them (``tags.py``'s
grammar), completing tags in use."""

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

from rlhf_reader.tags import GRAMMAR, TagEdit, complete_last, parse_tag_edit
from rlhf_reader.tui.literal import content

SaveTags = Callable[[TagEdit], str | None]
"""Applies the change to the tags in the library file; an error message, or None."""


class TagSuggester(Suggester):
    """Completes the word being typed from the tags already in use."""

    def __init__(self, known: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.known = known

    async def get_suggestion(self, value: str) -> str | None:
        return complete_last(value, self.known)


class TagsDialog(ModalScreen[None]):
    """Enter applies what was typed: ``+x`` or ``x`` adds, ``-x`` removes, other tags stay."""

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
            now = " ".join(f"#{t}" for t in self.tags) or "(none)"
            yield Static(content(("Now: ", "$foreground-muted"), (now, "")), id="tags-now")
            yield Input(
                placeholder=GRAMMAR,
                suggester=TagSuggester(self.known),
                id="tags-input",
            )
            yield Static(
                Text("Enter saves · Esc cancels · → accepts a suggestion · -tag removes"),
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
            parse_tag_edit(event.value)
        except ValueError as exc:
            self._show_error(str(exc))
        else:
            self._show_error("")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            edit = parse_tag_edit(event.value)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        if not edit:
            self.dismiss(None)
            return
        error = self.save(edit)
        if error:
            self._show_error(error)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
