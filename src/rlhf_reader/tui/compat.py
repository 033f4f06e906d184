"""The one place that leans on Textual internals, because no public API does the job.

``Tree`` lays itself out again (``Tree._invalidate``: clear the line cache, mark the widget
dirty) after every node added, opened or closed. Opening a section of a few thousand papers,
or each keystroke of the filter on a long list, adds nodes by the hundred: about a third of
that time went into those repeated invalidations (bench/bench_startup.py, 10,000 entries).
``BatchedTree.building()`` holds them back and invalidates once at the end.

``tests/test_tui_units.py::test_textual_tree_still_invalidates_through_the_hook`` fails
loudly if a Textual upgrade renames the hook or stops calling it, rather than leaving the
tree silently stale or slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from textual.widgets import Tree

T = TypeVar("T")


class BatchedTree(Tree[T], Generic[T]):
    """A ``Tree`` whose many additions can be laid out once (``with tree.building(): …``)."""

    _batching = False

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
