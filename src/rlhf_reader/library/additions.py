"""Papers the reader added: the "My additions" section.

The library's ``additions`` table holds one record per paper: ``{"key", "arxiv_id", "title",
"url", "authors": [...], "year", "added"}``, and for a paper without an arXiv id (added by DOI,
OpenReview or ACL Anthology URL, by title, or imported from a .bib) ``arxiv_id`` is null, the
key is the link's key (``doi.org/10.…``, ``openreview.net/forum?id=…``) or ``title:…``, and
``venue`` and ``doi`` may be set. :func:`with_additions` turns them into entries
of a last section, so list, show, export, cite and the TUI treat them like list entries
(status, tags and notes are stored by key as for any entry). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from rlhf_reader.keys import parse_arxiv_id
from rlhf_reader.model import Catalog, Entry, Section
from rlhf_reader.tags import TagEdit

SECTION_TITLE = "My additions"
SECTION_PATH = (SECTION_TITLE,)
EXAMPLES = "2305.18290, arXiv:2305.18290v2 or https://arxiv.org/abs/2305.18290"


class AddError(ValueError):
    """What the reader typed is not an arXiv id or arXiv URL; the message says so."""


def parse_paper(text: str) -> str:
    """The versionless arXiv id of ``2305.18290``, ``arXiv:2305.18290v2`` or an abs/pdf URL."""
    arxiv_id = parse_arxiv_id(text)
    if arxiv_id is None:
        raise AddError(
            f"{text.strip()!r} is not an arXiv id or arXiv URL (expected e.g. {EXAMPLES})"
        )
    return arxiv_id


def already_there(
    arxiv_id: str, listed: Catalog, records: Iterable[Mapping[str, Any]]
) -> str | None:
    """Where the paper with this key already is (``in the list (line 12: Title)``, ``in My
    additions``); ``arxiv_id`` may be any entry key."""
    for entry in listed.entries:
        if entry.key == arxiv_id and not is_addition(entry):
            return f"in the list (line {entry.line}: {entry.title})"
    if any(record.get("key") == arxiv_id for record in records):
        return f"in {SECTION_TITLE}"
    return None


class _Store(Protocol):
    def put_metadata(self, records: Mapping[str, Mapping[str, Any]]) -> None: ...
    def put_addition(self, record: Mapping[str, Any]) -> None: ...
    def change_tags(self, keys: Iterable[str], edit: TagEdit) -> Any: ...


def store_addition(
    library: _Store, metadata: Mapping[str, Any], added: str, tags: Iterable[str] = ()
) -> dict[str, Any]:
    """Save a fetched paper as an addition (its metadata cached, its tags set); the record.

    Call it from the thread that owns the library (the UI thread in the TUI).
    """
    record = addition_record(metadata, added)
    library.put_metadata({record["key"]: dict(metadata)})
    library.put_addition(record)
    tags = list(tags)
    if tags:
        library.change_tags([record["key"]], TagEdit.of(add=tags))
    return record


def is_addition(entry: Entry) -> bool:
    return entry.section == SECTION_PATH and entry.line == 0


def addition_record(metadata: Mapping[str, Any], added: str) -> dict[str, Any]:
    """The ``additions`` record for a paper, from its arXiv cache record."""
    # The cache key is the id the paper was asked for (an imported record may lack
    # arxiv_id, or carry another one).
    arxiv_id = str(metadata.get("key") or metadata["arxiv_id"])
    published = str(metadata.get("published") or "")
    return {
        "key": arxiv_id,
        "arxiv_id": arxiv_id,
        "title": str(metadata.get("title") or arxiv_id),
        "url": f"https://arxiv.org/abs/{arxiv_id}",
        "authors": [str(a) for a in metadata.get("authors") or []],
        "year": int(published[:4]) if published[:4].isdigit() else None,
        "added": added,
    }


def entry_from_record(record: Mapping[str, Any]) -> Entry | None:
    """The entry for one additions record; None for a record too broken to show."""
    arxiv_id = parse_arxiv_id(str(record.get("arxiv_id") or record.get("key") or ""))
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        return None
    authors = record.get("authors")
    names = [str(a) for a in authors] if isinstance(authors, list) else []
    year = record.get("year")
    if arxiv_id is None:
        key, url, venue = record.get("key"), record.get("url"), record.get("venue")
        if not isinstance(key, str) or not key.strip():
            return None
        return Entry(
            key=key,
            title=" ".join(title.split()),
            url=url if isinstance(url, str) else "",
            section=SECTION_PATH,
            line=0,
            authors=", ".join(names),
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            venue=venue if isinstance(venue, str) else "",
        )
    return Entry(
        key=arxiv_id,
        title=" ".join(title.split()),
        url=f"https://arxiv.org/abs/{arxiv_id}",
        section=SECTION_PATH,
        line=0,
        arxiv_id=arxiv_id,
        authors=", ".join(names),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        venue="arXiv",
    )


def with_additions(catalog: Catalog, records: Iterable[Mapping[str, Any]]) -> Catalog:
    """``catalog`` with a last "My additions" section (oldest addition first).

    Additions whose key the list already has are left out (the list's entry wins), as are
    broken records. Without additions the catalog itself is returned; it is never changed.
    """
    listed: set[str] | None = None  # the list's keys, gathered at the first addition
    entries: dict[str, Entry] = {}
    for record in sorted(records, key=lambda r: str(r.get("added") or "")):
        entry = entry_from_record(record)
        if entry is None:
            continue
        if listed is None:
            listed = {entry.key for entry in catalog.entries}
        if entry.key not in listed:
            entries.setdefault(entry.key, entry)
    if not entries:
        return catalog
    level = catalog.sections[0].level if catalog.sections else 2
    section = Section(
        title=SECTION_TITLE, level=level, path=SECTION_PATH, entries=list(entries.values())
    )
    return Catalog(
        title=catalog.title, sections=[*catalog.sections, section], source=catalog.source
    )
