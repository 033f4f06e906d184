"""The Textual app: small on purpose; the main screen does the work.

``make_app`` is the one factory: the CLI (``run``), the tests and the screenshot command all
build the app through it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType, Keymap
from textual.screen import Screen

from rlhf_reader.library.store import LibraryError
from rlhf_reader.textsafe import printable, printable_block
from rlhf_reader.tui.actions import ACTIONS, STATE_NAME
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.screenshot import Screenshots
from rlhf_reader.workspace import Workspace

# Textual's own palette commands worth keeping, renamed to the palette's "verb: object".
TEXTUAL_COMMANDS = {
    "Keys": "toggle: key panel",
    "Maximize": "maximize: focused pane",
    "Minimize": "restore: pane size",
}
SCREENSHOT_COMMAND = "save: screenshot (SVG)"


def _paper_commands() -> type:
    # Imported when the palette first opens: textual.command is not needed to start.
    from rlhf_reader.tui.commands import PaperCommands

    return PaperCommands


class ReaderApp(App[None]):
    """Browse and annotate a reading list."""

    CSS_PATH = "app.tcss"
    TITLE = "rlhf-reader"
    COMMANDS: ClassVar = App.COMMANDS | {_paper_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit-now"),
    ]

    def __init__(self, workspace: Workspace, state: dict[str, Any]) -> None:
        super().__init__()
        self.workspace = workspace
        self.saved_state = state
        self.screenshots = Screenshots(self)
        self.index_in_background = True
        """Build the filter's search index in a thread at start (the ``screenshot`` command
        turns it off when no ``/`` is pressed: the index is then built when first needed)."""
        self.keymap: Keymap = {}
        """The keys remapped by binding id (``set_keymap``), for the help screen."""
        theme = state.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme

    def on_ready(self) -> None:
        # The first frame is painted: now start what only later keystrokes need, and follow
        # the library file.
        main = self.main_screen
        main.call_after_refresh(main.prepare_filter)
        main.call_after_refresh(main.follow_the_file)
        self.warn_skipped()

    def warn_skipped(self) -> None:
        """One warning naming the parts of the list the parser skipped (lists nested too
        deep…): the rest was read, but never silently. The CLI prints the same lines."""
        skipped = self.workspace.list_catalog.skipped
        if not skipped:
            return
        where = self.workspace.list_path
        lines = "\n".join(f"• {note}" for note in skipped)
        self.notify(
            printable_block(f"{where}: parts of the list could not be read:\n{lines}"),
            title="List partly read",
            severity="warning",
            timeout=20,
            markup=False,
        )

    def get_default_screen(self) -> Screen:
        return MainScreen(self.workspace, self.saved_state)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        main = self.main_screen
        for action in ACTIONS:
            yield SystemCommand(
                action.command, action.help, lambda a=action.action: main.run_action(a)
            )
        yield SystemCommand("change: theme", "Pick a colour theme", self.action_change_theme)
        for command in super().get_system_commands(screen):
            title = TEXTUAL_COMMANDS.get(command.title)
            if title:
                yield SystemCommand(title, command.help, command.callback, command.discover)
            elif command.title == "Screenshot":  # ours: says where, and why not
                # After a moment, so that the palette is gone from the picture (as Textual's).
                yield SystemCommand(
                    SCREENSHOT_COMMAND,
                    "Save an SVG of the screen (Downloads, else the current folder)",
                    lambda: self.set_timer(0.1, self.screenshots.save),
                )

    @on(events.DeliveryComplete)
    def _delivered(self, event: events.DeliveryComplete) -> None:
        self.screenshots.delivered(event)

    @on(events.DeliveryFailed)
    def _delivery_failed(self, event: events.DeliveryFailed) -> None:
        self.screenshots.failed(event)

    # Textual keeps the keymap to itself; the help screen shows the keys as remapped.

    def set_keymap(self, keymap: Keymap) -> None:
        self.keymap = dict(keymap)
        super().set_keymap(keymap)

    def update_keymap(self, keymap: Keymap) -> None:
        self.keymap = {**self.keymap, **keymap}
        super().update_keymap(keymap)

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    def unsaved_note(self) -> bool:
        # No note opened yet, no editor to ask: importing it only to find none took 0.15 s
        # of every quit.
        note = sys.modules.get("rlhf_reader.tui.screens.note")
        if note is None:
            return False
        return any(isinstance(s, note.NoteEditor) and s.unsaved for s in self.screen_stack)

    async def action_quit(self) -> None:
        """Quit, asking first when a note editor holds unsaved text; remember where we were."""
        if not self.unsaved_note():
            self.save_state()
            self.exit()
            return
        from rlhf_reader.tui.screens.confirm import ConfirmDialog

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.save_state()
                self.exit()

        self.push_screen(
            ConfirmDialog("A note has unsaved changes. Quit and drop them?", yes="Quit", no="Stay"),
            answered,
        )

    def save_state(self) -> None:
        """Cursor, open sections and theme into the library's ``meta`` table."""
        try:
            main = self.main_screen  # its state also holds the export dialog's memory
            state = {**main.state, **main.current_state(), "theme": self.theme}
            self.workspace.library.set_meta(STATE_NAME, state)
        except (LibraryError, OSError, ValueError, LookupError) as exc:
            self.notify(
                printable(f"Could not save the view: {exc}"), severity="error", markup=False
            )


def make_app(workspace: Workspace) -> ReaderApp:
    """The app over ``workspace`` (its list and library), with the view saved last time."""
    state = workspace.library.get_meta(STATE_NAME, {})
    return ReaderApp(workspace, state if isinstance(state, dict) else {})


def run(workspace: Workspace, **run_options: Any) -> int:
    """Open the app in the terminal (``run_options`` go to ``App.run``, e.g. ``headless``)."""
    app = make_app(workspace)
    # The list and the library are loaded and live for the whole run: keep the cyclic
    # garbage collector from walking them again and again while the screen starts.
    gc.freeze()
    app.run(**run_options)
    return app.return_code or 0
