"""The note changed in the file while it was being edited: both notes, and a choice.

Shown by the note editor when saving finds another note in the file than the one it opened
(another window, the CLI, a sync). Nothing has been written at that point; the reader keeps
theirs, takes the other, or keeps both (this window's first, a marker line between), and
esc goes back to editing. Either note is shown literally.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from rlhf_reader.tui.literal import content

Choice = Literal["mine", "theirs", "both"]


class NoteConflictDialog(ModalScreen[Choice | None]):
    """Dismissed with ``"mine"``, ``"theirs"``, ``"both"``, or None (esc: keep editing)."""

    DEFAULT_CSS = """
    NoteConflictDialog { align: center middle; }
    NoteConflictDialog > Vertical {
        width: 100; max-width: 95%; height: auto; max-height: 90%; padding: 0 1;
        border: thick $warning; background: $surface;
    }
    NoteConflictDialog #conflict-notes { height: auto; max-height: 24; }
    NoteConflictDialog .note-text {
        height: auto; border: round $panel-lighten-2; padding: 0 1; margin-bottom: 1;
    }
    NoteConflictDialog Horizontal { height: auto; align-horizontal: right; }
    NoteConflictDialog Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "choose('mine')", "Keep mine", id="conflict.mine"),
        Binding("t", "choose('theirs')", "Take theirs", id="conflict.theirs"),
        Binding("b", "choose('both')", "Keep both", id="conflict.both"),
        Binding("escape", "back", "Back to editing", id="conflict.back"),
    ]

    def __init__(self, mine: str, theirs: str) -> None:
        super().__init__()
        self.mine = mine
        self.theirs = theirs

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "The note was changed elsewhere"
            box.border_subtitle = "m keep mine · t take theirs · b keep both · esc back"
            yield Static(
                content(
                    "While you edited, the note in the library file was changed (by the CLI, "
                    "another window or a sync). Nothing is saved yet. ",
                    ("Keep both", "bold"),
                    " puts yours first, then a marker line, then the other.",
                ),
                markup=False,
            )
            with VerticalScroll(id="conflict-notes"):
                mine = Static(content(self.mine or "(empty)"), classes="note-text", id="mine")
                mine.border_title = "Yours (this window)"
                yield mine
                theirs = Static(content(self.theirs or "(empty)"), classes="note-text", id="theirs")
                theirs.border_title = "In the file now"
                yield theirs
            with Horizontal():
                yield Button("Keep mine", id="mine-button")
                yield Button("Take theirs", id="theirs-button")
                yield Button("Keep both", id="both-button", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#both-button", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choice = (event.button.id or "").removesuffix("-button")
        if choice in ("mine", "theirs", "both"):
            self.dismiss(choice)  # type: ignore[arg-type]

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)

    def action_back(self) -> None:
        self.dismiss(None)
