"""The reading queue: its list logic, its storage in the library file (changes to the file as
it is, marking read takes a paper off), and the ``queue`` and ``next`` commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from pdf_server import PdfServer

from rlhf_reader.library import queue
from rlhf_reader.library.queue import QueueError
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status
from rlhf_reader.workspace import Workspace

LIST = """\
# Test list

## Papers
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
  - Rafael Rafailov. NeurIPS, 2023.
- [KTO: Model Alignment as Prospect Theoretic Optimization](https://arxiv.org/abs/2402.01306)
  - Kawin Ethayarajh. arXiv, 2024.
- [Self-Play Fine-Tuning](https://arxiv.org/abs/2401.01335)
  - Zixiang Chen. arXiv, 2024.

## Blogs
- [Illustrating RLHF](https://huggingface.co/blog/rlhf)
"""
DPO, KTO, SPIN, BLOG = "2305.18290", "2402.01306", "2401.01335", "huggingface.co/blog/rlhf"


# --- the list logic -----------------------------------------------------------------------------


def test_add_remove_toggle() -> None:
    assert queue.add([DPO], [KTO, DPO, SPIN]) == [DPO, KTO, SPIN]
    assert queue.remove([DPO, KTO, SPIN], {KTO, BLOG}) == [DPO, SPIN]
    assert queue.toggle([DPO], KTO) == [DPO, KTO]
    assert queue.toggle([DPO, KTO], DPO) == [KTO]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("top", ["c", "a", "b", "d"]),
        ("bottom", ["a", "b", "d", "c"]),
        ("up", ["a", "c", "b", "d"]),
        ("down", ["a", "b", "d", "c"]),
        (1, ["c", "a", "b", "d"]),
        (2, ["a", "c", "b", "d"]),
        (3, ["a", "b", "c", "d"]),
        (99, ["a", "b", "d", "c"]),
    ],
)
def test_move(where: int | str, expected: list[str]) -> None:
    assert queue.move(["a", "b", "c", "d"], "c", where) == expected


def test_move_at_the_ends_and_errors() -> None:
    assert queue.move(["a", "b"], "a", "up") == ["a", "b"]
    assert queue.move(["a", "b"], "b", "down") == ["a", "b"]
    with pytest.raises(QueueError, match="x: not in the queue"):
        queue.move(["a"], "x", "top")
    for bad in ("0", "-1", "sideways", ""):
        with pytest.raises(QueueError, match="expected a number from 1"):
            queue.parse_position(bad)
    assert queue.parse_position(" TOP ") == "top" and queue.parse_position("3") == 3


def test_first_to_read_skips_read_papers() -> None:
    annotations = {DPO: Annotation(DPO, Status.READ), KTO: Annotation(KTO, Status.READING)}
    assert queue.first_to_read([DPO, KTO, SPIN], annotations) == KTO
    assert queue.first_to_read([DPO], annotations) is None


def test_a_hand_edited_queue_is_cleaned() -> None:
    assert queue.clean([DPO, 3, None, "", DPO, KTO]) == [DPO, KTO]
    assert queue.clean({"not": "a list"}) == []


# --- in the library file ------------------------------------------------------------------------


def test_queue_changes_apply_to_the_file_as_it_is(db_path: Path) -> None:
    """Two processes (two Library objects): each change is made to the queue in the file."""
    mine, theirs = Library.open(db_path), Library.open(db_path)
    assert mine.queue() == []
    mine.change_queue(lambda q: queue.add(q, [DPO]))
    theirs.change_queue(lambda q: queue.add(q, [KTO]))  # sees DPO, keeps it
    mine.change_queue(lambda q: queue.add(q, [SPIN]))
    assert mine.queue() == theirs.queue() == [DPO, KTO, SPIN]
    assert Library.open(db_path).get_meta("queue") == [DPO, KTO, SPIN]


def test_a_failing_change_writes_nothing(db_path: Path) -> None:
    library = Library.open(db_path)
    library.change_queue(lambda q: [DPO])
    before = db_path.read_bytes()
    with pytest.raises(QueueError):
        library.change_queue(lambda q: queue.move(q, KTO, "top"))
    with pytest.raises(ValueError, match="invalid entry key"):
        library.change_queue(lambda q: [*q, ""])
    assert db_path.read_bytes() == before and library.queue() == [DPO]


def test_marking_read_takes_papers_off_the_queue(db_path: Path) -> None:
    library = Library.open(db_path)
    library.change_queue(lambda q: [DPO, KTO, SPIN])
    library.set_status([KTO], Status.READING)
    assert library.queue() == [DPO, KTO, SPIN]
    library.set_status(iter([DPO, SPIN]), "read")  # any iterable
    assert library.queue() == [KTO]
    assert library.annotation(DPO).status is Status.READ
    assert Library.open(db_path).queue() == [KTO]


def test_marking_read_dequeues_from_the_queue_as_it_is_in_the_file(db_path: Path) -> None:
    """Another process queued papers after this one last read the file: marking one read
    here takes it off the queue in the file, keeping the others."""
    mine, theirs = Library.open(db_path), Library.open(db_path)
    assert mine.queue() == []
    theirs.change_queue(lambda q: [DPO, KTO, SPIN])
    mine.set_status([KTO], Status.READ)
    assert theirs.queue() == mine.queue() == [DPO, SPIN]
    assert theirs.annotation(KTO).status is Status.READ


def test_workspace_queue_methods(tmp_path: Path, db_path: Path) -> None:
    listed = tmp_path / "list.md"
    listed.write_text(LIST, encoding="utf-8")
    workspace = Workspace.open(listed, db_path)
    assert workspace.next_to_read() is None
    assert workspace.queue_toggle(KTO) is True
    workspace.queue_add([DPO, "gone.example/paper"])
    assert workspace.queue() == [KTO, DPO, "gone.example/paper"]
    assert workspace.queued_keys() == {KTO, DPO, "gone.example/paper"}
    workspace.queue_move(DPO, "top")
    assert [e.key for e in workspace.queue_entries()] == [DPO, KTO]  # listed ones only
    next_entry = workspace.next_to_read()
    assert next_entry is not None and next_entry.key == DPO
    workspace.set_status([DPO, KTO], Status.READ)  # the TUI's path: off the queue
    assert workspace.queue() == ["gone.example/paper"]
    assert workspace.next_to_read() is None  # a key no longer listed is skipped
    assert workspace.queue_toggle("gone.example/paper") is False
    assert workspace.queue() == []


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def listed(tmp_path: Path) -> Path:
    path = tmp_path / "list.md"
    path.write_text(LIST, encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], db: Path, listed: Path, *args: str):
    return run_cli(capsys, db, "--list", str(listed), *args)


def test_cli_queue(capsys: pytest.CaptureFixture[str], db_path: Path, listed: Path) -> None:
    code, out, _ = cli(capsys, db_path, listed, "queue")
    assert code == 0 and "the queue is empty" in out
    code, out, _ = cli(capsys, db_path, listed, "queue", "add", KTO, "self-play", "rlhf")
    assert code == 0
    assert out.splitlines() == [
        f"queued at 1: {KTO}",
        f"queued at 2: {SPIN}",
        f"queued at 3: {BLOG}",
    ]
    code, out, _ = cli(capsys, db_path, listed, "queue", "add", SPIN)
    assert out == f"already queued at 2: {SPIN}\n"
    code, out, _ = cli(capsys, db_path, listed, "queue", "move", BLOG, "top")
    assert (code, out) == (0, f"moved to 1 of 3: {BLOG}\n")
    code, out, _ = cli(capsys, db_path, listed, "queue", "move", KTO, "down")
    code, out, _ = cli(capsys, db_path, listed, "queue", "list")
    assert out.splitlines() == [
        f"1. ○ Illustrating RLHF  [{BLOG}]",
        f"2. ○ Self-Play Fine-Tuning  [{SPIN}]",
        f"3. ○ KTO: Model Alignment as Prospect Theoretic Optimization  [{KTO}]",
    ]
    code, out, _ = cli(capsys, db_path, listed, "queue", "list", "--json")
    records = json.loads(out)
    assert [r["key"] for r in records] == [BLOG, SPIN, KTO]
    assert records[0] == {
        "position": 1, "key": BLOG, "title": "Illustrating RLHF", "status": "unread", "pdf": None,
    }  # fmt: skip
    code, out, _ = cli(capsys, db_path, listed, "queue", "remove", SPIN, DPO)
    assert out.splitlines() == [f"removed: {SPIN}", f"not queued: {DPO}"]
    assert Library.open(db_path).queue() == [BLOG, KTO]


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["queue", "move", KTO, "sideways"], 2, "position 'sideways'"),
        (["queue", "move", DPO, "top"], 1, f"{DPO}: not in the queue"),
        (["queue", "add", "no such paper"], 1, "no such paper"),
        (["queue", "add"], 2, "the following arguments are required"),
        (["queue", "shuffle"], 2, "invalid choice"),
    ],
)
def test_cli_queue_errors(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    listed: Path,
    argv: list[str],
    code: int,
    says: str,
) -> None:
    cli(capsys, db_path, listed, "queue", "add", KTO)
    before = db_path.read_bytes()
    got, out, err = cli(capsys, db_path, listed, *argv)
    assert got == code and out == "" and says in err and len(err.splitlines()) == 1
    assert err.startswith("rlhf-reader: error:")
    assert db_path.read_bytes() == before


def test_cli_mark_read_takes_off_and_next_moves_on(
    capsys: pytest.CaptureFixture[str], db_path: Path, listed: Path
) -> None:
    code, _, err = cli(capsys, db_path, listed, "next")
    assert code == 1 and "nothing in the queue to read" in err
    cli(capsys, db_path, listed, "queue", "add", DPO, KTO)
    code, out, _ = cli(capsys, db_path, listed, "next")
    assert (code, out) == (
        0,
        f"○ Direct Preference Optimization — Rafael Rafailov, 2023  [{DPO}]\n",
    )
    cli(capsys, db_path, listed, "mark", DPO, "read")
    assert Library.open(db_path).queue() == [KTO]
    code, out, _ = cli(capsys, db_path, listed, "next")
    assert code == 0 and out.startswith("○ KTO") and f"[{KTO}]" in out


def test_cli_next_open_downloads_then_opens(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    listed: Path,
    pdf_server: PdfServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf_server.serve_pdf(f"/pdf/{KTO}")
    record = tmp_path / "opened.txt"
    viewer = tmp_path / "viewer"
    viewer.write_text(f'#!/bin/sh\nprintf %s "$1" > {record}\n')
    viewer.chmod(0o755)
    monkeypatch.setenv("RLHF_READER_PDF_VIEWER", str(viewer))
    cli(capsys, db_path, listed, "queue", "add", KTO)
    code, out, err = cli(capsys, db_path, listed, "next", "--open")
    path = db_path.parent / "pdfs" / f"{KTO}.pdf"
    assert (code, err) == (0, "") and out.splitlines()[-1] == f"pdf  {path}"
    assert record.read_text() == str(path)
    code, out, _ = cli(capsys, db_path, listed, "next", "--open")  # on disk: no request
    assert code == 0 and pdf_server.hits == [f"/pdf/{KTO}"]
    code, out, _ = cli(capsys, db_path, listed, "queue")
    assert out.rstrip().endswith(f"[{KTO}] ⤓")


def test_cli_next_open_with_no_pdf_or_no_viewer(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    listed: Path,
    pdf_server: PdfServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli(capsys, db_path, listed, "queue", "add", "rlhf", SPIN)
    code, out, err = cli(capsys, db_path, listed, "next", "--open")
    assert code == 1 and "no PDF to download" in err and len(err.splitlines()) == 1
    cli(capsys, db_path, listed, "queue", "remove", BLOG)
    pdf_server.serve_pdf(f"/pdf/{SPIN}")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, out, err = cli(capsys, db_path, listed, "next", "--open")
    assert code == 1 and out.startswith("○ Self-Play Fine-Tuning")
    assert "no PDF viewer found" in err and f"{SPIN}.pdf" in err
