"""The main screen: it composes the parts, answers their messages and keeps them in step.

What is seen: ``ProgressHeader`` (title, progress, filter count), ``CatalogTree`` (sections
and papers, the filter's view), ``DetailPane`` (filled by ``screens.showing``), ``FilterBar``
(mounted on the first ``/``), ``TaskBar`` (one background task), ``KeyFooter``. The hidden
parts, each in its own module: ``LibraryWrites`` (status, tags, notes, new marks, undo:
``screens.writes``), ``CopyAndOpen`` (the browser and the clipboard: ``screens.copy_open``),
``Filtering`` (``screens.filtering``), ``Following`` (the readers started once the screen is
up, the look at the library file every second: ``screens.following``), ``ReadingTools``
(PDFs, the reading queue: ``screens.reading``) and ``BackgroundTasks`` (fetch, add, update,
export: ``screens.background``).

Every key is one ``Action`` in ``tui.actions`` and one ``action_*`` method here, a few lines
that hand the paper under the cursor to a part. The parts and the workers never call the
screen: they post messages (``tui.messages`` and the widgets' own), and the handlers here
redraw what changed (``AnnotationsChanged``, ``QueueChanged``, ``WorkspaceChanged``…).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen

from rlhf_reader.library.store import Library
from rlhf_reader.model import Entry, Section, Status
from rlhf_reader.textsafe import printable
from rlhf_reader.tui import messages, restore
from rlhf_reader.tui.actions import ACTIONS
from rlhf_reader.tui.screens.background import BackgroundTasks
from rlhf_reader.tui.screens.copy_open import CopyAndOpen
from rlhf_reader.tui.screens.filtering import Filtering
from rlhf_reader.tui.screens.following import Following
from rlhf_reader.tui.screens.reading import ReadingTools, known_order, next_order, order_name
from rlhf_reader.tui.screens.showing import show_cursor
from rlhf_reader.tui.screens.writes import LibraryWrites
from rlhf_reader.tui.state import ReadingList, remember, remembered, view_name
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.detail import DetailPane
from rlhf_reader.tui.widgets.header import ProgressHeader
from rlhf_reader.tui.widgets.key_footer import KeyFooter
from rlhf_reader.tui.widgets.taskbar import TaskBar

if TYPE_CHECKING:
    from rlhf_reader.workspace import Workspace


class MainScreen(Screen[None]):
    """Coordinates the widgets; a change is shown at once and written by the window's writer."""

    NARROW_BELOW = 100
    """Below this width the detail pane moves under the tree (class ``-narrow``)."""
    BINDINGS: ClassVar[list[BindingType]] = [action.binding() for action in ACTIONS]

    def __init__(self, workspace: Workspace, state: dict[str, Any]) -> None:
        super().__init__()
        self.workspace = workspace
        self.reading = ReadingList.of(workspace)
        self.state = state

    @property
    def library(self) -> Library:
        return self.workspace.library

    def use_workspace(self, workspace: Workspace) -> None:
        """Go on with ``workspace`` (the same library, the list read from another file)."""
        old, self.workspace = self.workspace, workspace
        self.app.workspace = workspace  # type: ignore[attr-defined]
        self.following.generation = -1
        old.library.close()

    @property
    def list_path(self) -> Path:
        return self.workspace.list_path

    def _fit_width(self, width: int) -> None:
        # Set before the first layout (Screen's own breakpoints would apply it only after
        # the first resize, and lay everything out twice).
        self.set_class(width < self.NARROW_BELOW, "-narrow")
        self.set_class(width >= self.NARROW_BELOW, "-wide")

    def on_resize(self, event: events.Resize) -> None:
        self._fit_width(event.size.width)

    def compose(self) -> ComposeResult:
        self._fit_width(self.app.size.width)
        yield ProgressHeader(self.reading.catalog.title, id="header")
        with Horizontal(id="body"):
            yield CatalogTree(self.reading, id="tree")
            yield DetailPane(id="detail")
        yield TaskBar(id="taskbar")
        yield BackgroundTasks(id="background")
        yield ReadingTools(id="reading-tools")
        yield LibraryWrites(id="writes")
        yield CopyAndOpen(id="copy-open")
        yield Filtering(id="filtering")
        yield Following(self.workspace.library.generation, id="following")
        yield KeyFooter()

    @property
    def catalog_tree(self) -> CatalogTree:
        return self.query_one(CatalogTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def taskbar(self) -> TaskBar:
        return self.query_one(TaskBar)

    def on_mount(self) -> None:
        tree = self.catalog_tree
        tree.order = known_order(self.state.get("order"))
        self._show_view()
        self._update_header()
        tree.focus()
        tree.cursor_moved.subscribe(self, lambda _: self._show_current(), immediate=True)
        # The detail pane is filled just after the first frame (the tree's highlight
        # message would fill it then anyway): the first frame paints the tree alone.
        self.call_after_refresh(self._show_current)
        self.call_after_refresh(tree.center_cursor)
        # The search index is started by the app once its screen is ready (ReaderApp.on_ready):
        # its import and build in a thread would compete with the first frames for the GIL.

    def _show_view(self) -> None:
        """The tree as this list was left (its own cursor and open sections)."""
        view = remembered(self.state, view_name(self.workspace))
        restore.show_view(self.catalog_tree, self.reading, view)

    @property
    def following(self) -> Following:
        return self.query_one(Following)

    def prepare_filter(self) -> None:
        """Once the screen is up: the search index, the PDFs, the lists' keys (in threads)."""
        self.following.read()

    def follow_the_file(self) -> None:
        """Once the screen is up: look at the library file every second (one ``stat``)."""
        self.set_interval(1.0, self.poll, name="follow the library file")

    def poll(self) -> bool:
        """Read what another process (the CLI, a second window, an import) wrote, to show
        it (``messages.Reread``); True if that began. Not while this window's writes are
        pending: the file is re-read once they are."""
        if self.writes.busy:
            return False
        return self.following.look()

    @on(messages.Reread)
    def _reread(self, event: messages.Reread) -> None:
        """Show what another process wrote, keeping the cursor, the open sections, the
        scroll position and the filter."""
        if event.reading is not None:
            # Rows counted as changed against another view than the one shown (two readings
            # came one after the other): the index is built again rather than caught up.
            changed = event.changed if event.was is self.reading else None
            self._show_reading(event.reading, changed, event.select, event.keep_scroll)

    def current_state(self) -> dict[str, Any]:
        """The saved state with this list's cursor and open sections (each list has its own)."""
        name, tree = view_name(self.workspace), self.catalog_tree
        view = restore.view_of(tree, remembered(self.state, name))
        return remember(self.state, name, view) | {"order": tree.order}

    # showing ---------------------------------------------------------------------------

    def _update_header(self) -> None:
        header = self.query_one(ProgressHeader)
        header.read = self.reading.overall.read
        header.total = self.reading.overall.total
        header.order = order_name(self.catalog_tree.order) if self.catalog_tree.order else ""

    def _show_current(self) -> None:
        show_cursor(self.detail, self.catalog_tree, self.reading)

    @on(CatalogTree.EntryHighlighted)
    def _highlighted(self, event: CatalogTree.EntryHighlighted) -> None:
        self._show_current()

    @on(CatalogTree.EntryChosen)
    def _chosen(self, event: CatalogTree.EntryChosen) -> None:
        self.writes.seen(event.entry.key)
        self.detail.focus()

    def _show_reading(
        self,
        reading: ReadingList,
        changed: list[str] | None,
        select: str | None = None,
        keep_scroll: bool = False,
    ) -> None:
        """Show ``reading``, the workspace as read again (``changed``: the keys whose rows
        differ from those shown, see ``ReadingList.changed_since``)."""
        was = self.reading
        reading.where = was.where
        reading.set_pdfs(was.pdfs)  # until they are looked for again (prepare_filter)
        adopted = reading.adopt_index(was, changed)  # the same list: its index, caught up
        self._take(reading)
        self.rebuild_tree(select, keep_scroll)
        self._update_header()
        self.following.read(index=not adopted)

    def _take(self, reading: ReadingList) -> None:
        """Show ``reading`` from now on (the library as read now)."""
        self.reading = reading
        self.following.generation = self.library.generation
        if self.writes.overlay(reading):  # built while writes were pending: read again after
            self.following.generation = -1
        self.catalog_tree.set_reading(reading)
        self.query_one(ProgressHeader).list_title = reading.catalog.title

    def rebuild_tree(self, select: str | None = None, keep_scroll: bool = False) -> None:
        """Redraw the tree (same filter, same open sections), cursor on ``select`` or where
        it was, the rows where they were on the screen (``keep_scroll``) or centred."""
        restore.redraw(self.catalog_tree, self.reading, self._fill_tree, select, keep_scroll)
        self._show_current()

    def _fill_tree(self) -> None:
        if self.filtering.active:
            self.apply_filter(self.filtering.text)
        else:
            tree = self.catalog_tree
            tree.populate(None, [tuple(p) for p in tree.expanded_paths()])

    def goto(self, entry: Entry) -> None:
        """Put the cursor on ``entry`` (from the palette), clearing a filter that hides it."""
        tree = self.catalog_tree
        if tree.shown_keys is not None and entry.key not in tree.shown_keys:
            self.action_clear_filter()
        tree.select_key(entry.key, entry)
        tree.center_cursor()
        self._show_current()
        tree.focus()

    def notify_plain(self, message: str, severity: str = "information") -> None:
        """A notification whose text is shown literally."""
        self.notify(printable(message), severity=severity, markup=False)  # type: ignore[arg-type]

    # writing: status, tags, note, new marks, undo (screens/writes.py) ---------------

    @property
    def writes(self) -> LibraryWrites:
        return self.query_one(LibraryWrites)

    def _current(self) -> Entry | None:
        entry = self.catalog_tree.current_entry
        if entry is None:
            self.notify_plain("Move the cursor to a paper first.", "warning")
        return entry

    def action_toggle_read(self) -> None:
        node = self.catalog_tree.cursor_node
        if node is not None and isinstance(node.data, Section):
            self.action_mark_section()  # space on a section: all of it, asking first
        elif entry := self._current():
            self.writes.toggle_read(entry)

    def action_mark_reading(self) -> None:
        if entry := self._current():
            self.writes.set_status(entry, Status.READING)

    def action_edit_tags(self) -> None:
        if entry := self._current():
            self.writes.edit_tags(entry)

    def action_edit_note(self) -> None:
        if entry := self._current():
            self.writes.edit_note(entry)

    def action_mark_section(self) -> None:
        from rlhf_reader.tui.screens.mark_section import ask_and_mark

        ask_and_mark(self)

    def action_mark_all_seen(self) -> None:
        self.writes.all_seen()

    def action_undo(self) -> None:
        self.writes.undo()

    @on(messages.AnnotationsChanged)
    def _annotations_changed(self, event: messages.AnnotationsChanged) -> None:
        tree = self.catalog_tree
        if len(event.keys) > 50:  # a big section: every label once
            tree.relabel_all()
        else:
            for key in event.keys:
                tree.refresh_key(key)
        self._update_header()
        self._show_current()

    @on(messages.NewMarksCleared)
    def _new_marks_cleared(self, event: messages.NewMarksCleared) -> None:
        for key in event.keys:
            self.catalog_tree.refresh_key(key)  # the cached labels with ✦ go too
        if event.every:
            self.rebuild_tree()

    @on(messages.PaperOpened)
    def _paper_opened(self, event: messages.PaperOpened) -> None:
        self.writes.seen(event.key)

    # opening, copying (screens/copy_open.py), help -----------------------------------

    @property
    def copy_open(self) -> CopyAndOpen:
        return self.query_one(CopyAndOpen)

    def action_open_link(self) -> None:
        if entry := self._current():
            self.copy_open.open_link(entry)

    def action_copy_link(self) -> None:
        if entry := self._current():
            self.copy_open.copy_link(entry)

    def action_copy_bibtex(self) -> None:
        if entry := self._current():
            self.copy_open.copy_citation(entry, "bibtex")

    def action_copy_citation(self) -> None:
        if entry := self._current():
            self.copy_open.choose_citation(entry)

    def action_help(self) -> None:
        from rlhf_reader.tui.screens.help import HelpScreen
        from rlhf_reader.tui.screens.note import NoteEditor

        owners = (CatalogTree, DetailPane, MainScreen, NoteEditor)
        self.app.push_screen(HelpScreen([b for owner in owners for b in owner.BINDINGS]))

    def action_all_authors(self) -> None:
        everyone = self.detail.toggle_authors()
        self.notify_plain("Every author shown." if everyone else "Long author lists cut short.")

    def action_progress(self) -> None:
        """``p``: the list counted in a worker (a copy of the rows taken here), then the
        dashboard (``_progress_counted``)."""
        from rlhf_reader.tui.screens.dashboard import count_progress

        rows = dict(self.reading.rows)
        work = partial(count_progress, self.post_message, self.reading.catalog, rows)
        self.run_worker(
            work,
            thread=True,
            group="progress",
            exclusive=True,
            description="count progress",  # never repr(work): the rows' repr takes seconds
            exit_on_error=False,
        )

    @on(messages.ProgressCounted)
    def _progress_counted(self, event: messages.ProgressCounted) -> None:
        from rlhf_reader.tui.screens.dashboard import Dashboard

        if event.problem:
            self.notify_plain(f"Could not count the list: {event.problem}", "error")
        elif self.is_current:  # not over a dialog opened meanwhile
            self.app.push_screen(Dashboard(event.progress, workspace=self.workspace))

    # several lists (screens/lists.py) --------------------------------------------------

    def action_choose_list(self) -> None:
        """``L``: pick a list (or All lists); it is read in a worker, then ``ListOpened``."""
        from rlhf_reader.tui.screens.lists import choose_list

        choose_list(self, self.workspace, index=self.filtering.active)

    @on(messages.ListOpened)
    def _list_opened(self, event: messages.ListOpened) -> None:
        """Remember this list's view, show the other one's as it was left (same filter)."""
        self.state = self.current_state()
        self.catalog_tree.stop_filter(back=True)
        self.use_workspace(event.workspace)
        self._take(event.reading)
        self._show_view()
        if self.filtering.active:
            self.apply_filter(self.filtering.text)
        self.catalog_tree.center_cursor()
        self._update_header()
        self._show_current()
        self.prepare_filter()

    @on(messages.ListOpenFailed)
    def _list_open_failed(self, event: messages.ListOpenFailed) -> None:
        self.notify_plain(f"List not opened: {event.reason}", "error")

    @on(messages.ListKeysRead)
    def _list_keys_read(self, event: messages.ListKeysRead) -> None:
        if event.workspace is self.workspace:
            self.reading.set_list_keys(event.lists, event.where)
            self._show_current()  # "Also in" for the paper under the cursor

    # filter (screens/filtering.py) --------------------------------------------------

    @property
    def filtering(self) -> Filtering:
        return self.query_one(Filtering)

    async def action_filter(self) -> None:
        await self.filtering.open()

    def on_key(self, event: events.Key) -> None:
        """A key typed before the focus caught up goes where it would go now (``typeahead``)."""
        if self.filtering.catch(event):
            event.stop()
            event.prevent_default()

    @on(messages.FilterChanged)
    def _filter_changed(self, event: messages.FilterChanged) -> None:
        self.apply_filter(event.text)

    @on(messages.FilterSubmitted)
    def _filter_submitted(self) -> None:
        self.catalog_tree.focus()

    def apply_filter(self, text: str) -> None:
        """Narrow the tree to what ``text`` matches; an invalid query shows why, inline."""
        if self.filtering.apply(text):
            self._show_current()

    def action_clear_filter(self) -> None:
        """Esc: in the filter bar, clear it and go back to where the cursor was; in the tree,
        clear it and stay on the paper under the cursor; in the detail pane, back to the tree.
        Before all that, a running fetch or update is cancelled."""
        cancelled = self.taskbar.cancel()
        if cancelled:
            self.notify_plain(f"Cancelled: {cancelled}", "warning")
            return
        if self.filtering.clear():
            self._show_current()
        elif not self.detail.has_focus:
            return
        self.catalog_tree.focus()

    # reading: PDFs, the queue, the order (screens/reading.py) --------------------------

    @property
    def reading_tools(self) -> ReadingTools:
        return self.query_one(ReadingTools)

    async def action_download_pdf(self) -> None:
        if entry := self._current():
            await self.reading_tools.download(entry)

    async def action_open_pdf(self) -> None:
        if entry := self._current():
            await self.reading_tools.open_pdf(entry)

    def action_toggle_queue(self) -> None:
        if entry := self._current():
            self.writes.toggle_queue(entry)

    def action_queue_move(self, where: str) -> None:
        if entry := self._current():
            self.writes.move_in_queue(entry, where)

    def action_sort(self) -> None:
        """Cycle the order inside sections (list order, year, title, status, date read)."""
        self.catalog_tree.order = order = next_order(self.catalog_tree.order)
        self.rebuild_tree()
        self._update_header()
        self.notify_plain(f"Inside sections: {order_name(order)} (s changes it)")

    @on(messages.PdfsFound)
    def _pdfs_found(self, event: messages.PdfsFound) -> None:
        changed = event.pdfs.keys() ^ self.reading.pdfs.keys()  # their rows get or lose ⤓
        self.reading.set_pdfs(event.pdfs)
        for key in changed:
            self.catalog_tree.refresh_key(key)
        self._show_current()

    @on(messages.QueueChanged)
    def _queue_changed(self, event: messages.QueueChanged) -> None:
        self.reading.set_queue(event.queue)
        self.catalog_tree.show_queue(event.follow)
        self._show_current()

    # background tasks: fetch, add, update, export (screens/background.py) --------------

    @property
    def background(self) -> BackgroundTasks:
        return self.query_one(BackgroundTasks)

    async def action_fetch_all(self) -> None:
        await self.action_fetch(everything=True)

    async def action_fetch(self, everything: bool = False) -> None:
        node = self.catalog_tree.cursor_node
        await self.background.fetch(node.data if node is not None and not everything else None)

    def action_add_paper(self) -> None:
        self.background.add_paper()

    def action_update_list(self) -> None:
        self.background.update_list()

    def action_export(self) -> None:
        self.background.export()

    @on(messages.MetadataStored)
    def _metadata_stored(self, event: messages.MetadataStored) -> None:
        self.reading.set_metadata(event.records)
        self._show_current()

    @on(messages.WorkspaceChanged)
    def _workspace_changed(self, event: messages.WorkspaceChanged) -> None:
        if event.workspace is not None:
            self.use_workspace(event.workspace)
        self.following.show_again(event.select, event.list_changed)
