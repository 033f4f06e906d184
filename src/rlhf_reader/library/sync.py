"""Sync between machines without a server, through a folder that something else copies
(Syncthing, Dropbox, a git repository, a USB stick).

Each machine has a machine id, kept in its library (``meta`` setting ``machine_id``), and owns
one file in the folder: ``rlhf-reader-<machine id>.sync.json``, the lossless JSON export
(``export --format json``) plus a ``sync`` object with the machine id, the time and a SHA-256
of the entries. ``sync(folder)``:

1. reads every other machine's file and merges it with the import rules (``merge.plan``): per
   paper the newer ``updated`` wins status and read date, tags are merged, a note is never
   lost (two different notes are both kept, the newer first), arXiv metadata and additions
   the library lacks are added, nothing is deleted. Each file is merged under the library's
   lock, against the library as it is then;
2. writes its own file, atomically (a temp file ``.rlhf-reader-….tmp`` beside it, then a
   rename), so the others always find a whole file or the previous one.

Nothing is done twice: the library remembers the SHA-256 of the entries it last merged from
each file (``meta`` setting ``sync_merged``), and a file whose ``sync`` object — the end of
the file, read without the rest — names the same SHA-256 is not read again; its changes are
already in the library (merging them again would only bring back a tag or a note removed
here since). Nor is this machine's file rewritten when its entries are the same as the file
there already holds, so a sync tool has nothing to copy when nothing changed. That is
found without building the export when nothing it is made of changed: the caller gives a
fingerprint of what the export reads (the list file, the library's documents but the
``sync_merged`` setting), and a record in the user cache folder (``sync/``, one small file
per own file) remembers which entries SHA-256 the export of that fingerprint had; when the
own file still names it, the file is up to date. Any doubt (no record, another
fingerprint, a changed own file, a library re-read while the export was built) builds the
export and compares, as before.

A file that does not parse, or whose entries do not match its SHA-256 (half-written by a sync
tool, or cut short), is skipped with a message and never merged; the next sync takes it when
it is whole. Several machines — or several processes — may sync at once: each writes only its
own file, every write is a rename, and every merge is under the library's lock. Two rounds of
``sync`` on every machine make them all equal (the first round carries each machine's changes
into its file, the second brings them everywhere).

At 100,000 entries (a ~100 MB file) a second core helps where ``parallel`` allows one (not in
the TUI, not with ``RLHF_READER_PROCESSES=1``): this machine's file is made in parts, one per
process (:func:`built`), and a peer's file is scanned for long numbers by a child while it
is parsed and checked here. The bytes written and read are the same either way.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from rlhf_reader import parallel
from rlhf_reader.library import fileio
from rlhf_reader.library.fileio import expand_user
from rlhf_reader.library.merge import (
    ExportData,
    ImportFileError,
    MergeReport,
    apply,
    export_from_data,
    load_json,
    loads_beside_scan,
    plan_for,
)
from rlhf_reader.library.store import Library, LibraryError, now_iso

T = TypeVar("T")

PREFIX = "rlhf-reader-"
SUFFIX = ".sync.json"
MACHINE_SETTING = "machine_id"
MERGED_SETTING = "sync_merged"  # {file name: entries SHA-256 of the file as last merged}
_TAIL_BYTES = 4096  # the ``sync`` object at the end of a file, with room to spare
_MACHINE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")

# At 100,000 entries (a ~100 MB file) a peer's file is checked, and this machine's built,
# on two cores (``parallel``); smaller ones here, where a fork would cost more than it saves.
PARALLEL_BYTES = 4_000_000
"""A peer's file of at least this many bytes: its checksum in a child (tests lower it)."""
PARALLEL_ENTRIES = 4_000
"""An own export of at least this many entries: built in parts (tests lower it)."""


class SyncError(Exception):
    """The folder cannot be used; the message names it and why."""


class MachineIdNotSaved(Exception):
    """The machine id given to :func:`sync` could not be saved: ``error`` says why (the
    command reports it as it reports a setting it cannot save, not as a failed sync)."""

    def __init__(self, error: LibraryError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True)
class SyncReport:
    machine: str
    own_file: Path | None = None
    merged: list[tuple[Path, MergeReport]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)  # already merged as they are
    own_unchanged: bool = False  # this machine's file already held these entries


def machine_id(library: Library) -> str:
    """This library's machine id, made (host name and a random part) and saved on first use."""
    name, made = _machine(library)
    if made:
        library.set_meta(MACHINE_SETTING, name)
    return name


def _machine(library: Library) -> tuple[str, bool]:
    """This library's machine id, and whether it was made now (not saved yet)."""
    current = library.get_meta(MACHINE_SETTING)
    if isinstance(current, str) and _MACHINE_RE.match(current):
        return current, False
    host = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().lower()).strip("-")[:40] or "host"
    return f"{host}-{secrets.token_hex(3)}", True


def set_machine_id(library: Library, name: str) -> str:
    name = checked_machine_id(name)
    library.set_meta(MACHINE_SETTING, name)
    return name


def checked_machine_id(name: str) -> str:
    """``name`` as a machine id (stripped, lower case); SyncError when it cannot be one."""
    name = name.strip().lower()
    if not _MACHINE_RE.match(name):
        raise SyncError(
            f"machine id {name!r}: use 1-63 of a-z, 0-9, '.', '_', '-' (starting with a letter "
            "or digit)"
        )
    return name


def file_for(folder: Path, machine: str) -> Path:
    return folder / f"{PREFIX}{machine}{SUFFIX}"


def entries_digest(entries: object) -> str:
    """SHA-256 of the entries as orjson writes them with sorted keys (the same bytes on every
    machine for the same data)."""
    return hashlib.sha256(orjson.dumps(entries, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class BuiltExport:
    """An export whose entries were written in parts, on several cores (:func:`built`):
    the export's object without its entries (``head``), the entries' text in the sync file
    (``parts``, joined by ``",\n"``) and their :func:`entries_digest`."""

    head: dict[str, Any]
    parts: tuple[bytes | memoryview, ...]
    digest: str


def built(
    head: dict[str, Any], items: Sequence[T], record: Callable[[T], dict[str, Any]]
) -> dict[str, Any] | BuiltExport:
    """The export ``{**head, "entries": [record(item) for item in items]}`` — for many
    items a :class:`BuiltExport` instead, whose records are made and written in parts on
    the cores ``parallel`` allows: at 100,000 entries making and writing them is 1.2 s of
    a machine's first sync. :func:`sync_bytes` writes the same bytes either way."""
    count = parallel.processes()
    if count < 2 or len(items) < max(2, PARALLEL_ENTRIES):
        return {**head, "entries": [record(item) for item in items]}

    def job(part: Sequence[T]) -> tuple[bytes, bytes]:
        records = [record(item) for item in part]
        # The items as the file has them (an array at the depth of the file's "entries")
        # and as its digest has them (compact, keys sorted).
        pretty = orjson.dumps({"entries": records}, option=orjson.OPT_INDENT_2)
        compact = orjson.dumps(records, option=orjson.OPT_SORT_KEYS)
        return pretty[len(_PRETTY_START) : -len(_PRETTY_END)], compact[1:-1]

    # (the children's parts, 50 MB at 100,000 entries, come back through memfd files)
    texts = parallel.map_parts(job, parallel.split(items, count))
    digest = hashlib.sha256(b"[")
    for i, (_, compact) in enumerate(texts):
        if i:
            digest.update(b",")
        digest.update(compact)
    digest.update(b"]")
    return BuiltExport(dict(head), tuple(pretty for pretty, _ in texts), digest.hexdigest())


_ENTRIES_STAND_IN = b'"entries": [\n    0\n  ]'  # ``"entries": [0]`` indented, at its depth
_PRETTY_START, _PRETTY_END = b'{\n  "entries": [\n', b"\n  ]\n}"  # around a part's items


def sync_bytes(
    export: dict[str, Any] | BuiltExport, machine: str, digest: str | None = None
) -> bytes:
    """The export (the ``json`` export's object) with its ``sync`` object (machine, time,
    digest of the entries), indented so that a git folder diffs it line by line."""
    if isinstance(export, BuiltExport):
        data = {**export.head, "entries": [0], "sync": _marker(machine, export.digest)}
        framed = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        start, end = framed.split(_ENTRIES_STAND_IN)
        entries = b",\n".join(export.parts)
        return b"".join((start, b'"entries": [\n', entries, b"\n  ]", end, b"\n"))
    data = {**export, "sync": _marker(machine, digest or entries_digest(export.get("entries")))}
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def _marker(machine: str, digest: str) -> dict[str, str]:
    return {"machine": machine, "written_at": now_iso(), "entries_sha256": digest}


def read_sync_file(path: Path) -> tuple[ExportData, str, str]:
    """``(ExportData, machine, entries SHA-256)`` of a whole sync file; ImportFileError when
    it is not one."""
    try:
        with fileio.open_regular(path) as handle:
            raw = handle.read()
    except fileio.NotARegularFile as exc:
        raise ImportFileError(str(exc)) from None
    except OSError as exc:
        raise ImportFileError(f"cannot read: {exc.strerror or exc}") from None
    if len(raw) >= PARALLEL_BYTES and parallel.processes() > 1:
        read = _read_on_two_cores(raw, path)
        if read is not None:
            return read
    return _read(raw, path)


def _read(raw: bytes, path: Path) -> tuple[ExportData, str, str]:
    """:func:`read_sync_file` of the file's bytes, one step after the other."""
    try:
        data = load_json(raw, path.name)
    except ImportFileError as exc:
        raise ImportFileError(f"not whole JSON ({exc})") from None
    return _checked(data, path)


def _checked(data: Any, path: Path) -> tuple[ExportData, str, str]:
    """:func:`read_sync_file` of the file's parsed JSON ``data``."""
    marker = data.get("sync") if isinstance(data, dict) else None
    if not isinstance(marker, dict) or "entries_sha256" not in marker:
        raise ImportFileError("not an rlhf-reader sync file (no 'sync' object)")
    digest = entries_digest(data.get("entries"))
    if digest != marker["entries_sha256"]:
        raise ImportFileError("its entries do not match its checksum (written only in part)")
    export = export_from_data(data, str(path), checked=True)
    return export, str(marker.get("machine") or ""), digest


def _read_on_two_cores(raw: bytes, path: Path) -> tuple[ExportData, str, str] | None:
    """:func:`_read` of a big file whose JSON orjson reads, while a child looks for the long
    numbers that would make ``load_json`` read it with ``json`` (``loads_beside_scan``).
    None when the file has a long number, or orjson refuses it: then :func:`_read` reads
    it, with the same outcome as ever."""
    return loads_beside_scan(raw, lambda data: _checked(data, path))


def tail_digest(path: Path) -> str | None:
    """The entries SHA-256 that the file's ``sync`` object (always last) names, read from
    the end of the file only; None when it cannot be read there."""
    try:
        with fileio.open_regular(path) as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return None
    at = tail.rfind(b'"sync"')
    start = tail.find(b"{", at)
    end = tail.rfind(b"}")  # the file's own closing brace
    if at < 0 or start < 0 or end <= start:
        return None
    try:
        marker = orjson.loads(tail[start:end])
    except orjson.JSONDecodeError:
        return None
    digest = marker.get("entries_sha256") if isinstance(marker, dict) else None
    return digest if isinstance(digest, str) else None


def sync(
    folder: str | Path,
    library: Library,
    build_export: Callable[[], dict[str, Any] | BuiltExport],
    *,
    dry_run: bool = False,
    inputs: Callable[[], str | None] | None = None,
    machine: str | None = None,
) -> SyncReport:
    """Merge the other machines' files into ``library``, then write this machine's file
    (``build_export`` makes the JSON export's object of the library as it is after the
    merge, or its :func:`built` form; ``inputs`` fingerprints everything it reads, or gives
    None: see the module).

    ``machine``: the machine id to set (checked by :func:`checked_machine_id`). It is
    saved with the first merge, in the same write of the library (it was a write of its
    own: 0.5 s at 100,000 entries), or on its own when nothing is merged; a dry run saves
    it at once, as does a sync that fails (the library ends as it always did)."""
    folder = expand_user(folder)
    given = machine is not None
    if machine is not None and dry_run:
        _save_machine(library, machine, given)
    if not folder.is_dir():
        if machine is not None and not dry_run:
            _save_machine(library, machine, given)
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise SyncError(f"{folder}: {problem}")
    pending: str | None = None  # a machine id to save with the next write
    if dry_run:
        machine = library.get_meta(MACHINE_SETTING) or ""
    elif machine is None:
        machine, made = _machine(library)
        pending = machine if made else None
    else:
        pending = machine
    report = SyncReport(machine=str(machine))
    own = file_for(folder, str(machine)) if machine else None
    remembered = library.get_meta(MERGED_SETTING)
    merged_before: dict[str, str] = remembered if isinstance(remembered, dict) else {}
    try:
        for path in sorted(folder.glob(f"{PREFIX}*{SUFFIX}")):
            if path.name.startswith(".") or (own is not None and path.name == own.name):
                continue
            if path.name in merged_before and tail_digest(path) == merged_before[path.name]:
                report.unchanged.append(path)
                continue
            try:
                data, _their_machine, digest = read_sync_file(path)
            except ImportFileError as exc:
                report.skipped.append((path, str(exc)))
                continue
            if dry_run:
                report.merged.append((path, plan_for(data, library, keep_notes=True)))
                continue
            with library.exclusive():
                merged = plan_for(data, library, keep_notes=True)
                with library.batch():  # the merge and its record: one write of the library
                    if pending is not None:
                        _save_machine(library, pending, given)
                    apply(merged, library)
                    library.change_meta(MERGED_SETTING, _remember(path.name, digest))
                pending = None
            report.merged.append((path, merged))
    finally:
        if pending is not None:  # nothing merged (or a merge failed): saved on its own
            _save_machine(library, pending, given)
    if dry_run or own is None:
        return report
    before = inputs() if inputs is not None else None
    generation = library.generation
    known = _recorded(own) if before is not None else None
    on_disk = tail_digest(own)
    if known is not None and known == {"inputs": before, "entries_sha256": on_disk}:
        report.own_file, report.own_unchanged = own, True
        return report
    export = build_export()
    if isinstance(export, BuiltExport):
        digest = export.digest
    else:
        digest = entries_digest(export.get("entries"))
    # The record only when the export was made of what ``before`` names: the library not
    # re-read meanwhile (another process's write) and the fingerprint the same after.
    same = (
        inputs is not None
        and before is not None
        and library.generation == generation
        and inputs() == before
    )
    if tail_digest(own) == digest:  # (read again: the file as it is now)
        report.own_file, report.own_unchanged = own, True
    else:
        payload = sync_bytes(export, str(machine), digest)
        try:
            fileio.write_atomic(own, payload, mode=0o600)
        except OSError as exc:
            raise SyncError(f"{own}: cannot write: {exc.strerror or exc}") from None
        report.own_file = own
    if same:
        _record(own, {"inputs": before, "entries_sha256": digest})
    return report


def _save_machine(library: Library, name: str, given: bool) -> None:
    try:
        library.set_meta(MACHINE_SETTING, name)
    except LibraryError as exc:
        if given:
            raise MachineIdNotSaved(exc) from None
        raise


def _record_path(own: Path) -> Path | None:
    """Where what the export of a fingerprint held is recorded for ``own``: the user cache
    folder, one small file per own file's path."""
    try:
        import platformdirs

        name = hashlib.blake2b(os.fsencode(own.resolve()), digest_size=16).hexdigest()
        return Path(platformdirs.user_cache_dir("rlhf-reader")) / "sync" / name
    except Exception:  # no cache folder: the export is built every time, as before
        return None


def _recorded(own: Path) -> dict[str, Any] | None:
    path = _record_path(own)
    if path is None:
        return None
    try:
        with fileio.open_regular(path) as handle:
            value = orjson.loads(handle.read(4096))
    except (OSError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _record(own: Path, value: dict[str, Any]) -> None:
    """Silent: a record that cannot be written only costs the next sync the export."""
    path = _record_path(own)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fileio.write_atomic(path, orjson.dumps(value), mode=0o600, durable=False)
    except OSError:
        pass


def _remember(name: str, digest: str) -> Callable[[Any], dict[str, str]]:
    def change(old: Any) -> dict[str, str]:
        return {**(old if isinstance(old, dict) else {}), name: digest}

    return change
