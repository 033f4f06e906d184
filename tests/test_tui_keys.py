"""Pilot tests for issue 13's keys: titles cut with "…", long author lists, j/k/g/G in the
detail pane, the help and the choosers, the palette finding papers by author and id after the
commands, marking a section, and ``u``. Real app, real library file in tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import Input, OptionList, RadioSet, Select, Static
from tui_helpers import (
    BLOG,
    CAI,
    DPO,
    INSTRUCT,
    SMALL_LIST,
    SURVEY,
    build_app,
    stored,
    until,
    write_list,
    written,
)

from rlhf_reader.library.store import Library
from rlhf_reader.model import Status
from rlhf_reader.tags import TagEdit
from rlhf_reader.tui.screens.copying import FormatChooser
from rlhf_reader.tui.screens.export import ExportDialog
from rlhf_reader.tui.screens.help import HelpScreen
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.screens.tags import TagsDialog

SIZE = (120, 36)

LONG_TITLE = (
    "Constitutional AI: Harmlessness from AI Feedback, a title long enough to run past the "
    "right edge of the tree at any width we test"
)
MANY = [f"Author{n:02d} Surname{n:02d}" for n in range(1, 39)]  # 38 authors
FETCH_PAPER = "Fetching preferences: a benchmark"
LONG_SECTION = "Methods that take a very long heading to say what they are about"
LIST = (
    SMALL_LIST.replace("### Methods", f"### {LONG_SECTION}")
    .replace("Constitutional AI: Harmlessness from AI Feedback", LONG_TITLE)
    .replace("  - Yuntao Bai. arXiv, 2022.", f"  - {', '.join(MANY)}. arXiv, 2022.")
    .replace(
        "## Blogs",
        f"- [{FETCH_PAPER}](https://arxiv.org/abs/2401.00001)\n  - Ann Fetcher. arXiv, 2024.\n\n"
        "## Blogs",
    )
)


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path, LIST)


def text_of(app) -> str:
    content = app.main_screen.query_one("#detail-text", Static).content
    return content.plain if hasattr(content, "plain") else str(content)


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def plain(widget: Static) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


def rendered_rows(app) -> list[str]:
    tree = app.main_screen.catalog_tree
    width = tree.scrollable_content_region.width
    return [tree.render_line(y).text[:width].rstrip() for y in range(tree.size.height)]


# 8. titles end with "…"; long author lists are cut, A shows them all ----------------------


async def test_cut_titles_end_with_an_ellipsis_and_long_author_lists_are_short(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        tree = app.main_screen.catalog_tree
        assert tree.select_key(CAI)
        await pilot.pause()
        rows = rendered_rows(app)
        cut = next(row for row in rows if "Constitutional AI" in row)
        assert cut.endswith("…")  # cut, and says so
        assert len(cut) == tree.scrollable_content_region.width
        short = next(row for row in rows if "Surveys" in row)
        assert short.endswith("Surveys  0/2")  # fits: left whole, no "…"
        section = next(row for row in rows if "Methods that" in row)
        assert section.endswith("…  0/4")  # a section's title is cut, its count stays

        # The detail pane: the first ten authors, "… and 28 more", A shows them all.
        text = text_of(app)
        assert "Author10 Surname10 … and 28 more" in text
        assert "Author11" not in text
        await pilot.press("A")
        text = text_of(app)
        assert "Author38 Surname38" in text and "and 28 more" not in text
        await pilot.press("A")
        assert "… and 28 more" in text_of(app)

        # Narrower: the tree is re-cut to the new width.
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        cut = next(row for row in rendered_rows(app) if "Constitutional AI" in row)
        assert cut.endswith("…") and len(cut) == tree.scrollable_content_region.width


# 10. j/k/g/G in the detail pane, the help and the choosers --------------------------------


async def test_j_k_g_G_scroll_the_detail_pane_and_the_help(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        main = app.main_screen
        assert main.catalog_tree.select_key(CAI)
        await pilot.press("A", "enter")  # every author: the pane must scroll
        detail = main.detail
        assert app.focused is detail
        await pilot.pause()
        assert detail.max_scroll_y > 2
        await pilot.press("j", "j")
        assert detail.scroll_y == 2
        await pilot.press("k")
        assert detail.scroll_y == 1
        await pilot.press("G")
        await pilot.pause()
        assert detail.scroll_y == detail.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert detail.scroll_y == 0
        await pilot.press("escape")
        assert app.focused is main.catalog_tree

        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        box = help_screen.query_one(VerticalScroll)
        await pilot.pause()
        assert box.max_scroll_y > 0
        await pilot.press("j", "j", "j", "k")
        assert box.scroll_y == 2
        await pilot.press("G")
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert box.scroll_y == 0
        table = plain(help_screen.query_one("#help-table", Static))
        assert "Detail, lists" in table and "Show every author" in table
        assert re.search(r"^j +Down: scroll the detail pane", table, re.M)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_j_k_g_G_move_in_every_chooser(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        chooser = app.screen
        assert isinstance(chooser, FormatChooser)
        options = chooser.query_one(OptionList)
        assert options.highlighted == 0
        await pilot.press("j", "j")
        assert options.highlighted == 2
        await pilot.press("k")
        assert options.highlighted == 1
        await pilot.press("G")
        assert options.highlighted == options.option_count - 1
        await pilot.press("g")
        assert options.highlighted == 0
        await pilot.press("escape")

        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        select = dialog.query_one("#export-format", Select)
        assert app.focused is select and select.value == "markdown"
        await pilot.press("j")  # opens the list, as ↓ does
        assert select.expanded
        await pilot.press("j", "enter")  # the next format
        assert not select.expanded and select.value == "bibtex"
        await pilot.press("j", "G", "enter")
        assert select.value == "csl-json"  # the last
        await pilot.press("j", "g", "enter")
        assert select.value == "markdown"  # the first
        await pilot.press("tab")
        assert isinstance(app.focused, RadioSet)
        await pilot.press("tab")
        field = dialog.query_one("#export-path", Input)
        assert app.focused is field
        field.value = ""
        await pilot.press(*"jkgG")  # a file name takes the letters
        assert field.value == "jkgG"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


# 12. the palette: commands first, papers by author and arXiv id too ------------------------


async def palette_prompts(app, pilot, typed: str) -> list[str]:
    if not isinstance(app.screen, CommandPalette):
        await pilot.press("ctrl+p")
        assert await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    field = app.screen.query_one(Input)
    field.value = ""
    await pilot.press(*typed)
    commands = app.screen.query_one(CommandList)
    await pilot.pause()
    await app.workers.wait_for_complete()  # the palette's search of this text
    await pilot.pause()
    prompts = (commands.get_option_at_index(i).prompt for i in range(commands.option_count))
    return [getattr(p, "plain", str(p)).split("\n")[0] for p in prompts]  # the title line


async def test_the_palette_finds_papers_by_author_and_id_after_the_commands(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        prompts = await palette_prompts(app, pilot, "rafailov")
        assert prompts and prompts[0].startswith("Direct Preference Optimization")

        prompts = await palette_prompts(app, pilot, "2305.18290")
        assert prompts and prompts[0].startswith("Direct Preference Optimization")

        # "fetch" is a command and a word of a title: the commands come first.
        prompts = await palette_prompts(app, pilot, "fetch")
        paper = prompts.index(FETCH_PAPER)
        commands = [p for p in prompts if p.startswith("fetch:")]
        assert commands and all(prompts.index(c) < paper for c in commands)

        await pilot.press("enter")  # the first hit: a command, not the paper
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await palette_prompts(app, pilot, "2203.02155")
        await pilot.press("enter")
        assert await until(pilot, lambda: app.main_screen.catalog_tree.current_entry is not None)
        await until(pilot, lambda: app.main_screen.catalog_tree.current_entry.key == INSTRUCT)
        assert app.main_screen.catalog_tree.current_entry.key == INSTRUCT


# 13. a whole section read / unread, and u ------------------------------------------------


async def test_m_marks_a_section_after_asking_and_u_undoes_it(
    list_path: Path, db_path: Path
) -> None:
    from rlhf_reader.tui.screens.mark_section import MarkSection

    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        main = app.main_screen
        other = Library.open(db_path)  # another process, before
        other.set_status([INSTRUCT], Status.READ)
        other.change_queue(lambda queue: [*queue, DPO])
        await until(pilot, main.poll)
        assert await until(pilot, lambda: main.reading.queue == [DPO])
        read_at = stored(db_path, INSTRUCT).read_at
        # The cursor is on the first paper: m is about its section, "Papers › Surveys".
        await pilot.press("m")
        dialog = app.screen
        assert isinstance(dialog, MarkSection)
        question = str(dialog.query_one("#mark-question", Static).content)
        assert "Papers › Surveys" in question and "Read changes 2 papers" in question
        await pilot.press("escape")  # cancelled: nothing written
        assert stored(db_path, SURVEY).status is Status.UNREAD

        # On the "Papers" section itself (space on a section asks the same), with its four
        # papers: one read already, three change.
        main.catalog_tree.move_to(main.catalog_tree._section_nodes[("Papers",)])
        await pilot.press("space")
        dialog = app.screen
        assert isinstance(dialog, MarkSection)
        assert "Read changes 4 papers" in str(dialog.query_one("#mark-question", Static).content)
        await pilot.press("r")
        assert isinstance(app.screen, MainScreen)
        assert main.reading.overall.read == 5  # shown at once
        assert await written(pilot)
        for key in (SURVEY, DPO, INSTRUCT, CAI):
            assert stored(db_path, key).status is Status.READ
        assert stored(db_path, INSTRUCT).read_at == read_at  # read before: date kept
        assert stored(db_path, BLOG).status is Status.UNREAD
        assert "4 papers of «Papers» marked read (u undoes it)." in messages(app)
        assert len(main.writes.history) == 1  # one step
        assert main.reading.overall.read == 5
        # Marked read: off the reading queue, and the queue section shows it.
        assert await until(pilot, lambda: main.reading.queue == [])

        await pilot.press("u")  # undone as one step
        assert await written(pilot)
        for key in (SURVEY, DPO, CAI):
            assert stored(db_path, key).status is Status.UNREAD
        assert await until(pilot, lambda: main.reading.queue == [DPO])  # back on the queue
        assert stored(db_path, INSTRUCT).status is Status.READ
        assert main.reading.overall.read == 1
        assert messages(app)[-1] == "Undone: 4 papers of «Papers» marked read."

        await pilot.press("u")
        assert await written(pilot)
        assert messages(app)[-1].startswith("Nothing to undo")


async def test_u_restores_the_read_date_tags_and_note_but_never_clobbers(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        main = app.main_screen
        await pilot.press("space")
        assert await written(pilot)
        read_at = stored(db_path, SURVEY).read_at
        assert read_at
        await pilot.press("space")  # unread: the read date is gone from the file…
        assert await written(pilot)
        assert stored(db_path, SURVEY).read_at is None
        await pilot.press("u")  # …and comes back
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ
        assert stored(db_path, SURVEY).read_at == read_at
        assert "●" in main.catalog_tree._entry_nodes[SURVEY][0].label.plain

        await pilot.press("t", *"+first", "enter")
        assert not isinstance(app.screen, TagsDialog)
        assert await written(pilot)
        Library.open(db_path).change_tags([SURVEY], TagEdit.of(add=["cli"]))  # meanwhile
        await pilot.press("u")  # only our tag goes
        assert await written(pilot)
        assert stored(db_path, SURVEY).tags == ("cli",)

        await pilot.press("n", *"my note", "ctrl+s")
        assert await written(pilot)
        assert stored(db_path, SURVEY).note == "my note"
        Library.open(db_path).set_note(SURVEY, "the CLI's note")  # changed elsewhere since
        await pilot.press("u")
        assert await written(pilot)
        assert stored(db_path, SURVEY).note == "the CLI's note"  # not clobbered
        assert "Not undone" in messages(app)[-1] and "nothing was overwritten" in messages(app)[-1]

        await pilot.press("u")  # the read mark that was undone before is long gone: next is
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.UNREAD  # the first space
        assert stored(db_path, SURVEY).read_at is None
