"""Pause the cyclic garbage collector while many long-lived objects are made.

Building the rows, the search index or a library's tables makes 100,000s of dicts, tuples
and dataclasses with no reference cycles. Each time enough of them pile up, the collector
walks every object still young — again and again as the build goes on — so the build took
34 to 55 times as long for 10 times the entries (issue 17); paused, it grows linearly.
Reference counting still frees everything; only cycles wait for the collector, which is
back when the last pause ends. Pauses nest and may overlap across threads (a worker
building the index while the UI thread builds rows).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def paused(*, keep: bool = False) -> Iterator[None]:
    """The cyclic collector off inside (if it was on when the first pause began).

    ``keep``: what is made inside lives long (the TUI's rows and counts). When the last
    pause ends, every object then tracked is moved to the collector's permanent generation
    (``gc.freeze``) instead of being walked by its next passes: re-enabled, the collector
    first went over the 100,000s of objects made during the pause (0.1–0.3 s of the TUI's
    start at 100,000 entries) and again at each full pass after. Frozen objects are still
    freed by reference counting; only a cycle among them would wait for ``gc.unfreeze``."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                if keep:
                    gc.freeze()
                gc.enable()


def abandon(*objects: object) -> None:
    """Never free ``objects``: for a process about to exit (a CLI command that is done).

    Freeing what a command read — a 100k library's tables, the catalog, the rows: millions
    of objects — took a third of a second at exit, memory the operating system takes back
    at once anyway. The objects are put in a reference cycle and moved to the collector's
    permanent generation (``gc.freeze``), so neither reference counting nor the collection
    at interpreter shutdown ever visits them. Nothing else changes at exit: ``atexit``
    handlers run, threads are joined and ``sys.stdout`` / ``sys.stderr`` are flushed as
    usual (they are flushed by the interpreter, not freed with these objects). Only for
    what is plain data; never for an object whose ``__del__`` or close must run.
    """
    holder: list[object] = [*objects]
    holder.append(holder)
    gc.freeze()
