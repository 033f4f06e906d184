"""A ``marshal`` copy of a library's checked tables, read instead of its JSON (issue 17).

Parsing a library of 100,000 annotations (28 MB of JSON) with orjson took ~0.4 s of every
command; ``marshal.loads`` of the same tables takes about half. A snapshot is a pure function
of the library's bytes: it is written only for bytes whose tables this process holds as
:func:`rlhf_reader.library.store.decode` made them (an open that checked the file) or as it
has just written them (a ``Library`` write, whose verdict is recorded the same way), and it is
used only when

* its first line names this snapshot format, this Python's ``marshal`` format and version,
  and the :func:`~rlhf_reader.library.store.fingerprint` of the library's bytes as they are
  read now (SHA-256 of the bytes, the schema version and the version of the checks) — a
  library edited by hand, damaged, replaced or written by another program has other bytes,
  so its JSON is parsed and checked as before, with the same errors;
* the SHA-256 of the rest of the snapshot is the one its first line records (a damaged or
  truncated snapshot is never unmarshalled), and what it holds has the tables' shape.

Anything else — no snapshot, another library's, an old one, a folder that cannot be written —
and the JSON is read: a snapshot only saves time. It lives in the user cache folder beside the
verdict of the same library (``checked/NAME.tables``, 0600, never beside the library), one per
library path, replaced at each write; only libraries of at least :data:`MIN_BYTES` get one
(smaller ones parse in a few milliseconds).

Each table is kept packed (:class:`Packed`): a tuple of each document's values, the field
names once per shape. ``marshal.loads`` of 100,000 seven-field dicts took 0.25-0.45 s, of the
same values as tuples 0.1-0.15 s; a command that only reads annotations (``list``,
``stats``, an export) makes them from the tuples and never builds the dicts, and any other
use builds a table's dicts when first asked for it (``SafeStorage.table``).
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from pathlib import Path
from typing import Any

from rlhf_reader.library import fileio

MIN_BYTES = 1_000_000
"""Libraries smaller than this are parsed every time (tests set it to 0)."""
# A library this big (~15,000 annotated papers) has its snapshot written by a process of its
# own (``parallel.detach``), on another core, while this one goes on: at 100,000 papers the
# write is 0.4 s of every command that changes the library.
DETACHED_BYTES = 4_000_000

_FORMAT = 2  # 2: tables packed (Packed)
_TAG = f"rlhf-reader-tables {_FORMAT} marshal-{marshal.version} {sys.implementation.cache_tag}"


def path_for(record: Path) -> Path:
    """The snapshot beside the verdict file ``record`` (``store._checked_record``)."""
    return record.with_name(record.name + ".tables")


def _header(fingerprint: str, payload: bytes | memoryview) -> bytes:
    digest = hashlib.sha256(payload).hexdigest()
    return f"{_TAG}\t{fingerprint}\t{digest}\n".encode("ascii")


class Packed:
    """One table as the snapshot keeps it: ``ids`` (document ids, in order), ``shapes``
    (the field names of the documents, each distinct tuple once), ``which`` (each document's
    shape, by index; None when all have the first) and ``rows`` (each document's values, in
    its shape's order). :meth:`docs` makes the table's dicts, equal to those packed."""

    __slots__ = ("_found", "ids", "rows", "shapes", "which")

    def __init__(self, stored: tuple[Any, ...]) -> None:
        shapes, ids, which, rows = stored
        if type(shapes) is not list or type(ids) is not list or type(rows) is not list:
            raise ValueError("not a packed table")
        if len(ids) != len(rows) or (which is not None and len(which) != len(rows)):
            raise ValueError("a packed table's columns disagree")
        if rows and not shapes:
            raise ValueError("a packed table without shapes")
        widths = [len(shape) for shape in shapes]
        if which is None:
            fits = not rows or set(map(len, rows)) == {widths[0]}
        else:
            fits = all(len(row) == widths[w] for w, row in zip(which, rows, strict=True))
        if not fits:  # (checked once here: the dicts are made without zip's strict check)
            raise ValueError("a packed document has more or fewer values than fields")
        self.shapes: list[tuple[str, ...]] = shapes
        self.ids: list[str] = ids
        self.which: list[int] | None = which
        self.rows: list[tuple[Any, ...]] = rows
        self._found: dict[str, dict[Any, int]] = {}  # field → value → its last row (find)

    def uniform(self, fields: tuple[str, ...]) -> bool:
        """Every document has exactly ``fields``, in this order (or there is none)."""
        return not self.rows or (self.which is None and self.shapes[0] == fields)

    def find(self, field: str, value: Any) -> dict[str, Any] | None:
        """The document whose ``field`` (a document's id field: a string) is ``value`` —
        the last, as a key → id index of the table has it — made alone; None when there is
        none (``show`` of one paper, ``cite`` of 60). The first call for a field indexes
        it (a dict of the table's values, not a dict per document)."""
        index = self._found.get(field)
        if index is None:
            index = self._found[field] = self._index(field)
        number = index.get(value)
        if number is None:
            return None
        shape = self.shapes[0 if self.which is None else self.which[number]]
        return dict(zip(shape, self.rows[number], strict=True))

    def _index(self, field: str) -> dict[Any, int]:
        at = [shape.index(field) if field in shape else -1 for shape in self.shapes]
        if self.which is None:
            if not self.rows or at[0] < 0:
                return {}
            place = at[0]
            return {row[place]: number for number, row in enumerate(self.rows)}
        index = {}
        for number, (shape, row) in enumerate(zip(self.which, self.rows, strict=True)):
            if at[shape] >= 0:
                index[row[at[shape]]] = number
        return index

    def docs(self) -> dict[str, dict[str, Any]]:
        """The table as ``SafeStorage`` holds it: document id → document."""
        if not self.rows:
            return {}
        if self.which is None:
            shape = self.shapes[0]
            made = [dict(zip(shape, row)) for row in self.rows]  # noqa: B905  (see __init__)
            return dict(zip(self.ids, made, strict=True))
        shapes = self.shapes
        return {
            i: dict(zip(shapes[w], row, strict=True))
            for i, w, row in zip(self.ids, self.which, self.rows, strict=True)
        }


def pack(table: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    """``table`` (document id → document) as :class:`Packed` stores it."""
    shapes: dict[tuple[str, ...], int] = {}
    which = [shapes.setdefault(tuple(doc), len(shapes)) for doc in table.values()]
    rows = [tuple(doc.values()) for doc in table.values()]
    return list(shapes), list(table), which if len(shapes) > 1 else None, rows


def load(path: Path, fingerprint: str, tables: tuple[str, ...]) -> dict[str, Packed] | None:
    """The tables of the library whose bytes have ``fingerprint`` (packed, in the file's
    order), or None (no usable snapshot). ``tables``: the names every library has."""
    try:
        with fileio.open_regular(path) as handle:  # (a FIFO in its place would block)
            data = handle.read()
        end = data.find(b"\n")
        if end < 0:
            return None
        tag, _, rest = data[:end].decode("ascii").partition("\t")
        recorded, _, digest = rest.partition("\t")
        if tag != _TAG or recorded != fingerprint:
            return None
        payload = memoryview(data)[end + 1 :]
        if hashlib.sha256(payload).hexdigest() != digest:
            return None  # damaged: never unmarshalled
        found = marshal.loads(payload)
        del payload
        if type(found) is not dict or any(type(found.get(name)) is not tuple for name in tables):
            return None
        return {name: Packed(stored) for name, stored in found.items()}
    except Exception:  # unreadable, not ours, not this Python's: the JSON is read instead
        return None


def save(path: Path, fingerprint: str, tables: dict[str, Any]) -> None:
    """Write the snapshot of ``tables`` (the library's bytes have ``fingerprint``); silent
    when it cannot (a value ``marshal`` does not take, a folder that cannot be written)."""
    try:
        payload = marshal.dumps({name: pack(table) for name, table in tables.items()})
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        header = _header(fingerprint, payload)  # parts: no joined copy of 20 MB
        fileio.write_atomic(path, (header, payload), mode=0o600, durable=False)
    except Exception:  # only costs the next open its parse
        return
