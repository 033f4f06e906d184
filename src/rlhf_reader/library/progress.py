"""How far through the list a reader is: overall, per section, and papers read per week.

Pure: computed from the catalog, annotations and ``read_at`` timestamps; used by ``stats``,
the progress dashboard, the tree, the header and the exports' summaries.

One rule everywhere: a key counts once. A paper listed twice, or in two sections, is one
paper; a section's count holds the distinct keys of its entries and its sub-sections'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import chain
from typing import Any

from rlhf_reader.model import Annotation, Catalog, Section, Status

BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Counts:
    """How many distinct papers are read, being read and unread."""

    read: int = 0
    reading: int = 0
    unread: int = 0

    @property
    def total(self) -> int:
        return self.read + self.reading + self.unread

    def as_dict(self) -> dict[str, int]:
        """``{"total", "read", "reading", "unread"}``, as ``stats --json`` writes it."""
        return {"total": self.total} | asdict(self)


def count(keys: Iterable[str], annotations: Mapping[str, Annotation]) -> Counts:
    """The counts of ``keys``, each key once (keys without an annotation are unread)."""
    # By identity, not a dict of Status: an Enum hashes in Python, and at 100,000 keys the
    # hashing was most of the time.
    distinct = set(keys)
    read = reading = 0
    get = annotations.get
    for key in distinct:
        ann = get(key)
        if ann is None:
            continue
        status = ann.status
        if status is Status.READ:
            read += 1
        elif status is Status.READING:
            reading += 1
    return Counts(read, reading, len(distinct) - read - reading)


def _tally(keys: set[str], read: frozenset[str], reading: frozenset[str]) -> dict[str, int]:
    """``Counts.as_dict`` of distinct ``keys`` by set intersections (C loops)."""
    n_read, n_reading = len(keys & read), len(keys & reading)
    return {
        "total": len(keys),
        "read": n_read,
        "reading": n_reading,
        "unread": len(keys) - n_read - n_reading,
    }


@dataclass(frozen=True)
class Tally:
    """What counting needs of the annotations: the keys read, the keys being read, each
    annotated key's tags. Made from a library's stored documents (``Library.tally``)
    without an ``Annotation`` per key, or from annotations (:meth:`of`)."""

    read: frozenset[str]
    reading: frozenset[str]
    tags: Mapping[str, Sequence[str]]  # every annotated key (tags possibly empty)

    @classmethod
    def of(cls, annotations: Mapping[str, Annotation]) -> Tally:
        return cls(
            frozenset(key for key, ann in annotations.items() if ann.status is Status.READ),
            frozenset(key for key, ann in annotations.items() if ann.status is Status.READING),
            {key: ann.tags for key, ann in annotations.items()},
        )


def compute_stats(
    catalog: Catalog, annotations: Mapping[str, Annotation] | Tally
) -> dict[str, Any]:
    """Counts by status: overall (each key once, however often it is listed) and per section
    (the section's entries and its sub-sections', each key once); plus tags in use among
    the list's entries and how many annotations belong to keys no longer in the list."""
    tally = annotations if isinstance(annotations, Tally) else Tally.of(annotations)
    read, reading = tally.read, tally.reading
    listed = 0
    rows: list[tuple[Section, set[str]]] = []

    def keys_of(section: Section) -> set[str]:
        """The section's keys and its sub-sections' (each section's set built once, from
        its children's, rather than walking every subtree again)."""
        nonlocal listed
        listed += len(section.entries)
        slot = len(rows)
        rows.append((section, set()))
        keys = {entry.key for entry in section.entries}
        for child in section.children:
            keys |= keys_of(child)
        rows[slot] = (section, keys)
        return keys

    all_keys: set[str] = set()
    for root in catalog.sections:
        all_keys |= keys_of(root)
    sections = [
        {"title": section.title, "path": list(section.path), "level": section.level}
        | _tally(keys, read, reading)
        for section, keys in rows
        if keys
    ]
    tags_of = tally.tags
    annotated = all_keys.intersection(tags_of)
    tags = _tags_counted(tags_of, annotated)
    return {
        "overall": _tally(all_keys, read, reading),
        "listed": listed,
        "duplicates": listed - len(all_keys),
        "sections": sections,
        "tags": dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
        "not_in_list": len(tags_of) - len(annotated),
    }


def _tags_counted(tags_of: Mapping[str, Sequence[str]], annotated: set[str]) -> Counter[str]:
    """How often each tag is used among the ``annotated`` keys of ``tags_of``. When most
    keys are (a reader's own list), every key's tags are counted and the others' taken
    away: a pass over ``tags_of``'s values in the order they lie in memory, not a lookup
    per key in a set's hash order (0.14 s against 0.02 s at 100,000 keys)."""
    if 2 * len(annotated) < len(tags_of):
        return Counter(chain.from_iterable(map(tags_of.__getitem__, annotated)))
    counted = Counter(chain.from_iterable(tags_of.values()))
    if len(annotated) < len(tags_of):
        counted -= Counter(
            chain.from_iterable(map(tags_of.__getitem__, tags_of.keys() - annotated))
        )
    return counted


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
    """The UTC day of an ISO time; None when it is not one (or falls outside years 1–9999)."""
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
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
