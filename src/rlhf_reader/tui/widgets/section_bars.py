"""The progress dashboard's bars: read, reading and unread cells of a count, and a line per
section (its title, indented by depth, a bar, ``read/total``).

``SectionBars`` draws only the lines on screen (Textual's line API: ``render_line``), so a
list of a thousand sections opens as fast as one of ten; a Rich table of every section was
laid out and drawn whole on each refresh (two seconds at 1,100 sections). The columns are
those of a Rich ``Table.grid(padding=(0, 1), expand=True)``: the title takes what the bar
and the widest count leave, cut with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import StyleType
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from rlhf_reader.tui.literal import literal

BAR = 30
"""Cells in a bar."""
GAP = " "
"""Between two columns (a grid's padding of one cell, collapsed between neighbours)."""


@dataclass(frozen=True)
class Colours:
    """The Rich styles of read, reading and unread (the dashboard takes them from the theme)."""

    read: StyleType = ""
    reading: StyleType = ""
    unread: StyleType = ""


PLAIN = Colours()
"""No colours (the terminal's own)."""


def stacked_bar(
    read: int, reading: int, total: int, width: int = BAR, colours: Colours = PLAIN
) -> Text:
    """Read, reading and unread cells of one bar (█ █ ░, coloured as the theme says)."""
    if total <= 0:
        return Text("─" * width, style=colours.unread, end="")
    done = round(width * read / total)
    busy = min(round(width * reading / total), width - done)
    bar = Text("█" * done, style=colours.read, end="")
    bar.append("█" * busy, style=colours.reading)
    bar.append("░" * (width - done - busy), style=colours.unread)
    return bar


def counts_text(read: int, reading: int, total: int, colours: Colours = PLAIN) -> Text:
    """``read/total``, then `` (N reading)`` when some are being read."""
    text = Text(f"{read}/{total}", end="")
    if reading:
        text.append(f" ({reading} reading)", style=colours.reading)
    return text


def section_title(section: Mapping[str, Any]) -> Text:
    """The section's title, indented two cells per level below the top, top ones bold."""
    depth = len(section["path"]) - 1
    return literal("  " * depth + section["title"], "" if depth else "bold")


def section_line(
    section: Mapping[str, Any], width: int, counts_width: int, colours: Colours = PLAIN
) -> Text:
    """One section's line, ``width`` cells: title (cut to fit), bar, counts (right-aligned in
    a column ``counts_width`` wide)."""
    title = section_title(section)
    title.truncate(max(width - BAR - counts_width - 2 * len(GAP), 0), overflow="ellipsis", pad=True)
    counts = counts_text(section["read"], section["reading"], section["total"], colours)
    line = Text(end="")
    line.append_text(title)
    line.append(GAP)
    line.append_text(
        stacked_bar(section["read"], section["reading"], section["total"], BAR, colours)
    )
    line.append(GAP + " " * (counts_width - counts.cell_len))
    line.append_text(counts)
    return line


class SectionBars(Widget):
    """A line per section of a ``compute_stats`` result; only the lines shown are drawn."""

    DEFAULT_CSS = "SectionBars { height: auto; }"

    def __init__(
        self,
        sections: Sequence[Mapping[str, Any]],
        *,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.sections = sections
        self.colours = PLAIN
        self.counts_width = max(
            (counts_text(s["read"], s["reading"], s["total"]).cell_len for s in sections),
            default=0,
        )

    def use_colours(self, colours: Colours) -> None:
        """Draw with ``colours`` from now on (the theme changed)."""
        self.colours = colours
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.sections)

    def line_text(self, y: int) -> Text:
        """Line ``y`` as text, as wide as the widget."""
        return section_line(self.sections[y], self.size.width, self.counts_width, self.colours)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if not 0 <= y < len(self.sections):
            return Strip.blank(width, style)
        line = self.line_text(y)
        segments = Segment.apply_style(line.render(self.app.console), style)
        return Strip(segments).crop_extend(0, width, style)
