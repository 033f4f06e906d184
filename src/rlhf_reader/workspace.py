"""The one core object both front ends open: the list, the library, and what they make together.

A :class:`Workspace` answers every question the CLI and the TUI ask — the catalog with the
reader's own sections, the rows, the counts — and makes every write as a *change* applied to
the library file as it is at that moment (the store re-reads the file under its lock first).
Nothing else builds a catalog out of a list and a library, or takes one apart again.

The catalog is the list as parsed, then "My additions" (papers the reader added), then "No
longer in the list" (annotated entries an update removed). The "New since …" marks are data
(:meth:`new_keys`), not a section: a view shows them as it likes.

One progress rule (:mod:`rlhf_reader.library.progress`): a key counts once, however often
and wherever it is listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlhf_reader.library.progress import Counts, count
from rlhf_reader.library.records import Row
from rlhf_reader.library.store import Library, NoteChanged
from rlhf_reader.model import Annotation, Catalog, Entry, Status
from rlhf_reader.tags import TagEdit

NOTE_MARKER = "<!-- ↑ this window · ↓ saved elsewhere -->"


@dataclass(frozen=True)
class NoteSaved:
    annotation: Annotation


@dataclass(frozen=True)
class NoteConflict:
    """The note changed in the file since the editor loaded it; nothing was written."""

    key: str
    mine: str
    theirs: str


def merge_notes(mine: str, theirs: str) -> str:
    """Both notes, this window's first, with a marker line between them."""
    return f"{mine.rstrip()}\n\n{NOTE_MARKER}\n\n{theirs.lstrip()}"


class Workspace:
    """A list and a library, opened together. The list and the library are read when first
    asked for (``list_catalog``, ``library``), so a command that needs one never reads the
    other; :meth:`open` reads both now, so a bad file is an error before anything starts."""

    def __init__(self, list_path: Path, db_path: Path) -> None:
        self.list_path = list_path
        self.db_path = db_path
        self._list: Catalog | None = None
        self._library: Library | None = None
        self._catalog: Catalog | None = None
        self._own: Any = None  # what the reader's sections were built from

    @classmethod
    def open(cls, list_path: Path, db_path: Path) -> Workspace:
        """Both files read; CatalogError / LibraryError naming the file otherwise."""
        workspace = cls(list_path, db_path)
        workspace.catalog  # noqa: B018  (reads the list and the library)
        return workspace

    # what is read ----------------------------------------------------------------------------

    @property
    def list_catalog(self) -> Catalog:
        """The list file as parsed, nothing added."""
        if self._list is None:
            from rlhf_reader.lists.catalog import load

            self._list = load(self.list_path)
        return self._list

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.open(self.db_path)
        return self._library

    @property
    def catalog(self) -> Catalog:
        """The list plus the reader's own sections: additions, entries no longer listed."""
        if self._catalog is None:
            self.rebuild()
        assert self._catalog is not None
        return self._catalog

    def _own_sections_source(self) -> tuple[Any, ...]:
        """What the reader's sections are made of: the additions, the retired records and
        which of those are annotated."""
        from rlhf_reader.lists.whatsnew import retired_records

        library = self.library
        retired = retired_records(library)
        annotated = library.annotated_keys(retired) if retired else frozenset()
        return library.additions(), retired, annotated

    def rebuild(self) -> bool:
        """Rebuild the reader's sections if what they are made of changed (an addition, an
        update); True when the catalog changed."""
        own = self._own_sections_source()
        if self._catalog is not None and own == self._own:
            return False
        from rlhf_reader.library.additions import with_additions
        from rlhf_reader.lists.whatsnew import with_retired

        listed = with_additions(self.list_catalog, own[0])
        self._catalog = with_retired(listed, self.library)
        self._own = own
        return True

    def reload_list(self) -> None:
        """Read the list file again (after an update replaced it)."""
        self._list = None
        self._catalog = None

    def new_keys(self) -> dict[str, str]:
        """Keys marked new by the last update(s) and not yet seen → when they appeared."""
        from rlhf_reader.lists.whatsnew import new_keys

        return new_keys(self.library)

    def rows(self, entries: Iterable[Entry] | None = None) -> list[Row]:
        """Every entry of the catalog (or ``entries``), in list order, joined with the
        library's annotation and arXiv cache."""
        library = self.library
        annotations = library.annotations()
        metadata = library.all_metadata()
        return [
            Row(e, annotations.get(e.key) or Annotation(key=e.key), metadata.get(e.key))
            for e in (self.catalog.entries if entries is None else entries)
        ]

    def counts(self, keys: Iterable[str] | None = None) -> Counts:
        """Read / reading / unread over the catalog's keys (or ``keys``), each key once."""
        if keys is None:
            keys = (entry.key for entry in self.catalog.entries)
        return count(keys, self.library.annotations())

    def section_counts(self, section: tuple[str, ...], keys: Iterable[str] | None = None) -> Counts:
        """The counts of a section and its sub-sections, each key once; with ``keys``, only
        those (the entries a filter shows)."""
        inside = {e.key for e in self.catalog.entries if e.section[: len(section)] == section}
        if keys is not None:
            inside &= set(keys)
        return count(inside, self.library.annotations())

    def poll(self) -> bool:
        """True when another process changed the library file since it was last read: it is
        then re-read, and the reader's sections rebuilt if they changed (see
        :meth:`rebuild`). Otherwise one ``stat``: cheap enough for a timer."""
        if self._library is None or not self._library.refresh():
            return False
        if self._catalog is not None:
            self.rebuild()
        return True

    # what is written: each a change to the file as it is now --------------------------------

    def set_status(self, keys: Iterable[str], status: Status | str) -> list[Annotation]:
        return self.library.set_status(keys, status)

    def change_tags(self, keys: Iterable[str], edit: TagEdit) -> list[Annotation]:
        return self.library.change_tags(keys, edit)

    def save_note(self, key: str, text: str, base: str) -> NoteSaved | NoteConflict:
        """Replace the note if it is still ``base`` (what the editor loaded) in the file."""
        try:
            return NoteSaved(self.library.set_note(key, text, base=base))
        except NoteChanged as changed:
            return NoteConflict(key, changed.mine, changed.theirs)
