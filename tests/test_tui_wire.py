"""Pilot tests for what the parser gives the TUI: descriptions and labelled links in the detail
pane, a warning for skipped parts of the list, and CSL styles in the ``C`` chooser."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static
from tui_helpers import DPO, SURVEY, build_app, until, write_list

from rlhf_reader.formats import csl
from rlhf_reader.tui.screens.copying import FormatChooser

SIZE = (120, 36)

LINKED_LIST = (
    (
        "# Tools list\n\n## Methods\n\n"
        "- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)"
        " - Trains the [policy] on [bold]preferences[/bold] directly.\n"
    )
    + """\
  - [code](https://github.com/eric-mitchell/direct-preference-optimization) | [tweet](https://twitter.com/archit/status/1)
- [TRL](https://github.com/huggingface/trl) - A library for [@click=app.quit]RLHF[/] training.
"""
)


def detail_text(app) -> str:
    return app.main_screen.query_one("#detail-text", Static).content.plain


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def nested(levels: int) -> str:
    # As in tests/test_catalog_limits.py: entries under a bullet nested ``levels`` deep.
    text = "# L\n\n## A\n\n"
    for depth in range(levels):
        text += "  " * depth + f"- level {depth}\n"
    text += (
        "  " * levels + "- [Deep](https://a.example/deep)\n\n- [After](https://a.example/after)\n"
    )
    return text + "\n## B\n\n- [Later](https://a.example/later)\n"


# the detail pane -----------------------------------------------------------------------------


async def test_detail_shows_the_description_and_the_labelled_links(
    tmp_path: Path, db_path: Path
) -> None:
    app = build_app(write_list(tmp_path, LINKED_LIST), db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = detail_text(app)
        assert text.startswith("Direct Preference Optimization\n")
        # Literally: the square brackets of the list are text, not markup.
        assert "\nTrains the [policy] on [bold]preferences[/bold] directly.\n" in text
        lines = text.splitlines()
        code = "Links    code  https://github.com/eric-mitchell/direct-preference-optimization"
        assert code in lines
        assert " " * 9 + "tweet  https://twitter.com/archit/status/1" in lines
        assert lines.index(code) + 1 == lines.index(
            " " * 9 + "tweet  https://twitter.com/archit/status/1"
        )
        await pilot.press("j")
        text = detail_text(app)
        assert text.startswith("TRL\n")
        assert "\nA library for [@click=app.quit]RLHF[/] training.\n" in text
        assert "Links" not in text  # no further links on this one
        assert app.is_running


# skipped parts of the list -------------------------------------------------------------------


async def test_a_list_nested_too_deep_warns_once(tmp_path: Path, db_path: Path) -> None:
    path = write_list(tmp_path, nested(65))
    app = build_app(path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        warned = [n for n in app._notifications if "could not be read" in str(n.message)]
        (note,) = warned
        assert note.severity == "warning" and note.markup is False
        assert str(path) in note.message
        (skipped,) = app.workspace.list_catalog.skipped
        assert skipped.endswith("deep; skipped")
        assert skipped in note.message
        await pilot.press("j")  # later frames say nothing more
        await pilot.pause()
        assert len([m for m in messages(app) if "could not be read" in m]) == 1
        # The rest of the list is read and shown.
        assert [e.title for e in app.workspace.list_catalog.entries] == ["After", "Later"]


async def test_a_list_read_whole_warns_nothing(tmp_path: Path, db_path: Path) -> None:
    app = build_app(write_list(tmp_path, nested(12)), db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert not [m for m in messages(app) if "could not be read" in m]


# the C chooser -------------------------------------------------------------------------------


async def test_C_offers_the_csl_styles_after_the_formats(tmp_path: Path, db_path: Path) -> None:
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        assert isinstance(app.screen, FormatChooser)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == [choice.id for choice in csl.choices()]
        assert ids[:4] == ["bibtex", "apa", "markdown", "plain"]
        assert "csl:ieee" in ids[4:]
        await pilot.press("escape")


async def test_C_copies_dpo_in_ieee(tmp_path: Path, db_path: Path, no_real_clipboard) -> None:
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("j")
        assert app.main_screen.catalog_tree.current_entry.key == DPO
        await pilot.press("C")
        ieee = [c.id for c in csl.choices()].index("csl:ieee")
        options = app.screen.query_one(OptionList)
        options.highlighted = ieee
        await pilot.press("enter")
        expected = csl.cite_as([app.main_screen.reading.row(DPO)], "csl:ieee")
        assert await until(pilot, lambda: app.clipboard == expected)
        assert expected.startswith("[1] R. Rafailov")
        assert "Direct Preference Optimization" in expected
        assert await until(pilot, lambda: no_real_clipboard == [expected])
        assert any("Copied the IEEE citation" in m for m in messages(app))
        # A digit picks one of the first nine; the built-in formats are still there.
        await pilot.press("k", "C", str(ieee + 1))
        survey = csl.cite_as([app.main_screen.reading.row(SURVEY)], "csl:ieee")
        assert await until(pilot, lambda: app.clipboard == survey)


async def test_C_with_a_style_that_cannot_be_read_says_so(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(csl.STYLES, "broken", ("no-such-style-anywhere", "Broken [b]style[/b]"))
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("C")
        options = app.screen.query_one(OptionList)
        options.highlighted = [c.id for c in csl.choices()].index("csl:broken")
        await pilot.press("enter")
        assert await until(pilot, lambda: any("No Broken" in m for m in messages(app)))
        (note,) = [n for n in app._notifications if "No Broken" in str(n.message)]
        assert note.severity == "error" and note.markup is False
        assert "Broken [b]style[/b]" in note.message and "no such CSL style" in note.message
        assert app.clipboard == ""
        assert app.is_running
