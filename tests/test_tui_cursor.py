"""The detail pane after fast cursor moves (issue 17): whatever the keys' pace, once the
cursor stops the pane shows the paper under it, its note as plain text or drawn from its
Markdown, and its text's box has the size a fresh layout would give it (the pane skips
layouts when the size cannot change)."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.content import Content
from textual.widgets import Static
from tui_helpers import (
    BLOG,
    CAI,
    DPO,
    INSTRUCT,
    SURVEY,
    app_with_notes,
    until,
)

from rlhf_reader.model import Section
from rlhf_reader.tui.widgets.catalog_tree import CatalogTree

SIZE = (120, 36)
PLAIN = "Reward hacking shows up\nafter 2k steps.\n\nWorth a second read."
MARKDOWN = "# Key idea\n**bold** claim"
LONG = "\n\n".join(f"Paragraph {n} of a long plain note about the method." for n in range(30))
LONGER = LONG + "\n\nAnd ten more paragraphs.\n\n" + LONG[:400]
# Rows: Papers, Surveys, SURVEY, DPO, Methods, INSTRUCT, DPO, CAI, Blogs, the blog (no note):
# two papers taller than the pane side by side (DPO, CAI), and each kind of note.
NOTES = {SURVEY: MARKDOWN, DPO: LONGER, INSTRUCT: PLAIN, CAI: LONG}


def check_pane(app) -> None:  # type: ignore[no-untyped-def]
    """The pane shows what is under the cursor, laid out as a fresh layout would."""
    screen = app.main_screen
    tree = screen.query_one(CatalogTree)
    pane = screen.detail
    static = pane.query_one("#detail-text", Static)
    text = static.content.plain
    assert not pane.query("Markdown")  # the note is part of the pane's one text
    entry = tree.current_entry
    if entry is None:
        node = tree.cursor_node
        assert node is not None and isinstance(node.data, Section)
        assert text.startswith(node.data.title + "\n")
    else:
        assert text.startswith(entry.title + "\n"), (entry.key, text[:80])
        note = NOTES.get(entry.key, "")
        if note == MARKDOWN:  # drawn from its Markdown: no "#", no "**", the styles
            assert text.endswith("\nNote\nKey idea\n\nbold claim")
            assert styled(static.content, "Key idea", "bold")
            assert styled(static.content, "bold claim", "bold", length=4)
        elif note:
            shown = "Reward hacking shows up after 2k steps.\n\nWorth a second read."
            expected = shown if note == PLAIN else note
            assert text.endswith("\nNote\n" + expected)
        else:
            assert "\nNote" not in text
    # The box: as tall as its text, and at least the pane's height when nothing is below it.
    height = static.get_content_height(pane.size, app.size, static.size.width)
    viewport = pane.scrollable_content_region.height
    assert static.size.height == max(height, viewport)
    assert pane.max_scroll_y == max(0, height - viewport)


def styled(text: Content, words: str, style: str, length: int | None = None) -> bool:
    """Whether the first ``length`` characters of ``words`` in ``text`` have a span whose
    style names ``style``."""
    start = text.plain.rindex(words)
    end = start + (len(words) if length is None else length)
    return any(
        span.start <= start and end <= span.end and style in str(span.style).split()
        for span in text.spans
    )


async def settle(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """The keys handled and a frame drawn."""
    for _ in range(3):
        await pilot.pause()


async def test_fast_moves_leave_the_pane_on_the_paper_under_the_cursor(
    tmp_path: Path, db_path: Path
) -> None:
    app = app_with_notes(tmp_path, db_path, NOTES)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.query_one(CatalogTree)
        tree.focus()
        assert tree.select_key(CAI) and tree.select_key(BLOG)  # every section open
        await pilot.press("home")
        await settle(pilot, app)
        last = tree.last_line
        for line in range(last + 1):  # every row, one key at a time
            assert tree.cursor_line == line
            check_pane(app)
            await pilot.press("down")
            await settle(pilot, app)
        keys_seen = set()
        # Bursts: keys posted at once, as a held key sends them; the pane settles on the last.
        for keys in (["up"] * 4, ["down"] * 3, ["up"] * 2, ["down"] * 5, ["up"] * 9):
            target = max(0, min(last, tree.cursor_line + keys.count("down") - keys.count("up")))
            for key in keys:
                app.post_message(events.Key(key, None))
            assert await until(pilot, lambda target=target: tree.cursor_line == target)
            await settle(pilot, app)
            check_pane(app)
            if tree.current_entry is not None:
                keys_seen.add(tree.current_entry.key)
        # Through the long notes and back: the box grows to its text, then is the pane again.
        assert tree.select_key(CAI)
        await settle(pilot, app)
        check_pane(app)
        assert 0 < app.main_screen.detail.max_scroll_y
        for key in ("up", "down", "down", "up", "up", "up"):
            app.post_message(events.Key(key, None))
        await settle(pilot, app)
        check_pane(app)
        assert tree.current_entry is not None and tree.current_entry.key == INSTRUCT
        assert keys_seen  # the bursts stopped on papers as well as on sections
