"""Regular expressions compiled on first use, so that a module's patterns cost nothing
when it is imported for something else (the TUI's start reads the list from the parse
cache and never needs the parser's or the key functions' patterns).
"""

from __future__ import annotations

import re
from typing import Any, cast


class _LazyPattern:
    """Stands for ``re.compile(pattern, flags)``; compiles it on the first attribute used."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # Only called for what is not yet an attribute: store it, so later calls
        # (match, search, sub…) go straight to the compiled pattern's bound methods.
        value = getattr(re.compile(*self._args), name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy re.compile{self._args!r}"


def compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:  # noqa: A001
    """A pattern used like ``re.compile(pattern, flags)``, compiled when first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))
