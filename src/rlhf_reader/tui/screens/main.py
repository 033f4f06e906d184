"""The main screen: it composes the parts and answers their messages.

The parts: ``ProgressHeader`` (title, progress, filter count), ``CatalogTree`` (sections and
papers, the filter's view), ``DetailPane``, ``FilterBar`` (mounted on the first ``/``),
``TaskBar`` (runs one background task), ``BackgroundTasks`` (hidden: starts the fetch,
add, update and export workers and stores their results, ``screens.background``),
``ReadingTools`` (hidden: PDFs, the reading queue, the order; ``screens.reading``),
``KeyFooter``. Widgets and workers talk to the screen with messages (``tui.messages`` and the
widgets' own); the screen writes the library on the UI thread and tells the widgets what to
show. Every key is one ``Action`` in ``tui.actions`` and one ``action_*`` method here.
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
from textual.worker import Worker, WorkerState

from rlhf_reader.library.store import Library, LibraryError
from rlhf_reader.model import Annotation, Entry, Section, Status
from rlhf_reader.textsafe import printable, printable_block
from rlhf_reader.tui import browser, messages, restore, tasks, web
from rlhf_reader.tui.actions import ACTIONS
from rlhf_reader.tui.screens.background import BackgroundTasks
from rlhf_reader.tui.screens.lists import read_list_keys
from rlhf_reader.tui.screens.reading import ReadingTools, known_order, next_order, order_name
from rlhf_reader.tui.state import ReadingList, remember, remembered, view_name
from rlhf_reader.tui.typeahead import TypeAhead
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.detail import DetailPane, Reading
from rlhf_reader.tui.widgets.header import ProgressHeader
from rlhf_reader.tui.widgets.key_footer import KeyFooter
from rlhf_reader.tui.widgets.taskbar import TaskBar
from rlhf_reader.undo import History, short
from rlhf_reader.workspace import NoteConflict, NoteSaved, Workspace

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rlhf_reader.tags import TagEdit
    from rlhf_reader.tui.widgets.filter_bar import FilterBar
    from rlhf_reader.workspace import Workspace


ACTION_KEYS = {action.id: action.keys for action in ACTIONS}


class MainScreen(Screen[None]):
    """Coordinates the widgets; writes to the library first, then updates what is shown."""

    NARROW_BELOW = 100
    """Below this width the detail pane moves under the tree (class ``-narrow``)."""
    BINDINGS: ClassVar[list[BindingType]] = [action.binding() for action in ACTIONS]

    def __init__(self, workspace: Workspace, state: dict[str, Any]) -> None:
        super().__init__()
        self.workspace = workspace
        self.reading = ReadingList.of(workspace)
        self.state = state
        self._offered_copy_dialog = False
        self.filter_text = ""
        self._seen_generation = workspace.library.generation
        """The library file as last shown: another process's change makes it move."""
        self._poll_error = ""
        self.typeahead = TypeAhead()
        self.history = History()
        """This window's changes to the library, for ``u`` (``rlhf_reader.undo``)."""

    @property
    def library(self) -> Library:
        return self.workspace.library

    def use_workspace(self, workspace: Workspace) -> None:
        """Go on with ``workspace`` (the same library, the list read from another file)."""
        old, self.workspace = self.workspace, workspace
        self.app.workspace = workspace  # type: ignore[attr-defined]
        self._seen_generation = -1
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
        self.show_view(remembered(self.state, view_name(self.workspace)))  # this list's
        self._update_header()
        tree.focus()
        tree.cursor_moved.subscribe(self, lambda _: self._show_current(), immediate=True)
        # The detail pane is filled just after the first frame (the tree's highlight
        # message would fill it then anyway): the first frame paints the tree alone.
        self.call_after_refresh(self._show_current)
        self.call_after_refresh(tree.center_cursor)
        # The search index is started by the app once its screen is ready (ReaderApp.on_ready):
        # its import and build in a thread would compete with the first frames for the GIL.

    def show_view(self, view: dict[str, Any]) -> None:
        """The tree with ``view``'s open sections and the cursor on its paper (a list seen
        for the first time: on the first paper)."""
        tree = self.catalog_tree
        tree.populate(None, [tuple(p) for p in view.get("expanded") or [] if isinstance(p, list)])
        key = view.get("cursor")
        section = restore.saved_section(view)
        if section is not None and restore.select_section(tree, section):
            return  # quit on a section: back on it
        if not (isinstance(key, str) and key in self.reading.rows and tree.select_key(key)):
            tree.show_again(next(iter(self.reading.rows), None))

    def prepare_filter(self) -> None:
        """Once the screen is up: build the search index in a thread, so ``/`` is instant
        (until it is installed, the first filter builds it itself); look for the PDFs."""
        # A description, or Textual makes one with repr(work): every row, 0.2 s for 10,000.
        work = partial(tasks.build_search_index, self.post_message, dict(self.reading.rows))
        self.run_worker(
            work, thread=True, group="search-index", description="index", exit_on_error=False
        )
        find = partial(tasks.find_pdfs, self.post_message, self.workspace, list(self.reading.rows))
        self.run_worker(
            find, thread=True, group="pdf-marks", description="pdf marks", exit_on_error=False
        )
        keys = partial(read_list_keys, self.post_message, self.workspace)  # for list:NAME
        self.run_worker(
            keys, thread=True, group="list-keys", description="list keys", exit_on_error=False
        )

    @on(messages.SearchIndexBuilt)
    def _index_built(self, event: messages.SearchIndexBuilt) -> None:
        if event.snapshot.keys() == self.reading.rows.keys():  # not one of a list since gone
            self.reading.install_index(event.index, event.snapshot)

    # following the file ----------------------------------------------------------------

    def follow_the_file(self) -> None:
        """Once the screen is up: look at the library file every second (one ``stat``)."""
        self.set_interval(1.0, self.poll, name="follow the library file")

    def poll(self) -> bool:
        """Show what another process (the CLI, a second window, an import) wrote, keeping
        the cursor, the open sections, the scroll position and the filter. True if it did."""
        workspace = self.workspace
        try:
            workspace.poll()
            if workspace.library.generation == self._seen_generation:
                return False
            workspace.rebuild()  # an addition or an update elsewhere: the catalog follows
            self.reload(keep_scroll=True)
        except (LibraryError, OSError) as exc:
            message = f"Not following the library file: {exc}"
            if message != self._poll_error:  # once, not every second
                self._poll_error = message
                self.notify_plain(message, "error")
            return False
        self._poll_error = ""
        return True

    def current_state(self) -> dict[str, Any]:
        """The saved state with this list's cursor and open sections (each list has its own)."""
        name = view_name(self.workspace)
        entry = self.catalog_tree.current_entry
        cursor = entry.key if entry else remembered(self.state, name).get("cursor")
        tree = self.catalog_tree
        view = {
            "cursor": cursor,
            "section": restore.cursor_section(tree),
            "expanded": tree.saved_expanded(),
        }
        return remember(self.state, name, view) | {"order": tree.order}

    # showing ---------------------------------------------------------------------------

    def _update_header(self) -> None:
        header = self.query_one(ProgressHeader)
        header.read = self.reading.overall.read
        header.total = self.reading.overall.total
        header.order = order_name(self.catalog_tree.order) if self.catalog_tree.order else ""

    def _show_current(self) -> None:
        tree = self.catalog_tree
        entry = tree.current_entry
        if entry is not None:
            reading = self.reading
            row, listed = reading.row(entry.key), reading.listings(entry)
            also = reading.also_in(entry)
            self.detail.show(entry, row, listed, self._reading_of(entry), also)
            return
        node = tree.cursor_node
        if node is not None and isinstance(node.data, Section):
            path = node.data.path
            if path not in self.reading.progress:  # the "New since" section
                keys = {entry.key for entry in node.data.entries}
                read = sum(self.reading.status(key) is Status.READ for key in keys)
                self.detail.show_section(node.data, read, len(keys))
            else:
                counts = self.reading.progress[path]
                shown = tree.shown_keys
                matching = None if shown is None else self.reading.counts(path, shown).total
                self.detail.show_section(node.data, counts.read, counts.total, matching)
        elif tree.shown_keys is not None and not tree.shown_keys:
            self.detail.show_message("Nothing matches this filter (esc clears it).")
        else:
            self.detail.show(None, None, [])

    def _reading_of(self, entry: Entry) -> Reading:
        queue = self.reading.queue
        place = (queue.index(entry.key) + 1, len(queue)) if entry.key in queue else None
        return Reading(self.reading.pdfs.get(entry.key), place)

    @on(CatalogTree.EntryHighlighted)
    def _highlighted(self, event: CatalogTree.EntryHighlighted) -> None:
        self._show_current()

    @on(CatalogTree.EntryChosen)
    def _chosen(self, event: CatalogTree.EntryChosen) -> None:
        self.seen(event.entry.key)
        self.detail.focus()

    def reload(self, select: str | None = None, keep_scroll: bool = False) -> None:
        """Take the workspace as its files are now; redraw (the cursor on ``select``)."""
        was = self.reading
        self.reading = ReadingList.of(self.workspace, was.lists)
        self.reading.where = was.where
        self.reading.set_pdfs(was.pdfs)  # until they are looked for again (prepare_filter)
        self._seen_generation = self.library.generation
        tree = self.catalog_tree
        tree.set_reading(self.reading)
        self.query_one(ProgressHeader).list_title = self.reading.catalog.title
        self.rebuild_tree(select, keep_scroll)
        self._update_header()
        self.prepare_filter()

    def rebuild_tree(self, select: str | None = None, keep_scroll: bool = False) -> None:
        """Redraw the tree (same filter, same open sections), cursor on ``select`` or where
        it was, the rows where they were on the screen (``keep_scroll``) or centred."""
        tree = self.catalog_tree
        current = tree.current_entry
        in_queue = tree.in_queue
        scrolled = tree.scroll_offset.y
        if self.filter_text.strip():
            self.apply_filter(self.filter_text)
        else:
            tree.populate(None, [tuple(p) for p in tree.expanded_paths()])
        key = select or (current.key if current else None)
        entry = current if current is not None and key == current.key else None
        tree.show_again(key if key in self.reading.rows else None, entry)
        if in_queue and key in self.reading.queue:  # stay in the queue section
            tree.show_queue(follow=key)
        if keep_scroll:
            tree.scroll_to(y=scrolled, animate=False)
            if tree.cursor_node is not None:  # still in sight
                tree.scroll_to_node(tree.cursor_node, animate=False)
        else:
            tree.center_cursor()
        self._show_current()

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

    def notify_block(self, message: str, severity: str = "information") -> None:
        """A notification of several lines, shown literally."""
        self.notify(printable_block(message), severity=severity, markup=False)  # type: ignore[arg-type]

    # what's new ------------------------------------------------------------------------

    def seen(self, key: str) -> None:
        """The reader opened ``key``: clear its new mark (in the library first)."""
        if key not in self.reading.new:
            return
        from rlhf_reader.lists.views import mark_seen

        try:
            mark_seen(self.workspace, [key])
        except (LibraryError, OSError, ValueError) as exc:
            self.notify_plain(f"Not saved: {exc}", "error")
            return
        self.reading.mark_seen([key])
        self.catalog_tree.refresh_key(key)

    def action_mark_all_seen(self) -> None:
        from rlhf_reader.lists.views import mark_seen

        if not self.reading.new:
            self.notify_plain("Nothing is marked new.")
            return
        try:
            cleared = mark_seen(self.workspace, None)
        except (LibraryError, OSError, ValueError) as exc:
            self.notify_plain(f"Not saved: {exc}", "error")
            return
        tree = self.catalog_tree
        for key in self.reading.mark_seen(None):
            tree.refresh_key(key)  # the cached labels with ✦ go too
        self.rebuild_tree()
        self.notify_plain(f"{cleared} entr{'y' if cleared == 1 else 'ies'} no longer marked new.")

    # writing ---------------------------------------------------------------------------

    def _current(self) -> Entry | None:
        entry = self.catalog_tree.current_entry
        if entry is None:
            self.notify_plain("Move the cursor to a paper first.", "warning")
        return entry

    def _store(
        self,
        key: str | Iterable[str],
        write: Callable[[], Annotation | list[Annotation]],
        what: str | None = None,
    ) -> str | None:
        """Run ``write`` on the library, then show its result; the error message otherwise.
        With ``what`` (for messages), ``u`` can undo it."""
        keys = [key] if isinstance(key, str) else list(key)
        if what is not None:
            write = partial(self.history.record, self.library, keys, write, what)
        try:
            result = write()
        except Exception as exc:  # never a traceback on the screen, even for a bug
            expected = isinstance(exc, (LibraryError, OSError, ValueError))
            message = (
                f"Not saved: {exc}" if expected else f"Not saved ({type(exc).__name__}): {exc}"
            )
            self.notify_plain(message, "error")
            return message
        self._took(keys, result if isinstance(result, list) else [result])
        return None

    def _took(self, keys: list[str], annotations: Iterable[Annotation]) -> None:
        """Show ``annotations`` as stored (after a write or an undo)."""
        for annotation in annotations:
            self.reading.update(annotation)
        tree = self.catalog_tree
        if len(keys) > 50:  # a big section: every label once
            tree.relabel_all()
        else:
            for key in keys:
                tree.refresh_key(key)
        self._update_header()
        self._show_current()
        queue = self.workspace.queue()  # marked read: off the queue; undone: back on it
        if [key for key in queue if key in self.reading.rows] != self.reading.queue:
            self.post_message(messages.QueueChanged(queue))

    def set_status(self, entry: Entry, status: Status) -> None:
        what = f"«{short(entry.title)}» marked {status.value}"
        self._store(entry.key, lambda: self.workspace.set_status([entry.key], status), what)

    def action_toggle_read(self) -> None:
        node = self.catalog_tree.cursor_node
        if node is not None and isinstance(node.data, Section):
            self.action_mark_section()  # space on a section: all of it, asking first
            return
        entry = self._current()
        if entry is not None:
            was = self.reading.status(entry.key)
            self.set_status(entry, Status.UNREAD if was is Status.READ else Status.READ)

    def action_mark_reading(self) -> None:
        entry = self._current()
        if entry is not None:
            self.set_status(entry, Status.READING)

    def action_edit_tags(self) -> None:
        from rlhf_reader.tui.screens.tags import TagsDialog

        entry = self._current()
        if entry is None:
            return
        key = entry.key

        def save(edit: TagEdit) -> str | None:
            what = f"tags of «{short(entry.title)}» changed"
            return self._store(key, lambda: self.workspace.change_tags([key], edit), what)

        tags = self.reading.row(key).annotation.tags
        self.app.push_screen(TagsDialog(entry.title, tags, self.reading.tags_in_use(), save))

    def action_edit_note(self) -> None:
        from rlhf_reader.tui.screens.note import NoteEditor

        entry = self._current()
        if entry is None:
            return
        key = entry.key

        def save(text: str, base: str) -> str | NoteConflict | None:
            """The note over ``base`` (what the editor loaded, or the other note after a
            conflict); a conflict when the file holds yet another note."""
            outcome: list[NoteSaved | NoteConflict] = []

            def write() -> Annotation:
                result = self.workspace.save_note(key, text, base)
                outcome.append(result)
                if isinstance(result, NoteConflict):
                    return self.library.annotation(key)  # show the note as the file has it
                return result.annotation

            error = self._store(key, write, f"note of «{short(entry.title)}» saved")
            if error is None and isinstance(outcome[0], NoteConflict):
                return outcome[0]
            return error

        note = self.reading.row(key).annotation.note
        keep_in = self.workspace.db_path.parent
        self.app.push_screen(NoteEditor(entry.title, note, save, key=key, keep_in=keep_in))

    # opening, copying, help ------------------------------------------------------------

    def action_open_link(self) -> None:
        entry = self._current()
        if entry is None:
            return
        if not entry.url.startswith(("http://", "https://")):
            self.notify_plain(f"Not opened (only http and https links): {entry.url}", "warning")
            return
        self.seen(entry.key)
        if self.app.is_web:
            self.app.open_url(entry.url)  # a new tab
            self.notify_plain(web.opening(entry.url))
            return
        browser.open_link(self, entry.url)

    @on(messages.LinkOpened)
    def _link_opened(self, event: messages.LinkOpened) -> None:
        """Say it opened; else offer to copy the link (no browser: over SSH, say)."""
        url = event.url
        if event.opened:
            self.notify_plain(f"Opened {url} in the browser.")
            return

        def answered(choice: str | None) -> None:
            if choice == "copy":
                self.copy_text(url, f"the link {url}")

        self.app.push_screen(browser.offer_copy(event), answered)

    def copy_text(self, text: str, what: str) -> None:
        """Send ``text`` to the terminal's clipboard (OSC 52) now, and to a clipboard tool
        (pyperclip) in a thread: the tool may take a while, or hang."""
        self.app.copy_to_clipboard(text)
        if self.app.is_web:  # the browser's clipboard, never the server's tools
            self.post_message(messages.Copied(text, what, by_tool=False))
            return
        work = partial(tasks.copy_with_tool, self.post_message, text, what)
        self.run_worker(work, thread=True, group="clipboard", exit_on_error=False)

    @on(messages.Copied)
    def _copied(self, event: messages.Copied) -> None:
        if event.by_tool:
            self.notify_plain(f"Copied {event.what}.")
            return
        if self.app.is_web:
            self.notify_plain(web.copied(event.what))
        else:
            self.notify_plain(f"Copied {event.what} to the terminal's clipboard (OSC 52).")
        if not self._offered_copy_dialog:
            from rlhf_reader.tui.screens.copying import CopiedText

            self._offered_copy_dialog = True
            self.app.push_screen(CopiedText(event.what, event.text))

    def action_copy_link(self) -> None:
        entry = self._current()
        if entry is not None:
            self.copy_text(entry.url, f"the link {entry.url}")

    def action_copy_bibtex(self) -> None:
        self.copy_citation("bibtex")

    def copy_citation(self, fmt: str) -> None:
        from rlhf_reader.formats.cite import cite_one, describe

        entry = self._current()
        if entry is None:
            return
        try:
            text = cite_one(self.reading.row(entry.key), fmt)
        except Exception as exc:  # a citation bug must not end the app
            self.notify_plain(f"No citation ({type(exc).__name__}): {exc}", "error")
            return
        first = text.splitlines()[0] if text else ""
        self.copy_text(text, f"the {describe(fmt)} citation ({first[:60]})")

    def action_copy_citation(self) -> None:
        from rlhf_reader.tui.screens.copying import FormatChooser, copy_choice

        if self._current() is None:
            return

        def chosen(fmt: str | None) -> None:
            if fmt:
                copy_choice(self, fmt)

        self.app.push_screen(FormatChooser(), chosen)

    def action_help(self) -> None:
        from rlhf_reader.tui.screens.help import HelpScreen
        from rlhf_reader.tui.screens.note import NoteEditor

        owners = (CatalogTree, DetailPane, MainScreen, NoteEditor)
        self.app.push_screen(HelpScreen([b for owner in owners for b in owner.BINDINGS]))

    def action_all_authors(self) -> None:
        everyone = self.detail.toggle_authors()
        self.notify_plain("Every author shown." if everyone else "Long author lists cut short.")

    def action_mark_section(self) -> None:
        from rlhf_reader.tui.screens.mark_section import ask_and_mark

        ask_and_mark(self)

    def action_undo(self) -> None:
        """Undo this window's last change, as a change to the file as it is now."""
        try:
            done = self.history.undo(self.library)
        except Exception as exc:  # never a traceback on the screen, even for a bug
            self.notify_plain(f"Not undone ({type(exc).__name__}): {exc}", "error")
            return
        if done is None:
            self.notify_plain("Nothing to undo: no change made in this window yet.")
            return
        self._took([a.key for a in done.restored], done.restored)
        rows = self.reading.rows
        message = done.summary(lambda key: short(rows[key].entry.title) if key in rows else key)
        self.notify_plain(message, "information" if done.complete else "warning")

    def action_progress(self) -> None:
        from rlhf_reader.tui.screens.dashboard import Dashboard

        self.app.push_screen(Dashboard(self.reading, workspace=self.workspace))

    # several lists (screens/lists.py) --------------------------------------------------

    def action_choose_list(self) -> None:
        """``L``: pick a list (or All lists); it is read in a worker, then ``ListOpened``."""
        from rlhf_reader.tui.screens.lists import ListChooser, open_list

        current = view_name(self.workspace)

        def chosen(choice: str | None) -> None:
            if choice is not None and choice != current:
                index = bool(self.filter_text.strip())
                work = partial(open_list, self.post_message, self.workspace, choice, index)
                self.run_worker(
                    work, thread=True, group="open-list", description=choice, exit_on_error=False
                )

        self.app.push_screen(ListChooser(self.workspace, current), chosen)

    @on(messages.ListOpened)
    def _list_opened(self, event: messages.ListOpened) -> None:
        """Remember this list's view, show the other one's as it was left (same filter)."""
        self.state = self.current_state()
        self.catalog_tree.stop_filter(back=True)
        self.use_workspace(event.workspace)
        self.reading = event.reading
        self._seen_generation = self.library.generation
        self.catalog_tree.set_reading(self.reading)
        self.query_one(ProgressHeader).list_title = self.reading.catalog.title
        self.show_view(remembered(self.state, view_name(event.workspace)))
        if self.filter_text.strip():
            self.apply_filter(self.filter_text)
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

    # filter ----------------------------------------------------------------------------

    @property
    def filter_bar(self) -> FilterBar | None:
        found = self.query("#filter-bar")
        return found.first() if found else None  # type: ignore[return-value]

    async def action_filter(self) -> None:
        bar = self.filter_bar
        if bar is None:
            from rlhf_reader.tui.widgets.filter_bar import FilterBar

            bar = FilterBar(id="filter-bar")
            await self.mount(bar, before=self.query_one(KeyFooter))
        bar.display = True
        self.set_focus(bar.input)  # now: keys already on their way go to the input
        self.typeahead.deliver(bar.input)

    def on_key(self, event: events.Key) -> None:
        """A key typed before the focus caught up goes where it would go now (``typeahead``)."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        keys = keymap.get("find.filter") or ACTION_KEYS["find.filter"]
        opens = event.key in [key.strip() for key in keys.split(",")]
        if self.typeahead.catch(event, self.focused, opens):
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
        bar = self.filter_bar
        try:
            keys = self.reading.filter(text)
        except ValueError as exc:  # QueryError: the query is wrong, say why
            if bar is not None:
                bar.show_error(str(exc))
            return
        except Exception as exc:  # a bug in the filter: report it, keep the list as it was
            if bar is not None:
                bar.show_error(f"the filter failed ({type(exc).__name__}): {exc}")
            return
        if bar is not None:
            bar.show_error(None)
        self.filter_text = text
        self.catalog_tree.show_only(keys)
        self.query_one(ProgressHeader).matches = None if keys is None else len(keys)
        self._show_current()

    def action_clear_filter(self) -> None:
        """Esc: in the filter bar, clear it and go back to where the cursor was; in the tree,
        clear it and stay on the paper under the cursor; in the detail pane, back to the tree.
        Before all that, a running fetch or update is cancelled."""
        cancelled = self.taskbar.cancel()
        if cancelled:
            self.notify_plain(f"Cancelled: {cancelled}", "warning")
            return
        tree = self.catalog_tree
        if not tree.filtering:
            if self.detail.has_focus:
                tree.focus()
            return
        bar = self.filter_bar
        typing = bar is not None and bar.input.has_focus
        self.filter_text = ""
        if bar is not None:
            bar.clear()
        self.query_one(ProgressHeader).matches = None
        tree.stop_filter(back=typing)
        self._show_current()
        tree.focus()

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
            self.reading_tools.toggle_queue(entry)

    def action_queue_move(self, where: str) -> None:
        if entry := self._current():
            self.reading_tools.move_in_queue(entry, where)

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
        self.reload(select=event.select)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in the clipboard call: a notification, never a traceback."""
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.group == "clipboard":
            error = worker.error
            self.notify_plain(f"{worker.group} failed: {type(error).__name__}: {error}", "error")
