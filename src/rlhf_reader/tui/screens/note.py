"""The note editor: a TextArea for Markdown; it never drops unsaved text without asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from rlhf_reader.tui.literal import content
from rlhf_reader.tui.screens.confirm import ConfirmDialog
from rlhf_reader.workspace import NoteConflict, merge_notes

SaveNote = Callable[[str, str], "str | NoteConflict | None"]
"""Stores ``text`` over ``base`` (the note the editor started from); an error message, a
``NoteConflict`` when the file holds another note than ``base`` (nothing written), or None
when it was saved."""


def _markdown_area(text: str) -> TextArea:
    """A TextArea with Markdown highlighting when tree-sitter is installed, else plain."""
    area = TextArea(text, id="note-text", soft_wrap=True, tab_behavior="indent")
    try:
        import tree_sitter  # noqa: F401
    except ImportError:
        return area
    try:
        area.language = "markdown"
    except Exception:  # a missing grammar: stay plain rather than fail to edit
        area.language = None
    return area


class NoteEditor(ModalScreen[None]):
    """ctrl+s saves and closes; esc closes, asking first when there are unsaved changes."""

    DEFAULT_CSS = """
    NoteEditor { align: center middle; }
    NoteEditor > Vertical {
        width: 90%; height: 85%; border: thick $accent; background: $surface;
    }
    NoteEditor #note-title { padding: 0 1; }
    NoteEditor TextArea { height: 1fr; border: none; }
    NoteEditor #note-error { color: $error; height: auto; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="note.save"),
        Binding("escape", "close", "Close", id="note.close", priority=True),
    ]

    unsaved: reactive[bool] = reactive(False)

    def __init__(self, title: str, note: str, save: SaveNote) -> None:
        super().__init__()
        self.entry_title = title
        self.original = note
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box") as box:
            box.border_title = "Note (Markdown)"
            title = content(("Note on ", "$foreground-muted"), (self.entry_title, "bold"))
            yield Static(title, id="note-title")
            yield _markdown_area(self.original)
            yield Static(Text(""), id="note-error")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = not self.app.is_headless
        area.focus()
        self.watch_unsaved(False)

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    @on(TextArea.Changed)
    def _changed(self) -> None:
        self.unsaved = self.text != self.original

    def watch_unsaved(self, unsaved: bool) -> None:
        box = self.query_one("#note-box")
        box.border_subtitle = (
            "● unsaved · ctrl+s save · esc close" if unsaved else "saved · ctrl+s save · esc close"
        )

    def action_save(self) -> None:
        self._save(self.text, self.original)

    def _save(self, text: str, base: str) -> None:
        result = self.save(text, base)
        if isinstance(result, NoteConflict):
            self._resolve(result)
            return
        if result:
            self.query_one("#note-error", Static).update(Text(result))
            return
        self.original = text
        self.unsaved = False
        self.dismiss(None)

    def _resolve(self, conflict: NoteConflict) -> None:
        """Both notes shown; the reader picks. Nothing is dropped without that choice."""
        from rlhf_reader.tui.screens.note_conflict import Choice, NoteConflictDialog

        def chosen(choice: Choice | None) -> None:
            if choice == "mine":
                self._save(conflict.mine, conflict.theirs)
            elif choice == "both":
                self._save(merge_notes(conflict.mine, conflict.theirs), conflict.theirs)
            elif choice == "theirs":  # nothing to write: the file has it
                self.unsaved = False
                self.dismiss(None)
            # None: back to editing; saving again asks again if the file still differs

        self.app.push_screen(NoteConflictDialog(conflict.mine, conflict.theirs), chosen)

    def action_close(self) -> None:
        if not self.unsaved:
            self.dismiss(None)
            return

        def answered(drop: bool | None) -> None:
            if drop:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog("Drop the unsaved changes to this note?", yes="Drop", no="Keep editing"),
            answered,
        )
