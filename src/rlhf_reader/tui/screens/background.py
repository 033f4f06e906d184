"""The main screen's background tasks: fetch (``f``, ``F``), add (``a``), update (``U``), export
(``e``).

``BackgroundTasks`` is a hidden widget the main screen composes beside its ``TaskBar``. The
screen's ``action_*`` methods call it; it asks what it needs in dialogs, starts the thread
workers (fetches and the list update through the ``TaskBar``, which shows them and cancels
them on esc), and handles the workers' messages (``tui.messages``) on the UI thread: what they
bring is written by the window's writer (``LibraryWrites.store``, in order, off the UI thread)
and it says how it went. What the screen must show afterwards it learns from a
message: ``MetadataStored`` (show the cached records) or ``WorkspaceChanged`` (take the
files as they are now). The component reads the screen through ``Host``, its public face.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual import on
from textual.worker import Worker

from rlhf_reader.library.store import now_iso
from rlhf_reader.textsafe import printable_block
from rlhf_reader.tui import messages, tasks
from rlhf_reader.tui.screens.part import TaskPart

if TYPE_CHECKING:
    from rlhf_reader.lists.listupdate import PlannedUpdate
    from rlhf_reader.model import Entry, Section
    from rlhf_reader.tui.screens.export import ExportRequest
    from rlhf_reader.tui.screens.writes import LibraryWrites
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.workspace import Workspace


class Host(Protocol):
    """What the component reads of the screen it lives on (all public)."""

    workspace: Workspace
    reading: ReadingList
    state: dict[str, Any]
    """The view state saved in the library on quit (the export dialog's memory is in it)."""

    @property
    def writes(self) -> LibraryWrites: ...

    @property
    def catalog_tree(self) -> CatalogTree: ...


class BackgroundTasks(TaskPart):
    """Starts the fetch, add, update and export workers and stores what they bring."""

    DEFAULT_CSS = "BackgroundTasks { display: none; }"

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    def busy(self) -> bool:
        """True (and says so) when a task runs already."""
        running = self.taskbar.running
        if running:
            self.say(f"Busy: {running} (esc cancels it)", "warning")
        return bool(running)

    # f, F: fetch arXiv metadata --------------------------------------------------------

    async def fetch(self, data: Entry | Section | None) -> None:
        """Fetch what ``data`` (the entry or section under the cursor; None: all) lacks: the
        cached ids are left out in the worker (``tasks.fetch_arxiv``)."""
        if self.busy():
            return
        reading = self.host.reading
        ids, where, force = tasks.fetch_targets(data, reading)
        if not ids:
            what = "this entry is not an" if force else f"{where} has no"
            self.say(f"Nothing to fetch: {what} arXiv paper.", "warning")
            return
        library = self.host.workspace.library
        work = partial(tasks.fetch_arxiv, self._post, library, ids, force, where)
        label = "Fetching from arXiv"
        await self.taskbar.run(label, None, work, group="arxiv", name="arXiv fetch")

    @on(messages.MetadataArrived)
    def _metadata_arrived(self, event: messages.MetadataArrived) -> None:
        """Cache the records (an arXiv entry's key is its versionless id); the screen shows
        them."""
        event.stop()
        records = event.records
        self.host.writes.store(
            [],
            lambda library: library.put_metadata(records),
            then=lambda _: self.post_message(messages.MetadataStored(records)),
            failure="Fetched metadata not saved",
        )

    @on(messages.FetchFinished)
    def _fetch_finished(self, event: messages.FetchFinished) -> None:
        event.stop()
        report = event.report
        if event.asked == 0:
            self.say(f"Already cached: {len(report.cached)} arXiv paper(s) in {event.where}.")
            return
        severity = "warning" if report.failed or report.cancelled else "information"
        lines = [f"arXiv ({event.where}): {report.summary()}"]
        lines += [f"{arxiv_id}: {reason}" for arxiv_id, reason in list(report.failed.items())[:3]]
        if report.not_found:
            lines.append("not found on arXiv: " + ", ".join(report.not_found[:5]))
        failed = report.failed and not report.records
        text = printable_block("\n".join(lines))
        self.notify(text, severity="error" if failed else severity, markup=False)  # type: ignore[arg-type]

    # a: add a paper --------------------------------------------------------------------

    def add_paper(self) -> None:
        from rlhf_reader.library.additions import EXAMPLES
        from rlhf_reader.tui.screens.prompt import PromptDialog

        if self.busy():
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
        workspace = self.host.workspace
        where = already_there(arxiv_id, workspace.list_catalog, workspace.library.additions())
        return f"{arxiv_id} is already {where}." if where else None

    async def _add_typed(self, text: str | None) -> None:
        from rlhf_reader.library.additions import parse_paper

        if not text:
            return
        arxiv_id = parse_paper(text)
        cached = self.host.workspace.library.metadata(arxiv_id)
        if cached:
            self.post_message(messages.PaperFetched(arxiv_id, cached))
            return
        work = partial(tasks.fetch_paper, self._post, arxiv_id)
        label = f"Fetching {arxiv_id} from arXiv"
        await self.taskbar.run(label, None, work, group="arxiv", name="adding a paper")

    @on(messages.PaperFetched)
    def _paper_fetched(self, event: messages.PaperFetched) -> None:
        """Store the addition; the screen then shows it in My additions, the cursor on it."""
        from rlhf_reader.library.additions import store_addition

        event.stop()
        record = event.record
        if record is None:
            self.say(event.problem, "error")
            return

        def added(stored: dict[str, Any]) -> None:
            self.post_message(messages.WorkspaceChanged(select=stored["key"]))
            self.say(f"Added to My additions: {stored['title']}")

        self.host.writes.store(
            [],
            lambda library: store_addition(library, record, now_iso()),
            then=added,
            failure=f"{event.arxiv_id}: not added",
        )

    # U: update the list ----------------------------------------------------------------

    def update_list(self) -> None:
        from rlhf_reader.tui.screens.prompt import PromptDialog

        if self.busy():
            return
        workspace = self.host.workspace
        found = tasks.update_target(workspace.list_path, workspace.library.path)
        if found is None:
            self.say("This list was not read from a file; there is nothing to update.", "warning")
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
        old = self.host.workspace.list_catalog
        work = partial(tasks.fetch_list, self._post, origin, old, target, explicit)
        label = f"Fetching the list from {origin}"
        await self.taskbar.run(label, None, work, group="update", name="list update")

    @on(messages.ListFetchFailed)
    def _update_failed(self, event: messages.ListFetchFailed) -> None:
        event.stop()
        self.say(f"Update failed: {event.reason}", "error")

    @on(messages.ListFetched)
    def _list_fetched(self, event: messages.ListFetched) -> None:
        """Save and record the new marks; the screen reloads; show what changed."""
        from rlhf_reader.lists.listupdate import UpdateError, apply

        event.stop()
        plan = event.plan
        workspace = self.host.workspace
        name = workspace.list_name
        self.host.writes.store(
            [],
            lambda library: apply(plan, library, list_name=name),
            then=lambda _: self._list_saved(plan),
            failure="Update not saved (the current list stays)",
            expected=(UpdateError,),
        )

    def _list_saved(self, plan: PlannedUpdate) -> None:
        from rlhf_reader.tui.screens.update_summary import UpdateSummary

        workspace = self.host.workspace
        if plan.target != workspace.list_path:  # the default list, saved beside the library
            # the same kind of view (one list, or All lists) over the saved copy
            again = type(workspace)(None, workspace.db_path)
            self.post_message(messages.WorkspaceChanged(again))
        else:
            self.post_message(messages.WorkspaceChanged(list_changed=True))
        if plan.diff.is_empty:
            self.say(f"The list is up to date (no changes in {plan.origin}).")
            return
        self.app.push_screen(
            UpdateSummary(
                "The list was updated",
                plan.lines(),
                f"Saved {plan.target} (from {plan.origin}). New entries are marked ✦ and "
                "listed under “New since” at the top; N marks them all seen.",
            )
        )

    # e: export -------------------------------------------------------------------------

    def export(self) -> None:
        from rlhf_reader.tui.screens.export import ExportDialog, remembered

        shown = self.host.catalog_tree.shown_keys
        total = len(self.host.reading.rows)
        fmt, folder = remembered(self.host.state)
        dialog = ExportDialog(
            len(shown) if shown is not None else total,
            total,
            shown is not None,
            fmt,
            folder=folder,
            library=self.host.workspace.library.path,
        )
        self.app.push_screen(dialog, self._export_chosen)

    def _export_chosen(self, request: ExportRequest | None) -> None:
        from rlhf_reader.tui.screens.export import remember

        if request is None:
            return
        remember(self.host.state, request, self.app.is_web)
        shown = self.host.catalog_tree.shown_keys
        reading = self.host.reading
        library = self.host.workspace.library
        rows = [
            row
            for key, row in reading.rows.items()
            if not request.filtered or shown is None or key in shown
        ]
        additions = {str(r.get("key")): r for r in library.additions()}
        title = reading.catalog.title
        if self.app.is_web:  # in a browser: a download, nothing written on the server
            work = partial(
                tasks.deliver_export,
                self.post_message,
                self.app,
                request.path.name,
                request.fmt,
                rows,
                additions,
                title,
            )
        else:
            work = partial(
                tasks.write_export,
                self.post_message,
                request.path,
                request.fmt,
                rows,
                additions,
                title,
                library.path,
            )
        self.run_worker(
            work, thread=True, group="export", description="export", exit_on_error=False
        )

    @on(messages.ExportWritten)
    def _exported(self, event: messages.ExportWritten) -> None:
        event.stop()
        noun = "entry" if event.count == 1 else "entries"
        self.say(f"Exported {event.count} {noun} as {event.fmt} to {event.path}")

    @on(messages.ExportDelivered)
    def _delivered(self, event: messages.ExportDelivered) -> None:
        event.stop()
        self.say(event.notice)

    @on(messages.ExportFailed)
    def _export_failed(self, event: messages.ExportFailed) -> None:
        event.stop()
        self.say(f"Export failed: {event.reason}", "error")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in the export: a notification, never a traceback."""
        event.stop()
        self.say_failure(event, event.worker.group)
