"""The filter language shared by the TUI filter bar and ``rlhf-reader list --search``.

NOTE: first version: plain words (substring of title, authors, tags or note). The full
language (fuzzy words, tag:, status:, section:, year:, negation) replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rlhf_reader.records import Row


@dataclass(frozen=True, slots=True)
class Query:
    words: tuple[str, ...] = ()

    def matches(self, row: Row) -> bool:
        haystack = " ".join(
            [row.entry.title, *row.authors, *row.annotation.tags, row.annotation.note]
        ).lower()
        return all(word in haystack for word in self.words)


def parse(text: str) -> Query:
    return Query(words=tuple(text.lower().split()))


def select(
    rows: Iterable[Row],
    *,
    status: str | None = None,
    tag: str | None = None,
    section: str | None = None,
    search: str | None = None,
) -> list[Row]:
    """The rows that pass every given filter (the options of ``list`` and ``export``)."""
    query = parse(search) if search else None
    section_text = section.lower() if section else None
    tag_text = tag.strip().lower() if tag else None
    selected = []
    for row in rows:
        if status and row.annotation.status.value != status:
            continue
        if tag_text and tag_text not in row.annotation.tags:
            continue
        if section_text and section_text not in row.entry.section_path.lower():
            continue
        if query and not query.matches(row):
            continue
        selected.append(row)
    return selected
