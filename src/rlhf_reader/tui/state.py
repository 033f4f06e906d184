"""What the screen shows, kept without Textual: rows by key, progress counts, the filter.

A ``ReadingList`` is a view of the ``Workspace`` (the one object that knows the catalog with
the reader's own sections, the library and the new marks) shaped for the screen: a row per
key, the distinct keys of every section, and the counts of each, by the one progress rule
(``library.progress.count``: a key counts once, however often it is listed). After a write
only the sections that list the key are counted again; after another process changed the
file the screen builds a new one from the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rlhf_reader.library.progress import Counts, count
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Catalog, Entry, Section, Status

if TYPE_CHECKING:
    from rlhf_reader.workspace import Workspace

SectionPath = tuple[str, ...]

NEW_PREFIX = "New since "
NEW_GLYPH = "✦"


def moved(counts: Counts, was: Status, now: Status) -> Counts:
    """``counts`` after one of its papers went from ``was`` to ``now``."""
    tally = {status: getattr(counts, status.value) for status in Status}
    tally[was] -= 1
    tally[now] += 1
    return Counts(tally[Status.READ], tally[Status.READING], tally[Status.UNREAD])


@dataclass
class ReadingList:
    """The workspace's catalog joined with the library: one ``Row`` per key, counts per
    section (each key once)."""

    catalog: Catalog
    rows: dict[str, Row]
    entries: dict[str, list[Entry]]
    sections: dict[SectionPath, Section]
    section_keys: dict[SectionPath, frozenset[str]]
    progress: dict[SectionPath, Counts]
    overall: Counts
    duplicates: dict[str, list[Entry]] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)
    """Keys marked new by the last update(s) and not yet seen → when they appeared."""
    _index: Any = None

    @classmethod
    def of(cls, workspace: Workspace) -> ReadingList:
        """The view of ``workspace`` as its files are now."""
        from rlhf_reader.gcpause import paused

        library = workspace.library
        with paused():  # a row per key and no cycles: linear with the collector paused
            return cls.build(
                workspace.catalog,
                library.annotations(),
                library.all_metadata(),
                workspace.new_keys(),
            )

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        annotations: dict[str, Annotation],
        metadata: dict[str, dict[str, Any]] | None = None,
        new: dict[str, str] | None = None,
    ) -> ReadingList:
        metadata = metadata or {}
        rows: dict[str, Row] = {}
        entries: dict[str, list[Entry]] = {}
        sections: dict[SectionPath, Section] = {}
        keys_in: dict[SectionPath, set[str]] = {}
        for section in catalog.walk():
            sections[section.path] = section
            keys_in.setdefault(section.path, set())
            path = section.path
            for entry in section.entries:
                same = entries.get(entry.key)
                if same is None:
                    entries[entry.key] = [entry]
                    ann = annotations.get(entry.key) or Annotation(key=entry.key)
                    rows[entry.key] = Row(entry, ann, metadata.get(entry.key))
                else:
                    same.append(entry)
                for depth in range(1, len(path) + 1):  # a section counts in its ancestors too
                    keys_in.setdefault(path[:depth], set()).add(entry.key)
        section_keys = {path: frozenset(keys) for path, keys in keys_in.items()}
        known = {key: row.annotation for key, row in rows.items()}
        progress = {path: count(keys, known) for path, keys in section_keys.items()}
        duplicates = {key: same for key, same in entries.items() if len(same) > 1}
        new = {key: when for key, when in (new or {}).items() if key in rows}
        return cls(
            catalog,
            rows,
            entries,
            sections,
            section_keys,
            progress,
            count(rows, known),
            duplicates,
            new,
        )

    def counts(self, path: SectionPath, shown: set[str] | None = None) -> Counts:
        """The counts of a section (each key once); with ``shown``, of its keys among them."""
        if shown is None:
            return self.progress.get(path, Counts())
        inside = self.section_keys.get(path, frozenset()) & shown
        return count(inside, {key: self.rows[key].annotation for key in inside})

    # reading ---------------------------------------------------------------------------

    def row(self, key: str) -> Row:
        return self.rows[key]

    def status(self, key: str) -> Status:
        return self.rows[key].annotation.status

    def tags_in_use(self) -> list[str]:
        """Tags of every row, most used first, then alphabetical."""
        counts: dict[str, int] = {}
        for row in self.rows.values():
            for tag in row.annotation.tags:
                counts[tag] = counts.get(tag, 0) + 1
        return sorted(counts, key=lambda tag: (-counts[tag], tag))

    def new_section(self) -> Section | None:
        """The "New since <date>" section: the first listing of every key marked new."""
        if not self.new:
            return None
        from rlhf_reader.lists.whatsnew import new_since

        title = NEW_PREFIX + (new_since(self.new) or "")
        listed = [self.entries[key][0] for key in self.rows if key in self.new]
        return Section(title=title, level=2, path=(title,), entries=listed)

    # changing --------------------------------------------------------------------------

    def mark_seen(self, keys: list[str] | None) -> list[str]:
        """Forget the new mark of ``keys`` (all when None); the keys that had one."""
        cleared = list(self.new) if keys is None else [k for k in keys if k in self.new]
        for key in cleared:
            del self.new[key]
        if cleared and self._index is not None and hasattr(self._index, "set_new_keys"):
            self._index.set_new_keys(set(self.new))
        return cleared

    def set_metadata(self, records: dict[str, dict[str, Any]]) -> list[str]:
        """Take freshly cached arXiv records; the keys whose rows changed."""
        changed = []
        for key, record in records.items():
            old = self.rows.get(key)
            if old is None:
                continue
            new = Row(old.entry, old.annotation, record)
            self.rows[key] = new
            if self._index is not None and hasattr(self._index, "update"):
                self._index.update(new)
            changed.append(key)
        return changed

    def update(self, annotation: Annotation) -> None:
        """Take a stored annotation; the counts of every section listing the key follow."""
        old = self.rows.get(annotation.key)
        if old is None:
            return
        new = Row(old.entry, annotation, old.metadata)
        self.rows[annotation.key] = new
        if self._index is not None and hasattr(self._index, "update"):
            self._index.update(new)
        was, now = old.annotation.status, annotation.status
        if was is now:
            return
        # The key is in each section's set once: its counts move by one, as count() says.
        above = {
            entry.section[:depth]
            for entry in self.entries[annotation.key]
            for depth in range(1, len(entry.section) + 1)
        }
        for path in above:
            if path in self.progress:
                self.progress[path] = moved(self.progress[path], was, now)
        self.overall = moved(self.overall, was, now)

    # filtering -------------------------------------------------------------------------

    def filter(self, text: str) -> set[str] | None:
        """Keys matching the filter ``text`` (None when it is blank); ValueError if invalid."""
        if not text.strip():
            return None
        index = self._search_index()
        if index is not None:
            return set(index.filter(text))
        from rlhf_reader import query

        parsed = query.parse(text)
        return {key for key, row in self.rows.items() if parsed.matches(row, self.new)}

    def _search_index(self) -> Any:
        if self._index is None:
            self._index = self.build_index(self.rows, set(self.new))
        return self._index

    @staticmethod
    def build_index(rows: dict[str, Row], new_keys: set[str] | frozenset[str] = frozenset()) -> Any:
        """A ``query.SearchIndex`` over ``rows`` (None if there is none); safe in a thread."""
        from rlhf_reader import query  # not needed until the first filter

        factory = getattr(query, "SearchIndex", None)
        return None if factory is None else factory(list(rows.values()), new_keys=new_keys)

    def install_index(self, index: Any, snapshot: dict[str, Row]) -> None:
        """Use an index built in the background from ``snapshot``, catching it up first."""
        if self._index is not None or index is None:
            return
        for key, row in self.rows.items():
            if snapshot.get(key) is not row:
                index.update(row)
        if hasattr(index, "set_new_keys"):
            index.set_new_keys(set(self.new))
        self._index = index

    def matching_sections(self, keys: set[str]) -> set[SectionPath]:
        """The sections holding one of ``keys`` (directly or in a sub-section)."""
        found: set[SectionPath] = set()
        for path, section in self.sections.items():
            if any(entry.key in keys for entry in section.entries):
                found.update(path[:depth] for depth in range(1, len(path) + 1))
        return found
