"""The main screen's writes: every change the reader makes to the library, and ``u`` undoing it.

``LibraryWrites`` is a hidden part the main screen composes beside its other parts. The
screen's ``action_*`` methods call it: read, reading, unread (space, ``i``), the saves of the
tags (``t``) and note (``n``) dialogs (a note saved over one another process wrote meanwhile
comes back as a conflict for the editor to show), a whole section (``m``), the reading queue
(``!``, ``ctrl+↑``/``ctrl+↓``), the new marks (enter, ``o``, ``N``), undo (``u``) and the
view saved on quit. Every one goes through :meth:`LibraryWrites.store`, the one write path.

The UI thread never writes the library (at 100,000 entries a write re-writes and fsyncs a
28 MB file: 0.25-0.45 s). ``store`` hands the write to the window's one writer
(``library.writer.SerialWriter``, owned by the app): the writes run in its thread one at a
time, in the order the keys were pressed. The screen shows the change at once: the reading
list (``host.reading``) takes the expected annotation (``Annotation.set_status``,
``TagEdit.apply``…) and the queue, and ``AnnotationsChanged`` / ``QueueChanged`` redraw the
rows, the header and the detail pane. The writer's acknowledgement (``messages.Written``)
brings the annotations as stored — another process may have written meanwhile — and the view
takes them, with the changes still queued after it applied on top. A failed write: one
literal notification, and the view goes back to what the file holds; the writes queued after
it still run, each a change to the file as it is then.

``u`` is one more job in the same queue, so it undoes the last change even when that one is
still waiting to be written; this window's ``History`` (``rlhf_reader.undo``) is only used in
the writer's thread. While writes are pending the screen does not re-read the file (the poll
waits: :attr:`LibraryWrites.busy`), so a re-read never shows a key's old status over the
change still queued. Quitting waits for the queue (:meth:`LibraryWrites.when_written`), and
says so when the writer waits for another process's lock.
"""

from __future__ import annotations

import dataclasses
import threading
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual import on

from rlhf_reader.library.store import LibraryError
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.tui import messages
from rlhf_reader.tui.screens.part import TaskPart
from rlhf_reader.workspace import NoteConflict, NoteSaved

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rlhf_reader.library.store import Library
    from rlhf_reader.library.writer import SerialWriter
    from rlhf_reader.tags import TagEdit
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.undo import History, Undone
    from rlhf_reader.workspace import Workspace


DRAW_WAIT = 0.25
"""Seconds a write waits at most for the screen to draw its expected change first."""


class Host(Protocol):
    """What the part reads of the screen it lives on (all public)."""

    workspace: Workspace
    reading: ReadingList

    @property
    def catalog_tree(self) -> CatalogTree: ...


class WriterApp(Protocol):
    """What the part reads of the app: the window's one writer and the failures not yet
    shown (what the app prints on stderr if the window closes first)."""

    writer: SerialWriter
    unreported: dict[int, str]


@dataclasses.dataclass(eq=False)
class Pending:
    """A write handed to the writer and not acknowledged yet."""

    keys: list[str]
    expect: Callable[[Annotation], None] | None
    """How each key's annotation is expected to change (shown at once, and again over each
    acknowledged annotation while this write is pending)."""
    queue: Callable[[list[str]], list[str]] | None
    """How the reading queue is expected to change."""
    then: Callable[[Any], object] | None
    """Called with the job's outcome once it is stored."""
    answer: Callable[[str | None, Any], None] | None
    """Called with the error message (None: stored) and the outcome, either way."""
    failed: Callable[[], None] | None
    """Puts back what the view changed beyond annotations and queue (the new marks)."""

    def __post_init__(self) -> None:
        self.key_set = frozenset(self.keys)  # (a section of 100,000: looked up per key)


class LibraryWrites(TaskPart):
    """Hands the reader's changes to the writer in order, shows them at once, keeps them for
    ``u``, takes the stored result when it comes back."""

    DEFAULT_CSS = "LibraryWrites { display: none; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.pending: dict[int, Pending] = {}
        """Writes handed to the writer, by number, oldest first (UI thread only)."""
        self._number = 0
        self._known: dict[str, Annotation] = {}
        """For each key a pending write changes: the annotation as the file last held it."""
        self._known_queue: list[str] | None = None
        self._when_written: list[Callable[[], object]] = []
        self._waiting_said = False

    @cached_property
    def history(self) -> History:
        """This window's changes to the library, for ``u`` (``rlhf_reader.undo``). Used in
        the writer's thread only."""
        from rlhf_reader.undo import History

        return History()

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    @property
    def busy(self) -> bool:
        """True while a write is not acknowledged yet (the screen does not re-read then)."""
        return bool(self.pending)

    # the one write path ----------------------------------------------------------------

    def store(
        self,
        keys: str | Iterable[str],
        write: Callable[[Library], Any],
        what: str | None = None,
        *,
        expect: Callable[[Annotation], None] | None = None,
        queue: Callable[[list[str]], list[str]] | None = None,
        then: Callable[[Any], object] | None = None,
        answer: Callable[[str | None, Any], None] | None = None,
        failed: Callable[[], None] | None = None,
        failure: str = "Not saved",
        expected: tuple[type[Exception], ...] = (),
    ) -> None:
        """Hand ``write(library)`` to the writer (after every write before it); show its
        ``expect``-ed change to ``keys`` and to the ``queue`` now. With ``what`` (it names
        the change in messages), ``u`` can undo it. ``then(outcome)`` runs once it is
        stored; ``answer(error, outcome)`` either way; a failure is one notification."""
        keys = [keys] if isinstance(keys, str) else list(dict.fromkeys(keys))
        self._number += 1
        number = self._number
        pending = Pending(keys, expect, queue, then, answer, failed)
        self.pending[number] = pending
        self._show_expected(pending)
        library = self.host.workspace.library
        run: Callable[[], Any] = partial(write, library)
        if what is not None:
            run = partial(self._recorded, library, keys, run, what)
        app = cast("WriterApp", self.app)
        drawn = threading.Event()  # the writer starts once the screen shows the change
        self.call_after_refresh(drawn.set)
        job = partial(
            self._job, number, drawn, library, keys, run, app.unreported, failure, expected
        )
        app.writer.submit(job)

    def _recorded(
        self, library: Library, keys: list[str], run: Callable[[], Any], what: str
    ) -> Any:
        return self.history.record(library, keys, run, what)  # (in the writer's thread)

    def _show_expected(self, pending: Pending) -> None:
        reading = self.host.reading
        if pending.expect is not None:
            for key in pending.keys:
                row = reading.rows.get(key)
                if row is None:
                    continue
                self._known.setdefault(key, row.annotation)
                shown = dataclasses.replace(row.annotation)
                pending.expect(shown)
                reading.update(shown)
            self.post_message(messages.AnnotationsChanged(pending.keys))
        if pending.queue is not None:
            if self._known_queue is None:
                self._known_queue = list(reading.queue)
            self._show_queue(pending.queue(list(reading.queue)))

    def _show_queue(self, queue: list[str]) -> None:
        reading = self.host.reading
        if [key for key in queue if key in reading.rows] != reading.queue:
            tree = self.host.catalog_tree
            follow = tree.current_entry.key if tree.in_queue and tree.current_entry else None
            self.post_message(messages.QueueChanged(queue, follow))

    def _job(
        self,
        number: int,
        drawn: threading.Event,
        library: Library,
        keys: list[str],
        run: Callable[[], Any],
        unreported: dict[int, str],
        failure: str,
        expected: tuple[type[Exception], ...],
    ) -> None:
        """In the writer's thread: the write, then what the file holds now for its keys.

        It starts once the screen has drawn the expected change (or after ``DRAW_WAIT`` at
        most: a screen that is gone sets nothing): the write's Python work would otherwise
        share the GIL with that redraw and make it twice as slow."""
        drawn.wait(DRAW_WAIT)
        library.on_lock_wait(partial(self._deliver, messages.WriteWaiting(str(library.path))))
        error: str | None = None
        outcome: Any = None
        try:
            try:
                outcome = run()
            except Exception as exc:  # never a traceback on the screen, even for a bug
                error = not_saved(exc, failure, expected)
                unreported[number] = error  # until the screen shows it
            restored = getattr(outcome, "restored", None)  # u: the keys of the step undone
            if restored is not None:
                keys = [annotation.key for annotation in restored]
            stored: list[Annotation] | None = []
            try:
                if keys:
                    found = library.annotations(keys)
                    stored = [found.get(key) or Annotation(key=key) for key in keys]
                queue: list[str] | None = library.queue()
            except Exception:  # the file cannot be read either: the view keeps what it knew
                stored = queue = None
        finally:
            library.on_lock_wait(None)
        self._deliver(messages.Written(number, keys, error, outcome, stored, queue))

    def _deliver(self, message: messages.Written | messages.WriteWaiting) -> None:
        """Post from the writer's thread (nothing, once the window is gone: a failure stays
        in ``unreported`` and is printed when the app has ended)."""
        try:
            self.post_message(message)
        except RuntimeError:  # the app's event loop is closed
            pass

    @on(messages.WriteWaiting)
    def _waiting(self, event: messages.WriteWaiting) -> None:
        event.stop()
        if not self._waiting_said:
            self._waiting_said = True
            self.say(
                f"Waiting for the library file: another rlhf-reader is writing it "
                f"({event.path}.lock). Your changes are shown and will be saved in order.",
                "warning",
            )

    @on(messages.Written)
    def _written(self, event: messages.Written) -> None:
        """The writer's acknowledgement: take what the file holds, the later pending changes
        shown on top of it."""
        event.stop()
        pending = self.pending.pop(event.number, None)
        if pending is None:
            return
        self._waiting_said = False
        if not self._when_written:  # (quitting: the app prints it on stderr once it ended)
            cast("WriterApp", self.app).unreported.pop(event.number, None)
        if event.error is not None:
            self.say(event.error, "error")
            if pending.failed is not None:
                pending.failed()
        stored = event.stored
        if stored is None and event.error is None and pending.expect is not None:
            # written, but the file could not be read back: the change as expected
            stored = []
            for key in pending.keys:
                if key in self._known:
                    expected = dataclasses.replace(self._known[key])
                    pending.expect(expected)
                    stored.append(expected)
        self._settle(event.keys, stored, event.queue)
        if event.error is None and pending.then is not None:
            pending.then(event.outcome)
        if pending.answer is not None:
            pending.answer(event.error, event.outcome)
        if not self.pending:
            waiting, self._when_written = self._when_written, []
            for callback in waiting:
                callback()

    def _settle(
        self, keys: list[str], stored: list[Annotation] | None, queue: list[str] | None
    ) -> None:
        reading, later = self.host.reading, list(self.pending.values())
        for annotation in stored or ():
            self._known[annotation.key] = annotation
        changed = []
        for key in keys:
            known = self._known.get(key)
            if known is None:
                continue
            shown = known
            touching = [p for p in later if p.expect is not None and key in p.key_set]
            for pending in touching:
                shown = dataclasses.replace(shown)
                pending.expect(shown)  # type: ignore[misc]
            row = reading.rows.get(key)
            if row is not None and row.annotation != shown:
                if seen_as(row.annotation) != seen_as(shown):  # (as expected: no redraw)
                    changed.append(key)
                reading.update(shown)
            if not touching:
                del self._known[key]
        if changed:
            self.post_message(messages.AnnotationsChanged(changed))
        if queue is not None:
            self._known_queue = queue
        if self._known_queue is not None:
            shown_queue = self._known_queue
            changes = [p.queue for p in later if p.queue is not None]
            for change in changes:
                shown_queue = expected_queue(change, shown_queue)
            self._show_queue(shown_queue)
            if not changes:
                self._known_queue = None

    def overlay(self, reading: ReadingList) -> bool:
        """A reading list built while writes are pending (a reload, another list): show the
        pending changes on it too. True when there were any: the screen re-reads the file
        once they are written."""
        if not self.pending:
            return False
        for key in list(self._known):
            row = reading.rows.get(key)
            if row is not None:
                self._known[key] = row.annotation
        self._settle(list(self._known), None, None)
        return True

    def when_written(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once every write handed in so far is acknowledged (now if none
        is pending); until then the reader is told that the changes are being saved."""
        if not self.pending:
            callback()
            return
        self._when_written.append(callback)
        n = len(self.pending)
        self.say(f"Saving {n} change{'' if n == 1 else 's'} to the library before quitting…")

    # status, tags, note ----------------------------------------------------------------

    def set_status(self, entry: Entry, status: Status) -> None:
        what = f"«{short(entry.title)}» marked {status.value}"
        self.set_statuses([entry.key], status, what)

    def set_statuses(
        self,
        keys: Iterable[str],
        status: Status,
        what: str,
        then: Callable[[Any], object] | None = None,
    ) -> None:
        """Mark ``keys`` ``status`` (one write, one undo step); marked read, they leave the
        queue."""
        from rlhf_reader.library.store import now_iso

        keys = list(keys)
        stamp = now_iso()
        gone = set(keys)
        self.store(
            keys,
            lambda library: library.set_status(keys, status),
            what,
            expect=lambda annotation: annotation.set_status(status, stamp),
            queue=(lambda queue: [k for k in queue if k not in gone])
            if status is Status.READ
            else None,
            then=then,
        )

    def toggle_read(self, entry: Entry) -> None:
        """Read, or unread when it is read already (as shown: a change still being written
        counts)."""
        was = self.host.reading.status(entry.key)
        self.set_status(entry, Status.UNREAD if was is Status.READ else Status.READ)

    def edit_tags(self, entry: Entry) -> None:
        """The tags dialog for ``entry``; its save is one undoable change."""
        from rlhf_reader.tui.screens.tags import TagsDialog

        key, reading = entry.key, self.host.reading

        def save(edit: TagEdit) -> str | None:
            what = f"tags of «{short(entry.title)}» changed"

            def expect(annotation: Annotation) -> None:
                annotation.tags = edit.apply(annotation.tags)

            self.store(key, lambda library: library.change_tags([key], edit), what, expect=expect)
            return None

        tags = reading.row(key).annotation.tags
        self.app.push_screen(TagsDialog(entry.title, tags, reading.tags_in_use(), save))

    def edit_note(self, entry: Entry) -> None:
        """The note editor for ``entry``; each save is one undoable change. The editor waits
        for the writer's answer (saved, an error, or a conflict to resolve)."""
        from rlhf_reader.tui.screens.note import NoteEditor

        key = entry.key
        workspace = self.host.workspace

        def save(text: str, base: str, answer: Callable[[str | NoteConflict | None], None]) -> None:
            """The note over ``base`` (what the editor loaded, or the other note after a
            conflict); a conflict when the file holds yet another note."""

            def write(library: Library) -> NoteSaved | NoteConflict:
                return workspace.save_note(key, text, base)

            def expect(annotation: Annotation) -> None:
                annotation.note = text

            def answered(error: str | None, outcome: Any) -> None:
                conflict = outcome if isinstance(outcome, NoteConflict) else None
                answer(error if error is not None else conflict)

            what = f"note of «{short(entry.title)}» saved"
            self.store(key, write, what, expect=expect, answer=answered)

        note = self.host.reading.row(key).annotation.note
        keep_in = workspace.db_path.parent
        self.app.push_screen(NoteEditor(entry.title, note, save, key=key, keep_in=keep_in))

    # the reading queue -----------------------------------------------------------------

    def toggle_queue(self, entry: Entry) -> None:
        """``!``: put the paper on the queue (at the bottom) or take it off."""
        from rlhf_reader.library import queue

        key = entry.key

        def write(library: Library) -> list[str]:
            return library.change_queue(lambda q: queue.toggle(q, key))

        def then(now: list[str]) -> None:
            if key in now:
                self.say(f"Queued ({len(now)} on the reading queue): {entry.title}")
            else:
                self.say(f"Off the reading queue: {entry.title}")

        self.store([], write, queue=lambda q: queue.toggle(q, key), then=then)

    def move_in_queue(self, entry: Entry, where: str) -> None:
        """``ctrl+↑``/``ctrl+↓``: move the paper up or down in the queue."""
        from rlhf_reader.library import queue

        key = entry.key
        if key not in self.host.reading.queue:
            self.say("This paper is not on the reading queue (! puts it there).", "warning")
            return

        def write(library: Library) -> str | None:
            try:
                library.change_queue(lambda q: queue.move(q, key, where))
            except queue.QueueError as exc:  # taken off meanwhile, by another window or the CLI
                return str(exc)
            return None

        def then(problem: str | None) -> None:
            if problem:
                self.say(problem, "warning")

        self.store([], write, queue=lambda q: queue.move(q, key, where), then=then)

    # what's new ------------------------------------------------------------------------

    def seen(self, key: str) -> None:
        """The reader opened ``key``: clear its new mark (shown at once, written in order)."""
        reading = self.host.reading
        if key not in reading.new:
            return
        from rlhf_reader.lists.views import mark_seen

        was = {key: reading.new[key]}
        reading.mark_seen([key])
        self.post_message(messages.NewMarksCleared([key]))
        workspace = self.host.workspace
        self.store(
            [], lambda library: mark_seen(workspace, [key]), failed=partial(self._unseen, was)
        )

    def all_seen(self) -> None:
        """``N``: no entry is new any more."""
        from rlhf_reader.lists.views import mark_seen

        reading = self.host.reading
        if not reading.new:
            self.say("Nothing is marked new.")
            return
        was = dict(reading.new)
        self.post_message(messages.NewMarksCleared(list(reading.mark_seen(None)), every=True))
        workspace = self.host.workspace

        def then(cleared: int) -> None:
            self.say(f"{cleared} entr{'y' if cleared == 1 else 'ies'} no longer marked new.")

        self.store(
            [],
            lambda library: mark_seen(workspace, None),
            then=then,
            failed=partial(self._unseen, was),
        )

    def _unseen(self, was: dict[str, str]) -> None:
        """A new mark that could not be cleared in the file comes back."""
        self.host.reading.mark_new(was)
        self.post_message(messages.NewMarksCleared(list(was), every=len(was) > 1))

    # the view, saved on quit -----------------------------------------------------------

    def save_setting(self, name: str, value: Any, failure: str = "Not saved") -> None:
        """A setting (the view saved on quit) written after every change before it."""
        self.store([], lambda library: library.set_meta(name, value), failure=failure)

    # u ---------------------------------------------------------------------------------

    def undo(self) -> None:
        """Undo this window's last change (after the changes still being written), as a
        change to the file as it is then."""

        def write(library: Library) -> Undone | None:
            return self.history.undo(library)  # (in the writer's thread)

        def answered(error: str | None, done: Undone | None) -> None:
            if error is not None:
                return  # said already ("Not undone: …")
            if done is None:
                self.say("Nothing to undo: no change made in this window yet.")
                return
            rows = self.host.reading.rows
            summary = done.summary(lambda key: short(rows[key].entry.title) if key in rows else key)
            self.say(summary, "information" if done.complete else "warning")

        self.store([], write, answer=answered, failure="Not undone")


def seen_as(annotation: Annotation) -> tuple[object, ...]:
    """What the rows, the header and the detail pane show of an annotation (not the times
    it was created and updated)."""
    return (annotation.status, annotation.read_at, annotation.tags, annotation.note)


def not_saved(
    exc: Exception, failure: str = "Not saved", expected: tuple[type[Exception], ...] = ()
) -> str:
    """The one line a failed write shows (an unexpected error names its type: a bug)."""
    if isinstance(exc, (LibraryError, OSError, ValueError, *expected)):
        return f"{failure}: {exc}"
    return f"{failure} ({type(exc).__name__}): {exc}"


def expected_queue(change: Callable[[list[str]], list[str]], queue: list[str]) -> list[str]:
    """``queue`` after ``change`` as the view expects it; unchanged when the change does not
    apply to it (a move of a key another process took off)."""
    try:
        return change(list(queue))
    except ValueError:
        return queue


def short(title: str) -> str:
    """A title shortened for a message (``undo.short``)."""
    from rlhf_reader.undo import short

    return short(title)
