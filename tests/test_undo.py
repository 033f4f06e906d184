"""Undo (rlhf_reader.undo) on a real library file, without a terminal. "Another process" is a
second ``Library`` on the same file, which goes through the same lock and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlhf_reader.library.store import Library
from rlhf_reader.model import Status
from rlhf_reader.tags import parse_tag_edit
from rlhf_reader.undo import History


@pytest.fixture
def library(db_path: Path):
    library = Library.open(db_path)
    yield library
    library.close()


def elsewhere(db_path: Path):
    """Another process's view of the file."""
    return Library.open(db_path)


def mark(history: History, library: Library, keys: list[str], status: Status) -> None:
    what = f"marked {status.value}"
    history.record(library, keys, lambda: library.set_status(keys, status), what)


def test_read_unread_undo_gives_back_the_first_read_date(library: Library, db_path: Path) -> None:
    history = History()
    mark(history, library, ["a"], Status.READ)
    read_at = library.annotation("a").read_at
    assert read_at
    mark(history, library, ["a"], Status.UNREAD)
    assert library.annotation("a").read_at is None
    assert len(history) == 2

    done = history.undo(library)
    assert done is not None and done.complete
    assert done.summary() == "Undone: marked unread."
    other = elsewhere(db_path)
    assert other.annotation("a").status is Status.READ
    assert other.annotation("a").read_at == read_at  # the original date, not a new one
    other.close()

    done = history.undo(library)
    assert done is not None and library.annotation("a").status is Status.UNREAD
    assert library.annotation("a").read_at is None
    assert history.undo(library) is None  # nothing left
    assert len(history) == 0


def test_a_write_that_changes_nothing_is_no_step(library: Library) -> None:
    history = History()
    mark(history, library, ["a"], Status.UNREAD)  # unread already
    assert len(history) == 0
    assert history.undo(library) is None


def test_undo_does_not_clobber_a_status_changed_elsewhere(library: Library, db_path: Path) -> None:
    history = History()
    mark(history, library, ["a"], Status.READ)
    other = elsewhere(db_path)
    other.set_status(["a"], Status.READING)  # the CLI, after the TUI's change
    other.close()

    done = history.undo(library)
    assert done is not None and not done.complete
    assert done.kept == (("a", "status"),)
    assert "Not undone" in done.summary() and "nothing was overwritten" in done.summary()
    again = elsewhere(db_path)
    assert again.annotation("a").status is Status.READING  # theirs stays
    again.close()
    assert len(history) == 0  # used up: pressing u again does not retry it


def test_a_section_mark_is_one_step_undone_key_by_key(library: Library, db_path: Path) -> None:
    library.set_status(["b"], Status.READ)
    b_read_at = library.annotation("b").read_at
    history = History()
    keys = ["a", "b", "c", "d"]
    mark(history, library, keys, Status.READ)
    assert len(history) == 1
    assert history.last is not None and history.last.keys == ["a", "c", "d"]  # b did not change
    other = elsewhere(db_path)
    other.set_status(["d"], Status.READING)
    other.set_note("d", "changed elsewhere")
    other.close()

    done = history.undo(library)
    assert done is not None
    assert done.kept == (("d", "status"),)
    assert done.summary(lambda key: key.upper()).startswith("Undone in part: marked read.")
    assert "«D»" in done.summary(lambda key: key.upper())
    fresh = elsewhere(db_path)
    assert [fresh.annotation(k).status for k in keys] == [
        Status.UNREAD,
        Status.READ,
        Status.UNREAD,
        Status.READING,
    ]
    assert fresh.annotation("b").read_at == b_read_at
    assert fresh.annotation("d").note == "changed elsewhere"
    fresh.close()


def test_tags_come_back_exactly_or_only_our_change_is_reversed(
    library: Library, db_path: Path
) -> None:
    library.change_tags(["a"], parse_tag_edit(["+x", "+y"]))
    history = History()

    def tag(words: list[str]) -> None:
        edit = parse_tag_edit(words)
        history.record(library, ["a"], lambda: library.change_tags(["a"], edit), "tags")

    tag(["-x", "+z"])
    assert library.annotation("a").tags == ("y", "z")
    assert history.undo(library) is not None
    assert library.annotation("a").tags == ("x", "y")  # the order as it was

    tag(["-x", "+z"])
    other = elsewhere(db_path)
    other.change_tags(["a"], parse_tag_edit(["+w", "-y"]))
    other.close()
    done = history.undo(library)
    assert done is not None and done.complete and done.merged == ("a",)
    assert "only this change was reversed" in done.summary()
    assert set(library.annotation("a").tags) == {"w", "x"}  # their +w -y stay; our -x +z go


def test_a_note_is_undone_only_if_it_is_still_ours(library: Library, db_path: Path) -> None:
    library.set_note("a", "first")
    history = History()
    history.record(library, ["a"], lambda: library.set_note("a", "second", base="first"), "note")
    assert history.undo(library) is not None
    assert library.annotation("a").note == "first"

    history.record(library, ["a"], lambda: library.set_note("a", "second", base="first"), "note")
    other = elsewhere(db_path)
    other.set_note("a", "third")
    other.close()
    done = history.undo(library)
    assert done is not None and done.kept == (("a", "note"),)
    assert library.annotation("a").note == "third"


def test_undoing_a_read_mark_puts_the_paper_back_in_the_queue(library: Library) -> None:
    library.change_queue(lambda q: ["a", "b", "c"])
    history = History()
    mark(history, library, ["b"], Status.READ)
    assert library.queue() == ["a", "c"]
    done = history.undo(library)
    assert done is not None and done.requeued == ("b",)
    assert library.queue() == ["a", "b", "c"]


def test_a_failed_write_records_nothing(library: Library) -> None:
    history = History()
    with pytest.raises(ValueError):
        history.record(library, ["a"], lambda: library.set_status(["a"], "done"), "bad")
    assert len(history) == 0
