"""How far through the list a reader is: overall, per section, and papers read per week.

Pure: computed from rows and ``read_at`` timestamps; used by ``stats`` and the dashboard.
An entry listed twice counts once overall and once in each section that lists it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from rlhf_reader.model import Annotation, Status
from rlhf_reader.records import Row

BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class Progress:
    total: int = 0
    read: int = 0
    reading: int = 0

    @property
    def unread(self) -> int:
        return self.total - self.read - self.reading

    @property
    def fraction(self) -> float:
        return self.read / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "read": self.read,
            "reading": self.reading,
            "unread": self.unread,
        }


def progress(rows: Iterable[Row]) -> Progress:
    """Progress over distinct keys."""
    statuses = {row.key: row.annotation.status for row in rows}
    return _count(statuses.values())


def by_section(rows: Iterable[Row]) -> list[tuple[tuple[str, ...], Progress]]:
    """Progress of each section that holds entries, in list order."""
    sections: dict[tuple[str, ...], dict[str, Status]] = {}
    for row in rows:
        sections.setdefault(row.entry.section, {})[row.key] = row.annotation.status
    return [(path, _count(statuses.values())) for path, statuses in sections.items()]


def _count(statuses: Iterable[Status]) -> Progress:
    total = read = reading = 0
    for status in statuses:
        total += 1
        read += status is Status.READ
        reading += status is Status.READING
    return Progress(total=total, read=read, reading=reading)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def weekly_reads(
    annotations: Iterable[Annotation], weeks: int = 26, today: date | None = None
) -> list[tuple[date, int]]:
    """Papers marked read in each of the last ``weeks`` weeks (Monday-based), oldest first."""
    today = today or datetime.now(timezone.utc).date()
    first = week_start(today) - timedelta(weeks=weeks - 1)
    counts = {first + timedelta(weeks=i): 0 for i in range(weeks)}
    for ann in annotations:
        if ann.status is not Status.READ or not ann.read_at:
            continue
        when = _parse_day(ann.read_at)
        if when is None:
            continue
        monday = week_start(when)
        if monday in counts:
            counts[monday] += 1
    return list(counts.items())


def _parse_day(stamp: str) -> date | None:
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return parsed.date()


def sparkline(values: list[int]) -> str:
    """``[0, 1, 4]`` → ``▁▂█``: one bar per value, scaled to the largest."""
    top = max(values, default=0)
    if top == 0:
        return BARS[0] * len(values)
    return "".join(BARS[0 if v == 0 else max(1, round(v / top * (len(BARS) - 1)))] for v in values)


def bar(fraction: float, width: int) -> str:
    """A text progress bar of ``width`` cells."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)
