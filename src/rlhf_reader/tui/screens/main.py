"""The main screen: header, tree, detail pane, filter bar and footer; it runs every action.

Every action on the highlighted paper is one ``Action`` below (key, footer text, palette
name, help text) and one ``action_*`` method; the bindings, the command palette and the help
screen are all generated from ``ACTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from rlhf_reader.library.store import Library, LibraryError
from rlhf_reader.model import Annotation, Entry, Section, Status
from rlhf_reader.textsafe import printable
from rlhf_reader.tui import web
from rlhf_reader.tui.screens.tasks import BackgroundTasks
from rlhf_reader.tui.state import ReadingList
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.detail import DetailPane
from rlhf_reader.tui.widgets.header import ProgressHeader

if TYPE_CHECKING:
    from rlhf_reader.tags import TagEdit
    from rlhf_reader.tui.widgets.filter_bar import FilterBar

STATE_NAME = "tui_state"


@dataclass(frozen=True)
class Action:
    """One user action: its binding (id ``group.name``), palette name and help text."""

    id: str
    keys: str
    action: str
    footer: str
    command: str
    help: str
    show: bool = True

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def binding(self) -> Binding:
        return Binding(
            self.keys, self.action, self.footer, show=self.show, id=self.id, tooltip=self.help
        )


ACTIONS: tuple[Action, ...] = (
    Action(
        "status.toggle-read",
        "space",
        "toggle_read",
        "Read",
        "toggle: read / unread",
        "Mark the paper read, or unread again",
    ),
    Action(
        "status.reading",
        "i",
        "mark_reading",
        "Reading",
        "mark: reading",
        "Mark the paper as being read",
    ),
    Action(
        "edit.tags",
        "t",
        "edit_tags",
        "Tags",
        "edit: tags",
        "Edit the tags: a plain list replaces, +tag adds, -tag removes",
    ),
    Action(
        "edit.note",
        "n",
        "edit_note",
        "Note",
        "edit: note",
        "Edit the Markdown note (ctrl+s saves, esc asks before dropping changes)",
    ),
    Action(
        "open.link",
        "o",
        "open_link",
        "Open",
        "open: link in browser",
        "Open the paper's link in the browser (http and https only)",
    ),
    Action(
        "find.filter",
        "slash",
        "filter",
        "Filter",
        "filter: papers",
        "Filter: words, tag:x, status:unread, section:text, year:2024, -word; esc clears",
    ),
    Action(
        "find.clear",
        "escape",
        "clear_filter",
        "Clear",
        "clear: filter",
        "Cancel a running fetch or update; clear the filter and go back; from the detail "
        "pane, back to the tree",
        show=False,
    ),
    Action(
        "app.help", "question_mark", "help", "Help", "show: keys", "Every key, grouped by purpose"
    ),
    Action(
        "app.quit",
        "q",
        "app.quit",
        "Quit",
        "quit: app",
        "Quit (asks first when a note has unsaved changes)",
    ),
    Action(
        "copy.link",
        "y",
        "copy_link",
        "Copy link",
        "copy: link",
        "Copy the paper's link to the clipboard",
        show=False,
    ),
    Action(
        "copy.bibtex",
        "c",
        "copy_bibtex",
        "Cite",
        "copy: BibTeX citation",
        "Copy the paper's BibTeX entry to the clipboard",
    ),
    Action(
        "copy.choose",
        "C",
        "copy_citation",
        "Cite as",
        "copy: citation as…",
        "Choose a citation format (BibTeX, APA 7, Markdown, plain text), then copy it",
        show=False,
    ),
    Action(
        "copy.export",
        "e",
        "export",
        "Export",
        "export: reading list",
        "Export the list or the filtered entries (Markdown, BibTeX, CSV, RIS, JSON, CSL-JSON)",
    ),
    Action(
        "arxiv.fetch",
        "f",
        "fetch",
        "Fetch",
        "fetch: arXiv metadata",
        "Fetch arXiv metadata: the paper (again), or a section's uncached papers; esc cancels",
    ),
    Action(
        "arxiv.fetch-all",
        "F",
        "fetch_all",
        "Fetch all",
        "fetch: arXiv metadata for the whole list",
        "Fetch arXiv metadata for every uncached paper of the list; esc cancels",
        show=False,
    ),
    Action(
        "arxiv.add",
        "a",
        "add_paper",
        "Add",
        "add: paper by arXiv id",
        "Add a paper by arXiv id or link to My additions",
        show=False,
    ),
    Action(
        "list.update",
        "U",
        "update_list",
        "Update",
        "update: list from upstream",
        "Fetch the newest version of the list, show what changed, mark new entries",
        show=False,
    ),
    Action(
        "list.seen",
        "N",
        "mark_all_seen",
        "All seen",
        "mark: all new entries seen",
        "Clear every 'new' mark (a paper's own clears when you open it)",
        show=False,
    ),
    Action(
        "list.progress",
        "p",
        "progress",
        "Progress",
        "show: progress dashboard",
        "Progress overall and per section, and papers read per week",
    ),
)


class MainScreen(BackgroundTasks, Screen[None]):
    """Coordinates the widgets; writes to the library first, then updates what is shown."""

    NARROW_BELOW = 100
    """Below this width the detail pane moves under the tree (class ``-narrow``)."""
    BINDINGS: ClassVar[list[BindingType]] = [action.binding() for action in ACTIONS]

    def __init__(
        self,
        reading: ReadingList,
        library: Library,
        state: dict[str, Any],
        list_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.reading = reading
        self.library = library
        self.state = state
        self.list_path = list_path
        self._offered_copy_dialog = False
        self.filter_text = ""
        self._before_filter: tuple[Entry | None, list[list[str]]] | None = None

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
        yield Footer()

    @property
    def catalog_tree(self) -> CatalogTree:
        return self.query_one(CatalogTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def on_mount(self) -> None:
        expanded = [tuple(p) for p in self.state.get("expanded") or [] if isinstance(p, list)]
        tree = self.catalog_tree
        tree.populate(None, expanded)
        key = self.state.get("cursor")
        if not (isinstance(key, str) and key in self.reading.rows and tree.select_key(key)):
            first = next(iter(self.reading.rows), None)  # first run: the list's first paper
            if first is None or not tree.select_key(first):
                self._cursor_to_first_entry()
        self._update_header()
        tree.focus()
        # The detail pane is filled just after the first frame (the tree's highlight
        # message would fill it then anyway): the first frame paints the tree alone.
        self.call_after_refresh(self._show_current)
        self.call_after_refresh(tree.center_cursor)
        # The search index is started by the app once its screen is ready (ReaderApp.on_ready):
        # its import and build in a thread would compete with the first frames for the GIL.

    def prepare_filter(self) -> None:
        """Once the screen is up: build the search index in a thread, so ``/`` is instant
        (until it is installed, the first filter builds it itself)."""
        snapshot = dict(self.reading.rows)

        def build() -> None:
            index = self.reading.build_index(snapshot)
            self.app.call_from_thread(self.reading.install_index, index, snapshot)

        self.run_worker(build, thread=True, group="search-index", exit_on_error=False)

    # state -----------------------------------------------------------------------------

    def current_state(self) -> dict[str, Any]:
        entry = self.catalog_tree.current_entry
        expanded = (
            self._before_filter[1]
            if self._before_filter is not None
            else self.catalog_tree.expanded_paths()
        )
        cursor = entry.key if entry else self.state.get("cursor")
        return {"cursor": cursor, "expanded": expanded}

    # showing ---------------------------------------------------------------------------

    def _update_header(self) -> None:
        header = self.query_one(ProgressHeader)
        header.read = self.reading.overall.read
        header.total = self.reading.overall.total

    def _show_current(self) -> None:
        tree = self.catalog_tree
        entry = tree.current_entry
        if entry is None:
            node = tree.cursor_node
            if node is not None and isinstance(node.data, Section):
                counts = self.reading.progress.get(node.data.path)
                if counts is None:  # the "New since" section
                    keys = {entry.key for entry in node.data.entries}
                    read = sum(self.reading.status(key) is Status.READ for key in keys)
                    self.detail.show_section(node.data, read, len(keys))
                else:
                    self.detail.show_section(node.data, counts.read, counts.total)
            elif tree.shown_keys is not None and not tree.shown_keys:
                self.detail.show_message("Nothing matches this filter (esc clears it).")
            else:
                self.detail.show(None, None, [])
        else:
            self.detail.show(entry, self.reading.row(entry.key), self.reading.entries[entry.key])

    @on(CatalogTree.EntryHighlighted)
    def _highlighted(self, event: CatalogTree.EntryHighlighted) -> None:
        self._show_current()

    @on(CatalogTree.EntryChosen)
    def _chosen(self, event: CatalogTree.EntryChosen) -> None:
        self.seen(event.entry.key)
        self.detail.focus()

    # what's new ------------------------------------------------------------------------

    def seen(self, key: str) -> None:
        """The reader opened ``key``: clear its new mark (in the library first)."""
        if key not in self.reading.new:
            return
        from rlhf_reader.lists.whatsnew import mark_seen

        try:
            mark_seen(self.library, [key])
        except (LibraryError, OSError, ValueError) as exc:
            self.notify_plain(f"Not saved: {exc}", "error")
            return
        self.reading.mark_seen([key])
        self.catalog_tree.refresh_key(key)

    def action_mark_all_seen(self) -> None:
        from rlhf_reader.lists.whatsnew import mark_seen

        if not self.reading.new:
            self.notify_plain("Nothing is marked new.")
            return
        try:
            cleared = mark_seen(self.library, None)
        except (LibraryError, OSError, ValueError) as exc:
            self.notify_plain(f"Not saved: {exc}", "error")
            return
        self.reading.mark_seen(None)
        self.rebuild_tree()
        self.notify_plain(f"{cleared} entr{'y' if cleared == 1 else 'ies'} no longer marked new.")

    def reload(self, catalog: Any = None, select: str | None = None) -> None:
        """Read the list (``catalog``, or the current one) and the library again; redraw."""
        from rlhf_reader.lists.whatsnew import new_keys

        catalog = catalog or self.reading.catalog
        library = self.library
        self.reading = ReadingList.build(
            catalog, library.annotations(), library.all_metadata(), new_keys(library)
        )
        self.app.reading = self.reading  # type: ignore[attr-defined]
        tree = self.catalog_tree
        tree.set_reading(self.reading)
        header = self.query_one(ProgressHeader)
        header.list_title = catalog.title
        self.rebuild_tree(select)
        self._update_header()
        self.prepare_filter()

    def rebuild_tree(self, select: str | None = None) -> None:
        """Redraw the tree (same filter, same open sections), cursor on ``select`` or where
        it was."""
        tree = self.catalog_tree
        current = tree.current_entry
        if self.filter_text.strip():
            self.apply_filter(self.filter_text)
        else:
            tree.populate(None, [tuple(p) for p in tree.expanded_paths()])
        key = select or (current.key if current else None)
        entry = current if current is not None and key == current.key else None
        if key is None or key not in self.reading.rows or not tree.select_key(key, entry):
            if key is None or not tree.select_key(key):
                self._cursor_to_first_entry()
        tree.center_cursor()
        self._show_current()

    def action_progress(self) -> None:
        from rlhf_reader.tui.screens.dashboard import Dashboard

        self.app.push_screen(Dashboard(self.reading))

    # copying ---------------------------------------------------------------------------

    def copy_text(self, text: str, what: str) -> None:
        """Send ``text`` to the terminal's clipboard (OSC 52) and, when it works, pyperclip."""
        from rlhf_reader import clipboard

        self.app.copy_to_clipboard(text)
        if self.app.is_web:  # the browser's clipboard, never the server's
            self.notify_plain(web.copied(what))
        elif clipboard.try_pyperclip(text):
            self.notify_plain(f"Copied {what}.")
            return
        else:
            self.notify_plain(f"Copied {what} to the terminal's clipboard (OSC 52).")
        if not self._offered_copy_dialog:
            from rlhf_reader.tui.screens.copying import CopiedText

            self._offered_copy_dialog = True
            self.app.push_screen(CopiedText(what, text))

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
        from rlhf_reader.tui.screens.copying import FormatChooser

        if self._current() is None:
            return

        def chosen(fmt: str | None) -> None:
            if fmt:
                self.copy_citation(fmt)

        self.app.push_screen(FormatChooser(), chosen)

    def notify_plain(self, message: str, severity: str = "information") -> None:
        """A notification whose text is shown literally."""
        self.notify(printable(message), severity=severity, markup=False)  # type: ignore[arg-type]

    def notify_block(self, message: str, severity: str = "information") -> None:
        """A notification of several lines, shown literally."""
        from rlhf_reader.textsafe import printable_block

        self.notify(printable_block(message), severity=severity, markup=False)  # type: ignore[arg-type]

    # writing ---------------------------------------------------------------------------

    def _current(self) -> Entry | None:
        entry = self.catalog_tree.current_entry
        if entry is None:
            self.notify_plain("Move the cursor to a paper first.", "warning")
        return entry

    def _store(self, key: str, write: Callable[[], Annotation | list[Annotation]]) -> str | None:
        """Run ``write`` on the library, then show its result; the error message otherwise."""
        try:
            result = write()
        except Exception as exc:  # never a traceback on the screen, even for a bug
            expected = isinstance(exc, (LibraryError, OSError, ValueError))
            message = (
                f"Not saved: {exc}" if expected else f"Not saved ({type(exc).__name__}): {exc}"
            )
            self.notify_plain(message, "error")
            return message
        for annotation in result if isinstance(result, list) else [result]:
            self.reading.update(annotation)
        self.catalog_tree.refresh_key(key)
        self._update_header()
        self._show_current()
        return None

    def set_status(self, entry: Entry, status: Status) -> None:
        self._store(entry.key, lambda: self.library.set_status([entry.key], status))

    def action_toggle_read(self) -> None:
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
            return self._store(key, lambda: self.library.change_tags([key], edit))

        tags = self.reading.row(key).annotation.tags
        self.app.push_screen(TagsDialog(entry.title, tags, self.reading.tags_in_use(), save))

    def action_edit_note(self) -> None:
        from rlhf_reader.tui.screens.note import NoteEditor

        entry = self._current()
        if entry is None:
            return
        key = entry.key

        def save(text: str) -> str | None:
            return self._store(key, lambda: self.library.set_note(key, text))

        self.app.push_screen(NoteEditor(entry.title, self.reading.row(key).annotation.note, save))

    def action_open_link(self) -> None:
        entry = self._current()
        if entry is None:
            return
        if entry.url.startswith(("http://", "https://")):
            self.seen(entry.key)
            self.app.open_url(entry.url)  # in a browser: a new tab
            web_tab = self.app.is_web
            self.notify_plain(web.opening(entry.url) if web_tab else f"Opening {entry.url}")
        else:
            self.notify_plain(f"Not opened (only http and https links): {entry.url}", "warning")

    def action_help(self) -> None:
        from rlhf_reader.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    # filter ----------------------------------------------------------------------------

    @property
    def filter_bar(self) -> FilterBar | None:
        found = self.query("#filter-bar")
        return found.first() if found else None  # type: ignore[return-value]

    async def action_filter(self) -> None:
        if self._before_filter is None:
            self._before_filter = (
                self.catalog_tree.current_entry,
                self.catalog_tree.expanded_paths(),
            )
        bar = self.filter_bar
        if bar is None:
            from rlhf_reader.tui.widgets.filter_bar import FilterBar

            bar = FilterBar(id="filter-bar")
            await self.mount(bar, before=self.query_one(Footer))
        bar.display = True
        bar.input.focus()

    # The filter bar's Input messages, handled by name so that starting the app does not
    # import Input (the bar is mounted on the first "/").

    def on_input_changed(self, event: Any) -> None:
        if event.input.id == "filter-input":
            self.apply_filter(event.value)

    def on_input_submitted(self, event: Any) -> None:
        if event.input.id == "filter-input":
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
        tree = self.catalog_tree
        current = tree.current_entry
        if keys is None:
            expanded = self._before_filter[1] if self._before_filter else tree.expanded_paths()
            tree.populate(None, [tuple(p) for p in expanded])
        else:
            tree.populate(keys)
        self.query_one(ProgressHeader).matches = None if keys is None else len(keys)
        if current is None or not tree.select_key(current.key, current):
            self._cursor_to_first_entry()
        self._show_current()

    def _cursor_to_first_entry(self) -> None:
        tree = self.catalog_tree
        for line in range(tree.last_line + 1):
            node = tree.get_node_at_line(line)
            if node is not None and isinstance(node.data, Entry):
                tree.move_to(node)
                return
        if tree.root.children:
            tree.move_to(tree.root.children[0])

    def action_clear_filter(self) -> None:
        """Esc: in the filter bar, clear it and go back to where the cursor was; in the tree,
        clear it and stay on the paper under the cursor; in the detail pane, back to the tree.
        Before all that, a running fetch or update is cancelled."""
        if self.cancel_task():
            return
        if self.detail.has_focus and self._before_filter is None:
            self.catalog_tree.focus()
            return
        if self._before_filter is None:
            return
        bar = self.filter_bar
        typing = bar is not None and bar.input.has_focus
        before, expanded = self._before_filter
        chosen = self.catalog_tree.current_entry
        self._before_filter = None
        self.filter_text = ""
        if bar is not None:
            with bar.input.prevent(type(bar.input).Changed):
                bar.input.value = ""
            bar.show_error(None)
            bar.display = False
        self.query_one(ProgressHeader).matches = None
        self.catalog_tree.populate(None, [tuple(p) for p in expanded])
        target = before if typing else chosen or before
        if target is None or not self.catalog_tree.select_key(target.key, target):
            self._cursor_to_first_entry()
        self._show_current()
        self.catalog_tree.focus()

    def goto(self, entry: Entry) -> None:
        """Put the cursor on ``entry`` (from the palette), clearing a filter that hides it."""
        if (
            self.catalog_tree.shown_keys is not None
            and entry.key not in self.catalog_tree.shown_keys
        ):
            self.action_clear_filter()
        self.catalog_tree.select_key(entry.key, entry)
        self.catalog_tree.center_cursor()
        self._show_current()
        self.catalog_tree.focus()
