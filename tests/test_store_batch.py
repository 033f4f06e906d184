"""Library.batch: many changes, one write of the file (an import of many new papers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from rlhf_reader.library import store
from rlhf_reader.library.store import Library, LibraryError
from rlhf_reader.model import Status
from rlhf_reader.tags import TagEdit


def counted_writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every atomic write of a library file, counted (and still made)."""
    writes: list[Path] = []
    real = store.SafeStorage._atomic_write

    def spy(self: store.SafeStorage, dest: Path, payload: bytes, mode: int) -> None:
        writes.append(dest)
        real(self, dest, payload, mode)

    monkeypatch.setattr(store.SafeStorage, "_atomic_write", spy)
    return writes


def test_changes_in_a_batch_are_written_once_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "library.json"
    library = Library.open(path)
    library.set_status(["2203.02155"], Status.READ)  # the file exists, with its backup
    writes = counted_writes(monkeypatch)
    before = path.read_bytes()
    with library.batch():
        for n in range(20):
            library.put_addition({"key": f"mine-{n}", "title": f"Paper {n}"})
            library.set_note(f"mine-{n}", f"note {n}")
        library.change_tags([f"mine-{n}" for n in range(20)], TagEdit(add=("dpo",)))
        assert path.read_bytes() == before  # nothing on disk yet
        assert library.annotation("mine-3").note == "note 3"  # but read back in the batch
    assert writes == [path.resolve()]
    fresh = Library.open(path)
    assert len(fresh.additions()) == 20
    assert fresh.annotation("mine-19").tags == ("dpo",) and fresh.annotation("mine-0").note
    assert fresh.annotation("2203.02155").status is Status.READ


def test_a_batch_that_raises_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    library = Library.open(path)
    library.set_status(["2203.02155"], Status.READ)
    before = path.read_bytes()
    with pytest.raises(RuntimeError), library.batch():
        library.set_note("2203.02155", "half done")
        raise RuntimeError("stop")
    assert path.read_bytes() == before
    assert library.annotation("2203.02155").note == ""  # the cache was dropped, not kept


def test_a_failed_change_caught_inside_the_batch_still_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    library = Library.open(path)
    library.set_note("2203.02155", "theirs")
    before = path.read_bytes()
    with pytest.raises(LibraryError, match="nothing was written"), library.batch():
        library.set_status(["2203.02155"], Status.READING)
        with pytest.raises(store.NoteChanged):
            library.set_note("2203.02155", "mine", base="what I loaded")
    assert path.read_bytes() == before


def test_importing_many_new_papers_writes_the_library_once(
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bib = tmp_path / "many.bib"
    bib.write_text(
        "".join(
            f"@article{{k{n},\n  title = {{A new paper number {n}}},\n  author = {{Doe, Jane}},\n"
            f"  year = {{2024}},\n  keywords = {{read, dpo}},\n  note = {{seen {n}}}\n}}\n\n"
            for n in range(40)
        ),
        encoding="utf-8",
    )
    assert run_cli(capsys, db_path, "stats")[0] == 0  # the library file exists
    writes = counted_writes(monkeypatch)
    code, _, err = run_cli(capsys, db_path, "import", str(bib), "--status-from-keywords")
    assert code == 0, err
    assert writes.count(db_path.resolve()) == 1  # (and its backup, once per process)
    library = Library.open(db_path)
    assert len(library.additions()) == 40
    assert all(a.status is Status.READ for a in library.annotations().values())
