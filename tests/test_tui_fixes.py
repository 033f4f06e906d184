"""Pilot tests for the TUI items of issue 13: what a new user tripped on (N, the cursor on a
section, the screenshot, `o` without a browser, the export dialog, the `U` field, the note
editor's esc and $EDITOR)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import BLOG, CAI, build_app, stored_meta, write_list

from rlhf_reader.library.store import Library
from rlhf_reader.lists import whatsnew
from rlhf_reader.model import Section
from rlhf_reader.tui.actions import STATE_NAME
from rlhf_reader.tui.screens.prompt import PromptDialog

SIZE = (120, 36)


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def entry_labels(tree) -> dict[str, list[str]]:
    return {key: [n.label.plain for n in nodes] for key, nodes in tree._entry_nodes.items()}


# 2. N -------------------------------------------------------------------------------------


async def test_N_takes_the_new_mark_off_the_rows_at_once(list_path: Path, db_path: Path) -> None:
    library = Library.open(db_path)
    library.set_meta(whatsnew.NEW_META, {CAI: "2026-11-20T10:00:00+00:00", BLOG: "2026-11-21"})
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.main_screen
        tree = screen.catalog_tree
        for path in (("Papers",), ("Papers", "Methods"), ("Blogs",)):
            tree.open_section(tree._section_nodes[path])
        await pilot.pause()
        assert all("✦" in label for label in entry_labels(tree)[CAI])
        await pilot.press("N")
        assert stored_meta(db_path, whatsnew.NEW_META) == {}
        labels = entry_labels(tree)
        assert labels[CAI] and labels[BLOG]
        assert not any("✦" in label for key in labels for label in labels[key])
        # a filter and clearing it rebuild the rows: still no mark
        await pilot.press("slash")
        screen.query_one("#filter-input", Input).value = "constitutional"
        await pilot.pause()
        assert tree.shown_keys == {CAI}
        assert not any("✦" in label for label in entry_labels(tree)[CAI])
        await pilot.press("escape")
        await pilot.pause()
        assert tree.shown_keys is None
        labels = entry_labels(tree)
        assert not any("✦" in label for key in labels for label in labels[key])


# 3. the cursor on a section ---------------------------------------------------------------


async def test_quitting_on_a_section_restores_the_cursor_there(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.catalog_tree
        tree.open_section(tree._section_nodes[("Papers",)])
        tree.move_to(tree._section_nodes[("Papers", "Methods")])
        await pilot.pause()
        assert tree.current_entry is None
        await pilot.press("q")
    state = stored_meta(db_path, STATE_NAME)
    assert isinstance(state, dict) and state["section"] == ["Papers", "Methods"]

    again = build_app(list_path, db_path)
    async with again.run_test(size=SIZE) as pilot:
        tree = again.main_screen.catalog_tree
        node = tree.cursor_node
        assert isinstance(node.data, Section) and node.data.path == ("Papers", "Methods")
        await pilot.press("l", "j")  # a paper now: that is what is restored next time
        assert tree.current_entry is not None
        key = tree.current_entry.key
        await pilot.press("q")
    state = stored_meta(db_path, STATE_NAME)
    assert state["cursor"] == key and state.get("section") is None


# 9. the U field ---------------------------------------------------------------------------


async def test_U_opens_the_source_field_at_its_start(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.lists import listsource
    from rlhf_reader.lists.registry import bundled_list_path
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace

    long_url = "https://127.0.0.1:9/" + "a-rather-long-folder-name/" * 6 + "README.md"
    monkeypatch.setattr(listsource, "UPSTREAM_URL", long_url)
    app = make_app(Workspace.open(bundled_list_path(), db_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("U")
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        await pilot.pause()
        field = dialog.query_one(Input)
        assert field.value == long_url
        assert field.scroll_x == 0 and field.cursor_position == 0
        assert field.selected_text == long_url  # typing replaces it
        await pilot.press("end")
        assert field.scroll_x > 0
