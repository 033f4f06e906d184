"""The core object both front ends open (workspace.py): one catalog, one way of counting,
every write a change to the library file as it is."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import BUNDLED_LIST
from conftest import run_cli as cli

from rlhf_reader.library.additions import SECTION_PATH, store_addition
from rlhf_reader.library.store import Library
from rlhf_reader.model import Status
from rlhf_reader.tags import parse_tag_edit
from rlhf_reader.workspace import NoteConflict, NoteSaved, Workspace, merge_notes

# Listed twice in the bundled list (the same key under two titles or in two sections).
TWICE = "2305.14718"


def open_bundled(db: Path) -> Workspace:
    return Workspace.open(BUNDLED_LIST, db)


def test_every_count_agrees_for_the_bundled_list(tmp_path: Path, capsys) -> None:
    db = tmp_path / "library.json"
    ws = open_bundled(db)
    listed = [e.key for e in ws.catalog.entries]
    assert len(listed) == 100 and len(set(listed)) == 95  # 5 papers listed twice
    ws.set_status([TWICE, "2305.18290"], Status.READ)
    reading = next(k for k in listed if k not in (TWICE, "2305.18290"))
    ws.set_status([reading], Status.READING)

    counts = ws.counts()
    assert (counts.read, counts.reading, counts.unread, counts.total) == (2, 1, 92, 95)

    code, out, _ = cli(capsys, db, "--list", str(BUNDLED_LIST), "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats["overall"] == counts.as_dict()
    for section in stats["sections"]:
        assert section | ws.section_counts(tuple(section["path"])).as_dict() == section

    code, out, _ = cli(capsys, db, "--list", str(BUNDLED_LIST), "export", "--format", "markdown")
    assert f"{counts.read} of {counts.total} read, {counts.reading} in progress" in out

    target = tmp_path / "list.csv"
    code, out, _ = cli(capsys, db, "--list", str(BUNDLED_LIST), "export", "-o", str(target))
    assert f"wrote {counts.total} entries (csv)" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text(), newline="")))
    assert len(rows) == counts.total
    assert sum(row["status"] == "read" for row in rows) == counts.read


def test_section_counts_take_each_key_once_and_follow_a_filter(tmp_path: Path) -> None:
    ws = open_bundled(tmp_path / "library.json")
    top = ws.catalog.sections[0].path
    inside = [e.key for e in ws.catalog.entries if e.section[: len(top)] == top]
    assert ws.section_counts(top).total == len(set(inside)) < len(inside)
    shown = set(inside[:3])
    ws.set_status(inside[:1], Status.READ)
    filtered = ws.section_counts(top, keys=shown)
    assert (filtered.read, filtered.total) == (1, len(shown))


def test_poll_sees_another_process_and_rebuilds_the_readers_sections(tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    ws = open_bundled(db)
    assert ws.poll() is False  # nothing changed: one stat
    writer = (
        "import sys\n"
        "from rlhf_reader.library.store import Library\n"
        "from rlhf_reader.library.additions import store_addition\n"
        "from rlhf_reader.tags import parse_tag_edit\n"
        "lib = Library.open(sys.argv[1])\n"
        "lib.change_tags(['2305.18290'], parse_tag_edit('+from-cli'))\n"
        "store_addition(lib, {'arxiv_id': '2501.00001', 'title': 'Added elsewhere',"
        " 'authors': ['A. Person'], 'published': '2025-01-01T00:00:00Z'}, '2025-01-02T00:00:00Z')\n"
    )
    subprocess.run([sys.executable, "-c", writer, str(db)], check=True, timeout=60)
    assert ws.poll() is True
    assert ws.library.annotation("2305.18290").tags == ("from-cli",)
    added = [e for e in ws.catalog.entries if e.section == SECTION_PATH]
    assert [e.key for e in added] == ["2501.00001"]
    assert ws.poll() is False


def test_writes_are_changes_to_the_file_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    ws = open_bundled(db)
    other = Library.open(db)  # another window or process
    other.change_tags(["2305.18290"], parse_tag_edit("+waiting"))
    ws.change_tags(["2305.18290"], parse_tag_edit("+from-tui"))
    assert Library.open(db).annotation("2305.18290").tags == ("waiting", "from-tui")


def test_a_note_changed_elsewhere_is_a_conflict_never_a_loss(tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    ws = open_bundled(db)
    assert isinstance(ws.save_note("2305.18290", "first", base=""), NoteSaved)
    Library.open(db).set_note("2305.18290", "from the CLI")
    result = ws.save_note("2305.18290", "from the editor", base="first")
    assert result == NoteConflict("2305.18290", mine="from the editor", theirs="from the CLI")
    assert Library.open(db).annotation("2305.18290").note == "from the CLI"
    both = merge_notes(result.mine, result.theirs)
    assert both.index("from the editor") < both.index("from the CLI")
    saved = ws.save_note("2305.18290", both, base=result.theirs)
    assert isinstance(saved, NoteSaved) and saved.annotation.note == both


def test_an_addition_in_the_same_process_shows_after_rebuild(tmp_path: Path) -> None:
    ws = open_bundled(tmp_path / "library.json")
    assert ws.rebuild() is False
    store_addition(ws.library, {"arxiv_id": "2501.00002", "title": "Mine"}, "2025-01-02T00:00:00Z")
    assert ws.rebuild() is True
    assert ws.catalog.entries[-1].key == "2501.00002"
