"""Orders for the reading list: ``list --sort KEY`` today, the TUI's sort later.

A sort key is one of :data:`SORT_KEYS`; a leading ``-`` reverses it (``-year``: newest
first). Entries that have no value for the key (no year, never read, no date added) always
come last, in either direction, and ties keep the list's order (the sort is stable), so a
sort never hides where an entry sits in the list. Pure: no I/O, no Textual.

- ``year``: oldest first.
- ``title``: A to Z, case- and accent-insensitive, leading punctuation ignored.
- ``status``: unread, reading, read (the order a paper goes through).
- ``read``: by the date it was marked read, earliest first (``-read``: most recent first).
- ``added``: by the date it came to the reader's list (see :func:`added_dates`), earliest
  first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rlhf_reader.model import Status

if TYPE_CHECKING:
    from rlhf_reader.library.records import Row
    from rlhf_reader.model import Entry

SORT_KEYS = ("year", "title", "status", "read", "added")
# Every accepted spelling, for --help, errors and shell completion.
SORT_CHOICES = tuple(name for key in SORT_KEYS for name in (key, "-" + key))

_STATUS_ORDER = {Status.UNREAD: 0, Status.READING: 1, Status.READ: 2}


class SortError(ValueError):
    """An unknown sort key; the message names it and lists the valid ones."""


def parse_sort(text: str) -> tuple[str, bool]:
    """``"-year"`` → ``("year", True)``: the key and whether it is reversed."""
    spec = text.strip().lower()
    reverse = spec.startswith("-")
    key = spec[1:] if reverse else spec
    if key not in SORT_KEYS:
        raise SortError(f"unknown sort key {text!r} (expected one of: {', '.join(SORT_CHOICES)})")
    return key, reverse


_ASCII_NOT_ALNUM = "".join(chr(i) for i in range(128) if not chr(i).isalnum())


def _title_key(title: str) -> str:
    if title.isascii():  # the same key, ten times faster (the TUI sorts on a key press)
        return title.lower().lstrip(_ASCII_NOT_ALNUM).strip()
    folded = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    start = next((i for i, ch in enumerate(text) if ch.isalnum()), len(text))
    return text[start:].strip()  # quotes, brackets and dashes in front do not count


def sort_rows(
    rows: Iterable[Row], spec: str, *, added: Mapping[str, str] | None = None
) -> list[Row]:
    """``rows`` ordered by ``spec`` (``"year"``, ``"-read"``…); SortError when unknown.

    ``added`` maps a key to when it came to the list (:func:`added_dates`); only the
    ``added`` key reads it.
    """
    key, reverse = parse_sort(spec)
    rows = list(rows)
    return [rows[i] for i in ordered(row_values(key, rows, added or {}), reverse)]


def ordered(values: list[Any], reverse: bool) -> list[int]:
    """The positions of ``values`` in sort order: the known values ascending (descending
    when ``reverse``), ties in their order, then the ``None`` ones in theirs."""
    known = [i for i, value in enumerate(values) if value is not None]
    missing = [i for i, value in enumerate(values) if value is None]
    # sorted() is stable, and reverse=True keeps ties in their original order too.
    by_value: Callable[[int], Any] = values.__getitem__
    return sorted(known, key=by_value, reverse=reverse) + missing


def row_values(key: str, rows: list[Row], added: Mapping[str, str]) -> list[Any]:
    """Each row's value for ``key`` (``None`` when it has none: sorted last), one pass per
    key rather than a function call per row."""
    if key == "year":
        return [row.year for row in rows]
    if key == "title":
        return [_title_key(row.entry.title) for row in rows]
    if key == "status":
        order = _STATUS_ORDER
        return [order[row.annotation.status] for row in rows]
    if key == "read":
        return [row.annotation.read_at or None for row in rows]
    when = added.get
    return [when(row.key) or None for row in rows]


def entry_values(
    key: str,
    entries: list[Entry],
    *,
    status: Callable[[str], Status],
    read_at: Callable[[str], str | None],
    year: Callable[[Entry], int | None],
    added: Mapping[str, str],
) -> list[Any]:
    """:func:`row_values` of the entries' rows, read through the given functions (a key's
    status and date read, an entry's year) instead of from rows."""
    if key == "year":
        return [entry.year if entry.year is not None else year(entry) for entry in entries]
    if key == "title":
        return [_title_key(entry.title) for entry in entries]
    if key == "status":
        order = _STATUS_ORDER
        return [order[status(entry.key)] for entry in entries]
    if key == "read":
        return [read_at(entry.key) or None for entry in entries]
    when = added.get
    return [when(entry.key) or None for entry in entries]


def added_dates(
    new_keys: Mapping[str, str], additions: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """When each entry came to the reader's list, where the library knows it: the day a
    paper was added to "My additions" (``additions`` records), else the update that brought
    it into the list (``new_keys``, while its "new" mark is not cleared). Entries of the
    list as first installed have none."""
    dates = dict(new_keys)
    for record in additions:
        key, when = record.get("key"), record.get("added")
        if isinstance(key, str) and isinstance(when, str) and when:
            dates[key] = when
    return dates
