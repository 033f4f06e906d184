"""The library's snapshot (library/snapshot.py): read instead of the JSON only for the very
bytes it was made of; anything else is parsed and checked as before."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

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
