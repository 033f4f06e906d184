"""What an update brought: entries marked new until seen, and entries that left the list.

Both live in the library's ``meta`` table, so they follow the library file:
``whats_new`` maps a key to when it was first seen; ``retired`` keeps the list data of
annotated entries that an update removed, so their annotations stay visible under
"No longer in the list" and are never deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from rlhf_reader.keys import arxiv_id_from_url
from rlhf_reader.model import Annotation, Catalog, Entry, Section

if TYPE_CHECKING:
    from rlhf_reader.lists.listdiff import ListDiff

NEW_META = "whats_new"
RETIRED_META = "retired"
RETIRED_SECTION = "No longer in the list"


def meta_names(list_name: str | None = None) -> tuple[str, str]:
    """Where the marks of a list live: the bundled list (and a list given by path) keeps the
    names libraries always had; every other registered list has its own."""
    if list_name is None or list_name == "awesome-rlhf":
        return NEW_META, RETIRED_META
    return f"{NEW_META}:{list_name}", f"{RETIRED_META}:{list_name}"


class _Meta(Protocol):
    def get_meta(self, name: str, default: Any = None) -> Any: ...
    def change_meta(self, name: str, change: Callable[[Any], Any]) -> Any: ...


def _as_new(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def new_keys(library: _Meta, list_name: str | None = None) -> dict[str, str]:
    """Keys first seen in an update and not yet seen by the reader → when they appeared."""
    return _as_new(library.get_meta(meta_names(list_name)[0]))


def new_since(new: Mapping[str, str]) -> str | None:
    """The date (YYYY-MM-DD) of the oldest unseen update, for "New since <date>"."""
    return min(new.values())[:10] if new else None


def record_update(
    library: _Meta,
    result: ListDiff,
    annotations: Mapping[str, Annotation],
    when: str,
    list_name: str | None = None,
) -> None:
    """Mark added entries new and keep what the reader recorded about removed ones (each a
    change to the marks as they are in the file, under its lock)."""

    def mark(value: Any) -> dict[str, str]:
        new = _as_new(value)
        for entry in result.added:
            new.setdefault(entry.key, when)
        for entry in result.removed:
            new.pop(entry.key, None)
        return new

    def retire(value: Any) -> dict[str, Any]:
        retired = _as_retired(value)
        for entry in result.added:
            retired.pop(entry.key, None)
        for entry in result.removed:
            if entry.key in annotations:
                retired[entry.key] = {
                    "title": entry.title,
                    "url": entry.url,
                    "section": list(entry.section),
                    "authors": entry.authors,
                    "year": entry.year,
                    "removed_at": when,
                }
        return retired

    new_meta, retired_meta = meta_names(list_name)
    library.change_meta(new_meta, mark)
    library.change_meta(retired_meta, retire)


def mark_seen(
    library: _Meta, keys: Iterable[str] | None = None, list_name: str | None = None
) -> int:
    """Clear the new mark of ``keys`` (all when None); how many marks were cleared."""
    cleared = 0
    gone = None if keys is None else set(keys)

    def clear(value: Any) -> dict[str, str]:
        nonlocal cleared
        new = _as_new(value)
        kept = {} if gone is None else {k: v for k, v in new.items() if k not in gone}
        cleared = len(new) - len(kept)
        return kept if cleared else new

    if new_keys(library, list_name):
        library.change_meta(meta_names(list_name)[0], clear)
    return cleared


def _as_retired(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    # A hand-edited library may hold anything here: keep only records that are objects.
    return {str(k): dict(v) for k, v in value.items() if isinstance(v, dict)}


def retired_records(library: _Meta, list_name: str | None = None) -> dict[str, dict[str, Any]]:
    return _as_retired(library.get_meta(meta_names(list_name)[1]))


def retired_section(
    catalog: Catalog, retired: Mapping[str, Mapping[str, Any]], annotated: Iterable[str]
) -> Section | None:
    """A "No longer in the list" section for annotated keys that an update removed."""
    present = {entry.key for entry in catalog.entries}
    annotated = set(annotated)
    path = (RETIRED_SECTION,)
    entries = []
    for key, record in retired.items():
        if key in present or key not in annotated:
            continue
        url = str(record.get("url") or "")
        year = record.get("year")
        entries.append(
            Entry(
                key=key,
                title=str(record.get("title") or key),
                url=url,
                section=path,
                arxiv_id=arxiv_id_from_url(url),
                authors=str(record.get("authors") or ""),
                year=year if isinstance(year, int) else None,
                venue=f"was in {' › '.join(record.get('section') or [])}",
            )
        )
    if not entries:
        return None
    return Section(title=RETIRED_SECTION, level=2, path=path, entries=entries)


class _Library(_Meta, Protocol):
    def annotations(self) -> Mapping[str, Annotation]: ...


def with_retired(catalog: Catalog, library: _Library, list_name: str | None = None) -> Catalog:
    """``catalog`` with a last section for annotated entries that left the list."""
    retired = retired_records(library, list_name)
    if not retired:
        return catalog
    section = retired_section(catalog, retired, library.annotations())
    if section is None:
        return catalog
    return Catalog(
        title=catalog.title, sections=[*catalog.sections, section], source=catalog.source
    )
