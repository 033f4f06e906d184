"""What makes a cursor move cheap (issue 17) must not change what is shown: the detail pane
follows the cursor before the next frame, its text repaints only the rows that changed yet
looks as a full repaint would, and the tree's remembered styles follow focus and theme."""

from __future__ import annotations

from pathlib import Path

from textual.geometry import Region
from textual.widget import Widget
from tui_helpers import CAI, DPO, INSTRUCT, SURVEY, build_app, write_list

from rlhf_reader.library.store import Library
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.linetext import LineText

SIZE = (120, 36)


def painted(text: LineText) -> list[str]:
    """The widget's rows as Textual has them to put on screen (its own row cache)."""
    width, height = text.region.size
    return [strip.text for strip in text.render_lines(Region(0, 0, width, height))]


async def test_the_pane_follows_the_cursor_in_the_same_frame_and_by_the_row(
    tmp_path: Path, db_path: Path
) -> None:
    library = Library.open(db_path)
    library.set_note(DPO, "A short plain note.")
    library.close()
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        tree = screen.query_one(CatalogTree)
        text = screen.detail.text
        tree.focus()
        assert tree.select_key(SURVEY)
        await pilot.pause()
        await pilot.pause()
        assert text.content.plain.startswith("A Survey of Reinforcement")
        # The highlight reaches the pane synchronously: no message round trip, so the
        # pane's rows go into the same frame as the tree's.
        tree.action_cursor_down()
        entry = tree.current_entry
        assert entry is not None and entry.key == DPO
        assert text.content.plain.startswith(entry.title + "\n")
        await pilot.pause()
        await pilot.pause()

        # Paper to paper: the rows that differ are repainted, not the blank box below.
        def height() -> int:
            return text.content.get_height(text.styles, text.size.width)  # type: ignore[arg-type]

        before, old_height = text.drawn_rows, height()
        rows = len(painted(text))
        assert tree.select_key(INSTRUCT)
        await pilot.pause()
        await pilot.pause()
        repainted = text.drawn_rows - before
        assert 0 < repainted <= max(old_height, height()) < rows
        # What was repainted by the row is what a full repaint draws.
        for key in (CAI, SURVEY, DPO, INSTRUCT):
            assert tree.select_key(key)
            await pilot.pause()
            await pilot.pause()
            assert text.content.plain.startswith(tree.current_entry.title + "\n")  # type: ignore[union-attr]
            by_row = painted(text)
            text.refresh()
            assert painted(text) == by_row
        # Text selection (mouse, double click) still works on it, as on a Static.
        text.text_select_all()
        await pilot.pause()
        selected = screen.get_selected_text()
        assert selected is not None and selected.startswith(tree.current_entry.title)  # type: ignore[union-attr]


async def test_the_trees_remembered_styles_follow_focus_and_theme(
    tmp_path: Path, db_path: Path
) -> None:
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        tree = screen.query_one(CatalogTree)

        def truth(*names: str) -> object:  # Textual's own answer, not the remembered one
            return Widget.get_component_rich_style(tree, *names)

        tree.focus()
        await pilot.pause()
        focused = tree.get_component_rich_style("tree--cursor")
        assert focused == truth("tree--cursor")
        assert tree.rich_style == Widget.rich_style.fget(tree)  # type: ignore[attr-defined]
        screen.detail.focus()
        await pilot.pause()
        unfocused = tree.get_component_rich_style("tree--cursor")
        assert unfocused == truth("tree--cursor") and unfocused != focused
        tree.focus()
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        await pilot.pause()
        themed = tree.get_component_rich_style("tree--cursor")
        assert themed == truth("tree--cursor") and themed != focused
        assert tree.rich_style == Widget.rich_style.fget(tree)  # type: ignore[attr-defined]
