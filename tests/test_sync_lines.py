"""A peer's sync file written an entry per line (``library.sync.sync_bytes``) is merged line
by line: a line equal to this library's own line for its key is not read at all. The
outcome — output, library files, sync files — is what reading the file whole gives, also
for files that only look like such a file (a key twice, a bad line under a right checksum,
a stale checksum), and this machine's file, kept in step with the merges, is what making
it afresh gives."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import run_cli
from test_sync import DPO, KTO, SURVEY, diverge
from test_sync_parallel import _files

from rlhf_reader.library import merge, snapshot, store
from rlhf_reader.library import sync as syncing
from rlhf_reader.library.store import Library

NOW = "2026-12-02T12:00:00Z"


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "now_iso", lambda: NOW)
    monkeypatch.setattr(syncing, "now_iso", lambda: NOW)


def _framed_peer(whole: bytes, change: Any) -> bytes:
    """``whole`` (a file as sync writes it) with its entries changed by ``change(lines)``
    and its checksum made again for them: still a file of lines under a right checksum."""
    head, rest = whole.split(b"\n", 1)
    body, tail = rest.rsplit(b"\n", 1) if not rest.endswith(b"\n") else rest[:-1].rsplit(b"\n", 1)
    lines = change(body.split(b",\n"))
    digest = hashlib.sha256(b"[" + b",".join(lines) + b"]").hexdigest()
    marker = orjson.loads(tail[len(b'],"sync":') : -1])
    marker["entries_sha256"] = digest
    return b"\n".join((head, b",\n".join(lines), b'],"sync":' + orjson.dumps(marker) + b"}", b""))


def _rounds(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[list[Any], dict[str, bytes]]:
    """Three machines diverge and sync in turns (merges that change things and merges that
    do not, a dry run, a change in between), then a fourth reads peers that only look like
    files of lines; every output and file."""
    a, b, c, shared = root / "a.json", root / "b.json", root / "c.json", root / "shared"
    shared.mkdir(parents=True)
    diverge(capsys, a, b)
    outs = []

    def run(db: Path, *args: str) -> None:
        outs.append(run_cli(capsys, db, *args))

    run(a, "sync", "--machine", "laptop", str(shared))
    run(b, "sync", "--machine", "server", str(shared), "--dry-run")
    run(b, "sync", "--machine", "server", str(shared))
    run(c, "mark", SURVEY, "read")
    run(c, "tag", DPO, "+third")
    run(c, "sync", "--machine", "third", str(shared))
    run(a, "sync", str(shared))
    run(b, "sync", str(shared))
    run(a, "mark", KTO, "reading")
    run(a, "add", "10.5555/late.a", "--title", "Late On A")
    run(a, "sync", str(shared))
    run(b, "sync", str(shared))
    run(c, "sync", str(shared))
    run(a, "sync", str(shared))
    # Peers that only look like files of lines.
    peers = root / "peers"
    peers.mkdir()
    whole = (shared / "rlhf-reader-laptop.sync.json").read_bytes()

    def bad_note(lines: list[bytes]) -> list[bytes]:
        at = next(i for i, line in enumerate(lines) if DPO.encode() in line)
        record = orjson.loads(lines[at])
        record["annotation"]["note"] = 12
        return [*lines[:at], orjson.dumps(record, option=orjson.OPT_SORT_KEYS), *lines[at + 1 :]]

    (peers / "rlhf-reader-twice.sync.json").write_bytes(
        _framed_peer(whole, lambda lines: [*lines, lines[0]])
    )
    (peers / "rlhf-reader-bad.sync.json").write_bytes(_framed_peer(whole, bad_note))
    (peers / "rlhf-reader-stale.sync.json").write_bytes(
        whole.replace(b'"status":"reading"', b'"status":"read"', 1)
    )
    (peers / "rlhf-reader-cut.sync.json").write_bytes(whole[: len(whole) // 2])
    (peers / "rlhf-reader-fine.sync.json").write_bytes(whole)
    d = root / "d.json"
    run(d, "mark", DPO, "read")
    run(d, "sync", "--machine", "fourth", str(peers), "--dry-run")
    run(d, "sync", str(peers))
    return outs, _files(root)


def test_merging_line_by_line_gives_what_reading_whole_files_gives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_lines: list[int] = []
    real = syncing._plan_framed

    def counted(*args: Any) -> Any:
        report = real(*args)
        read_lines.append(report is not None)
        return report

    monkeypatch.setattr(syncing, "_plan_framed", counted)
    lines = _rounds(capsys, tmp_path / "lines")
    assert (
        read_lines.count(True) >= 8 and read_lines.count(False) == 4
    )  # twice, bad: dry run and real
    monkeypatch.setattr(syncing, "_framed", lambda raw: None)  # every file read whole
    whole = _rounds(capsys, tmp_path / "whole")
    rename = [(c, o.replace("/whole/", "/lines/"), e.replace("/whole/", "/lines/"))
              for c, o, e in whole[0]]  # fmt: skip
    assert rename == lines[0]
    assert whole[1] == lines[1]
    outs = lines[0]
    err = outs[-1][2]
    assert "rlhf-reader-twice.sync.json" in err and "appears twice" in err
    assert "rlhf-reader-bad.sync.json" in err and "note: expected a string, found a number" in err
    assert "rlhf-reader-stale.sync.json" in err and "do not match its checksum" in err
    assert "rlhf-reader-cut.sync.json" in err
    assert "merged rlhf-reader-fine.sync.json" in outs[-1][1]


def test_the_own_file_kept_in_step_is_the_one_made_afresh(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After merges that add, update and leave entries, the own export patched for the keys
    they changed is the export made of the library as it then is."""
    a, b, shared = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    shared.mkdir()
    diverge(capsys, a, b)
    assert run_cli(capsys, b, "sync", "--machine", "server", str(shared))[0] == 0
    patched: list[syncing.OwnFile] = []
    real = syncing.own_export

    def kept(library: Library, previous: Any = None, changed: Any = ()) -> syncing.OwnFile:
        made = real(library, previous, changed)
        if previous is not None:
            patched.append(made)
            afresh = real(library)
            assert (made.keys, made.lines, made.parts, made.digest) == (
                afresh.keys,
                afresh.lines,
                afresh.parts,
                afresh.digest,
            )
        return made

    monkeypatch.setattr(syncing, "own_export", kept)
    code, out, err = run_cli(capsys, a, "sync", "--machine", "laptop", str(shared))
    assert code == 0, err
    assert "updated" in out and "added" in out and patched
    written = orjson.loads((shared / "rlhf-reader-laptop.sync.json").read_bytes())
    assert written["sync"]["entries_sha256"] == patched[-1].digest
    assert merge.JSON_FORMAT == written["format"]


@pytest.mark.parametrize("packed", [False, True])
def test_the_own_export_is_the_json_exports_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packed: bool
) -> None:
    """Each entry of the own file is what the JSON export writes of the library for its key:
    annotations as ``Annotation.to_dict`` (odd stored documents too, from the snapshot's
    tuples and from the documents), arXiv records, additions — also an addition whose
    text would cut the dump of all entries in the wrong place."""
    from rlhf_reader.model import Annotation, Status

    db = tmp_path / "lib.json"
    library = Library.open(db)
    library.put_annotations(
        [
            Annotation("k1", Status.READ, ("a", "b"), "n\n\u2028", "2025-01-01T00:00:00Z",
                       "2025-01-02T00:00:00Z", "2025-01-02T00:00:00Z"),
            Annotation("k2"),  # records nothing: no entry
            Annotation("k3", Status.UNREAD, ("t",)),
        ]
    )  # fmt: skip
    library.put_metadata({"k4": {"key": "k4", "title": "T", "fetched_at": "2025-01-01T00:00:00Z"}})
    library.put_addition({"key": "k5", "title": "Mine", "x": [{}, {"addition": 1}]})
    library.close()
    raw = orjson.loads(db.read_bytes())
    odd = {"key": "k6", "status": "reading", "tags": ["z"], "read_at": ""}
    raw["annotations"]["99"] = odd  # a hand edit: fields missing or empty
    if packed:  # every document with the same fields: read back as the snapshot's tuples
        raw["annotations"]["99"] = {**odd, "note": "", "created": "", "updated": ""}
        raw["annotations"]["99"] = {
            f: raw["annotations"]["99"][f] for f in store._ANNOTATION_FIELDS
        }
        for doc in raw["annotations"].values():
            doc.update(dict.fromkeys(set(store._ANNOTATION_FIELDS) - set(doc), ""))
        monkeypatch.setattr(snapshot, "MIN_BYTES", 0)
        monkeypatch.setattr(snapshot, "DETACHED_BYTES", 1 << 40)
    db.write_bytes(orjson.dumps(raw))
    Library.open(db).close()  # (the first open makes the snapshot)
    library = Library.open(db)
    try:
        tuples = library._storage.packed("annotations")
        assert (tuples is not None and tuples.uniform(store._ANNOTATION_FIELDS)) == packed
        made = syncing.own_export(library)
        expected = {k: a.to_dict() for k, a in library.annotations().items() if a.recorded()}
        assert library.annotation_records() == expected
        entries = [orjson.loads(line) for line in made.lines]
        assert [e["key"] for e in entries] == ["k1", "k3", "k4", "k5", "k6"] == made.keys
        assert {e["key"]: e["annotation"] for e in entries if e["annotation"]} == expected
        assert entries[2]["metadata"]["title"] == "T" and entries[3]["addition"]["title"] == "Mine"
        assert made.parts == [1, 1, 2, 4, 1]
        assert made.digest == syncing.entries_digest(entries)
        assert syncing._cut(orjson.dumps(entries, option=orjson.OPT_SORT_KEYS), 5) is None
    finally:
        library.close()
