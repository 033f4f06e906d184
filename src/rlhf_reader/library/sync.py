"""Sync between machines without a server, through a folder that something else copies
(Syncthing, Dropbox, a git repository, a USB stick).

Each machine has a machine id, kept in its library (``meta`` setting ``machine_id``), and owns
one file in the folder: ``rlhf-reader-<machine id>.sync.json``, a JSON export (``format``
``rlhf-reader-export``, what ``import`` reads) of what the library holds — per key its
annotation, arXiv record and addition, not the list's fields, which every machine reads from
its own list (:func:`own_export`) — one entry per line, so that a git folder diffs it paper
by paper, ending with a ``sync`` object: the machine id, the time and a SHA-256 of the
entries. ``sync(folder)``:

1. reads every other machine's file and merges it with the import rules (``merge.plan``): per
   paper the newer ``updated`` wins status and read date, tags are merged, a note is never
   lost (two different notes are both kept, the newer first), arXiv metadata and additions
   the library lacks are added, nothing is deleted. Each file is merged under the library's
   lock, against the library as it is then. A file written as this version writes it is
   merged line by line (:func:`_plan_framed`): a line equal to this library's own line for
   its key is unchanged and not read; only the others are read and checked. Any other file
   (an older version's whole export, one edited by hand) is read whole, as before;
2. writes its own file, atomically (a temp file ``.rlhf-reader-….tmp`` beside it, then a
   rename), so the others always find a whole file or the previous one. The own export made
   for step 1 is kept in step with the merges (only the entries they changed are made
   again) and written.

Nothing is done twice: the library remembers the SHA-256 of the entries it last merged from
each file (``meta`` setting ``sync_merged``), and a file whose ``sync`` object — the end of
the file, read without the rest — names the same SHA-256 is not read again; its changes are
already in the library (merging them again would only bring back a tag or a note removed
here since). Nor is this machine's file rewritten when its entries are the same as the file
there already holds, so a sync tool has nothing to copy when nothing changed. That is
found without building the export when nothing it is made of changed: the caller gives a
fingerprint of what the export reads (this version and the library file's bytes), and a
record in the user cache folder (``sync/``, one small file per own file) remembers which
entries SHA-256 the export of that fingerprint had; when the own file still names it, the
file is up to date. Any doubt (no record, another fingerprint, a changed own file, a library
re-read while the export was built) builds the export and compares, as before.

A file that does not parse, or whose entries do not match its SHA-256 (half-written by a sync
tool, or cut short), is skipped with a message and never merged; the next sync takes it when
it is whole. Several machines — or several processes — may sync at once: each writes only its
own file, every write is a rename, and every merge is under the library's lock. Two rounds of
``sync`` on every machine make them all equal (the first round carries each machine's changes
into its file, the second brings them everywhere).

A peer's file written by an older version (the whole export, ~100 MB at 100,000 entries) is
scanned for long numbers by a child while it is parsed and checked here, where ``parallel``
allows one (not in the TUI, not with ``RLHF_READER_PROCESSES=1``); the outcome is the same
either way.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import hashlib
import os
import re
import secrets
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from rlhf_reader import parallel
from rlhf_reader.library import fileio
from rlhf_reader.library.fileio import expand_user
from rlhf_reader.library.merge import (
    JSON_FORMAT,
    JSON_VERSION,
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

PREFIX = "rlhf-reader-"
SUFFIX = ".sync.json"
MACHINE_SETTING = "machine_id"
MERGED_SETTING = "sync_merged"  # {file name: entries SHA-256 of the file as last merged}
_TAIL_BYTES = 4096  # the ``sync`` object at the end of a file, with room to spare
_MACHINE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")

# At 100,000 entries (a ~100 MB file) a peer's file is checked, and this machine's built,
# on two cores (``parallel``); smaller ones here, where a fork would cost more than it saves.
OWN_FILE_FORM = 2
"""What :func:`own_export` writes: 2 = the library's records only (1 was the whole JSON
export, the list's fields too); part of the fingerprint of the own file's record."""
PARALLEL_BYTES = 4_000_000
"""A peer's file of at least this many bytes: its checksum in a child (tests lower it)."""


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


_ANNOTATION, _METADATA, _ADDITION = 1, 2, 4  # what an own entry holds (OwnFile.parts)


@dataclass(frozen=True, slots=True)
class OwnFile:
    """This machine's sync file before its ``sync`` object (:func:`own_export`): each key's
    entry as one line of compact JSON with sorted keys (``lines``, in the order of
    ``keys``), what each holds (``parts``: annotation 1, metadata 2, addition 4), the time
    of the export and the :func:`entries_digest` of the entries — the SHA-256 of those very
    lines, joined; ``generation``: the library's when it was made."""

    exported_at: str
    keys: list[str]
    lines: list[bytes]
    parts: list[int]
    digest: str
    generation: int

    def index(self) -> dict[bytes, int]:
        """Each line's position."""
        return {line: at for at, line in enumerate(self.lines)}


def own_export(
    library: Library, previous: OwnFile | None = None, changed: Iterable[str] = ()
) -> OwnFile:
    """What this machine's sync file holds: one entry per key the library holds anything
    about, sorted by key, with what the JSON export writes of the library for it —
    ``annotation`` (when it records anything), ``metadata`` (the arXiv record) and
    ``addition``, each ``null`` when the library holds none — but not the list's fields
    (title, authors, links…): every machine reads its own list, and ``import`` reads only
    these. A third of the export's bytes at 100,000 entries, made without the list.

    Sorted by key, two machines that hold the same write the same entries, however their
    libraries came to hold them.

    ``previous``: the export of the library before it changed only for the keys
    ``changed`` (this process's merge): only their entries are made again."""
    metadata = library.documents("metadata")
    additions = {str(a.get("key")): a for a in library.additions()}
    if previous is not None:
        return _patched(library, previous, set(changed), metadata, additions)
    annotations = library.annotation_records()
    # (in the library's order first: mostly sorted already, which sorted() takes in one pass)
    keys = sorted(dict.fromkeys([*annotations, *metadata, *additions]))
    parts, records = _records(keys, annotations, metadata, additions)
    # One dump of them all (orjson: a list is its items joined by ","; keys sorted, what
    # entries_digest hashes), cut into an entry per line.
    dumped = orjson.dumps(records, option=orjson.OPT_SORT_KEYS)
    lines = _cut(dumped, len(records)) or [
        orjson.dumps(record, option=orjson.OPT_SORT_KEYS) for record in records
    ]
    digest = hashlib.sha256(dumped).hexdigest()
    return OwnFile(now_iso(), keys, lines, parts, digest, library.generation)


def _records(
    keys: list[str],
    annotations: Mapping[str, Any],
    metadata: Mapping[str, Any],
    additions: Mapping[str, Any],
) -> tuple[list[int], list[dict[str, Any]]]:
    """Each key's entry (keys sorted, as orjson sorts them) and what it holds."""
    if not metadata and not additions and len(annotations) == len(keys):  # (a common library)
        return [_ANNOTATION] * len(keys), [
            {"addition": None, "annotation": annotations[key], "key": key, "metadata": None}
            for key in keys
        ]
    parts = []
    records = []
    for key in keys:
        annotation, meta, addition = annotations.get(key), metadata.get(key), additions.get(key)
        parts.append(
            (_ANNOTATION if annotation is not None else 0)
            | (_METADATA if meta else 0)
            | (_ADDITION if addition else 0)
        )
        records.append(
            {"addition": addition or None, "annotation": annotation, "key": key,
             "metadata": meta or None}
        )  # fmt: skip
    return parts, records


def _patched(
    library: Library,
    previous: OwnFile,
    redo: set[str],
    metadata: Mapping[str, Any],
    additions: Mapping[str, Any],
) -> OwnFile:
    """:func:`own_export` of the library that ``previous`` was made of but for the keys
    ``redo``: their entries made again, put in their places among the others' (kept)."""
    annotations = {k: a.to_dict() for k, a in library.annotations(redo).items() if a.recorded()}
    order = sorted(redo)
    parts, records = _records(order, annotations, metadata, additions)
    keys, lines, held = list(previous.keys), list(previous.lines), list(previous.parts)
    for key, record, part in zip(order, records, parts, strict=True):
        at = bisect.bisect_left(keys, key)  # (the keys are sorted, and stay so)
        there = at < len(keys) and keys[at] == key
        if not part:  # (a key left with nothing has no entry)
            if there:
                del keys[at], lines[at], held[at]
            continue
        line = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        if there:
            lines[at], held[at] = line, part
        else:
            keys.insert(at, key)
            lines.insert(at, line)
            held.insert(at, part)
    digest = hashlib.sha256(b"[" + b",".join(lines) + b"]").hexdigest()
    return OwnFile(now_iso(), keys, lines, held, digest, library.generation)


_NEXT_ENTRY = b'},{"addition":'  # between two entries in the dump of them all


def _cut(dumped: bytes, count: int) -> list[bytes] | None:
    """The dump of ``count`` entries (a JSON array of objects whose first key is
    ``addition``) cut into each entry's JSON; None when it does not cut into ``count``
    (an addition or arXiv record holding a list of objects whose first key is
    ``addition``: the caller dumps each entry alone)."""
    if not count:
        return []
    if dumped.count(_NEXT_ENTRY) != count - 1:
        return None
    # Compact JSON has no line break but between entries once this puts one there.
    return dumped[1:-1].replace(_NEXT_ENTRY, b'}\n{"addition":').split(b"\n")


def sync_bytes(own: OwnFile, machine: str) -> bytes:
    """The file: the JSON export's object of ``own`` with its ``sync`` object (machine,
    time, digest of the entries) last, an entry per line — so that a git folder diffs it
    paper by paper — and the rest compact (``{"format":…,"entries":[`` on the first line,
    ``],"sync":{…}}`` on the last)."""
    head = orjson.dumps({"format": JSON_FORMAT, "version": JSON_VERSION,
                         "exported_at": own.exported_at})  # fmt: skip
    marker = orjson.dumps(_marker(machine, own.digest))
    entries = b"\n" + b",\n".join(own.lines) + b"\n" if own.lines else b""
    return b"".join((head[:-1], b',"entries":[', entries, b'],"sync":', marker, b"}\n"))


def _marker(machine: str, digest: str) -> dict[str, str]:
    return {"machine": machine, "written_at": now_iso(), "entries_sha256": digest}


def _read_bytes(path: Path) -> bytes:
    try:
        with fileio.open_regular(path) as handle:
            return handle.read()
    except fileio.NotARegularFile as exc:
        raise ImportFileError(str(exc)) from None
    except OSError as exc:
        raise ImportFileError(f"cannot read: {exc.strerror or exc}") from None


def sync_file_of(
    raw: bytes, path: Path, library: Library | None = None
) -> tuple[ExportData, str, str]:
    """``(ExportData, machine, entries SHA-256)`` of a whole sync file's bytes;
    ImportFileError when it is not one (``library``: the one it will be merged into, see
    ``merge.export_from_data``)."""
    if len(raw) >= PARALLEL_BYTES and parallel.processes() > 1:
        read = _read_on_two_cores(raw, path, library)
        if read is not None:
            return read
    return _read(raw, path, library)


_HEAD_END, _TAIL_START = b',"entries":[', b'],"sync":'  # around the lines (sync_bytes)


@dataclass(frozen=True, slots=True)
class _Framed:
    """A sync file as :func:`sync_bytes` writes it: the object but its entries (``head``),
    the entries' lines and the ``sync`` object."""

    head: dict[str, Any]
    lines: list[bytes]
    marker: dict[str, Any]


def _framed(raw: bytes) -> _Framed | None:
    """The parts of a file written as :func:`sync_bytes` writes it, whose entries' lines are
    those its checksum was made of (compact JSON, keys sorted); None for any other file (an
    older version's, an empty one, one edited or cut short): it is read whole."""
    first = raw.find(b"\n")
    last = raw.rfind(b"\n" + _TAIL_START)
    if first < 0 or last <= first or not raw[:first].endswith(_HEAD_END):
        return None
    tail = raw[last + 1 + len(_TAIL_START) :].rstrip(b"\r\n\t ")
    try:
        head = orjson.loads(raw[: first - len(_HEAD_END)] + b"}")
        marker = orjson.loads(tail[:-1]) if tail.endswith(b"}") else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(head, dict) or not isinstance(marker, dict) or "entries" in head:
        return None
    lines = raw[first + 1 : last].split(b",\n")
    # Equal to the checksum, the lines are the entries' compact JSON with sorted keys, as
    # the writer made them: each one whole, none with a line break inside.
    if hashlib.sha256(b"[" + b",".join(lines) + b"]").hexdigest() != marker.get("entries_sha256"):
        return None
    return _Framed(head, lines, marker)


def _plan_framed(framed: _Framed, path: Path, library: Library, own: OwnFile) -> MergeReport | None:
    """``plan_for(the file, library)`` of a file :func:`_framed` read, ``own`` being the
    library's own export as it is now: a line equal to the library's own line for its key
    is an entry the library holds as it is (unchanged, as ``merge.export_from_data`` takes
    it), not read at all; only the other lines are read, checked and planned. At 100,000
    entries of which a few changed, this is most of a merging sync. None when the file
    holds a key twice or another line fails the checks: the caller then reads it whole,
    and says where the problem is."""
    index = own.index()
    same: list[int] = []
    others: list[bytes] = []
    for line in framed.lines:
        at = index.get(line)
        if at is None:
            others.append(line)
        else:
            same.append(at)
    if len(set(same)) != len(same):
        return None
    try:
        entries = load_json(b"[" + b",".join(others) + b"]", path.name) if others else []
        data = export_from_data(
            {**framed.head, "entries": entries}, str(path), checked=True, library=library
        )
    except ImportFileError:
        return None
    keys, parts = own.keys, own.parts
    if not {keys[at] for at in same}.isdisjoint(data.keys()):
        return None  # a key twice
    try:
        report = plan_for(data, library, keep_notes=True)
    except ImportFileError:  # (not while the lock is held: see plan_for)
        return None
    for part, what in (
        (_ANNOTATION, "annotation"),
        (_METADATA, "metadata"),
        (_ADDITION, "addition"),
    ):
        report.add_unchanged([keys[at] for at in same if parts[at] & part], what)
    return report


def _read(raw: bytes, path: Path, library: Library | None) -> tuple[ExportData, str, str]:
    """:func:`sync_file_of`, one step after the other."""
    try:
        data = load_json(raw, path.name)
    except ImportFileError as exc:
        raise ImportFileError(f"not whole JSON ({exc})") from None
    return _checked(data, path, library)


def _checked(data: Any, path: Path, library: Library | None) -> tuple[ExportData, str, str]:
    """:func:`sync_file_of` of the file's parsed JSON ``data``."""
    marker = data.get("sync") if isinstance(data, dict) else None
    if not isinstance(marker, dict) or "entries_sha256" not in marker:
        raise ImportFileError("not an rlhf-reader sync file (no 'sync' object)")
    digest = entries_digest(data.get("entries"))
    if digest != marker["entries_sha256"]:
        raise ImportFileError("its entries do not match its checksum (written only in part)")
    export = export_from_data(data, str(path), checked=True, library=library)
    return export, str(marker.get("machine") or ""), digest


def _read_on_two_cores(
    raw: bytes, path: Path, library: Library | None
) -> tuple[ExportData, str, str] | None:
    """:func:`_read` of a big file whose JSON orjson reads, while a child looks for the long
    numbers that would make ``load_json`` read it with ``json`` (``loads_beside_scan``).
    None when the file has a long number, or orjson refuses it: then :func:`_read` reads
    it, with the same outcome as ever."""
    return loads_beside_scan(raw, lambda data: _checked(data, path, library))


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
    *,
    dry_run: bool = False,
    inputs: Callable[[], str | None] | None = None,
    machine: str | None = None,
) -> SyncReport:
    """Merge the other machines' files into ``library``, then write this machine's file
    (:func:`own_export` of the library as it is after the merge; ``inputs`` fingerprints
    everything it is made of, or gives None: see the module).

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
    current: OwnFile | None = None  # the library's own export, kept in step with the merges
    try:
        for path in sorted(folder.glob(f"{PREFIX}*{SUFFIX}")):
            if path.name.startswith(".") or (own is not None and path.name == own.name):
                continue
            if path.name in merged_before and tail_digest(path) == merged_before[path.name]:
                report.unchanged.append(path)
                continue
            try:
                raw = _read_bytes(path)
                framed = _framed(raw)
                data = digest = None
                if framed is None:  # (read before the lock, as it takes longest)
                    data, _their_machine, digest = sync_file_of(raw, path, library)
            except ImportFileError as exc:
                report.skipped.append((path, str(exc)))
                continue
            with contextlib.nullcontext() if dry_run else library.exclusive():
                merged = None
                if framed is not None:
                    if current is None or current.generation != library.generation:
                        current = own_export(library)
                    merged = _plan_framed(framed, path, library, current)
                    digest = framed.marker["entries_sha256"]
                    if merged is None:
                        try:
                            data, _their_machine, digest = sync_file_of(raw, path, library)
                        except ImportFileError as exc:
                            report.skipped.append((path, str(exc)))
                            continue
                if merged is None:
                    assert data is not None
                    try:
                        merged = plan_for(data, library, keep_notes=True)
                    except ImportFileError as exc:  # (checked only now: see plan_for)
                        report.skipped.append((path, str(exc)))
                        continue
                if not dry_run:
                    assert digest is not None
                    with library.batch():  # the merge and its record: one write
                        if pending is not None:
                            _save_machine(library, pending, given)
                        apply(merged, library)
                        library.change_meta(MERGED_SETTING, _remember(path.name, digest))
                    pending = None
                    if current is not None and merged.changed:
                        current = own_export(library, current, _changed_keys(merged))
            report.merged.append((path, merged))
    except BaseException:
        if pending is not None:  # a merge failed: saved on its own, as ever
            _save_machine(library, pending, given)
        raise
    if pending is not None:  # nothing merged: saved on its own
        if own is not None and current is None and library.get_meta(MACHINE_SETTING) != pending:
            # (a first sync: made before the write, from the snapshot's tuples, not after
            # it from the tables the write leaves)
            current = own_export(library)
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
    if current is not None and current.generation == generation:  # (kept in step)
        export = dataclasses.replace(current, exported_at=now_iso())
    else:
        export = own_export(library)
    digest = export.digest
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
        payload = sync_bytes(export, str(machine))
        try:
            fileio.write_atomic(own, payload, mode=0o600)
        except OSError as exc:
            raise SyncError(f"{own}: cannot write: {exc.strerror or exc}") from None
        report.own_file = own
    if same:
        _record(own, {"inputs": before, "entries_sha256": digest})
    return report


def _changed_keys(merged: MergeReport) -> set[str]:
    """The keys whose records a merge changed."""
    keys = {annotation.key for annotation in merged.annotations}
    keys.update(merged.metadata)
    keys.update(str(addition.get("key")) for addition in merged.additions)
    return keys


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
