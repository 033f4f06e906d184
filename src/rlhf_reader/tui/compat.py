"""The one place that leans on Textual internals, because no public API does the job.

``Tree`` lays itself out again (``Tree._invalidate``: clear the line cache, mark the widget
dirty) after every node added, opened or closed. Opening a section of a few thousand papers,
or each keystroke of the filter on a long list, adds nodes by the hundred: about a third of
that time went into those repeated invalidations (bench/bench_startup.py, 10,000 entries).
``BatchedTree.building()`` holds them back and invalidates once at the end.

``tests/test_tui_units.py::test_textual_tree_still_invalidates_through_the_hook`` fails
loudly if a Textual upgrade renames the hook or stops calling it, rather than leaving the
tree silently stale or slow.

``Tree`` also answers every ``Resize`` with that invalidation, though nothing it drops depends
on the tree's size (its rows are cached by width; its lines and their widths do not change):
after the first frame, its first ``Resize`` laid the whole screen out again and repainted the
tree with the same rows (~7 ms of the start until idle, issue 17). ``BatchedTree`` only grows
the row cache to the new height; the layout that resized it has already marked it for a full
repaint at the new size (``tests/test_tui_start_work.py::test_a_resized_tree_...`` compares
its rows with a tree started at that size).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from textual import events
from textual.widgets import Tree

T = TypeVar("T")


class BatchedTree(Tree[T], Generic[T]):
    """A ``Tree`` whose many additions can be laid out once (``with tree.building(): …``)."""

    _batching = False

    def _on_resize(self, event: events.Resize) -> None:
        event.prevent_default()  # not Tree's own: it would lay the screen out again
        self._line_cache.grow(event.size.height)

    def _invalidate(self) -> None:
        if not self._batching:
            super()._invalidate()

    @contextmanager
    def building(self) -> Iterator[None]:
        """Add or open many nodes, laying the tree out once at the end."""
        if self._batching:
            yield
            return
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            super()._invalidate()
