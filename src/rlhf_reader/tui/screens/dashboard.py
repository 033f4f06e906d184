"""The progress dashboard (``p``): overall, a bar per registered list, papers read per
week, a bar per section.

Nothing is counted on the UI thread: ``p`` counts the list shown (``count_progress``, the one
rule of ``library.progress``) in a thread worker and the screen opens with the result
(``messages.ProgressCounted``); then each registered list's progress is counted in another
(a list not read yet is parsed first, ``lists.views.progress_by_list``). The sections are
drawn by ``SectionBars``, only the lines on screen."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import ProgressBar, Sparkline, Static

from rlhf_reader.library.progress import Counts, compute_stats, weekly_reads
from rlhf_reader.lists.views import ALL_LISTS
from rlhf_reader.tui import messages
from rlhf_reader.tui.literal import literal
from rlhf_reader.tui.theme import component_style
from rlhf_reader.tui.widgets.key_footer import KeyFooter
from rlhf_reader.tui.widgets.section_bars import (
    BAR,
    PLAIN,
    Colours,
    SectionBars,
    counts_text,
    stacked_bar,
)

if TYPE_CHECKING:
    from textual.message import Message

    from rlhf_reader.library.records import Row
    from rlhf_reader.lists.views import ListProgress
    from rlhf_reader.model import Catalog
    from rlhf_reader.workspace import Workspace

WEEKS = 26


@dataclass(frozen=True)
class Progress:
    """What the dashboard shows of the list on screen: ``compute_stats``'s counts (overall,
    per section) and the papers read in each of the last ``WEEKS`` weeks."""

    title: str
    stats: dict[str, Any]
    weeks: list[tuple[date, int]]


def count_progress(
    post: Callable[[Message], object],
    catalog: Catalog,
    rows: Mapping[str, Row],
    today: date | None = None,
) -> None:
    """The thread side of ``p``: count ``catalog`` with the annotations of ``rows`` (a copy
    of the reading list's, taken on the UI thread) and post ``ProgressCounted``."""
    try:
        annotations = {key: row.annotation for key, row in rows.items()}
        stats = compute_stats(catalog, annotations)
        weeks = weekly_reads(annotations.values(), WEEKS, today)
    except Exception as exc:  # a bug: say so, never a traceback
        post(messages.ProgressCounted(None, f"{type(exc).__name__}: {exc}"))
        return
    post(messages.ProgressCounted(Progress(catalog.title, stats, weeks)))


def lists_table(
    lists: list[ListProgress],
    overall: Counts,
    current: str | None,
    colours: Colours = PLAIN,
    unregistered: str = "",
) -> Group:
    """A bar per registered list, then all of them together; the one shown now (``current``,
    a list name or ``ALL_LISTS``) marked ▸. Below, why a list cannot be read, if one can't,
    and that the list shown is not counted here when it is a file the registry does not
    know (``unregistered``: its path)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    rows = [(listed.name, listed.name, listed.counts) for listed in lists]
    rows.append((ALL_LISTS, f"{ALL_LISTS} (a paper counts once)", overall))
    for name, title, counts in rows:
        mark = "▸ " if name == current else "  "
        label = literal(mark + title, "bold" if name == current else "")
        if counts is None:
            table.add_row(label, Text("─" * BAR, style=colours.unread), Text("cannot read"))
            continue
        text = counts_text(counts.read, counts.reading, counts.total, colours)
        bar = stacked_bar(counts.read, counts.reading, counts.total, colours=colours)
        table.add_row(label, bar, text)
    notes = [literal(f"{p.name}: cannot read: {p.problem}") for p in lists if p.problem]
    if unregistered:
        notes.append(
            literal(
                f"Not counted here: the list shown ({unregistered}); "
                "rlhf-reader lists add NAME FILE follows it."
            )
        )
    return Group(table, *notes)


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
    Dashboard > .dashboard--read { color: $text-success; }
    Dashboard > .dashboard--reading { color: $text-warning; }
    Dashboard > .dashboard--unread { color: $foreground-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "dashboard--read",
        "dashboard--reading",
        "dashboard--unread",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,p", "close", "Close", id="dialog.close"),
    ]

    def __init__(self, progress: Progress, workspace: Workspace | None = None) -> None:
        super().__init__()
        self.stats = progress.stats
        self.weeks = progress.weeks
        self.list_title = progress.title
        self.workspace = workspace
        """Where the registered lists are read from (None: no "By list" part)."""
        self.lists: tuple[list[ListProgress], Counts] | None = None

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
            if self.workspace is not None:
                yield Static(Text("By list"), classes="heading", markup=False)
                yield Static(Text("Reading the lists…"), id="lists", markup=False)
            yield Static(Text("Papers read per week"), classes="heading", markup=False)
            yield Sparkline([count for _, count in self.weeks], id="weekly")
            yield Static(weeks_caption(self.weeks), id="weekly-caption", markup=False)
            yield Static(Text("By section"), classes="heading", markup=False)
            legend = Content.assemble(
                ("█ read  ", "$text-success"),
                ("█ reading  ", "$text-warning"),
                ("░ unread", "$foreground-muted"),
            )
            yield Static(legend, id="legend", markup=False)
            yield SectionBars(self.stats["sections"], id="sections")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._fill()
        if self.workspace is not None:
            from rlhf_reader.tui.screens.lists import count_lists

            work = partial(count_lists, self.post_message, self.workspace)
            self.run_worker(
                work, thread=True, group="count-lists", description="count", exit_on_error=False
            )
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill())
        self.query_one("#dashboard").focus()

    def _fill(self) -> None:
        """The section table, in the theme's colours (again when the theme changes)."""
        colours = Colours(
            *(component_style(self, f"dashboard--{name}") for name in ("read", "reading", "unread"))
        )
        self.query_one(SectionBars).use_colours(colours)
        if self.lists is not None and self.workspace is not None:
            from rlhf_reader.lists.views import AllLists

            workspace = self.workspace
            current = ALL_LISTS if isinstance(workspace, AllLists) else workspace.list_name
            path = workspace.list_path
            unregistered = str(path) if current is None and path is not None else ""
            shown = lists_table(*self.lists, current, colours, unregistered)
            self.query_one("#lists", Static).update(shown)

    @on(messages.ListsCounted)
    def _lists_counted(self, event: messages.ListsCounted) -> None:
        event.stop()
        if event.problem:
            shown = literal(f"Could not read the lists: {event.problem}")
            self.query_one("#lists", Static).update(shown)
            return
        self.lists = (event.lists, event.overall)
        self._fill()

    def action_close(self) -> None:
        self.dismiss(None)
