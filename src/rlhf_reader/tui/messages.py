"""Messages between the main screen's parts: the widgets, the task bar and the workers.

Workers run in threads and never call into a screen: they post one of these (``post_message``
is thread-safe) and the screen handles it on the UI thread; the library is written by the
window's writer thread, which acknowledges each write with ``Written``.
Widgets post theirs upward the same way. This module imports nothing but ``textual.message``
and the pure ``valueclass``, so the screen can name every handler without importing the
widgets that post them.

A message's fields are its annotations (:class:`Carrying`): the ``__init__`` is written once,
not generated per class as ``@dataclass`` does — generating and compiling one for each of these
29 classes cost about 22 million instructions (~14 ms) at every start (issue 17, the bundled
list's time until idle).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.message import Message

from rlhf_reader.valueclass import bind, dataclass_transform, own_fields

if TYPE_CHECKING:
    from rlhf_reader.library.records import Row
    from rlhf_reader.lists.listupdate import PlannedUpdate
    from rlhf_reader.sources.arxiv_meta import FetchReport
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace


@dataclass_transform()
class Carrying(Message):
    """A message with fields: the annotations of its class body, set by ``__init__`` from
    positional or keyword arguments (defaults as written), then ``Message.__init__``."""

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields, cls._defaults = own_fields(cls.__dict__)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if kwargs or len(args) != len(cls._fields):
            args = bind(cls.__qualname__, cls._fields, cls._defaults, args, kwargs)
        for name, value in zip(cls._fields, args, strict=True):
            setattr(self, name, value)
        super().__init__()


# the filter bar ------------------------------------------------------------------------------


class FilterChanged(Carrying):
    """The filter's text changed (every keystroke)."""

    text: str


class FilterSubmitted(Message):
    """Enter in the filter: back to the tree, the filter stays."""


# background work -----------------------------------------------------------------------------


class TaskProgress(Carrying):
    """``done`` of ``total`` steps of the running task (only the newest one matters);
    ``total`` None: not known; ``note``: shown beside the bar (``1.2 of 3.4 MB``)."""

    done: int
    total: int | None
    note: str = ""
    label: str = ""
    """What the task is, when it is known better than at its start ("": as it was)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TaskProgress) and not message.label


class SearchIndexBuilt(Carrying):
    """The filter's search index, built in a thread from ``snapshot`` (None: no index) of
    ``rows``, the rows of the reading it is for (a reading shown since has rows of its own:
    the index is not for it)."""

    index: Any
    snapshot: dict[str, Row]
    rows: dict[str, Row]


class Reread(Carrying):
    """The library file of ``workspace`` read again (in the writer's thread) after another
    process changed it, or this window's task did (``Following.show_again``): the view of
    the workspace as it is now, and the keys whose rows differ from those of the view shown
    when the reading began (None: not the same keys; ``reading`` None: nothing to show, or
    ``problem``: why the file could not be read)."""

    workspace: Workspace
    reading: ReadingList | None
    changed: list[str] | None
    problem: str = ""
    generation: int = -1
    """The library's generation once read (when ``reading`` is None: what is shown holds)."""
    select: str | None = None
    """Where the cursor goes (None: where it is)."""
    keep_scroll: bool = True
    """The rows stay where they were on the screen (else the cursor's row is centred)."""
    was: ReadingList | None = None
    """The view ``changed`` was counted against (the one shown when the reading began)."""


class MetadataArrived(Carrying):
    """A batch of arXiv records, by key, to be cached and shown (more may follow)."""

    records: dict[str, dict[str, Any]]


class FetchFinished(Carrying):
    """The arXiv fetch for ``where`` is over (completed, failed in part, or cancelled);
    ``asked``: how many ids it asked arXiv for (0: all were cached already)."""

    report: FetchReport
    where: str
    asked: int = -1


class PaperFetched(Carrying):
    """``a``: the paper's arXiv record, or None and ``problem`` saying why not."""

    arxiv_id: str
    record: dict[str, Any] | None
    problem: str = ""


class ListFetched(Carrying):
    """``U``: the new version of the list, downloaded and compared; not saved yet."""

    plan: PlannedUpdate


class ListFetchFailed(Carrying):
    """``U``: the download or the parse failed; nothing changed."""

    reason: str


class PdfDownloaded(Carrying):
    """``d``/``O``: the paper's PDF is on disk at ``path`` (``downloaded``: just now);
    ``then_open``: open it next."""

    key: str
    path: Path
    size: int
    downloaded: bool
    then_open: bool = False


class PdfFailed(Carrying):
    """``d``/``O``: no PDF was saved, and why (a refusal, an HTTP error, a timeout)."""

    key: str
    reason: str


class PdfOpened(Carrying):
    """``O``: the viewer was started on ``path``, or ``problem`` says why not (with the path)."""

    path: Path
    problem: str | None


# from the background tasks to the screen ---------------------------------------------------


class MetadataStored(Carrying):
    """arXiv records were cached in the library: show them."""

    records: dict[str, dict[str, Any]]


class PdfsFound(Carrying):
    """The PDFs on disk (key → path): looked for in a thread once the screen is up, or
    one more after ``d``/``O``."""

    pdfs: dict[str, Path]


class QueueChanged(Carrying):
    """The reading queue is now ``queue``; the cursor follows ``follow`` into the queue
    section when given (a move made there)."""

    queue: list[str]
    follow: str | None = None


class WorkspaceChanged(Carrying):
    """A task changed the library or the list: show the files as they are now (read again
    in the writer's thread), the cursor on ``select`` (None: where it was); ``workspace``,
    when given, replaces the screen's one."""

    workspace: Workspace | None = None
    select: str | None = None
    list_changed: bool = False
    """The list file was replaced (an update): it is read again."""


class ExportWritten(Carrying):
    """``e``: ``count`` entries were written as ``fmt`` to ``path``."""

    path: Path
    count: int
    fmt: str


class ExportDelivered(Carrying):
    """``e`` in a browser: the export was handed to it as a download."""

    notice: str


class ExportFailed(Carrying):
    reason: str


class CitationRendered(Carrying):
    """``C``: a CSL citation rendered in a thread, to be copied as ``what``."""

    text: str
    what: str


class CitationFailed(Carrying):
    """``C``: no citation in the chosen style, and why (the whole notification)."""

    reason: str


class Copied(Carrying):
    """A clipboard tool took ``text`` (``by_tool``), or only OSC 52 was sent."""

    text: str
    what: str
    by_tool: bool


# several lists (``L``, ``list:NAME``, the dashboard) -----------------------------------------


class ListOpened(Carrying):
    """``L``: the chosen list (or every list) read in a thread; the screen goes on with
    ``workspace``, showing ``reading`` (built in the thread too, with the lists' keys)."""

    workspace: Workspace
    reading: ReadingList


class ListOpenFailed(Carrying):
    """``L``: the chosen list could not be read; the screen stays on its list."""

    reason: str


class ListKeysRead(Carrying):
    """Each registered list's keys (``list:NAME``) and where each key is listed ("Also
    in"), read in a thread for ``workspace``."""

    workspace: Workspace
    lists: dict[str, frozenset[str]]
    where: dict[str, list[tuple[str, tuple[str, ...]]]]


class ProgressCounted(Carrying):
    """``p``: the list on screen counted in a thread (a ``screens.dashboard.Progress``), for
    the dashboard to open with; ``problem`` says why it could not be counted."""

    progress: Any
    problem: str = ""


class ListsCounted(Carrying):
    """Each registered list's progress and the progress over all of them (a
    ``lists.views.progress_by_list`` result), for the list chooser and the dashboard."""

    lists: list[Any]
    overall: Any
    problem: str = ""
    """Why nothing could be counted (the library could not be read…); "" when all went well."""


class LinkOpened(Carrying):
    """``o`` in a terminal: the browser took ``url`` (``opened``), or ``problem`` says why
    none could (no browser found, it failed to start)."""

    url: str
    opened: bool
    problem: str = ""


# from the main screen's write part (``screens.writes``) and its way out (``screens.copy_open``)


class AnnotationsChanged(Carrying):
    """The annotations of ``keys`` were written, or a change undone; the reading list holds
    them already: redraw their rows, the header and the detail pane."""

    keys: list[str]


class Written(Carrying):
    """The writer's acknowledgement of write ``number`` (``screens.writes``): ``error`` None
    when it was stored, else the one line to show; ``outcome`` what the write returned;
    ``stored`` the annotations of ``keys`` and ``queue`` the reading queue as the file held
    them just after (None: the file could not be read)."""

    number: int
    keys: list[str]
    error: str | None
    outcome: Any
    stored: list[Any] | None
    queue: list[str] | None


class WriteWaiting(Carrying):
    """The writer waits for the library's lock, held by another process (the library at
    ``path``)."""

    path: str


class NewMarksCleared(Carrying):
    """The new mark of ``keys`` is gone, in the library and the reading list; ``every``:
    ``N`` cleared them all (the tree is rebuilt: its "New since" section goes)."""

    keys: list[str]
    every: bool = False


class PaperOpened(Carrying):
    """The reader opened the paper ``key`` (its link): it is no longer new."""

    key: str
