"""A note written in Markdown, in the detail pane (issue 17): drawn as text in the pane's
one ``LineText`` (no widget mounted, no layout when the cursor moves onto, off or between
such papers), every piece of it literal, its links clickable (http and https only), drawn
again at a new width."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from tui_helpers import CAI, DPO, INSTRUCT, SURVEY, app_with_notes, until

from rlhf_reader.tui.widgets.catalog_tree import CatalogTree

SIZE = (120, 36)
HOSTILE_NOTE = (
    "## Why it *matters*\n\n"
    "See [the paper](https://arxiv.org/abs/2203.02155) or [the mirror](ftp://example.org/x); "
    "`kl_coef` [@click=app.quit]quit[/] and [RLHF] <b>raw</b> \x1b[31mred &#27;\n\n"
    "- a first point\n"
    "- a second point, long enough to be wrapped at the pane's width at least once, "
    "and then again, so that its second line is indented under its first\n\n"
    "```\ncode [b]x[/b]\n```\n"
)
SECOND_NOTE = "# Second\n\n1. one\n2. two with `code`\n\n> a quote"
LONG_NOTE = "\n\n".join(f"## Part {n}\n\n- a point about part {n}" for n in range(200))
NOTES = {
    SURVEY: HOSTILE_NOTE,
    DPO: SECOND_NOTE,
    INSTRUCT: "A plain note, two sentences.",
    CAI: LONG_NOTE,
}


def rows(static: Static) -> list[str]:
    """The rows the pane's text shows, as drawn."""
    return [static.render_line(y).text for y in range(static.size.height)]


async def test_markdown_notes_are_text_in_the_pane_literal_and_moves_lay_nothing_out(
    tmp_path: Path, db_path: Path, no_real_browser: list[str]
) -> None:
    app = app_with_notes(tmp_path, db_path, NOTES)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.main_screen
        tree = screen.query_one(CatalogTree)
        static = screen.query_one("#detail-text", Static)
        tree.focus()
        assert tree.select_key(CAI) and tree.select_key(SURVEY)
        await pilot.pause()
        assert tree.current_entry is not None and tree.current_entry.key == SURVEY
        text = static.content.plain
        note = text[text.index("\nNote\n") + 6 :]
        assert note.startswith("Why it matters\n\nSee the paper or the mirror; kl_coef")
        # Literal: markup, brackets and HTML as written, the escape made visible, no "#".
        assert "[@click=app.quit]quit[/] and [RLHF] <b>raw</b>" in note.replace("\n", " ")
        assert "code [b]x[/b]" in note
        assert "\x1b" not in text and "#" not in note
        assert not screen.query("Markdown")  # no widget per block
        # The list item's second line under its first, every line within the pane.
        width = static.size.width
        shown = rows(static)
        assert all(len(row.rstrip()) <= width for row in shown)
        first = next(n for n, row in enumerate(shown) if row.startswith("• a second point"))
        assert shown[first + 1].startswith("  ") and shown[first + 1].strip()

        # Moves onto, between and off Markdown notes: no layout of the screen.
        layouts: list[object] = []
        screen.screen_layout_refresh_signal.subscribe(screen, layouts.append)
        seen = []
        for key in ("down", "down", "down", "up", "up", "up", "down", "down", "down", "down"):
            await pilot.press(key)
            await pilot.pause()
            entry = tree.current_entry
            seen.append(None if entry is None else entry.key)
            title = entry.title if entry is not None else tree.cursor_node.data.title
            assert static.content.plain.startswith(title + "\n")
        assert {SURVEY, DPO, INSTRUCT} <= set(seen) and None in seen
        assert layouts == []
        assert tree.select_key(DPO)
        await pilot.pause()
        second = static.content.plain
        assert second.endswith("\nNote\nSecond\n\n1. one\n2. two with code\n\n▌ a quote")

        # The cursor rests after a move up: the paper above is drawn ahead, and shown as drawn.
        assert tree.select_key(CAI)
        await pilot.press("up")
        assert tree.current_entry is not None and tree.current_entry.key == DPO
        above = tree.get_node_at_line(tree.cursor_line - 1).data
        assert above.key == INSTRUCT

        def drawn_ahead() -> bool:
            kept = [t for t in static._kept if t[0].startswith(above.title + "\n")]
            return bool(kept)

        assert await until(pilot, drawn_ahead)
        await pilot.press("up")
        assert static.content.plain.startswith(above.title + "\n")
        assert static.is_kept(static.content)

        # Links: the one clicked opens if it is http(s); markup in the note runs nothing.
        assert tree.select_key(SURVEY)
        await pilot.pause()
        shown = rows(static)
        line = next(n for n, row in enumerate(shown) if "See the paper" in row)
        await pilot.click("#detail-text", offset=(shown[line].index("the paper") + 2, line))
        await pilot.pause()
        assert no_real_browser == ["https://arxiv.org/abs/2203.02155"]
        await pilot.click("#detail-text", offset=(shown[line].index("the mirror") + 2, line))
        await pilot.pause()
        assert no_real_browser == ["https://arxiv.org/abs/2203.02155"]
        assert "Not opened" in [n.message for n in app._notifications][-1]
        await pilot.click("#detail-text", offset=(shown[line].index("quit[/]"), line))
        await pilot.pause()
        assert app.is_running and app.return_code is None

        # A long note: its source at once, then drawn by a thread (the UI never waits).
        assert tree.select_key(CAI)
        await pilot.pause()
        assert "## Part 0" in static.content.plain or "\nPart 0\n" in static.content.plain
        assert await until(
            pilot, lambda: "\nNote\nPart 0\n\n• a point about part 0\n" in static.content.plain
        )
        assert "## " not in static.content.plain and static.content.plain.endswith("part 199")
        assert tree.select_key(SURVEY)
        await pilot.pause()

        # Another width (80 columns: the pane goes below the tree, wider): drawn again.
        await pilot.resize_terminal(80, 36)
        await pilot.pause()
        await pilot.pause()
        assert static.size.width > width
        wider = rows(static)
        assert all(len(row.rstrip()) <= static.size.width for row in wider)
        assert any(len(row.rstrip()) > width for row in wider if row.startswith("• a second"))
        assert "[@click=app.quit]quit[/]" in static.content.plain.replace("\n", " ")


def test_a_note_nested_deeper_than_the_pane_is_wide_is_still_drawn() -> None:
    from rlhf_reader.tui.widgets.notemarkdown import note_content

    nested = "".join("  " * n + f"- level {n} verylongwordwithoutspaces\n" for n in range(12))
    source = f"> > > {nested}\n\n```\n{'x' * 50}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n\n---"
    for width in (1, 3, 8, 20, 60):
        drawn = note_content(source, width)
        assert "level 11" in drawn.plain  # folded when narrow, never lost
        assert "x" * 8 in drawn.plain and "│" in drawn.plain
