"""Progress overall, per section and per week, from rows and read_at timestamps."""

from __future__ import annotations

import json
from datetime import date

from rlhf_reader.cli import main
from rlhf_reader.library.progress import bar, compute_stats, sparkline, week_start, weekly_reads
from rlhf_reader.lists.catalog import parse
from rlhf_reader.model import Annotation, Status

LIST = """# L
## A
- [One](https://arxiv.org/abs/2401.00001)
- [Two](https://arxiv.org/abs/2401.00002)
## B
- [One again](https://arxiv.org/abs/2401.00001)
- [Three](https://example.org/three)
"""


def read(key: str, when: str | None) -> Annotation:
    return Annotation(key=key, status=Status.READ, read_at=when)


def test_stats_count_each_key_once() -> None:
    annotations = {
        "2401.00001": read("2401.00001", "2026-11-20T10:00:00Z"),
        "example.org/three": Annotation(key="example.org/three", status=Status.READING),
        "gone.example/x": Annotation(key="gone.example/x", tags=("old",)),
    }
    stats = compute_stats(parse(LIST), annotations)
    assert stats["overall"] == {"total": 3, "read": 1, "reading": 1, "unread": 1}
    assert (stats["listed"], stats["duplicates"], stats["not_in_list"]) == (4, 1, 1)
    sections = {tuple(s["path"]): (s["total"], s["read"], s["reading"]) for s in stats["sections"]}
    assert sections == {("A",): (2, 1, 0), ("B",): (2, 1, 1)}


def test_weekly_reads_buckets_by_monday() -> None:
    today = date(2026, 11, 26)  # a Thursday
    annotations = [
        read("a", "2026-11-23T00:30:00Z"),  # this week's Monday
        read("b", "2026-11-26T23:59:59+00:00"),
        read("c", "2026-11-22T12:00:00Z"),  # the Sunday before
        read("d", "2025-01-01T00:00:00Z"),  # older than 26 weeks
        read("e", None),
        read("f", "not a date"),
        read("h", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC: OverflowError once
        read("i", "9999-12-31T23:59:59-14:00"),
        Annotation(key="g", status=Status.UNREAD, read_at="2026-11-24T00:00:00Z"),
    ]
    weeks = weekly_reads(annotations, weeks=26, today=today)
    assert len(weeks) == 26
    assert weeks[-1] == (date(2026, 11, 23), 2)
    assert weeks[-2] == (date(2026, 11, 16), 1)
    assert weeks[0][0] == date(2026, 6, 1)  # 25 weeks before
    assert sum(count for _, count in weeks) == 3
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)


def test_sparkline_and_bar() -> None:
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([0, 1, 4]) == "▁▃█"
    assert bar(0.5, 10) == "█████░░░░░"
    assert bar(2.0, 4) == "████"


def test_stats_weeks_in_cli(db_path, capsys) -> None:
    assert main(["--db", str(db_path), "mark", "2305.18290", "2402.01306", "read"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "stats", "--json", "--weeks", "3"]) == 0
    weeks = json.loads(capsys.readouterr().out)["weeks"]
    assert [w["read"] for w in weeks] == [0, 0, 2]
    assert main(["--db", str(db_path), "stats", "--weeks"]) == 0
    out = capsys.readouterr().out
    assert "read per week, last 26 weeks: " + "▁" * 25 + "█  (total 2, best 2)" in out
    assert out.rstrip().endswith("2  ██")
    try:
        main(["--db", str(db_path), "stats", "--weeks", "0"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "expected a number of weeks from 1 to 520, not '0'" in capsys.readouterr().err
