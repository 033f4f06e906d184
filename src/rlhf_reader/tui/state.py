"""What the screen shows, kept without Textual: rows by key, progress counts, the filter.

The main screen owns one ``ReadingList``; widgets ask it for counts and rows and tell it when
an annotation changed. Counts are kept incrementally, so a status change costs the depth of
the entry's section, not a pass over the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Catalog, Entry, Section, Status

SectionPath = tuple[str, ...]

NEW_PREFIX = "New since "
NEW_GLYPH = "✦"


@dataclass
class Progress:
    read: int = 0
    total: int = 0


@dataclass
class ReadingList:
    """The catalog joined with the library: one ``Row`` per key, counts per section."""

    catalog: Catalog
    rows: dict[str, Row]
    entries: dict[str, list[Entry]]
    sections: dict[SectionPath, Section]
    progress: dict[SectionPath, Progress]
    overall: Progress
    duplicates: dict[str, list[Entry]] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)
    """Keys marked new by the last update(s) and not yet seen → when they appeared."""
    _index: Any = None

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
        progress: dict[SectionPath, Progress] = {}
        read_status = Status.READ
        for section in catalog.walk():
            sections[section.path] = section
            progress[section.path] = Progress()
            total = read = 0
            for entry in section.entries:
                same = entries.get(entry.key)
                if same is None:
                    entries[entry.key] = [entry]
                    ann = annotations.get(entry.key) or Annotation(key=entry.key)
                    row = rows[entry.key] = Row(entry, ann, metadata.get(entry.key))
                else:
                    same.append(entry)
                    row = rows[entry.key]
                total += 1
                read += row.annotation.status is read_status
            path = section.path
            for depth in range(1, len(path) + 1):  # a section counts in its ancestors too
                counts = progress[path[:depth]]
                counts.total += total
                counts.read += read
        overall = Progress(
            read=sum(row.annotation.status is Status.READ for row in rows.values()),
            total=len(rows),
        )
        duplicates = {key: same for key, same in entries.items() if len(same) > 1}
        new = {key: when for key, when in (new or {}).items() if key in rows}
        return cls(catalog, rows, entries, sections, progress, overall, duplicates, new)

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

    def list_only(self) -> Catalog:
        """The list as its file says: without "My additions" and "No longer in the list"."""
        from rlhf_reader.library.additions import SECTION_PATH
        from rlhf_reader.lists.whatsnew import RETIRED_SECTION

        ours = {SECTION_PATH, (RETIRED_SECTION,)}
        catalog = self.catalog
        kept = [
            s
            for s in catalog.sections
            if not (s.path in ours and all(e.line == 0 for e in s.entries))
        ]
        return Catalog(title=catalog.title, sections=kept, source=catalog.source)

    def with_own_sections(self, library: Any) -> Catalog:
        """The list again with the reader's own sections, as ``library`` holds them now."""
        return self.own_sections(self.list_only(), library)

    @staticmethod
    def own_sections(listed: Catalog, library: Any) -> Catalog:
        from rlhf_reader.library.additions import with_additions
        from rlhf_reader.lists.whatsnew import with_retired

        return with_retired(with_additions(listed, library.additions()), library)

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
        """Take a stored annotation; counts of every section listing the key follow."""
        old = self.rows.get(annotation.key)
        if old is None:
            return
        was = old.annotation.status is Status.READ
        now = annotation.status is Status.READ
        new = Row(old.entry, annotation, old.metadata)
        self.rows[annotation.key] = new
        if self._index is not None and hasattr(self._index, "update"):
            self._index.update(new)
        if was == now:
            return
        delta = 1 if now else -1
        self.overall.read += delta
        for entry in self.entries[annotation.key]:
            for depth in range(1, len(entry.section) + 1):
                counts = self.progress.get(entry.section[:depth])
                if counts is not None:
                    counts.read += delta

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
