"""Progress overall, per section and per week, from rows and read_at timestamps."""

from __future__ import annotations

from datetime import date

from rlhf_reader.catalog import parse
from rlhf_reader.model import Annotation, Status
from rlhf_reader.progress import bar, by_section, progress, sparkline, week_start, weekly_reads
from rlhf_reader.records import rows

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


def test_progress_counts_distinct_keys_and_sections() -> None:
    annotations = {
        "2401.00001": read("2401.00001", "2026-11-20T10:00:00Z"),
        "example.org/three": Annotation(key="example.org/three", status=Status.READING),
    }
    all_rows = rows(parse(LIST), annotations, {})
    overall = progress(all_rows)
    assert overall.to_dict() == {"total": 3, "read": 1, "reading": 1, "unread": 1}
    sections = {path: p.to_dict() for path, p in by_section(all_rows)}
    assert sections == {
        ("A",): {"total": 2, "read": 1, "reading": 0, "unread": 1},
        ("B",): {"total": 2, "read": 1, "reading": 1, "unread": 0},
    }
    assert round(overall.fraction, 3) == 0.333


def test_weekly_reads_buckets_by_monday() -> None:
    today = date(2026, 11, 26)  # a Thursday
    annotations = [
        read("a", "2026-11-23T00:30:00Z"),  # this week's Monday
        read("b", "2026-11-26T23:59:59+00:00"),
        read("c", "2026-11-22T12:00:00Z"),  # the Sunday before
        read("d", "2025-01-01T00:00:00Z"),  # older than 26 weeks
        read("e", None),
        read("f", "not a date"),
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
