"""Work the start no longer does twice, with the same screen (issue 17: the bundled list's
time until idle): the tree's first ``Resize`` lays nothing out again, and the detail pane's
first paper needs no layout when it fits and is drawn once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Size
from textual.widgets import Tree

from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
from rlhf_reader.tui.widgets.linetext import LineText
from tests.tui_helpers import build_app, write_list


def tree_rows(tree: CatalogTree) -> list[str]:
    return ["".join(s.text for s in tree.render_line(y)) for y in range(tree.size.height)]


async def test_a_resized_tree_shows_the_rows_of_one_started_at_that_size(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    list_path = write_list(tmp_path)
    resized = build_app(list_path, db_path)
    textual_resize = Tree._on_resize
    answered: list[Size] = []
    monkeypatch.setattr(Tree, "_on_resize", lambda self, event: answered.append(event.size))
    async with resized.run_test(size=(120, 36)) as pilot:
        tree = resized.main_screen.catalog_tree
        before = tree_rows(tree)
        await pilot.resize_terminal(104, 26)
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert answered == []  # Tree's own answer (lines rebuilt, the screen laid out): none
        after, size, line = tree_rows(tree), tree.size, tree.cursor_line
    monkeypatch.setattr(Tree, "_on_resize", textual_resize)
    assert after != before

    fresh = build_app(list_path, tmp_path / "fresh.json")
    async with fresh.run_test(size=(104, 26)) as pilot:
        await pilot.pause()
        tree = fresh.main_screen.catalog_tree
        tree.cursor_line = line
        await pilot.pause()
        assert tree.size == size
        assert tree_rows(tree) == after


async def test_the_first_paper_fills_the_pane_without_a_layout(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shows: list[bool] = []
    show = LineText.show

    def recording(self: LineText, text: Any, *, layout: bool) -> None:
        shows.append(layout)
        show(self, text, layout=layout)

    monkeypatch.setattr(LineText, "show", recording)
    drawn: list[str] = []
    draw = LineText._draw

    def counting(self: LineText, text: Any, width: int, height: int | None) -> Any:
        drawn.append(text.plain)
        return draw(self, text, width, height)

    monkeypatch.setattr(LineText, "_draw", counting)
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.2)
        screen = app.main_screen
        entry = screen.catalog_tree.current_entry
        assert entry is not None
        text = screen.detail.text
        assert text.content.plain.startswith(entry.title + "\n")
        assert shows and shows[0] is False  # it fits: the box keeps the pane's height
        assert text.size.height == screen.detail.size.height
        rows = ["".join(s.text for s in text.render_line(y)) for y in range(3)]
        assert rows[0].startswith(entry.title[:40])
        # Drawn once: to measure it and compare with the empty rows (not again by a layout).
        assert drawn.count(text.content.plain) == 1
