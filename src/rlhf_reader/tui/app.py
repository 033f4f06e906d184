"""The Textual app: small on purpose; the main screen does the work.

``make_app`` is the one factory: the CLI (``run``), the tests and the screenshot command all
build the app through it.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType, Keymap
from textual.screen import Screen

from rlhf_reader.gcpause import paused
from rlhf_reader.library.store import LibraryError
from rlhf_reader.library.writer import SerialWriter
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
YOUNG_COLLECTED_AFTER = 10_000
"""New container objects (less those freed) between two collections of the youngest
generation while the window runs (Python's default: 700)."""


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
        self.writer = SerialWriter()
        """The window's one writer: every change to the library runs in its thread, in the
        order made (``screens.writes``)."""
        self.unreported: dict[int, str] = {}
        """Writes that failed and were not shown yet (by number): printed once the app ends."""
        self.index_in_background = True
        """Build the filter's search index in a thread at start (the ``screenshot`` command
        turns it off when no ``/`` is pressed: the index is then built when first needed)."""
        self.keymap: Keymap = {}
        """The keys remapped by binding id (``set_keymap``), for the help screen."""
        self.start_pause: ExitStack | None = None
        """The cyclic collector's pause while the window starts (:func:`run`), ended at the
        first frame."""
        theme = state.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme

    def on_ready(self) -> None:
        # The first frame is painted: the start's objects (widgets, styles, the tree's nodes)
        # go to the collector's permanent generation, then start what only later keystrokes
        # need, and follow the library file.
        self.end_start_pause(freeze=True)
        main = self.main_screen
        main.call_after_refresh(main.prepare_filter)
        main.call_after_refresh(main.follow_the_file)
        self.warn_skipped()

    def end_start_pause(self, freeze: bool) -> None:
        """The collector back on after the start (:func:`run`); ``freeze``: what the start made
        goes to its permanent generation first, and the youngest generation is collected less
        often from then on (at the first frame; not when the start failed)."""
        pause, self.start_pause = self.start_pause, None
        if pause is not None:
            if freeze:
                gc.freeze()
                # A cursor move makes ~2,000 short-lived containers (Textual's strips and
                # their caches, the detail pane's rows): at Python's 700 the youngest
                # generation was walked ~3 times a move; at 10,000 once every few moves,
                # ~1 ms less CPU a move (bench_tui_scale, paced). What dies young is freed by
                # reference counting either way; only cycles wait a little longer.
                _, older, oldest = gc.get_threshold()
                gc.set_threshold(YOUNG_COLLECTED_AFTER, older, oldest)
            pause.close()

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
        """Quit, asking first when a note editor holds unsaved text; remember where we were.
        The changes still being written are written first (the app keeps answering)."""
        if not self.unsaved_note():
            self.save_and_exit()
            return
        from rlhf_reader.tui.screens.confirm import ConfirmDialog

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.save_and_exit()

        self.push_screen(
            ConfirmDialog("A note has unsaved changes. Quit and drop them?", yes="Quit", no="Stay"),
            answered,
        )

    def save_and_exit(self) -> None:
        """Save the view, then exit once every change is written."""
        self.save_state()
        try:
            writes = self.main_screen.writes
        except LookupError:
            self.exit()
            return
        writes.when_written(self.exit)

    def save_state(self) -> None:
        """Cursor, open sections and theme into the library's ``meta`` table (written after
        the changes before it, by the writer)."""
        try:
            main = self.main_screen  # its state also holds the export dialog's memory
            state = {**main.state, **main.current_state(), "theme": self.theme}
            main.writes.save_setting(STATE_NAME, state, "Could not save the view")
        except (LibraryError, OSError, ValueError, LookupError) as exc:
            self.notify(
                printable(f"Could not save the view: {exc}"), severity="error", markup=False
            )

    async def on_unmount(self) -> None:
        """The app ends without a terminal (tests, ``screenshot``): every change still being
        written is written first. In a terminal :func:`run` waits once the terminal is given
        back, saying so on stderr."""
        if self.is_headless:
            await asyncio.to_thread(self.writer.wait)

    def finish_writes(self) -> list[str]:
        """Once the app has ended: wait for the changes still being written (saying so on
        stderr when it takes a moment: another process may hold the lock); what failed
        without being shown."""
        if not self.writer.wait(0.5):
            n = self.writer.pending
            sys.stderr.write(
                f"rlhf-reader: saving {n} change{'' if n == 1 else 's'} to the library…\n"
            )
            self.writer.wait()
        failed, self.unreported = list(self.unreported.values()), {}
        return failed


def make_app(workspace: Workspace) -> ReaderApp:
    """The app over ``workspace`` (its list and library), with the view saved last time."""
    state = workspace.library.get_meta(STATE_NAME, {})
    return ReaderApp(workspace, state if isinstance(state, dict) else {})


def run(workspace: Workspace, start_pause: ExitStack | None = None, **run_options: Any) -> int:
    """Open the app in the terminal (``run_options`` go to ``App.run``, e.g. ``headless``).

    ``start_pause``: the cyclic collector's pause begun by the caller (the CLI, before it
    imported Textual), ended at the first frame; without one, it begins here."""
    app = make_app(workspace)
    # Until the first frame, no cyclic collector: the start makes 100,000s of objects that live
    # as long as the window (Textual's modules, styles and widgets, the tree's nodes, and the
    # list and the library loaded before), and walking them again and again was ~130 passes,
    # 20-35 ms of the bundled list's start (the bare Textual app's: 15-20 ms). At the first
    # frame (``on_ready``) they are frozen, as ``gcpause`` does: no later pass walks them, a
    # full one during a held key included. Reference counting frees them as always.
    if start_pause is None:
        start_pause = ExitStack()
        start_pause.enter_context(paused())
    app.start_pause = start_pause
    thresholds = gc.get_threshold()
    try:
        app.run(**run_options)
    finally:
        app.end_start_pause(freeze=False)  # no first frame (the start failed): back on
        start_pause.close()
        gc.set_threshold(*thresholds)
        failed = app.finish_writes()  # never a lost write, never a silent failure
        for message in failed:
            sys.stderr.write(f"rlhf-reader: error: {printable(message)}\n")
    return app.return_code or (1 if failed else 0)
