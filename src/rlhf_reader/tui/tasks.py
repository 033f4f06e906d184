"""The thread side of the main screen's background work; no screen or widget is touched here.

Each function runs in a Textual thread worker (started by the ``TaskBar``, or by the screen
for the quiet ones: the search index and the clipboard) and reports by posting a message
from ``tui.messages`` through ``post`` (a widget's thread-safe ``post_message``). The library
is never written here: when the message arrives, the screen hands the write to the window's
writer (``screens.writes``).
A cancelled worker posts nothing more.

The helpers at the end decide what a key means where the cursor is (no Textual either).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual.worker import get_current_worker

from rlhf_reader.tui import messages

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message

    from rlhf_reader.library.records import Row
    from rlhf_reader.library.store import Library
    from rlhf_reader.model import Catalog, Entry, Section
    from rlhf_reader.sources.pdf import Downloader
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace

T = TypeVar("T")
Post = Callable[["Message"], object]


class Abandoned(Exception):
    """The worker was cancelled while its call (network, a long build) was still running."""


def abandonable(call: Callable[[], T]) -> T:
    """Run a blocking network ``call`` (or a long computation) from a thread worker, so
    that cancelling the worker (esc, or quitting the app) returns at once.

    The call runs in a daemon thread; this waits for it while the current worker is not
    cancelled. A cancelled worker abandons it (raising ``Abandoned``): the thread ends at
    its next cancel check or request timeout, and being a daemon it never holds up the
    exit (a worker thread blocked in a 30 s HTTP read would).
    """
    worker = get_current_worker()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the worker below
            box["error"] = exc

    thread = threading.Thread(target=target, name="rlhf-reader-network", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        if worker.is_cancelled:
            raise Abandoned
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


def _poster(post: Post) -> Callable[[Message], None]:
    """``post``, but nothing once the current worker is cancelled."""
    worker = get_current_worker()

    def send(message: Message) -> None:
        if not worker.is_cancelled:
            post(message)

    return send


# the workers ---------------------------------------------------------------------------------


def build_search_index(post: Post, snapshot: dict[str, Row], rows: dict[str, Row]) -> None:
    """The filter's index over ``snapshot`` (of ``rows``), so that ``/`` answers at once.
    Abandoned when the worker is cancelled: quitting in the first seconds at 100,000 entries
    (or a ``screenshot``) waited for the build to finish (6-9 s)."""
    from rlhf_reader.tui.state import ReadingList

    try:
        index = abandonable(lambda: ReadingList.build_index(snapshot))
    except Abandoned:
        return
    post(messages.SearchIndexBuilt(index, snapshot, rows))


def find_pdfs(post: Post, workspace: Workspace, keys: list[str]) -> None:
    """The PDFs on disk, for the tree's marks and ``has:pdf``."""
    from rlhf_reader.tui.state import ReadingList

    post(messages.PdfsFound(ReadingList.find_pdfs(workspace, keys)))


def read_list_keys(post: Post, workspace: Workspace) -> None:
    """Each registered list's keys, for ``list:NAME`` in the filter, and where each paper is
    listed, for the detail pane's "Also in"."""
    from rlhf_reader.lists.views import keys_by_list, listings_by_key

    post(messages.ListKeysRead(workspace, keys_by_list(workspace), listings_by_key(workspace)))


def copy_with_tool(post: Post, text: str, what: str) -> None:
    """Hand ``text`` to a clipboard tool (xclip, wl-copy, pbcopy… may take a while)."""
    from rlhf_reader import clipboard

    post(messages.Copied(text, what, clipboard.try_pyperclip(text)))


def fetch_arxiv(post: Post, library: Library, ids: list[str], force: bool, where: str) -> None:
    """``f``: the ids not cached yet (all with ``force``) asked of arXiv in batches (each
    batch posted as it comes), then the report. At 100,000 ids the planning alone is a
    tenth of a second: here, not on the UI thread."""
    from rlhf_reader.sources.arxiv_meta import FetchReport, fetch_metadata, plan_fetch

    worker = get_current_worker()
    send = _poster(post)
    to_fetch, cached = plan_fetch(ids, library.metadata_keys(), force=force)
    if not to_fetch:
        post(messages.FetchFinished(FetchReport(cached=cached), where, asked=0))
        return
    send(messages.TaskProgress(0, len(to_fetch), label=f"Fetching {len(to_fetch)} from arXiv"))
    try:
        report = abandonable(
            lambda: fetch_metadata(
                to_fetch,
                progress=lambda done, total: send(messages.TaskProgress(done, total)),
                should_cancel=lambda: worker.is_cancelled,
                on_records=lambda records: send(messages.MetadataArrived(dict(records))),
            )
        )
    except Abandoned:
        return
    report.cached.extend(cached)
    post(messages.FetchFinished(report, where, len(to_fetch)))  # cancelled too: what arrived


def fetch_paper(post: Post, arxiv_id: str) -> None:
    """``a``: the record of the paper to add, or why there is none."""
    from rlhf_reader.sources.arxiv_meta import fetch_metadata

    worker = get_current_worker()
    try:
        report = abandonable(
            lambda: fetch_metadata([arxiv_id], should_cancel=lambda: worker.is_cancelled)
        )
    except Abandoned:
        return
    if worker.is_cancelled or report.cancelled:
        return
    record = report.records.get(arxiv_id)
    if record is not None:
        problem = ""
    elif arxiv_id in report.not_found:
        problem = f"{arxiv_id}: not found on arXiv; nothing added"
    else:
        reason = report.failed.get(arxiv_id) or "; ".join(report.messages) or "no answer"
        problem = f"{arxiv_id}: not added: {reason}"
    post(messages.PaperFetched(arxiv_id, record, problem))


def fetch_list(post: Post, origin: str, old: Catalog, target: Path, explicit: bool) -> None:
    """``U``: download and compare the newest list (saving it is the screen's job)."""
    from rlhf_reader.lists.listupdate import UpdateError, prepare

    send = _poster(post)
    try:
        plan = abandonable(lambda: prepare(origin, old, target, keep_backup=explicit))
    except Abandoned:
        return
    except UpdateError as exc:
        send(messages.ListFetchFailed(str(exc)))
        return
    send(messages.ListFetched(plan))


def size_note(done: int, total: int | None) -> str:
    """``1.2 of 3.4 MB`` (or ``1.2 MB`` when the size is not known): the task bar's note."""
    if total:
        return f"{done / 1e6:.1f} of {total / 1e6:.1f} MB"
    return f"{done / 1e6:.1f} MB"


def download_pdf(post: Post, downloader: Downloader, entry: Entry, then_open: bool) -> None:
    """``d`` (``O`` when the PDF is missing): the paper's PDF into ``pdfs/``, with progress.

    Cancelling the worker (esc, quitting) abandons the request at once and closes its
    connection, so a stalled read ends too; the downloader removes its temp file then, and
    nothing is saved under the PDF's name. A cancelled download posts nothing.
    """
    from rlhf_reader.sources.pdf import Cancel, PdfError

    worker = get_current_worker()
    send = _poster(post)
    cancel = Cancel(check=lambda: worker.is_cancelled)

    def progress(done: int, total: int | None) -> None:
        send(messages.TaskProgress(done, total, size_note(done, total)))

    try:
        result = abandonable(lambda: downloader.download(entry, progress=progress, cancel=cancel))
    except Abandoned:
        cancel.cancel()  # wakes a blocked read: the request ends and drops its temp file
        return
    except PdfError as exc:  # Cancelled too: nothing is posted once cancelled
        send(messages.PdfFailed(entry.key, str(exc)))
        return
    send(
        messages.PdfDownloaded(
            result.key, result.path, result.size, result.downloaded, then_open=then_open
        )
    )


def open_pdf(post: Post, path: Path) -> None:
    """``O``: start the system viewer on ``path`` (the launcher is waited for up to a
    second, to hear of a failure); the problem, with the path, if it could not."""
    from rlhf_reader.sources.pdf import open_pdf as open_with_viewer

    post(messages.PdfOpened(path, open_with_viewer(path)))


def write_export(
    post: Post,
    path: Path,
    fmt: str,
    rows: list[Row],
    additions: dict[str, Any],
    title: str,
    library_path: Path | str,
) -> None:
    """``e``: write the export file (export is not cancelled: it is fast)."""
    from rlhf_reader.formats.export import ExportError, refuse_library_target
    from rlhf_reader.formats.export import write_export as write

    try:
        refuse_library_target(path, library_path)
        scope = f"tui\0{library_path}\0{title}"  # the export cache's file for this view
        written, count = write(path, rows, fmt, title=title, additions=additions, cache=scope)
    except (ExportError, OSError, ValueError) as exc:
        post(messages.ExportFailed(str(exc)))
        return
    post(messages.ExportWritten(written, count, fmt))


def deliver_export(
    post: Post,
    app: App[Any],
    name: str,
    fmt: str,
    rows: list[Row],
    additions: dict[str, Any],
    title: str,
) -> None:
    """``e`` in a browser: render the export and hand it to the browser as a download."""
    from rlhf_reader.formats.export import ExportError
    from rlhf_reader.tui import web

    try:
        notice = web.deliver_export(app, rows, fmt, name, title=title, additions=additions)
    except (ExportError, OSError, ValueError) as exc:
        post(messages.ExportFailed(str(exc)))
        return
    post(messages.ExportDelivered(notice))


# what a key means where the cursor is --------------------------------------------------------


def fetch_targets(
    data: Entry | Section | None, reading: ReadingList
) -> tuple[list[str], str, bool]:
    """arXiv ids to fetch for the cursor's ``data``, what they are (for messages), ``force``.

    On a paper: that paper, fetched again even if cached (a refresh). On a section: its
    uncached papers (sub-sections too). Nowhere (or ``F``): the whole list, uncached.
    """
    from rlhf_reader.model import Entry, Section

    if isinstance(data, Entry):
        ids = [data.arxiv_id] if data.arxiv_id else []
        return ids, "this paper", True  # force: f on a paper refreshes it
    if isinstance(data, Section):
        entries = list(data.all_entries())
        where = f"section {data.title}" if data.path in reading.sections else data.title
    else:
        entries = reading.catalog.entries
        where = "the whole list"
    ids = list(dict.fromkeys(e.arxiv_id for e in entries if e.arxiv_id))
    return ids, where, False


def update_target(
    list_path: Path | None, library_path: Path | str
) -> tuple[Path, bool, str | None] | None:
    """Where ``U`` saves the list, whether the list was given explicitly, its recorded origin."""
    from rlhf_reader.lists.listupdate import locate, recorded_origin

    if list_path is None:
        return None
    target, explicit = locate(list_path, Path(library_path))
    return target, explicit, recorded_origin(target, explicit)
