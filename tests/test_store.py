"""The library store on real files: round trips, values, bad files, modes, backup, cache."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from tinydb import Query, TinyDB

from rlhf_reader.library import fileio, store
from rlhf_reader.library.store import (
    MAX_NOTE_BYTES,
    SCHEMA_VERSION,
    Library,
    LibraryError,
    NoteChanged,
    SafeStorage,
    validate_note,
)
from rlhf_reader.model import Annotation, Status
from rlhf_reader.tags import TagEdit, normalize_tag, parse_tag_edit


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder with its bytes (to prove nothing was written)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# round trips -------------------------------------------------------------------------------


def test_new_library_is_a_plain_tinydb_file_with_schema_version(db_path: Path) -> None:
    lib = Library.open(db_path)
    assert lib.get_meta("schema_version") == SCHEMA_VERSION
    data = json.loads(db_path.read_text())
    assert set(data) >= {"annotations", "metadata", "additions", "meta"}
    assert TinyDB(db_path).table("meta").get(Query().name == "schema_version")["value"] == 1


def test_round_trip_through_a_new_instance_and_stock_tinydb(db_path: Path) -> None:
    lib = Library.open(db_path)
    lib.set_status(["2305.18290", "huggingface.co/blog/rlhf"], Status.READ)
    lib.change_tags(["2305.18290"], TagEdit.of(add=["To Read", "dpo"]))
    lib.set_note("2305.18290", "# Ünïcode **Markdown**\n\n- [x] done\n")
    lib.put_metadata({"2305.18290": {"title": "DPO", "authors": ["Rafael Rafailov"]}})
    lib.put_addition({"key": "2401.00001", "title": "Mine", "year": 2024})
    lib.set_meta("theme", {"dark": True})
    lib.close()

    again = Library.open(db_path)
    ann = again.annotation("2305.18290")
    assert ann.status is Status.READ
    assert ann.tags == ("to-read", "dpo")
    assert ann.note == "# Ünïcode **Markdown**\n\n- [x] done\n"
    assert ann.read_at and ann.created and ann.updated
    assert again.annotation("huggingface.co/blog/rlhf").status is Status.READ
    assert again.metadata("2305.18290") == {
        "title": "DPO",
        "authors": ["Rafael Rafailov"],
        "key": "2305.18290",
    }
    assert again.all_metadata().keys() == {"2305.18290"}
    assert again.additions() == [{"key": "2401.00001", "title": "Mine", "year": 2024}]
    assert again.get_meta("theme") == {"dark": True}
    assert again.get_meta("missing", 7) == 7
    assert again.tags_in_use() == {"to-read": 1, "dpo": 1}

    docs = TinyDB(db_path).table("annotations").all()
    assert {d["key"] for d in docs} == {"2305.18290", "huggingface.co/blog/rlhf"}


def test_unknown_key_is_a_default_annotation_and_not_written(db_path: Path) -> None:
    lib = Library.open(db_path)
    assert lib.annotation("nope") == Annotation(key="nope")
    before = db_path.read_bytes()
    lib.set_status(["nope"], Status.UNREAD)  # no change: nothing to write
    assert db_path.read_bytes() == before
    assert lib.annotations() == {}


def test_put_annotations_keeps_timestamps_and_upserts(db_path: Path) -> None:
    lib = Library.open(db_path)
    lib.set_status(["a"], Status.READING)
    lib.put_annotations(
        [
            Annotation(
                "a", Status.READ, ("x",), "n", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"
            ),
            Annotation(
                "b", Status.UNREAD, ("Y Z",), "", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z"
            ),
        ]
    )
    got = Library.open(db_path).annotations()
    assert got["a"].status is Status.READ and got["a"].updated == "2020-01-02T00:00:00Z"
    assert got["b"].tags == ("y-z",)
    assert len(TinyDB(db_path).table("annotations")) == 2


def test_returned_values_are_copies(db_path: Path) -> None:
    lib = Library.open(db_path)
    lib.put_metadata({"k": {"authors": ["A"]}})
    lib.metadata("k")["authors"].append("B")  # type: ignore[index]
    lib.all_metadata()["k"]["authors"].append("C")
    assert lib.metadata("k") == {"authors": ["A"], "key": "k"}


def test_tinydb_can_use_safe_storage_directly(db_path: Path) -> None:
    Library.open(db_path).set_status(["a"], Status.READ)
    db = TinyDB(db_path, storage=SafeStorage)
    db.table("annotations").insert({"key": "b", "status": "reading"})
    assert Library.open(db_path).annotation("b").status is Status.READING
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


# values ------------------------------------------------------------------------------------


def test_read_at_set_when_it_becomes_read_kept_when_read_again_cleared_otherwise(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(db_path)
    monkeypatch.setattr(store, "now_iso", lambda: "2024-01-01T00:00:00Z")
    (ann,) = lib.set_status(["k"], Status.READ)
    assert ann.read_at == "2024-01-01T00:00:00Z"
    monkeypatch.setattr(store, "now_iso", lambda: "2025-01-01T00:00:00Z")
    (ann,) = lib.set_status(["k"], "read")
    assert ann.read_at == "2024-01-01T00:00:00Z"
    (ann,) = lib.set_status(["k"], Status.READING)
    assert ann.read_at is None
    assert ann.created == "2024-01-01T00:00:00Z" and ann.updated == "2025-01-01T00:00:00Z"
    assert Library.open(db_path).annotation("k").read_at is None


@pytest.mark.parametrize(
    ("raw", "tag"),
    [("  To Read ", "to-read"), ("RL\tHF  x", "rl-hf-x"), ("to-read", "to-read"), ("é", "é")],
)
def test_normalize_tag(raw: str, tag: str) -> None:
    assert normalize_tag(raw) == tag


@pytest.mark.parametrize("raw", ["", "   ", "a,b", "x" * 41, "bell\x07", "-x", "+x"])
def test_invalid_tags(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_tag(raw)


def test_tag_lengths_1_to_40() -> None:
    assert normalize_tag("x") == "x"
    assert normalize_tag("x" * 40) == "x" * 40


def test_tags_deduplicated_and_add_remove(db_path: Path) -> None:
    lib = Library.open(db_path)
    (ann,) = lib.change_tags(["k"], TagEdit.of(add=["a", "A", " a ", "b"]))
    assert ann.tags == ("a", "b")
    (ann,) = lib.change_tags(["k"], TagEdit.of(add=["c"], remove=["A"]))
    assert ann.tags == ("b", "c")
    # a change keeps what it does not name
    (ann,) = lib.change_tags(["k"], parse_tag_edit("-b Z z y"))
    assert ann.tags == ("c", "z", "y")


def test_note_saved_over_a_changed_note_is_a_conflict(db_path: Path) -> None:
    mine, other = Library.open(db_path), Library.open(db_path)
    mine.set_note("k", "first")
    other.set_note("k", "theirs")  # another process, after the editor loaded "first"
    before = db_path.read_bytes()
    with pytest.raises(NoteChanged) as caught:
        mine.set_note("k", "mine", base="first")
    assert (caught.value.mine, caught.value.theirs) == ("mine", "theirs")
    assert db_path.read_bytes() == before  # nothing written
    assert mine.set_note("k", "mine", base="theirs").note == "mine"
    # the same text on both sides is no conflict
    other.set_note("k", "same")
    assert mine.set_note("k", "same", base="mine").note == "same"


def test_invalid_input_writes_nothing(db_path: Path) -> None:
    lib = Library.open(db_path)
    lib.set_status(["a"], Status.READ)
    before = snapshot(db_path.parent)
    with pytest.raises(ValueError):
        lib.change_tags(["a", "b"], TagEdit.of(add=["good", "bad,tag"]))
    with pytest.raises(ValueError):
        lib.set_status(["b", ""], Status.READ)
    with pytest.raises(ValueError):
        lib.set_status(["b"], "finished")
    with pytest.raises(ValueError):
        lib.set_note("a", "x" * (MAX_NOTE_BYTES + 1))
    with pytest.raises(ValueError):
        lib.set_note("a", "lone \ud800 surrogate")
    with pytest.raises(ValueError):
        lib.put_annotations([Annotation("c"), Annotation("d", tags=("a,b",))])
    with pytest.raises(ValueError):
        lib.put_metadata({"c": {"when": object()}})
    with pytest.raises(ValueError, match="categories must be a list"):
        lib.put_metadata({"c": {"title": "ok"}, "d": {"categories": "cs.LG"}})
    with pytest.raises(ValueError):
        lib.set_meta("schema_version", 99)
    assert snapshot(db_path.parent) == before
    assert lib.annotations().keys() == {"a"}


def test_note_limit_is_one_megabyte_of_utf8() -> None:
    assert validate_note("x" * MAX_NOTE_BYTES)
    with pytest.raises(ValueError, match="larger"):
        validate_note("é" * (MAX_NOTE_BYTES // 2 + 1))


def test_a_one_megabyte_note_round_trips(db_path: Path) -> None:
    note = ("línea **md** 🙂\n" * 70_000)[: MAX_NOTE_BYTES // 4]
    Library.open(db_path).set_note("k", note)
    assert Library.open(db_path).annotation("k").note == note


# files, modes, backup, temp files ----------------------------------------------------------


def test_folders_created_and_file_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "library.json"
    Library.open(path).set_status(["a"], Status.READ)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (path.parent / "library.json.bak").exists()  # a new library: nothing to keep
    Library.open(path).set_status(["b"], Status.READ)
    assert stat.S_IMODE((path.parent / "library.json.bak").stat().st_mode) == 0o600


def test_existing_mode_is_kept(db_path: Path) -> None:
    Library.open(db_path)
    db_path.chmod(0o640)
    Library.open(db_path).set_status(["a"], Status.READ)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o640


def test_symlinked_library_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "library.json"
    Library.open(real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    Library.open(link).set_status(["a"], Status.READ)
    assert link.is_symlink()
    assert Library.open(real).annotation("a").status is Status.READ


def test_backup_is_a_second_name_of_the_file_before_the_write(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``.bak`` of a private library is the file itself under a second name (no copy);
    of a file others may read, or where there are no hard links, a copy with mode 0600."""

    Library.open(db_path).set_status(["a"], Status.READ)
    before = db_path.stat()
    Library.open(db_path).set_status(["b"], Status.READ)
    bak = db_path.with_name("library.json.bak")
    assert bak.stat().st_ino == before.st_ino != db_path.stat().st_ino
    assert stat.S_IMODE(bak.stat().st_mode) == 0o600
    assert not list(db_path.parent.glob(".library.json*.tmp"))
    db_path.chmod(0o640)
    kept = db_path.read_bytes()
    Library.open(db_path).set_status(["c"], Status.READ)
    assert bak.read_bytes() == kept and stat.S_IMODE(bak.stat().st_mode) == 0o600
    assert bak.stat().st_ino != db_path.stat().st_ino
    db_path.chmod(0o600)

    def no_links(*_args: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    kept = db_path.read_bytes()
    Library.open(db_path).set_status(["d"], Status.READ)
    assert bak.read_bytes() == kept and stat.S_IMODE(bak.stat().st_mode) == 0o600


def test_backup_is_the_file_before_the_first_write_of_each_run(db_path: Path) -> None:
    Library.open(db_path).set_status(["a"], Status.READ)
    bak = db_path.with_name("library.json.bak")
    first_run_end = db_path.read_bytes()

    lib = Library.open(db_path)
    lib.set_status(["b"], Status.READ)
    assert bak.read_bytes() == first_run_end
    lib.set_status(["c"], Status.READ)
    assert bak.read_bytes() == first_run_end  # one generation per run, not per write
    assert TinyDB(bak).table("annotations").count(Query().key == "b") == 0


def test_stale_temp_files_are_removed_at_open(db_path: Path) -> None:
    Library.open(db_path)
    stale = [db_path.parent / ".library.json.abc123.tmp", db_path.parent / ".library.json.x.tmp"]
    for path in stale:
        path.write_text('{"torn')
    other = db_path.parent / "notes.tmp"
    other.write_text("not ours")
    Library.open(db_path)
    assert not any(p.exists() for p in stale)
    assert other.exists()
    # A name with glob characters cleans only its own temp files.
    Library.open(db_path.parent / "lib[1].json")
    assert other.exists()
    neighbour = db_path.parent / ".lib1.json.abc123.tmp"
    neighbour.write_text("another library's write in flight")
    (db_path.parent / ".lib[1].json.abc123.tmp").write_text("stale")
    Library.open(db_path.parent / "lib[1].json")
    assert neighbour.exists() and not (db_path.parent / ".lib[1].json.abc123.tmp").exists()


def test_no_temp_files_left_after_writes(db_path: Path) -> None:
    lib = Library.open(db_path)
    for i in range(5):
        lib.set_status([f"k{i}"], Status.READ)
    names = {p.name for p in db_path.parent.iterdir()}
    assert names <= {"library.json", "library.json.bak", "library.json.lock"}


# bad files ---------------------------------------------------------------------------------

GOOD = (
    b'{"annotations": {"1": {"key": "a", "status": "read"}},'
    b' "meta": {"1": {"name": "schema_version", "value": 1}}}'
)

BAD_FILES = {
    "empty": (b"", "empty"),
    "whitespace": (b"  \n", "empty"),
    "not json": (b"hello", "not JSON"),
    "truncated": (GOOD[: len(GOOD) // 2], "not JSON"),
    "not utf-8": (b'{"annotations": {"1": {"key": "\xff"}}}', "not JSON"),
    "a list": (b"[1, 2]", "found list"),
    "table not object": (b'{"annotations": [1]}', "table 'annotations'"),
    "doc id not number": (b'{"annotations": {"x": {"key": "a"}}}', "'x'"),
    "doc not object": (b'{"annotations": {"1": "a"}}', "document 1"),
    "no key": (b'{"annotations": {"1": {"status": "read"}}}', "no 'key'"),
    "bad status": (
        GOOD.replace(b'"status": "read"', b'"status": "done"'),
        "unknown status 'done'",
    ),
    "bad tags": (GOOD.replace(b'"status"', b'"tags": "a,b", "status"'), "tags"),
    "bad metadata": (
        GOOD.replace(b'"meta"', b'"metadata": {"7": {"key": "k", "authors": 5}}, "meta"'),
        "arXiv metadata 7 (k): authors must be a list of strings or null, not 5",
    ),
    "bad metadata text": (
        GOOD.replace(b'"meta"', b'"metadata": {"7": {"key": "k", "title": ["x"]}}, "meta"'),
        "title must be text or null, not ['x']",
    ),
    "an export": (b'{"format": "rlhf-reader-export", "version": 1}', "is an export"),
    "bad version": (GOOD.replace(b'"value": 1', b'"value": "one"'), "schema_version"),
    "newer schema": (GOOD.replace(b'"value": 1', b'"value": 99'), "newer rlhf-reader"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_an_error_and_left_untouched(db_path: Path, name: str) -> None:
    content, message = BAD_FILES[name]
    db_path.write_bytes(content)
    (db_path.parent / ".library.json.old.tmp").write_bytes(b"stale")
    with pytest.raises(LibraryError) as info:
        Library.open(db_path)
    assert str(db_path) in str(info.value)
    assert message in str(info.value)
    assert db_path.read_bytes() == content
    assert not db_path.with_name("library.json.bak").exists()


def test_file_broken_while_open_is_an_error_not_overwritten(db_path: Path) -> None:
    lib = Library.open(db_path)
    lib.set_status(["a"], Status.READ)
    db_path.write_bytes(b'{"annotations": ')  # another program breaks it
    with pytest.raises(LibraryError, match="not JSON"):
        lib.set_status(["b"], Status.READ)
    with pytest.raises(LibraryError):
        lib.annotations()
    assert db_path.read_bytes() == b'{"annotations": '


def test_folder_in_place_of_the_file(db_path: Path) -> None:
    db_path.mkdir()
    with pytest.raises(LibraryError, match="folder"):
        Library.open(db_path)


def test_file_in_place_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(LibraryError, match="cannot create its folder"):
        Library.open(tmp_path / "blocker" / "library.json")


def test_failed_write_leaves_file_and_cache_consistent(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = Library.open(db_path)
    lib.set_status(["a"], Status.READ)
    before = snapshot(db_path.parent)

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "fsync", no_space)
    with pytest.raises(LibraryError, match="No space left"):
        lib.set_status(["b"], Status.READ)
    monkeypatch.undo()
    assert snapshot(db_path.parent) == before
    assert lib.annotations().keys() == {"a"}  # the cache did not keep the failed change


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_folder_and_unreadable_file(db_path: Path) -> None:
    lib = Library.open(db_path)
    lib.set_status(["a"], Status.READ)
    before = db_path.read_bytes()
    db_path.parent.chmod(0o500)
    try:
        with pytest.raises(LibraryError, match=str(db_path)):
            Library.open(db_path).set_status(["b"], Status.READ)
    finally:
        db_path.parent.chmod(0o700)
    assert db_path.read_bytes() == before
    db_path.chmod(0o000)
    try:
        with pytest.raises(LibraryError, match="cannot read"):
            Library.open(db_path)
    finally:
        db_path.chmod(0o600)


# schema and migration ----------------------------------------------------------------------


def test_plain_tinydb_file_is_migrated_and_backed_up(db_path: Path) -> None:
    db = TinyDB(db_path)
    db.table("annotations").insert({"key": "a", "status": "read", "tags": ["x"]})
    db.close()
    original = db_path.read_bytes()
    lib = Library.open(db_path)
    assert lib.get_meta("schema_version") == SCHEMA_VERSION
    assert lib.annotation("a").tags == ("x",)
    assert db_path.with_name("library.json.bak").read_bytes() == original
    assert json.loads(db_path.read_text())["meta"]


def test_migration_hook_runs_for_older_versions(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path.write_bytes(GOOD)
    ran: list[int] = []

    def to_2(tables: store.Tables) -> None:
        ran.append(1)
        for doc in tables["annotations"].values():
            doc["tags"] = ["migrated"]

    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(store.MIGRATIONS, 1, to_2)
    lib = Library.open(db_path)
    assert ran == [1]
    assert lib.get_meta("schema_version") == 2
    assert lib.annotation("a").tags == ("migrated",)
    assert json.loads(db_path.read_text())["meta"]["1"]["value"] == 2


# several instances, threads ----------------------------------------------------------------


def test_two_instances_see_each_others_writes_and_ids_do_not_collide(db_path: Path) -> None:
    one, two = Library.open(db_path), Library.open(db_path)
    one.set_status(["a"], Status.READ)
    assert two.annotation("a").status is Status.READ  # re-read, not a stale cache
    two.set_status(["b"], Status.READING)
    one.set_status(["c"], Status.READ)
    two.change_tags(["a"], TagEdit.of(add=["x"]))
    final = Library.open(db_path).annotations()
    assert {k: a.status for k, a in final.items()} == {
        "a": Status.READ,
        "b": Status.READING,
        "c": Status.READ,
    }
    assert final["a"].tags == ("x",)
    ids = list(json.loads(db_path.read_text())["annotations"])
    assert len(ids) == len(set(ids)) == 3


def test_refresh_reports_changes_from_elsewhere(db_path: Path) -> None:
    one, two = Library.open(db_path), Library.open(db_path)
    assert one.refresh() is False
    two.set_note("a", "hi")
    assert one.refresh() is True
    assert one.annotation("a").note == "hi"


def test_one_instance_is_safe_from_several_threads(db_path: Path) -> None:
    lib = Library.open(db_path)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(15):
                lib.change_tags(["shared"], TagEdit.of(add=[f"t{n}-{i}"]))
                lib.set_status([f"k{n}-{i}"], Status.READ)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = Library.open(db_path)
    assert len(final.annotation("shared").tags) == 45
    assert len(final.annotations()) == 46


def test_unwritable_folder_is_a_clear_error(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a read-only folder does to mkstemp (also run as root, which ignores modes)."""
    lib = Library.open(db_path)
    lib.set_status(["a"], Status.READ)
    before = snapshot(db_path.parent)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fileio.tempfile, "mkstemp", denied)
    with pytest.raises(LibraryError) as info:
        lib.set_status(["b"], Status.READ)
    assert str(db_path) in str(info.value) and "Permission denied" in str(info.value)
    monkeypatch.undo()
    assert snapshot(db_path.parent) == before


def test_change_meta_is_a_change_to_the_value_in_the_file(db_path: Path) -> None:
    one, two = Library.open(db_path), Library.open(db_path)
    one.set_meta("whats_new", {"a": "2026-01-01"})
    assert two.get_meta("whats_new") == {"a": "2026-01-01"}
    one.change_meta("whats_new", lambda v: v | {"b": "2026-01-02"})
    # two's copy is stale, but its change is applied to the file as it is now
    two.change_meta("whats_new", lambda v: {k: w for k, w in v.items() if k != "a"})
    assert Library.open(db_path).get_meta("whats_new") == {"b": "2026-01-02"}
    before = db_path.stat().st_mtime_ns
    assert one.change_meta("whats_new", lambda v: v) == {"b": "2026-01-02"}
    assert db_path.stat().st_mtime_ns == before  # unchanged: nothing written


def test_annotations_of_some_keys_and_the_keys_alone(db_path: Path) -> None:
    """What the JSON backup asks for the keys the list lacks: only those annotations made."""
    lib = Library.open(db_path)
    lib.set_status(["b", "a", "c"], Status.READ)
    lib.change_tags(["d"], TagEdit(add=("x",)))
    assert lib.annotation_keys() == ["b", "a", "c", "d"]
    every = lib.annotations()
    some = lib.annotations(["d", "nope", "a"])
    assert list(some) == ["d", "a"] and some == {k: every[k] for k in ("d", "a")}
    assert lib.annotations([]) == {}
    lib.close()
