"""Pilot tests: every key of the main screen, asserting on the app and on the library file."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea
from tui_helpers import (
    BLOG,
    CAI,
    DPO,
    INSTRUCT,
    SURVEY,
    build_app,
    exited,
    stored,
    stored_meta,
    until,
    write_list,
    written,
)

from rlhf_reader.library.store import Library, LibraryError
from rlhf_reader.model import Entry, Section, Status
from rlhf_reader.tags import TagEdit
from rlhf_reader.tui.actions import ACTIONS, STATE_NAME
from rlhf_reader.tui.screens.confirm import ChoiceDialog, ConfirmDialog
from rlhf_reader.tui.screens.help import HelpScreen
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.screens.note import NoteEditor
from rlhf_reader.tui.screens.tags import TagsDialog
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.header import ProgressHeader

SIZE = (120, 36)


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def main_screen(app) -> MainScreen:
    return app.main_screen


def tree(app) -> CatalogTree:
    return app.main_screen.catalog_tree


def current_key(app) -> str | None:
    entry = tree(app).current_entry
    return entry.key if entry else None


def labels(app, key: str) -> list[str]:
    return [node.label.plain for node in tree(app)._entry_nodes.get(key, [])]


def section_label(app, *path: str) -> str:
    return tree(app)._section_nodes[path].label.plain


def detail_text(app) -> str:
    return static_text(app.main_screen.query_one("#detail-text", Static))


def static_text(widget: Static) -> str:
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


# start, move --------------------------------------------------------------------------------


async def test_first_run_opens_on_the_first_paper(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE):
        assert current_key(app) == SURVEY
        header = app.main_screen.query_one(ProgressHeader)
        assert (header.read, header.total) == (0, 5)  # five papers, DPO listed twice
        assert section_label(app, "Papers") == "Papers  0/4"
        assert "A Survey of Reinforcement Learning" in detail_text(app)
        assert "Timo Kaufmann" in detail_text(app)
        assert isinstance(tree(app).cursor_node.data, Entry)
        assert app.focused is tree(app)


async def test_vim_keys_and_arrows_move(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        assert current_key(app) == DPO
        assert "Direct Preference Optimization" in detail_text(app)
        await pilot.press("down")  # onto the closed "Methods" section
        assert current_key(app) is None
        await pilot.press("l")  # open Methods: entries are added lazily
        await pilot.press("j")
        assert current_key(app) == INSTRUCT
        await pilot.press("k", "up")
        assert current_key(app) == DPO
        await pilot.press("h")  # from a paper to its section
        node = tree(app).cursor_node
        assert isinstance(node.data, Section) and node.data.title == "Surveys"
        await pilot.press("h")  # collapse it
        assert not node.is_expanded
        await pilot.press("l")
        assert node.is_expanded
        await pilot.press("G")
        assert tree(app).cursor_line == tree(app).last_line
        await pilot.press("g")
        assert tree(app).cursor_line == 0


async def test_enter_opens_sections_and_focuses_the_detail(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert app.focused is app.main_screen.detail
        await pilot.press("escape")
        assert app.focused is tree(app)
        await pilot.press("G")  # the "Blogs" section, still closed
        node = tree(app).cursor_node
        assert isinstance(node.data, Section) and not node.is_expanded
        assert "0/1 read" in detail_text(app)  # a section shows its progress
        await pilot.press("enter")
        assert node.is_expanded
        await pilot.press("j")
        assert current_key(app) == BLOG
        await pilot.press("k", "enter")
        assert not node.is_expanded


async def test_mouse_click_moves_the_cursor_and_toggles_sections(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        lines = {
            n.data.key if isinstance(n.data, Entry) else n.data.title: n.line
            for n in tree(app)._tree_nodes.values()
            if n.data is not None
        }
        await pilot.click(CatalogTree, offset=(10, lines[DPO]))
        assert current_key(app) == DPO
        await pilot.click(CatalogTree, offset=(10, lines["Methods"]))
        assert tree(app)._section_nodes[("Papers", "Methods")].is_expanded
        assert labels(app, INSTRUCT)


# status ----------------------------------------------------------------------------------


async def test_space_toggles_read_and_writes_it(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ
        assert stored(db_path, SURVEY).read_at
        assert labels(app, SURVEY)[0].startswith("● ")
        assert section_label(app, "Papers") == "Papers  1/4"
        assert section_label(app, "Papers", "Surveys") == "Surveys  1/2"
        header = app.main_screen.query_one(ProgressHeader)
        assert header.read == 1
        assert "● read on " in detail_text(app)
        await pilot.press("space")
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.UNREAD
        assert labels(app, SURVEY)[0].startswith("○ ")
        assert header.read == 0


async def test_i_marks_reading(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READING
        assert labels(app, SURVEY)[0].startswith("◐ ")
        assert "◐ reading" in detail_text(app)
        assert section_label(app, "Papers") == "Papers  0/4"


async def test_a_paper_listed_twice_changes_everywhere(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree(app).select_key(DPO, app.main_screen.reading.entries[DPO][1])  # the copy under Methods
        await pilot.pause()
        assert "listed twice" in detail_text(app)
        await pilot.press("space")
        assert [label[0] for label in labels(app, DPO)] == ["●", "●"]
        assert section_label(app, "Papers", "Surveys") == "Surveys  1/2"
        assert section_label(app, "Papers", "Methods") == "Methods  1/3"
        assert app.main_screen.query_one(ProgressHeader).read == 1


async def test_a_failed_write_is_a_notification_and_changes_nothing(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)

    def broken(*args, **kwargs):
        raise LibraryError(f"{db_path}: disk full")

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.workspace.library.set_status = broken  # type: ignore[method-assign]
        await pilot.press("space")
        assert await written(pilot)
        await pilot.pause()
        assert labels(app, SURVEY)[0].startswith("○ ")  # back to what the file holds
        messages = [n.message for n in app._notifications]
        assert any("disk full" in m and m.startswith("Not saved") for m in messages)
        assert app.is_running
    assert stored(db_path, SURVEY).status is Status.UNREAD


# tags ------------------------------------------------------------------------------------


async def test_t_applies_the_tag_grammar_to_the_tags_in_the_file(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, TagsDialog)
        await pilot.press(*"survey rlhf must-read", "enter")  # bare words add
        assert not isinstance(app.screen, TagsDialog)
        assert await written(pilot)
        assert stored(db_path, SURVEY).tags == ("survey", "rlhf", "must-read")
        assert "#survey #rlhf #must-read" in labels(app, SURVEY)[0]

        await pilot.press("t")
        field = app.screen.query_one(Input)
        assert field.value == ""  # the tags are shown above, the input holds a change
        field.value = "+to-read -surv"
        await pilot.press("end", *"ey Ünïcode", "enter")
        assert await written(pilot)
        # must-read is not named, so it stays
        assert stored(db_path, SURVEY).tags == ("rlhf", "must-read", "to-read", "ünïcode")
        assert "#rlhf #must-read #to-read #ünïcode" in detail_text(app)

        await pilot.press("t", "enter")  # nothing typed changes nothing
        assert not isinstance(app.screen, TagsDialog)
        assert stored(db_path, SURVEY).tags == ("rlhf", "must-read", "to-read", "ünïcode")


async def test_a_tag_edit_keeps_a_tag_another_process_added(list_path: Path, db_path: Path) -> None:
    # The CLI tags the paper while the TUI is open; the TUI's edit is a change to the file as
    # it is then, so both tags stay.
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        Library.open(db_path).change_tags([SURVEY], TagEdit.of(add=["waiting"]))
        await pilot.press("t", *"+from-tui", "enter")
        assert await written(pilot)
        assert stored(db_path, SURVEY).tags == ("waiting", "from-tui")


async def test_tags_suggest_tags_in_use(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", *"reward-models", "enter", "j", "t")
        app.screen.query_one(Input).value = ""
        await pilot.press("+", "r", "e")
        await pilot.pause()
        await pilot.press("right", "enter")  # accept the suggestion
        assert await written(pilot)
        assert stored(db_path, DPO).tags == ("reward-models",)


async def test_invalid_tags_get_an_inline_message(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        app.screen.query_one(Input).value = "x" * 41
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, TagsDialog)  # still open
        error = static_text(dialog.query_one("#tags-error", Static))
        assert "longer than 40" in error
        dialog.query_one(Input).value = "+"
        await pilot.press("enter")
        assert "needs a tag" in static_text(dialog.query_one("#tags-error", Static))
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert stored(db_path, SURVEY).tags == ()


# notes -----------------------------------------------------------------------------------


async def test_n_edits_the_note_and_ctrl_s_saves(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        assert app.focused is editor.query_one(TextArea)
        await pilot.press(*"# Key idea", "enter", *"**bold** claim")
        assert editor.unsaved
        assert "unsaved" in editor.query_one("#note-box").border_subtitle
        await pilot.press("ctrl+s")  # the editor waits for the writer's answer
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert stored(db_path, SURVEY).note == "# Key idea\n**bold** claim"
        await pilot.pause()
        shown = app.main_screen.query_one("#detail-text", Static).content
        assert shown.plain.endswith("\nNote\nKey idea\n\nbold claim")  # drawn, not source
        heading = shown.plain.rindex("Key idea")
        assert any(s.start <= heading < s.end and "bold" in str(s.style) for s in shown.spans)


async def test_esc_with_unsaved_note_asks(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"draft")
        await pilot.press("escape")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("k")  # keep editing
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.query_one(TextArea).text == "draft"
        await pilot.press("escape", "d")  # drop
        assert isinstance(app.screen, MainScreen)
    assert stored(db_path, SURVEY).note == ""


async def test_esc_without_changes_closes_at_once(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "escape")
        assert isinstance(app.screen, MainScreen)


async def test_quitting_with_an_unsaved_note_asks(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", *"unsaved thought", "ctrl+q")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert app.is_running and isinstance(app.screen, NoteEditor)
        await pilot.press("ctrl+q", "y")
        assert await exited(app)
    assert app.return_code == 0
    assert stored(db_path, SURVEY).note == ""


# open, filter, help, palette --------------------------------------------------------------


async def test_o_opens_http_links_only(
    list_path: Path, db_path: Path, no_real_browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")  # a desktop: webbrowser (patched) is asked
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await app.workers.wait_for_complete()
    assert no_real_browser == ["https://arxiv.org/abs/2312.14925"]


async def test_filter_narrows_hides_sections_and_esc_restores(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")  # on DPO
        await pilot.press("slash", *"constitutional")
        screen = app.main_screen
        assert screen.query_one("#filter-bar").display
        assert tree(app).shown_keys == {CAI}
        await pilot.press(*"zzzq")
        assert tree(app).shown_keys == set()
        assert "Nothing matches" in detail_text(app)
        for _ in range(4):
            await pilot.press("backspace")
        assert tree(app).shown_keys == {CAI}
        assert ("Blogs",) not in tree(app)._section_nodes
        assert ("Papers", "Surveys") not in tree(app)._section_nodes
        assert current_key(app) == CAI
        assert screen.query_one(ProgressHeader).matches == 1
        await pilot.press("escape")
        assert tree(app).shown_keys is None
        assert not screen.query_one("#filter-bar").display
        assert current_key(app) == DPO  # back where we were
        assert app.focused is tree(app)


async def test_filter_enter_then_esc_keeps_the_chosen_paper(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"feedback", "enter")
        assert app.focused is tree(app)
        shown = tree(app).shown_keys
        assert shown is not None and {SURVEY, INSTRUCT, BLOG} <= shown and DPO not in shown
        await pilot.press("G")
        assert current_key(app) == BLOG
        await pilot.press("escape")
        assert tree(app).shown_keys is None
        assert current_key(app) == BLOG


async def test_a_bad_filter_is_an_inline_message(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"status:nope")
        error = app.main_screen.query_one("#filter-error", Static)
        assert await until(pilot, lambda: error.display)
        assert "nope" in static_text(error)
        footer = app.main_screen.query_one("KeyFooter")
        assert error.region.bottom <= footer.region.y  # visible, not under the footer
        assert app.is_running
        await pilot.press("escape")
        assert not app.main_screen.query_one("#filter-bar").display


async def test_help_lists_every_key_by_group(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", Static)
        text = _render_plain(table)
        for heading in ("Move around", "Reading status", "Tags and notes", "Filter", "The app"):
            assert heading in text
        for action in ACTIONS:
            assert action.help in text
        assert "ctrl+s" in text.lower() or "^s" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


def _render_plain(widget: Static) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


async def test_palette_lists_actions_with_verb_object_names(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        names = [c.title for c in app.get_system_commands(app.main_screen)]
        for action in ACTIONS:
            assert action.command in names
            verb, _, obj = action.command.partition(": ")
            assert verb and obj
        await pilot.press("ctrl+p", *"toggle: read")
        await pilot.pause(0.3)
        await pilot.press("enter")
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ


async def test_palette_finds_a_paper_and_moves_the_cursor(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        assert not tree(app)._section_nodes[("Blogs",)].is_expanded
        await pilot.press("ctrl+p", *"illustrating")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert current_key(app) == BLOG
        assert tree(app)._section_nodes[("Blogs",)].is_expanded


# state between runs ---------------------------------------------------------------------


async def test_cursor_sections_and_theme_are_restored(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "l", "j")  # open Blogs, onto the blog post
        assert current_key(app) == BLOG
        app.theme = "nord"
        await pilot.press("q")
    state = stored_meta(db_path, STATE_NAME)
    assert isinstance(state, dict)
    assert state["cursor"] == BLOG and state["theme"] == "nord"
    assert ["Blogs"] in state["expanded"]

    again = build_app(list_path, db_path)
    async with again.run_test(size=SIZE):
        assert current_key(again) == BLOG
        assert tree(again)._section_nodes[("Blogs",)].is_expanded
        assert again.theme == "nord"


async def test_narrow_terminal_puts_the_detail_below(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        assert screen.has_class("-narrow")
        assert screen.detail.region.y > tree(app).region.y
        assert screen.detail.region.width == tree(app).region.width


async def test_a_bad_library_fails_before_the_screen_opens(
    list_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rlhf_reader.cli import main

    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    assert main(["--list", str(list_path), "--db", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rlhf-reader: error:") and str(bad) in err


async def test_large_list_builds_entry_nodes_only_when_opened(
    tmp_path: Path, db_path: Path
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from genlist import make_list

    app = build_app(write_list(tmp_path, make_list(2000, 40)), db_path)
    async with app.run_test(size=SIZE) as pilot:
        nodes = len(tree(app)._tree_nodes)
        assert nodes < 200  # sections plus the first section's papers
        await pilot.press("slash", *"preference")
        shown = tree(app).shown_keys
        assert shown and len(shown) > 200
        assert len(tree(app)._tree_nodes) < len(shown)  # only part of the matches is built
        assert app.main_screen.query_one(ProgressHeader).matches == len(shown)


async def test_detail_shows_cached_arxiv_metadata_literally(list_path: Path, db_path: Path) -> None:
    from rlhf_reader.library.store import Library

    library = Library.open(db_path)
    library.put_metadata(
        {
            SURVEY: {
                "key": SURVEY,
                "arxiv_id": SURVEY,
                "version": "v2",
                "title": "A Completely Different [Title]",
                "authors": ["Timo Kaufmann", "Paul Weng"],
                "abstract": "Reinforcement learning from human feedback [RLHF] is a variant.",
                "published": "2023-12-22T18:58:39Z",
                "updated": "2024-04-30T10:00:00Z",
                "primary_category": "cs.LG",
                "categories": ["cs.LG", "cs.AI"],
                "doi": "10.1000/xyz123",
                "journal_ref": "TMLR 2024",
                "comment": "[@click=app.quit]x[/] 60 pages",
                "pdf_url": None,
                "fetched_at": "2026-01-01T00:00:00Z",
            }
        }
    )
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE):
        text = detail_text(app)
        for expected in (
            "the link points at «A Completely Different [Title]»",
            "cs.LG, cs.AI",
            "2023-12-22",
            "2024-04-30",
            "10.1000/xyz123",
            "TMLR 2024",
            "[@click=app.quit]x[/] 60 pages",
            "Reinforcement learning from human feedback [RLHF] is a variant.",
            "v2",
        ):
            assert expected in text


async def test_a_bad_list_fails_before_the_screen_opens(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rlhf_reader.cli import main

    missing = tmp_path / "nope.md"
    assert main(["--list", str(missing), "--db", str(db_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rlhf-reader: error:") and "nope.md" in err


async def test_help_shows_keys_as_remapped(list_path: Path, db_path: Path) -> None:
    """``App.set_keymap`` is public; the help screen reads the keymap the app kept from it
    (Textual has no public getter): a Textual upgrade that changes it fails here."""
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        app.set_keymap({"status.toggle-read": "x", "find.filter": "f2"})
        await pilot.press("x")
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ  # the new key works
        await pilot.press("question_mark")
        text = _render_plain(app.screen.query_one("#help-table", Static))
        rows = [row.split(None, 1) for row in text.splitlines() if row.strip()]
        keys = {what.strip(): key for key, what in (r for r in rows if len(r) == 2)}
        assert keys["Mark the paper read, or unread again"] == "x"
        assert keys[next(k for k in keys if k.startswith("Filter: words"))].lower() == "f2"


async def test_a_theme_change_recolours_the_tree(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")  # the survey is read: its glyph takes $text-success
        node = tree(app).cursor_node
        dark = node.label.spans[0].style.color  # the glyph
        app.theme = "textual-light"
        await pilot.pause()
        light = tree(app).cursor_node.label.spans[0].style.color
        assert dark is not None and light is not None and dark != light
        variables = app.theme_variables
        assert light.triplet.hex.lower() == variables["text-success"].lower()[:7]
