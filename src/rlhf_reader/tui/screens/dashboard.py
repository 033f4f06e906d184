"""The progress dashboard (``p``): overall, a bar per section, papers read per week."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Sparkline, Static

from rlhf_reader.library.progress import compute_stats, weekly_reads
from rlhf_reader.tui.literal import literal
from rlhf_reader.tui.state import ReadingList

WEEKS = 26
BAR = 30


def stacked_bar(read: int, reading: int, total: int, width: int = BAR) -> Text:
    """Read (green), reading (yellow) and unread (grey) cells of one bar."""
    if total <= 0:
        return Text("─" * width, style="bright_black", end="")
    done = round(width * read / total)
    busy = min(round(width * reading / total), width - done)
    bar = Text("█" * done, style="green", end="")
    bar.append("█" * busy, style="yellow")
    bar.append("░" * (width - done - busy), style="bright_black")
    return bar


def section_table(sections: list[dict[str, Any]]) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    for section in sections:
        indent = "  " * (len(section["path"]) - 1)
        label = literal(indent + section["title"], "bold" if len(section["path"]) == 1 else "")
        counts = Text(f"{section['read']}/{section['total']}", end="")
        if section["reading"]:
            counts.append(f" ({section['reading']} reading)", style="yellow")
        table.add_row(
            label,
            stacked_bar(section["read"], section["reading"], section["total"]),
            counts,
        )
    return table


def weeks_caption(weeks: list[tuple[date, int]]) -> Text:
    total = sum(count for _, count in weeks)
    best = max((count for _, count in weeks), default=0)
    first = weeks[0][0].isoformat() if weeks else ""
    text = Text(f"{total} read in the last {len(weeks)} weeks", style="bold", end="")
    text.append(f"  (since {first}; best week {best}; this week {weeks[-1][1] if weeks else 0})")
    return text


class Dashboard(Screen[None]):
    DEFAULT_CSS = """
    Dashboard > VerticalScroll { padding: 0 2; }
    Dashboard .heading { margin-top: 1; text-style: bold underline; }
    Dashboard #overall-bar { width: 100%; }
    Dashboard #overall-bar Bar { width: 1fr; }
    Dashboard Sparkline { height: 4; margin: 1 0 0 0; }
    Dashboard #legend { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,p", "close", "Close", id="dialog.close"),
    ]

    def __init__(self, reading: ReadingList, today: date | None = None) -> None:
        super().__init__()
        annotations = {key: row.annotation for key, row in reading.rows.items()}
        self.stats = compute_stats(reading.catalog, annotations)
        self.weeks = weekly_reads(annotations.values(), WEEKS, today)
        self.list_title = reading.catalog.title

    def compose(self) -> ComposeResult:
        overall = self.stats["overall"]
        with VerticalScroll(id="dashboard"):
            yield Static(literal("Progress · " + self.list_title, "bold"), classes="heading")
            summary = Text(f"{overall['read']} of {overall['total']} read", style="bold", end="")
            summary.append(f" · {overall['reading']} reading · {overall['unread']} unread")
            yield Static(summary, id="overall-text", markup=False)
            bar = ProgressBar(total=max(overall["total"], 1), show_eta=False, id="overall-bar")
            bar.progress = overall["read"]
            yield bar
            yield Static(Text("Papers read per week"), classes="heading", markup=False)
            yield Sparkline([count for _, count in self.weeks], id="weekly")
            yield Static(weeks_caption(self.weeks), id="weekly-caption", markup=False)
            yield Static(Text("By section"), classes="heading", markup=False)
            legend = Text("█ read  ", style="green", end="")
            legend.append("█ reading  ", style="yellow")
            legend.append("░ unread", style="bright_black")
            yield Static(legend, id="legend", markup=False)
            yield Static(section_table(self.stats["sections"]), id="sections", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#dashboard").focus()

    def action_close(self) -> None:
        self.dismiss(None)
