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

import dataclasses
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlhf_reader.library.fileio import expand_user
from rlhf_reader.library.progress import Counts, count
from rlhf_reader.library.records import Row
from rlhf_reader.library.store import Library, LibraryError, NoteChanged
from rlhf_reader.model import Annotation, Catalog, Entry, Section, Status
from rlhf_reader.tags import TagEdit

NOTE_MARKER = "<!-- ↑ this window · ↓ saved elsewhere -->"
# Rows of at most this many entries are made from their keys' annotations alone
# (Workspace.row); more, from every annotation at once (Library.annotations).
_FEW = 64


@dataclass(frozen=True)
class NoteSaved:
    annotation: Annotation


@dataclass(frozen=True)
class NoteConflict:
    """The note changed in the file since the editor loaded it; nothing was written."""

    key: str
    mine: str
    theirs: str


class _NotYet:
    """The list's registered name before it is looked up (None is a name: not registered)."""


_NOT_YET = _NotYet()


def _nest(name: str, catalog: Catalog) -> Section:
    """``catalog`` as one section named ``name``, every path below it prefixed."""

    def moved(section: Section) -> Section:
        path = (name, *section.path)
        return Section(
            title=section.title,
            level=section.level + 1,
            path=path,
            line=section.line,
            entries=[dataclasses.replace(e, section=path) for e in section.entries],
            children=[moved(child) for child in section.children],
        )

    return Section(title=name, level=1, path=(name,), children=[moved(s) for s in catalog.sections])


def merge_notes(mine: str, theirs: str) -> str:
    """Both notes, this window's first, with a marker line between them."""
    return f"{mine.rstrip()}\n\n{NOTE_MARKER}\n\n{theirs.lstrip()}"


class Workspace:
    """A list and a library, opened together. The list and the library are read when first
    asked for (``list_catalog``, ``library``), so a command that needs one never reads the
    other; :meth:`open` reads both now, so a bad file is an error before anything starts.

    ``list_arg`` is what the reader named: ``None`` for the default (the bundled list, or
    the copy an update saved), a path, or the name of a registered list (``lists add``).
    """

    def __init__(
        self,
        list_arg: str | Path | None,
        db_path: Path,
        *,
        warn: Callable[[str], None] | None = None,
        long_lived: bool = False,
    ) -> None:
        self.db_path = db_path
        self._long_lived = long_lived  # kept open for long (the TUI): see Library.open
        self._warn = warn
        self._list_arg = list_arg
        self._path: Path | None = None
        self._name: str | _NotYet | None = _NOT_YET
        self._list: Catalog | None = None
        self._library: Library | None = None
        self._catalog: Catalog | None = None
        self._own: Any = None  # what the reader's sections were built from
        self._others: dict[str, Catalog] | None = None
        self._warned = False  # the list's skipped parts were reported
        self._held: list[str] | None = None  # their notes, while read_ahead holds them

    @classmethod
    def open(cls, list_arg: str | Path | None, db_path: Path) -> Workspace:
        """Both files read; CatalogError / LibraryError naming the file otherwise."""
        workspace = cls(list_arg, db_path)
        workspace.catalog  # noqa: B018  (reads the list and the library)
        return workspace

    @property
    def explicit_list(self) -> bool:
        """True when the reader named a list (a path or a registered name)."""
        return self._list_arg is not None

    def _resolve(self) -> tuple[Path, str | None]:
        path = self.list_path
        if self._name is _NOT_YET:  # a file named by its path: is it a registered list?
            from rlhf_reader.lists import registry

            self._name = registry.name_of(self.library, self.db_path, path)
        assert not isinstance(self._name, _NotYet)
        return path, self._name

    @property
    def list_path(self) -> Path:
        """The Markdown file of the list in use. The library is read only when the path
        names no file (it may name a registered list): ``locate`` at 100,000 annotations
        needs no library."""
        if self._path is None:
            from rlhf_reader.lists import registry

            arg = self._list_arg
            if arg is None:
                info = registry.bundled_info(self.db_path)
                self._path, self._name = info.path, info.name
            else:
                path = expand_user(arg)
                named = None
                if not path.exists() and isinstance(arg, str):
                    named = registry.find(self.library, self.db_path, arg)
                if named is not None:
                    self._path, self._name = named.path, named.name
                else:
                    self._path = path  # its name, when asked for (_resolve)
        return self._path

    @property
    def list_name(self) -> str | None:
        """The registered name of the list in use (None: a file the registry does not know)."""
        return self._resolve()[1]

    # what is read ----------------------------------------------------------------------------

    @property
    def list_catalog(self) -> Catalog:
        """The list file as parsed, nothing added."""
        if self._list is None:
            from rlhf_reader.lists.catalog import load

            self._list = load(self.list_path)
            self._warn_skipped(self._list.skipped)
        return self._list

    def _warn_skipped(self, skipped: Iterable[str]) -> None:
        if self._warn is not None and not self._warned:
            self._warned = True
            if self._held is not None:  # (read ahead: said by say_held)
                self._held.extend(f"{self.list_path}: {note}" for note in skipped)
                return
            for note in skipped:  # read the rest, but never silently
                self._warn(f"{self.list_path}: {note}")

    def read_ahead(self) -> bool:
        """Read the library and the list and build the catalog now, as :attr:`catalog`
        would, with nothing to show for it yet: for a command with time to spare now (while
        other processes read a file for it) that needs them later. The library is read only
        when it exists and opening it writes nothing (``Library.peek``); the list's warnings
        are held until :meth:`say_held`, which the command calls where it would have read
        the list; an error stops the reading ahead, and the command meets it where it reads
        what failed. True when the catalog was built."""
        if self._library is None:
            if not self.db_path.exists():
                return False  # (opening it would create it)
            self._library = Library.peek(self.db_path, long_lived=self._long_lived)
            if self._library is None:
                return False
        if self._held is None:
            self._held = []
        try:
            self.catalog  # noqa: B018
        except Exception:  # met again where the command reads it
            return False
        finally:
            if not self._held:
                self._held = None
        return True

    def say_held(self) -> None:
        """Print the list's warnings that :meth:`read_ahead` held (each once)."""
        held, self._held = self._held, None
        if held and self._warn is not None:
            for line in held:
                self._warn(line)

    def listed_entry(self, typed: str) -> Entry | None:
        """The entry ``typed`` names by key, arXiv id or URL when the list has it, read from
        the parse cache's key index without building the catalog (a CLI write names one
        paper: at 100,000 entries the catalog costs seconds); None otherwise — a title
        fragment, a paper of the reader's own sections, a list not cached yet — and then
        ``keys.resolve`` over :attr:`catalog` answers. The same entry either way: a key's
        first listing, and the list comes before the reader's own sections."""
        if self._list is not None:
            return None  # loaded already: resolve over the catalog
        from rlhf_reader.keys import keys_named
        from rlhf_reader.lists import catalog_cache

        wanted = keys_named(typed)
        found = catalog_cache.find(self.list_path, wanted) if wanted else None
        if found is None:
            return None
        entry, skipped = found
        self._warn_skipped(skipped)
        return entry

    def listed_titles(self, keys: Collection[str]) -> dict[str, str] | None:
        """The title of each of ``keys`` the list has (a key's first listing), read from
        the parse cache's key index without building the catalog (an import's report names
        the few papers it changed); None when the list is not cached yet — then read
        :attr:`list_catalog`."""
        if self._list is None:
            from rlhf_reader.lists import catalog_cache

            found = catalog_cache.find_each(self.list_path, keys)
            if found is None:
                return None
            entries, skipped = found
            self._warn_skipped(skipped)
            return {key: entry.title for key, entry in entries.items()}
        wanted = set(keys)
        titles: dict[str, str] = {}
        for entry in self._list.entries:
            if entry.key in wanted:
                titles.setdefault(entry.key, entry.title)
        return titles

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.open(self.db_path, long_lived=self._long_lived)
        return self._library

    def library_checked_beside(self) -> Library:
        """:attr:`library`, opened (when it is not yet) with its checks in a child if its
        bytes were never checked (``Library.open``'s ``check_beside``): ask for their
        verdict with :meth:`verified` before acting on anything read from it."""
        if self._library is None:
            self._library = Library.open(
                self.db_path, long_lived=self._long_lived, check_beside=True
            )
        return self._library

    def settle(self) -> None:
        """What the library opened by :meth:`library_checked_beside` left for the end of
        the command (``Library.settle``)."""
        if self._library is not None:
            self._library.settle()

    def verified(self) -> bool:
        """Whether the library opened is one that :attr:`library` would have opened: False
        when the checks left to a child (:meth:`library_checked_beside`) failed — it is
        then forgotten, and the next use of :attr:`library` opens it again and meets the
        error, as ever."""
        library = self._library
        if library is None:
            return True
        try:
            library.verify()
        except LibraryError:
            library.close()
            self._library = None
            return False
        return True

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
        retired = retired_records(library, self.list_name)
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
        self._catalog = with_retired(listed, self.library, self.list_name)
        self._own = own
        return True

    def reload_list(self) -> None:
        """Read the list file again (after an update replaced it)."""
        self._list = None
        self._catalog = None
        self._others = None
        self._warned = False

    # several lists ---------------------------------------------------------------------------

    def lists(self) -> dict[str, Any]:
        """Every registered list (``registry.ListInfo`` by name), the bundled one first."""
        from rlhf_reader.lists import registry

        return registry.registered(self.library, self.db_path)

    def catalog_of(self, name: str) -> Catalog:
        """The registered list ``name`` as parsed (the one in use, or read and kept)."""
        if name == self.list_name:
            return self.list_catalog
        if self._others is None:
            self._others = {}
        if name not in self._others:
            from rlhf_reader.lists.catalog import load

            self._others[name] = load(self.lists()[name].path)
        return self._others[name]

    def also_in(self, key: str) -> list[tuple[str, tuple[str, ...]]]:
        """Where else ``key`` is listed: (list name, section path) in the other registered
        lists, each list once (its first listing). Lists that cannot be read are skipped."""
        from rlhf_reader.lists.catalog import CatalogError

        found = []
        for name in self.lists():
            if name == self.list_name:
                continue
            try:
                catalog = self.catalog_of(name)
            except (CatalogError, OSError):
                continue
            entry = next((e for e in catalog.entries if e.key == key), None)
            if entry is not None:
                found.append((name, entry.section))
        return found

    def lists_of(self) -> dict[str, list[str]]:
        """Every key of every readable registered list → the names of the lists it is in."""
        from rlhf_reader.lists.catalog import CatalogError

        where: dict[str, list[str]] = {}
        for name in self.lists():
            try:
                keys = dict.fromkeys(e.key for e in self.catalog_of(name).entries)
            except (CatalogError, OSError):
                continue
            for key in keys:
                where.setdefault(key, []).append(name)
        return where

    def all_lists_catalog(self) -> Catalog:
        """Every registered list as one catalog: each list a top-level section (path
        ``(name, …)``), then "My additions" and "No longer in the list" of the list in use.
        Lists that cannot be read are left out."""
        from rlhf_reader.lists.catalog import CatalogError

        roots = []
        for name in self.lists():
            try:
                catalog = self.catalog_of(name)
            except (CatalogError, OSError):
                continue
            roots.append(_nest(name, catalog))
        own = [s for s in self.catalog.sections if s not in self.list_catalog.sections]
        return Catalog(title="All lists", sections=[*roots, *own], source="")

    def new_keys(self) -> dict[str, str]:
        """Keys marked new by the last update(s) and not yet seen → when they appeared."""
        from rlhf_reader.lists.whatsnew import new_keys

        return new_keys(self.library, self.list_name)

    def rows(self, entries: Iterable[Entry] | None = None) -> list[Row]:
        """Every entry of the catalog (or ``entries``), in list order, joined with the
        library's annotation and arXiv cache."""
        from rlhf_reader.gcpause import paused
        from rlhf_reader.library.records import make_rows

        library = self.library
        if entries is not None:
            entries = list(entries)
            if len(entries) <= _FEW:  # looked up by key: no Annotation of every key is made
                return [self.row(entry) for entry in entries]
        with paused():  # a row per entry and no cycles (see gcpause)
            annotations = library.annotations()
            metadata = library.all_metadata()
            return make_rows(
                self.catalog.entries if entries is None else entries, annotations, metadata
            )

    def row(self, entry: Entry) -> Row:
        """The row of one entry, as :meth:`rows` makes it: its annotation and arXiv record
        looked up by key, without making an ``Annotation`` of every key (``show``)."""
        library = self.library
        return Row(entry, library.annotation(entry.key), library.metadata(entry.key))

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

    # PDFs on disk (sources/pdf.py) -------------------------------------------------------------

    @property
    def pdf_folder(self) -> Path:
        """``pdfs/`` beside the library file."""
        from rlhf_reader.sources.pdffiles import pdf_folder

        return pdf_folder(self.db_path)

    def pdf_path(self, key: str) -> Path | None:
        """The key's PDF when it is on disk, else None."""
        from rlhf_reader.sources.pdffiles import pdf_filename

        path = self.pdf_folder / pdf_filename(key)
        return path if path.is_file() else None

    def pdf_keys(self, keys: Iterable[str] | None = None) -> frozenset[str]:
        """Those of the catalog's keys (or ``keys``) with a PDF on disk: one directory
        listing, for ``has:pdf`` (``SearchIndex.set_pdf_keys``) and the tree's marks."""
        from rlhf_reader.sources.pdffiles import pdf_keys

        if keys is None:
            keys = {entry.key for entry in self.catalog.entries}
        return pdf_keys(self.pdf_folder, keys)

    def downloader(self, **overrides: Any) -> Any:
        """A :class:`rlhf_reader.sources.pdf.Downloader` into :attr:`pdf_folder` (settings
        from the environment; PdfError when one is bad). Keep one: it spaces requests."""
        from rlhf_reader.sources.pdf import Downloader, PdfSettings

        return Downloader(self.pdf_folder, PdfSettings.from_env(**overrides))

    # the reading queue (library/queue.py) ----------------------------------------------------

    def queue(self) -> list[str]:
        """The queued keys, in the reader's order."""
        return self.library.queue()

    def queued_keys(self) -> frozenset[str]:
        """For ``is:queued`` (``SearchIndex.set_queued_keys``)."""
        return frozenset(self.library.queue())

    def queue_add(self, keys: Iterable[str]) -> list[str]:
        """Append ``keys`` at the bottom (those already queued stay put); the new queue."""
        from rlhf_reader.library import queue

        keys = list(keys)
        return self.library.change_queue(lambda q: queue.add(q, keys))

    def queue_remove(self, keys: Iterable[str]) -> list[str]:
        from rlhf_reader.library import queue

        gone = set(keys)
        return self.library.change_queue(lambda q: queue.remove(q, gone))

    def queue_toggle(self, key: str) -> bool:
        """Put ``key`` on the queue (at the bottom) or take it off; True when now queued."""
        from rlhf_reader.library import queue

        return key in self.library.change_queue(lambda q: queue.toggle(q, key))

    def queue_move(self, key: str, where: int | str) -> list[str]:
        """Move ``key`` to a 1-based position or up/down/top/bottom, in the queue as it is
        in the file now; ``library.queue.QueueError`` when it is not queued."""
        from rlhf_reader.library import queue

        return self.library.change_queue(lambda q: queue.move(q, key, where))

    def queue_entries(self) -> list[Entry]:
        """The queued papers that are in the catalog, in the reader's order (the tree's queue
        section at the top); a key queued twice in the list shows its first listing."""
        by_key: dict[str, Entry] = {}
        for entry in self.catalog.entries:
            by_key.setdefault(entry.key, entry)
        return [by_key[k] for k in self.library.queue() if k in by_key]

    def next_to_read(self) -> Entry | None:
        """The entry of the first queued key not yet read, or None. A queued key that is no
        longer in the catalog is skipped."""
        from rlhf_reader.library.queue import first_to_read

        queued = {entry.key: entry for entry in self.queue_entries()}
        library = self.library
        annotations = {key: library.annotation(key) for key in queued}  # the queued ones only
        key = first_to_read(list(queued), annotations)
        return queued[key] if key is not None else None
