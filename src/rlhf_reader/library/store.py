"""The personal library: one TinyDB JSON file the user owns, written so it is never lost.

The file is a normal TinyDB file (``TinyDB(path)`` opens it) with the tables
``annotations`` (key, status, tags, note, created, updated, read_at — ISO 8601 UTC),
``metadata`` (arXiv cache by key, with fetched_at), ``additions`` (papers the user added) and
``meta`` (``schema_version`` and small settings, one ``{"name", "value"}`` document each).

Safety, in :class:`SafeStorage` (a TinyDB ``Storage``):

* **Atomic, durable writes.** The new content goes to a temp file in the same folder
  (``.library.json.XXXX.tmp``), is fsynced, ``os.replace``-d over the library and the folder
  is fsynced. A crash leaves either the old or the new file, never a torn one. Temp files
  left by a killed run are removed (under the lock) when the library is opened.
* **One backup generation.** The first write of each run (each ``Library.open``) first copies
  the file as it was to ``library.json.bak``.
* **Several processes.** Every read-modify-write holds ``library.json.lock`` (an ``flock``,
  ``fileio.ProcessLock``) and starts by re-reading the file if another process replaced it
  (inode, size, mtime_ns or ctime_ns differ), so the TUI and a CLI command, or two TUIs, never
  lose each other's changes. Reads need no lock: the file on disk is always complete.
* **Speed.** The parsed tables stay in memory (a write-through cache, dropped when the file
  changed on disk) with a key → document-id index, and orjson does the (de)serialising, so a
  status change with 10,000 annotations costs one ``stat``, one serialise and one fsynced
  write (~6 ms here; stock ``JSONStorage`` ~120 ms, see ``bench/RESULTS.md``). The JSON is
  compact, as TinyDB writes it (indenting doubled the serialising time); ``jq .`` shows it
  indented. ``Library`` works on the cached tables directly instead of TinyDB's ``Table``, whose
  own caches (query cache, next id) would go stale when another process writes.
* **Bad files are never overwritten.** A file that is empty, is not JSON, has the wrong shape,
  has a newer ``schema_version``, is larger than ``MAX_LIBRARY_BYTES`` (300 MB; checked
  before reading, and no write makes a file larger), is not a regular file (a FIFO would
  block) or cannot be read raises :class:`LibraryError` naming the path
  and the problem, and the file is left byte for byte as it was. A 0-byte file is such an
  error too: this module never leaves one behind (a new library is written whole,
  atomically), so an empty file means something else emptied it and the ``.bak`` (if any) is
  the way back — we will not silently start an empty library over it.
* **File modes.** Folders are created as needed (0700); a new library, its backup and lock
  file are created 0600; an existing library keeps its mode. A read-only library (no write
  bit, or not writable by this user) is read as usual and never replaced: every write raises
  ``LibraryError`` saying it is read-only (``Library.read_only`` tells beforehand). A
  symlinked library is written through the link (the link stays).

Values: ``status`` is unread / reading / read. ``read_at`` is set to the moment an entry
*becomes* read (marking an already-read entry read again keeps the first time) and cleared
when it stops being read (reading or unread): it records the current read, not a history.
Tags are normalised by :func:`rlhf_reader.tags.normalize_tag`; a note is any text up to 1 MB
of UTF-8. Every batch operation validates all of its input first and then writes once:
invalid input raises ``ValueError`` and nothing is written.

Threads: TinyDB is not thread-safe. Besides the cross-process file lock, each ``Library``
instance serialises its own calls with a ``threading.RLock``. The TUI writes from one thread
of its own (``library.writer.SerialWriter``: a write at 100,000 annotations takes 0.25 s and
more, which the UI thread must not wait for) and reads from the UI thread only while no
write is pending (a read waits for the write holding the RLock). Do not share a
``SafeStorage`` between ``TinyDB`` instances and a ``Library``.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import os
import secrets
import stat
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from itertools import islice, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson
from tinydb.storages import Storage

from rlhf_reader import parallel
from rlhf_reader.gcpause import paused
from rlhf_reader.library import fileio, snapshot
from rlhf_reader.model import Annotation, Status
from rlhf_reader.reclass import become
from rlhf_reader.tags import TagEdit, normalize_tag

if TYPE_CHECKING:
    from rlhf_reader.library.progress import Tally

SCHEMA_VERSION = 1
MAX_NOTE_BYTES = 1_000_000
LOCK_TIMEOUT = 10.0
# A library is read whole and held parsed in memory (about twice its size): a file larger
# than this is refused as not ours, and a write that would make the file larger is refused
# too, so rlhf-reader never writes a library it would not open. 10,000 annotations with
# 1 KB notes are about 12 MB; the cap is above the 200 MB an import file may have.
MAX_LIBRARY_BYTES = 300_000_000
TABLES = ("annotations", "metadata", "additions", "meta")
# How each table is indexed: the field that names a document.
_ID_FIELD = {"annotations": "key", "metadata": "key", "additions": "key", "meta": "name"}

Tables = dict[str, dict[str, dict[str, Any]]]


class NoteChanged(Exception):
    """A note changed in the file since the editor loaded it: both texts, nothing written."""

    def __init__(self, key: str, *, mine: str, theirs: str) -> None:
        super().__init__(f"{key}: the note was changed elsewhere since it was opened")
        self.key = key
        self.mine = mine
        self.theirs = theirs


class LibraryError(Exception):
    """The library file cannot be used; the message names the path and what is wrong."""


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("rlhf-reader", appauthor=False)) / "library.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def validate_note(note: str) -> str:
    """The note unchanged; ValueError when it is not text, not valid Unicode or over 1 MB."""
    if not isinstance(note, str):
        raise ValueError(f"a note must be text, not {type(note).__name__}")
    try:
        size = len(note.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("note contains an unpaired surrogate (not valid Unicode)") from None
    if size > MAX_NOTE_BYTES:
        raise ValueError(f"note is larger than {MAX_NOTE_BYTES:,} bytes ({size:,} bytes)")
    return note


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"invalid entry key {key!r}")
    return key


def _json_copy(value: Any) -> Any:
    """A copy of JSON-like data, so callers never mutate the cache. A tuple becomes a list,
    as it is in the file once written (and in the library's snapshot, which holds the
    tables as written: see ``library/snapshot.py``)."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_copy(v) for v in value]
    return value


# The arXiv cache fields that the CLI, citations, exports and the TUI read: when present they
# must have the schema's type, so a hand-edited or imported record cannot crash them.
_METADATA_TEXT = frozenset(
    {
        "arxiv_id",
        "version",
        "title",
        "abstract",
        "published",
        "updated",
        "primary_category",
        "doi",
        "journal_ref",
        "comment",
        "pdf_url",
        "fetched_at",
    }
)
_METADATA_LISTS = frozenset({"authors", "categories"})
_METADATA_KIND = {
    **dict.fromkeys(_METADATA_TEXT, "text or null"),
    **dict.fromkeys(_METADATA_LISTS, "a list of strings or null"),
}


def metadata_problem(record: Mapping[str, Any]) -> str | None:
    """What is wrong with the shape of an arXiv cache record (the field and value), or None.

    Text fields are a string or null; ``authors`` and ``categories`` a list of strings or
    null. Other fields are free.
    """
    for name, value in record.items():  # fast: checked at every load of the file
        kind = type(value)
        if kind is str:
            if name in _METADATA_LISTS:
                return f"{name} must be a list of strings or null, not {_short(value)}"
        elif kind is list:
            if name in _METADATA_TEXT or (
                name in _METADATA_LISTS and not all(type(v) is str for v in value)
            ):
                return f"{name} must be {_METADATA_KIND[name]}, not {_short(value)}"
        elif value is not None and name in _METADATA_KIND:
            return f"{name} must be {_METADATA_KIND[name]}, not {_short(value)}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_json(what: str, value: Any) -> None:
    try:
        orjson.dumps(value)
    except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
        raise ValueError(f"{what} cannot be stored as JSON: {exc}") from None


# --------------------------------------------------------------------------------------------
# Loading, checking and migrating the file's content


def _migrate_0_to_1(tables: Tables) -> None:
    """A file without a schema version (e.g. made by plain TinyDB): add our tables."""
    for name in TABLES:
        tables.setdefault(name, {})


# MIGRATIONS[n] turns a version-n library into version n + 1, in place.
MIGRATIONS: dict[int, Callable[[Tables], None]] = {0: _migrate_0_to_1}


def _schema_version(path: Path, meta: dict[str, dict[str, Any]]) -> int:
    for doc in meta.values():
        if doc.get("name") == "schema_version":
            value = doc.get("value")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise LibraryError(f"{path}: schema_version {value!r} is not a version number")
            return value
    return 0


def _set_schema_version(tables: Tables, version: int) -> None:
    meta = tables.setdefault("meta", {})
    for doc in meta.values():
        if doc.get("name") == "schema_version":
            doc["value"] = version
            return
    meta[str(max((int(i) for i in meta), default=0) + 1)] = {
        "name": "schema_version",
        "value": version,
    }


_CHECKS = "1"
"""Bump when :func:`decode` accepts less than before: bytes it passed are then checked again."""


PIECE = 5_000
"""Documents serialised per ``orjson.dumps`` call by :func:`dumps_in_pieces`."""


def dumps_in_pieces(tables: Tables) -> bytes:
    """``orjson.dumps(tables) + b"\\n"``, byte for byte, made ``PIECE`` documents at a time.

    One ``orjson.dumps`` holds the GIL for the whole file (85 ms for 100,000 annotations
    here): the TUI's writer thread would stop the UI thread that long at every write. Between
    pieces the interpreter hands the GIL over as usual. Used by long-lived processes (the
    TUI); a command writes with one call."""
    if not tables:
        return b"{}\n"
    parts = [b"{"]
    for name, docs in tables.items():
        if not isinstance(docs, dict) or len(docs) <= PIECE:
            parts.append(orjson.dumps({name: docs})[1:-1])
        else:
            parts += [orjson.dumps(name), b":{"]
            items = iter(docs.items())
            while piece := dict(islice(items, PIECE)):
                parts += [orjson.dumps(piece)[1:-1], b","]
            parts[-1] = b"}"
        parts.append(b",")
    parts[-1] = b"}\n"
    return b"".join(parts)


def fingerprint(raw: bytes) -> str:
    """What :func:`decode` is known to accept: these checks, this schema, these bytes."""
    # SHA-256: with the CPU's SHA instructions, 2-3 times the speed of BLAKE2b here (every
    # command hashes the library: 28 MB at 100,000 annotations).
    digest = hashlib.sha256(raw).hexdigest()
    return f"rlhf-reader-checked {SCHEMA_VERSION}:{_CHECKS}:sha256:{digest}"


def _checked_record(target: Path) -> Path | None:
    """Where the fingerprint of the library's last checked bytes is kept: the user cache
    folder (never beside the library), one small file per library path."""
    try:
        import platformdirs

        name = hashlib.blake2b(os.fsencode(target), digest_size=16).hexdigest()
        return Path(platformdirs.user_cache_dir("rlhf-reader")) / "checked" / name
    except Exception:  # no cache folder: every open checks the whole file, as before
        return None


def decode(path: Path, raw: bytes, *, checked: bool = False) -> tuple[Tables, bool]:
    """Parse and check a library file's bytes; ``(tables, migrated)`` or LibraryError.

    ``checked``: these very bytes passed these checks before (their :func:`fingerprint` was
    recorded), so the document-by-document checks are skipped — they would find the same.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw or raw.isspace():  # (isspace: no copy of a large file, as strip() makes)
        what = "empty (0 bytes)" if not raw else "empty (only white space)"
        raise LibraryError(
            f"{path}: the library file is {what}; it was not written by rlhf-reader, which "
            "never leaves an empty file. Restore library.json.bak if there is one, or delete "
            "the file to start a new library"
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LibraryError(f"{path}: not a valid library file: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise LibraryError(
            f"{path}: not a library file: expected a JSON object of tables, "
            f"found {type(data).__name__}"
        )
    if data.get("format") == "rlhf-reader-export":
        raise LibraryError(
            f"{path}: is an export, not a library file; give the library with --db and "
            "read this file with 'rlhf-reader import'"
        )
    if not checked:
        _check_shape(path, data)
    version = _schema_version(path, data.get("meta", {}))
    if version > SCHEMA_VERSION:
        raise LibraryError(
            f"{path}: written by a newer rlhf-reader (library schema version {version}; this "
            f"version understands up to {SCHEMA_VERSION}). Upgrade rlhf-reader; the file was "
            "not changed"
        )
    migrated = version < SCHEMA_VERSION
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](data)
        version += 1
        _set_schema_version(data, version)
    for name in TABLES:
        data.setdefault(name, {})
    if not checked:
        _check_documents(path, data)
    return data, migrated


CHECK_BESIDE_BYTES = 4_000_000
"""A library read by ``Library.open(…, check_beside=True)`` whose bytes were never checked
has its documents checked in a child when it is at least this big (tests lower it)."""


def _problem(path: Path, tables: Tables) -> str | None:
    """What :func:`decode` would have refused the bytes of ``tables`` for — what its
    ``checked=True`` made of them, not migrated — (its LibraryError's message), or None: the
    checks it skipped, in the order it makes them. The job of the child that checks a
    library beside its reading (``check_beside``)."""
    try:
        _check_shape(path, tables)  # (decode's setdefault only added empty tables, last)
        _check_documents(path, tables)
    except LibraryError as exc:
        return str(exc)
    return None


def _check_shape(path: Path, data: dict[str, Any]) -> None:
    """:func:`decode`'s checks of the tables' shape: objects of objects, with number ids."""
    for name, table in data.items():
        if not isinstance(table, dict):
            raise LibraryError(
                f"{path}: not a library file: table {name!r} is a {type(table).__name__}, "
                "not an object"
            )
        for doc_id, doc in table.items():
            if not doc_id.isdigit():
                raise LibraryError(
                    f"{path}: not a library file: table {name!r} has a document id {doc_id!r} "
                    "that is not a number"
                )
            if not isinstance(doc, dict):
                raise LibraryError(
                    f"{path}: not a library file: document {doc_id} of table {name!r} is a "
                    f"{type(doc).__name__}, not an object"
                )


def _check_documents(path: Path, tables: Tables) -> None:
    for name, field in _ID_FIELD.items():
        for doc_id, doc in tables[name].items():
            where = f"{path}: document {doc_id} of table {name!r}"
            ident = doc.get(field)
            if not isinstance(ident, str) or not ident:
                raise LibraryError(f"{where} has no {field!r}")
    for doc_id, doc in tables["annotations"].items():
        where = f"{path}: annotation {doc_id} ({doc['key']})"
        status = doc.get("status", "unread")
        if status not in ("unread", "reading", "read"):
            raise LibraryError(f"{where} has an unknown status {status!r}")
        tags = doc.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise LibraryError(f"{where}: tags must be a list of strings")
        for field in ("note", "created", "updated"):
            if not isinstance(doc.get(field, ""), str):
                raise LibraryError(f"{where}: {field} must be a string")
        if not isinstance(doc.get("read_at"), (str, type(None))):
            raise LibraryError(f"{where}: read_at must be a string or null")
    for doc_id, doc in tables["metadata"].items():
        problem = metadata_problem(doc)
        if problem:
            raise LibraryError(f"{path}: arXiv metadata {doc_id} ({doc['key']}): {problem}")


_STATUS = {s.value: s for s in Status}
_SHARED_FIELDS = ("status", "created", "updated", "read_at")


def _share_values(tables: Tables) -> None:
    """One string object for each repeated status, tag and time in the annotations.

    The JSON parser makes a new string for every value: 100,000 annotations held 100,000
    copies of "read" / "unread", every tag once per use and each time stamp once per field
    (``created`` and ``updated`` are often the same moment, and imports share theirs).
    Sharing them is 30 MB less at 100,000 annotations, in the TUI for as long as it runs
    (``Library.open(…, long_lived=True)``). Only equal strings are shared: every value
    stays what it was.

    Keys are left alone: each is one object already, and interning them (so that the list's
    and the library's were one) made every ``marshal.loads`` of the snapshot intern 100,000
    strings again — 0.15-0.2 s of each command at 100,000 annotations."""
    seen: dict[str, str] = {}
    share = seen.setdefault
    for doc in tables["annotations"].values():
        for field in _SHARED_FIELDS:
            value = doc.get(field)
            if type(value) is str:
                doc[field] = share(value, value)
        tags = doc.get("tags")
        if tags and type(tags) is list:
            doc["tags"] = [share(t, t) if type(t) is str else t for t in tags]


def _annotation(doc: dict[str, Any]) -> Annotation:
    """An Annotation from a checked document (faster than ``Annotation.from_dict``)."""
    return Annotation(
        key=doc["key"],
        status=_STATUS[doc.get("status", "unread")],
        tags=tuple(doc.get("tags", ())),
        note=doc.get("note") or "",
        created=doc.get("created") or "",
        updated=doc.get("updated") or "",
        read_at=doc.get("read_at") or None,
    )


class _UnmadeAnnotation:
    """An :class:`Annotation` being made from a checked document, as :func:`_annotation`
    makes it: the same slots, filled by plain stores instead of the dataclass's keyword
    ``__init__``, then made an ``Annotation`` by ``__class__`` assignment (allowed between
    classes of the same layout). Equal tag tuples are shared through ``tags``. At 100,000
    annotations, read by every command that lists them and by the TUI, this is 0.1 s and
    a few MB less."""

    __slots__ = Annotation.__slots__

    def __init__(self, doc: dict[str, Any], tags: dict[tuple[str, ...], tuple[str, ...]]) -> None:
        get = doc.get
        self.key = doc["key"]
        self.status = _STATUS[get("status", "unread")]
        listed = tuple(get("tags", ()))
        self.tags = tags.setdefault(listed, listed) if listed else ()
        self.note = get("note") or ""
        self.created = get("created") or ""
        self.updated = get("updated") or ""
        self.read_at = get("read_at") or None


def annotations_of(
    documents: Mapping[str, dict[str, Any]], keys: Iterable[str]
) -> dict[str, Annotation]:
    """``Library.annotations(keys)`` made from ``documents``, the library's own
    (``Library.documents("annotations")``, not changed since): for a few keys, without the
    key → document-id index of 100,000 annotations (0.1 s) that ``annotations`` builds."""
    docs = [documents[key] for key in keys if key in documents]
    tags: dict[tuple[str, ...], tuple[str, ...]] = {}
    made: list[Any] = list(map(_UnmadeAnnotation, docs, repeat(tags)))
    become(made, Annotation)
    return {annotation.key: annotation for annotation in made}


_ANNOTATION_FIELDS = ("key", "status", "tags", "note", "created", "updated", "read_at")
"""The fields of an annotation's document, in ``Annotation.to_dict``'s order: a snapshot's
table of such documents only is read by :class:`_UnpackedAnnotation`."""


class _UnpackedAnnotation:
    """An :class:`Annotation` made from a packed document (``snapshot.Packed``, fields
    :data:`_ANNOTATION_FIELDS`) as :class:`_UnmadeAnnotation` makes it from the dict."""

    __slots__ = Annotation.__slots__

    def __init__(self, row: tuple[Any, ...], tags: dict[tuple[str, ...], tuple[str, ...]]) -> None:
        self.key, status, listed, note, created, updated, read_at = row
        self.status = _STATUS[status]
        listed = tuple(listed)
        self.tags = tags.setdefault(listed, listed) if listed else ()
        self.note = note or ""
        self.created = created or ""
        self.updated = updated or ""
        self.read_at = read_at or None


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --------------------------------------------------------------------------------------------
# The storage


class _NotQuiet(Exception):
    """Opening the library would write to it (see ``Library.peek``)."""


class Transaction:
    """The tables being changed under the lock, and whether to write them at the end."""

    __slots__ = ("tables", "write")

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.write = True


class SafeStorage(Storage):
    """A TinyDB storage with atomic durable writes, a process lock and a parsed cache.

    ``TinyDB(path, storage=SafeStorage)`` works; :class:`Library` uses :meth:`tables`,
    :meth:`transaction` directly for speed. The cache is the only copy of the tables in
    memory: :meth:`read` hands TinyDB a copy. A plain ``TinyDB`` on this storage gets atomic
    writes, but its ``Table`` caches (query cache, next id) do not notice other processes and
    its read-modify-write is not under one lock: use :class:`Library` for that.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        share: bool = False,
        peek: bool = False,
        check_beside: bool = False,
    ) -> None:
        super().__init__()
        self._peek = peek  # _NotQuiet rather than any write on opening (Library.peek)
        # The first read's document checks in a child (Library.open); their verdict, until
        # asked for (verify): the child, and the fingerprint of the bytes it checks.
        self._check_beside = check_beside
        self._unchecked: tuple[parallel.Begun[str | None], str] | None = None
        self._failed: str | None = None  # the verdict of checks run beside, when they failed
        self._owed: str | None = None  # checked beside: the fingerprint of bytes to snapshot
        self._share = share  # equal values made one object at each read (_share_values)
        self.path = fileio.expand_user(path)
        # Write through a symlink to its target, so the link itself survives.
        self.target = Path(os.path.realpath(self.path))
        if not self.target.name:  # "/": no name to put ".bak" or ".lock" beside
            raise LibraryError(f"{self.path}: is a folder, not a library file")
        self.folder = self.target.parent
        self.backup_path = self.target.with_name(self.target.name + ".bak")
        self.lock_path = self.target.with_name(self.target.name + ".lock")
        self._lock = fileio.ProcessLock(self.lock_path, timeout=lock_timeout)
        # The tables: all as dicts (``_tables``), or, read from the snapshot, packed
        # (``_packed``) with those asked for by name made dicts so far (``_made``).
        self._tables: Tables | None = None
        self._packed: dict[str, snapshot.Packed] | None = None
        self._made: Tables = {}
        self._stamp: tuple[int, int, int, int] | None = None
        self._backed_up = False
        self._batch: Transaction | None = None  # see batched()
        self._batch_failed = False
        self.generation = 0  # bumped whenever the cache is (re)loaded from disk
        # The fingerprint of the file's bytes as last read or written here (None: written by
        # TinyDB's own write, not computed).
        self.content: str | None = None
        self._checked_path = _checked_record(self.target)
        self._prepare()

    # opening -------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Create the folder, clean stale temp files, create or load and check the file."""
        if self._peek and (not os.path.lexists(self.target) or self._stale_temps()):
            raise _NotQuiet
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"{self.path}: cannot create its folder: {_describe(exc)}") from None
        if not self.folder.is_dir():
            raise LibraryError(f"{self.path}: {self.folder} is not a folder")
        if self._stale_temps():
            with self.locked():
                for temp in self._stale_temps():
                    with contextlib.suppress(FileNotFoundError):
                        temp.unlink()
        if os.path.lexists(self.target):
            migrated = self._load()
            if migrated and self._peek:
                raise _NotQuiet
            if migrated and not self.read_only():  # a read-only file is migrated in memory
                with self.locked():
                    self._commit(self.tables())
            return
        with self.locked():
            if os.path.lexists(self.target):  # another process created it meanwhile
                self._load()
                return
            fresh: Tables = {name: {} for name in TABLES}
            _set_schema_version(fresh, SCHEMA_VERSION)
            self._tables = fresh
            self._commit(fresh)

    def _stale_temps(self) -> list[Path]:
        try:
            # escaped: "lib[1].json" must not match (and delete) the temp files of "lib1.json"
            return list(self.folder.glob(f".{glob.escape(self.target.name)}.*.tmp"))
        except OSError:
            return []

    # reading -------------------------------------------------------------------------------

    def _current_stamp(self) -> tuple[int, int, int, int] | None:
        try:
            st = os.stat(self.target)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LibraryError(f"{self.path}: cannot read: {_describe(exc)}") from None
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def _load(self) -> bool:
        """(Re)read the file into the cache; True when it was migrated in memory."""
        try:
            with fileio.open_regular(self.target) as handle:
                st = os.fstat(handle.fileno())
                raw = self._read_capped(handle, st.st_size)
        except fileio.NotARegularFile as exc:
            raise LibraryError(
                f"{self.path}: not a library file: {exc.kind}, not a regular file"
            ) from None
        except FileNotFoundError:
            raise LibraryError(
                f"{self.path}: the library file disappeared while rlhf-reader was running"
            ) from None
        except IsADirectoryError:
            raise LibraryError(f"{self.path}: is a folder, not a library file") from None
        except OSError as exc:
            raise LibraryError(f"{self.path}: cannot read: {_describe(exc)}") from None
        fingerprinted = fingerprint(raw)
        self.verify()  # (the verdict on the bytes read before, if still awaited)
        self._owed = None
        beside, self._check_beside = self._check_beside, False  # (the first read only)
        pending: parallel.Begun[str | None] | None = None
        # Tens of thousands of new dicts and no cycles: the cyclic collector would walk them
        # again and again while they are made (it doubled the load of a 100k library).
        tables: Tables | None = None
        with paused():
            packed = self._snapshot(fingerprinted, len(raw))
            read, migrated = packed is None, False
            known: str | None = fingerprinted
            if read:
                known = self._checked()
                checked = known == fingerprinted
                if not checked and beside and len(raw) >= CHECK_BESIDE_BYTES:
                    tables, pending = self._decode_beside(raw)
                if tables is None:
                    tables, migrated = decode(self.path, raw, checked=checked)
                # One string for equal values, in the TUI for as long as it runs (the
                # snapshot made of these tables shares them as it is made: _save_snapshot).
                if self._share:
                    _share_values(tables)
        del raw
        self._tables, self._packed, self._made = tables, packed, {}
        self._stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        self.generation += 1
        self.content = fingerprinted
        if pending is not None:  # recorded as checked once the child says so (verify)
            self._unchecked = (pending, fingerprinted)
        elif known != fingerprinted:
            self._remember_checked(fingerprinted, keep=not migrated)
        elif read and not migrated:  # checked before, but no snapshot of these bytes yet
            self._save_snapshot(fingerprinted)
        return migrated

    def _decode_beside(self, raw: bytes) -> tuple[Tables | None, parallel.Begun[str | None] | None]:
        """:func:`decode` of bytes never checked, without the checks, and a child that
        makes them on the tables meanwhile (forked now, it reads them as made here: no
        second parse); ``(None, None)`` when the bytes are to be read as ever, with every
        check, here — unchecked steps refuse them or cannot read them (the error is then
        the one the checks find first), they are of an older schema (migrated and written
        now), or no child can be made."""
        try:
            tables, migrated = decode(self.path, raw, checked=True)
        except Exception:
            return None, None
        if migrated:
            return None, None
        pending = parallel.begin(functools.partial(_problem, self.path, tables))
        return (tables, pending) if pending is not None else (None, None)

    def _verdict(self, pending: parallel.Begun[str | None]) -> None:
        """Wait for the checks ``pending`` runs; LibraryError (the one :func:`decode`
        raises) when they failed."""
        problem = pending.result()
        if problem is not None:
            self._failed = problem
            self.invalidate()
            raise LibraryError(problem)

    def verify(self) -> None:
        """The verdict of the document checks of the first read run in a child
        (``check_beside``): LibraryError, the one the open would have raised, when they
        failed (and at every call after); else the bytes are recorded as checked. Every
        write (:meth:`locked`) and every read of the file again asks for it first.

        Their snapshot is left for :meth:`settle` (a write saves its own instead): a
        process forked now to save it would share this one's pages while it goes on
        (copied at each write: 50,000 page faults of an import's plan and write)."""
        if self._failed is not None:
            raise LibraryError(self._failed)
        unchecked, self._unchecked = self._unchecked, None
        if unchecked is None:
            return
        pending, fingerprinted = unchecked
        self._verdict(pending)
        self._remember_checked(fingerprinted, keep=False)
        self._owed = fingerprinted

    def settle(self) -> None:
        """Save the snapshot :meth:`verify` left, if no write or read replaced the tables
        it is of since: for a command's end."""
        owed, self._owed = self._owed, None
        if owed is not None and self.content == owed and not self.changed_on_disk():
            self._save_snapshot(owed)

    def _read_capped(self, handle: BinaryIO, size: int) -> bytes:
        """The whole file, unless it is (or grows) over ``MAX_LIBRARY_BYTES``."""
        if size <= MAX_LIBRARY_BYTES:
            raw = handle.read(MAX_LIBRARY_BYTES + 1)
            size = len(raw)
            if size <= MAX_LIBRARY_BYTES:
                return raw
        raise LibraryError(
            f"{self.path}: the file is {size:,} bytes, more than the {MAX_LIBRARY_BYTES:,} a "
            "library may have; it was not read (is this the right file?)"
        )

    def _checked(self) -> str | None:
        """The fingerprint of the bytes last checked (or written) here, if recorded."""
        record = self._checked_path
        if record is None:
            return None
        try:
            return record.read_text(encoding="ascii")
        except (OSError, ValueError):
            return None

    def _snapshot(self, fingerprinted: str, size: int) -> dict[str, snapshot.Packed] | None:
        """The tables of the library's bytes from their snapshot (``library/snapshot.py``),
        or None: none, or the library is small."""
        if self._checked_path is None or size < snapshot.MIN_BYTES:
            return None
        return snapshot.load(snapshot.path_for(self._checked_path), fingerprinted, TABLES)

    def _save_snapshot(self, fingerprinted: str) -> None:
        """Keep the cached tables — what the library's bytes with this fingerprint hold, as
        read or as just written — as its snapshot, for the next process to read instead of
        the JSON. Not in a long-lived process (the TUI writes at every key; the next
        command makes one when it reads the file). Equal values are made one string first
        (:func:`_share_values`: 30 % less to unmarshal at each open), by the process that
        writes it: not on the command's way (0.13 s at 100,000 annotations)."""
        if self._checked_path is None or self._share or self._tables is None:
            return  # (tables still packed: read from the snapshot of these very bytes)
        if self._stamp is None or self._stamp[1] < snapshot.MIN_BYTES:
            return
        path, tables, stamp = snapshot.path_for(self._checked_path), self._tables, self._stamp

        def save_if_current() -> None:  # (by then another write may have made this one old)
            if self._current_stamp() == stamp:
                _share_values(tables)
                snapshot.save(path, fingerprinted, tables)

        if stamp[1] < snapshot.DETACHED_BYTES or not parallel.detach(save_if_current):
            _share_values(tables)
            snapshot.save(path, fingerprinted, tables)

    def _remember_checked(self, fingerprinted: str, *, keep: bool = True) -> None:
        """Record that the bytes with this fingerprint pass :func:`decode`'s checks, so the
        next process (a CLI command, the TUI) reading the same bytes skips them, and keep
        the cached tables (which those bytes hold) as their snapshot. Silent: a record
        that cannot be written only costs the next open the checks."""
        record = self._checked_path
        if record is None:
            return
        try:
            record.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fileio.write_atomic(record, fingerprinted.encode("ascii"), mode=0o600, durable=False)
        except OSError:
            pass
        if keep:
            self._save_snapshot(fingerprinted)

    def _current(self) -> None:
        """Re-read the file when it changed on disk (or nothing is cached)."""
        if self.changed_on_disk():
            self._load()

    def changed_on_disk(self) -> bool:
        """Whether the file is not what was last read or written here (or nothing is cached):
        one ``stat``, nothing read."""
        return (
            self._tables is None and self._packed is None
        ) or self._current_stamp() != self._stamp

    def tables(self) -> Tables:
        """The cached tables, re-read first when the file changed on disk. Do not mutate
        outside :meth:`transaction`."""
        self._current()
        if self._tables is None:  # packed: every table made dicts, in the file's order
            assert self._packed is not None
            made = self._made
            # A long-lived process (the TUI, at its first write) keeps them: out of the
            # collector's way, or each full pass walks 100,000s of dicts (0.15-0.25 s).
            with paused(keep=self._share):
                self._tables = {
                    n: made[n] if n in made else p.docs() for n, p in self._packed.items()
                }
            self._packed, self._made = None, {}
        return self._tables

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """One cached table (as in :meth:`tables`), without making the others' dicts when
        they are still packed."""
        self._current()
        if self._tables is not None:
            return self._tables[name]
        assert self._packed is not None
        made = self._made.get(name)
        if made is None:
            with paused(keep=self._share):  # (as in tables())
                made = self._made[name] = self._packed[name].docs()
        return made

    def packed(self, name: str) -> snapshot.Packed | None:
        """The table as read from the snapshot, when no dict of it was made yet (a reader of
        every document can use its tuples instead); None otherwise."""
        self._current()
        if self._packed is None or name in self._made:
            return None
        return self._packed[name]

    def refresh(self) -> bool:
        """Re-read the file if another process changed it; True when it did."""
        before = self.generation
        self._current()  # (tables read from the snapshot stay packed)
        return self.generation != before

    def invalidate(self) -> None:
        """Forget the cache: the next access re-reads the file."""
        if self._unchecked is not None:  # (then the verdict is the open's error, if any)
            self._unchecked[0].close()
            self._unchecked = None
        self._tables = self._packed = None
        self._made = {}
        self._stamp = None

    # locking and writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.verify()  # (nothing is written to a file whose checks failed or are awaited)
        try:
            self._lock.acquire()
        except fileio.LockTimeout:
            raise LibraryError(
                f"{self.path}: another rlhf-reader has held the lock ({self.lock_path}) for "
                f"{self._lock.timeout:g} s; try again"
            ) from None
        except OSError as exc:
            raise LibraryError(
                f"{self.path}: cannot create the lock file {self.lock_path}: {_describe(exc)}"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock, bring the cache up to date, let the caller change ``txn.tables``, write them
        atomically — unless the caller set ``txn.write = False`` (nothing changed).

        On any error the cache is dropped (the file on disk is the truth) and nothing is
        written.
        """
        with self.locked():
            batch = self._batch
            txn = Transaction(self.tables() if batch is None else batch.tables)
            try:
                yield txn
                if txn.write and batch is not None:
                    batch.write = True  # written once, when the batch ends
                elif txn.write:
                    self._commit(txn.tables)
            except BaseException:
                if batch is not None:
                    self._batch_failed = True  # its tables may be half changed: never written
                self.invalidate()
                raise

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Lock, and let every transaction inside change the same tables: they are written
        once, at the end, if any changed — or not at all if one fails (the cache is dropped:
        the file on disk is the truth). An import of thousands of papers made one write per
        paper's change, the whole file each time: quadratic."""
        with self.locked():
            if self._batch is not None:  # inside a batch already: part of that one
                yield
                return
            batch = self._batch = Transaction(self.tables())
            batch.write = False
            self._batch_failed = False
            try:
                yield
                if self._batch_failed:
                    raise LibraryError(
                        f"{self.path}: a change failed while others were being made; "
                        "nothing was written"
                    )
                if batch.write:
                    self._commit(batch.tables)
            except BaseException:
                self.invalidate()
                raise
            finally:
                self._batch = None

    def read_only(self) -> bool:
        """True when the library file exists and its mode says it must not be written: no
        write bit at all (``chmod a-w``; checked on the bits, because root may write
        anything), or no write permission for this user."""
        try:
            mode = os.stat(self.target).st_mode
        except OSError:
            return False
        return not mode & 0o222 or not os.access(self.target, os.W_OK)

    def _refuse_read_only(self) -> None:
        if self.read_only():
            mode = stat.S_IMODE(os.stat(self.target).st_mode)
            raise LibraryError(
                f"{self.path}: the library file is read-only (mode {mode:04o}); nothing was "
                "written (make it writable, e.g. chmod u+w, to save changes)"
            )

    def _commit(self, tables: Tables, *, checked: bool = True) -> None:
        """Write ``tables`` atomically and durably; the caller holds the lock.

        ``checked``: the tables are what :func:`decode` accepts (they came from it and were
        changed by ``Library``, which checks every value it writes), so the new file's
        fingerprint is recorded and the next open skips the checks. TinyDB's own writes
        (:meth:`write`) are not: the next open checks them.

        A read-only library file is never replaced (``os.replace`` would do it, since only
        the folder's permissions count): LibraryError instead, and nothing is written."""
        self._refuse_read_only()
        try:
            payload = dumps_in_pieces(tables) if self._share else orjson.dumps(tables) + b"\n"
        except TypeError as exc:
            raise LibraryError(f"{self.path}: cannot store a value as JSON: {exc}") from None
        if len(payload) > MAX_LIBRARY_BYTES:
            raise LibraryError(
                f"{self.path}: the change would make the library {len(payload):,} bytes, more "
                f"than the {MAX_LIBRARY_BYTES:,} a library may have; nothing was written"
            )
        mode = 0o600
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(self.target).st_mode)
        if not self._backed_up:
            self._backup()
        self._atomic_write(self.target, payload, mode)
        self._backed_up = True
        st = os.stat(self.target)
        self._stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        self._tables, self._packed, self._made = tables, None, {}
        self.content = None
        self._owed = None  # (the snapshot of what was read: replaced by this write's)
        if checked:
            self.content = fingerprint(payload)
            self._remember_checked(self.content)

    def _backup(self) -> None:
        """Keep the file as it is as ``.bak`` (the first write of this run).

        A second name for the file (a hard link) when the file system allows it and the
        file is private (mode 0600 or less): the write that follows replaces the library by
        a new file and never changes this one, so the link keeps it as it was — with no
        copy (0.1-0.3 s of every write command at 100,000 annotations, read and written and
        synced to disk). Otherwise a copy, mode 0600."""
        if self._link_backup():
            return
        try:
            with fileio.open_regular(self.target) as handle:
                raw = self._read_capped(handle, os.fstat(handle.fileno()).st_size)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise LibraryError(f"{self.path}: cannot read: {_describe(exc)}") from None
        if raw:
            self._atomic_write(self.backup_path, raw, 0o600)

    def _link_backup(self) -> bool:
        """``.bak`` made a hard link to the file; False when it was not (then copy it)."""
        try:
            if stat.S_IMODE(os.stat(self.target).st_mode) & 0o077:
                return False  # (a copy keeps a 0600 backup of a file others may read)
            temp = self.folder / f".{self.target.name}.{secrets.token_hex(6)}.tmp"
            os.link(self.target, temp)  # (a stale one is removed as any temp file)
        except OSError:  # no such file, no hard links here (FAT, some network shares)
            return False
        try:
            os.replace(temp, self.backup_path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            return False
        return True  # (the folder is synced to disk by the write that follows)

    def _atomic_write(self, dest: Path, payload: bytes, mode: int) -> None:
        try:
            fileio.write_atomic(dest, payload, mode=mode)
        except OSError as exc:
            raise LibraryError(f"{self.path}: cannot write {dest.name}: {_describe(exc)}") from None

    # the TinyDB Storage protocol -----------------------------------------------------------

    def read(self) -> dict[str, dict[str, Any]] | None:
        return _json_copy(self.tables())

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        with self.locked():
            self._commit(_json_copy(data), checked=False)

    def close(self) -> None:
        if self._unchecked is not None:  # (no child left running)
            self._unchecked[0].close()
            self._unchecked = None
        self._tables = self._packed = None
        self._made = {}


# --------------------------------------------------------------------------------------------
# The library


class Library:
    """Annotations, the arXiv cache, additions and settings in one JSON file.

    Open with :meth:`open`. Every method is one short transaction; see the module docstring
    for what is guaranteed across processes and threads.
    """

    def __init__(self, path: Path, storage: SafeStorage) -> None:
        self.path = path
        self._storage = storage
        self._mutex = threading.RLock()
        self._index: dict[str, dict[str, str]] = {}
        self._next_id: dict[str, int] = {}
        self._index_generation = -1

    @classmethod
    def open(
        cls, path: str | Path, *, long_lived: bool = False, check_beside: bool = False
    ) -> Library:
        """Open (creating if needed) the library at ``path``; LibraryError when unusable.

        ``long_lived``: the process keeps the library for long (the TUI, the server): equal
        statuses, tags and times are made one string each whenever the file is read
        (:func:`_share_values`), 30 MB less at 100,000 annotations. A command that exits
        soon skips that work (0.15 s there).

        ``check_beside``: a big file whose bytes were never checked (copied in from
        elsewhere, edited by hand) is read without its document-by-document checks, which
        a child runs meanwhile (0.2 s at 100,000 annotations, on another core); until
        :meth:`verify` gives their verdict — the LibraryError this open would have raised,
        if any — only read what it holds, and act on nothing read (every write and re-read
        asks for the verdict first). For an import, which reads its file meanwhile."""
        path = fileio.expand_user(path)
        return cls(path, SafeStorage(path, share=long_lived, check_beside=check_beside))

    @classmethod
    def peek(cls, path: str | Path, *, long_lived: bool = False) -> Library | None:
        """The library at ``path`` opened as :meth:`open` opens it, when that changes
        nothing on disk; None when it would (no file yet, a temporary file of a killed run
        to remove, an older schema to migrate) or the file cannot be read (:meth:`open`
        then says why). For reading the library early, before a command would (while
        other processes do its other work), with nothing to show for it if the command
        then stops."""
        path = fileio.expand_user(path)
        try:
            return cls(path, SafeStorage(path, share=long_lived, peek=True))
        except (_NotQuiet, LibraryError):
            return None

    def close(self) -> None:
        with self._mutex:
            self._storage.close()
            self._index_generation = -1

    def verify(self) -> None:
        """The verdict of the checks an open with ``check_beside`` left to a child (see
        :meth:`open`): LibraryError when they failed; nothing when they passed or none
        were left."""
        with self._mutex:
            self._storage.verify()

    def settle(self) -> None:
        """What an open with ``check_beside`` left for the end of the command: the snapshot
        of the bytes it read (the next command reads it instead of the JSON), when no write
        of this process replaced them."""
        with self._mutex:
            self._storage.settle()

    @property
    def backup_path(self) -> Path:
        return self._storage.backup_path

    @property
    def generation(self) -> int:
        """How many times the file was (re)read from disk: a view that remembers it knows
        whether another process's changes came in since, even when they were read by one of
        this process's own writes (which re-read the file under the lock first)."""
        return self._storage.generation

    @property
    def known_content(self) -> str | None:
        """The fingerprint of the bytes as last read or written here, without looking at
        the file again (None: unknown)."""
        return self._storage.content

    @property
    def content_fingerprint(self) -> str | None:
        """A fingerprint of the library file's bytes as this process last read or wrote
        them (refreshed first: another process's write is read); None when unknown. Equal
        fingerprints, equal contents: sync knows from it that nothing it writes changed."""
        with self._mutex:
            self._storage.refresh()
            return self._storage.content

    @property
    def read_only(self) -> bool:
        """True when the file is read-only: reading works, every write raises LibraryError."""
        return self._storage.read_only()

    def on_lock_wait(self, callback: Callable[[], object] | None) -> None:
        """Call ``callback`` (in the waiting thread) whenever a write finds the file's lock
        held by another process and waits for it (up to ``LOCK_TIMEOUT``); None: silent."""
        self._storage._lock.on_wait = callback

    def refresh(self) -> bool:
        """Re-read the file if another process changed it; True when it did (for the TUI)."""
        with self._mutex:
            return self._storage.refresh()

    def changed_on_disk(self) -> bool:
        """Whether another process changed the file since it was read or written here: one
        ``stat``, nothing read. Not behind the lock of this object's other methods: the
        TUI's UI thread asks it every second while its writer thread may be writing (then
        the answer may be stale by one write; the next second's is not)."""
        return self._storage.changed_on_disk()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock across several calls — read, decide, write — so that no other
        process writes in between (an import plans against what it then overwrites)."""
        with self._mutex, self._storage.locked():
            self._storage.refresh()
            yield

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Many changes, one write: every change method called inside writes nothing until
        the block ends, then all at once (nothing if the block raises). Holds the lock."""
        with self._mutex, self._storage.batched():
            try:
                yield
            except BaseException:
                self._index_generation = -1
                raise

    # plumbing ------------------------------------------------------------------------------

    def _tables(self) -> Tables:
        return self._storage.tables()

    def _ids(self, tables: Tables, table: str) -> dict[str, str]:
        """``table``'s key → document-id index, built when first asked for after each
        (re)read of the file: a command that reads every annotation never needs the index of
        100,000 of them, and ``mark`` never needs the arXiv cache's."""
        if self._index_generation != self._storage.generation:
            self._index = {}
            self._next_id = {}
            self._index_generation = self._storage.generation
        index = self._index.get(table)
        if index is None:
            field, docs = _ID_FIELD[table], tables[table]
            index = self._index[table] = {doc[field]: doc_id for doc_id, doc in docs.items()}
            self._next_id[table] = max(map(int, docs), default=0) + 1
        return index

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        with self._mutex, self._storage.transaction() as txn:
            try:
                yield txn
            except BaseException:
                self._index_generation = -1
                raise

    def _table(self, table: str) -> dict[str, dict[str, Any]]:
        """One table, to read (the others stay packed if they are: ``SafeStorage.table``)."""
        return self._storage.table(table)

    def _get(self, table: str, ident: str) -> dict[str, Any] | None:
        """The document named ``ident``, to read (found in the packed table without making
        its dicts when it is still packed)."""
        packed = self._storage.packed(table)
        if packed is not None:
            return packed.find(_ID_FIELD[table], ident)
        docs = self._table(table)
        doc_id = self._ids({table: docs}, table).get(ident)
        return docs[doc_id] if doc_id is not None else None

    def _put(self, tables: Tables, table: str, ident: str, doc: dict[str, Any]) -> None:
        """Insert, or update the fields of, the document named ``ident`` (TinyDB upsert)."""
        index = self._ids(tables, table)
        doc_id = index.get(ident)
        if doc_id is not None:
            tables[table][doc_id].update(doc)
            return
        doc_id = str(self._next_id[table])
        self._next_id[table] += 1
        tables[table][doc_id] = doc
        index[ident] = doc_id

    # annotations ---------------------------------------------------------------------------

    def annotation(self, key: str) -> Annotation:
        with self._mutex:
            doc = self._get("annotations", key)
            return _annotation(doc) if doc else Annotation(key=key)

    def annotations(self, keys: Iterable[str] | None = None) -> dict[str, Annotation]:
        """Every stored annotation, or those of ``keys`` that have one."""
        tags: dict[tuple[str, ...], tuple[str, ...]] = {}
        with self._mutex:
            packed = self._storage.packed("annotations")
            if packed is not None and packed.uniform(_ANNOTATION_FIELDS):
                rows = packed.rows
                if keys is not None:  # each key's last document, in the order of ``keys``
                    keys = list(keys)
                    wanted = set(keys)
                    last = {row[0]: row for row in rows if row[0] in wanted}
                    rows = [last[key] for key in keys if key in last]
                with paused():  # made from the snapshot's tuples: no dict per document
                    made: list[Any] = list(map(_UnpackedAnnotation, rows, repeat(tags)))
                    become(made, Annotation)
                    return {annotation.key: annotation for annotation in made}
            table = self._table("annotations")
            if keys is None:
                docs = list(table.values())
            else:
                ids = self._ids({"annotations": table}, "annotations")
                docs = [table[ids[k]] for k in keys if k in ids]
        with paused():  # 100,000s of objects, no cycles: linear with the collector paused
            made = list(map(_UnmadeAnnotation, docs, repeat(tags)))
            become(made, Annotation)  # Annotations now
            return {annotation.key: annotation for annotation in made}

    def annotation_records(self) -> dict[str, dict[str, Any]]:
        """Every annotated key's annotation as ``Annotation.to_dict`` gives the one
        :meth:`annotations` makes (a key stored twice: the last document) — of those that
        record anything (``Annotation.recorded``) — made from the snapshot's tuples or the
        documents without an ``Annotation`` per key (a sync file at 100,000)."""
        with self._mutex:
            packed = self._storage.packed("annotations")
            if packed is not None and packed.uniform(_ANNOTATION_FIELDS):
                rows: Iterable[tuple[Any, ...]] = packed.rows
            else:
                rows = [
                    (d["key"], d.get("status", "unread"), d.get("tags", ()), d.get("note"),
                     d.get("created"), d.get("updated"), d.get("read_at"))
                    for d in self._table("annotations").values()
                ]  # fmt: skip
            out: dict[str, dict[str, Any]] = {}
            with paused():
                for key, status, tags, note, created, updated, read_at in rows:
                    if not (created or updated or status != "unread" or tags or note or read_at):
                        out.pop(key, None)  # (as the last document of its key has it)
                        continue
                    out[key] = {
                        "key": key,
                        "status": status,
                        "tags": list(tags),
                        "note": note or "",
                        "created": created or "",
                        "updated": updated or "",
                        "read_at": read_at or None,
                    }
            return out

    def statuses(self) -> dict[str, Status]:
        """Every annotated key's status, as :meth:`annotations` gives it (a key stored twice:
        the last document), without an ``Annotation`` per key (``list`` at 100,000)."""
        status = _STATUS.__getitem__
        with self._mutex:
            packed = self._storage.packed("annotations")
            if packed is not None and packed.uniform(_ANNOTATION_FIELDS):
                return {row[0]: status(row[1]) for row in packed.rows}
            docs = self._table("annotations").values()
            return {doc["key"]: status(doc.get("status", "unread")) for doc in docs}

    def tally(self) -> Tally:
        """The keys read and being read, and every annotated key's tags, read from the
        stored documents: what ``progress.compute_stats`` counts, without building an
        ``Annotation`` per key (``stats`` of a 100,000-entry library)."""
        from rlhf_reader.library.progress import Tally

        read: list[str] = []
        reading: list[str] = []
        tags: dict[str, Any] = {}
        with self._mutex:
            packed = self._storage.packed("annotations")
            if packed is not None and packed.uniform(_ANNOTATION_FIELDS):
                found: Iterable[tuple[Any, ...]] = packed.rows  # key, status, tags first
            else:
                docs = self._table("annotations").values()
                found = ((d["key"], d.get("status"), d.get("tags", ())) for d in docs)
            for key, status, listed, *_ in found:  # one pass over 100,000s of documents
                tags[key] = listed
                if status == "read":
                    read.append(key)
                elif status == "reading":
                    reading.append(key)
        return Tally(frozenset(read), frozenset(reading), tags)
        return Tally(read, reading, tags)

    def _update(
        self, keys: Iterable[str], change: Callable[[Annotation], None]
    ) -> list[Annotation]:
        """Apply ``change`` to each key's annotation and write once; only annotations that
        really changed get a new ``updated`` time (and nothing is written when none did).
        Returns every key's annotation, in order."""
        keys = [_check_key(k) for k in dict.fromkeys(keys)]
        result = []
        with self._transaction() as txn:
            stamp = now_iso()
            txn.write = False
            table = txn.tables["annotations"]
            ids = self._ids(txn.tables, "annotations")
            for key in keys:
                doc_id = ids.get(key)
                doc = table[doc_id] if doc_id is not None else None
                ann = _annotation(doc) if doc else Annotation(key=key)
                before = ann.to_dict()
                change(ann)
                if ann.to_dict() != before:
                    ann.created = ann.created or stamp
                    ann.updated = stamp
                    self._put(txn.tables, "annotations", key, ann.to_dict())
                    txn.write = True
                result.append(ann)
        return result

    def set_status(self, keys: Iterable[str], status: Status | str) -> list[Annotation]:
        """Set the status of every key (one write); ``read_at`` follows the module rules.
        Keys marked read leave the reading queue (a second write, under the same lock)."""
        new = status if isinstance(status, Status) else Status.parse(str(status))
        keys = list(keys)

        stamp = now_iso()

        def change(ann: Annotation) -> None:
            ann.set_status(new, stamp)

        if new is not Status.READ:
            return self._update(keys, change)
        with self.exclusive():  # the status and the queue change as one, under one lock
            result = self._update(keys, change)
            done = set(keys)
            if done.intersection(self.queue()):
                self.change_queue(lambda queue: [k for k in queue if k not in done])
        return result

    def change_tags(self, keys: Iterable[str], edit: TagEdit) -> list[Annotation]:
        """Make one tag change (``tags.parse_tag_edit``) on every key, in one write, to the
        tags as they are in the file now: tags the change does not name stay."""

        def change(ann: Annotation) -> None:
            ann.tags = edit.apply(ann.tags)

        return self._update(keys, change)

    def set_note(self, key: str, note: str, *, base: str | None = None) -> Annotation:
        """Replace the note of ``key``. With ``base`` (the note as the editor loaded it), the
        note is replaced only if it is still ``base`` in the file: when another window or
        process changed it meanwhile, :class:`NoteChanged` is raised and nothing written."""
        text = validate_note(note)

        def change(ann: Annotation) -> None:
            if base is not None and ann.note != base and ann.note != text:
                raise NoteChanged(key, mine=text, theirs=ann.note)
            ann.note = text

        return self._update([key], change)[0]

    def put_annotations(self, annotations: Iterable[Annotation]) -> None:
        """Store annotations as given (timestamps kept), in one write: for import and merge.

        Every annotation is checked first (key, status, tags, note); ValueError and nothing
        written when one is invalid.
        """
        docs: list[dict[str, Any]] = []
        for ann in annotations:
            _check_key(ann.key)
            if not isinstance(ann.status, Status):
                raise ValueError(f"{ann.key}: invalid status {ann.status!r}")
            tags = [normalize_tag(t) for t in ann.tags]
            try:
                validate_note(ann.note)
            except ValueError as exc:
                raise ValueError(f"{ann.key}: {exc}") from None
            doc: dict[str, Any] = ann.to_dict()
            doc["tags"] = list(dict.fromkeys(tags))
            docs.append(doc)
        if not docs:
            return
        with self._transaction() as txn:
            for doc in docs:
                self._put(txn.tables, "annotations", doc["key"], doc)

    def documents(self, table: str) -> dict[str, Mapping[str, Any]]:
        """Each document of ``table`` (``annotations``, ``metadata``, ``additions``, or the
        settings of ``meta``) by its key (name), as stored: not copied, so only to read, and
        only until the next write. An import compares a whole file against them without
        making 100,000 Annotations; sync fingerprints them."""
        field = _ID_FIELD[table]
        with self._mutex:
            return {doc[field]: doc for doc in self._table(table).values()}

    def annotation_fields(self) -> dict[str, tuple[list[str], str, str | None]]:
        """Every annotated key's stored tags, note and ``read_at`` (the last document of a
        key), as :meth:`annotations` would give them but for the tags (the stored list) —
        read from the snapshot's tuples without a dict or an ``Annotation`` per key when
        the table is still packed (``list --json`` at 100,000)."""
        with self._mutex:
            packed = self._storage.packed("annotations")
            if packed is not None and packed.uniform(_ANNOTATION_FIELDS):
                # key, status, tags, note, created, updated, read_at
                return {r[0]: (r[2], r[3] or "", r[6] or None) for r in packed.rows}
            docs = self._table("annotations").values()
            return {
                d["key"]: (d.get("tags", []), d.get("note") or "", d.get("read_at") or None)
                for d in docs
            }

    def annotation_keys(self) -> list[str]:
        """The key of every stored annotation (no ``Annotation`` made)."""
        with self._mutex:
            packed = self._storage.packed("annotations")
            if packed is not None and packed.uniform(_ANNOTATION_FIELDS):
                return list(dict.fromkeys([row[0] for row in packed.rows]))
            return list(self._ids({"annotations": self._table("annotations")}, "annotations"))

    def annotated_keys(self, keys: Iterable[str]) -> frozenset[str]:
        """Those of ``keys`` that have an annotation."""
        with self._mutex:
            index = self._ids({"annotations": self._table("annotations")}, "annotations")
            return frozenset(k for k in keys if k in index)

    def tags_in_use(self) -> Counter[str]:
        with self._mutex:
            table = self._table("annotations")
            return Counter(tag for doc in table.values() for tag in doc.get("tags", ()))

    # arXiv metadata cache ------------------------------------------------------------------

    def metadata(self, key: str) -> dict[str, Any] | None:
        with self._mutex:
            doc = self._get("metadata", key)
            return _json_copy(doc) if doc else None

    def all_metadata(self) -> dict[str, dict[str, Any]]:
        with self._mutex, paused():  # a copy of each record: many dicts and lists, no cycles
            table = self._table("metadata")
            return {doc["key"]: _json_copy(doc) for doc in table.values()}

    def metadata_keys(self) -> set[str]:
        """The keys with a cached record (what a fetch may skip), without copying them."""
        with self._mutex:
            return {doc["key"] for doc in self._table("metadata").values()}

    def put_metadata(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        """Insert or update (field by field) the cached records of these keys, in one write."""
        docs = {}
        for key, record in records.items():
            _check_key(key)
            doc = {**_json_copy(dict(record)), "key": key}
            _check_json(f"metadata for {key}", doc)
            problem = metadata_problem(doc)
            if problem:
                raise ValueError(f"metadata for {key}: {problem}")
            docs[key] = doc
        if not docs:
            return
        with self._transaction() as txn:
            for key, doc in docs.items():
                self._put(txn.tables, "metadata", key, doc)

    # additions -----------------------------------------------------------------------------

    def additions(self) -> list[dict[str, Any]]:
        with self._mutex:
            return [_json_copy(doc) for doc in self._table("additions").values()]

    def put_addition(self, record: Mapping[str, Any]) -> None:
        key = _check_key(record.get("key"))
        doc = _json_copy(dict(record))
        _check_json(f"addition {key}", doc)
        with self._transaction() as txn:
            self._put(txn.tables, "additions", key, doc)

    # settings ------------------------------------------------------------------------------

    def get_meta(self, name: str, default: Any = None) -> Any:
        with self._mutex:
            doc = self._get("meta", name)
            return _json_copy(doc["value"]) if doc else default

    def set_meta(self, name: str, value: Any) -> None:
        self.change_meta(name, lambda _old: value)

    def change_meta(self, name: str, change: Callable[[Any], Any]) -> Any:
        """Replace the setting ``name`` by ``change(value as it is in the file now)``, under
        the lock: a read-modify-write no other process can come between. Returns the new
        value; nothing is written when it is unchanged."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"invalid setting name {name!r}")
        if name == "schema_version":
            raise ValueError("schema_version is managed by the library itself")
        with self._transaction() as txn:
            doc_id = self._ids(txn.tables, "meta").get(name)
            old = txn.tables["meta"][doc_id]["value"] if doc_id is not None else None
            value = change(_json_copy(old))
            doc = {"name": name, "value": _json_copy(value)}
            _check_json(f"setting {name}", doc)
            if doc_id is not None and doc["value"] == old:
                txn.write = False
            else:
                self._put(txn.tables, "meta", name, doc)
            return value

    # the reading queue (library/queue.py) ---------------------------------------------------

    def queue(self) -> list[str]:
        """The queued keys, in the reader's order."""
        from rlhf_reader.library.queue import QUEUE_SETTING, clean

        with self._mutex:
            doc = self._get("meta", QUEUE_SETTING)
            return clean(doc.get("value") if doc else None)

    def change_queue(self, change: Callable[[list[str]], list[str]]) -> list[str]:
        """Apply ``change`` to the queue as it is in the file now, under the lock, and write
        it (only if it changed); the new queue. ``change`` may raise (nothing written)."""
        from rlhf_reader.library.queue import QUEUE_SETTING, clean

        def changed(value: Any) -> list[str]:
            return clean([_check_key(k) for k in change(clean(value))])

        return list(self.change_meta(QUEUE_SETTING, changed))  # a copy: the cache keeps its own
