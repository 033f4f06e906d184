"""One truth, seen from the TUI: its writes are changes to the file as it is, it follows what
other processes write, a note saved over another is a choice, and it counts as ``stats`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea
from tui_helpers import CAI, DPO, SURVEY, build_app, stored, until, write_list, written

from rlhf_reader.model import Status
from rlhf_reader.tui import messages
from rlhf_reader.tui.screens.dashboard import Dashboard
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.screens.note import NoteEditor
from rlhf_reader.tui.screens.note_conflict import NoteConflictDialog
from rlhf_reader.tui.screens.tags import TagsDialog
from rlhf_reader.tui.state import ReadingList
from rlhf_reader.tui.widgets.header import ProgressHeader
from rlhf_reader.tui.widgets.section_bars import SectionBars
from rlhf_reader.workspace import NOTE_MARKER

SIZE = (120, 36)
FOLLOW = 400  # pauses of 10 ms: the screen looks at the file once a second


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def cli(list_path: Path, db_path: Path, *args: str) -> str:
    """``rlhf-reader --list L --db D ARGS…`` in another process (another writer); its output."""
    command = ["-m", "rlhf_reader", "--list", str(list_path), "--db", str(db_path), *args]
    done = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def labels(app, key: str) -> list[str]:
    return [node.label.plain for node in app.main_screen.catalog_tree._entry_nodes.get(key, [])]


def detail_text(app) -> str:
    return app.main_screen.query_one("#detail-text", Static).content.plain


# the scenario ------------------------------------------------------------------------


async def test_cli_tag_then_tui_tag_keeps_both_and_the_tui_shows_the_cli_tag(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        cli(list_path, db_path, "tag", SURVEY, "+waiting")
        # the open TUI follows the file: the tag appears without a key press
        assert await until(pilot, lambda: "#waiting" in labels(app, SURVEY)[0], FOLLOW)
        assert "#waiting" in detail_text(app)
        await pilot.press("t")
        assert isinstance(app.screen, TagsDialog)
        await pilot.press(*"+from-tui", "enter")
        assert not isinstance(app.screen, TagsDialog)
        assert await written(pilot)
        assert stored(db_path, SURVEY).tags == ("waiting", "from-tui")
        assert "#waiting #from-tui" in labels(app, SURVEY)[0]


async def test_the_tui_follows_statuses_notes_and_additions_keeping_the_view(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"preference", "enter")  # a filter on, cursor on DPO
        tree = app.main_screen.catalog_tree
        assert await until(pilot, lambda: tree.current_entry is not None)
        assert tree.current_entry.key == DPO
        expanded = tree.saved_expanded()
        cli(list_path, db_path, "mark", DPO, "read")
        cli(list_path, db_path, "note", DPO, "from the **CLI**")
        header = app.main_screen.query_one(ProgressHeader)
        assert await until(pilot, lambda: header.read == 1, FOLLOW)
        assert all(label.startswith("● ") for label in labels(app, DPO))
        assert "● read" in detail_text(app)
        assert app.main_screen.reading.row(DPO).annotation.note == "from the **CLI**"
        # the view is as it was: filter, cursor, sections
        assert tree.shown_keys == {DPO}
        assert tree.current_entry is not None and tree.current_entry.key == DPO
        assert app.main_screen.query_one(Input).value == "preference"
        await pilot.press("escape")
        assert tree.saved_expanded() == expanded


async def test_another_writer_leaves_the_cursor_on_its_section_or_its_listing(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.catalog_tree
        header = app.main_screen.query_one(ProgressHeader)
        await pilot.press("j", "j")  # survey, DPO (in Surveys), then the Methods section
        node = tree.cursor_node
        assert node is not None and str(node.label).startswith("Methods")
        cli(list_path, db_path, "mark", CAI, "read")
        assert await until(pilot, lambda: header.read == 1, FOLLOW)
        node = tree.cursor_node  # still on the section, not sent to the first paper
        assert node is not None and str(node.label).startswith("Methods")
        assert tree.current_entry is None
        await pilot.press("l", "l", "j")  # into Methods: InstructGPT, then DPO listed again
        assert tree.current_entry is not None and tree.current_entry.key == DPO
        cli(list_path, db_path, "mark", CAI, "unread")
        assert await until(pilot, lambda: header.read == 0, FOLLOW)
        node = tree.cursor_node  # the same listing of DPO, the one in Methods
        assert node is not None and node.parent is not None
        assert node.parent.data.path == ("Papers", "Methods")
        assert tree.current_entry is not None and tree.current_entry.key == DPO


async def test_another_writer_s_change_is_read_off_the_ui_thread_and_the_index_kept(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    of = ReadingList.of.__func__  # type: ignore[attr-defined]

    def recording(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return of(cls, *args, **kwargs)

    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        await pilot.press("slash", *"is:read", "enter")  # the search index is built for it
        assert await until(pilot, lambda: screen.catalog_tree.shown_keys == set())
        index = screen.reading._index
        assert index is not None
        monkeypatch.setattr(ReadingList, "of", classmethod(recording))
        cli(list_path, db_path, "mark", CAI, "read")
        header = screen.query_one(ProgressHeader)
        assert await until(pilot, lambda: header.read == 1, FOLLOW)
        # the file read and the rows made in the writer's thread, not the UI thread
        assert threads and threading.main_thread().name not in threads
        # the same index, caught up with the change: the filter shows the paper now
        assert screen.reading._index is index
        assert await until(pilot, lambda: screen.catalog_tree.shown_keys == {CAI})
        assert screen.reading.filter("is:read") == {CAI}


async def test_a_stat_that_moves_without_new_bytes_makes_no_new_view(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        await pilot.pause()
        reading = screen.reading
        os.link(db_path, db_path.with_name("other.bak"))  # (as a backup is made) the ctime moves
        assert screen.poll()  # read again: the same bytes
        assert await until(pilot, lambda: not screen.following.reading_again)
        assert screen.reading is reading  # nothing made again
        assert not screen.poll()  # and not read again every second


async def test_an_index_built_for_a_view_since_replaced_is_not_installed(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        old = screen.reading
        snapshot = dict(old.rows)
        stale = ReadingList.build_index(snapshot)
        cli(list_path, db_path, "mark", CAI, "read")
        header = screen.query_one(ProgressHeader)
        assert await until(pilot, lambda: header.read == 1, FOLLOW)
        assert screen.reading is not old
        screen.reading._index = None  # (as if its own build had not finished yet)
        screen.following.post_message(messages.SearchIndexBuilt(stale, snapshot, old.rows))
        await pilot.pause()
        assert screen.reading._index is None  # not the index of the view before
        fresh = ReadingList.build_index(dict(screen.reading.rows))
        rows = screen.reading.rows
        screen.following.post_message(messages.SearchIndexBuilt(fresh, dict(rows), rows))
        assert await until(pilot, lambda: screen.reading._index is fresh)
        assert screen.reading.filter("is:read") == {CAI}


async def test_the_tree_counts_follow_a_filter(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.catalog_tree
        assert tree._section_nodes[("Papers",)].label.plain == "Papers  0/4"
        await pilot.press("slash", *"preference")
        assert await until(pilot, lambda: tree.shown_keys == {DPO})
        assert tree._section_nodes[("Papers",)].label.plain == "Papers  1 of 4 shown"
        assert tree._section_nodes[("Papers", "Methods")].label.plain == "Methods  1 of 3 shown"


# a note changed elsewhere while it was being edited ------------------------------------------


async def open_conflict(app, pilot, list_path: Path, db_path: Path) -> None:
    """Edit SURVEY's note while the CLI replaces it; ctrl+s shows the conflict."""
    await pilot.press("n")
    assert isinstance(app.screen, NoteEditor)
    app.screen.query_one(TextArea).insert("mine")
    cli(list_path, db_path, "note", SURVEY, "theirs")
    await pilot.press("ctrl+s")  # the editor waits for the writer's answer: a conflict
    assert await until(pilot, lambda: isinstance(app.screen, NoteConflictDialog))
    await pilot.pause()
    shown = [s.content.plain for s in app.screen.query(".note-text").results(Static)]
    assert shown == ["mine", "theirs"]  # both, literally
    assert stored(db_path, SURVEY).note == "theirs"  # nothing written yet


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("m", "mine"),
        ("t", "theirs"),
        ("b", f"mine\n\n{NOTE_MARKER}\n\ntheirs"),
    ],
)
async def test_a_note_conflict_offers_mine_theirs_or_both(
    list_path: Path, db_path: Path, key: str, expected: str
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_conflict(app, pilot, list_path, db_path)
        await pilot.press(key)
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert await written(pilot)
        assert stored(db_path, SURVEY).note == expected
        assert app.main_screen.reading.row(SURVEY).annotation.note == expected


async def test_esc_on_a_note_conflict_goes_back_to_editing(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_conflict(app, pilot, list_path, db_path)
        await pilot.press("escape")
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "mine"  # nothing lost
        await pilot.press("ctrl+s")  # the file still holds another note: asked again
        assert await until(pilot, lambda: isinstance(app.screen, NoteConflictDialog))
        await pilot.press("b")
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert stored(db_path, SURVEY).note.startswith("mine\n")


# one progress rule -----------------------------------------------------------------------


async def test_tree_header_and_dashboard_count_as_stats_does(db_path: Path) -> None:
    """The bundled list has papers listed twice: each counts once everywhere."""
    from rlhf_reader.lists.listupdate import bundled_list_path
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace

    bundled = bundled_list_path()
    workspace = Workspace.open(bundled, db_path)
    twice = [e.key for e in workspace.catalog.entries]
    duplicated = sorted({k for k in twice if twice.count(k) > 1})
    assert len(duplicated) == 5
    # some read, some being read, among them papers listed twice
    cli(bundled, db_path, "mark", *duplicated[:3], twice[0], "read")
    cli(bundled, db_path, "mark", duplicated[3], twice[7], "reading")
    stats = json.loads(cli(bundled, db_path, "stats", "--json"))

    app = make_app(Workspace.open(bundled, db_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        header = screen.query_one(ProgressHeader)
        overall = stats["overall"]
        assert (header.read, header.total) == (overall["read"], overall["total"])
        tree = screen.catalog_tree
        sections = {tuple(s["path"]): s for s in stats["sections"]}
        for path, node in tree._section_nodes.items():
            if path in sections:  # every section shown (top level, and opened ones)
                counts = f"{sections[path]['read']}/{sections[path]['total']}"
                assert node.label.plain.endswith(f"  {counts}"), (path, node.label.plain)
        for path in sections:  # and every one of them, opened or not
            counts = screen.reading.progress[path]
            assert (counts.read, counts.reading, counts.total) == (
                sections[path]["read"],
                sections[path]["reading"],
                sections[path]["total"],
            )
        await pilot.press("p")
        assert await until(pilot, lambda: isinstance(app.screen, Dashboard))
        text = app.screen.query_one("#overall-text", Static).content
        summary = text.plain if hasattr(text, "plain") else str(text)
        assert summary.startswith(f"{overall['read']} of {overall['total']} read")
        assert f"{overall['reading']} reading · {overall['unread']} unread" in summary
        assert app.screen.query_one(SectionBars).sections == stats["sections"]


async def test_a_library_broken_by_another_process_is_said_once(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        said: list[str] = []
        following = screen.following  # the part that looks at the file and says why not
        following.say = lambda message, severity="information": said.append(message)  # type: ignore[method-assign]
        db_path.write_text("{ not json", encoding="utf-8")
        assert await until(pilot, lambda: bool(said), FOLLOW)
        assert await until(pilot, lambda: len(said) > 1, 150) is False  # 1.5 s more: once
        assert said[0].startswith("Not following the library file: ")
        assert str(db_path) in said[0]
        assert app.is_running
        assert screen.reading.status(CAI) is Status.UNREAD
