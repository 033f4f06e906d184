"""What changed between two versions of a list: entries added, removed and changed.

Entries are compared by key, so a renamed or moved paper is a change, not a removal and an
addition, and every annotation (stored by key) survives an update. Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rlhf_reader.model import Catalog, Entry


@dataclass(frozen=True, slots=True)
class Change:
    """The same key with a new title, section or link."""

    old: Entry
    new: Entry
    fields: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.new.key


@dataclass(slots=True)
class ListDiff:
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    # Keys listed more often than before (a duplicate was added): key → (before, after).
    relisted: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.relisted)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.removed)} removed",
            f"{len(self.changed)} changed",
        ]
        if self.relisted:
            parts.append(f"{len(self.relisted)} now listed more than once")
        return ", ".join(parts)


def diff(old: Catalog, new: Catalog) -> ListDiff:
    """Compare two catalogs by entry key (the first listing of a key stands for it)."""
    old_first = _first_by_key(old)
    new_first = _first_by_key(new)
    result = ListDiff()
    result.added = [entry for key, entry in new_first.items() if key not in old_first]
    result.removed = [entry for key, entry in old_first.items() if key not in new_first]
    for key, after in new_first.items():
        before = old_first.get(key)
        if before is None:
            continue
        changed = tuple(
            name
            for name, a, b in (
                ("title", before.title, after.title),
                ("section", before.section, after.section),
                ("link", before.url, after.url),
            )
            if a != b
        )
        if changed:
            result.changed.append(Change(old=before, new=after, fields=changed))
    old_counts = Counter(entry.key for entry in old.entries)
    new_counts = Counter(entry.key for entry in new.entries)
    result.relisted = {
        key: (old_counts[key], count)
        for key, count in new_counts.items()
        if count > 1 and count > old_counts.get(key, 0) and key in old_first
    }
    return result


def _first_by_key(catalog: Catalog) -> dict[str, Entry]:
    first: dict[str, Entry] = {}
    for entry in catalog.entries:
        first.setdefault(entry.key, entry)
    return first


def describe(result: ListDiff) -> list[str]:
    """Human-readable lines of a diff (not yet made safe for a terminal)."""
    lines = [result.summary()]
    for entry in result.added:
        lines.append(f"+ {entry.title}  [{entry.key}] ({entry.section_path})")
    for entry in result.removed:
        lines.append(f"- {entry.title}  [{entry.key}] ({entry.section_path})")
    for change in result.changed:
        lines.append(f"~ {change.new.title}  [{change.key}]")
        for name in change.fields:
            before, after = _field(change.old, name), _field(change.new, name)
            lines.append(f"    {name}: {before} → {after}")
    for key, (was, now) in result.relisted.items():
        lines.append(f"= {key} now listed {now} times (was {was})")
    return lines


def _field(entry: Entry, name: str) -> str:
    if name == "section":
        return entry.section_path
    if name == "link":
        return entry.url
    return entry.title
