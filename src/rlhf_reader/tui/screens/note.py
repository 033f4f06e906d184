"""The note editor: a TextArea for Markdown; it never drops unsaved text without asking.

``ctrl+o`` hands the note (as it is in the editor) to the reader's own editor (``$VISUAL``,
else ``$EDITOR``; ``rlhf_reader.editor``, as ``note KEY --edit``) with the app suspended, and
saves what comes back through the same conflict-safe path as ``ctrl+s``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from rlhf_reader.textsafe import printable
from rlhf_reader.tui.literal import content
from rlhf_reader.tui.screens.confirm import Answer, ChoiceDialog
from rlhf_reader.workspace import NoteConflict, merge_notes

SaveAnswer = Callable[["str | NoteConflict | None"], None]
SaveNote = Callable[[str, str, SaveAnswer], None]
"""Stores ``text`` over ``base`` (the note the editor started from), off the UI thread, then
calls the answer with an error message, a ``NoteConflict`` when the file holds another note
than ``base`` (nothing written), or None when it was saved."""


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
    """ctrl+s saves and closes; esc closes, asking first when there are unsaved changes
    (Save / Drop / Keep editing); ctrl+o edits the note in ``$VISUAL`` / ``$EDITOR``."""

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
        Binding(
            "ctrl+o",
            "external_edit",
            "$EDITOR",
            id="note.external-editor",
            tooltip="Edit the note in $VISUAL or $EDITOR; saved when the editor exits",
        ),
        Binding("escape", "close", "Close", id="note.close", priority=True),
    ]

    unsaved: reactive[bool] = reactive(False)
    saving: reactive[bool] = reactive(False)
    """A save was handed to the library's writer and its answer has not come yet."""

    def __init__(
        self,
        title: str,
        note: str,
        save: SaveNote,
        *,
        key: str = "note",
        keep_in: Path | None = None,
    ) -> None:
        super().__init__()
        self.entry_title = title
        self.original = note
        self.save = save
        self.key = key
        self.keep_in = keep_in
        """Where text from the external editor that cannot be saved is kept (a file)."""

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
        keys = "ctrl+s save · ctrl+o $EDITOR · esc close"
        if self.saving:
            box.border_subtitle = f"◌ saving… · {keys}"
        else:
            box.border_subtitle = f"● unsaved · {keys}" if unsaved else f"saved · {keys}"

    def watch_saving(self, saving: bool) -> None:
        self.watch_unsaved(self.unsaved)

    def busy(self) -> bool:
        """True (and says so) while a save waits for its answer."""
        if self.saving:
            self.say("Saving the note… (it waits for the changes made before it)")
        return self.saving

    def action_save(self) -> None:
        if not self.busy():
            self._save(self.text, self.original)

    def _save(self, text: str, base: str) -> None:
        self.saving = True
        self.save(text, base, lambda result: self._answered(text, result))

    def _answered(self, text: str, result: str | NoteConflict | None) -> None:
        """The writer's answer to a save of ``text``."""
        if not self.is_attached:  # the app is quitting: the answer has nowhere to go
            return
        self.saving = False
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
        """Esc: close; with unsaved changes, ask: Save, Drop or Keep editing."""
        if self.busy():
            return
        if not self.unsaved:
            self.dismiss(None)
            return

        def answered(choice: str | None) -> None:
            if choice == "save":
                self.action_save()
            elif choice == "drop":
                self.dismiss(None)
            # keep (or None): back to editing

        self.app.push_screen(
            ChoiceDialog(
                "This note has unsaved changes.",
                [
                    Answer("save", "Save", "s"),
                    Answer("drop", "Drop", "d"),
                    Answer("keep", "Keep editing", "k"),
                ],
                cancel="keep",
                focus="save",
            ),
            answered,
        )

    # ctrl+o: the reader's own editor -------------------------------------------------------

    def say(self, message: str, severity: str = "information") -> None:
        self.notify(printable(message), severity=severity, markup=False)  # type: ignore[arg-type]

    def action_external_edit(self) -> None:
        """The note as it is here into ``$VISUAL`` / ``$EDITOR`` (the app suspended), then
        saved over the note this editor opened: a conflict dialog if it changed meanwhile."""
        from textual.app import SuspendNotSupported

        from rlhf_reader.editor import EditorError, edit_text, editor_command

        if self.busy():
            return
        if self.app.is_web:
            self.say("$EDITOR needs the app in a terminal; in the browser edit here.", "warning")
            return
        try:
            command = editor_command()
        except EditorError as exc:
            self.say(f"No external editor: {exc}", "error")
            return
        text = self.text
        outcome: list[object] = []
        try:
            with self.app.suspend():
                # Nothing may escape this block: the app resumes only when it ends normally.
                try:
                    outcome.append(edit_text(text, command, name=self.key))
                except Exception as exc:
                    outcome.append(exc)
        except SuspendNotSupported:
            self.say("$EDITOR needs the app in a terminal it can hand over.", "warning")
            return
        self._edited(text, outcome[0] if outcome else None)

    def _edited(self, before: str, outcome: object) -> None:
        from rlhf_reader.editor import Edited, EditorError, keep_beside

        if isinstance(outcome, EditorError):
            self.say(f"Note not changed: {outcome}", "error")
            return
        if not isinstance(outcome, Edited):
            kind = type(outcome).__name__
            self.say(f"Note not changed: the editor failed ({kind}): {outcome}", "error")
            return
        if outcome.text is None:  # not UTF-8: kept in a file, never lost, never half-saved
            where = ""
            if self.keep_in is not None:
                try:
                    where = (
                        f"; your text is kept in {keep_beside(self.keep_in, self.key, outcome.raw)}"
                    )
                except OSError as exc:
                    where = f"; it could not be kept either: {exc.strerror or exc}"
            self.say(f"Note not saved: {outcome.problem}{where}", "error")
            return
        edited = outcome.text
        if edited == before:
            self.say("The note was not changed in the editor.")
            return
        area = self.query_one(TextArea)
        area.replace(edited, (0, 0), area.document.end)  # ctrl+z brings back what was here
        if not edited.strip() and self.original.strip():
            self.say("The note was emptied in the editor: not saved; ctrl+s saves it empty.")
            return
        self._save(edited, self.original)
