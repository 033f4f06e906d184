"""Rows: an entry joined with what the reader recorded and what arXiv told us."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from rlhf_reader.model import Annotation, Catalog, Entry, Status, split_authors
from rlhf_reader.reclass import become


@dataclass(frozen=True, slots=True)
class Row:
    entry: Entry
    annotation: Annotation
    metadata: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def authors(self) -> list[str]:
        """Authors from arXiv when fetched, else from the list's details line."""
        if self.metadata and self.metadata.get("authors"):
            return [str(a) for a in self.metadata["authors"]]
        return self.entry.author_list

    @property
    def year(self) -> int | None:
        if self.entry.year is not None:
            return self.entry.year
        published = str((self.metadata or {}).get("published") or "")
        return int(published[:4]) if published[:4].isdigit() else None


def rows(
    catalog: Catalog, annotations: dict[str, Annotation], metadata: dict[str, dict]
) -> list[Row]:
    """One row per entry of the catalog, in list order."""
    return make_rows(catalog.entries, annotations, metadata)


def make_rows(
    entries: Iterable[Entry],
    annotations: Mapping[str, Annotation],
    metadata: Mapping[str, dict[str, Any]],
) -> list[Row]:
    """A row per entry, in order: its annotation (a blank one when it has none) and its
    arXiv record (or None). Equal to ``Row(entry, annotations.get(key) or
    Annotation(key), metadata.get(key))`` each, made without the frozen ``__init__``
    (``_UnfrozenRow``): at 100,000 entries that was a fifth of a second."""
    entries = list(entries)
    keys = [entry.key for entry in entries]
    got = list(map(annotations.get, keys))
    found = [Annotation(key=k) if ann is None else ann for k, ann in zip(keys, got, strict=True)]
    records = map(metadata.get, keys) if metadata else repeat(None)
    made: list[Any] = list(map(_UnfrozenRow, entries, found, records))
    become(made, Row)  # Rows from here on
    return made


class _UnfrozenRow:
    """A :class:`Row` being made: the same slots, plain stores, then made a ``Row`` by
    ``__class__`` assignment (Python allows it between classes of the same layout)."""

    __slots__ = Row.__slots__

    def __init__(
        self, entry: Entry, annotation: Annotation, metadata: dict[str, Any] | None
    ) -> None:
        self.entry = entry
        self.annotation = annotation
        self.metadata = metadata


_STATUS_VALUE = {status: status.value for status in Status}


def to_record(row: Row, added_at: str | None = None) -> dict[str, Any]:
    """The fields of ``list --json`` and ``show --json``; ``added_at``: when the entry came
    to the reader's list, where known (``sorting.added_dates``)."""
    entry, ann = row.entry, row.annotation
    # Row.authors and Row.year inlined for a row without arXiv metadata (100,000 rows of
    # list --json), and the status's value through a dict: Enum.value is a Python property.
    return {
        "key": entry.key,
        "title": entry.title,
        "url": entry.url,
        "arxiv_id": entry.arxiv_id,
        "authors": row.authors if row.metadata else split_authors(entry.authors),
        "year": entry.year if entry.year is not None else row.year,
        "section": list(entry.section),
        "status": _STATUS_VALUE[ann.status],
        "tags": list(ann.tags),
        "note": ann.note,
        "read_at": ann.read_at,
        "venue": entry.venue,
        "added_at": added_at,
    }


def records(rows: Iterable[Row], added: Mapping[str, str]) -> list[dict[str, Any]]:
    """:func:`to_record` of each row, with its ``added_at`` from ``added``: what
    ``list --json`` prints, a chunk of rows at a time."""
    when = added.get if added else _none
    return [to_record(row, when(row.entry.key)) for row in rows]


def _none(_key: str) -> None:
    return None
