"""Command palette providers: every paper, found by title, author or key / arXiv id (Enter
moves the cursor to it).

The actions themselves reach the palette through ``ReaderApp.get_system_commands``, built
from ``tui.actions.ACTIONS``. When the typed text matches one of those commands, every paper
scores below the weakest matching command, so the commands come first (the palette sorts
all hits by score). Titles are untrusted: the palette parses a ``str`` prompt or help as
markup, so both are given as ``Content``.

Speed: the lower-cased ids, title and authors of every paper are joined into one string
once when the palette opens (``startup``, ``Haystack``); a keystroke is then ``str.find``
over that string (in C), one call per paper found, and Textual's fuzzy matcher only for a
few titles that hold the typed letters in order but not as one piece (``MAX_FUZZY``), so a
10,000-paper list stays quick (``bench/bench_palette.py``).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from rlhf_reader.model import Entry
from rlhf_reader.textsafe import printable

if TYPE_CHECKING:
    from rlhf_reader.tui.screens.main import MainScreen

MAX_HITS = 100
MAX_FUZZY = 20
"""Titles given to Textual's fuzzy matcher per keystroke (its cost grows fast with the
length of the query and of the title)."""

# Tiers: a hit's score is its tier plus a fraction (< 1) ranking it within the tier: the
# key or arXiv id, then the typed text as one piece of the title or the authors, then each
# typed word somewhere in the title or the authors, then the letters in order in the title.
ID_EXACT, ID_PART, PIECE, WORDS, FUZZY = 5.0, 4.0, 3.0, 2.0, 1.0


def is_subsequence(needle: str, haystack: str) -> bool:
    """Every character of ``needle`` appears in ``haystack``, in order."""
    chars = iter(haystack)
    return all(ch in chars for ch in needle)


def highlighted(title: str, offsets: Sequence[int], style: str = "reverse") -> Content:
    content = Content(printable(title))
    for offset in offsets:
        if offset < len(title) and not title[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content


def span(text: str, start: int, length: int) -> Content:
    """``text`` with ``length`` characters from ``start`` highlighted, literally."""
    return highlighted(text, range(start, start + length))


def place_bonus(haystack: str, at: int) -> float:
    """Within a tier: a match at the start beats one at a word's start beats one inside a
    word (each < 1, so the tier decides first)."""
    if at == 0:
        return 0.9
    return 0.6 if not haystack[at - 1].isalnum() else 0.3


class Paper(NamedTuple):
    """One listing of a paper, with what the palette searches made once (a tuple: 10,000
    of them are made each time the palette opens)."""

    entry: Entry
    title: str
    authors: str
    """As shown (arXiv's when fetched, else the list's)."""
    lower_title: str
    lower_authors: str
    ids: str
    """The key and the arXiv id, lower case."""

    @classmethod
    def of(cls, entry: Entry, metadata: dict[str, Any] | None) -> Paper:
        fetched = metadata.get("authors") if metadata else None
        authors = ", ".join(str(a) for a in fetched) if fetched else entry.authors
        title, key, arxiv_id = entry.title, entry.key, entry.arxiv_id
        ids = f"{key} {arxiv_id}" if arxiv_id and arxiv_id != key else key
        return cls(entry, title, authors, title.lower(), authors.lower(), ids.lower())


class Haystack:
    """Every paper's key and ids, title and authors (lower case) in one string, so that
    finding the papers that hold a piece of text is ``str.find`` run in C over the whole
    list, one call per paper found, instead of a Python loop over every paper."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        parts = [f"{p.ids}\t{p.lower_title}\t{p.lower_authors}" for p in papers]
        self.text = "\n".join(parts)
        self.starts = self._starts(parts)
        titles = [p.lower_title.replace("\n", " ") for p in papers]
        self.titles = "\n".join(titles)
        self.title_starts = self._starts(titles)

    @staticmethod
    def _starts(parts: list[str]) -> list[int]:
        starts, at = [], 0
        for part in parts:
            starts.append(at)
            at += len(part) + 1
        return starts

    def holding(self, needle: str) -> list[int]:
        """The positions (in list order) of the papers whose fields hold ``needle`` (which
        holds no tab or newline, so it never spans two fields)."""
        text, starts = self.text, self.starts
        found: list[int] = []
        at = text.find(needle)
        while at >= 0:
            n = bisect.bisect_right(starts, at) - 1
            found.append(n)
            if n + 1 >= len(starts):
                break
            at = text.find(needle, starts[n + 1])
        return found

    def titles_in_order(self, needle: str, skip: set[int], limit: int) -> list[int]:
        """Up to ``limit`` positions of papers (not in ``skip``) whose title holds the
        letters of ``needle`` in order, in list order."""
        found: list[int] = []
        starts = self.title_starts
        for match in in_order(needle).finditer(self.titles):
            n = bisect.bisect_right(starts, match.start()) - 1
            if n not in skip:
                found.append(n)
                if len(found) >= limit:
                    break
        return found


def in_order(needle: str) -> re.Pattern[str]:
    """A pattern for a line holding the letters of ``needle`` in order. Between two letters
    it skips only what is not the next letter, so a line is tried once, in linear time (no
    backtracking blow-up, whatever the text)."""
    parts = ["^[^", re.escape(needle[0]), "\n]*"]
    for before, char in itertools.pairwise(needle):
        parts += [re.escape(before), "[^", re.escape(char), "\n]*"]
    parts.append(re.escape(needle[-1]))
    return re.compile("".join(parts), re.MULTILINE)


def command_floor(matcher: Matcher, titles: Sequence[str]) -> float | None:
    """The lowest score of the commands ``matcher`` matches (as the palette's own command
    provider scores them), or None when it matches none."""
    needle = matcher.query.lower()
    scores = [
        score
        for title in titles
        if is_subsequence(needle, title.lower()) and (score := matcher.match(title)) > 0
    ]
    return min(scores) if scores else None


class PaperCommands(Provider):
    """Every paper of the list by title, author or id; choosing one puts the cursor on it."""

    _papers: list[Paper] | None = None
    _haystack: Haystack | None = None

    def _main(self) -> MainScreen | None:
        from rlhf_reader.tui.screens.main import MainScreen  # the app module stays small

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    async def startup(self) -> None:
        self._papers = self._load()
        self._haystack = Haystack(self._papers)

    def _load(self) -> list[Paper]:
        main = self._main()
        if main is None:
            return []
        rows = main.reading.rows
        return [
            Paper.of(entry, rows[key].metadata)
            for key, same in main.reading.entries.items()
            for entry in same
        ]

    @property
    def papers(self) -> list[Paper]:
        if self._papers is None:
            self._papers = self._load()
        return self._papers

    @property
    def haystack(self) -> Haystack:
        if self._haystack is None:
            self._haystack = Haystack(self.papers)
        return self._haystack

    def _help(self, entry: Entry, found: Content | None = None) -> Content:
        where = Content(printable(entry.section_path))
        return where if found is None else Content("").join([found, Content("  ·  "), where])

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for paper in self.papers[:MAX_HITS]:
            entry = paper.entry
            yield DiscoveryHit(
                Content(printable(entry.title)),
                partial(main.goto, entry),
                text=entry.title,
                help=self._help(entry),  # type: ignore[arg-type]
            )

    async def search(self, query: str) -> Hits:
        main = self._main()
        needle = " ".join(query.lower().split())
        if main is None or not needle:
            return
        matcher = self.matcher(needle)
        titles = [command.title for command in self.app.get_system_commands(self.screen)]
        floor = command_floor(matcher, titles)
        papers, haystack = self.papers, self.haystack
        # First only (rank, -position, where, offset): the hits are drawn for the best few.
        found: list[tuple[float, int, str, int]] = []
        direct = haystack.holding(needle)
        for n in direct:  # the typed text as one piece: of an id, the title, the authors
            found.append(self._ranked(papers[n], n, needle))
        words = needle.split()
        taken = set(direct)
        if len(words) > 1:  # each word somewhere in the title or the authors
            inside = set.intersection(*(set(haystack.holding(w)) for w in words)) - taken
            for n in sorted(inside):
                lower = papers[n].lower_title
                in_title = sum(w in lower for w in words) / (len(words) + 1)
                found.append((WORDS + in_title, -n, "words", 0))
            taken |= inside
        fuzzy: list[int] = []
        if len(found) < MAX_HITS:  # the letters in order in a title
            fuzzy = haystack.titles_in_order(needle, taken, MAX_FUZZY)
        best = heapq.nlargest(MAX_HITS, found)
        hits = [
            self._drawn(papers[-minus_n], where, at, len(needle), rank)
            for rank, minus_n, where, at in best
        ]
        if len(hits) < MAX_HITS:
            for n in fuzzy[: MAX_HITS - len(hits)]:
                paper = papers[n]
                # Matcher.highlight would parse the title as markup: the offsets are taken
                # from its search and the title is highlighted literally.
                score, offsets = matcher.fuzzy_search.match(matcher.query, paper.title)
                if score:
                    rank = FUZZY + score / (score + 1) / 2
                    hits.append((rank, paper, highlighted(paper.title, offsets), None))
        for rank, paper, title, detail in sorted(hits, key=lambda hit: -hit[0]):
            if floor is not None:  # a command matches: every paper below every command
                rank = floor * rank / (rank + 1)
            yield Hit(
                rank,
                title,
                partial(main.goto, paper.entry),
                text=paper.title,
                help=self._help(paper.entry, detail),  # type: ignore[arg-type]
            )

    @staticmethod
    def _ranked(paper: Paper, n: int, needle: str) -> tuple[float, int, str, int]:
        """(rank, -position, where, offset) of a paper holding ``needle`` as one piece."""
        at = paper.ids.find(needle)
        if at >= 0:
            exact = needle in paper.ids.split()
            return (ID_EXACT if exact else ID_PART + place_bonus(paper.ids, at)), -n, "id", at
        at = paper.lower_title.find(needle)
        if at >= 0:
            return PIECE + place_bonus(paper.lower_title, at), -n, "title", at
        at = paper.lower_authors.find(needle)
        return PIECE + place_bonus(paper.lower_authors, at) - 0.1, -n, "authors", at

    @staticmethod
    def _drawn(
        paper: Paper, where: str, at: int, length: int, rank: float
    ) -> tuple[float, Paper, Content, Content | None]:
        """A hit's title and the line under it, the typed text highlighted where it was
        found (when case folding kept the offsets)."""
        title = Content(printable(paper.title))
        if where == "id":
            return rank, paper, title, Content(printable(paper.ids))
        if where == "title":
            if len(paper.lower_title) == len(paper.title):
                title = span(paper.title, at, length)
            return rank, paper, title, None
        if where == "words":
            return rank, paper, title, Content(printable(paper.authors))
        same = len(paper.lower_authors) == len(paper.authors)
        who = span(paper.authors, at, length) if same else Content(printable(paper.authors))
        return rank, paper, title, who
