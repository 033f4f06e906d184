"""The main screen's writes: every change the reader makes to the library, and ``u`` undoing it.

``LibraryWrites`` is a hidden part the main screen composes beside its other parts. The
screen's ``action_*`` methods call it: read, reading, unread (space, ``i``), the saves of the
tags (``t``) and note (``n``) dialogs (a note saved over one another process wrote meanwhile
comes back as a conflict for the editor to show), a whole section (``m``, through
:meth:`LibraryWrites.store`), the new marks (enter, ``o``, ``N``) and undo (``u``).

Each write goes through the ``Workspace`` on the UI thread and, when it says what it did, into
this window's ``History`` (``rlhf_reader.undo``): one undo step per change. A failure is one
literal notification, never a traceback, and nothing is shown as changed. The reading list
(``host.reading``) takes the stored annotations at once, so the next key already sees the new
status; what the screen must redraw it learns from a message: ``AnnotationsChanged`` (the
rows, the header, the detail pane), ``QueueChanged`` (a paper marked read leaves the queue;
undone, it comes back) or ``NewMarksCleared``. The part reads the screen through ``Host``, its
public face, as the other parts do.
"""

from __future__ import annotations

from functools import cached_property, partial
from typing import TYPE_CHECKING, Protocol, cast

from rlhf_reader.library.store import LibraryError
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.tui import messages
from rlhf_reader.tui.screens.part import TaskPart
from rlhf_reader.workspace import NoteConflict, NoteSaved

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rlhf_reader.tags import TagEdit
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.undo import History
    from rlhf_reader.workspace import Workspace


class Host(Protocol):
    """What the part reads of the screen it lives on (all public)."""

    workspace: Workspace
    reading: ReadingList


class LibraryWrites(TaskPart):
    """Writes the reader's changes to the library, keeps them for ``u``, says what to redraw."""

    DEFAULT_CSS = "LibraryWrites { display: none; }"

    @cached_property
    def history(self) -> History:
        """This window's changes to the library, for ``u`` (``rlhf_reader.undo``, imported
        with the first change: its dataclasses cost every start a few ms)."""
        from rlhf_reader.undo import History

        return History()

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    # the one write path ----------------------------------------------------------------

    def store(
        self,
        key: str | Iterable[str],
        write: Callable[[], Annotation | list[Annotation]],
        what: str | None = None,
    ) -> str | None:
        """Run ``write`` on the library, then show its result; the error message otherwise.
        With ``what`` (it names the change in messages), ``u`` can undo it."""
        keys = [key] if isinstance(key, str) else list(key)
        if what is not None:
            write = partial(self.history.record, self.host.workspace.library, keys, write, what)
        try:
            result = write()
        except Exception as exc:  # never a traceback on the screen, even for a bug
            expected = isinstance(exc, (LibraryError, OSError, ValueError))
            message = (
                f"Not saved: {exc}" if expected else f"Not saved ({type(exc).__name__}): {exc}"
            )
            self.say(message, "error")
            return message
        self.took(keys, result if isinstance(result, list) else [result])
        return None

    def took(self, keys: list[str], annotations: Iterable[Annotation]) -> None:
        """Take ``annotations`` as stored (after a write or an undo); the screen redraws."""
        reading = self.host.reading
        for annotation in annotations:
            reading.update(annotation)
        self.post_message(messages.AnnotationsChanged(keys))
        queue = self.host.workspace.queue()  # marked read: off the queue; undone: back on it
        if [key for key in queue if key in reading.rows] != reading.queue:
            self.post_message(messages.QueueChanged(queue))

    # status, tags, note ----------------------------------------------------------------

    def set_status(self, entry: Entry, status: Status) -> None:
        what = f"«{short(entry.title)}» marked {status.value}"
        self.store(entry.key, lambda: self.host.workspace.set_status([entry.key], status), what)

    def toggle_read(self, entry: Entry) -> None:
        """Read, or unread when it is read already."""
        was = self.host.reading.status(entry.key)
        self.set_status(entry, Status.UNREAD if was is Status.READ else Status.READ)

    def edit_tags(self, entry: Entry) -> None:
        """The tags dialog for ``entry``; its save is one undoable change."""
        from rlhf_reader.tui.screens.tags import TagsDialog

        key, reading = entry.key, self.host.reading

        def save(edit: TagEdit) -> str | None:
            what = f"tags of «{short(entry.title)}» changed"
            return self.store(key, lambda: self.host.workspace.change_tags([key], edit), what)

        tags = reading.row(key).annotation.tags
        self.app.push_screen(TagsDialog(entry.title, tags, reading.tags_in_use(), save))

    def edit_note(self, entry: Entry) -> None:
        """The note editor for ``entry``; each save is one undoable change."""
        from rlhf_reader.tui.screens.note import NoteEditor

        key = entry.key

        def save(text: str, base: str) -> str | NoteConflict | None:
            """The note over ``base`` (what the editor loaded, or the other note after a
            conflict); a conflict when the file holds yet another note."""
            workspace = self.host.workspace
            outcome: list[NoteSaved | NoteConflict] = []

            def write() -> Annotation:
                result = workspace.save_note(key, text, base)
                outcome.append(result)
                if isinstance(result, NoteConflict):
                    return workspace.library.annotation(key)  # the note as the file has it
                return result.annotation

            error = self.store(key, write, f"note of «{short(entry.title)}» saved")
            if error is None and isinstance(outcome[0], NoteConflict):
                return outcome[0]
            return error

        note = self.host.reading.row(key).annotation.note
        keep_in = self.host.workspace.db_path.parent
        self.app.push_screen(NoteEditor(entry.title, note, save, key=key, keep_in=keep_in))

    # what's new ------------------------------------------------------------------------

    def seen(self, key: str) -> None:
        """The reader opened ``key``: clear its new mark (in the library first)."""
        reading = self.host.reading
        if key not in reading.new:
            return
        from rlhf_reader.lists.views import mark_seen

        try:
            mark_seen(self.host.workspace, [key])
        except (LibraryError, OSError, ValueError) as exc:
            self.say(f"Not saved: {exc}", "error")
            return
        reading.mark_seen([key])
        self.post_message(messages.NewMarksCleared([key]))

    def all_seen(self) -> None:
        """``N``: no entry is new any more."""
        from rlhf_reader.lists.views import mark_seen

        reading = self.host.reading
        if not reading.new:
            self.say("Nothing is marked new.")
            return
        try:
            cleared = mark_seen(self.host.workspace, None)
        except (LibraryError, OSError, ValueError) as exc:
            self.say(f"Not saved: {exc}", "error")
            return
        self.post_message(messages.NewMarksCleared(list(reading.mark_seen(None)), every=True))
        self.say(f"{cleared} entr{'y' if cleared == 1 else 'ies'} no longer marked new.")

    # u ---------------------------------------------------------------------------------

    def undo(self) -> None:
        """Undo this window's last change, as a change to the file as it is now."""
        try:
            done = self.history.undo(self.host.workspace.library)
        except Exception as exc:  # never a traceback on the screen, even for a bug
            self.say(f"Not undone ({type(exc).__name__}): {exc}", "error")
            return
        if done is None:
            self.say("Nothing to undo: no change made in this window yet.")
            return
        self.took([a.key for a in done.restored], done.restored)
        rows = self.host.reading.rows
        message = done.summary(lambda key: short(rows[key].entry.title) if key in rows else key)
        self.say(message, "information" if done.complete else "warning")


def short(title: str) -> str:
    """A title shortened for a message (``undo.short``)."""
    from rlhf_reader.undo import short

    return short(title)
