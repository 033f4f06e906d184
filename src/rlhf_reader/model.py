"""Plain data: what a list holds and what a reader adds to it."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field


class Status(str, enum.Enum):
    """Where a reader is with a paper."""

    UNREAD = "unread"
    READING = "reading"
    READ = "read"

    @property
    def glyph(self) -> str:
        return {"unread": "○", "reading": "◐", "read": "●"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Status:
        """The status named by ``text``; ValueError naming the value otherwise."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown status {text!r} (expected one of: {names})") from None


@dataclass(frozen=True, slots=True)
class Link:
    """A further link on an entry's line or in its sub-bullets (code, slides…)."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a list: a paper, blog post, talk, dataset or piece of software."""

    key: str
    title: str
    url: str
    section: tuple[str, ...]
    line: int = 0
    arxiv_id: str | None = None
    authors: str = ""
    year: int | None = None
    venue: str = ""
    details: str = ""
    source: str | None = None
    links: tuple[Link, ...] = ()
    extra: tuple[str, ...] = ()
    # A one-line description where the list gives one ("- [Tool](url) - what it does", the
    # text after a table row's title, an indented "This work proposes …" line).
    description: str = ""

    @property
    def author_list(self) -> list[str]:
        return split_authors(self.authors)

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)


def split_authors(authors: str) -> list[str]:
    """``"A, B, and C"`` → ``["A", "B", "C"]``."""
    text = authors.replace(" and ", ", ").replace(";", ",")
    # No name can start with "and ": the loop below, in C. Only "a", "n", "d" and " " lower
    # to themselves (checked over every code point), so without a "d " or "D " the text
    # cannot hold "and " once lowered either; lowering it cost a copy per call.
    if ("d " not in text and "D " not in text) or "and " not in text.lower():
        return list(filter(None, map(str.strip, text.split(","))))
    names = []
    for part in text.split(","):
        name = part.strip()
        if name.lower().startswith("and "):
            name = name[4:].strip()
        if name:
            names.append(name)
    return names


def first_author(authors: str) -> tuple[str, bool]:
    """``(names[0], len(names) > 1)`` of ``names = split_authors(authors)`` (``("", False)``
    without names): a byline's "First Author et al." without splitting every name."""
    text = authors.replace(" and ", ", ").replace(";", ",")
    if "d " not in text and "D " not in text:  # no name can start with "and " (split_authors)
        head, _, rest = text.partition(",")
        first = head.strip()
        if first:  # another name: something in the rest besides commas and white space
            return first, bool(rest.replace(",", "").strip())
    names = split_authors(authors)
    return (names[0], len(names) > 1) if names else ("", False)


@dataclass(slots=True)
class Section:
    """A heading of the list with the entries directly below it and its sub-sections."""

    title: str
    level: int
    path: tuple[str, ...]
    line: int = 0
    entries: list[Entry] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()

    def all_entries(self) -> Iterator[Entry]:
        for section in self.walk():
            yield from section.entries


@dataclass(slots=True)
class Catalog:
    """A parsed list: its title and its tree of sections."""

    title: str
    sections: list[Section]
    source: str = ""
    # What the parser could not read, for ``check`` and for a warning on load: lines that
    # look like papers but are not entries (line, text), and parts of the file it skipped.
    unread: tuple[tuple[int, str], ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def entries(self) -> list[Entry]:
        return [entry for root in self.sections for entry in root.all_entries()]

    def walk(self) -> Iterator[Section]:
        for root in self.sections:
            yield from root.walk()

    def duplicates(self) -> dict[str, list[Entry]]:
        """Keys listed more than once, with every entry that carries them."""
        seen: dict[str, list[Entry]] = {}
        for entry in self.entries:
            seen.setdefault(entry.key, []).append(entry)
        return {key: entries for key, entries in seen.items() if len(entries) > 1}


@dataclass(slots=True)
class Annotation:
    """What a reader recorded about one entry key."""

    key: str
    status: Status = Status.UNREAD
    tags: tuple[str, ...] = ()
    note: str = ""
    created: str = ""
    updated: str = ""
    read_at: str | None = None

    def recorded(self) -> bool:
        """Whether this annotation records anything: a time, or a field not the default
        (what the JSON export and a sync file write; the others are ``null`` there)."""
        return bool(self.created or self.updated) or self != Annotation(key=self.key)

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "status": self.status.value,
            "tags": list(self.tags),
            "note": self.note,
            "created": self.created,
            "updated": self.updated,
            "read_at": self.read_at,
        }

    def set_status(self, status: Status, now: str) -> None:
        """The status rule of every write: ``read_at`` is set to ``now`` when the entry
        *becomes* read (read again keeps the first time) and cleared when it stops being
        read. The store applies it under its lock; the TUI shows its expected result at
        once, before the write is acknowledged."""
        if status is Status.READ and self.status is not Status.READ:
            self.read_at = now
        elif status is not Status.READ:
            self.read_at = None
        self.status = status

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Annotation:
        tags = data.get("tags") or []
        read_at = data.get("read_at")
        return cls(
            key=str(data["key"]),
            status=Status.parse(str(data.get("status", "unread"))),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            note=str(data.get("note") or ""),
            created=str(data.get("created") or ""),
            updated=str(data.get("updated") or ""),
            read_at=str(read_at) if read_at else None,
        )
