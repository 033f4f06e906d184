"""Rows: an entry joined with what the reader recorded and what arXiv told us."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlhf_reader.model import Annotation, Catalog, Entry


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
    return [
        Row(entry, annotations.get(entry.key) or Annotation(key=entry.key), metadata.get(entry.key))
        for entry in catalog.entries
    ]


def to_record(row: Row, added_at: str | None = None) -> dict[str, Any]:
    """The fields of ``list --json`` and ``show --json``; ``added_at``: when the entry came
    to the reader's list, where known (``sorting.added_dates``)."""
    entry, ann = row.entry, row.annotation
    return {
        "key": entry.key,
        "title": entry.title,
        "url": entry.url,
        "arxiv_id": entry.arxiv_id,
        "authors": row.authors,
        "year": row.year,
        "section": list(entry.section),
        "status": ann.status.value,
        "tags": list(ann.tags),
        "note": ann.note,
        "read_at": ann.read_at,
        "venue": entry.venue,
        "added_at": added_at,
    }
