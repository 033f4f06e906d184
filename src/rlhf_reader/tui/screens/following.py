"""The main screen in step with the files: what is read in threads once the screen is up, and
a look at the library file every second.

``Following`` is a hidden part the main screen composes beside its other parts. Once the first
frame is painted (``ReaderApp.on_ready``), and again after each reload, :meth:`Following.read`
starts three thread workers: the filter's search index (so ``/`` is instant; until it is
installed, the first filter builds it itself), the PDFs on disk (the ``⤓`` marks) and each
registered list's keys (``list:NAME``, "Also in"). Their messages: ``SearchIndexBuilt`` is
installed here, when it is still the index of the list shown; ``PdfsFound`` and
``ListKeysRead`` bubble up to the screen, which redraws.

:meth:`Following.look` (the screen's ``poll``, every second) is one ``stat`` of the library
file: another process's change (the CLI, a second window, an import) is read, the workspace
rebuilt and the view made of it in the window's writer thread (after the writes handed in
before; the UI thread goes on), and the screen shows it (``Reread``), with the search index
of the view before caught up rather than built again; a file that cannot be read any more
is said once, not every second. :meth:`Following.show_again` does the same when this
window's own task changed the list or the library (an addition, a list update): the view is
made again in the writer's thread, and the screen shows it with the cursor where it asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual import on

from rlhf_reader.library.store import LibraryError
from rlhf_reader.tui import messages, tasks
from rlhf_reader.tui.screens.part import TaskPart

if TYPE_CHECKING:
    from rlhf_reader.tui.screens.writes import WriterApp
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace


@dataclass(frozen=True)
class Task:
    """What this window's task asks of the view made again (see ``Following.show_again``)."""

    select: str | None
    """The key the cursor goes to (None: it stays where it is)."""
    list_changed: bool
    """The list file was replaced: read it again."""


class Host(Protocol):
    """What the part reads of the screen it lives on (all public)."""

    workspace: Workspace
    reading: ReadingList


class Following(TaskPart):
    """Starts the readers of the files; notices another process's changes to the library."""

    DEFAULT_CSS = "Following { display: none; }"

    def __init__(self, generation: int, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.generation = generation
        """The library file as last shown: another process's change makes it move."""
        self.problem = ""
        """Why the file could not be followed, as last said ("": it could)."""
        self.reading_again = False
        """The file is being read again in the writer's thread (``Reread`` comes next)."""

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    def read(self, index: bool = True) -> None:
        """Build the search index (``index``), look for the PDFs, read the lists' keys (in
        threads)."""
        workspace, rows = self.host.workspace, self.host.reading.rows
        if index and getattr(self.app, "index_in_background", True):
            # A description, or Textual makes one with repr(work): every row, 0.2 s for 10k.
            work = partial(tasks.build_search_index, self.post_message, dict(rows), rows)
            self.run_worker(
                work, thread=True, group="search-index", description="index", exit_on_error=False
            )
        find = partial(tasks.find_pdfs, self.post_message, workspace, list(rows))
        self.run_worker(
            find, thread=True, group="pdf-marks", description="pdf marks", exit_on_error=False
        )
        keys = partial(tasks.read_list_keys, self.post_message, workspace)  # for list:NAME
        self.run_worker(
            keys, thread=True, group="list-keys", description="list keys", exit_on_error=False
        )

    @on(messages.SearchIndexBuilt)
    def _index_built(self, event: messages.SearchIndexBuilt) -> None:
        event.stop()
        reading = self.host.reading
        # Only for the reading it was built for: one shown since (another process wrote,
        # the list changed) was given an index of its own, or is having one built; catching
        # this one up with its 100,000 new rows would take seconds of the UI thread.
        if event.rows is reading.rows:
            reading.install_index(event.index, event.snapshot)

    def look(self) -> bool:
        """When another process changed the library file since it was last shown (one
        ``stat`` here), read it again and make the view of it in the writer's thread, after
        the writes handed in before (``messages.Reread``, which the screen shows). True when
        that began. A failure to read the file is said once."""
        if self.reading_again:
            return False
        workspace = self.host.workspace
        try:
            library = workspace.library
            if library.generation == self.generation and not library.changed_on_disk():
                return False
        except (LibraryError, OSError) as exc:
            self._cannot_follow(str(exc))
            return False
        was = self.host.reading
        was.track_changes()  # (rows the screen changes meanwhile: see ReadingList.adopt_index)
        self.reading_again = True
        job = partial(self._read_again, workspace, was, self.generation)
        cast("WriterApp", self.app).writer.submit(job)
        return True

    def show_again(self, select: str | None = None, list_changed: bool = False) -> None:
        """This window's task changed the library or the list (``list_changed``: the list
        file was replaced): the view is made again in the writer's thread, after the writes
        handed in before, and shown with the cursor on ``select`` (``messages.Reread``)."""
        was = self.host.reading
        was.track_changes()
        self.reading_again = True
        job = partial(
            self._read_again,
            self.host.workspace,
            was,
            self.generation,
            task=Task(select, list_changed),
        )
        cast("WriterApp", self.app).writer.submit(job)

    def _read_again(
        self, workspace: Workspace, was: ReadingList, shown: int, task: Task | None = None
    ) -> None:
        """In the writer's thread: the file read again and the view made of it — at 100,000
        entries 1-2 s that the UI thread would otherwise stand still for. After a ``task``
        of this window, always; otherwise when the file's bytes changed."""
        from rlhf_reader.tui.state import ReadingList

        reading: ReadingList | None = None
        changed: list[str] | None = None
        problem = ""
        generation = -1
        try:
            library = workspace.library
            # The bytes shown, if nothing was read since: a stat that moved without them
            # changing (another process's write makes its backup a hard link of the file
            # first, which changes its ctime) needs no new view.
            shown_content = library.known_content if library.generation == shown else None
            if task is not None and task.list_changed:
                workspace.reload_list()
            workspace.poll()
            generation = library.generation
            same = shown_content is not None and library.known_content == shown_content
            if task is not None or (generation != shown and not same):
                workspace.rebuild()
                reading = ReadingList.of(workspace, was.lists)
                changed = reading.changed_since(was)
        except (LibraryError, OSError) as exc:
            problem = str(exc)
        except Exception as exc:  # a bug must not stop the writer's later jobs, nor go unsaid
            problem = f"{type(exc).__name__}: {exc}"
        select, keep_scroll = (task.select, False) if task is not None else (None, True)
        reread = messages.Reread(
            workspace, reading, changed, problem, generation, select, keep_scroll, was
        )
        try:
            self.post_message(reread)
        except RuntimeError:  # the app's event loop is closed: nothing to show it on
            pass

    @on(messages.Reread)
    def _reread(self, event: messages.Reread) -> None:
        """Passed on to the screen when there is something to show, of the list shown."""
        self.reading_again = False
        if event.workspace is not self.host.workspace:  # another list is shown since
            event.stop()
        elif event.problem:
            event.stop()
            self._cannot_follow(event.problem)
        else:
            self.problem = ""
            if event.reading is None:  # the same bytes: what is shown holds
                self.generation = max(self.generation, event.generation)
                event.stop()

    def _cannot_follow(self, reason: str) -> None:
        message = f"Not following the library file: {reason}"
        if message != self.problem:  # once, not every second
            self.problem = message
            self.say(message, "error")
