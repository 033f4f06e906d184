"""What the screen shows, kept without Textual: rows by key, progress counts, the filter.

A ``ReadingList`` is a view of the ``Workspace`` (the one object that knows the catalog with
the reader's own sections, the library and the new marks) shaped for the screen: a row per
key, the distinct keys of every section, and the counts of each, by the one progress rule
(``library.progress.count``: a key counts once, however often it is listed). After a write
only the sections that list the key are counted again; after another process changed the
file the screen builds a new one from the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import is_
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlhf_reader.library.progress import Counts, count
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Catalog, Entry, Section, Status

if TYPE_CHECKING:
    from rlhf_reader.workspace import Workspace

SectionPath = tuple[str, ...]

NEW_PREFIX = "New since "
NEW_GLYPH = "✦"
QUEUE_TITLE = "Reading queue"
QUEUE_PATH: SectionPath = ("\x00queue",)
"""The queue section's path: no heading of a list can have it."""
PDF_GLYPH = "⤓"
"""A paper whose PDF is on disk (the CLI's ``queue`` shows the same mark)."""
SHARED_GLYPH = "≡"
"""In the "All lists" view: this paper is listed in several lists (one paper, one status)."""


def moved(counts: Counts, was: Status, now: Status) -> Counts:
    """``counts`` after one of its papers went from ``was`` to ``now``."""
    tally = {status: getattr(counts, status.value) for status in Status}
    tally[was] -= 1
    tally[now] += 1
    return Counts(tally[Status.READ], tally[Status.READING], tally[Status.UNREAD])


class Listings(Mapping[str, list[Entry]]):
    """Every listing of each key of ``rows``, in list order: for a key listed once, its
    row's entry; for the others, ``more`` (``ReadingList.duplicates``). Made when asked
    rather than kept: a list per key was 10 MB at 100,000 keys (issue 17)."""

    __slots__ = ("_more", "_rows")

    def __init__(self, rows: dict[str, Row], more: dict[str, list[Entry]]) -> None:
        self._rows, self._more = rows, more

    def __getitem__(self, key: str) -> list[Entry]:
        more = self._more.get(key)
        return more if more is not None else [self._rows[key].entry]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class SectionKeys(Mapping[SectionPath, frozenset[str]]):
    """The keys of each section of ``paths`` and of its sub-sections, each once, made when
    asked (the cursor on a section while a filter is on, marking a section) from each
    section's own keys (``own``): the sets, kept, were 7 MB at 100,000 keys (issue 17)."""

    __slots__ = ("_own", "_paths")

    def __init__(
        self, paths: Mapping[SectionPath, object], own: dict[SectionPath, list[str]]
    ) -> None:
        self._paths, self._own = paths, own

    def __getitem__(self, path: SectionPath) -> frozenset[str]:
        if path not in self._paths:
            raise KeyError(path)
        depth = len(path)
        under = (keys for inner, keys in self._own.items() if inner[:depth] == path)
        return frozenset(chain.from_iterable(under))

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __iter__(self) -> Iterator[SectionPath]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass
class ReadingList:
    """The workspace's catalog joined with the library: one ``Row`` per key, counts per
    section (each key once)."""

    catalog: Catalog
    rows: dict[str, Row]
    entries: Mapping[str, list[Entry]]
    """Every listing of each key (a :class:`Listings`)."""
    sections: dict[SectionPath, Section]
    section_keys: Mapping[SectionPath, frozenset[str]]
    """Each section's keys, its sub-sections' included (a :class:`SectionKeys`)."""
    progress: dict[SectionPath, Counts]
    overall: Counts
    duplicates: dict[str, list[Entry]] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)
    """Keys marked new by the last update(s) and not yet seen → when they appeared."""
    queue: list[str] = field(default_factory=list)
    """The reading queue, in the reader's order (keys of this list only)."""
    pdfs: dict[str, Path] = field(default_factory=dict)
    """Keys whose PDF is on disk → its path."""
    shared: frozenset[str] | None = None
    """In the "All lists" view, the keys listed in several lists (None: one list shown)."""
    lists: dict[str, frozenset[str]] | None = None
    """Each registered list's keys, for ``list:NAME`` (None until read, in a thread)."""
    list_name: str | None = None
    """The registered list shown (None: a file the registry does not know, or All lists)."""
    where: dict[str, list[tuple[str, SectionPath]]] = field(default_factory=dict)
    """Key → (list, section) of its first listing in each registered list ("Also in")."""
    _index: Any = None
    _touched: set[str] | None = None

    @classmethod
    def of(
        cls, workspace: Workspace, lists: dict[str, frozenset[str]] | None = None
    ) -> ReadingList:
        """The view of ``workspace`` as its files are now (``lists``: for ``list:NAME``; the
        PDFs on disk are looked for apart, in a thread: :meth:`find_pdfs`)."""
        from rlhf_reader.gcpause import paused
        from rlhf_reader.lists.views import AllLists

        library = workspace.library
        # A row per key and no cycles: linear with the collector paused, and kept out of its
        # way afterwards (they live as long as the screen shows this list).
        with paused(keep=True):
            reading = cls.build(
                workspace.catalog,
                library.annotations(),
                library.all_metadata(),
                workspace.new_keys(),
            )
        reading.queue = [key for key in workspace.queue() if key in reading.rows]
        if isinstance(workspace, AllLists):
            reading.shared = workspace.shared_keys()
        else:
            reading.list_name = workspace.list_name
        reading.lists = lists
        return reading

    @staticmethod
    def find_pdfs(workspace: Workspace, keys: Iterable[str]) -> dict[str, Path]:
        """Those of ``keys`` whose PDF is on disk → its path (one listing of ``pdfs/``, and
        a file name per key: safe in a thread, too slow for the first frame of a long list)."""
        from rlhf_reader.sources.pdffiles import pdf_filename

        folder = workspace.pdf_folder
        return {key: folder / pdf_filename(key) for key in workspace.pdf_keys(keys)}

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        annotations: dict[str, Annotation],
        metadata: dict[str, dict[str, Any]] | None = None,
        new: dict[str, str] | None = None,
    ) -> ReadingList:
        from rlhf_reader.library.records import make_rows

        firsts: dict[str, Entry] = {}  # each key's first listing, in list order
        duplicates: dict[str, list[Entry]] = {}  # every listing of a key listed twice
        sections: dict[SectionPath, Section] = {}
        own: dict[SectionPath, list[str]] = {}
        for section in catalog.walk():
            sections[section.path] = section
            keys = own.setdefault(section.path, [])
            for entry in section.entries:
                first = firsts.get(entry.key)
                if first is None:
                    firsts[entry.key] = entry
                elif (same := duplicates.get(entry.key)) is None:
                    duplicates[entry.key] = [first, entry]
                else:
                    same.append(entry)
            keys.extend([entry.key for entry in section.entries])
        keys_in: dict[SectionPath, set[str]] = {}
        for path, keys in own.items():  # a section counts in its ancestors too
            keys_in.setdefault(path, set())
            if keys:
                for depth in range(1, len(path) + 1):
                    keys_in.setdefault(path[:depth], set()).update(keys)
        made = make_rows(firsts.values(), annotations, metadata or {})
        rows = dict(zip(firsts, made, strict=True))
        del firsts
        # Counted by set intersections (C loops) rather than a status per key and section.
        statuses = [row.annotation.status for row in made]
        read = frozenset(compress(rows, map(is_, statuses, repeat(Status.READ))))
        reading = frozenset(compress(rows, map(is_, statuses, repeat(Status.READING))))

        def tally(keys: set[str] | frozenset[str]) -> Counts:
            n_read, n_reading = len(keys & read), len(keys & reading)
            return Counts(n_read, n_reading, len(keys) - n_read - n_reading)

        progress = {path: tally(keys) for path, keys in keys_in.items()}
        del keys_in
        if len(duplicates) > 1:  # in the order of their first listings, as they come
            duplicates = {key: duplicates[key] for key in rows if key in duplicates}
        new = {key: when for key, when in (new or {}).items() if key in rows}
        return cls(
            catalog,
            rows,
            Listings(rows, duplicates),
            sections,
            SectionKeys(progress, own),
            progress,
            tally(frozenset(rows)),
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

    def listings(self, entry: Entry) -> list[Entry]:
        """Where ``entry``'s paper is listed: every listing of its key, or in the "All
        lists" view those in the same list (a paper in two lists is not listed twice)."""
        same = self.entries.get(entry.key, [entry])
        if self.shared is None:
            return same
        return [e for e in same if e.section[:1] == entry.section[:1]]

    def also_in(self, entry: Entry) -> list[str]:
        """The other lists listing ``entry``'s paper, as "list › section › …": in the "All
        lists" view from its own sections, else once the lists were read (``where``)."""
        if self.shared is not None:
            seen, found = {entry.section[:1]}, []
            for other in self.entries.get(entry.key, ()):
                if other.section[:1] not in seen:  # each other list once: its first listing
                    seen.add(other.section[:1])
                    found.append(" › ".join(other.section))
            return found
        return [
            " › ".join((name, *section))
            for name, section in self.where.get(entry.key, ())
            if name != self.list_name
        ]

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

    def queue_section(self) -> Section | None:
        """The reading queue as a section (the first listing of each queued key, in the
        reader's order), or None when the queue is empty."""
        listed = [self.entries[key][0] for key in self.queue if key in self.entries]
        if not listed:
            return None
        return Section(title=QUEUE_TITLE, level=2, path=QUEUE_PATH, entries=listed)

    # changing --------------------------------------------------------------------------

    def mark_seen(self, keys: list[str] | None) -> list[str]:
        """Forget the new mark of ``keys`` (all when None); the keys that had one."""
        cleared = list(self.new) if keys is None else [k for k in keys if k in self.new]
        for key in cleared:
            del self.new[key]
        if cleared and self._index is not None and hasattr(self._index, "set_new_keys"):
            self._index.set_new_keys(set(self.new))
        return cleared

    def mark_new(self, new: dict[str, str]) -> None:
        """Mark ``new`` (key → when it appeared) new again: a clearing that was not saved."""
        self.new.update({key: when for key, when in new.items() if key in self.rows})
        if self._index is not None and hasattr(self._index, "set_new_keys"):
            self._index.set_new_keys(set(self.new))

    def set_queue(self, queue: list[str]) -> None:
        """The queue as the library holds it now (``is:queued`` follows)."""
        self.queue = [key for key in queue if key in self.rows]
        if self._index is not None and hasattr(self._index, "set_queued_keys"):
            self._index.set_queued_keys(set(self.queue))

    def set_pdfs(self, pdfs: dict[str, Path]) -> None:
        """The PDFs on disk, as found now (keys of this list only; ``has:pdf`` follows)."""
        self.pdfs = {key: path for key, path in pdfs.items() if key in self.rows}
        if self._index is not None and hasattr(self._index, "set_pdf_keys"):
            self._index.set_pdf_keys(set(self.pdfs))

    def set_metadata(self, records: dict[str, dict[str, Any]]) -> list[str]:
        """Take freshly cached arXiv records; the keys whose rows changed."""
        changed = []
        for key, record in records.items():
            old = self.rows.get(key)
            if old is None:
                continue
            self._replace(Row(old.entry, old.annotation, record))
            changed.append(key)
        return changed

    def _replace(self, row: Row) -> None:
        """``row`` in place of its key's row, in the search index too (and remembered when
        changes are tracked: see :meth:`track_changes`)."""
        self.rows[row.key] = row
        if self._touched is not None:
            self._touched.add(row.key)
        if self._index is not None and hasattr(self._index, "update"):
            self._index.update(row)

    def update(self, annotation: Annotation) -> None:
        """Take a stored annotation; the counts of every section listing the key follow."""
        old = self.rows.get(annotation.key)
        if old is None:
            return
        self._replace(Row(old.entry, annotation, old.metadata))
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
        queued, pdfs = set(self.queue), set(self.pdfs)
        return {
            key
            for key, row in self.rows.items()
            if parsed.matches(
                row, self.new, queued_keys=queued, pdf_keys=pdfs, list_keys=self.lists
            )
        }

    def _search_index(self) -> Any:
        if self._index is None:
            self._index = self.build_index(self.rows, set(self.new))
            self._mark_index(self._index)
            self._give_list_keys()
        return self._index

    def _mark_index(self, index: Any) -> None:
        """Tell ``index`` which keys are queued and have a PDF (``is:queued``, ``has:pdf``)."""
        if hasattr(index, "set_queued_keys"):
            index.set_queued_keys(set(self.queue))
        if hasattr(index, "set_pdf_keys"):
            index.set_pdf_keys(set(self.pdfs))

    def set_list_keys(
        self,
        lists: dict[str, frozenset[str]],
        where: dict[str, list[tuple[str, SectionPath]]] | None = None,
    ) -> None:
        """Each registered list's keys (read in a thread), for ``list:NAME``; ``where``:
        where each key is listed, for "Also in"."""
        self.lists = lists
        if where is not None:
            self.where = where
        self._give_list_keys()

    def _give_list_keys(self) -> None:
        if self._index is not None and hasattr(self._index, "set_list_keys"):
            self._index.set_list_keys(self.lists)

    @staticmethod
    def build_index(rows: dict[str, Row], new_keys: set[str] | frozenset[str] = frozenset()) -> Any:
        """A ``query.SearchIndex`` over ``rows`` (None if there is none); safe in a thread.

        The memory the allocator keeps freed is given back before (the start's, which a
        worker thread's arena cannot reuse) and after (the build's own): ``memtrim``."""
        from rlhf_reader import memtrim, query  # not needed until the first filter

        factory = getattr(query, "SearchIndex", None)
        if factory is None:
            return None
        memtrim.trim()
        index = factory(list(rows.values()), new_keys=new_keys)
        memtrim.trim()
        return index

    def track_changes(self) -> None:
        """Remember, from now on, the keys whose rows change here (see :meth:`adopt_index`;
        already remembering: go on, a second reading of the file may have begun)."""
        if self._touched is None:
            self._touched = set()

    def changed_since(self, was: ReadingList) -> list[str] | None:
        """The keys whose rows differ from those of ``was`` (this list as shown before the
        library was read again), when both hold the same keys in the same order; None when
        they do not (the list or its additions changed). Only reads ``was``: safe in a
        thread while the UI thread replaces rows of it."""
        before = was.rows
        if list(self.rows) != list(before):
            return None
        return [
            key
            for key, row in self.rows.items()
            if (old := before.get(key)) is None
            or row.annotation != old.annotation
            or row.metadata != old.metadata
            or (row.entry is not old.entry and row.entry != old.entry)
        ]

    def adopt_index(self, was: ReadingList, changed: list[str] | None) -> bool:
        """Take the search index of ``was`` (this list as shown before the library was read
        again), updated for the rows that differ: ``changed`` (:meth:`changed_since`) and
        those changed in ``was`` since it began tracking (:meth:`track_changes`). At 100,000
        entries that is a few rows instead of a new index (seconds in a thread, sharing the
        GIL with the UI). False when there is none to take (``changed`` None: other keys)."""
        index = was._index
        if index is None or changed is None or self._index is not None:
            return False
        for key in {*changed, *(was._touched or ())}:
            row = self.rows.get(key)
            if row is not None:
                index.update(row)
        was._index = None  # (one owner: the reading shown)
        if self.new.keys() != was.new.keys() and hasattr(index, "set_new_keys"):
            index.set_new_keys(set(self.new))  # (a look at every row: only when they differ)
        self._mark_index(index)
        self._index = index
        self._give_list_keys()
        return True

    def install_index(self, index: Any, snapshot: dict[str, Row]) -> None:
        """Use an index built in the background from ``snapshot``, catching it up first."""
        if self._index is not None or index is None:
            return
        for key, row in self.rows.items():
            if snapshot.get(key) is not row:
                index.update(row)
        if hasattr(index, "set_new_keys"):
            index.set_new_keys(set(self.new))
        self._mark_index(index)
        self._index = index
        self._give_list_keys()

    def matching_sections(self, keys: set[str]) -> set[SectionPath]:
        """The sections holding one of ``keys`` (directly or in a sub-section)."""
        found: set[SectionPath] = set()
        for path, section in self.sections.items():
            if any(entry.key in keys for entry in section.entries):
                found.update(path[:depth] for depth in range(1, len(path) + 1))
        return found


# the view of each list, remembered ------------------------------------------------------------

ALL_VIEW = "*all"
"""The name the "All lists" view's cursor and open sections are kept under (no list name
starts with ``*``)."""


def view_name(workspace: Workspace) -> str:
    """What a view of ``workspace`` is remembered as: the list's registered name, the "All
    lists" view, or the list file's path for a list the registry does not know."""
    from rlhf_reader.lists.views import AllLists

    if isinstance(workspace, AllLists):
        return ALL_VIEW
    return workspace.list_name or f"file:{workspace.list_path}"


def remembered(state: dict[str, Any], name: str) -> dict[str, Any]:
    """The cursor and open sections last left in view ``name`` (``{}``: none).

    The saved state (``actions.STATE_NAME``) keeps every view under ``views`` and, as
    libraries always had it, the last view's ``cursor`` and ``expanded`` at the top, with
    ``list`` naming it. A state saved before lists existed has no ``list``: its cursor and
    open sections are those of whichever list opens first, as they always were.
    """
    views = state.get("views")
    view = views.get(name) if isinstance(views, dict) else None
    if isinstance(view, dict):
        return view
    if state.get("list", name) == name:
        return {k: state[k] for k in ("cursor", "expanded", "section") if k in state}
    return {}


def remember(state: dict[str, Any], name: str, view: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``view`` (``cursor``, ``expanded``, ``section``: the section under the
    cursor, None on a paper) kept as view ``name``'s."""
    views = state.get("views")
    kept = {}
    if isinstance(views, dict):
        kept = {str(k): v for k, v in views.items() if isinstance(v, dict)}
    shown = {
        "cursor": view.get("cursor"),
        "expanded": view.get("expanded") or [],
        "section": view.get("section"),
    }
    kept[name] = shown
    return {**state, **shown, "list": name, "views": kept}
