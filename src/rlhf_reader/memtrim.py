"""Give back to the system the memory the C allocator keeps once Python has freed it.

Python hands the memory of a freed list, dict or long string (anything over 512 bytes) back
to the C allocator, which keeps it for the next allocation of the same thread's arena
rather than returning it to the system. At 100,000 entries the TUI's start frees about
27 MB in the UI thread's arena (the rows' build, the first frame); the search index is
built in a worker thread, whose arena cannot reuse it, so the peak resident memory had
those 27 MB on top (issue 17), and the index's build left 60 MB more of its own.
``trim`` asks glibc's ``malloc_trim(0)`` to return every arena's free pages: the memory
freed is given back, nothing live is touched. Elsewhere (macOS, musl) it does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def _function() -> Callable[[int], int] | None:
    global _trim, _looked
    if not _looked:
        _looked = True
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _trim = ctypes.CDLL(None).malloc_trim
            except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
                _trim = None
    return _trim


def trim() -> bool:
    """Return the allocator's free memory to the system (glibc); whether it could ask."""
    function = _function()
    if function is None:
        return False
    try:
        function(0)
    except Exception:  # pragma: no cover  (a C library whose symbol misbehaves)
        return False
    return True
