"""The library's snapshot (library/snapshot.py): read instead of the JSON only for the very
bytes it was made of; anything else is parsed and checked as before."""

from __future__ import annotations

import json
import marshal
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlhf_reader.library import snapshot, store
from rlhf_reader.library.store import Library, LibraryError
from rlhf_reader.model import Annotation, Status
from rlhf_reader.tags import TagEdit


@pytest.fixture(autouse=True)
def every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "MIN_BYTES", 0)  # the tests' libraries are small


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every parse of a library's JSON, by path."""
    seen: list[Path] = []
    real = store.decode

    def counting(path: Path, raw: bytes, *, checked: bool = False) -> tuple[store.Tables, bool]:
        seen.append(path)
        return real(path, raw, checked=checked)

    monkeypatch.setattr(store, "decode", counting)
    return seen


def snapshot_of(db_path: Path) -> Path:
    record = store._checked_record(Path(db_path).resolve())
    assert record is not None
    return snapshot.path_for(record)


def _random_library(db_path: Path, seed: int) -> Library:
    rng = random.Random(seed)
    words = ["dpo", "ppo", "ünï", "note\nline", "\u202e", "", "x" * 50, "🙂", "a\\b", '"q"']
    library = Library.open(db_path)
    annotations = [
        Annotation(
            f"k{i}",
            rng.choice(list(Status)),
            tuple(dict.fromkeys(rng.sample(["dpo", "rm", "eval", "ünï"], rng.randint(0, 3)))),
            " ".join(rng.choice(words) for _ in range(rng.randint(0, 6))),
            "2026-01-01T00:00:00Z",
            rng.choice(["2026-01-01T00:00:00Z", "2026-02-03T04:05:06Z"]),
            rng.choice([None, "2026-01-02T00:00:00Z"]),
        )
        for i in range(rng.randint(0, 40))
    ]
    library.put_annotations(annotations)
    library.put_metadata(
        {
            f"k{i}": {
                "title": rng.choice(words),
                "authors": [rng.choice(words)],
                "extra": {"n": rng.randint(-(2**40), 2**40), "f": rng.random(), "b": True},
            }
            for i in range(rng.randint(0, 5))
        }
    )
    library.put_addition({"key": "mine", "title": "Mine", "tags": ("a",), "n": None})
    library.set_meta("queue", ["k1", "k0"])
    library.set_meta("nested", {"t": ("x", ("y",)), "l": [1.5, None]})  # tuples: stored as lists
    return library


@pytest.mark.parametrize("seed", range(8))
def test_the_snapshot_holds_what_decode_makes_of_the_bytes(
    db_path: Path, decodes: list[Path], seed: int
) -> None:
    """Differential: the tables read from the snapshot equal decode() of the file's bytes,
    whether the snapshot was made by a write or by a read that parsed the file."""
    _random_library(db_path, seed).close()
    raw = db_path.read_bytes()
    expected, _ = store.decode(db_path, raw)
    assert snapshot_of(db_path).exists()  # made by the last write
    decodes.clear()
    opened = Library.open(db_path)
    assert decodes == []  # read from the snapshot
    assert opened._tables() == expected
    # Made by a read: a file the snapshot is not of is parsed, then its snapshot kept.
    snapshot_of(db_path).unlink()
    assert Library.open(db_path)._tables() == expected
    assert decodes == [db_path]
    assert Library.open(db_path)._tables() == expected
    assert decodes == [db_path]


def test_a_hand_edit_is_parsed_and_checked(db_path: Path, decodes: list[Path]) -> None:
    library = Library.open(db_path)
    library.set_status(["a"], Status.READ)
    library.close()
    data = json.loads(db_path.read_text())
    data["annotations"]["1"]["note"] = "edited by hand"
    db_path.write_text(json.dumps(data))
    decodes.clear()
    assert Library.open(db_path).annotation("a").note == "edited by hand"
    assert decodes == [db_path]


def test_a_bad_edit_is_refused_as_before(db_path: Path) -> None:
    library = Library.open(db_path)
    library.set_status(["a"], Status.READ)
    library.close()
    assert snapshot_of(db_path).exists()
    data = json.loads(db_path.read_text())
    data["annotations"]["1"]["status"] = "done"
    db_path.write_text(json.dumps(data))
    before = db_path.read_bytes()
    with pytest.raises(LibraryError, match="unknown status 'done'"):
        Library.open(db_path)
    assert db_path.read_bytes() == before  # never overwritten
    db_path.write_bytes(b"")
    with pytest.raises(LibraryError, match="empty"):
        Library.open(db_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"",
        lambda blob: blob[: len(blob) // 2],
        lambda blob: blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:],
        lambda blob: blob.replace(b"marshal-", b"marshal-9", 1),
        lambda blob: blob.split(b"\n", 1)[1],
        lambda blob: bytes(range(256)),
    ],
    ids=["empty", "truncated", "bit", "format", "no-header", "binary"],
)
def test_a_damaged_snapshot_is_never_used(  # type: ignore[no-untyped-def]
    db_path: Path, decodes: list[Path], damage
) -> None:
    _random_library(db_path, 1).close()
    expected, _ = store.decode(db_path, db_path.read_bytes())
    kept = snapshot_of(db_path)
    kept.write_bytes(damage(kept.read_bytes()))
    decodes.clear()
    assert Library.open(db_path)._tables() == expected
    assert decodes == [db_path]  # parsed, and a good snapshot made again
    assert Library.open(db_path)._tables() == expected
    assert decodes == [db_path]


def test_another_librarys_snapshot_is_not_used(tmp_path: Path, decodes: list[Path]) -> None:
    """A snapshot names the bytes it holds: one of other bytes (copied over, or of the file
    before another program replaced it) is not read."""
    first, second = tmp_path / "a" / "library.json", tmp_path / "b" / "library.json"
    Library.open(first).set_status(["a"], Status.READ)
    Library.open(second).set_status(["b"], Status.READING)
    snapshot_of(second).write_bytes(snapshot_of(first).read_bytes())
    decodes.clear()
    reopened = Library.open(second)
    assert decodes == [second]
    assert reopened.annotation_keys() == ["b"]


def test_the_tui_reads_a_snapshot_but_never_writes_one(db_path: Path, decodes: list[Path]) -> None:
    Library.open(db_path).set_status(["a"], Status.READ)
    made = snapshot_of(db_path).read_bytes()
    decodes.clear()
    tui = Library.open(db_path, long_lived=True)
    assert decodes == []
    tui.set_status(["b"], Status.READING)  # a write of the TUI: no snapshot of it
    assert snapshot_of(db_path).read_bytes() == made
    decodes.clear()
    assert Library.open(db_path).annotation("b").status is Status.READING
    assert decodes == [db_path]  # the next command parses the TUI's file…
    assert snapshot_of(db_path).read_bytes() != made  # …and keeps its snapshot


def test_a_write_by_another_process_is_seen(db_path: Path) -> None:
    """A library read from its snapshot still notices (poll/refresh) the file another
    process wrote, and a write applies to the file as it is then."""
    Library.open(db_path).set_status(["a"], Status.READ)
    mine = Library.open(db_path)  # from the snapshot
    Library.open(db_path).change_tags(["a"], TagEdit.of(add=["other"]))
    assert mine.refresh()
    assert mine.annotation("a").tags == ("other",)
    mine.set_status(["a"], Status.UNREAD)
    again = Library.open(db_path)
    assert again.annotation("a").tags == ("other",)
    assert again.annotation("a").status is Status.UNREAD


def test_the_snapshot_lives_in_the_cache_folder(db_path: Path) -> None:
    Library.open(db_path).set_status(["a"], Status.READ)
    names = {p.name for p in db_path.parent.iterdir()}
    assert names <= {"library.json", "library.json.bak", "library.json.lock"}
    kept = snapshot_of(db_path)
    assert kept.exists() and kept.stat().st_mode & 0o777 == 0o600


def test_small_libraries_get_no_snapshot(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "MIN_BYTES", 1_000_000)
    Library.open(db_path).set_status(["a"], Status.READ)
    Library.open(db_path)
    assert not snapshot_of(db_path).exists()


# --- packed tables: what the snapshot holds, and what is read from it ----------------------

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(max_size=8),
    st.lists(st.text(max_size=4), max_size=3),
)
_docs = st.dictionaries(st.sampled_from(["key", "status", "tags", "x", "é"]), _values, max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.lists(_docs, max_size=12))
def test_a_packed_table_gives_back_its_documents_in_order(docs: list[dict[str, Any]]) -> None:
    table = {str(i * 7 % 13): doc for i, doc in enumerate(docs)}
    packed = snapshot.Packed(marshal.loads(marshal.dumps(snapshot.pack(table))))
    assert packed.docs() == table
    assert [list(doc) for doc in packed.docs().values()] == [list(doc) for doc in table.values()]
    assert list(packed.docs()) == list(table)
    fields = ("key", "status")
    assert packed.uniform(fields) == all(tuple(doc) == fields for doc in table.values())


def _read_both_ways(db_path: Path) -> tuple[Library, Library]:
    """The library as read from its snapshot (its tables still packed) and as parsed."""
    from_snapshot = Library.open(db_path)
    assert from_snapshot._storage.packed("annotations") is not None
    saved = snapshot_of(db_path).read_bytes()
    snapshot_of(db_path).unlink()
    parsed = Library.open(db_path)
    assert parsed._storage.packed("annotations") is None
    snapshot_of(db_path).write_bytes(saved)
    return from_snapshot, parsed


@pytest.mark.parametrize("seed", range(6))
def test_reading_the_packed_tables_answers_as_the_documents_do(db_path: Path, seed: int) -> None:
    _random_library(db_path, seed).close()
    data = json.loads(db_path.read_text())
    if data["annotations"]:
        first = next(iter(data["annotations"]))
        doc = data["annotations"][first]
        # the same key stored twice: the last document is the one read
        data["annotations"]["999"] = {**doc, "status": "read", "note": "the later one"}
        if seed % 2:  # a document of another shape (fields in another order): read as a dict
            data["annotations"][first] = dict(reversed(doc.items()))
    db_path.write_text(json.dumps(data))
    Library.open(db_path).close()  # parsed, checked, its snapshot kept
    packed, parsed = _read_both_ways(db_path)
    assert packed.statuses() == parsed.statuses()
    assert packed.tally() == parsed.tally()
    got, expected = packed.annotations(), parsed.annotations()
    assert got == expected and list(got) == list(expected)
    assert all(type(a) is Annotation for a in got.values())
    assert not packed.refresh()  # (the TUI polls: nothing changed, nothing made)
    # the tuples answered (no dict was made), unless a document had another shape
    assert (packed._storage.packed("annotations") is None) == bool(seed % 2 and got)
    for key in [*parsed.annotation_keys(), "missing"]:  # one document, found in the tuples
        assert packed.annotation(key) == parsed.annotation(key)
        assert packed.metadata(key) == parsed.metadata(key)
    assert packed.get_meta("queue") == parsed.get_meta("queue") == ["k1", "k0"]
    assert packed.get_meta("nested") == parsed.get_meta("nested")
    assert packed.queue() == parsed.queue()
    assert packed.all_metadata() == parsed.all_metadata()
    assert packed.annotation_keys() == parsed.annotation_keys()
    fields = packed.annotation_fields()
    assert fields == parsed.annotation_fields() and list(fields) == list(expected)
    assert fields == {k: (list(a.tags), a.note, a.read_at) for k, a in expected.items()}
    some = [*parsed.annotation_keys()[::-2], "missing", *parsed.annotation_keys()[:2]]
    chosen = packed.annotations(iter(some))
    assert chosen == parsed.annotations(some) and list(chosen) == list(parsed.annotations(some))
    assert packed._tables() == parsed._tables()


@pytest.mark.parametrize("seed", range(4))
def test_a_write_after_reading_some_tables_writes_the_same_file(db_path: Path, seed: int) -> None:
    """A table made dicts alone (the arXiv cache), then a change: the file written is the
    one a library parsed from the JSON writes, tables in the same order."""
    _random_library(db_path, seed).close()
    copy = db_path.with_name("copy.json")
    copy.write_bytes(db_path.read_bytes())
    packed = Library.open(db_path)
    packed.all_metadata()
    packed.get_meta("queue")
    packed.set_status(["k0", "new"], Status.READING)
    parsed = Library.open(copy)
    snapshot_of(copy).unlink(missing_ok=True)
    parsed = Library.open(copy)
    parsed.all_metadata()
    parsed.set_status(["k0", "new"], Status.READING)
    written, expected = json.loads(db_path.read_bytes()), json.loads(copy.read_bytes())
    for doc in (*written["annotations"].values(), *expected["annotations"].values()):
        doc.pop("created") if doc["key"] == "new" else None
        doc.pop("updated")
    assert written == expected and list(written) == list(expected)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: {**t, "annotations": (t["annotations"][0], t["annotations"][1], None,
                                        [row[:-1] for row in t["annotations"][3]])},
        lambda t: {**t, "annotations": (t["annotations"][0], t["annotations"][1],
                                        [7] * len(t["annotations"][3]), t["annotations"][3])},
        lambda t: {**t, "meta": ([], [], None, [("x",)])},
        lambda t: {**t, "metadata": {}},
    ],
    ids=["short-row", "no-such-shape", "no-shapes", "not-packed"],
)  # fmt: skip
def test_a_snapshot_of_the_wrong_shape_is_not_used(  # type: ignore[no-untyped-def]
    db_path: Path, decodes: list[Path], spoil
) -> None:
    """Intact (its digest right) but not what ``pack`` makes: the JSON is read instead."""
    _random_library(db_path, 2).close()
    expected, _ = store.decode(db_path, db_path.read_bytes())
    kept = snapshot_of(db_path)
    head, _, payload = kept.read_bytes().partition(b"\n")
    fingerprint = head.decode().split("\t")[1]
    bad = marshal.dumps(spoil(marshal.loads(payload)))
    kept.write_bytes(snapshot._header(fingerprint, bad) + bad)
    decodes.clear()
    assert Library.open(db_path)._tables() == expected
    assert decodes == [db_path]


_id_docs = st.dictionaries(
    st.sampled_from(["key", "status", "x"]),
    st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 2), st.none()),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_id_docs, max_size=12))
def test_find_gives_the_last_document_of_a_value_in_any_shape(docs: list[dict[str, Any]]) -> None:
    """``Packed.find`` answers what the table's key → id index (last document wins) does,
    whatever the documents' shapes (some without the field)."""
    table = {str(i): doc for i, doc in enumerate(docs)}
    packed = snapshot.Packed(marshal.loads(marshal.dumps(snapshot.pack(table))))
    last = {doc["key"]: doc for doc in table.values() if "key" in doc}
    for value in ["a", "b", "c", 0, 1, 2, None, "missing"]:
        assert packed.find("key", value) == last.get(value)


def test_a_big_librarys_snapshot_is_written_by_a_detached_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decodes: list[Path]
) -> None:
    import os
    import time

    from rlhf_reader import parallel

    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    parent, saved_here = os.getpid(), []
    real = snapshot.save

    def save(path: Path, fingerprint: str, tables: dict[str, Any]) -> None:
        if os.getpid() == parent:
            saved_here.append(path)
        real(path, fingerprint, tables)

    monkeypatch.setattr(snapshot, "save", save)
    db_path = tmp_path / "lib.json"
    library = _random_library(db_path, 3)  # (snapshots saved here)
    saved_here.clear()
    monkeypatch.setattr(snapshot, "DETACHED_BYTES", 0)
    library.set_status("k0", Status.READ)  # one write: its snapshot saved by another process
    assert saved_here == []
    written = snapshot_of(db_path)
    want = store.fingerprint(db_path.read_bytes())
    deadline = time.monotonic() + 30
    while snapshot.load(written, want, store.TABLES) is None and time.monotonic() < deadline:
        time.sleep(0.02)  # written by the detached process, for the bytes written last
    decodes.clear()
    again = Library.open(db_path)
    assert again.annotations() == library.annotations()
    assert decodes == []  # read from that snapshot
