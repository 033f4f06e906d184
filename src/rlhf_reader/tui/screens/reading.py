"""The main screen's reading tools: the PDF (``d``, ``O``) and the order inside sections
(``s``). The reading queue's keys (``!``, ``ctrl+↑``/``ctrl+↓``) are writes: ``screens.writes``.

``ReadingTools`` is a hidden widget the main screen composes beside its ``BackgroundTasks``.
The screen's ``action_*`` methods call it. Downloads run as a thread worker through the
``TaskBar`` (one task at a time; esc cancels, and the download leaves no file behind);
opening a PDF runs the system viewer in a thread (``sources.pdf.open_pdf``, the one the
CLI's ``pdf --open`` uses). What the screen must show afterwards it learns from a message:
``PdfsFound`` (mark the paper). The component reads the screen
through ``Host``, its public face, as ``BackgroundTasks`` does.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from textual import on
from textual.worker import Worker

from rlhf_reader.tui import messages, tasks
from rlhf_reader.tui.screens.part import TaskPart

if TYPE_CHECKING:
    from rlhf_reader.model import Entry
    from rlhf_reader.sources.pdf import Downloader
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.workspace import Workspace

ORDERS: tuple[tuple[str, str], ...] = (
    ("", "list order"),
    ("-year", "year ↓"),
    ("title", "title"),
    ("status", "status"),
    ("-read", "date read ↓"),
)
"""What ``s`` cycles through: a ``sorting`` key (the same rule as ``list --sort``; ``""``
is the list's own order) and how the header names it."""


def order_name(order: str) -> str:
    return dict(ORDERS).get(order, order)


def known_order(value: object) -> str:
    """The saved order when it is one of ``ORDERS``, else the list's order."""
    return value if isinstance(value, str) and value in dict(ORDERS) else ""


def next_order(order: str) -> str:
    """The order after ``order`` in the cycle."""
    keys = [key for key, _ in ORDERS]
    index = keys.index(order) if order in keys else -1
    return keys[(index + 1) % len(keys)]


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class Host(Protocol):
    """What the component reads of the screen it lives on (all public)."""

    workspace: Workspace
    reading: ReadingList

    @property
    def catalog_tree(self) -> CatalogTree: ...


class ReadingTools(TaskPart):
    """Downloads and opens PDFs, changes the reading queue."""

    DEFAULT_CSS = "ReadingTools { display: none; }"

    _downloader: Downloader | None = None

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    # d, O: the PDF -----------------------------------------------------------------------

    def downloader(self) -> Downloader | None:
        """The one downloader of this screen (it spaces requests to a host), or None and a
        notification when ``$RLHF_READER_PDF_…`` is wrong."""
        from rlhf_reader.sources.pdf import PdfError

        folder = self.host.workspace.pdf_folder
        if self._downloader is None or self._downloader.folder != folder:
            try:
                self._downloader = self.host.workspace.downloader()
            except PdfError as exc:
                self.say(f"PDF not downloaded: {exc}", "error")
                return None
        return self._downloader

    async def download(self, entry: Entry, then_open: bool = False) -> None:
        """Download ``entry``'s PDF in the task bar, unless it is on disk already (no request
        then); ``then_open``: open it once there."""
        from rlhf_reader.sources.pdf import source_url

        path = self.host.workspace.pdf_path(entry.key)
        if path is not None:
            self.stored(entry.key, path)  # found: mark it if it was not
            if then_open:
                self.open(path)
            else:
                self.say(f"The PDF is on disk already: {path}")
            return
        downloader = self.downloader()
        if downloader is None:
            return
        if source_url(entry, downloader.settings.template) is None:
            self.say(
                f"No PDF to download for {entry.key}: it is not an arXiv paper and its "
                "link is not a PDF file.",
                "warning",
            )
            return
        running = self.taskbar.running
        if running:
            self.say(f"Busy: {running} (esc cancels it)", "warning")
            return
        work = partial(tasks.download_pdf, self._post, downloader, entry, then_open)
        label = f"Downloading the PDF of {entry.key}"
        await self.taskbar.run(label, None, work, group="pdf", name="PDF download")

    @on(messages.PdfDownloaded)
    def _downloaded(self, event: messages.PdfDownloaded) -> None:
        event.stop()
        self.stored(event.key, event.path)
        if event.downloaded:
            self.say(f"Saved the PDF ({mb(event.size)}): {event.path}")
        if event.then_open:
            self.open(event.path)
        elif not event.downloaded:
            self.say(f"The PDF is on disk already: {event.path}")

    def stored(self, key: str, path: Path) -> None:
        """The paper's PDF is on disk: the screen marks it."""
        pdfs = self.host.reading.pdfs
        if pdfs.get(key) != path:
            self.post_message(messages.PdfsFound({**pdfs, key: path}))

    @on(messages.PdfFailed)
    def _failed(self, event: messages.PdfFailed) -> None:
        event.stop()
        self.say(f"PDF not downloaded: {event.reason}", "error")

    async def open_pdf(self, entry: Entry) -> None:
        """``O``: open the local PDF, downloading it first when it is missing."""
        path = self.host.workspace.pdf_path(entry.key)
        if path is None:
            await self.download(entry, then_open=True)
        else:
            self.open(path)

    def open(self, path: Path) -> None:
        """Open ``path`` with the system viewer (in a thread: the launcher is waited for); in
        a browser (``serve``), hand the file to the browser instead."""
        if self.app.is_web:
            self.app.deliver_binary(
                path, save_filename=path.name, mime_type="application/pdf", open_method="browser"
            )
            self.say(f"Sending the PDF to your browser: {path.name}")
            return
        work = partial(tasks.open_pdf, self.post_message, path)
        self.run_worker(
            work, thread=True, group="pdf-open", description="opening the PDF", exit_on_error=False
        )

    @on(messages.PdfOpened)
    def _opened(self, event: messages.PdfOpened) -> None:
        event.stop()
        if event.problem:
            self.say(f"Not opened: {event.problem}", "warning")
        else:
            self.say(f"Opening {event.path}")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in opening the PDF: a notification, never a traceback."""
        event.stop()
        self.say_failure(event, event.worker.description)
