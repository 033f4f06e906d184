"""The footer (widgets/key_footer.py) and keys typed faster than the focus moves (typeahead)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input
from tui_helpers import build_app, until, write_list

from rlhf_reader.tui.actions import ACTIONS
from rlhf_reader.tui.screens.dashboard import Dashboard
from rlhf_reader.tui.screens.help import HelpScreen
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.widgets.key_footer import FooterItem, KeyFooter, fit


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def footer_line(footer: KeyFooter) -> str:
    """The footer's line as drawn on the screen."""
    return footer.render_line(0).text


def drawn_items(footer: KeyFooter) -> list[tuple[str, str]]:
    """``(key, label)`` pairs read back from the drawn line."""
    return re.findall(r" (\S+) ([^ ]+(?: [^ ^?]+)*) ", footer_line(footer).rstrip() + " ")


async def test_footer_shows_only_whole_keys_at_80_120_200_columns(
    list_path: Path, tmp_path: Path
) -> None:
    app = build_app(list_path, tmp_path / "library.json")
    shown_actions = [a for a in ACTIONS if a.show]
    async with app.run_test(size=(100, 24)) as pilot:
        footer = app.main_screen.query_one(KeyFooter)
        assert await until(pilot, lambda: footer.renders >= 1)
        for width in (80, 120, 200):
            before = footer.renders
            await pilot.resize_terminal(width, 24)
            assert await until(pilot, lambda w=width: footer.size.width == w)
            await pilot.pause()
            line = footer_line(footer)
            assert len(line) == width
            shown = footer.shown
            # Every key drawn is drawn whole, key and label, and nothing else is drawn.
            for item in shown:
                assert f" {item.display} {item.label} " in line, (width, item, line)
            drawn = "".join(f" {item.display} {item.label} " for item in shown)
            assert line.replace(" ", "") == drawn.replace(" ", ""), (width, line)
            labels = {item.label for item in shown}
            assert {"Quit", "Help", "palette"} <= labels, (width, line)
            if width == 200:  # room for every key the actions show
                assert {a.footer for a in shown_actions} <= labels
            else:
                assert len(labels) < len(shown_actions) + 1  # some left to ? and the palette
            assert footer.renders == before + 1  # one drawing per size change
        # The footer follows the focus: typing in the filter, the letter keys are the
        # input's; one drawing per change of bindings, none per keystroke.
        before = footer.renders
        await pilot.press("slash")
        assert await until(pilot, lambda: "Quit" not in footer_line(footer))
        assert "Filter" in footer_line(footer)
        await pilot.press(*"rlhf")
        await pilot.pause()
        assert footer.renders == before + 1
        await pilot.press("escape")
        assert await until(pilot, lambda: "Quit" in footer_line(footer))
        await pilot.pause()
        assert footer.renders == before + 2
        # A key remapped by id shows its new key.
        app.update_keymap({"edit.tags": "T"})
        await pilot.pause()
        assert ("T", "Tags") in drawn_items(footer)
        # A click on a key presses it.
        x = footer_line(footer).index(" ? Help ") + 2
        await pilot.click(KeyFooter, offset=(x, 0))
        assert await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        # Another screen's footer shows that screen's keys.
        await pilot.press("p")
        assert await until(pilot, lambda: isinstance(app.screen, Dashboard))
        dash_footer = app.screen.query_one(KeyFooter)
        assert await until(pilot, lambda: "Close" in footer_line(dash_footer))
        assert "Quit" not in footer_line(dash_footer)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


def test_fit_keeps_quit_and_help_first_and_skips_what_does_not_fit() -> None:
    items = [
        FooterItem("space", "space", "Read", True, False),  # 12 cells
        FooterItem("o", "o", "Open", True, False),  # 8
        FooterItem("q", "q", "Quit", True, True),  # 8
        FooterItem("question_mark", "?", "Help", True, True),  # 8
    ]
    palette = FooterItem("ctrl+p", "^p", "palette", True, False)  # 12
    assert fit(items, 28, palette) == [2, 3]  # quit and help before the others
    assert fit(items, 36, palette) == [1, 2, 3]  # "space Read" does not fit whole; "o" does
    assert fit(items, 48, palette) == [0, 1, 2, 3]
    assert fit(items, 5, palette) == []


async def test_keys_typed_in_one_burst_go_where_they_would_go_when_idle(
    list_path: Path, tmp_path: Path
) -> None:
    """``/reward`` typed before the filter bar is there: every letter lands in the input
    (it used to reach the tree, and ``e`` opened the export dialog)."""
    app = build_app(list_path, tmp_path / "library.json")
    async with app.run_test(size=(120, 36)) as pilot:
        # All keys queued at once, as a terminal delivers a fast burst (Pilot.press waits
        # for each key to be handled, which hides the race).
        for key, character in [("slash", "/"), *((c, c) for c in "reward")]:
            app.post_message(events.Key(key, character))

        def typed() -> str | None:
            found = app.main_screen.query("#filter-input")
            return found.first(Input).value if found else None

        assert await until(pilot, lambda: typed() == "reward")
        assert isinstance(app.screen, MainScreen)  # no export dialog
        assert isinstance(app.focused, Input)
        # A second burst while the bar is open but the tree has the focus: same.
        await pilot.press("enter")  # back to the tree, filter kept
        assert not isinstance(app.focused, Input)
        for key, character in [("slash", "/"), ("e", "e"), ("j", "j")]:
            app.post_message(events.Key(key, character))
        assert await until(pilot, lambda: typed() == "rewardej")
        assert isinstance(app.screen, MainScreen)
        # Keys that are not text still act on what is focused now: esc clears the filter.
        await pilot.press("escape")
        assert not app.main_screen.query_one("#filter-bar").display
