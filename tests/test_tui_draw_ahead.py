"""The next paper is drawn ahead once per row the cursor rests on, never at start (issue 17:
the bundled list's time until idle; the start drew the second paper twice for nobody)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rlhf_reader.model import Entry
from rlhf_reader.tui.widgets.detail import DetailPane
from tests.tui_helpers import build_app, until, write_list

PAPERS = "# Six papers\n\n## Papers\n\n" + "".join(
    f"- [Paper number {n}](https://arxiv.org/abs/2401.0000{n})\n  - Author {n}. arXiv, 2024.\n"
    for n in range(1, 7)
)


async def test_drawn_ahead_once_per_resting_row_and_not_at_start(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[str] = []
    prepare = DetailPane.prepare

    def counting(self: DetailPane, entry: Entry, *args: Any, **kwargs: Any) -> None:
        prepared.append(entry.key)
        prepare(self, entry, *args, **kwargs)

    monkeypatch.setattr(DetailPane, "prepare", counting)
    app = build_app(write_list(tmp_path, PAPERS), db_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        tree = screen.catalog_tree
        await pilot.pause(0.2)  # the start's shows (first frame, highlight, centring) done
        assert prepared == []  # no direction yet: nothing drawn ahead at start
        first = tree.current_entry
        assert first is not None

        await pilot.press("down")  # a move, then a rest: the paper below is drawn ahead
        below = tree.get_node_at_line(tree.cursor_line + 1)
        assert below is not None and isinstance(below.data, Entry)
        assert await until(pilot, lambda: prepared != [])
        assert prepared == [below.data.key]

        # The same row shown again (a redraw, the highlight message): not drawn again.
        screen._show_current()
        await pilot.pause(0.1)
        assert prepared == [below.data.key]

        await pilot.press("down")  # onto the paper drawn ahead: shown as drawn
        assert tree.current_entry == below.data
        text = screen.detail.text
        assert text.content.plain.startswith(below.data.title + "\n")
        assert text.is_kept(text.content)
