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
file: another process's change (the CLI, a second window, an import) rebuilds the workspace
and the screen shows it; a file that cannot be read any more is said once, not every second.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual import on

from rlhf_reader.library.store import LibraryError
from rlhf_reader.tui import messages, tasks
from rlhf_reader.tui.screens.part import TaskPart

if TYPE_CHECKING:
    from collections.abc import Callable

    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace


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

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    def read(self) -> None:
        """Build the search index, look for the PDFs, read the lists' keys (in threads)."""
        workspace, rows = self.host.workspace, self.host.reading.rows
        if getattr(self.app, "index_in_background", True):
            # A description, or Textual makes one with repr(work): every row, 0.2 s for 10k.
            work = partial(tasks.build_search_index, self.post_message, dict(rows))
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
        if event.snapshot.keys() == reading.rows.keys():  # not one of a list since gone
            reading.install_index(event.index, event.snapshot)

    def look(self, show: Callable[[], None]) -> bool:
        """Call ``show`` when another process changed the library file since it was last
        shown (the workspace rebuilt to match: an addition or an update elsewhere); True if
        it did. A failure to read the file is said once."""
        workspace = self.host.workspace
        try:
            workspace.poll()
            if workspace.library.generation == self.generation:
                return False
            workspace.rebuild()
            show()
        except (LibraryError, OSError) as exc:
            message = f"Not following the library file: {exc}"
            if message != self.problem:  # once, not every second
                self.problem = message
                self.say(message, "error")
            return False
        self.problem = ""
        return True
