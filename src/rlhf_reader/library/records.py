"""Rows: an entry joined with what the reader recorded and what arXiv told us."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from rlhf_reader.model import Annotation, Catalog, Entry, Status, split_authors
from rlhf_reader.reclass import become

if TYPE_CHECKING:
    from rlhf_reader.library.store import Library


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
        return authors_of(self.entry, self.metadata)

    @property
    def year(self) -> int | None:
        return year_of(self.entry, self.metadata)


def authors_of(entry: Entry, metadata: Mapping[str, Any] | None) -> list[str]:
    """``Row.authors`` of the row of ``entry`` with this arXiv record."""
    if metadata and metadata.get("authors"):
        return [str(a) for a in metadata["authors"]]
    return entry.author_list


def year_of(entry: Entry, metadata: Mapping[str, Any] | None) -> int | None:
    """``Row.year`` of the row of ``entry`` with this arXiv record."""
    if entry.year is not None:
        return entry.year
    published = str((metadata or {}).get("published") or "")
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


class Tables:
    """What ``list`` shows of each key, read from the library's tables — its status, its
    stored annotation document, its arXiv record — so that a listing (filtered, sorted,
    as JSON) is made from the entries without a ``Row`` and an ``Annotation`` per entry
    (a fifth of a second at 100,000). Each value is what the key's row (``make_rows`` of
    ``library.annotations()`` and ``library.all_metadata()``) holds."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.statuses = library.statuses()
        # The stored records, only read here: not copied (all_metadata() copies each one,
        # 0.3 s at 100,000 entries with a record for a third of them).
        self.metadata = library.documents("metadata")
        self._fields: dict[str, tuple[list[str], str, str | None]] | None = None

    @property
    def fields(self) -> dict[str, tuple[list[str], str, str | None]]:
        """Each annotated key's stored tags, note and ``read_at`` (``Library.annotation_fields``:
        read from the library snapshot's tuples, no document dict made)."""
        if self._fields is None:
            self._fields = self.library.annotation_fields()
        return self._fields

    def status(self, key: str) -> Status:
        return self.statuses.get(key, Status.UNREAD)

    def tags(self, key: str) -> tuple[str, ...]:
        """``annotation.tags`` of the key's row."""
        found = self.fields.get(key)
        return tuple(found[0]) if found else ()

    def read_at(self, key: str) -> str | None:
        """``annotation.read_at`` of the key's row."""
        found = self.fields.get(key)
        return found[2] if found else None

    def year(self, entry: Entry) -> int | None:
        """``Row.year`` of the entry's row."""
        if entry.year is not None:
            return entry.year
        return year_of(entry, self.metadata.get(entry.key))

    def row(self, entry: Entry) -> Row:
        """The entry's row, as ``make_rows`` makes it."""
        record = self.metadata.get(entry.key)
        annotation = self.library.annotation(entry.key)
        return Row(entry, annotation, dict(record) if record is not None else None)

    def search_texts(self, entries: Iterable[Entry]) -> list[str]:
        """``FIELD_SEPARATOR.join(query._fields(row))`` of each entry's row: the text words
        and phrases are looked for in."""
        from rlhf_reader.query import FIELD_SEPARATOR, field_list

        fields, metadata = self.fields, self.metadata
        texts = []
        for entry in entries:
            key = entry.key
            found = fields.get(key)
            tags, note = (found[0], found[1]) if found else ((), "")
            texts.append(FIELD_SEPARATOR.join(field_list(entry, tags, note, metadata.get(key))))
        return texts

    def records(self, entries: Iterable[Entry], added: Mapping[str, str]) -> list[dict[str, Any]]:
        """``records`` of the entries' rows, the same JSON (a section is given as its
        tuple, tags as the stored list: orjson and json write them as arrays alike)."""
        fields, metadata, statuses = self.fields, self.metadata, self.statuses
        when = added.get if added else _none
        unread = Status.UNREAD
        made = []
        for entry in entries:
            key = entry.key
            meta = metadata.get(key)
            found = fields.get(key)
            year = entry.year
            made.append(
                {
                    "key": key,
                    "title": entry.title,
                    "url": entry.url,
                    "arxiv_id": entry.arxiv_id,
                    "authors": authors_of(entry, meta) if meta else split_authors(entry.authors),
                    "year": year if year is not None else year_of(entry, meta),
                    "section": entry.section,
                    "status": _STATUS_VALUE[statuses.get(key, unread)],
                    "tags": found[0] if found else _NO_TAGS,
                    "note": found[1] if found else "",
                    "read_at": found[2] if found else None,
                    "venue": entry.venue,
                    "added_at": when(key),
                }
            )
        return made


_NO_TAGS: tuple[str, ...] = ()
