"""The main screen's background work: arXiv fetch (``f``), add a paper (``a``), update the
list (``U``) and export (``e``).

Each runs in a thread worker; the library is written only on the UI thread (through
``call_from_thread``), and one task runs at a time (a second key says what is running).
Esc cancels: an arXiv fetch stops between batches and keeps what arrived, an update is
dropped when its download ends (nothing is saved), an export is not cancelled (it is fast).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on, work
from textual.worker import Worker, WorkerState, get_current_worker

from rlhf_reader.library.store import LibraryError, now_iso
from rlhf_reader.model import Catalog, Entry, Section

T = TypeVar("T")

if TYPE_CHECKING:
    from rlhf_reader.library.store import Library
    from rlhf_reader.lists.listupdate import PlannedUpdate
    from rlhf_reader.sources.arxiv_meta import FetchReport
    from rlhf_reader.tui.screens.export import ExportRequest
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.tui.widgets.taskbar import TaskBar

TASK_GROUPS = ("arxiv", "update", "export")


class _Abandoned(Exception):
    """The worker was cancelled while its network call was still blocked."""


def abandonable(call: Callable[[], T]) -> T:
    """Run a blocking network ``call`` from a thread worker, so that cancelling the worker
    (esc, or quitting the app) returns at once.

    The call runs in a daemon thread; this waits for it while the current worker is not
    cancelled. A cancelled worker abandons it (raising ``_Abandoned``): the thread ends at
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
            raise _Abandoned
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


def quietly(app: Any, worker: Any, callback: Callable[..., Any]) -> Callable[..., None]:
    """``callback`` run on the UI thread; nothing once ``worker`` is cancelled (its thread
    was abandoned) or the app has closed."""

    def call(*args: Any) -> None:
        if worker.is_cancelled:
            return
        try:
            app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is gone (quit during a fetch)
            pass

    return call


def list_only(catalog: Catalog) -> Catalog:
    """The list as its file says: without "My additions" and "No longer in the list"."""
    from rlhf_reader.library.additions import SECTION_PATH
    from rlhf_reader.lists.whatsnew import RETIRED_SECTION

    ours = {SECTION_PATH, (RETIRED_SECTION,)}
    kept = [
        s for s in catalog.sections if not (s.path in ours and all(e.line == 0 for e in s.entries))
    ]
    return Catalog(title=catalog.title, sections=kept, source=catalog.source)


if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[None]
else:
    _Base = object


class BackgroundTasks(_Base):
    """Mixed into ``MainScreen`` (which provides the attributes declared below)."""

    if TYPE_CHECKING:
        reading: ReadingList
        library: Library
        list_path: Path | None

        @property
        def catalog_tree(self) -> CatalogTree: ...

        def notify_plain(self, message: str, severity: str = "information") -> None: ...
        def notify_block(self, message: str, severity: str = "information") -> None: ...
        def reload(self, catalog: Catalog | None = None, select: str | None = None) -> None: ...
        def _show_current(self) -> None: ...

    _bg_task: Worker[Any] | None = None

    # the task line -----------------------------------------------------------------------

    async def _taskbar(self) -> TaskBar:
        from textual.widgets import Footer

        from rlhf_reader.tui.widgets.taskbar import TaskBar

        found = self.query("#taskbar")
        if found:
            return found.first(TaskBar)
        bar = TaskBar(id="taskbar")
        await self.mount(bar, before=self.query(Footer).first())
        return bar

    def _busy(self) -> bool:
        task = self._bg_task
        if task is not None and task.state in (WorkerState.PENDING, WorkerState.RUNNING):
            self.notify_plain(f"Busy: {task.description} (esc cancels it)", "warning")
            return True
        return False

    async def _start(self, label: str, total: int | None = None) -> None:
        (await self._taskbar()).start(label, total)

    def _bar(self) -> TaskBar | None:
        from rlhf_reader.tui.widgets.taskbar import TaskBar

        found = self.query("#taskbar")
        return found.first(TaskBar) if found else None

    def _progress(self, done: int, total: int) -> None:
        bar = self._bar()
        if bar is not None:
            bar.advance(done, total)

    def _stop(self) -> None:
        bar = self._bar()
        if bar is not None:
            bar.stop()

    def cancel_task(self) -> bool:
        """Esc while a task runs: cancel it. True when there was one."""
        task = self._bg_task
        if task is None or task.state not in (WorkerState.PENDING, WorkerState.RUNNING):
            return False
        task.cancel()
        self._stop()
        self.notify_plain(f"Cancelled: {task.description}", "warning")
        return True

    @on(Worker.StateChanged)
    def _task_state(self, event: Worker.StateChanged) -> None:
        """One place for unexpected errors of every task: a notification, never a traceback."""
        worker = event.worker
        if worker.group not in TASK_GROUPS:
            return
        if event.state is WorkerState.ERROR:
            self._stop()
            error = worker.error
            self.notify_plain(
                f"{worker.description} failed: {type(error).__name__}: {error}", "error"
            )

    # f: fetch arXiv metadata -----------------------------------------------------------

    def fetch_targets(self, everything: bool = False) -> tuple[list[str], str, bool]:
        """arXiv ids to fetch for the cursor, what they are (for messages), and ``force``.

        On a paper: that paper, fetched again even if cached (a refresh). On a section: its
        uncached papers (sub-sections too). Nowhere / no paper: the whole list, uncached.
        """
        tree = self.catalog_tree
        node = tree.cursor_node
        data = node.data if node is not None and not everything else None
        if isinstance(data, Entry):
            ids = [data.arxiv_id] if data.arxiv_id else []
            return ids, "this paper", True  # force: f on a paper refreshes it
        if isinstance(data, Section):
            entries = list(data.all_entries())
            where = f"section {data.title}" if data.path in self.reading.sections else data.title
        else:
            entries = self.reading.catalog.entries
            where = "the whole list"
        ids = list(dict.fromkeys(e.arxiv_id for e in entries if e.arxiv_id))
        return ids, where, False

    async def action_fetch_all(self) -> None:
        await self.action_fetch(everything=True)

    async def action_fetch(self, everything: bool = False) -> None:
        from rlhf_reader.sources.arxiv_meta import plan_fetch

        if self._busy():
            return
        ids, where, force = self.fetch_targets(everything)
        if not ids:
            what = "this entry is not an" if force else f"{where} has no"
            self.notify_plain(f"Nothing to fetch: {what} arXiv paper.", "warning")
            return
        to_fetch, cached = plan_fetch(ids, self.library.all_metadata(), force=force)
        if not to_fetch:
            self.notify_plain(f"Already cached: {len(cached)} arXiv paper(s) in {where}.")
            return
        await self._start(f"Fetching {len(to_fetch)} from arXiv", len(to_fetch))
        self._bg_task = self._fetch_worker(to_fetch, cached, where)

    @work(
        thread=True, exclusive=True, group="arxiv", exit_on_error=False, description="arXiv fetch"
    )
    def _fetch_worker(self, to_fetch: list[str], cached: list[str], where: str) -> None:
        from rlhf_reader.sources.arxiv_meta import fetch_metadata

        worker = get_current_worker()
        try:
            report = abandonable(
                lambda: fetch_metadata(
                    to_fetch,
                    progress=quietly(self.app, worker, self._progress),
                    should_cancel=lambda: worker.is_cancelled,
                    on_records=quietly(self.app, worker, self._store_metadata),
                )
            )
        except _Abandoned:
            return
        report.cached.extend(cached)
        self.app.call_from_thread(self._fetch_done, report, where)

    def _store_metadata(self, records: dict[str, dict[str, Any]]) -> None:
        """UI thread: cache the records, then show them."""
        by_key = dict(records)  # an arXiv entry's key is its versionless id
        try:
            self.library.put_metadata(by_key)
        except (LibraryError, OSError, ValueError) as exc:
            self.notify_plain(f"Fetched metadata not saved: {exc}", "error")
            return
        self.reading.set_metadata(by_key)
        self._show_current()

    def _fetch_done(self, report: FetchReport, where: str) -> None:
        self._stop()
        severity = "warning" if report.failed or report.cancelled else "information"
        lines = [f"arXiv ({where}): {report.summary()}"]
        lines += [f"{arxiv_id}: {reason}" for arxiv_id, reason in list(report.failed.items())[:3]]
        if report.not_found:
            lines.append("not found on arXiv: " + ", ".join(report.not_found[:5]))
        self.notify_block(
            "\n".join(lines), "error" if report.failed and not report.records else severity
        )

    # a: add a paper --------------------------------------------------------------------

    def action_add_paper(self) -> None:
        from rlhf_reader.library.additions import EXAMPLES
        from rlhf_reader.tui.screens.prompt import PromptDialog

        if self._busy():
            return
        self.app.push_screen(
            PromptDialog(
                "Add a paper",
                f"An arXiv id or link, e.g. {EXAMPLES}. It goes into My additions.",
                placeholder="2305.18290",
                check=self._check_paper,
                id="add-paper",
            ),
            self._add_typed,
        )

    def _check_paper(self, text: str) -> str | None:
        from rlhf_reader.library.additions import AddError, already_there, parse_paper

        try:
            arxiv_id = parse_paper(text)
        except AddError as exc:
            return str(exc)
        where = already_there(arxiv_id, list_only(self.reading.catalog), self.library.additions())
        return f"{arxiv_id} is already {where}." if where else None

    async def _add_typed(self, text: str | None) -> None:
        from rlhf_reader.library.additions import parse_paper

        if not text:
            return
        arxiv_id = parse_paper(text)
        cached = self.library.metadata(arxiv_id)
        if cached:
            self._add_fetched(arxiv_id, cached, "")
            return
        await self._start(f"Fetching {arxiv_id} from arXiv", None)
        self._bg_task = self._add_worker(arxiv_id)

    @work(
        thread=True,
        exclusive=True,
        group="arxiv",
        exit_on_error=False,
        description="adding a paper",
    )
    def _add_worker(self, arxiv_id: str) -> None:
        from rlhf_reader.sources.arxiv_meta import fetch_metadata

        worker = get_current_worker()
        try:
            report = abandonable(
                lambda: fetch_metadata([arxiv_id], should_cancel=lambda: worker.is_cancelled)
            )
        except _Abandoned:
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
        self.app.call_from_thread(self._add_fetched, arxiv_id, record, problem)

    def _add_fetched(self, arxiv_id: str, record: dict[str, Any] | None, problem: str) -> None:
        """UI thread: store the addition and show it in My additions at once."""
        from rlhf_reader.library.additions import store_addition

        self._stop()
        if record is None:
            self.notify_plain(problem, "error")
            return
        try:
            stored = store_addition(self.library, record, now_iso())
        except (LibraryError, OSError, ValueError, KeyError) as exc:
            self.notify_plain(f"{arxiv_id}: not added: {exc}", "error")
            return
        self.reload(self._with_own_sections(list_only(self.reading.catalog)), select=stored["key"])
        self.notify_plain(f"Added to My additions: {stored['title']}")

    # U: update the list ------------------------------------------------------------------

    def update_target(self) -> tuple[Path, bool, str | None] | None:
        """Where the update is saved, whether the list is explicit, and its recorded origin."""
        from rlhf_reader.lists.listupdate import locate, recorded_origin

        if self.list_path is None:
            return None
        target, explicit = locate(self.list_path, Path(self.library.path))
        return target, explicit, recorded_origin(target, explicit)

    def action_update_list(self) -> None:
        from rlhf_reader.tui.screens.prompt import PromptDialog

        if self._busy():
            return
        found = self.update_target()
        if found is None:
            self.notify_plain(
                "This list was not read from a file; there is nothing to update.", "warning"
            )
            return
        target, explicit, origin = found
        self.app.push_screen(
            PromptDialog(
                "Update the list",
                "Fetch the newest version from an https URL or a local file; you see what "
                f"changed, and it is saved as {target}. Annotations are kept.",
                value=origin or "",
                placeholder="https://…/README.md",
                id="update-from",
            ),
            lambda origin: self._update_from(origin, target, explicit),
        )

    async def _update_from(self, origin: str | None, target: Path, explicit: bool) -> None:
        if not origin:
            return
        await self._start(f"Fetching the list from {origin}", None)
        self._bg_task = self._update_worker(
            origin, list_only(self.reading.catalog), target, explicit
        )

    @work(
        thread=True, exclusive=True, group="update", exit_on_error=False, description="list update"
    )
    def _update_worker(self, origin: str, old: Catalog, target: Path, explicit: bool) -> None:
        from rlhf_reader.lists.listupdate import UpdateError, prepare

        worker = get_current_worker()
        try:
            plan = abandonable(lambda: prepare(origin, old, target, keep_backup=explicit))
        except _Abandoned:
            return
        except UpdateError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._update_failed, str(exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._update_fetched, plan)

    def _update_failed(self, message: str) -> None:
        self._stop()
        self.notify_plain(f"Update failed: {message}", "error")

    def _update_fetched(self, plan: PlannedUpdate) -> None:
        """UI thread: save, record the new marks, reload the tree, show what changed."""
        from rlhf_reader.lists.listupdate import UpdateError, apply
        from rlhf_reader.tui.screens.update_summary import UpdateSummary

        self._stop()
        try:
            apply(plan, self.library)
        except (UpdateError, LibraryError, OSError) as exc:
            self.notify_plain(f"Update not saved: {exc}; the current list stays", "error")
            return
        self.list_path = plan.target
        self.reload(self._with_own_sections(plan.catalog))
        if plan.diff.is_empty:
            self.notify_plain(f"The list is up to date (no changes in {plan.origin}).")
            return
        self.app.push_screen(
            UpdateSummary(
                "The list was updated",
                plan.lines(),
                f"Saved {plan.target} (from {plan.origin}). New entries are marked ✦ and "
                "listed under “New since” at the top; N marks them all seen.",
            )
        )

    def _with_own_sections(self, listed: Catalog) -> Catalog:
        from rlhf_reader.library.additions import with_additions
        from rlhf_reader.lists.whatsnew import with_retired

        return with_retired(with_additions(listed, self.library.additions()), self.library)

    # e: export ---------------------------------------------------------------------------

    def action_export(self) -> None:
        from rlhf_reader.tui.screens.export import ExportDialog

        shown = self.catalog_tree.shown_keys
        total = len(self.reading.rows)
        self.app.push_screen(
            ExportDialog(len(shown) if shown is not None else total, total, shown is not None),
            self._export_chosen,
        )

    def _export_chosen(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        shown = self.catalog_tree.shown_keys
        rows = [
            row
            for key, row in self.reading.rows.items()
            if not request.filtered or shown is None or key in shown
        ]
        additions = {str(r.get("key")): r for r in self.library.additions()}
        self._bg_task = self._export_worker(request, rows, additions, self.reading.catalog.title)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False, description="export")
    def _export_worker(
        self, request: ExportRequest, rows: list[Any], additions: dict[str, Any], title: str
    ) -> None:
        from rlhf_reader.formats.export import ExportError, refuse_library_target, write_export

        call = self.app.call_from_thread
        try:
            if self.app.is_web:  # in a browser: a download, nothing written on the server
                from rlhf_reader.tui import web

                name, fmt = request.path.name, request.fmt
                notice = web.deliver_export(
                    self.app, rows, fmt, name, title=title, additions=additions
                )
                call(self.notify_plain, notice)
                return
            refuse_library_target(request.path, self.library.path)
            path, count = write_export(
                request.path, rows, request.fmt, title=title, additions=additions
            )
        except (ExportError, OSError, ValueError) as exc:
            call(self.notify_plain, f"Export failed: {exc}", "error")
            return
        noun = "entry" if count == 1 else "entries"
        call(self.notify_plain, f"Exported {count} {noun} as {request.fmt} to {path}")
