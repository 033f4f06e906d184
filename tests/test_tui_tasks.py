"""Pilot tests for copying (y, c, C), export (e), arXiv (f, a), updates (U, N, is:new) and the
progress dashboard (p): asserting on app.clipboard, the written files and the library file."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import bibtexparser
import pytest
from arxiv_server import ARXIV_DATA
from https_server import Served
from rich.console import Console
from textual.widgets import Input, Select, Sparkline, Static, TextArea
from textual.worker import WorkerState
from tui_helpers import (
    BLOG,
    CAI,
    DPO,
    INSTRUCT,
    SMALL_LIST,
    SURVEY,
    build_app,
    stored_meta,
    until,
    write_list,
    written,
)

from rlhf_reader.library.store import Library
from rlhf_reader.lists import whatsnew
from rlhf_reader.model import Section, Status
from rlhf_reader.tui.screens.copying import CopiedText, FormatChooser
from rlhf_reader.tui.screens.dashboard import Dashboard
from rlhf_reader.tui.screens.export import ExportDialog
from rlhf_reader.tui.screens.prompt import PromptDialog
from rlhf_reader.tui.screens.update_summary import UpdateSummary
from rlhf_reader.tui.state import ReadingList
from rlhf_reader.tui.widgets.section_bars import SectionBars

SIZE = (120, 36)
ADDED_ID = "2401.10020"  # in bundled.xml, not in the small list


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def detail_text(app) -> str:
    widget = app.main_screen.query_one("#detail-text", Static)
    return widget.content.plain if hasattr(widget.content, "plain") else str(widget.content)


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def library_of(db_path: Path) -> Library:
    return Library.open(db_path)


# y, c, C -------------------------------------------------------------------------------------


async def test_y_copies_the_link(list_path: Path, db_path: Path, no_real_clipboard) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("y")
        assert app.clipboard == "https://arxiv.org/abs/2312.14925"
        assert no_real_clipboard == ["https://arxiv.org/abs/2312.14925"]
        assert any("Copied the link https://arxiv.org/abs/2312.14925" in m for m in messages(app))


async def test_c_copies_bibtex_that_parses(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("j", "c")
        parsed = bibtexparser.parse_string(app.clipboard)
        assert not parsed.failed_blocks
        (entry,) = parsed.entries
        assert entry.key == "rafailov2023direct"
        assert entry["eprint"] == DPO
        assert "Direct Preference Optimization" in entry["title"]
        assert any("BibTeX citation" in m for m in messages(app))


async def test_C_chooses_a_format(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        assert isinstance(app.screen, FormatChooser)
        await pilot.press("down", "down", "enter")  # bibtex, apa, markdown
        assert not isinstance(app.screen, FormatChooser)
        assert app.clipboard.startswith("[A Survey of Reinforcement Learning from Human Feedback]")
        assert "(https://arxiv.org/abs/2312.14925)" in app.clipboard
        await pilot.press("C", "2")  # a digit picks: APA 7
        assert "Kaufmann, T." in app.clipboard
        await pilot.press("C", "escape")
        assert "Kaufmann, T." in app.clipboard


async def test_without_a_clipboard_tool_the_text_is_shown_once(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader import clipboard

    monkeypatch.setattr(clipboard, "try_pyperclip", lambda text: False)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("y")
        assert app.clipboard == "https://arxiv.org/abs/2312.14925"  # OSC 52 still sent
        assert isinstance(app.screen, CopiedText)
        area = app.screen.query_one(TextArea)
        assert area.read_only and area.selected_text == "https://arxiv.org/abs/2312.14925"
        await pilot.press("escape", "j", "y")
        assert not isinstance(app.screen, CopiedText)  # once per session
        assert app.clipboard.endswith(DPO)
        assert any("terminal's clipboard (OSC 52)" in m for m in messages(app))


# e -----------------------------------------------------------------------------------------


async def test_e_exports_the_filtered_entries_as_bibtex(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("slash")
        app.main_screen.query_one("#filter-input", Input).value = "preference"
        await pilot.press("enter", "e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one(Select).value = "bibtex"
        await pilot.pause()
        path_input = dialog.query_one("#export-path", Input)
        assert path_input.value == "reading-list.bib"  # follows the format until edited
        path_input.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        written = tmp_path / "reading-list.bib"
        parsed = bibtexparser.parse_file(str(written))
        assert not parsed.failed_blocks
        assert [e["eprint"] for e in parsed.entries] == [DPO]
        assert any(f"Exported 1 entry as bibtex to {written}" in m for m in messages(app))


async def test_e_everything_as_csv_and_bad_paths(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv

    monkeypatch.chdir(tmp_path)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("e")
        dialog = app.screen
        dialog.query_one(Select).value = "csv"
        await pilot.pause()
        path_input = dialog.query_one("#export-path", Input)
        path_input.value = str(tmp_path / "missing" / "x.csv")
        path_input.focus()
        await pilot.press("enter")
        error = dialog.query_one("#export-error", Static)
        assert error.display and "no such folder" in str(error.content)
        path_input.value = "x" * 300 + ".csv"  # too long for the file system: said inline
        await pilot.press("enter")
        assert error.display and "too long" in str(error.content).lower()
        path_input.value = "out.csv"
        dialog.query_one(Select).focus()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert [r["key"] for r in rows] == [SURVEY, DPO, INSTRUCT, CAI, BLOG]


async def test_e_refuses_to_overwrite_the_library(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        before = db_path.read_bytes()
        await pilot.press("e")
        dialog = app.screen
        dialog.query_one(Select).value = "json"
        await pilot.pause()
        path_input = dialog.query_one("#export-path", Input)
        path_input.value = str(db_path)
        path_input.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert db_path.read_bytes() == before
        # said in the dialog, before asking whether to replace the file
        assert app.screen is dialog
        error = dialog.query_one("#export-error", Static)
        assert error.display and "is the library file or its backup" in str(error.content)


# f, a --------------------------------------------------------------------------------------


async def test_F_fetches_the_whole_list_in_one_request(
    list_path: Path, db_path: Path, arxiv_server
) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        tree = app.main_screen.catalog_tree
        await pilot.press("F")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert arxiv_server.count == 1
        assert sorted(arxiv_server.ids_asked()[0]) == sorted([SURVEY, DPO, INSTRUCT, CAI])
        summary = "arXiv (the whole list): fetched 1, cached 0, not found 3, failed 0"
        assert any(summary in m for m in messages(app)), messages(app)
        library = library_of(db_path)
        assert set(library.all_metadata()) == {DPO}
        library.close()
        tree.select_key(DPO)
        await pilot.pause()
        text = detail_text(app)
        assert "Abstract" in text and "Published" in text
        assert "[Anthropic HH] and [TL;DR]" in text and "$\\beta = 0.1$" in text
        # on a section: only its uncached papers are asked
        tree.move_to(tree._section_nodes[("Papers", "Methods")])
        await pilot.press("f")
        await app.workers.wait_for_complete()
        assert sorted(arxiv_server.ids_asked()[1]) == sorted([INSTRUCT, CAI])


async def test_f_leaves_out_what_is_cached_in_its_worker(
    list_path: Path, db_path: Path, arxiv_server
) -> None:
    library = library_of(db_path)
    for key in (SURVEY, DPO):
        library.put_metadata({key: {"arxiv_id": key, "title": f"Cached {key}"}})
    library.close()
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        tree = app.main_screen.catalog_tree
        tree.move_to(tree._section_nodes[("Papers", "Surveys")])
        await pilot.press("f")
        expected = "Already cached: 2 arXiv paper(s) in section Surveys."
        assert await until(pilot, lambda: expected in messages(app)), messages(app)
        assert arxiv_server.count == 0
        # another section: the uncached ones only, the task named with their number
        tree.move_to(tree._section_nodes[("Papers", "Methods")])
        arxiv_server.reply(ARXIV_DATA / "bundled.xml", delay=1)  # (time to see the label)
        await pilot.press("f")
        label = app.main_screen.taskbar.query_one("#task-label", Static)
        assert await until(pilot, lambda: "Fetching 2 from arXiv" in str(label.content))
        await app.workers.wait_for_complete()
        assert sorted(arxiv_server.ids_asked()[0]) == sorted([INSTRUCT, CAI])
        summary = "arXiv (section Methods): fetched 0, cached 1, not found 2, failed 0"
        assert any(summary in m for m in messages(app)), messages(app)


async def test_f_failure_is_a_notification_and_esc_cancels(
    list_path: Path, db_path: Path, arxiv_server
) -> None:
    arxiv_server.reply(status=503, times=3)  # the first try and two retries
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("f")
        await app.workers.wait_for_complete()
        assert await until(pilot, lambda: any("failed 1" in m for m in messages(app)))
        assert not app.main_screen.query_one("#taskbar").display
        # a stalled answer: esc cancels, the app keeps working
        arxiv_server.reply(delay=5, times=1)
        await pilot.press("j", "f")
        bar = app.main_screen.query_one("#taskbar")
        assert await until(pilot, lambda: bar.display)
        task = app.main_screen.taskbar.current
        await pilot.press("escape")
        await app.workers.wait_for_complete()  # the stalled request is abandoned, not awaited
        assert task.state is WorkerState.CANCELLED
        assert any("Cancelled: arXiv fetch" in m for m in messages(app)), (
            messages(app),
            app.main_screen.taskbar.current,
        )
        await pilot.press("space")
        assert app.main_screen.reading.status(DPO) is Status.READ
        # a blog is not an arXiv paper: nothing is asked
        count = arxiv_server.count
        app.main_screen.catalog_tree.select_key(BLOG)
        await pilot.press("f")
        # Only the abandoned request for DPO may still arrive: on a loaded machine its thread
        # reaches the server late. Nothing else is asked.
        late = arxiv_server.requests[count:]
        assert all(r.get("id_list") == DPO for r in late), late
        assert "Nothing to fetch: this entry is not an arXiv paper." in messages(app)


def views_made(monkeypatch) -> list[str]:
    """The names of the threads each new view of the list (``ReadingList.of``) is made in."""
    threads: list[str] = []
    make = ReadingList.of.__func__  # type: ignore[attr-defined]

    def of(cls, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return make(cls, *args, **kwargs)

    monkeypatch.setattr(ReadingList, "of", classmethod(of))
    return threads


async def test_a_adds_a_paper_to_my_additions(
    list_path: Path, db_path: Path, arxiv_server, monkeypatch
) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    app = build_app(list_path, db_path)
    threads = views_made(monkeypatch)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        field = dialog.query_one(Input)
        field.value = "not an id"
        await pilot.press("enter")
        assert "is not an arXiv id" in str(dialog.query_one("#prompt-error", Static).content)
        field.value = f"arXiv:{DPO}v2"
        await pilot.press("enter")
        assert "already in the list" in str(dialog.query_one("#prompt-error", Static).content)
        field.value = f"https://arxiv.org/abs/{ADDED_ID}"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert await written(pilot)  # the addition is written by the window's writer
        tree = app.main_screen.catalog_tree
        # then the view is made again in the writer's thread, and shown with the cursor on it
        assert await until(pilot, lambda: getattr(tree.current_entry, "key", "") == ADDED_ID)
        assert threads[1:] and threading.main_thread().name not in threads[1:]
        assert tree.cursor_node.parent.data.path == ("My additions",)
        assert any("Added to My additions" in m for m in messages(app))
        library = library_of(db_path)
        assert [r["key"] for r in library.additions()] == [ADDED_ID]
        library.close()


# U, N, is:new, p --------------------------------------------------------------------------

NEW_ID = "2305.20050"
EDITED = SMALL_LIST.replace(
    "## Blogs\n",
    "- [Let's Verify Step by Step](https://arxiv.org/abs/2305.20050)\n\n## Blogs\n",
).replace(
    "- [Constitutional AI: Harmlessness from AI Feedback](https://arxiv.org/abs/2212.08073)\n"
    "  - Yuntao Bai. arXiv, 2022.\n",
    "",
)


async def test_U_updates_the_list_and_marks_new_entries(
    list_path: Path, db_path: Path, https_server, monkeypatch
) -> None:
    library = library_of(db_path)
    library.set_note(CAI, "removed upstream, kept here")
    library.close()
    https_server.routes["/list.md"] = Served(body=EDITED.encode())
    app = build_app(list_path, db_path)
    threads = views_made(monkeypatch)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("U")
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        dialog.query_one(Input).value = https_server.url + "/list.md"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert await written(pilot)  # the update is saved by the window's writer
        await pilot.pause()
        summary = app.screen
        assert isinstance(summary, UpdateSummary)
        lines = str(summary.query_one("#update-lines", Static).content)
        assert "1 added, 1 removed, 0 changed" in lines
        assert "+ Let's Verify Step by Step  [2305.20050]" in lines
        await pilot.press("escape")
        screen = app.main_screen
        assert list_path.read_text(encoding="utf-8") == EDITED
        assert await until(pilot, lambda: list(screen.reading.new) == [NEW_ID])
        assert threads[1:] and threading.main_thread().name not in threads[1:]
        tree = screen.catalog_tree
        top = tree.root.children[0]
        assert isinstance(top.data, Section) and top.data.title.startswith("New since ")
        assert str(top.label).startswith("✦ New since ")
        last = tree.root.children[-1]
        assert last.data.title == "No longer in the list"
        # is:new filters to it
        await pilot.press("slash")
        screen.query_one("#filter-input", Input).value = "is:new"
        await pilot.press("enter")
        assert tree.shown_keys == {NEW_ID}
        assert tree.current_entry.key == NEW_ID
        assert "✦" in str(tree.cursor_node.label)
        # opening the entry clears its mark, in the library too
        await pilot.press("enter")
        assert NEW_ID not in screen.reading.new
        assert await written(pilot)
        assert stored_meta(db_path, whatsnew.NEW_META) == {}
        assert "✦" not in str(tree.cursor_node.label)


async def test_U_failure_changes_nothing(list_path: Path, db_path: Path, https_server) -> None:
    https_server.routes["/list.md"] = Served(status=500, body=b"oops")
    before = list_path.read_text(encoding="utf-8")
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("U")
        app.screen.query_one(Input).value = https_server.url + "/list.md"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("Update failed" in m and "HTTP 500" in m for m in messages(app))
        assert not isinstance(app.screen, UpdateSummary)
    assert list_path.read_text(encoding="utf-8") == before
    assert stored_meta(db_path, whatsnew.NEW_META) is None


async def test_N_marks_everything_seen(list_path: Path, db_path: Path) -> None:
    library = library_of(db_path)
    library.set_meta(whatsnew.NEW_META, {CAI: "2026-11-20T10:00:00+00:00", BLOG: "2026-11-21"})
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        tree = app.main_screen.catalog_tree
        top = tree.root.children[0]
        assert top.data.title == "New since 2026-11-20"
        assert str(top.label).endswith("  2")
        tree.move_to(top)
        await pilot.press("enter")
        assert [n.data.key for n in top.children] == [CAI, BLOG]
        await pilot.press("N")
        assert await written(pilot)
        assert stored_meta(db_path, whatsnew.NEW_META) == {}
        assert not tree.root.children[0].data.title.startswith("New since")
        assert all("✦" not in str(n.label) for nodes in tree._entry_nodes.values() for n in nodes)
        assert any("2 entries no longer marked new" in m for m in messages(app))


async def test_p_shows_the_progress_dashboard(list_path: Path, db_path: Path) -> None:
    library = library_of(db_path)
    library.set_status([SURVEY, DPO], Status.READ)
    library.set_status([CAI], Status.READING)
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")  # counted in a worker, then the screen opens
        assert await until(pilot, lambda: isinstance(app.screen, Dashboard))
        screen = app.screen
        assert isinstance(screen, Dashboard)
        assert "2 of 5 read · 1 reading · 2 unread" in str(
            screen.query_one("#overall-text", Static).content
        )
        spark = screen.query_one(Sparkline)
        assert len(spark.data) == 26 and spark.data[-1] == 2
        await pilot.pause()
        bars = screen.query_one(SectionBars)  # the lines as drawn on the screen
        lines = [bars.render_line(y).text for y in range(len(bars.sections))]
        rows = {line.split("  ")[0].strip(): line for line in lines}
        assert (
            rows["Papers"].rstrip().endswith("2/4 (1 reading)")
        )  # DPO is listed twice, counted once
        assert rows["Blogs"].rstrip().endswith("0/1")
        await pilot.press("escape")
        assert not isinstance(app.screen, Dashboard)


async def test_U_on_the_default_list_saves_beside_the_library(db_path: Path) -> None:
    from rlhf_reader.lists.listsource import UPSTREAM_URL, saved_list_path
    from rlhf_reader.lists.registry import bundled_list_path
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace

    app = make_app(Workspace.open(bundled_list_path(), db_path))
    async with app.run_test(size=SIZE) as pilot:
        from rlhf_reader.tui.tasks import update_target

        screen = app.main_screen
        target, explicit, origin = update_target(screen.list_path, screen.library.path)
        assert (target, explicit, origin) == (saved_list_path(db_path), False, UPSTREAM_URL)
        await pilot.press("U")
        assert app.screen.query_one(Input).value == UPSTREAM_URL
        await pilot.press("escape")
        assert not isinstance(app.screen, PromptDialog)
        assert screen.taskbar.current is None  # esc asked nothing


async def test_o_clears_the_new_mark_and_help_lists_the_new_keys(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.tui.screens.help import HelpScreen

    monkeypatch.setenv("DISPLAY", ":0")  # a desktop: webbrowser (patched) takes the link

    library = library_of(db_path)
    library.set_meta(whatsnew.NEW_META, {SURVEY: "2026-11-20T10:00:00+00:00"})
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.main_screen.catalog_tree.current_entry.key == SURVEY
        await pilot.press("o")
        assert await written(pilot)
        assert stored_meta(db_path, whatsnew.NEW_META) == {}
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-table", Static).content)
        table = console.export_text()
        for heading in ("Copy and export", "arXiv", "Update, progress", "Note editor"):
            assert heading in table
        for key, what in (("y", "Copy the paper's link"), ("U", "Fetch the newest version")):
            assert any(line.split()[:1] == [key] and what in line for line in table.splitlines())
