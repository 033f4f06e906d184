"""Import a JSON export into a library: validate all of it, then merge, never delete.

Rules (what ``rlhf-reader import`` does):

- The file must be a complete, valid ``json`` export (format marker, version, shape, every
  value); anything else is refused with the reason before the library is touched.
- Annotations, per entry: the side with the newer ``updated`` wins every field (status,
  read_at, note); tags are the union of both sides; ``created`` is the earlier one. Nothing
  is deleted.
- arXiv metadata: taken when the library has none for the key or the file's ``fetched_at``
  is newer. Additions: taken when the library has none for the key.
- The result is a ``MergeReport`` listing, per key, what was added or which fields were
  updated; ``apply`` writes it through the store's public API only.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import orjson

from rlhf_reader import parallel
from rlhf_reader.library import fileio
from rlhf_reader.library.store import (
    MAX_NOTE_BYTES,
    Library,
    annotations_of,
    metadata_problem,
    validate_note,
)
from rlhf_reader.model import Annotation, Status
from rlhf_reader.reclass import become
from rlhf_reader.tags import normalize_tag

T = TypeVar("T")

# The lossless JSON export: what `export --format json` writes and `import` reads.
JSON_FORMAT = "rlhf-reader-export"
JSON_VERSION = 1

MAX_IMPORT_BYTES = 200_000_000
PARALLEL_BYTES = 4_000_000
"""An export of at least this many bytes is read on two cores (:func:`parse_export`; tests
lower it)."""
PARALLEL_ENTRIES = 4_000
"""An import of at least this many entries works out the report's titles in a child
while the library is written (:func:`apply_beside`; tests lower it)."""
ANNOTATION_FIELDS = ("status", "read_at", "note", "tags")


class ImportFileError(Exception):
    """A file that is not a valid export; the message names the file, the place and the value."""


@dataclass(frozen=True, slots=True)
class ImportItem:
    key: str
    annotation: Annotation | None
    metadata: dict[str, Any] | None
    addition: dict[str, Any] | None
    # The annotation's object in the file when it is already in the store's form (its tags
    # clean, each once): equal to the library's document, the entry is unchanged (plan_for).
    stored_form: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ExportData:
    """A validated export file: its entries as ``items``, but for those ``held`` — read
    against a library (:func:`export_from_data`), the entries whose records all equal the
    library's documents then, by key: the entry's place in the file and its object (or its
    bytes in the file, when it was read in pieces: :func:`_entries_apart`) — and
    ``held_in``, the library's read they were compared with (:func:`_read_of`)."""

    source: str
    version: int
    exported_at: str
    items: tuple[ImportItem, ...]
    held: Mapping[str, tuple[int, dict[str, Any] | memoryview]] = field(default_factory=dict)
    held_in: tuple[int, int] | None = None
    # The library's documents the entries were compared with, and which state of it they
    # are (:func:`_documents_of`): planned against the same, they are not made again.
    against: tuple[tuple[int, int, str | None], _Documents] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def size(self) -> int:
        """How many entries the file holds."""
        return len(self.items) + len(self.held)

    def keys(self) -> set[str]:
        """The key of every entry."""
        return {*(item.key for item in self.items), *self.held}


@dataclass(frozen=True, slots=True)
class Change:
    """One key's outcome: ``added``, ``updated`` (with the fields) or ``unchanged``."""

    key: str
    what: str  # "annotation", "metadata" or "addition"
    kind: str
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "updated":
            return f"updated {self.what} {self.key}: {', '.join(self.fields)}"
        return f"{self.kind} {self.what} {self.key}"


@dataclass(slots=True)
class MergeReport:
    changes: list[Change] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    additions: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kind: str, what: str | None = None) -> int:
        return sum(1 for c in self.changes if c.kind == kind and (what is None or c.what == what))

    @property
    def changed(self) -> bool:
        return bool(self.annotations or self.metadata or self.additions)

    def add_unchanged(self, keys: Iterable[str], what: str) -> None:
        """``Change(key, what, "unchanged")`` for each of ``keys`` (a sync's 100,000
        entries the library holds as they are; see :class:`_Unchanged`)."""
        made: list[Any] = [_Unchanged(key, what) for key in keys]
        become(made, Change)
        self.changes.extend(made)

    def summary(self) -> str:
        tally = Counter((c.kind, c.what) for c in self.changes)  # one pass, not nine
        parts = []
        for what in ("annotation", "metadata", "addition"):
            counts = [
                f"{tally[kind, what]} {kind}"
                for kind in ("added", "updated", "unchanged")
                if tally[kind, what]
            ]
            if counts:
                noun = {
                    "annotation": "annotations",
                    "metadata": "metadata",
                    "addition": "additions",
                }
                parts.append(f"{noun[what]}: {', '.join(counts)}")
        return "; ".join(parts) if parts else "nothing to import"


# reading and validating ----------------------------------------------------------------------


def read_export(path: str | Path) -> ExportData:
    """Read and validate the export at ``path``; ``ImportFileError`` for any problem."""
    return parse_export(read_import_file(path), str(fileio.expand_user(path)))


def read_import_file(path: str | Path) -> bytes:
    """The bytes of a file to import (an export, a .bib, CSL-JSON): a regular file only, at
    most ``MAX_IMPORT_BYTES``; ``ImportFileError`` naming the path otherwise."""
    path = fileio.expand_user(path)
    try:
        # A regular file only (a FIFO would wait for a writer forever); read bounded anyway.
        with fileio.open_regular(path) as handle:
            raw = handle.read(MAX_IMPORT_BYTES + 1)
    except IsADirectoryError:
        raise ImportFileError(f"{path}: is a folder, not an export file") from None
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"{path}: too large for an export (over {MAX_IMPORT_BYTES:,} bytes)")
    return raw


def parse_export(
    raw: bytes | str, source: str = "<export>", library: Library | None = None
) -> ExportData:
    """Validate an export's text; every problem names ``source`` and where it is
    (``library``: the library it will be merged into, see :func:`export_from_data`)."""
    if isinstance(raw, bytes) and len(raw) >= PARALLEL_BYTES:
        if library is not None:
            parsed = _parse_in_pieces(raw, source, library)
            if parsed is not None:
                return parsed
        if parallel.processes() > 1:
            parsed = _parse_on_two_cores(raw, source, library)
            if parsed is not None:
                return parsed
    return export_from_data(load_json(raw, source), source, checked=True, library=library)


# A file laid out as ``export --format json`` writes it (JSON indented by two spaces, as
# ``json.dumps(…, indent=2)`` writes it too): its entries are the objects at the fourth
# column of the "entries" array, one after the other.
_ENTRIES_START = b'\n  "entries": [\n'
_ENTRIES_END = b"\n  ]"
_BETWEEN = b"\n    },\n    {\n"  # the end of one entry and the start of the next


class _NotWhole(Exception):
    """A piece of :func:`_entries_apart` that is not one JSON value: the file is read whole."""


def _entries_apart(raw: bytes) -> tuple[dict[str, Any], list[memoryview]] | None:
    """The file's object with an empty "entries" array (``head``) and the bytes of each of
    its entries, as they lie in ``raw``, when it is laid out as an export writes it; None
    otherwise (the file is read whole).

    The place of each entry is found by its layout only, but what comes out is what the
    whole file's JSON is: ``head`` is parsed here and each piece when it is read
    (:func:`_items`), and the pieces are exactly what lies between the array's brackets,
    split at commas. When ``head`` is one JSON object holding ``"entries"`` once, and every
    piece one JSON value, the whole file is that object with those values as its entries
    (a split inside a string, or inside an entry of another layout, leaves a piece that is
    not one value: :class:`_NotWhole`; a piece is read at the depth it has in the file:
    :func:`_loads_deep`)."""
    at = raw.find(_ENTRIES_START)
    if at < 0:
        return None
    start = at + len(_ENTRIES_START)
    end = raw.find(_ENTRIES_END, start)
    if end < 0:
        return None
    skeleton = raw[:start] + raw[end:]
    try:
        head = orjson.loads(skeleton)
    except orjson.JSONDecodeError:
        return None
    if type(head) is not dict or head.get("entries") != [] or _entries_keys(skeleton) != 1:
        return None
    view, pieces, find = memoryview(raw), [], raw.find
    close, comma = len(b"\n    }"), len(b"\n    },")
    here = start
    while (between := find(_BETWEEN, here, end)) >= 0:
        pieces.append(view[here : between + close])  # through the entry's "}"
        here = between + comma
    pieces.append(view[here:end])
    return head, pieces


def _entries_keys(skeleton: bytes) -> int | None:
    """How many members named "entries" the JSON text has, in any object, however the name
    is spelt (``"entri\\u0065s"`` is one too); None when ``json`` cannot read it. One: the
    member split at (a name that starts a line is no string's inside) is the file's own."""
    found = 0

    def count(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        found += sum(1 for name, _ in pairs if name == "entries")
        return {}

    try:
        json.loads(skeleton, object_pairs_hook=count)
    except (ValueError, RecursionError):
        return None
    return found


def _parse_in_pieces(raw: bytes, source: str, library: Library) -> ExportData | None:
    """:func:`parse_export` against ``library`` of a big file laid out as an export writes
    it (:func:`_entries_apart`): each entry parsed as it is compared with the library's
    documents, and those equal to them (most of a backup imported again) kept as their
    bytes, not as the objects of the whole file at once (440 MB at 100,000 entries, whose
    pages were a third of the import's time). None when the file is not so laid out, a
    piece is not one value, it has a long number (see :func:`load_json`) or it is not a
    valid export: then it is read whole, with the same outcome as ever (and the message
    that reading names)."""
    apart = _entries_apart(raw)
    if apart is None:
        return None
    head, pieces = apart

    def make() -> ExportData | None:
        try:
            return export_from_data(
                {**head, "entries": pieces}, source, checked=True, library=library
            )
        except (ImportFileError, _NotWhole):
            return None

    return beside_scan(raw, make)


def _parse_on_two_cores(raw: bytes, source: str, library: Library | None) -> ExportData | None:
    """:func:`parse_export` of a big file: read by orjson and checked here while a child
    looks for the long numbers that would make :func:`load_json` read it with ``json``
    (0.2-0.3 s of 100 MB). None when the file has one, or orjson refuses it: then
    ``parse_export`` reads it one step after the other, with the same outcome as ever."""
    return loads_beside_scan(
        raw, lambda data: export_from_data(data, source, checked=True, library=library)
    )


def loads_beside_scan(raw: bytes, then: Callable[[Any], T]) -> T | None:
    """``then(orjson.loads(raw))``, made here while a child runs :func:`has_long_number`
    over ``raw`` (the 0.2-0.3 s of 100 MB; the child reads only the bytes, which neither
    process writes: one that worked on the parsed data would make both copy most of its
    pages, as Python writes reference counts). None when orjson refuses ``raw`` or it has
    a long number: then the caller reads it as :func:`load_json` does. An
    ``ImportFileError`` of ``then`` is raised only when ``raw`` has no long number (with
    one, ``json`` reads other values, which ``then`` is not given)."""

    def make() -> tuple[T | None, ImportFileError | None] | None:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        try:
            return then(data), None
        except ImportFileError as exc:
            return None, exc

    made = beside_scan(raw, make)
    if made is None:
        return None
    result, error = made
    if error is not None:
        raise error
    return result


def beside_scan(raw: bytes, make: Callable[[], T | None]) -> T | None:
    """``make()``, run here while a child looks for a long number in ``raw``
    (:func:`has_long_number`; one after the other where no child may be made); None when
    ``make`` gives None or ``raw`` has one."""

    def job(here: bool) -> Any:
        return make() if here else has_long_number(raw)

    made, long = parallel.map_parts(job, [True, False])
    return None if long else made  # type: ignore[no-any-return]


# 19 digits in a row: maybe an integer orjson would read as a float where ``json`` keeps it
# whole (and the store then refuses it); such a file takes the slow path, which names it.
_DIGITS_AS_ZERO = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_CHUNK = 1 << 20


def has_long_number(raw: bytes) -> bool:
    """True when ``raw`` holds 19 digits in a row (a 1 MB chunk at a time: 10x a regex):
    then :func:`load_json` reads it with ``json``, not orjson."""
    run = b"0" * 19
    for start in range(0, len(raw), _CHUNK):
        if run in raw[start : start + _CHUNK + 18].translate(_DIGITS_AS_ZERO):
            return True
    return False


def load_json(raw: bytes | str, source: str = "<export>") -> Any:
    """The JSON value of a file to import: ``json``'s rules (no NaN or Infinity, a BOM
    allowed) and only values the store can write; ``ImportFileError`` naming ``source``.

    orjson reads it when it can (4-5x faster: a 100,000-entry export is ~100 MB); whatever
    orjson refuses, and numbers it would read differently, go through ``json``, whose
    messages say where the problem is."""
    if isinstance(raw, bytes) and not has_long_number(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the slow path below accepts or names the problem as it always did
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{source}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
            ) from None
    else:
        text = raw
    try:
        data = json.loads(text, parse_constant=_no_constant)
        orjson.dumps(data)  # what the store will write: no lone surrogates, no huge numbers
    except TypeError as exc:
        raise ImportFileError(f"{source}: holds a value that cannot be stored ({exc})") from None
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise ImportFileError(f"{source}: not valid JSON ({exc})") from None
        raise ImportFileError(
            f"{source}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise ImportFileError(f"{source}: not an rlhf-reader export (nested too deeply)") from None
    return data


def export_from_data(
    data: Any, source: str, *, checked: bool = False, library: Library | None = None
) -> ExportData:
    """Validate a JSON value as an export (``checked``: it came from :func:`load_json`, so
    the store can write every value in it).

    ``library``: the library it will be merged into. An entry whose every record equals the
    library's own document for its key (the annotation; the arXiv record and the addition
    when it has them) is ``held``: taken as the library holds it, unchecked — the store
    checked that document when it read it, and merged with itself it stays as it is — and
    no item is made of it (:func:`plan_for` counts it unchanged). Most entries of a sync or
    a re-import are such entries (100,000 of 100,000 when nothing changed), and checking
    them and making their items was most of reading the file."""
    if not checked:
        try:
            orjson.dumps(data)
        except TypeError as exc:
            raise ImportFileError(
                f"{source}: holds a value that cannot be stored ({exc})"
            ) from None

    def fail(where: str, problem: str) -> ImportFileError:
        return ImportFileError(f"{source}: {where}: {problem}")

    if not isinstance(data, dict):
        raise ImportFileError(f"{source}: not an rlhf-reader export (expected a JSON object)")
    if data.get("format") != JSON_FORMAT:
        raise fail(
            "format", f"expected {JSON_FORMAT!r}, found {data.get('format')!r} "
            "(make the file with 'rlhf-reader export --format json')"
        )  # fmt: skip
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail("version", f"expected a positive integer, found {version!r}")
    if version > JSON_VERSION:
        raise fail(
            "version", f"{version} is newer than this rlhf-reader reads ({JSON_VERSION}); "
            "update rlhf-reader"
        )  # fmt: skip
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise fail("entries", f"expected a list, found {_kind(entries)}")
    documents = _documents_of(library) if library is not None else None
    items, held = _items(entries, fail, documents[1] if documents is not None else None)
    exported_at = data.get("exported_at")
    return ExportData(
        source=source,
        version=version,
        exported_at=exported_at if isinstance(exported_at, str) else "",
        items=tuple(items),
        held=held,
        held_in=_read_of(library) if library is not None else None,
        against=documents,
    )


class _Held(dict):  # type: ignore[type-arg]
    """The held entries (key → place in the file, record or its bytes), and the keys of
    those with an arXiv record or an addition, noted as they were held: :func:`plan_for`
    counts those unchanged too, without a pass over 100,000 records for each."""

    __slots__ = ("with_addition", "with_metadata")

    def __init__(self) -> None:
        super().__init__()
        self.with_metadata: list[str] = []
        self.with_addition: list[str] = []


def _items(
    entries: list[Any], fail: Any, library: _Documents | None, at: list[int] | None = None
) -> tuple[list[ImportItem], dict[str, tuple[int, dict[str, Any] | memoryview]]]:
    """The checked items of ``entries`` (``at``: their places in the file, when not
    0, 1, 2…) and, with the ``library``'s documents, the entries whose every record equals
    its document for the key (an annotation at least): held as they are, not checked.
    An entry may be its bytes in the file (:func:`_entries_apart`): parsed here (a piece
    that is not one JSON value raises :class:`_NotWhole`), and held as those bytes."""
    items: list[Any] = []
    made: list[_Item] = []
    seen: set[str] = set()
    held = _Held()
    with_metadata, with_addition = held.with_metadata, held.with_addition
    nothing: Mapping[str, Any] = {}
    docs, metadata, additions = library or (nothing, nothing, nothing)
    loads = orjson.loads
    for index, record in enumerate(entries):
        if at is not None:
            index = at[index]
        piece = None
        if type(record) is memoryview:  # an entry's bytes (_entries_apart): parsed now
            piece = record
            try:
                record = loads(piece) if len(piece) < _DEEP_BYTES else _loads_deep(piece)
            except orjson.JSONDecodeError:
                raise _NotWhole from None
        # Most entries are well formed: checked on a fast path that names no place; anything
        # else goes through the checks that name the place and the value (_entry).
        item: Any = None
        if type(record) is dict:
            get = record.get
            key, value = get("key"), get("annotation")
            if (
                type(key) is str
                and value is not None
                and value == docs.get(key)
                and key not in seen
                and ((meta := get("metadata")) is None or meta == metadata.get(key))
                and ((addition := get("addition")) is None or addition == additions.get(key))
            ):
                held[key] = (index, record if piece is None else piece)
                seen.add(key)
                if meta is not None:
                    with_metadata.append(key)
                if addition is not None:
                    with_addition.append(key)
                continue
            item = _plain_entry(record, seen)
        if item is None:
            item = _entry(record, f"entries[{index}]", seen, fail)
        else:
            made.append(item)
        seen.add(item.key)
        items.append(item)
    # The fast path's stand-ins become what they stand for (see _Item).
    become([item.annotation for item in made if type(item.annotation) is _Annotation], Annotation)
    become(made, ImportItem)
    return items, held


_DEEP_BYTES = 2_000
"""An entry's bytes shorter than this cannot nest deeper than orjson reads (1,023 levels,
the two above every entry in the file included): :func:`_loads_deep` for longer ones."""


def _loads_deep(piece: memoryview) -> Any:
    """An entry's value, read at the depth it has in the file (inside the file's object
    and its array): one orjson refuses there is refused here too (then the file is read
    whole, and refused as it always was). :class:`_NotWhole` when the piece is not one
    value (two, none, or the brackets closed and opened again inside it)."""
    outer = orjson.loads(b"[[" + piece.tobytes() + b"]]")
    if len(outer) != 1 or len(outer[0]) != 1:
        raise _NotWhole
    return outer[0][0]


def _record_of(held: dict[str, Any] | memoryview) -> dict[str, Any]:
    """A held entry's record, parsed again when it was held as its bytes."""
    return orjson.loads(held) if type(held) is memoryview else held  # type: ignore[no-any-return]


def _read_of(library: Library) -> tuple[int, int]:
    """Which read of which library: its documents are the same while this is."""
    return (id(library), library.generation)


def _documents_of(library: Library) -> tuple[tuple[int, int, str | None], _Documents]:
    """The library's documents (:func:`_documents`) and which state of it they are: its
    read, and the fingerprint of its bytes (a write of this process changes it; None:
    unknown, never taken as the same)."""
    return (*_read_of(library), library.known_content), _documents(library)


def _documents_now(data: ExportData, library: Library) -> _Documents:
    """The library's documents: those ``data`` was compared with when the library is
    still what they were made of (a plan right after the reading: 0.1-0.15 s less at
    100,000 annotations), else made again."""
    against = data.against
    if against is not None and against[0][2] is not None:
        state, documents = against
        if state == (*_read_of(library), library.known_content):
            return documents
    return _documents(library)


def _entry(record: object, where: str, seen: set[str], fail: Any) -> ImportItem:
    """One entry of the file, checked; ``fail`` names ``where`` and the value otherwise."""
    if not isinstance(record, dict):
        raise fail(where, f"expected an object, found {_kind(record)}")
    key = record.get("key")
    if not isinstance(key, str) or not key.strip():
        raise fail(f"{where}.key", f"expected a non-empty string, found {key!r}")
    if key in seen:
        raise fail(f"{where}.key", f"{key!r} appears twice")
    value = record.get("annotation")
    annotation = _annotation(value, key, f"{where}.annotation", fail)
    return ImportItem(
        key=key,
        annotation=annotation,
        metadata=_metadata(record.get("metadata"), key, f"{where}.metadata", fail),
        addition=_record(record.get("addition"), key, f"{where}.addition", fail),
        stored_form=_stored_form(value, annotation),
    )


_Documents = tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]


def _documents(library: Library) -> _Documents:
    """The library's annotations, arXiv records and additions by key, for the entries of a
    file that equal them (:func:`_items`)."""
    return (
        library.documents("annotations"),
        library.documents("metadata"),
        library.documents("additions"),
    )


class _Item:
    """An :class:`ImportItem` made by plain stores (``reclass``): a frozen dataclass's
    ``__init__`` was a third of checking 100,000 plain entries."""

    __slots__ = ImportItem.__slots__

    def __init__(
        self,
        key: str,
        annotation: Any,
        metadata: dict[str, Any] | None,
        addition: dict[str, Any] | None,
        stored_form: Mapping[str, Any] | None,
    ) -> None:
        self.key = key
        self.annotation = annotation
        self.metadata = metadata
        self.addition = addition
        self.stored_form = stored_form


class _Annotation:
    """An :class:`Annotation` made by plain stores, as :class:`_Item`."""

    __slots__ = Annotation.__slots__

    def __init__(
        self,
        key: str,
        status: Status,
        tags: tuple[str, ...],
        note: str,
        created: str,
        updated: str,
        read_at: str | None,
    ) -> None:
        self.key = key
        self.status = status
        self.tags = tags
        self.note = note
        self.created = created
        self.updated = updated
        self.read_at = read_at


def _plain_entry(record: dict[str, Any], seen: set[str]) -> _Item | None:
    """:func:`_entry` of a well-formed entry without building the messages it would need
    for a bad one; None when any part is not plainly valid (then ``_entry`` decides)."""
    get = record.get
    key = get("key")
    if type(key) is not str or key in seen or not key.strip():
        return None
    value = get("annotation")
    annotation: _Annotation | None = None
    if value is not None:
        if type(value) is not dict:
            return None
        annotation = _plain_annotation(value, key)
        if annotation is None:
            return None
    metadata = get("metadata")
    if metadata is not None:
        if type(metadata) is not dict or metadata.get("key", key) != key:
            return None
        metadata = {**metadata, "key": key}
        if metadata_problem(metadata):
            return None
    addition = get("addition")
    if addition is not None:
        if type(addition) is not dict or addition.get("key", key) != key:
            return None
        addition = {**addition, "key": key}
    # As _stored_form: the object itself when its tags are the store's (clean, each once).
    if value is not None and annotation is not None:
        plain = tuple(value.get("tags", ())) == annotation.tags
        return _Item(key, annotation, metadata, addition, value if plain else None)
    return _Item(key, annotation, metadata, addition, None)


def _stored_form(value: object, annotation: Annotation | None) -> Mapping[str, Any] | None:
    """``value``, the checked ``annotation``'s object, when its tags are what the store
    keeps (clean, each once): then it equals the library's document only when the library
    holds this very annotation."""
    if annotation is None or not isinstance(value, dict):
        return None
    return value if tuple(value.get("tags", ())) == annotation.tags else None


# Each distinct tuple of tags in a file → its clean tags, each once (None: not valid); an
# export repeats the same few combinations thousands of times.
_CLEAN_TAGS: dict[tuple[Any, ...], tuple[str, ...] | None] = {}
_NOTE_CHARS = MAX_NOTE_BYTES // 4  # UTF-8 takes at most 4 bytes a character


def _clean_tags(tags: tuple[Any, ...]) -> tuple[str, ...] | None:
    if tags in _CLEAN_TAGS:
        return _CLEAN_TAGS[tags]
    clean: tuple[str, ...] | None
    try:
        clean = tuple(dict.fromkeys(_normal_tag(t) if type(t) is str else _no_tag() for t in tags))
    except ValueError:
        clean = None
    if len(_CLEAN_TAGS) >= 4096:
        _CLEAN_TAGS.clear()
    _CLEAN_TAGS[tags] = clean
    return clean


def _no_tag() -> str:
    raise ValueError("not a string")


def _plain_annotation(value: dict[str, Any], key: str) -> _Annotation | None:
    """:func:`_annotation` of an annotation object written as the export writes it (or
    valid in any other way these checks see at once); None when anything is not plainly
    valid — then ``_annotation`` decides, and names the problem."""
    get = value.get
    if get("key", key) != key:
        return None
    status = get("status", "unread")
    tags = get("tags", [])
    note = get("note", "")
    if type(status) is not str or type(tags) is not list or type(note) is not str:
        return None
    try:
        parsed = _STATUSES.get(status)
        listed = tuple(tags)
        clean = _CLEAN_TAGS[listed] if listed in _CLEAN_TAGS else _clean_tags(listed)
        created, updated, read_at = get("created"), get("updated"), get("read_at")
        valid = _VALID_TIMES  # (None and "" too: no time)
        if not (created in valid and updated in valid and read_at in valid):
            for stamp in (created, updated, read_at):
                if stamp not in valid and (type(stamp) is not str or not _is_time(stamp)):
                    return None
    except TypeError:  # an unhashable tag or stamp (a list, an object)
        return None
    if parsed is None or clean is None or len(note) > _NOTE_CHARS:
        return None
    return _Annotation(key, parsed, clean, note, created or "", updated or "", read_at or None)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


_STATUSES = {status.value: status for status in Status}


def _annotation(value: object, key: str, where: str, fail: Any) -> Annotation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(where, f"expected an object or null, found {_kind(value)}")
    if value.get("key", key) != key:
        raise fail(f"{where}.key", f"{value.get('key')!r} does not match the entry key {key!r}")
    status = value.get("status", "unread")
    if not isinstance(status, str):
        raise fail(f"{where}.status", f"expected a string, found {_kind(status)}")
    parsed_status = _STATUSES.get(status)
    if parsed_status is None:  # not written as the export writes it: " Read", "READING"…
        try:
            parsed_status = Status.parse(status)
        except ValueError as exc:
            raise fail(f"{where}.status", str(exc)) from None
    tags = value.get("tags", [])
    if not isinstance(tags, list):
        raise fail(f"{where}.tags", f"expected a list, found {_kind(tags)}")
    clean_tags = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise fail(f"{where}.tags[{i}]", f"expected a string, found {_kind(tag)}")
        try:
            clean_tags.append(_normal_tag(tag))
        except ValueError as exc:
            raise fail(f"{where}.tags[{i}]", str(exc)) from None
    note = value.get("note", "")
    if not isinstance(note, str):
        raise fail(f"{where}.note", f"expected a string, found {_kind(note)}")
    try:
        validate_note(note)
    except ValueError as exc:
        raise fail(f"{where}.note", str(exc)) from None
    stamps: dict[str, str] = {}
    for name in ("created", "updated", "read_at"):
        stamp = value.get(name)
        if stamp in (None, ""):  # unknown: the oldest possible time
            stamps[name] = ""
            continue
        if not isinstance(stamp, str) or _parse_time(stamp) is None:
            raise fail(f"{where}.{name}", f"expected an ISO 8601 time, found {stamp!r}")
        stamps[name] = stamp
    return Annotation(
        key=key,
        status=parsed_status,
        tags=tuple(dict.fromkeys(clean_tags)),
        note=note,
        created=stamps["created"],
        updated=stamps["updated"],
        read_at=stamps["read_at"] or None,
    )


def _record(value: object, key: str, where: str, fail: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(where, f"expected an object or null, found {_kind(value)}")
    if value.get("key", key) != key:
        raise fail(f"{where}.key", f"{value.get('key')!r} does not match the entry key {key!r}")
    return {**value, "key": key}


def _metadata(value: object, key: str, where: str, fail: Any) -> dict[str, Any] | None:
    record = _record(value, key, where, fail)
    problem = metadata_problem(record) if record is not None else None
    if problem:
        raise fail(where, problem)
    return record


# An export repeats the same few tags thousands of times; an error is not cached (it raises).
_normal_tag = functools.lru_cache(maxsize=4096)(normalize_tag)


@functools.lru_cache(maxsize=65_536)  # a merge compares each stamp several times
def _parse_time(text: str) -> datetime | None:
    """An aware UTC time; None when ``text`` is not ISO 8601 or falls outside years 1–9999
    in UTC (``0001-01-01T00:00+01:00``: comparing it would overflow)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


_VALID_TIMES: set[str | None] = {None, ""}  # "" and None: no time (the oldest)


def _is_time(text: str) -> bool:
    """``_parse_time(text) is not None``, remembered: an import checks every stamp of the
    file (300,000 at 100,000 entries, many alike) but compares only those that differ."""
    if text in _VALID_TIMES:
        return True
    if _parse_time.__wrapped__(text) is None:  # (not filling the cache of compared times)
        return False
    if len(_VALID_TIMES) >= 1_000_000:
        _VALID_TIMES.clear()
        _VALID_TIMES.update((None, ""))
    _VALID_TIMES.add(text)
    return True


_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)


def _time(text: str | None) -> datetime:
    return (_parse_time(text) if text else None) or _EPOCH


# merging -----------------------------------------------------------------------------------


# Between two notes kept by a sync, newer first (see merge_annotation).
SYNC_NOTE_MARKER = "--- kept from another machine (sync) ---"


def merge_notes(newer: str, older: str) -> str:
    """Both notes, so that no text is lost, the same way whichever side runs it: a note that
    already holds the other one wins; else both, the newer first, with a marker between."""
    if older.strip() in newer or not older.strip():
        return newer
    if newer.strip() in older or not newer.strip():
        return older
    return f"{newer.rstrip()}\n\n{SYNC_NOTE_MARKER}\n\n{older.lstrip()}"


def merge_annotation(
    local: Annotation | None, incoming: Annotation, *, keep_notes: bool = False
) -> tuple[Annotation, list[str]]:
    """The merged annotation and the names of the fields that differ from ``local``.

    With ``keep_notes`` (sync), the note of the older side is not dropped: an empty note
    never replaces a written one, and two different notes are both kept (:func:`merge_notes`).
    """
    if local is None:
        return incoming, list(ANNOTATION_FIELDS)
    if local == incoming and len(set(local.tags)) == len(local.tags):
        return local, []  # the same record (most of a sync or a re-import): nothing to merge
    newer = incoming if _time(incoming.updated) > _time(local.updated) else local
    older = local if newer is incoming else incoming
    tags = tuple(dict.fromkeys((*local.tags, *incoming.tags)))
    created_candidates = [c for c in (local.created, incoming.created) if c]
    created = min(created_candidates, key=_time) if created_candidates else ""
    merged = Annotation(
        key=local.key,
        status=newer.status,
        tags=tags,
        note=merge_notes(newer.note, older.note) if keep_notes else newer.note,
        created=created,
        updated=max(local.updated, incoming.updated, key=_time),
        read_at=newer.read_at,
    )
    changed = [name for name in ANNOTATION_FIELDS if getattr(merged, name) != getattr(local, name)]
    return merged, changed


def plan(
    data: ExportData,
    annotations: Mapping[str, Annotation],
    metadata: Mapping[str, Mapping[str, Any]],
    additions: Mapping[str, Mapping[str, Any]],
    *,
    keep_notes: bool = False,
    same: frozenset[str] | set[str] = frozenset(),
) -> MergeReport:
    """What importing ``data`` into a library holding these records would change
    (``keep_notes``: see :func:`merge_annotation`; ``same``: keys whose annotation is known
    to be the library's, which ``annotations`` need not hold)."""
    report = MergeReport()
    unchanged: list[Any] = []  # stand-ins, made Change objects at the end (see _Unchanged)
    for item in data.items:
        if item.annotation is not None and item.key in same:
            change: Any = _Unchanged(item.key)
            unchanged.append(change)
            report.changes.append(change)
        elif item.annotation is not None:
            local = annotations.get(item.key)
            merged, fields = merge_annotation(local, item.annotation, keep_notes=keep_notes)
            if local is None:
                report.changes.append(Change(item.key, "annotation", "added"))
                report.annotations.append(merged)
            elif fields:
                report.changes.append(Change(item.key, "annotation", "updated", tuple(fields)))
                report.annotations.append(merged)
            else:
                report.changes.append(Change(item.key, "annotation", "unchanged"))
        if item.metadata is not None:
            have = metadata.get(item.key)
            if have is None:
                report.changes.append(Change(item.key, "metadata", "added"))
                report.metadata[item.key] = item.metadata
            elif _time(item.metadata.get("fetched_at")) > _time(have.get("fetched_at")):
                differ = tuple(
                    sorted(k for k in item.metadata if item.metadata.get(k) != have.get(k))
                )
                report.changes.append(Change(item.key, "metadata", "updated", differ))
                report.metadata[item.key] = item.metadata
            else:
                report.changes.append(Change(item.key, "metadata", "unchanged"))
        if item.addition is not None:
            if item.key in additions:
                report.changes.append(Change(item.key, "addition", "unchanged"))
            else:
                report.changes.append(Change(item.key, "addition", "added"))
                report.additions.append(item.addition)
    become(unchanged, Change)
    return report


class _Unchanged:
    """``Change(key, "annotation", "unchanged")`` made by plain stores (``reclass``): the
    frozen dataclass's ``__init__`` was most of planning a re-import of 100,000 entries."""

    __slots__ = Change.__slots__

    def __init__(self, key: str, what: str = "annotation") -> None:
        self.key = key
        self.what = what
        self.kind = "unchanged"
        self.fields = ()


def plan_for(data: ExportData, library: Library | None, *, keep_notes: bool = False) -> MergeReport:
    """``plan`` against ``library`` (``None``: an empty library, for a dry run on no file).

    The entries ``data`` holds as the library held them (``ExportData.held``) are unchanged
    — when the library was re-read since (another process's write), those that no longer
    equal its documents are checked and merged as the others: then, and only then,
    ImportFileError when one is not a valid entry."""
    data = _held_now(data, library)
    if library is None:
        report = plan(data, {}, {}, {})
    else:
        report = _plan_items(data, library, keep_notes)
    held = data.held
    if held:
        report.add_unchanged(list(held), "annotation")
        for what in ("metadata", "addition"):
            keys = getattr(held, f"with_{what}", None)  # (noted as they were held: _Held)
            if keys is None:
                keys = [k for k, (_, r) in held.items() if _record_of(r).get(what) is not None]
            report.add_unchanged(keys, what)
    return report


def _held_now(data: ExportData, library: Library | None) -> ExportData:
    """``data`` with its held entries those the library holds as it is now: the others
    made items (checked: ImportFileError)."""
    if not data.held or (library is not None and data.held_in == _read_of(library)):
        return data
    records = [record for _index, record in data.held.values()]
    places = [index for index, _record in data.held.values()]

    def fail(where: str, problem: str) -> ImportFileError:
        return ImportFileError(f"{data.source}: {where}: {problem}")

    now = _documents(library) if library is not None else None
    items, held = _items(records, fail, now, places)
    return dataclasses.replace(data, items=(*data.items, *items), held=held)


def _plan_items(data: ExportData, library: Library, keep_notes: bool) -> MergeReport:
    """:func:`plan` of ``data``'s items against ``library``."""
    # Compared as stored: an entry whose annotation object is the library's document is
    # unchanged, without an Annotation made of either (a re-import or a sync of 100,000
    # entries, most of them equal); only the others are merged field by field.
    stored, metadata, additions = _documents_now(data, library)
    same = set()
    others = []
    for item in data.items:
        if item.annotation is not None:
            form = item.stored_form
            if form is not None and stored.get(item.key) == form:
                same.add(item.key)
            else:
                others.append(item.key)
    return plan(
        data,
        annotations_of(stored, others) if others else {},
        metadata,  # only read: no copies of the arXiv cache
        additions,
        keep_notes=keep_notes,
        same=same,
    )


def apply(report: MergeReport, library: Library) -> None:
    """Write what ``report`` planned, with the store's public API only: in one write of the
    library file (``Library.batch``), not one for the annotations, one for the arXiv cache
    and one for each addition — nothing is written if one of them is refused."""
    if not report.changed:
        return
    with library.batch():
        if report.annotations:
            library.put_annotations(report.annotations)
        if report.metadata:
            library.put_metadata(report.metadata)
        for addition in report.additions:
            library.put_addition(addition)


def apply_beside(
    report: MergeReport, library: Library, other: Callable[[], T], *, size: int
) -> tuple[T | None]:
    """:func:`apply`, and ``other()`` in a child meanwhile when two cores may be used and
    ``size`` (the entries of the import) is at least ``PARALLEL_ENTRIES``: ``(its result,)``
    — the result must be what ``marshal`` keeps — or ``(None,)`` when it was not run (the
    caller then does that work itself, after). At 100,000 entries the write of the library
    and, say, the list's titles for the report take 0.7 and 0.4 s, one beside the other."""
    if not report.changed or size < PARALLEL_ENTRIES or parallel.processes() < 2:
        apply(report, library)
        return (None,)

    def job(here: bool) -> T | None:
        if here:
            apply(report, library)
            return None
        return other()

    return (parallel.map_parts(job, [True, False])[1],)
