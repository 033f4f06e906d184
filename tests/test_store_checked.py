"""Opening a library skips the document checks only for bytes that passed them before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tinydb import TinyDB

from rlhf_reader.library import store
from rlhf_reader.library.store import Library, LibraryError, SafeStorage
from rlhf_reader.model import Status


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every run of the document-by-document checks, by path."""
    seen: list[Path] = []
    real = store._check_documents

    def counting(path: Path, tables: store.Tables) -> None:
        seen.append(path)
        real(path, tables)

    monkeypatch.setattr(store, "_check_documents", counting)
    return seen


def test_bytes_checked_once_are_not_checked_again(db_path: Path, checks: list[Path]) -> None:
    library = Library.open(db_path)  # a new file: written by us, recorded
    library.set_status(["a", "b"], Status.READ)
    library.close()
    assert checks == []
    again = Library.open(db_path)
    assert checks == []  # the very bytes the last write recorded
    assert again.annotation("a").status is Status.READ
    # Another program edits the file: its bytes are checked, and recorded once they pass.
    data = json.loads(db_path.read_text())
    data["annotations"]["1"]["note"] = "edited by hand"
    db_path.write_text(json.dumps(data))
    assert Library.open(db_path).annotation("a").note == "edited by hand"
    assert checks == [db_path]
    Library.open(db_path)
    assert checks == [db_path]


def test_a_bad_edit_after_a_recorded_write_is_still_refused(db_path: Path) -> None:
    library = Library.open(db_path)
    library.set_status(["a"], Status.READ)
    library.close()
    data = json.loads(db_path.read_text())
    data["annotations"]["1"]["status"] = "done"
    db_path.write_text(json.dumps(data))
    before = db_path.read_bytes()
    with pytest.raises(LibraryError, match="unknown status 'done'"):
        Library.open(db_path)
    assert db_path.read_bytes() == before  # never overwritten


def test_tinydb_writes_are_checked_at_the_next_open(db_path: Path, checks: list[Path]) -> None:
    Library.open(db_path).close()
    db = TinyDB(db_path, storage=SafeStorage)
    db.table("annotations").insert({"key": "x", "tags": "not-a-list"})
    db.close()
    with pytest.raises(LibraryError, match="tags must be a list"):
        Library.open(db_path)
    assert checks  # the file TinyDB wrote was checked, not trusted


def test_the_record_lives_in_the_cache_folder_not_beside_the_library(db_path: Path) -> None:
    library = Library.open(db_path)
    library.set_status(["a"], Status.READING)
    names = {p.name for p in db_path.parent.iterdir()}
    assert names <= {"library.json", "library.json.bak", "library.json.lock"}
    record = store._checked_record(Path(db_path).resolve())
    assert record is not None and record.read_text().startswith("rlhf-reader-checked ")
    assert record.read_text() == store.fingerprint(db_path.read_bytes())
