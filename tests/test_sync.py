"""`rlhf-reader sync DIR`: two libraries that diverged offline converge, both ways, with
nothing lost — also when they sync at the same moment, in two processes (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from rlhf_reader.library.merge import SYNC_NOTE_MARKER
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status

DPO, KTO, SURVEY, OPEN = "2305.18290", "2402.01306", "2310.19852", "2307.15217"


def state(db: Path) -> dict:
    """Everything sync must carry: annotations, additions (without the local time added)."""
    library = Library.open(db)
    try:
        annotations = {
            k: (a.status.value, sorted(a.tags), a.note, a.read_at)
            for k, a in library.annotations().items()
        }
        additions = sorted((a["key"], a["title"]) for a in library.additions())
        metadata = sorted(library.all_metadata())
        return {"annotations": annotations, "additions": additions, "metadata": metadata}
    finally:
        library.close()


def diverge(capsys, a: Path, b: Path) -> None:
    """Two machines change the same and different papers while offline."""
    la, lb = Library.open(a), Library.open(b)
    la.put_annotations(
        [
            Annotation(DPO, Status.READ, ("a",), "", "2025-01-01T10:00:00Z",
                       "2025-01-01T10:00:00Z", "2025-01-01T10:00:00Z"),
            Annotation(SURVEY, Status.UNREAD, (), "A's note on the survey",
                       "2025-01-01T10:00:00Z", "2025-01-01T10:00:00Z"),
            Annotation(OPEN, Status.UNREAD, (), "written on A", "2025-01-01T10:00:00Z",
                       "2025-01-01T10:00:00Z"),
        ]
    )  # fmt: skip
    lb.put_annotations(
        [
            Annotation(DPO, Status.READING, ("b",), "", "2025-01-02T10:00:00Z",
                       "2025-01-02T10:00:00Z"),  # later: B's status wins, tags merge
            Annotation(SURVEY, Status.READING, (), "", "2025-01-03T10:00:00Z",
                       "2025-01-03T10:00:00Z"),  # later, no note: A's note stays
            Annotation(OPEN, Status.UNREAD, (), "written on B", "2025-01-04T10:00:00Z",
                       "2025-01-04T10:00:00Z"),  # two notes: both kept
            Annotation(KTO, Status.READ, ("kto",), "B only", "2025-01-01T09:00:00Z",
                       "2025-01-01T09:00:00Z", "2025-01-01T09:00:00Z"),
        ]
    )  # fmt: skip
    la.close()
    lb.close()
    assert run_cli(capsys, a, "add", "--title", "Only On A")[0] == 0
    assert run_cli(capsys, b, "add", "10.5555/only.b", "--title", "Only On B")[0] == 0


def check_converged(a: Path, b: Path) -> None:
    sa, sb = state(a), state(b)
    assert sa == sb
    ann = sa["annotations"]
    assert ann[DPO][:2] == ("reading", ["a", "b"])
    assert ann[SURVEY][:3] == ("reading", [], "A's note on the survey")
    assert ann[OPEN][2] == f"written on B\n\n{SYNC_NOTE_MARKER}\n\nwritten on A"
    assert ann[KTO] == ("read", ["kto"], "B only", "2025-01-01T09:00:00Z")
    assert sa["additions"] == [
        ("doi.org/10.5555/only.b", "Only On B"),
        ("title:only-on-a", "Only On A"),
    ]


def test_diverged_libraries_converge_both_ways(capsys, tmp_path: Path) -> None:
    a, b, folder = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    folder.mkdir()
    diverge(capsys, a, b)
    code, out, err = run_cli(capsys, a, "sync", str(folder), "--machine", "laptop")
    assert (
        code == 0
        and err == ""
        and out == f"wrote {folder / 'rlhf-reader-laptop.sync.json'} (machine laptop)\n"
    )
    code, out, err = run_cli(capsys, b, "sync", str(folder), "--machine", "server")
    assert code == 0, err
    assert out.startswith("merged rlhf-reader-laptop.sync.json: annotations: ")
    code, out, err = run_cli(capsys, a, "sync", str(folder))
    assert code == 0 and out.startswith("merged rlhf-reader-server.sync.json: ")
    check_converged(a, b)
    # In step: another round changes nothing and keeps the notes as they are.
    code, out, _ = run_cli(capsys, b, "sync", str(folder))
    assert "merged rlhf-reader-laptop.sync.json: annotations: " in out and "updated" not in out
    check_converged(a, b)
    # The additions are papers of "My additions" on both machines.
    code, out, _ = run_cli(capsys, a, "list", "--section", "My additions", "--json")
    assert sorted(e["title"] for e in json.loads(out)) == ["Only On A", "Only On B"]


def sync_process(db: Path, folder: Path, machine: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RLHF_READER_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "rlhf_reader", "sync", str(folder), "--machine", machine],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_syncing_at_the_same_moment_converge(capsys, tmp_path: Path) -> None:
    a, b, folder = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    folder.mkdir()
    diverge(capsys, a, b)
    for _ in range(2):  # two rounds, each with both machines at once
        procs = [sync_process(a, folder, "laptop"), sync_process(b, folder, "server")]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "skipped" not in err  # every file read was whole
    check_converged(a, b)
    # The same library synced by two processes at once (a TUI and a cron job) stays whole.
    procs = [sync_process(a, folder, "laptop"), sync_process(a, folder, "laptop")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    check_converged(a, b)
    assert sorted(p.name for p in folder.iterdir()) == [
        "rlhf-reader-laptop.sync.json",
        "rlhf-reader-server.sync.json",
    ]


@pytest.mark.parametrize("damage", ["truncated", "edited"])
def test_a_half_written_file_is_skipped_never_merged(capsys, tmp_path: Path, damage: str) -> None:
    a, b, folder = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    folder.mkdir()
    diverge(capsys, a, b)
    run_cli(capsys, b, "sync", str(folder), "--machine", "server")
    whole = (folder / "rlhf-reader-server.sync.json").read_text(encoding="utf-8")
    (folder / "rlhf-reader-server.sync.json").unlink()
    partial = folder / "rlhf-reader-phone.sync.json"
    if damage == "truncated":
        partial.write_text(whole[: len(whole) // 2], encoding="utf-8")
        reason = "not whole JSON"
    else:  # valid JSON whose entries are not what was written (a block not yet copied)
        data = json.loads(whole)
        data["entries"] = data["entries"][:-1]
        partial.write_text(json.dumps(data), encoding="utf-8")
        reason = "do not match its checksum"
    before = state(a)
    code, out, err = run_cli(capsys, a, "sync", str(folder), "--machine", "laptop")
    assert code == 0
    assert err.startswith(f"rlhf-reader: skipped {partial}: ") and reason in err
    assert err.count("\n") == 1
    assert "merged" not in out
    after = state(a)
    assert after["annotations"] == before["annotations"]
    # Once whole, the next sync takes it.
    partial.write_text(whole, encoding="utf-8")
    code, out, err = run_cli(capsys, a, "sync", str(folder))
    assert code == 0 and err == "" and out.startswith("merged rlhf-reader-phone.sync.json")


def test_machine_id_and_errors(capsys, tmp_path: Path) -> None:
    db, folder = tmp_path / "a.json", tmp_path / "shared"
    folder.mkdir()
    code, out, _ = run_cli(capsys, db, "sync", str(folder))
    assert code == 0
    written = [p.name for p in folder.iterdir()]
    assert len(written) == 1 and written[0].startswith("rlhf-reader-")
    code, out2, _ = run_cli(capsys, db, "sync", str(folder))
    # The machine id is kept in the library (and the file, unchanged, is not rewritten).
    assert out2 == out.replace("wrote ", "").replace(" (machine", " is up to date (machine")
    code, out, err = run_cli(capsys, db, "sync", str(folder), "--machine", "Bad/Name")
    assert code == 2 and "machine id 'bad/name'" in err
    code, out, err = run_cli(capsys, db, "sync", str(tmp_path / "nowhere"))
    assert code == 1 and err == f"rlhf-reader: error: {tmp_path / 'nowhere'}: does not exist\n"
    code, out, err = run_cli(capsys, db, "sync", str(folder), "--dry-run")
    assert code == 0 and out == "dry run: nothing written\n"


def test_nothing_is_read_or_written_twice(capsys, tmp_path: Path) -> None:
    """A peer's file already merged as it is is not read again, and this machine's file is
    not rewritten when its entries did not change: a sync tool has nothing to copy."""
    a, b, folder = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    folder.mkdir()
    diverge(capsys, a, b)
    mine, theirs = folder / "rlhf-reader-laptop.sync.json", folder / "rlhf-reader-server.sync.json"
    run_cli(capsys, a, "sync", str(folder), "--machine", "laptop")
    run_cli(capsys, b, "sync", str(folder), "--machine", "server")
    run_cli(capsys, a, "sync", str(folder))
    check_converged(a, b)
    written = mine.stat()
    code, out, err = run_cli(capsys, a, "sync", str(folder))
    assert code == 0 and err == ""
    assert out == (
        "rlhf-reader-server.sync.json: nothing new since it was last merged\n"
        f"{mine} is up to date (machine laptop)\n"
    )
    assert (mine.stat().st_mtime_ns, mine.stat().st_ino) == (written.st_mtime_ns, written.st_ino)
    # A tag removed here is not brought back by the peer's unchanged file…
    assert run_cli(capsys, a, "tag", DPO, "-b")[0] == 0
    code, out, _ = run_cli(capsys, a, "sync", str(folder))
    assert out.startswith("rlhf-reader-server.sync.json: nothing new") and "wrote" in out
    assert state(a)["annotations"][DPO][1] == ["a"]
    # …and once the peer's file changes, it is read and merged again (tags are a union:
    # the peer still has "b", so it comes back with the peer's next change).
    assert run_cli(capsys, b, "mark", KTO, "unread")[0] == 0
    run_cli(capsys, b, "sync", str(folder))
    code, out, _ = run_cli(capsys, a, "sync", str(folder))
    assert out.startswith("merged rlhf-reader-server.sync.json: annotations: 2 updated")
    assert state(a)["annotations"][KTO][0] == "unread"
    assert theirs.exists()


def test_a_file_that_is_not_regular_is_skipped(capsys, tmp_path: Path) -> None:
    db, folder = tmp_path / "a.json", tmp_path / "shared"
    folder.mkdir()
    os.mkfifo(folder / "rlhf-reader-pipe.sync.json")  # reading it would wait forever
    code, out, err = run_cli(capsys, db, "sync", str(folder), "--machine", "laptop")
    assert code == 0 and "skipped" in err and "rlhf-reader-pipe.sync.json" in err
    assert out.startswith("wrote ")


def test_a_merge_and_its_record_are_one_write_of_the_library(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merging a file with annotations and additions, remembering it and saving the machine
    id given: one write (it was one for the annotations, one per addition, one for the
    record and one for the machine id)."""
    from test_store_batch import counted_writes

    a, b, shared = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    shared.mkdir()
    diverge(capsys, a, b)
    for n in range(5):
        assert run_cli(capsys, b, "add", f"10.5555/more.{n}", "--title", f"More {n}")[0] == 0
    assert run_cli(capsys, b, "sync", "--machine", "b", str(shared))[0] == 0
    writes = counted_writes(monkeypatch)
    code, out, err = run_cli(capsys, a, "sync", "--machine", "a", str(shared))
    assert code == 0, err
    assert "additions: 6 added" in out
    # (the day's backup,) the machine id, the merge and its record
    assert [w for w in writes if w.name == "a.json"] == [a.resolve()]
    library = Library.open(a)
    assert isinstance(library.get_meta("sync_merged"), dict)
    assert library.get_meta("machine_id") == "a"
    assert len(library.additions()) == 7
    library.close()


def test_the_own_file_holds_the_librarys_records_an_entry_per_line(capsys, tmp_path: Path) -> None:
    """This machine's file: per key the library holds anything about (sorted, the list's
    entries without any left out), the annotation, arXiv record and addition — not the
    list's fields — one entry per line, its checksum that of the entries as every reader
    computes it; and its annotations keep odd text (a line break, U+2028, quotes) whole."""
    from rlhf_reader.library import sync as syncing
    from rlhf_reader.library.merge import export_from_data

    a, b, folder = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    folder.mkdir()
    diverge(capsys, a, b)
    odd = 'line one\nline two \u2028 "quoted" \\ back'
    assert run_cli(capsys, a, "note", KTO, odd)[0] == 0
    assert run_cli(capsys, a, "sync", str(folder), "--machine", "laptop")[0] == 0
    raw = (folder / "rlhf-reader-laptop.sync.json").read_bytes()
    lines = raw.splitlines()
    data = json.loads(raw)
    entries = data["entries"]
    assert [e["key"] for e in entries] == sorted({DPO, KTO, SURVEY, OPEN, "title:only-on-a"})
    assert len(lines) == len(entries) + 2  # the head, an entry per line, the sync object
    assert all(set(e) == {"key", "annotation", "metadata", "addition"} for e in entries)
    by_key = {e["key"]: e for e in entries}
    assert by_key[KTO]["annotation"]["note"] == odd
    assert by_key["title:only-on-a"]["addition"]["title"] == "Only On A"
    assert data["sync"]["entries_sha256"] == syncing.entries_digest(entries)
    assert syncing.tail_digest(folder / "rlhf-reader-laptop.sync.json") == syncing.entries_digest(
        entries
    )
    read = export_from_data(data, "laptop")  # what any rlhf-reader's import reads
    assert {item.key for item in read.items} == set(by_key)


def test_a_whole_export_written_by_an_older_version_is_merged(capsys, tmp_path: Path) -> None:
    """A machine still on a version that wrote the whole JSON export (the list's fields too,
    indented): its file is read and merged as ever."""
    from rlhf_reader.library import sync as syncing

    a, b, folder = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "shared"
    folder.mkdir()
    diverge(capsys, a, b)
    backup = tmp_path / "backup.json"
    assert run_cli(capsys, a, "export", "--format", "json", "-o", str(backup))[0] == 0
    data = json.loads(backup.read_text())
    assert "title" in data["entries"][0]  # the whole export
    data["sync"] = {"machine": "old", "entries_sha256": syncing.entries_digest(data["entries"])}
    (folder / "rlhf-reader-old.sync.json").write_text(json.dumps(data, indent=2))
    assert run_cli(capsys, b, "sync", str(folder), "--machine", "server")[0] == 0
    assert run_cli(capsys, a, "sync", str(folder), "--machine", "old")[0] == 0
    assert run_cli(capsys, b, "sync", str(folder))[0] == 0
    check_converged(a, b)
