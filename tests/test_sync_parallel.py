"""Sync and the JSON backup import on two cores (``parallel``) give what one core gives: the
same output, library files and sync files — also when a child fails."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from test_sync import DPO, KTO, diverge

from rlhf_reader import parallel
from rlhf_reader.formats import export
from rlhf_reader.library import merge, store
from rlhf_reader.library import sync as syncing

NOW = "2026-12-02T12:00:00Z"


@pytest.fixture
def cores(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cores(n)``: run as on a machine with ``n`` cores (1: everything here), with the
    sizes from which a part goes to a child lowered to the tests' small files, and a fixed
    time (the files of two runs compare byte for byte)."""
    monkeypatch.setattr(store, "now_iso", lambda: NOW)
    monkeypatch.setattr(export, "json_stamp", lambda: NOW)
    monkeypatch.setattr(syncing, "now_iso", lambda: NOW)
    monkeypatch.setattr(syncing, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(merge, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(merge, "PARALLEL_ENTRIES", 0)

    def use(n: int) -> None:
        monkeypatch.setenv(parallel.ENV, str(n))
        monkeypatch.setattr(parallel, "_cores", lambda: n)
        assert parallel.processes() == n

    return use


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".json", ".bak")
    }


def _rounds(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[list[Any], dict[str, bytes]]:
    """Two machines that diverged sync (first files, merges, nothing new, a dry run), then
    a third reads damaged and odd files; every output and file."""
    a, b, c, shared = root / "a.json", root / "b.json", root / "c.json", root / "shared"
    shared.mkdir(parents=True)
    diverge(capsys, a, b)
    outs = []

    def run(db: Path, *args: str) -> None:
        outs.append(run_cli(capsys, db, *args))

    run(a, "sync", "--machine", "laptop", str(shared))
    run(b, "sync", "--machine", "server", str(shared), "--dry-run")
    run(b, "sync", "--machine", "server", str(shared))
    run(a, "sync", str(shared))
    run(b, "sync", str(shared))
    run(a, "sync", str(shared))
    run(a, "mark", KTO, "reading")
    run(a, "sync", str(shared))
    run(b, "sync", str(shared))
    # Damaged and odd peers: cut short, a wrong type under a right checksum, a stale
    # checksum, a long number (json reads it), one orjson cannot store.
    peers = root / "peers"
    peers.mkdir()
    whole = (shared / "rlhf-reader-laptop.sync.json").read_bytes()
    (peers / "rlhf-reader-cut.sync.json").write_bytes(whole[: len(whole) // 2])
    for name, change in (
        ("type", lambda e: e["annotation"].update(note=12)),
        ("long", lambda e: e.update(addition={"key": e["key"], "n": 1234567890123456789})),
        ("huge", lambda e: e.update(addition={"key": e["key"], "n": 10**25})),
        ("stale", None),
    ):
        data = json.loads(whole)
        entry = next(e for e in data["entries"] if e["key"] == DPO)
        if change is not None:
            change(entry)
            text = json.dumps(
                data["entries"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            data["sync"]["entries_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        else:
            entry["annotation"]["note"] = "changed after the checksum"
        (peers / f"rlhf-reader-{name}.sync.json").write_text(json.dumps(data, indent=2))
    run(c, "sync", "--machine", "third", str(peers), "--dry-run")
    run(c, "sync", str(peers))
    run(c, "sync", "--machine", "other", str(root / "nowhere"))
    return outs, _files(root)


def _children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many children ``parallel`` started (counted, and still started)."""
    started: list[int] = []
    real = parallel._start

    def start(job: Any, part: Any) -> Any:
        started.append(1)
        return real(job, part)

    monkeypatch.setattr(parallel, "_start", start)
    return started


def test_sync_on_two_cores_gives_what_one_gives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = _children(monkeypatch)
    cores(1)
    one = _rounds(capsys, tmp_path / "run1")
    assert not children
    cores(2)
    two = _rounds(capsys, tmp_path / "run2")
    assert len(children) >= 6  # each peer file read
    assert _same_paths(two[0]) == one[0]
    assert two[1] == one[1]
    outs = one[0]
    assert outs[2][1].startswith("merged rlhf-reader-laptop.sync.json: annotations: ")
    assert "skipped" in outs[-2][2] and "rlhf-reader-cut.sync.json" in outs[-2][2]
    assert "entries[" in outs[-2][2] and "note: expected a string, found a number" in outs[-2][2]
    assert "do not match its checksum" in outs[-2][2]
    assert "merged rlhf-reader-long.sync.json" in outs[-2][1]
    missing = tmp_path / "run1" / "nowhere"
    assert outs[-1] == (1, "", f"rlhf-reader: error: {missing}: does not exist\n")


def _same_paths(outs: list[Any]) -> list[Any]:
    return [(c, o.replace("run2", "run1"), e.replace("run2", "run1")) for c, o, e in outs]


def test_a_failing_child_gives_the_same_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every child dies (the long-number scan of a peer's file): its part is made here,
    and the outcome is the same."""
    cores(1)
    one = _rounds(capsys, tmp_path / "run1")
    cores(2)
    parent = os.getpid()
    real_scan = merge.has_long_number

    def scan_not_in_a_child(raw: bytes) -> bool:
        if os.getpid() != parent:
            os._exit(3)
        return real_scan(raw)

    monkeypatch.setattr(merge, "has_long_number", scan_not_in_a_child)  # (sync's scan too)
    two = _rounds(capsys, tmp_path / "run2")
    assert _same_paths(two[0]) == one[0]
    assert two[1] == one[1]


# the JSON backup import ----------------------------------------------------------------


def _imports(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[list[Any], dict[str, bytes]]:
    """A backup with changes imported (a dry run, then for real, then again), and damaged
    or odd backups refused or read as ever; every output and file."""
    a, b = root / "a.json", root / "b.json"
    root.mkdir(parents=True)
    diverge(capsys, a, b)
    backup = root / "backup.json"
    outs = [run_cli(capsys, b, "export", "--format", "json", "-o", str(backup))]
    whole = backup.read_bytes()
    (root / "cut.json").write_bytes(whole[: len(whole) // 2])
    (root / "bom.json").write_bytes(b"\xef\xbb\xbf" + whole)
    for name, change in (
        ("type", lambda e: e["annotation"].update(status=5)),
        ("tags", lambda e: e["annotation"].update(tags="one")),
        ("long", lambda e: e.update(addition={"key": e["key"], "n": 1234567890123456789})),
        ("huge", lambda e: e.update(addition={"key": e["key"], "n": 10**25})),
    ):
        data = json.loads(whole)
        change(next(e for e in data["entries"] if e["key"] == DPO))
        (root / f"{name}.json").write_text(json.dumps(data, indent=2))
    for name in ("cut", "type", "tags", "huge", "bom", "long"):
        outs.append(run_cli(capsys, a, "import", str(root / f"{name}.json"), "--dry-run"))
        outs.append(run_cli(capsys, a, "import", str(root / f"{name}.json")))
    outs.append(run_cli(capsys, a, "import", str(backup), "--dry-run"))
    outs.append(run_cli(capsys, a, "import", str(backup)))
    outs.append(run_cli(capsys, a, "import", str(backup)))
    return outs, _files(root)


def test_import_on_two_cores_gives_what_one_gives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = _children(monkeypatch)
    cores(1)
    one = _imports(capsys, tmp_path / "run1")
    assert not children
    cores(2)
    two = _imports(capsys, tmp_path / "run2")
    assert children
    assert _same_paths(two[0]) == one[0]
    assert two[1] == one[1]
    outs = one[0]
    assert [code for code, _, _ in outs] == [0] + [1] * 8 + [0] * 7
    assert "entries[" in outs[3][2] and ".annotation.status: expected a string" in outs[3][2]
    assert "holds a value that cannot be stored" in outs[7][2]
    assert "updated annotation" in outs[10][1] and outs[-1][1].startswith("annotations: ")


def test_import_with_a_failing_child_gives_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cores(1)
    one = _imports(capsys, tmp_path / "run1")
    cores(2)
    parent = os.getpid()
    real = merge.has_long_number

    def not_in_a_child(raw: bytes) -> bool:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return real(raw)

    monkeypatch.setattr(merge, "has_long_number", not_in_a_child)
    two = _imports(capsys, tmp_path / "run2")
    assert _same_paths(two[0]) == one[0]
    assert two[1] == one[1]


def test_import_titles_and_the_lists_warning_on_two_cores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's titles are read by a child while the library is written; a list that
    warns when read is read by the command itself, which warns once, as ever."""
    from test_catalog_limits import nested

    from rlhf_reader.lists.catalog import MAX_NESTING

    bundled = Path(__file__).parents[1] / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"
    plain, warning = tmp_path / "plain.md", tmp_path / "warning.md"
    plain.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    warning.write_text(plain.read_text() + "\n" + nested(MAX_NESTING), encoding="utf-8")
    source = tmp_path / "source.json"
    assert run_cli(capsys, source, "mark", DPO, KTO, "read")[0] == 0
    backup = tmp_path / "backup.json"
    assert run_cli(capsys, source, "export", "--format", "json", "-o", str(backup))[0] == 0
    children = _children(monkeypatch)
    got = {}
    for n in (1, 2):
        cores(n)
        for listed in (plain, warning):
            db = tmp_path / f"{listed.stem}-{n}.json"
            got[n, listed.stem] = run_cli(capsys, db, "--list", str(listed), "import", str(backup))
    assert children
    for stem in ("plain", "warning"):
        assert got[1, stem] == got[2, stem]
        code, out, err = got[1, stem]
        assert code == 0 and "added annotation" in out and "Direct Preference" in out
        assert err.count("deep; skipped") == (stem == "warning")


def test_with_threads_running_everything_stays_here(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the TUI (worker threads): no child, the same files."""
    import threading

    cores(1)
    one = _rounds(capsys, tmp_path / "run1")
    cores(2)
    children = _children(monkeypatch)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.processes() == 1
        two = _rounds(capsys, tmp_path / "run2")
    finally:
        stop.set()
        thread.join()
    assert not children
    assert _same_paths(two[0]) == one[0]
    assert two[1] == one[1]
