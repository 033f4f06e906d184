"""The progress dashboard at scale: ``p`` counts in a thread, the section bars draw only the
lines on screen and look as the Rich table they replace looked; and no worker is described
by ``repr`` of its work (a reading list's repr takes seconds at 100,000 rows)."""

from __future__ import annotations

import ast
import io
import threading
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual.widgets import Static
from tui_helpers import build_app, until

import rlhf_reader
from rlhf_reader.tui.screens import dashboard
from rlhf_reader.tui.screens.dashboard import Dashboard
from rlhf_reader.tui.widgets.section_bars import (
    BAR,
    Colours,
    SectionBars,
    counts_text,
    section_line,
    section_title,
    stacked_bar,
)

SECTIONS = [
    {"title": "Papers", "path": ["Papers"], "read": 4, "reading": 1, "total": 84},
    {"title": "Review/Survey", "path": ["Papers", "Review"], "read": 4, "reading": 1, "total": 6},
    {
        "title": "A very long section title that cannot fit beside its bar at all, not nearly",
        "path": ["Papers", "Long"],
        "read": 0,
        "reading": 0,
        "total": 1068,
    },
    {"title": "[bold]Not markup[/] 日本語の節", "path": ["x", "y", "z"],
     "read": 1, "reading": 0, "total": 2},
    {"title": "Empty", "path": ["Empty"], "read": 0, "reading": 0, "total": 0},
]  # fmt: skip


def table_lines(width: int, colours: Colours) -> list[str]:
    """The sections as the dashboard drew them before: a Rich grid of every section (its
    titles then wrapped onto more lines when too long: now they are cut, one line each)."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    for s in SECTIONS:
        title = section_title(s)
        title.no_wrap = True
        table.add_row(
            title,
            stacked_bar(s["read"], s["reading"], s["total"], BAR, colours),
            counts_text(s["read"], s["reading"], s["total"], colours),
        )
    console = Console(width=width, record=True, file=io.StringIO(), color_system="truecolor")
    console.print(table)
    return console.export_text(styles=True).splitlines()


def test_a_section_line_is_the_grid_row_it_replaces() -> None:
    colours = Colours(read="green", reading="bold yellow", unread="dim")
    widest = max(counts_text(s["read"], s["reading"], s["total"]).cell_len for s in SECTIONS)
    for width in (60, 80, 120, 150):
        console = Console(width=width, record=True, file=io.StringIO(), color_system="truecolor")
        for s in SECTIONS:
            line = section_line(s, width, widest, colours)
            assert line.cell_len == width
            console.print(line)
        assert console.export_text(styles=True).splitlines() == table_lines(width, colours)


def test_a_title_is_literal_and_cut_with_an_ellipsis() -> None:
    line = section_line(SECTIONS[3], 100, 20)
    assert line.plain.startswith("    [bold]Not markup[/] 日本語の節")
    long = section_line(SECTIONS[2], 100, 20).plain
    assert "…" in long and long.endswith("0/1068") and len(long) == 100
    assert isinstance(section_title(SECTIONS[0]), Text)


def many_sections(n: int) -> str:
    parts = ["# Big list", ""]
    for i in range(n):
        parts += [f"## Section {i:04d}", "", f"- [Paper {i}](https://example.org/p/{i})", ""]
    return "\n".join(parts)


async def test_p_counts_in_a_thread_and_draws_only_the_lines_shown(
    tmp_path: Path, db_path: Path, monkeypatch
) -> None:
    threads: list[str] = []
    count = dashboard.compute_stats

    def counted(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return count(*args, **kwargs)

    monkeypatch.setattr(dashboard, "compute_stats", counted)
    drawn: list[int] = []
    line_text = SectionBars.line_text

    def drawing(self: SectionBars, y: int) -> Text:
        drawn.append(y)
        return line_text(self, y)

    monkeypatch.setattr(SectionBars, "line_text", drawing)
    big = tmp_path / "big.md"  # (list.md beside the library would be the bundled list's copy)
    big.write_text(many_sections(1500), encoding="utf-8")
    app = build_app(big, db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("p")
        assert await until(pilot, lambda: isinstance(app.screen, Dashboard))
        assert threads and threading.main_thread().name not in threads
        screen = app.screen
        bars = screen.query_one(SectionBars)
        assert len(bars.sections) == 1500 and bars.size.height == 1500
        await pilot.pause()
        assert drawn and len(set(drawn)) < 30  # the lines on screen, not 1,500
        drawn.clear()
        screen.query_one("#dashboard").scroll_end(animate=False)
        assert await until(pilot, lambda: 1499 in drawn)  # the last ones, when scrolled to
        assert len(set(drawn)) < 30
        assert bars.render_line(1499).text.rstrip().endswith("0/1")
        assert "Section 1499" in bars.render_line(1499).text
        # a list file the registry does not know: not among the lists counted, and said so
        assert await until(pilot, lambda: screen.lists is not None)
        console = Console(width=300, record=True, file=io.StringIO())
        console.print(screen.query_one("#lists", Static).content)
        assert f"Not counted here: the list shown ({big})" in console.export_text()
        assert "▸" not in console.export_text()
        await pilot.press("escape")
        assert not isinstance(app.screen, Dashboard)


def test_every_worker_is_described() -> None:
    """Textual names a worker without a description by ``repr(work)``: the repr of a partial
    holding the reading list's rows took 2.3 s on the UI thread at 100,000 rows."""
    src = Path(rlhf_reader.__file__).parent
    missing, seen = [], 0
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run_worker"
            ):
                seen += 1
                if "description" not in {k.arg for k in node.keywords}:
                    missing.append(f"{path.relative_to(src)}:{node.lineno}")
    assert seen > 10 and missing == []
