"""Messages between the main screen's parts: the widgets, the task bar and the workers.

Workers run in threads and never call into a screen: they post one of these (``post_message``
is thread-safe) and the screen handles it on the UI thread, where the library is written.
Widgets post theirs upward the same way. This module imports nothing but ``textual.message``,
so the screen can name every handler without importing the widgets that post them.

The dataclasses make an ``__init__`` only (``eq=False, repr=False``: messages are never
compared, and ``Message`` has its own repr): generating and compiling ``__eq__`` and
``__repr__`` for 29 classes took two thirds of the 30 ms this module cost at every start
(issue 17, the bundled list's time until idle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from rlhf_reader.library.records import Row
    from rlhf_reader.lists.listupdate import PlannedUpdate
    from rlhf_reader.sources.arxiv_meta import FetchReport
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace


# the filter bar ------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class FilterChanged(Message):
    """The filter's text changed (every keystroke)."""

    text: str


class FilterSubmitted(Message):
    """Enter in the filter: back to the tree, the filter stays."""


# background work -----------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class TaskProgress(Message):
    """``done`` of ``total`` steps of the running task (only the newest one matters);
    ``total`` None: not known; ``note``: shown beside the bar (``1.2 of 3.4 MB``)."""

    done: int
    total: int | None
    note: str = ""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TaskProgress)


@dataclass(eq=False, repr=False)
class SearchIndexBuilt(Message):
    """The filter's search index, built in a thread from ``snapshot`` (None: no index)."""

    index: Any
    snapshot: dict[str, Row]


@dataclass(eq=False, repr=False)
class MetadataArrived(Message):
    """A batch of arXiv records, by key, to be cached and shown (more may follow)."""

    records: dict[str, dict[str, Any]]


@dataclass(eq=False, repr=False)
class FetchFinished(Message):
    """The arXiv fetch for ``where`` is over (completed, failed in part, or cancelled)."""

    report: FetchReport
    where: str


@dataclass(eq=False, repr=False)
class PaperFetched(Message):
    """``a``: the paper's arXiv record, or None and ``problem`` saying why not."""

    arxiv_id: str
    record: dict[str, Any] | None
    problem: str = ""


@dataclass(eq=False, repr=False)
class ListFetched(Message):
    """``U``: the new version of the list, downloaded and compared; not saved yet."""

    plan: PlannedUpdate


@dataclass(eq=False, repr=False)
class ListFetchFailed(Message):
    """``U``: the download or the parse failed; nothing changed."""

    reason: str


@dataclass(eq=False, repr=False)
class PdfDownloaded(Message):
    """``d``/``O``: the paper's PDF is on disk at ``path`` (``downloaded``: just now);
    ``then_open``: open it next."""

    key: str
    path: Path
    size: int
    downloaded: bool
    then_open: bool = False


@dataclass(eq=False, repr=False)
class PdfFailed(Message):
    """``d``/``O``: no PDF was saved, and why (a refusal, an HTTP error, a timeout)."""

    key: str
    reason: str


@dataclass(eq=False, repr=False)
class PdfOpened(Message):
    """``O``: the viewer was started on ``path``, or ``problem`` says why not (with the path)."""

    path: Path
    problem: str | None


# from the background tasks to the screen ---------------------------------------------------


@dataclass(eq=False, repr=False)
class MetadataStored(Message):
    """arXiv records were cached in the library: show them."""

    records: dict[str, dict[str, Any]]


@dataclass(eq=False, repr=False)
class PdfsFound(Message):
    """The PDFs on disk (key → path): looked for in a thread once the screen is up, or
    one more after ``d``/``O``."""

    pdfs: dict[str, Path]


@dataclass(eq=False, repr=False)
class QueueChanged(Message):
    """The reading queue is now ``queue``; the cursor follows ``follow`` into the queue
    section when given (a move made there)."""

    queue: list[str]
    follow: str | None = None


@dataclass(eq=False, repr=False)
class WorkspaceChanged(Message):
    """A task changed the library or the list: show the files as they are now, the cursor on
    ``select`` (None: where it was); ``workspace``, when given, replaces the screen's one."""

    workspace: Workspace | None = None
    select: str | None = None


@dataclass(eq=False, repr=False)
class ExportWritten(Message):
    """``e``: ``count`` entries were written as ``fmt`` to ``path``."""

    path: Path
    count: int
    fmt: str


@dataclass(eq=False, repr=False)
class ExportDelivered(Message):
    """``e`` in a browser: the export was handed to it as a download."""

    notice: str


@dataclass(eq=False, repr=False)
class ExportFailed(Message):
    reason: str


@dataclass(eq=False, repr=False)
class CitationRendered(Message):
    """``C``: a CSL citation rendered in a thread, to be copied as ``what``."""

    text: str
    what: str


@dataclass(eq=False, repr=False)
class CitationFailed(Message):
    """``C``: no citation in the chosen style, and why (the whole notification)."""

    reason: str


@dataclass(eq=False, repr=False)
class Copied(Message):
    """A clipboard tool took ``text`` (``by_tool``), or only OSC 52 was sent."""

    text: str
    what: str
    by_tool: bool


# several lists (``L``, ``list:NAME``, the dashboard) -----------------------------------------


@dataclass(eq=False, repr=False)
class ListOpened(Message):
    """``L``: the chosen list (or every list) read in a thread; the screen goes on with
    ``workspace``, showing ``reading`` (built in the thread too, with the lists' keys)."""

    workspace: Workspace
    reading: ReadingList


@dataclass(eq=False, repr=False)
class ListOpenFailed(Message):
    """``L``: the chosen list could not be read; the screen stays on its list."""

    reason: str


@dataclass(eq=False, repr=False)
class ListKeysRead(Message):
    """Each registered list's keys (``list:NAME``) and where each key is listed ("Also
    in"), read in a thread for ``workspace``."""

    workspace: Workspace
    lists: dict[str, frozenset[str]]
    where: dict[str, list[tuple[str, tuple[str, ...]]]]


@dataclass(eq=False, repr=False)
class ListsCounted(Message):
    """Each registered list's progress and the progress over all of them (a
    ``lists.views.progress_by_list`` result), for the list chooser and the dashboard."""

    lists: list[Any]
    overall: Any
    problem: str = ""
    """Why nothing could be counted (the library could not be read…); "" when all went well."""


@dataclass(eq=False, repr=False)
class LinkOpened(Message):
    """``o`` in a terminal: the browser took ``url`` (``opened``), or ``problem`` says why
    none could (no browser found, it failed to start)."""

    url: str
    opened: bool
    problem: str = ""


# from the main screen's write part (``screens.writes``) and its way out (``screens.copy_open``)


@dataclass(eq=False, repr=False)
class AnnotationsChanged(Message):
    """The annotations of ``keys`` were written, or a change undone; the reading list holds
    them already: redraw their rows, the header and the detail pane."""

    keys: list[str]


@dataclass(eq=False, repr=False)
class NewMarksCleared(Message):
    """The new mark of ``keys`` is gone, in the library and the reading list; ``every``:
    ``N`` cleared them all (the tree is rebuilt: its "New since" section goes)."""

    keys: list[str]
    every: bool = False


@dataclass(eq=False, repr=False)
class PaperOpened(Message):
    """The reader opened the paper ``key`` (its link): it is no longer new."""

    key: str
