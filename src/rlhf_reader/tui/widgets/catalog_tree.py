"""The tree of sections and entries.

Section nodes are built up front (a list has a few hundred at most); entry nodes are added
when their section is first expanded, so a 10,000-entry list opens as fast as a short one.
In filter mode the tree is rebuilt with only the sections that hold a match and only the
matching entries, again lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.signal import Signal
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from rlhf_reader.model import Entry, Section, Status
from rlhf_reader.tui.compat import BatchedTree
from rlhf_reader.tui.literal import literal
from rlhf_reader.tui.messages import Carrying
from rlhf_reader.tui.state import (
    NEW_GLYPH,
    NEW_PREFIX,
    PDF_GLYPH,
    QUEUE_PATH,
    SHARED_GLYPH,
    ReadingList,
    SectionPath,
)
from rlhf_reader.tui.theme import component_style

NodeData = Entry | Section

# The component class (a theme colour) of each status glyph.
GLYPH_STYLE = {
    Status.UNREAD: "catalog-tree--unread",
    Status.READING: "catalog-tree--reading",
    Status.READ: "catalog-tree--read",
}

# In filter mode, sections are opened until this many matching rows are shown; the rest
# open on demand. It bounds the work of a keystroke whatever the list's size.
FILTER_OPEN_BUDGET = 200


class CatalogTree(BatchedTree[NodeData], inherit_bindings=False):
    """Sections with ``read/total`` (with a filter on: ``3 of 18 shown``) and entries with
    their status glyph. Each paper counts once in a section, however often it is listed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="move.up", tooltip="Previous row"),
        Binding("down,j", "cursor_down", "Down", show=False, id="move.down", tooltip="Next row"),
        Binding(
            "left,h",
            "collapse_or_parent",
            "Collapse",
            show=False,
            id="move.collapse",
            tooltip="Close the section, or go up to the section of this paper",
        ),
        Binding(
            "right,l",
            "expand_or_child",
            "Expand",
            show=False,
            id="move.expand",
            tooltip="Open the section, or go down into it",
        ),
        Binding(
            "enter",
            "open",
            "Open",
            show=False,
            id="move.open",
            tooltip="Open or close a section; on a paper, move into the detail pane (esc returns)",
        ),
        Binding("home,g", "scroll_home", "First", show=False, id="move.first", tooltip="First row"),
        Binding("end,G", "scroll_end", "Last", show=False, id="move.last", tooltip="Last row"),
        Binding(
            "pageup,ctrl+u", "page_up", "Page up", show=False, id="move.page-up", tooltip="Page up"
        ),
        Binding(
            "pagedown,ctrl+d",
            "page_down",
            "Page down",
            show=False,
            id="move.page-down",
            tooltip="Page down",
        ),
    ]

    class EntryHighlighted(Carrying):
        """The cursor is on ``entry`` (None: on a section or nowhere)."""

        tree: CatalogTree
        entry: Entry | None

        @property
        def control(self) -> CatalogTree:
            return self.tree

    class EntryChosen(Carrying):
        """Enter was pressed on ``entry``."""

        tree: CatalogTree
        entry: Entry

        @property
        def control(self) -> CatalogTree:
            return self.tree

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "catalog-tree--unread",
        "catalog-tree--reading",
        "catalog-tree--read",
        "catalog-tree--read-title",
        "catalog-tree--tags",
        "catalog-tree--new",
        "catalog-tree--pdf",
        "catalog-tree--section",
        "catalog-tree--count",
    }
    """Colours of the labels, from the theme (``$text-success``, ``$text-warning``…)."""

    DEFAULT_CSS = """
    CatalogTree {
        & > .catalog-tree--unread { color: $foreground-muted; }
        & > .catalog-tree--reading { color: $text-warning; text-style: bold; }
        & > .catalog-tree--read { color: $text-success; }
        & > .catalog-tree--read-title { color: $foreground-muted; }
        & > .catalog-tree--tags { color: $text-primary; }
        & > .catalog-tree--new { color: $text-secondary; text-style: bold; }
        & > .catalog-tree--pdf { color: $text-accent; }
        & > .catalog-tree--section { text-style: bold; }
        & > .catalog-tree--count { color: $foreground-muted; }
    }
    """

    def __init__(self, reading: ReadingList, *, id: str | None = None) -> None:  # noqa: A002
        self._labels: dict[str, dict[str, Text]] = {}
        self._styles: dict[str, Style] = {}
        self._style_memo: dict[object, Style] = {}
        super().__init__(reading.catalog.title or "list", id=id)
        self.reading = reading
        self.show_root = False
        self.guide_depth = 3
        self.shown_keys: set[str] | None = None
        self._section_nodes: dict[SectionPath, TreeNode[NodeData]] = {}
        self._entry_nodes: dict[str, list[TreeNode[NodeData]]] = {}
        self._loaded: set[int] = set()
        self._matches: set[SectionPath] | None = None
        self._before_filter: tuple[Entry | None, list[list[str]]] | None = None
        self.order = ""
        """The order inside sections: a ``sorting`` key (``-year``…), or "" for the list's."""
        self.queue_closed = False
        """The reader closed the queue section: it stays closed (else it opens whenever built)."""
        self.cursor_moved: Signal[Entry | None] = Signal(self, "cursor-moved")
        """Published, with the paper under the cursor (None: a section), as soon as the cursor
        lands on another row: when ``EntryHighlighted`` is posted, but synchronously. A
        subscriber with ``immediate=True`` (the detail pane's screen) then updates in the same
        frame as the tree's rows; the message reaches it only after the tree's rows are
        painted, and its repaint waits for the next frame, 17–33 ms later (issue 17)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def set_reading(self, reading: ReadingList) -> None:
        """A new list or library state (after an update or an addition): labels rebuilt."""
        self.reading = reading
        self._labels.clear()

    # colours -----------------------------------------------------------------------------

    def style_of(self, component: str) -> Style:
        """The Rich style of one of ``COMPONENT_CLASSES``, its colour made solid over the
        tree's background (a theme's ``$foreground-muted`` is translucent)."""
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = component_style(self, component)
        return style

    def _theme_changed(self, _theme: object) -> None:
        self._styles.clear()
        self.relabel_all()

    def relabel_all(self) -> None:
        """Every shown label again (new colours, or a library changed under us)."""
        self._labels.clear()
        for nodes in self._entry_nodes.values():
            for node in nodes:
                assert isinstance(node.data, Entry)
                node.set_label(self.entry_label(node.data))
        for node in self._section_nodes.values():
            if isinstance(node.data, Section):
                node.set_label(self.section_label(node.data))

    # Textual forgets a widget's component styles on every refresh; the tree's rows are
    # refreshed on every cursor move, and drawing one looks up four or five of them (and the
    # tree's own style, through all its ancestors). They change only with the CSS that
    # applies (theme, focus, classes), which Textual announces with ``notify_style_update``.

    def notify_style_update(self) -> None:
        self._style_memo.clear()
        super().notify_style_update()

    def get_component_rich_style(
        self, *names: str, partial: bool = False, default: Style | None = None
    ) -> Style:
        key = (names, partial, default)
        style = self._style_memo.get(key)
        if style is None:
            style = super().get_component_rich_style(*names, partial=partial, default=default)
            self._style_memo[key] = style
        return style

    @property
    def rich_style(self) -> Style:
        style = self._style_memo.get("rich_style")
        if style is None:
            style = self._style_memo["rich_style"] = super().rich_style
        return style

    def process_label(self, label: str | Text) -> Text:
        # Labels are built here as one-line Text: skip Tree's copy-and-split of each one.
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        # A label wider than the room left of the guides ends with "…" instead of being cut
        # mid-word. Only the rows on screen are rendered (and cached per width): cheap.
        label = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * max(2, self.guide_depth)
        if label.cell_len <= room or room <= 0:
            return label
        own = node.label
        if isinstance(node.data, Section) and isinstance(own, Text) and own.spans:  # count stays
            count = own.spans[-1]  # section_label appends the count last
            tail = label[len(label) - (count.end - count.start) :]
            if tail.plain.startswith("  ") and room - tail.cell_len >= 8:
                label = label[: len(label) - len(tail)]
                label.truncate(room - tail.cell_len, overflow="ellipsis")
                label.append_text(tail)
                return label
        label.truncate(room, overflow="ellipsis")
        return label

    def get_label_width(self, node: TreeNode[NodeData]) -> int:
        # Tree renders every label to measure it when laying out; ours are plain one-liners.
        label = node.label
        width = label.cell_len if isinstance(label, Text) else len(label)
        return width + (len(self.ICON_NODE) if node.allow_expand else 0)

    # building --------------------------------------------------------------------------

    def populate(self, visible: set[str] | None, expanded: Iterable[SectionPath] = ()) -> None:
        """Rebuild the tree showing ``visible`` keys (None: all), opening ``expanded``.

        Only the top sections are built here; a section's sub-sections and entries are
        added when it is first opened. With a filter, sections are opened in list order
        until about ``FILTER_OPEN_BUDGET`` rows are shown.
        """
        with self.building():
            self.shown_keys = visible
            self.clear()
            self._section_nodes.clear()
            self._entry_nodes.clear()
            self._loaded.clear()
            self._matches = None if visible is None else self.reading.matching_sections(visible)
            queue = self._add_queue_section(visible)
            if queue is not None and visible is None and not self.queue_closed:
                self.open_section(queue)
            self._add_new_section(visible)
            self._add_sections(self.root, self.reading.catalog.sections)
            if visible is None:
                for path in sorted((tuple(p) for p in expanded), key=len):
                    node = self._section_nodes.get(path)
                    if node is not None:
                        self.open_section(node)
            else:
                self._open_within(FILTER_OPEN_BUDGET)

    def _open_within(self, budget: int) -> None:
        """Open sections depth-first, in list order, while fewer than ``budget`` rows show."""
        shown = len(self.root.children)
        stack = list(reversed(self.root.children))
        while stack and shown < budget:
            node = stack.pop()
            if not isinstance(node.data, Section):
                continue
            self.open_section(node)
            children = node.children
            shown += len(children)
            stack.extend(reversed(children))

    def _add_new_section(self, visible: set[str] | None) -> None:
        """The "New since <date>" node on top, when an update brought entries not yet seen."""
        section = self.reading.new_section()
        if section is None:
            return
        if visible is not None and not any(e.key in visible for e in section.entries):
            return
        node = self.root.add(self.section_label(section), data=section)
        self._section_nodes[section.path] = node

    def _add_queue_section(self, visible: set[str] | None) -> TreeNode[NodeData] | None:
        """The reading queue's node on top, when papers are queued (and shown)."""
        section = self.reading.queue_section()
        if section is None:
            return None
        if visible is not None and not any(e.key in visible for e in section.entries):
            return None
        node = self.root.add(self.section_label(section), data=section, before=0)
        self._section_nodes[QUEUE_PATH] = node
        return node

    @property
    def queue_node(self) -> TreeNode[NodeData] | None:
        return self._section_nodes.get(QUEUE_PATH)

    @property
    def in_queue(self) -> bool:
        """Whether the cursor is on a paper of the queue section."""
        node = self.cursor_node
        return node is not None and node.parent is not None and node.parent is self.queue_node

    def show_queue(self, follow: str | None = None) -> None:
        """Rebuild the queue section from ``reading.queue`` (opened when it appears), the rest
        left as it is. The cursor goes to ``follow`` in the queue; a cursor that was in the
        queue stays at its place there (on the next paper when its own left); any other
        stays on its row."""
        old = self.queue_node
        cursor = self.cursor_node
        inside = old is not None and cursor is not None and (cursor is old or cursor.parent is old)
        place = 0
        if old is not None and cursor is not None and cursor.parent is old:
            place = old.children.index(cursor)
        with self.building():
            if old is not None:
                self._forget(old)
                old.remove()
            node = self._add_queue_section(self.shown_keys)
            if node is not None and not self.queue_closed:
                self.open_section(node)
        target = cursor if not inside else None
        if node is not None and (follow is not None or inside):
            leaves = [leaf for leaf in node.children if isinstance(leaf.data, Entry)]
            keyed = [leaf for leaf in leaves if getattr(leaf.data, "key", None) == follow]
            if keyed:
                target = keyed[0]
            elif inside and leaves and cursor is not old:
                target = leaves[min(place, len(leaves) - 1)]
            elif inside:
                target = node
        elif inside and self.root.children:
            target = self.root.children[0]
        if target is not None:
            self.move_to(target)

    def _forget(self, node: TreeNode[NodeData]) -> None:
        """Drop ``node``'s leaves from the key → nodes map (before it is removed)."""
        self._loaded.discard(node.id)
        self._section_nodes.pop(QUEUE_PATH, None)
        for leaf in node.children:
            if isinstance(leaf.data, Entry):
                nodes = self._entry_nodes.get(leaf.data.key, [])
                if leaf in nodes:
                    nodes.remove(leaf)

    @property
    def new_node(self) -> TreeNode[NodeData] | None:
        for path, node in self._section_nodes.items():
            if len(path) == 1 and path[0].startswith(NEW_PREFIX) and node.parent is self.root:
                if path not in self.reading.sections:
                    return node
        return None

    def _add_sections(self, parent: TreeNode[NodeData], sections: Iterable[Section]) -> None:
        matches = self._matches
        for section in sections:
            if matches is None or section.path in matches:
                node = parent.add(self.section_label(section), data=section)
                self._section_nodes[section.path] = node

    def _load(self, node: TreeNode[NodeData]) -> None:
        """Add a section node's entries, then its sub-sections, once."""
        section = node.data
        if node.id in self._loaded or not isinstance(section, Section):
            return
        self._loaded.add(node.id)
        visible = self.shown_keys
        with self.building():
            for entry in self.ordered(section):
                if visible is not None and entry.key not in visible:
                    continue
                leaf = node.add_leaf(self.entry_label(entry), data=entry)
                self._entry_nodes.setdefault(entry.key, []).append(leaf)
            self._add_sections(node, section.children)

    def ordered(self, section: Section) -> list[Entry]:
        """The section's entries in the tree's order (the queue keeps the reader's order)."""
        if not self.order or section.path == QUEUE_PATH or len(section.entries) < 2:
            return section.entries
        from rlhf_reader.library.records import Row
        from rlhf_reader.sorting import sort_rows

        rows = self.reading.rows
        joined = [Row(e, rows[e.key].annotation, rows[e.key].metadata) for e in section.entries]
        return [row.entry for row in sort_rows(joined, self.order)]

    def open_section(self, node: TreeNode[NodeData]) -> None:
        self._load(node)
        node.expand()

    @on(Tree.NodeExpanded)
    def _load_on_expand(self, event: Tree.NodeExpanded[NodeData]) -> None:
        self._load(event.node)
        if event.node is self.queue_node:
            self.queue_closed = False

    @on(Tree.NodeCollapsed)
    def _queue_closed(self, event: Tree.NodeCollapsed[NodeData]) -> None:
        if event.node is self.queue_node:
            self.queue_closed = True

    # labels ----------------------------------------------------------------------------

    def section_label(self, section: Section) -> Text:
        counts = self.reading.progress.get(section.path)
        muted = self.style_of("catalog-tree--count")
        if section.path == QUEUE_PATH:  # the reading queue: how many are queued
            label = Text("! ", style=self.style_of("catalog-tree--new"), end="")
            label.append_text(literal(section.title, self.style_of("catalog-tree--section")))
            label.append(f"  {len(section.entries)}", style=muted)
            return label
        if counts is None:  # the "New since" section: how many are still new
            new = self.style_of("catalog-tree--new")
            label = Text(NEW_GLYPH + " ", style=new, end="")
            label.append_text(literal(section.title, new))
            still = sum(entry.key in self.reading.new for entry in section.entries)
            label.append(f"  {still}", style=muted)
            return label
        label = literal(section.title, self.style_of("catalog-tree--section"))
        if self.shown_keys is None:
            label.append(f"  {counts.read}/{counts.total}", style=muted)
        else:  # a filter is on: how many of the section's papers it shows
            shown = len(self.reading.section_keys.get(section.path, frozenset()) & self.shown_keys)
            label.append(f"  {shown} of {counts.total} shown", style=muted)
        return label

    def entry_label(self, entry: Entry) -> Text:
        """The glyph, the title and the tags (cached per key until ``refresh_key``)."""
        by_title = self._labels.setdefault(entry.key, {})  # a key listed twice may differ
        label = by_title.get(entry.title)
        if label is None:
            label = by_title[entry.title] = self._make_entry_label(entry)
        return label

    def _make_entry_label(self, entry: Entry) -> Text:
        row = self.reading.row(entry.key)
        status = row.annotation.status
        label = Text(end="")
        label.append(status.glyph + " ", style=self.style_of(GLYPH_STYLE[status]))
        if entry.key in self.reading.pdfs:
            label.append(PDF_GLYPH + " ", style=self.style_of("catalog-tree--pdf"))
        if entry.key in self.reading.new:
            label.append(NEW_GLYPH + " ", style=self.style_of("catalog-tree--new"))
        if self.reading.shared and entry.key in self.reading.shared:  # All lists: in several
            label.append(SHARED_GLYPH + " ", style=self.style_of("catalog-tree--new"))
        read = status is Status.READ
        label.append_text(
            literal(entry.title, self.style_of("catalog-tree--read-title") if read else "")
        )
        if row.annotation.tags:
            tags = "  " + " ".join(f"#{t}" for t in row.annotation.tags)
            label.append_text(literal(tags, self.style_of("catalog-tree--tags")))
        return label

    def refresh_key(self, key: str) -> None:
        """Relabel every node of ``key`` and the sections above them."""
        self._labels.pop(key, None)
        for node in self._entry_nodes.get(key, ()):
            assert isinstance(node.data, Entry)
            node.set_label(self.entry_label(node.data))
        for entry in self.reading.entries.get(key, ()):
            for depth in range(1, len(entry.section) + 1):
                above = self._section_nodes.get(entry.section[:depth])
                if above is not None and isinstance(above.data, Section):
                    above.set_label(self.section_label(above.data))
        for top in (self.new_node, self.queue_node):
            if top is not None and isinstance(top.data, Section):
                top.set_label(self.section_label(top.data))

    # where the cursor is ---------------------------------------------------------------

    @property
    def current_entry(self) -> Entry | None:
        node = self.cursor_node
        return node.data if node is not None and isinstance(node.data, Entry) else None

    def expanded_paths(self) -> list[list[str]]:
        return [list(path) for path, node in self._section_nodes.items() if node.is_expanded]

    def select_key(self, key: str, entry: Entry | None = None) -> bool:
        """Put the cursor on ``key`` (on ``entry`` if listed twice), opening its section."""
        candidates = [entry] if entry is not None else self.reading.entries.get(key, [])
        for candidate in candidates:
            path = candidate.section
            with self.building():
                for depth in range(1, len(path) + 1):
                    node = self._section_nodes.get(path[:depth])
                    if node is None:
                        break
                    self.open_section(node)
            for leaf in self._entry_nodes.get(key, ()):
                parent = leaf.parent.data if leaf.parent is not None else None
                in_place = isinstance(parent, Section) and parent.path == candidate.section
                if leaf.data == candidate and in_place:
                    self.move_to(leaf)
                    return True
        return False

    def move_to(self, node: TreeNode[NodeData]) -> None:
        _ = self.last_line  # lay the lines out now, so the node has its line number
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)

    def center_cursor(self) -> None:
        """Scroll the cursor's row to the middle (after a jump: restore, palette)."""
        node = self.cursor_node
        if node is None:
            return
        self.center_scroll = True
        try:
            self.scroll_to_node(node, animate=False)
        finally:
            self.center_scroll = False

    def cursor_to_first_entry(self) -> None:
        """The cursor on the first paper shown (or the first section when none is)."""
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None and isinstance(node.data, Entry):
                self.move_to(node)
                return
        if self.root.children:
            self.move_to(self.root.children[0])

    def show_again(self, key: str | None, entry: Entry | None = None) -> None:
        """The cursor on ``key`` (on ``entry`` when it is listed twice), else the first paper."""
        if key is None or not self.select_key(key, entry):
            if key is None or entry is None or not self.select_key(key):
                self.cursor_to_first_entry()

    # filter mode -------------------------------------------------------------------------

    @property
    def filtering(self) -> bool:
        return self._before_filter is not None

    def show_only(self, keys: set[str] | None) -> None:
        """Show ``keys`` only (None: everything), cursor kept where it can be.

        The first call remembers the paper and the open sections, for ``stop_filter``.
        """
        current = self.current_entry
        if self._before_filter is None:
            self._before_filter = (current, self.expanded_paths())
        if keys is None:
            self.populate(None, [tuple(p) for p in self._before_filter[1]])
        else:
            self.populate(keys)
        self.show_again(current.key if current else None, current)

    def stop_filter(self, back: bool) -> None:
        """Everything again, the sections open as before the filter; the cursor on the paper
        it was on then (``back``), or on the one chosen in the filtered tree."""
        if self._before_filter is None:
            return
        before, expanded = self._before_filter
        chosen = self.current_entry
        self._before_filter = None
        self.populate(None, [tuple(p) for p in expanded])
        target = before if back else chosen or before
        self.show_again(target.key if target else None, target)

    def saved_expanded(self) -> list[list[str]]:
        """The open sections to remember: those of before the filter, while one is on."""
        if self._before_filter is not None:
            return self._before_filter[1]
        return self.expanded_paths()

    # actions ---------------------------------------------------------------------------

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_to(node.parent)

    def action_expand_or_child(self) -> None:
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if not node.is_expanded:
            self.open_section(node)
        elif node.children:
            self.move_to(node.children[0])

    def action_open(self) -> None:
        """Enter: a section opens or closes; an entry hands over to the detail pane."""
        node = self.cursor_node
        if node is None:
            return
        if isinstance(node.data, Entry):
            self.post_message(self.EntryChosen(self, node.data))
        elif node.is_expanded:
            node.collapse()
        else:
            self.open_section(node)

    def watch_cursor_line(self, previous_line: int, line: int) -> None:
        previous = self.get_node_at_line(previous_line)
        super().watch_cursor_line(previous_line, line)
        node = self.cursor_node
        if previous_line != line and node is not None and node != previous:  # as Tree posts
            self.cursor_moved.publish(node.data if isinstance(node.data, Entry) else None)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        event.stop()
        data = event.node.data
        self.post_message(self.EntryHighlighted(self, data if isinstance(data, Entry) else None))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        # A click selects: Tree opens or closes a section itself; an entry just gets the cursor.
        event.stop()
