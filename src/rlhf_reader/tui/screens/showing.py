"""What the detail pane shows for the node under the tree's cursor (the main screen calls
:func:`show_cursor` after each move, write, filter or reload).

A paper: its row, the sections it is listed in, the other lists holding it ("Also in"), its
PDF on disk and its place in the reading queue. A section: its progress (the "New since …"
section is counted here, it is no section of the list) and, with a filter on, how many of its
papers match. No node because the filter matches nothing: why, and how to clear it.

Once the cursor has rested ``AHEAD_DELAY`` after a move, the paper on the next row in the
direction it last moved is drawn ahead (``DetailPane.prepare``): at a reader's pace, the move
onto it then only repaints the rows that differ (issue 17). Keys faster than that (a held
key) restart the wait, so nothing is drawn ahead while they come.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rlhf_reader.model import Entry, Section, Status
from rlhf_reader.tui.widgets.detail import Reading

if TYPE_CHECKING:
    from textual.timer import Timer

    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.tui.widgets.detail import DetailPane

AHEAD_DELAY = 0.025
"""Seconds the cursor rests before the next paper is drawn ahead (a held key repeats every
30–40 ms, a reader's keys come 100 ms or more apart)."""


class _Ahead:
    """A tree's last cursor row (and the node on it) and the timer that draws the next paper
    ahead."""

    line = -1
    node: object = None
    timer: Timer | None = None


_AHEAD: WeakKeyDictionary[CatalogTree, _Ahead] = WeakKeyDictionary()


def show_cursor(detail: DetailPane, tree: CatalogTree, reading: ReadingList) -> None:
    """Show in ``detail`` what is under ``tree``'s cursor."""
    entry = tree.current_entry
    draw_ahead(detail, tree, reading)
    if entry is not None:
        row, listed, also = reading.row(entry.key), reading.listings(entry), reading.also_in(entry)
        detail.show(entry, row, listed, reading_of(reading, entry), also)
        return
    node = tree.cursor_node
    if node is not None and isinstance(node.data, Section):
        path = node.data.path
        if path not in reading.progress:  # the "New since" section
            keys = {entry.key for entry in node.data.entries}
            read = sum(reading.status(key) is Status.READ for key in keys)
            detail.show_section(node.data, read, len(keys))
        else:
            counts = reading.progress[path]
            shown = tree.shown_keys
            matching = None if shown is None else reading.counts(path, shown).total
            detail.show_section(node.data, counts.read, counts.total, matching)
    elif tree.shown_keys is not None and not tree.shown_keys:
        detail.show_message("Nothing matches this filter (esc clears it).")
    else:
        detail.show(None, None, [])


def reading_of(reading: ReadingList, entry: Entry) -> Reading:
    """``entry``'s PDF on disk and its place in the queue (1-based, of how many)."""
    queue = reading.queue
    place = (queue.index(entry.key) + 1, len(queue)) if entry.key in queue else None
    return Reading(reading.pdfs.get(entry.key), place)


def draw_ahead(detail: DetailPane, tree: CatalogTree, reading: ReadingList) -> None:
    """``AHEAD_DELAY`` from now, if the cursor is still on its row: draw the paper on the
    next row in the direction the cursor last moved."""
    ahead = _AHEAD.setdefault(tree, _Ahead())
    line, node = tree.cursor_line, tree.cursor_node
    if line == ahead.line and node is ahead.node:
        # The same row again (the cursor signal, then the highlight message; the start's
        # shows; a write redrawn): its next paper is being drawn, was drawn, or, at start,
        # has no direction yet.
        return
    step = -1 if line < ahead.line else 1
    moved, ahead.line, ahead.node = ahead.line != -1, line, node
    if ahead.timer is not None:
        ahead.timer.stop()
        ahead.timer = None
    if not moved:
        return  # the first paper shown (at start): no direction yet, and the start stays light

    def draw() -> None:
        ahead.timer = None
        if tree.cursor_line != line:
            return
        node = tree.get_node_at_line(line + step)
        if node is None or not isinstance(node.data, Entry):
            return
        entry = node.data
        row, listed, also = reading.row(entry.key), reading.listings(entry), reading.also_in(entry)
        detail.prepare(entry, row, listed, reading_of(reading, entry), also)

    ahead.timer = detail.set_timer(AHEAD_DELAY, draw, name="draw the next paper ahead")
