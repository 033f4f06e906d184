"""Citations of entries: BibTeX, APA 7, Markdown and plain text. Pure: no terminal, no I/O.

Every function takes ``records.Row`` objects and prefers the cached arXiv metadata (authors,
title, date, DOI, primary category) when a row has it, else what the list says.

Choices a Zotero / Better BibTeX user would recognise:

- arXiv preprints are ``@misc`` in arXiv's own style (``eprint``, ``archivePrefix``,
  ``primaryClass``) plus biblatex's ``eprinttype = {arxiv}`` (what Zotero's BibTeX importer
  and biber read) and a ``doi`` (the published DOI, else arXiv's ``10.48550/arXiv.ID``). A
  paper the list or arXiv's ``journal_ref`` says was published is ``@inproceedings``
  (``booktitle``) or ``@article`` (``journal``) and keeps its eprint fields. Blogs, talks,
  software and other links are biblatex ``@online`` with ``url`` and ``urldate`` (classic
  BibTeX styles read an unknown type as ``@misc``). Exports add ``keywords`` from the tags.
- Keys are ``<last name><year><first significant title word>``, ASCII, lower case
  (``rafailov2023direct``); within one export a repeated key gets ``a``, ``b``… appended to
  its second, third… use, as Better BibTeX does.
- Titles keep their capitalisation: words with capitals after the first letter (acronyms,
  ``PanGu-Coder2``) are wrapped in braces, the rest is left for the style to case.
- Control characters in the data become visible ``\\xNN`` text in every format here (see
  ``textsafe``); no raw ESC or BEL reaches a file or a terminal.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from rlhf_reader.library.records import Row
from rlhf_reader.model import split_authors
from rlhf_reader.reclass import set_class
from rlhf_reader.textsafe import printable

FORMATS = ("bibtex", "apa", "markdown", "plain")

# Lower-case name particles: they belong to the family name ("von Werra", "Le Bras").
PARTICLES = frozenset(
    "von van der den de del della di da dos das du la le lo ter ten zu vom van't ó o' al el bin"
    .split()
)  # fmt: skip
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
ET_AL_RE = re.compile(r"^(et\.?\s*al\.?|others|and others)$", re.IGNORECASE)
_TRAILING_ET_AL_RE = re.compile(r"^(.*?)\s+et\.?\s*al\.?$", re.IGNORECASE)
_DAY_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Words that never make a citation key.
STOP_WORDS = frozenset(
    "a an the and or but nor of on in at to for from by with via as is are be into onto "
    "over under about towards toward than its it".split()
)
_NON_NAME_RE = re.compile(r"[()\[\]:;!?@/<>=|]|\d")
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l",
     "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "Þ": "Th", "\u0131": "i"}
)  # fmt: skip


class Name(NamedTuple):
    """One author: ``given`` and ``family`` (with its particle), or a ``literal`` name.

    A named tuple, not a frozen dataclass: the names of a row are looked up in the caches
    of their texts (``bib_author``, ``last_first``…), and a tuple's hash is taken in C where
    a dataclass's ``__hash__`` is a Python call (a tenth of an export's formatting at
    100,000 rows with five names each)."""

    given: str = ""
    family: str = ""
    particle: str = ""
    suffix: str = ""
    literal: str = ""

    @property
    def last(self) -> str:
        """The family name with its particle: ``von Werra``."""
        return f"{self.particle} {self.family}".strip()

    @property
    def full(self) -> str:
        if self.literal:
            return self.literal
        text = f"{self.given} {self.last}".strip()
        return f"{text} {self.suffix}".strip()


@functools.lru_cache(maxsize=65_536)
def parse_name(text: str) -> Name:
    """``"First Middle von Last Jr."`` → ``Name``; one word (``OpenAI``) is a literal name."""
    words = " ".join(text.split()).split(" ")
    words = [w for w in words if w]
    if not words:
        return Name()
    suffix = ""
    if len(words) > 2 and words[-1].lower().rstrip(",") in SUFFIXES:
        suffix = words.pop().rstrip(",")
        words[-1] = words[-1].rstrip(",")
    if len(words) == 1:
        return Name(literal=words[0], suffix=suffix)
    # The particle starts at the first lower-case particle word after the given names.
    start = len(words) - 1
    for index in range(1, len(words) - 1):
        if words[index].lower() in PARTICLES:
            start = index
            break
    given = " ".join(words[:start])
    if start < len(words) - 1:
        particle = " ".join(words[start:-1])
        return Name(given=given, family=words[-1], particle=particle, suffix=suffix)
    return Name(given=given, family=words[-1], suffix=suffix)


def looks_like_names(names: Sequence[str]) -> bool:
    """False for a description the list put where authors go (software entries)."""
    return all(map(_looks_like_name, names))


@functools.lru_cache(maxsize=65_536)
def _looks_like_name(name: str) -> bool:
    """One name of :func:`looks_like_names` (names repeat across a list: cached)."""
    words = name.split()
    # A leading "=" or "@" is part of how someone wrote a name (a handle, a spreadsheet
    # habit), not a sign of a description: only inside a name do they count.
    if len(words) > 5 or _NON_NAME_RE.search(name.lstrip("=@")):
        return False
    lower = [w for w in words[1:] if w[:1].islower() and w.lower() not in PARTICLES]
    return len(lower) < 2


@dataclass(frozen=True, slots=True)
class Work:
    """What a citation needs, gathered from one row (metadata first, then the list)."""

    key: str
    title: str
    names: tuple[Name, ...]
    et_al: bool
    year: int | None
    month: int | None
    day: int | None
    url: str
    arxiv_id: str | None
    primary_class: str
    doi: str  # the published DOI, as arXiv or the list knows it ("" when unknown)
    venue: str  # where it appeared: a web site, or the published venue of a paper
    accessed: str  # YYYY-MM-DD, for web pages
    venue_kind: str = ""  # "conference" or "journal" for a published paper, else ""

    @property
    def is_arxiv(self) -> bool:
        return bool(self.arxiv_id)

    @property
    def published(self) -> bool:
        """A paper with a known venue (a conference or a journal), not only a preprint."""
        return bool(self.venue_kind)

    @property
    def any_doi(self) -> str:
        """The published DOI, else arXiv's own DOI for a preprint, else ""."""
        if self.doi:
            return self.doi
        return f"10.48550/arXiv.{self.arxiv_id}" if self.arxiv_id else ""


def _clean(text: object) -> str:
    """One line, single spaces, control characters visible."""
    if not text:
        return ""  # (None, "": what str(text or "") makes of it)
    if (
        type(text) is str
        and text.isprintable()  # no control, no white space but " " (split would drop it)
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
    ):
        return text  # already clean (the usual case): split, join and printable keep it
    return printable(" ".join(str(text or "").split()))


@functools.lru_cache(maxsize=65_536)
def _author(raw: str) -> tuple[bool, Name | None, bool]:
    """One author string of a row: (is or ends in "et al.", its ``Name`` or None, whether
    that name looks like a name: ``looks_like_names``)."""
    cleaned = _clean(raw)
    lowered = cleaned.lower()
    et_al = False
    if "al" in lowered or "others" in lowered:
        if ET_AL_RE.match(cleaned.strip(" .")) or ET_AL_RE.match(cleaned):
            return True, None, True
        # "A et al." written as one name.
        match = _TRAILING_ET_AL_RE.match(cleaned)
        if match:
            et_al, cleaned = True, match.group(1)
    if not cleaned:
        return et_al, None, True
    name = parse_name(cleaned)
    return et_al, name, _looks_like_name(name.full)


def work_of(row: Row, today: date | None = None) -> Work:
    """The citation data of ``row``."""
    entry, meta = row.entry, row.metadata
    year: int | None
    month: int | None
    day: int | None
    raw_names: list[str] | None
    if meta:
        title = _clean(meta.get("title") or entry.title)
        from_meta = bool(meta.get("authors"))
        raw_names = [str(a) for a in meta["authors"]] if from_meta else entry.author_list
        published = meta.get("published")
        match = _DAY_RE.match(str(published)) if published else None  # _date_of(row)
        if match:
            year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
        else:
            year, month, day = row.year, None, None
        arxiv_id = entry.arxiv_id or (str(meta["arxiv_id"]) if meta.get("arxiv_id") else None)
        journal_ref = _clean(meta.get("journal_ref"))
        primary_class, doi = _clean(meta.get("primary_category")), _clean(meta.get("doi"))
        venue, kind = _venue(_clean(entry.venue), journal_ref)
    else:  # no arXiv record (most rows): what the list says
        # (100,000 rows at scale: _clean's usual case asked here, the venue by one string)
        title = entry.title
        if not (title.isprintable() and "  " not in title and title[:1] != " " != title[-1:]):
            title = _clean(title)
        year, month, day = entry.year, None, None  # (what _date_of answers without one)
        arxiv_id, primary_class, doi = entry.arxiv_id or None, "", ""
        venue, kind = _listed_venue(entry.venue)
        from_meta, raw_names = False, None
        authors = entry.authors
        names: tuple[Name, ...] = ()  # (no authors: split_authors gives none)
        et_al = False
        if " and " in authors or ";" in authors:
            raw_names = split_authors(authors)
        elif authors:
            try:  # each an ordinary name that split_authors gives as it is: _PLAIN_NAMES
                names = tuple(map(_PLAIN_NAMES.__getitem__, authors.split(", ")))
            except KeyError:
                raw_names = split_authors(authors)
    if raw_names is not None:
        names, et_al = _names(raw_names, from_meta)
    url = f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else printable(entry.url.strip())
    annotation = row.annotation
    accessed = (annotation.read_at or annotation.created or "")[:10]
    if not _is_day(accessed):
        accessed = (today or date.today()).isoformat()
    # Work(key=…, title=…, …) without the frozen __init__'s object.__setattr__ per field
    # (a fifth of this function at 100,000 rows): see _UnfrozenWork.
    work = _UnfrozenWork(
        entry.key,
        title,
        names,
        et_al,
        year,
        month,
        day,
        url,
        arxiv_id,
        primary_class,
        doi,
        venue,
        accessed,
        kind,
    )
    set_class(work, Work)
    return work  # type: ignore[return-value]


# Author strings whose ``_author`` is an ordinary name (not "et al.", looks like a name) →
# that name: a row whose authors are all in it has its names in one pass in C, without
# the loop of :func:`_names` (most rows). Emptied when it holds ``_PLAIN_MAX``.
#
# Every key is one name as split_authors gives it: not empty, stripped, without "," or
# ";" or " and ", not starting with "and " (any case; such a one is not kept). So a list's
# authors without " and " or ";" whose ", "-separated parts are all keys are what
# split_authors gives them (it would split at the same commas, strip nothing, drop no
# "and "): work_of looks them up without splitting them first.
_PLAIN_NAMES: dict[str, Name] = {}
_PLAIN_MAX = 65_536


def _names(raw_names: Sequence[str], from_meta: bool) -> tuple[tuple[Name, ...], bool]:
    """The names of a row's author strings and whether they end in "et al."; none when
    they came from the list and one does not look like a name (a description)."""
    plain = _PLAIN_NAMES
    try:
        return tuple(map(plain.__getitem__, raw_names)), False
    except KeyError:
        pass
    et_al = False
    names: list[Name] = []
    all_names = True  # looks_like_names([n.full for n in names]), a name at a time
    for raw in raw_names:
        ends, name, looks = _author(raw)
        et_al = et_al or ends
        if name is not None:
            names.append(name)
            all_names = all_names and looks
            if looks and not ends and _splits_as_itself(raw):
                if len(plain) >= _PLAIN_MAX:
                    plain.clear()
                plain[raw] = name
    if not from_meta and not all_names:
        return (), False
    return tuple(names), et_al


def _splits_as_itself(raw: str) -> bool:
    """Whether ``split_authors`` gives ``raw`` as one name as it is (see _PLAIN_NAMES)."""
    return (
        bool(raw)
        and raw == raw.strip()
        and "," not in raw
        and ";" not in raw
        and " and " not in raw
        and not raw.lower().startswith("and ")
    )


@functools.lru_cache(maxsize=16_384)
def _listed_venue(venue: str) -> tuple[str, str]:
    """``_venue(_clean(venue), "")``: the venue of a row without an arXiv record."""
    return _venue(_clean(venue), "")


class _UnfrozenWork:
    """A :class:`Work` being made: the same slots in the same order, plain stores, then made
    a ``Work`` by ``__class__`` assignment (as ``records.make_rows`` makes its rows)."""

    __slots__ = Work.__slots__

    def __init__(  # Work's fields, in order
        self,
        key: str,
        title: str,
        names: tuple[Name, ...],
        et_al: bool,
        year: int | None,
        month: int | None,
        day: int | None,
        url: str,
        arxiv_id: str | None,
        primary_class: str,
        doi: str,
        venue: str,
        accessed: str,
        venue_kind: str,
    ) -> None:
        self.key = key
        self.title = title
        self.names = names
        self.et_al = et_al
        self.year = year
        self.month = month
        self.day = day
        self.url = url
        self.arxiv_id = arxiv_id
        self.primary_class = primary_class
        self.doi = doi
        self.venue = venue
        self.accessed = accessed
        self.venue_kind = venue_kind


@functools.lru_cache(maxsize=4_096)
def _is_day(text: str) -> bool:
    """``YYYY-MM-DD`` (the same few dates recur on every row: cached)."""
    return _DAY_RE.fullmatch(text) is not None


@functools.lru_cache(maxsize=16_384)
def _venue(listed: str, journal_ref: str) -> tuple[str, str]:
    """(venue, venue kind) of a paper from the list's venue and arXiv's journal_ref, both
    cleaned (a list repeats its venues: cached)."""
    # A preprint's "venue" is arXiv itself; a real one comes from the list or journal_ref.
    # The list's venue counts when it names a conference or a journal ("NeurIPS, 2023"), not
    # "arXiv 2024", a blog or a company; arXiv's journal_ref always names a publication.
    listed = "" if _NOT_A_VENUE_RE.match(listed) else listed
    if listed and _looks_published(listed):
        return listed, venue_kind(listed)
    if journal_ref:
        return journal_ref, venue_kind(journal_ref)
    return listed, ""


# "arXiv", "arXiv preprint", "CoRR", "preprint": where a preprint is, not a publication.
_NOT_A_VENUE_RE = re.compile(
    r"^\s*(arxiv|corr|preprint|arxiv preprint.*|abs/\S+)?[\s,]*\(?(19|20)?\d{0,2}\)?\.?\s*$",
    re.IGNORECASE,
)
_JOURNAL_RE = re.compile(
    r"journal|transactions|\btrans\.|letters|\bjmlr\b|\btmlr\b|nature|science|review|"
    r"magazine|\bpnas\b|\bplos\b|\bj\.",
    re.IGNORECASE,
)
_CONFERENCE_RE = re.compile(
    r"conference|proceedings|\bproc\.|workshop|symposium|neurips|nips|icml|iclr|\bacl\b|"
    r"emnlp|naacl|eacl|coling|aaai|ijcai|cvpr|iccv|eccv|colm|corl|aistats|\buai\b|kdd|"
    r"sigir|\bwww\b|icra|iros|rss|findings",
    re.IGNORECASE,
)


def venue_kind(venue: str) -> str:
    """``"journal"`` for a journal (Transactions, Letters, JMLR, TMLR…), else ``"conference"``:
    machine-learning papers appear at conferences first (NeurIPS, ICML, ACL…)."""
    if _JOURNAL_RE.search(venue) and not _CONFERENCE_RE.search(venue):
        return "journal"
    return "conference"


def _looks_published(venue: str) -> bool:
    """A venue of a non-arXiv paper that names a conference or a journal (not a blog)."""
    return bool(_CONFERENCE_RE.search(venue) or _JOURNAL_RE.search(venue)) and not re.search(
        r"\bblog\b|\bpost\b|website|github", venue, re.IGNORECASE
    )


# citation keys ---------------------------------------------------------------------------


def ascii_fold(text: str) -> str:
    """``"Günther"`` → ``"Gunther"``: accents dropped, letters without a decomposition mapped."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if ord(ch) < 128)


_NOT_KEY_RE = re.compile(r"[^a-z0-9]")
_TITLE_SPLIT_RE = re.compile(r"[\s\-–—:/]+")
_TITLE_WORD_RE = re.compile(r"[^\s\-–—:/]+")  # what _TITLE_SPLIT_RE splits apart, lazily


@functools.lru_cache(maxsize=65_536)
def _key_word(text: str) -> str:
    if text.isascii() and text.isalnum():  # [A-Za-z0-9]+: nothing to fold or drop
        return text.lower()
    return _NOT_KEY_RE.sub("", ascii_fold(text).lower())


def base_key(work: Work) -> str:
    """``rafailov2023direct``: first author's last name, year, first significant title word."""
    names = work.names
    author = _key_word(names[0].family or names[0].literal) if names else ""
    title = work.title
    match = _TITLE_WORD_RE.search(title)  # the first word (usually the one: asked alone)
    word = _key_word(match.group()) if match is not None else ""
    if len(word) < 2 or word in STOP_WORDS:
        word = _title_word(title)
    key = f"{author}{work.year or ''}{word}"
    return key or "entry"


def _title_word(title: str) -> str:
    """The first significant word of ``title`` as a key word; a one-letter word ("The N
    Implementation") only when no other is left, and a stop word only when the title has
    nothing else."""
    word = short = first = ""
    for match in _TITLE_WORD_RE.finditer(title):  # the words _TITLE_SPLIT_RE leaves
        candidate = _key_word(match.group())
        if not candidate:
            continue
        first = first or candidate
        if candidate in STOP_WORDS:
            continue
        if len(candidate) > 1:
            word = candidate
            break
        short = short or candidate
    return word or short or first


def unique_keys(works: Iterable[Work]) -> list[str]:
    """Keys for ``works`` in order; a key already given gets ``a``, ``b``, … ``aa``…: the
    first of ``base``, ``base + "a"``, ``base + "b"``… not given yet.

    Linear: the search for a base resumes at the suffix where its last search stopped (every
    suffix before it was given, and a given key stays given), instead of at ``a`` again.
    """
    return keys_of_bases(map(base_key, works))


def keys_of_bases(bases: Iterable[str]) -> list[str]:
    """:func:`unique_keys` of works whose :func:`base_key` are ``bases`` (the export cache
    keeps each row's base key: a row's key depends on every row before it).

    Asked first in C (:func:`_counted_keys`); when that does not answer, one base at a
    time."""
    bases = list(bases)
    keys = _counted_keys(bases)
    if keys is not None:
        return keys
    used: set[str] = set()
    next_suffix: dict[str, int] = {}  # base → the first suffix number not known to be taken
    keys = []
    suffixes, known = _SUFFIXES, len(_SUFFIXES)
    for base in bases:
        if base not in used:
            used.add(base)
            keys.append(base)
            continue
        n = next_suffix.get(base, 0)
        while True:
            key = base + (suffixes[n] if n < known else _suffix(n))
            if key not in used:
                break
            n += 1
        next_suffix[base] = n + 1
        used.add(key)
        keys.append(key)
    return keys


def _counted_keys(bases: list[str]) -> list[str] | None:
    """The keys of ``bases`` when each base's n-th use gets the n-th suffix (its first
    itself, then ``a``, ``b``… up to ``zz``) and no two keys are then the same: what
    :func:`keys_of_bases` gives them (a key is taken only when another base plus a suffix
    is that key, or a base is used more than 703 times: then None). Every step in C: at
    100,000 rows with 5,000 distinct bases, a loop in Python cost 0.1 s."""
    uses: defaultdict[str, Iterator[int]] = defaultdict(itertools.count)
    numbers = map(next, map(uses.__getitem__, bases))  # each base's 0, 1, 2… in order
    try:
        keys = list(map(operator.add, bases, map(_NTH_SUFFIX.__getitem__, numbers)))
    except IndexError:  # a base used more than 703 times
        return None
    return keys if len(set(keys)) == len(keys) else None


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return letters


# _suffix(n) of the suffixes of one and two letters (a, b, … z, aa, … zz).
_SUFFIXES = tuple(_suffix(n) for n in range(26 + 26 * 26))
_NTH_SUFFIX = ("", *_SUFFIXES)
_ROW_KEY = operator.attrgetter("entry.key")  # what the n-th use of a base gets (its first: nothing)


def distinct(rows: Iterable[Row]) -> list[Row]:
    """The rows with the first of each entry key (a list may name a paper twice)."""
    rows = list(rows)
    keys = list(map(_ROW_KEY, rows))
    if len(set(keys)) == len(keys):
        return rows  # every key once (the usual case): no pass that keeps the first
    seen: set[str] = set()
    out = []
    for row, key in zip(rows, keys, strict=True):
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


# BibTeX -----------------------------------------------------------------------------------

_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIB_SPECIAL_RE = re.compile(r"[\\%&#_$~^{}]")


def bib_escape(text: str, balanced: bool | None = None) -> str:
    """LaTeX-escape ``{ } % & # _ $ \\ ~ ^``; non-ASCII stays UTF-8.

    ``\\{`` and ``\\}`` are used when the text's braces balance; otherwise ``\\textbraceleft{}``
    and ``\\textbraceright{}``, because BibTeX counts escaped braces too.
    """
    if not _BIB_SPECIAL_RE.search(text):
        return text
    if balanced is None:
        balanced = _braces_balance(text)

    def sub(match: re.Match[str]) -> str:
        ch = match.group()
        if ch in "{}":
            if balanced:
                return "\\" + ch
            return r"\textbraceleft{}" if ch == "{" else r"\textbraceright{}"
        return _BIB_SPECIAL[ch]

    return _BIB_SPECIAL_RE.sub(sub, text)


def _braces_balance(text: str) -> bool:
    if "{" not in text and "}" not in text:
        return True
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _needs_protection(word: str) -> bool:
    """A capital after the first character: ``RLHF``, ``PanGu-Coder2``, ``GPT-4``."""
    rest = word[1:]
    return rest != rest.lower()


_CORE_RE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


# In an ASCII title, what makes bib_title change anything: a LaTeX special, or a capital
# inside a word (after a character that is not the space that starts a word).
_TITLE_WORK_RE = re.compile(r"[\\%&#_$~^{}]|[^ ][A-Z]")
# The shape of an ASCII title's bytes: a capital → "A", a LaTeX special → "%", a space →
# " ", anything else → "a". With no "%" and every "A" first or after a space, the title
# has nothing _TITLE_WORK_RE finds (asked with a translation and three counts in C: the
# pattern tries two branches at every character, 2 µs a title).
_TITLE_SHAPE = bytes(
    0x41 if 0x41 <= i <= 0x5A else 0x25 if chr(i) in "\\%&#_$~^{}" else 0x20 if i == 0x20 else 0x61
    for i in range(256)
)


def _plain_title(title: str) -> bool:
    """An ASCII title that ``bib_title`` leaves as it is (``_TITLE_WORK_RE`` finds nothing)."""
    if not title.isascii():
        return False
    shape = title.encode("ascii").translate(_TITLE_SHAPE)
    return b"%" not in shape and shape.count(b"A") == shape.count(b" A") + (shape[:1] == b"A")


def bib_title(title: str) -> str:
    """The escaped title with acronyms and camel-case words in braces (``{RLHF}``)."""
    if _plain_title(title):
        return title  # nothing to escape or protect (the usual case)
    special = _BIB_SPECIAL_RE.search(title) is not None
    balanced = _braces_balance(title)
    out = []
    for word in title.split(" "):
        if not _needs_protection(word):
            out.append(bib_escape(word, balanced) if special else word)
            continue
        lead, core, trail = _CORE_RE.match(word).groups()  # type: ignore[union-attr]
        if _needs_protection(core):
            core = f"{{{bib_escape(core, balanced)}}}"
            out.append(f"{bib_escape(lead, balanced)}{core}{bib_escape(trail, balanced)}")
        else:
            out.append(bib_escape(word, balanced))
    return " ".join(out)


_URL_BAD_RE = re.compile(r'[{}\\ "\x00-\x1f\x7f]')


def _url_field(url: str) -> str:
    """URLs are verbatim in biblatex: only characters that would break the field are encoded."""
    if not _URL_BAD_RE.search(url):
        return url
    return "".join(
        f"%{ord(ch):02X}" if ch in '{}\\ "' or ord(ch) < 32 or ord(ch) == 127 else ch for ch in url
    )


@functools.lru_cache(maxsize=65_536)
def bib_author(name: Name) -> str:
    if name.literal:
        return "{" + bib_escape(name.literal) + "}"
    last = bib_escape(name.last)
    parts = [last]
    if name.suffix:
        parts.append(bib_escape(name.suffix))
    if name.given:
        parts.append(bib_escape(name.given))
    return ", ".join(parts)


_YEAR_AT_END_RE = re.compile(r"[\s,]*\(?(19|20)\d\d\)?$")


def venue_name(work: Work) -> str:
    """The venue without a trailing year that repeats the ``year`` field (``NeurIPS 2023``)."""
    venue = work.venue
    if work.year and venue.rstrip(" )").endswith(str(work.year)):
        stripped = _YEAR_AT_END_RE.sub("", venue).strip()
        venue = stripped or venue
    return venue


def bibtex_entry(work: Work, key: str, tags: Sequence[str] = ()) -> str:
    """One entry; ``tags`` become ``keywords`` (exports; citations leave them out)."""
    # One line per field, "  name = {value},", gathered in one list and joined once.
    lines = ["", f"  title = {{{bib_title(work.title)}}},"]
    if work.names:
        authors = " and ".join(map(bib_author, work.names))
        lines.append(f"  author = {{{authors}{' and others' if work.et_al else ''}}},")
    venue_kind = work.venue_kind
    if venue_kind == "conference":
        kind = "inproceedings"
        lines.append(f"  booktitle = {{{bib_title(venue_name(work))}}},")
    elif venue_kind == "journal":
        kind = "article"
        lines.append(f"  journal = {{{bib_title(venue_name(work))}}},")
    else:
        kind = "misc" if work.arxiv_id else "online"
    lines[0] = f"@{kind}{{{key},"
    if work.year:
        lines.append(f"  year = {{{work.year}}},")
    url = _url_field(work.url)
    if work.arxiv_id:
        lines.append(
            f"  eprint = {{{work.arxiv_id}}},\n  eprinttype = {{arxiv}},\n"
            "  archivePrefix = {arXiv},"
        )
        if work.primary_class:
            lines.append(f"  primaryClass = {{{bib_escape(work.primary_class)}}},")
        lines.append(f"  url = {{{url}}},")
    else:
        lines.append(f"  url = {{{url}}},")
        if not venue_kind:
            lines.append(f"  urldate = {{{work.accessed}}},")
            if work.venue:
                lines.append(f"  note = {{{bib_escape(work.venue)}}},")
    doi = work.any_doi
    if doi:
        lines.append(f"  doi = {{{_url_field(doi)}}},")
    if tags:
        lines.append(f"  keywords = {{{bib_escape(', '.join(tags))}}},")
    lines.append("}")
    return "\n".join(lines)


def bibtex(rows: Iterable[Row], today: date | None = None, *, keywords: bool = False) -> str:
    """One BibTeX entry per distinct key, with keys unique within the output; with
    ``keywords`` the reader's tags are written as ``keywords`` (the export, not citations)."""
    rows = distinct(rows)
    works = [work_of(row, today) for row in rows]
    keys = unique_keys(works)
    entries = [
        bibtex_entry(w, k, [printable(t) for t in r.annotation.tags] if keywords else ())
        for r, w, k in zip(rows, works, keys, strict=True)
    ]
    return "\n\n".join(entries) + ("\n" if works else "")


# APA 7 ------------------------------------------------------------------------------------


def _initials(given: str) -> str:
    """``"Noah A."`` → ``"N. A."``, ``"Jean-Luc"`` → ``"J.-L."``."""
    out = []
    for word in given.split():
        parts = [p for p in word.split("-") if p]
        out.append("-".join(f"{p[0]}." for p in parts if p[0].isalpha()) or word)
    return " ".join(o for o in out if o)


@functools.lru_cache(maxsize=65_536)
def last_first(name: Name, *, initials: bool = False) -> str:
    """``Last, Given[, Suffix]`` (APA and RIS), with the given names as initials if asked."""
    if name.literal:
        return name.literal
    text = name.last
    if name.given:
        text += f", {_initials(name.given) if initials else name.given}"
    if name.suffix:
        text += f", {name.suffix}"
    return text


def apa_name(name: Name) -> str:
    return last_first(name, initials=True)


def apa_authors(names: Sequence[Name], et_al: bool = False) -> str:
    """APA 7: up to 20 names with ``&`` before the last; 21 or more: 19, an ellipsis, the last."""
    shown = [apa_name(n) for n in names]
    if not shown:
        return ""
    if et_al:
        return ", ".join(shown) + ", et al."
    if len(shown) == 1:
        return shown[0]
    if len(shown) > 20:
        return ", ".join(shown[:19]) + ", . . . " + shown[-1]
    return ", ".join(shown[:-1]) + ", & " + shown[-1]


def _end(text: str) -> str:
    """Text ending in one full stop (none added after ``?``, ``!`` or ``.``)."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def apa(work: Work) -> str:
    """APA 7 reference list entry; arXiv preprints cite the arXiv DOI.

    Kept beside the CSL APA style (``cite --style apa``, ``formats.csl``) because for the
    arXiv preprints most of a reading list is, it writes what the APA manual's own arXiv
    example writes — ``Title (arXiv:2305.18290). arXiv. https://doi.org/…`` — where
    citeproc-py with apa.csl writes ``(Preprint 2305.18290)``; and it needs neither lxml nor
    a style file, so the TUI's ``c`` copies at once. A published paper's venue is in the CSL
    rendering.
    """
    year = f"({work.year})" if work.year else "(n.d.)"
    authors = apa_authors(work.names, work.et_al)
    if work.is_arxiv:
        title = f"{work.title.rstrip('.')} (arXiv:{work.arxiv_id})."
        source = "arXiv. "
        link = f"https://doi.org/{work.any_doi}"
    else:
        title = _end(work.title)
        source = f"{_end(work.venue)} " if work.venue else ""
        link = work.url
    if authors:
        return f"{_end(authors)} {year}. {title} {source}{link}"
    # No author: the title moves to the author position.
    return f"{title} {year}. {source}{link}"


# Markdown and plain -----------------------------------------------------------------------

_MD_ESCAPE_RE = re.compile(r"([\\\[\]])")


def md_text(text: str) -> str:
    """Escape what would end or break a Markdown link text."""
    return _MD_ESCAPE_RE.sub(r"\\\1", text)


def md_url(url: str) -> str:
    if any(ch in url for ch in " ()<>") or not url:
        return "<" + url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"
    return url


def short_authors(names: Sequence[Name], et_al: bool = False) -> str:
    """``A``, ``A and B``, ``A, B and C``, or ``A et al.`` for four or more."""
    full = [n.full for n in names]
    if not full:
        return ""
    if len(full) > 3 or et_al:
        return f"{full[0]} et al."
    if len(full) == 1:
        return full[0]
    return ", ".join(full[:-1]) + " and " + full[-1]


def markdown(work: Work) -> str:
    """``[Title](url) — Authors (Year)``."""
    text = f"[{md_text(work.title)}]({md_url(work.url)})"
    authors = short_authors(work.names, work.et_al)
    if authors:
        text += f" — {md_text(authors)}"
    if work.year:
        text += f" ({work.year})"
    return text


def plain(work: Work) -> str:
    """``Title. A, B, C. 2023. url``."""
    parts = [_end(work.title)]
    names = ", ".join(n.full for n in work.names)
    if names:
        parts.append(_end(names + (" et al" if work.et_al else "")))
    if work.year:
        parts.append(f"{work.year}.")
    parts.append(work.url)
    return " ".join(parts)


def cite(rows: Iterable[Row], fmt: str = "bibtex", today: date | None = None) -> str:
    """Citations of ``rows`` (one per distinct key) in ``fmt``, one of ``FORMATS``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown citation format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if fmt == "bibtex":
        return bibtex(rows, today)
    works = [work_of(row, today) for row in distinct(rows)]
    render = {"apa": apa, "markdown": markdown, "plain": plain}[fmt]
    sep = "\n" if fmt == "plain" else "\n\n"
    return sep.join(render(w) for w in works) + ("\n" if works else "")


def cite_one(row: Row, fmt: str = "bibtex", today: date | None = None) -> str:
    """One citation without a trailing newline: what ``c`` in the TUI copies."""
    return cite([row], fmt, today).rstrip("\n")


def link(row: Row) -> str:
    """What ``y`` copies: the entry's link as the list gives it."""
    return row.entry.url


def describe(fmt: str) -> str:
    """A short label for notifications and the format chooser."""
    return {"bibtex": "BibTeX", "apa": "APA 7", "markdown": "Markdown", "plain": "plain text"}[fmt]
