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

_FORMAT = 1
_TAG = f"rlhf-reader-tables {_FORMAT} marshal-{marshal.version} {sys.implementation.cache_tag}"


def path_for(record: Path) -> Path:
    """The snapshot beside the verdict file ``record`` (``store._checked_record``)."""
    return record.with_name(record.name + ".tables")


def _header(fingerprint: str, payload: bytes | memoryview) -> bytes:
    digest = hashlib.sha256(payload).hexdigest()
    return f"{_TAG}\t{fingerprint}\t{digest}\n".encode("ascii")


def load(path: Path, fingerprint: str, tables: tuple[str, ...]) -> dict[str, Any] | None:
    """The tables of the library whose bytes have ``fingerprint``, or None (no usable
    snapshot). ``tables``: the names every library has."""
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
        if type(found) is not dict or any(type(found.get(name)) is not dict for name in tables):
            return None
        return found
    except Exception:  # unreadable, not ours, not this Python's: the JSON is read instead
        return None


def save(path: Path, fingerprint: str, tables: dict[str, Any]) -> None:
    """Write the snapshot of ``tables`` (the library's bytes have ``fingerprint``); silent
    when it cannot (a value ``marshal`` does not take, a folder that cannot be written)."""
    try:
        payload = marshal.dumps(tables)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        header = _header(fingerprint, payload)  # parts: no joined copy of 20 MB
        fileio.write_atomic(path, (header, payload), mode=0o600, durable=False)
    except Exception:  # only costs the next open its parse
        return
