"""Untrusted text is shown literally everywhere in the TUI and never runs an action."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_DATA
from rich.text import Text
from textual.content import Content
from textual.widgets import Input, Static
from tui_helpers import build_app, stored, written

from rlhf_reader.library.store import LibraryError
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Entry
from rlhf_reader.textsafe import printable
from rlhf_reader.tui.commands import PaperCommands
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.header import ProgressHeader

HOSTILE = TEST_DATA / "hostile.md"
SIZE = (120, 36)


def hostile_entries() -> list[Entry]:
    return load(HOSTILE).entries


def test_the_hostile_list_has_what_this_test_needs() -> None:
    titles = [e.title for e in hostile_entries()]
    assert "[RLHF] x" in titles and "[/]" in titles and "[@click=app.quit]y[/]" in titles
    assert any("\x1b" in t for t in titles) and any("\x07" in t for t in titles)


async def test_titles_render_literally_in_tree_detail_and_header(db_path: Path) -> None:
    app = build_app(HOSTILE, db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        tree = screen.catalog_tree
        header = screen.query_one(ProgressHeader)
        assert "Hostile [b]list[/b]" in header.render().plain
        for entry in hostile_entries():
            assert tree.select_key(entry.key, entry)
            await pilot.pause()
            node = tree.cursor_node
            assert isinstance(node.label, Text)
            assert node.label.plain == "○ " + printable(entry.title)
            assert "\x1b" not in node.label.plain and "\x07" not in node.label.plain
            shown = screen.query_one("#detail-text", Static).content
            assert isinstance(shown, Content)  # built from literal text, never from markup
            assert printable(entry.title) in shown.plain
        # every section label too (one of them holds an escape sequence)
        for section_node in tree._section_nodes.values():
            assert "\x1b" not in section_node.label.plain
        assert any("\\x1b[31mred" in n.label.plain for n in tree._section_nodes.values())
        app.export_screenshot()  # the whole screen renders without a markup error


async def test_clicking_a_click_markup_title_does_not_run_it(db_path: Path) -> None:
    app = build_app(HOSTILE, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.catalog_tree
        entry = next(e for e in hostile_entries() if e.title == "[@click=app.quit]y[/]")
        assert tree.select_key(entry.key, entry)
        await pilot.pause()
        line = tree.cursor_node.line - int(tree.scroll_offset.y)
        for x in (6, 8, 10, 14, 18):
            await pilot.click(CatalogTree, offset=(x, line))
        await pilot.click("#detail-text", offset=(3, 0))
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None


async def test_tags_notes_and_notifications_stay_literal(db_path: Path) -> None:
    app = build_app(HOSTILE, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.main_screen
        entry = screen.catalog_tree.current_entry
        assert entry is not None
        await pilot.press("t")
        app.screen.query_one(Input).value = "[b]x[/b] [@click=app.quit]y"
        await pilot.press("enter")
        assert await written(pilot)
        assert stored(db_path, entry.key).tags == ("[b]x[/b]", "[@click=app.quit]y")
        assert "#[b]x[/b] #[@click=app.quit]y" in screen.catalog_tree.cursor_node.label.plain

        note = "[@click=app.quit]quit[/] and [/] and [RLHF] \x1b[31mred"
        screen.writes.store(entry.key, lambda library: library.set_note(entry.key, note))
        assert await written(pilot)
        await pilot.pause()
        static = screen.query_one("#detail-text", Static)
        shown = static.content.plain.replace("\n", " ")
        assert "[@click=app.quit]quit[/] and [/] and [RLHF] " in shown and "\x1b" not in shown
        rows = [static.render_line(y).text for y in range(static.size.height)]
        line = next(n for n, row in enumerate(rows) if "[@click=app.quit]quit" in row)
        await pilot.click("#detail-text", offset=(rows[line].index("quit[/]"), line))
        await pilot.pause()
        assert app.is_running

        def hostile_failure(*args: object, **kwargs: object) -> None:
            raise LibraryError("[/] [@click=app.quit]boom[/] \x1b[2J")

        app.workspace.library.set_status = hostile_failure  # type: ignore[method-assign]
        await pilot.press("space")
        assert await written(pilot)
        await pilot.pause()
        message = [n.message for n in app._notifications][-1]
        assert "[@click=app.quit]boom[/]" in message and "\x1b" not in message
        assert app.is_running


async def test_palette_shows_hostile_titles_literally(db_path: Path) -> None:
    app = build_app(HOSTILE, db_path)
    async with app.run_test(size=SIZE):
        provider = PaperCommands(app.main_screen)
        hits = [hit async for hit in provider.search("click")]
        assert hits
        hit = next(h for h in hits if h.text == "[@click=app.quit]y[/]")
        assert isinstance(hit.match_display, Content)
        assert hit.match_display.plain == "[@click=app.quit]y[/]"
        assert isinstance(hit.help, Content)
        found = [hit async for hit in provider.discover()]
        assert all(isinstance(h.display, Content) for h in found)
