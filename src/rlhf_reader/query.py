"""The filter language shared by the TUI filter bar and ``rlhf-reader list --search``.

A query is a list of terms separated by spaces; a row must pass every term (AND):

``word``
    matches the title, authors, tags, note, key or — once fetched from arXiv — the abstract,
    case- and accent-insensitively, and forgiving one typo (:meth:`SearchIndex.ranked` and
    :func:`rank` put rows found in the other fields before rows found only in an
    abstract). Each query word must match within ONE word of the text:

    - 1–3 letters: the start of a word (``rl`` finds "RLHF", ``dpo`` finds "DPO");
    - with a digit: anywhere inside a word (``2305`` finds the key "2305.18290");
    - 4 letters: anywhere inside a word (``pref`` finds "Preference");
    - 5 letters: as above, or a whole word with one typo (a letter missing, extra or
      wrong, or two letters swapped; the first letter must be right): ``humna`` finds
      "Human", but ``human`` does not find "Huang";
    - 6–9 letters: as above, or the start of a word with one typo: ``prefrence`` finds
      "Preference", ``optimzation`` finds "Optimization", and while you type, ``prefre``
      already finds it, so results stay steady;
    - 10 letters or more: up to two typos.

    Punctuation splits a word into parts that must all match
    (``self-play``, ``KTO:``); hyphenated words in the text also match written together
    (``selfplay``).
``"a phrase"``
    the exact text (case-insensitive, runs of spaces count as one) in one field.
``tag:x``
    an entry with tag ``x`` (``tag:rl*``: a tag starting with ``rl``; ``tag:*``: any tag).
``status:unread|reading|read``
    a prefix is enough (``status:r`` is reading or read); several with commas.
``section:text``
    the section path (``Group › Section``) contains the text.
``year:2024``, ``year:>=2023`` (also ``>``, ``<``, ``<=``), ``year:2020..2023``
``abstract:word``, ``abstract:"a phrase"``
    the word (same rules as above) or the exact phrase in the fetched abstract only.
``is:new``
    entries first seen in the latest update of the list (the row's ``new`` flag, or the
    ``new_keys`` given to :class:`SearchIndex`, :func:`select` or :meth:`Query.matches`);
    ``is:unread``, ``is:reading`` and ``is:read`` are ``status:`` aliases.
``is:queued``, ``has:pdf``
    entries on the reading queue, entries whose PDF is on disk: the ``queued_keys`` and
    ``pdf_keys`` given, like ``new_keys`` (``Workspace.queued_keys()``, ``.pdf_keys()``).
``list:NAME``
    papers listed in the registered list ``NAME`` (the ``list_keys`` given: list name →
    its keys, ``lists.views.keys_by_list``); a name not among them raises
    :class:`QueryError` naming the lists there are.
a link or an arXiv id with ``arXiv:`` or a version (``https://arxiv.org/abs/2305.18290v2``)
    the entry with that key (ids without either are words: ``2305.18`` finds it as you type).
``-term``
    negates any term: ``-survey``, ``-tag:x``, ``-status:read``, ``-"reward model"``.

Field names are case-insensitive. ``name:value`` with a name that is not a field above is
an ordinary word (titles such as "KTO: Model Alignment as Prospect Theoretic Optimization").
A known field with a bad or missing value raises :class:`QueryError` naming the term.
An unclosed quote runs to the end of the query, so a half-typed phrase already filters.

:class:`SearchIndex` is what the TUI calls on every keystroke: it precomputes word lists and
bitsets once, caches the matches of each query word, and narrows from the previous
keystroke's matches when a word grows.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import compress
from operator import attrgetter
from typing import Any, NamedTuple

from rlhf_reader.gcpause import paused
from rlhf_reader.keys import entry_key, parse_arxiv_id
from rlhf_reader.library.records import Row
from rlhf_reader.model import Entry, Status
from rlhf_reader.valueclass import Value

__all__ = [
    "SYNTAX",
    "Query",
    "QueryError",
    "SearchIndex",
    "parse",
    "select",
]

SYNTAX = (
    'words (typos forgiven)  "exact phrase"  tag:x  status:unread|reading|read  '
    "section:text  year:2024  year:>=2023  is:new  is:queued  has:pdf  abstract:word  "
    "list:NAME  -term negates"
)
FIELDS = ("tag", "status", "section", "year", "is", "has", "abstract", "list")
_CACHE_LIMIT = 512

_TOKEN = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r"\w+(?:['’-]\w+)*")  # a word, or words joined by - or ' (or _)
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_YEAR = re.compile(r"(>=|<=|>|<|=)?(\d{4})")
_YEAR_RANGE = re.compile(r"(\d{4})(?:\.\.|-)(\d{4})")
_PASTED_ID = re.compile(r"(?i)arxiv:\S+|\d{4}\.\d{4,5}v\d+")
_BITS = bytes.maketrans(b"01", b"\x00\x01")


class QueryError(ValueError):
    """A term the language cannot read; ``term`` is that term as typed."""

    def __init__(self, term: str, problem: str) -> None:
        super().__init__(f"bad term {term!r}: {problem}")
        self.term = term


# --- terms --------------------------------------------------------------------------------


class Word(Value):
    """A word of the query, split into its letter/digit parts (all must match)."""

    parts: tuple[str, ...]
    negated: bool = False


class Phrase(Value):
    text: str
    negated: bool = False


class TagTerm(Value):
    tag: str
    prefix: bool = False
    negated: bool = False


class StatusTerm(Value):
    statuses: frozenset[Status]
    negated: bool = False


class SectionTerm(Value):
    text: str
    negated: bool = False


class YearTerm(Value):
    """Years from ``low`` to ``high``, both included; ``None`` is open."""

    low: int | None
    high: int | None
    negated: bool = False

    def accepts(self, year: int | None) -> bool:
        if year is None:
            return False
        return (self.low is None or year >= self.low) and (self.high is None or year <= self.high)


class NewTerm(Value):
    negated: bool = False


class KeyTerm(Value):
    """A pasted link or arXiv id: the entry with that key."""

    key: str
    negated: bool = False


class QueuedTerm(Value):
    """``is:queued``: on the reading queue."""

    negated: bool = False


class PdfTerm(Value):
    """``has:pdf``: its PDF is on disk."""

    negated: bool = False


class AbstractWord(Value):
    """``abstract:word``: every part matches a word of the fetched abstract."""

    parts: tuple[str, ...]
    negated: bool = False


class AbstractPhrase(Value):
    """``abstract:"a phrase"``: the exact text in the fetched abstract."""

    text: str
    negated: bool = False


class ListTerm(Value):
    """``list:NAME``: listed in the registered list ``NAME`` (lower-cased, as registered)."""

    name: str
    raw: str = ""
    negated: bool = False


Term = (
    Word
    | Phrase
    | TagTerm
    | StatusTerm
    | SectionTerm
    | YearTerm
    | NewTerm
    | KeyTerm
    | QueuedTerm
    | PdfTerm
    | AbstractWord
    | AbstractPhrase
    | ListTerm
)


class Marks(Value):
    """The keys that answer ``is:new``, ``is:queued`` and ``has:pdf`` (sets the caller
    knows: the library's what's-new marks, its queue, the PDFs on disk)."""

    new: Collection[str] = frozenset()
    queued: Collection[str] = frozenset()
    pdf: Collection[str] = frozenset()
    lists: Mapping[str, Collection[str]] | None = None
    """``list:NAME``: each registered list's keys (None: not known here)."""


def list_keys_of(term: ListTerm, lists: Mapping[str, Collection[str]] | None) -> Collection[str]:
    """The keys of the list ``term`` names; :class:`QueryError` when there is no such list."""
    if lists is None:
        raise QueryError(term.raw, "the registered lists are not known here")
    keys = lists.get(term.name)
    if keys is None:
        known = ", ".join(lists) or "none"
        raise QueryError(term.raw, f"no list named {term.name!r} (lists: {known})")
    return keys


# --- text folding and word matching -------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case without accents: ``"Schölkopf"`` → ``"scholkopf"``."""
    text = text.lower()
    if text.isascii():
        return text
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


def words_of(text: str) -> set[str]:
    """The folded words of ``text``, with hyphenated words also written together."""
    return _folded_words(fold(text))


def _folded_words(folded: str) -> set[str]:
    words = set(_CHUNK.findall(folded))
    if "-" in folded or "'" in folded or "’" in folded or "_" in folded:
        for chunk in [w for w in words if not w.isalnum()]:
            parts = _TOKEN.findall(chunk)
            words.discard(chunk)
            if parts:
                words.update(parts)
                words.add("".join(parts))
    return words


def typos_allowed(part: str) -> int:
    """How many typos a query word of this length may have."""
    n = len(part)
    return 0 if n <= 4 else 1 if n <= 9 else 2


def near(q: str, t: str, k: int, *, prefix: bool = True) -> bool:
    """Whether ``q`` is within ``k`` edits (a letter wrong, extra, missing, or two swapped)
    of a prefix of ``t`` (of all of ``t`` when ``prefix`` is false)."""
    n = min(len(q), len(t))
    i = 0
    while i < n and q[i] == t[i]:
        i += 1
    if i == len(q):
        return prefix or len(t) - i <= k
    if k == 0:
        return False
    if i == len(t):
        return len(q) - i <= k
    k -= 1
    return (
        near(q[i + 1 :], t[i + 1 :], k, prefix=prefix)  # a wrong letter
        or near(q[i + 1 :], t[i:], k, prefix=prefix)  # an extra letter
        or near(q[i:], t[i + 1 :], k, prefix=prefix)  # a missing letter
        or (
            q[i + 1 : i + 2] == t[i : i + 1]
            and q[i : i + 1] == t[i + 1 : i + 2]
            and near(q[i + 2 :], t[i + 2 :], k, prefix=prefix)  # two letters swapped
        )
    )


def _regime(part: str) -> tuple[str, int]:
    """How a query word matches. Within one regime, a word that extends another matches a
    subset of the other's matches (so the index narrows from the shorter word's matches)."""
    if len(part) <= 3:
        return ("start", 0)
    if len(part) == 4 or not part.isalpha():
        return ("inside", 0)
    if len(part) == 5:
        return ("word", 1)
    return ("prefix", typos_allowed(part))


def word_matches(part: str, word: str) -> bool:
    """Whether a (folded) query word matches one (folded) word of the text."""
    kind, k = _regime(part)
    if kind == "start":
        return word.startswith(part)
    if part in word:
        return True
    if kind == "inside" or word[:1] != part[:1]:
        return False
    return near(part, word, k, prefix=kind == "prefix")


# --- parsing ------------------------------------------------------------------------------


class Query(Value):
    """A parsed filter: every term must hold."""

    terms: tuple[Term, ...] = ()
    text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.terms

    def matches(
        self,
        row: Row,
        new_keys: Collection[str] = frozenset(),
        *,
        queued_keys: Collection[str] = frozenset(),
        pdf_keys: Collection[str] = frozenset(),
        list_keys: Mapping[str, Collection[str]] | None = None,
    ) -> bool:
        """Whether ``row`` passes every term (``new_keys``: keys that count as ``is:new``;
        ``queued_keys``: ``is:queued``; ``pdf_keys``: ``has:pdf``; ``list_keys``: each
        list's keys, for ``list:NAME``)."""
        facts = _RowFacts(row)
        marks = Marks(new_keys, queued_keys, pdf_keys, list_keys)
        for term in self.terms:
            if _row_term(term, row, facts, marks) == term.negated:
                return False
        return True

    @property
    def list_names(self) -> frozenset[str]:
        """The lists named by ``list:`` terms (a caller reads the lists only when asked)."""
        return frozenset(t.name for t in self.terms if isinstance(t, ListTerm))

    def rank(self, row: Row) -> int:
        """For a row that matches: 0 when every word and phrase of the query is found
        outside the abstract (a title, author, tag, note or key hit), 1 when one needed the
        abstract. Rows ranked 0 come first (:func:`rank`, :meth:`SearchIndex.ranked`)."""
        facts = _RowFacts(row)
        for term in self.terms:
            if term.negated:
                continue
            if isinstance(term, Word) and not _parts_in(term.parts, facts.words):
                return 1
            if isinstance(term, Phrase) and term.text not in facts.haystack:
                return 1
        return 0


def parse(text: str) -> Query:
    """The query written in ``text``; :class:`QueryError` names the first bad term."""
    terms: list[Term] = []
    for raw in _split(text):
        term = _term(raw)
        if term is not None:
            terms.append(term)
    return Query(tuple(terms), text)


def _split(text: str) -> list[str]:
    """Terms separated by white space; white space inside double quotes stays in the term."""
    out: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch.isspace() and not quoted:
            if current:
                out.append("".join(current))
                current = []
            continue
        current.append(ch)
    if current:
        out.append("".join(current))
    return out


def _unquote(value: str) -> str:
    if value.startswith('"'):
        value = value[1:]
        if value.endswith('"'):
            value = value[:-1]
    return value


def _term(raw: str) -> Term | None:
    body = raw
    negated = False
    if body.startswith("-"):
        negated, body = True, body[1:]
    if not body:
        return None  # a lone "-", half typed
    if body.startswith('"'):
        phrase = " ".join(fold(_unquote(body)).split())
        return Phrase(phrase, negated) if phrase else None
    key = _pasted_key(body)
    if key:
        return KeyTerm(key, negated)
    name, colon, value = body.partition(":")
    if colon and name.lower() in FIELDS:
        return _field(raw, name.lower(), _unquote(value).strip(), negated)
    parts = tuple(_TOKEN.findall(fold(body)))
    return Word(parts, negated) if parts else None


def _pasted_key(body: str) -> str | None:
    """The entry key of a pasted link (``https://…``) or arXiv id (``arXiv:…``, ``…v2``)."""
    if "://" in body:
        return entry_key(body)
    if _PASTED_ID.fullmatch(body):
        return parse_arxiv_id(body)
    return None


def _field(raw: str, name: str, value: str, negated: bool) -> Term:
    if not value:
        examples = {
            "tag": "tag:safety",
            "status": "status:unread",
            "section": "section:survey",
            "year": "year:2024",
            "is": "is:new",
            "has": "has:pdf",
            "abstract": "abstract:reward",
            "list": "list:awesome-rlhf",
        }
        raise QueryError(raw, f"needs a value (e.g. {examples[name]})")
    if name == "tag":
        tag = "-".join(fold(value).split())
        if tag.endswith("*"):
            return TagTerm(tag.rstrip("*"), prefix=True, negated=negated)
        return TagTerm(tag, negated=negated)
    if name == "status":
        return StatusTerm(_statuses(raw, value), negated)
    if name == "section":
        return SectionTerm(" ".join(fold(value).split()), negated)
    if name == "year":
        return _year(raw, value, negated)
    if name == "abstract":
        return _abstract(raw, value, negated)
    if name == "list":
        return ListTerm(value.lower(), raw, negated)
    word = value.lower()
    if name == "has":
        if word == "pdf":
            return PdfTerm(negated)
        raise QueryError(raw, "unknown value (use has:pdf)")
    # is:
    if word == "new":
        return NewTerm(negated)
    if word == "queued":
        return QueuedTerm(negated)
    if word in {s.value for s in Status}:
        return StatusTerm(frozenset({Status(word)}), negated)
    raise QueryError(raw, "unknown value (use is:new, is:queued, is:unread, is:reading or is:read)")


def _abstract(raw: str, value: str, negated: bool) -> Term:
    """``abstract:word`` (typos forgiven, as a word) or ``abstract:"a phrase"`` (exact)."""
    quoted = raw.partition(":")[2].lstrip().startswith('"')
    if quoted:
        text = " ".join(fold(value).split())
        if text:
            return AbstractPhrase(text, negated)
    else:
        parts = tuple(_TOKEN.findall(fold(value)))
        if parts:
            return AbstractWord(parts, negated)
    raise QueryError(raw, "needs a word or a quoted phrase (e.g. abstract:reward)")


def _statuses(raw: str, value: str) -> frozenset[Status]:
    found: set[Status] = set()
    for word in value.lower().split(","):
        word = word.strip()
        if not word:
            continue
        exact = [s for s in Status if s.value == word]
        matching = exact or [s for s in Status if s.value.startswith(word)]
        if not matching:
            raise QueryError(raw, "unknown status (use unread, reading or read)")
        found.update(matching)
    if not found:
        raise QueryError(raw, "unknown status (use unread, reading or read)")
    return frozenset(found)


def _year(raw: str, value: str, negated: bool) -> YearTerm:
    span = _YEAR_RANGE.fullmatch(value)
    if span:
        low, high = int(span[1]), int(span[2])
        return YearTerm(min(low, high), max(low, high), negated)
    match = _YEAR.fullmatch(value)
    if not match:
        raise QueryError(
            raw, "not a year (use e.g. year:2024, year:>=2023, year:<2020 or year:2020..2023)"
        )
    op, year = match[1] or "=", int(match[2])
    bounds: dict[str, tuple[int | None, int | None]] = {
        "=": (year, year),
        ">=": (year, None),
        ">": (year + 1, None),
        "<=": (None, year),
        "<": (None, year - 1),
    }
    return YearTerm(*bounds[op], negated)


# --- matching one row ---------------------------------------------------------------------


def _fields(row: Row) -> list[str]:
    """The text words and phrases are looked for in (authors from arXiv once fetched, else
    as the list wrote them)."""
    ann = row.annotation
    return field_list(row.entry, ann.tags, ann.note, row.metadata)


def field_list(
    entry: Entry, tags: Iterable[str], note: str, metadata: Mapping[str, Any] | None
) -> list[str]:
    """``_fields`` of the row of ``entry`` with these tags, note and arXiv record."""
    fetched = metadata.get("authors") if metadata else None
    authors = ", ".join(str(a) for a in fetched) if fetched else entry.authors
    return [entry.title, authors, " ".join(tags), note, entry.key]


def abstract_text(metadata: Mapping[str, Any] | None) -> str:
    """The abstract of an arXiv record as written ("" when there is none)."""
    abstract = metadata.get("abstract") if metadata else None
    return abstract if isinstance(abstract, str) else ""


def _haystack(row: Row) -> str:
    """The fields, folded, one a line, runs of white space as one space."""
    return fold("\n".join(" ".join(field.split()) for field in _fields(row)))


def _abstract_haystack(row: Row) -> str:
    """The fetched abstract, folded, runs of white space as one space ("" if none)."""
    abstract = row.metadata.get("abstract") if row.metadata else None
    return fold(" ".join(abstract.split())) if isinstance(abstract, str) else ""


def _words(haystack: str) -> frozenset[str]:
    return frozenset(_folded_words(haystack))


def _parts_in(parts: tuple[str, ...], *word_sets: frozenset[str]) -> bool:
    """Whether every query word part matches a word of one of ``word_sets``."""
    return all(any(word_matches(part, w) for words in word_sets for w in words) for part in parts)


def _is_new(row: Row, new_keys: Collection[str]) -> bool:
    return bool(getattr(row, "new", False)) or row.key in new_keys


class _RowFacts:
    """A row's words and phrase text, computed when a term first needs them."""

    __slots__ = ("_abstract", "_abstract_words", "_haystack", "_words", "row")

    def __init__(self, row: Row) -> None:
        self.row = row
        self._words: frozenset[str] | None = None
        self._haystack: str | None = None
        self._abstract: str | None = None
        self._abstract_words: frozenset[str] | None = None

    @property
    def abstract(self) -> str:
        if self._abstract is None:
            self._abstract = _abstract_haystack(self.row)
        return self._abstract

    @property
    def abstract_words(self) -> frozenset[str]:
        if self._abstract_words is None:
            self._abstract_words = _words(self.abstract)
        return self._abstract_words

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = _words(self.haystack)
        return self._words

    @property
    def haystack(self) -> str:
        if self._haystack is None:
            self._haystack = _haystack(self.row)
        return self._haystack


def _tag_matches(term: TagTerm, tags: Iterable[str]) -> bool:
    if term.prefix:
        return any(fold(t).startswith(term.tag) for t in tags)
    return any(fold(t) == term.tag for t in tags)


def _row_term(term: Term, row: Row, facts: _RowFacts, marks: Marks) -> bool:
    """Whether ``row`` matches ``term`` (ignoring its negation)."""
    if isinstance(term, Word):  # the abstract's words are made only when needed
        return all(
            _parts_in((part,), facts.words) or _parts_in((part,), facts.abstract_words)
            for part in term.parts
        )
    if isinstance(term, Phrase):
        return term.text in facts.haystack or term.text in facts.abstract
    if isinstance(term, AbstractWord):
        return _parts_in(term.parts, facts.abstract_words)
    if isinstance(term, AbstractPhrase):
        return term.text in facts.abstract
    if isinstance(term, QueuedTerm):
        return row.key in marks.queued
    if isinstance(term, PdfTerm):
        return row.key in marks.pdf
    if isinstance(term, TagTerm):
        return _tag_matches(term, row.annotation.tags)
    if isinstance(term, StatusTerm):
        return row.annotation.status in term.statuses
    if isinstance(term, SectionTerm):
        return term.text in fold(row.entry.section_path)
    if isinstance(term, YearTerm):
        return term.accepts(row.year)
    if isinstance(term, KeyTerm):
        return row.key == term.key
    if isinstance(term, ListTerm):
        return row.key in list_keys_of(term, marks.lists)
    return _is_new(row, marks.new)


def rank(rows: Iterable[Row], query: Query | str) -> list[Row]:
    """``rows`` (those :func:`select` gave for ``query``) with the ones found outside
    abstracts first (:meth:`Query.rank`), each group in the given order."""
    if isinstance(query, str):
        query = parse(query)
    ranked: tuple[list[Row], list[Row]] = ([], [])
    for row in rows:
        ranked[query.rank(row)].append(row)
    return ranked[0] + ranked[1]


# --- select: the CLI's filters ------------------------------------------------------------


def select(
    rows: Iterable[Row],
    *,
    status: str | None = None,
    tag: str | None = None,
    section: str | None = None,
    search: str | None = None,
    new_keys: Collection[str] = frozenset(),
    queued_keys: Collection[str] = frozenset(),
    pdf_keys: Collection[str] = frozenset(),
    list_keys: Mapping[str, Collection[str]] | None = None,
) -> list[Row]:
    """The rows that pass every given filter (the options of ``list`` and ``export``).

    ``status`` is one status exactly, ``tag`` one tag exactly, ``section`` a piece of the
    section path, ``search`` a query in the filter language (:class:`QueryError` if bad,
    also for a ``list:NAME`` not in ``list_keys``, even when there are no rows).
    """
    terms = filter_terms(status=status, tag=tag, section=section, search=search)
    check_lists(terms, list_keys)
    marks = Marks(new_keys, queued_keys, pdf_keys, list_keys)
    return select_terms(list(rows), terms, marks)


def filter_terms(
    *,
    status: str | None = None,
    tag: str | None = None,
    section: str | None = None,
    search: str | None = None,
) -> tuple[Term, ...]:
    """The terms :func:`select` tests for these options (:class:`QueryError` if bad)."""
    terms: list[Term] = []
    if status:
        try:
            terms.append(StatusTerm(frozenset({Status.parse(status)})))
        except ValueError as exc:
            raise QueryError(f"status:{status}", str(exc)) from None
    if tag and tag.strip():
        terms.append(TagTerm("-".join(fold(tag).split())))
    if section and section.strip():
        terms.append(SectionTerm(" ".join(fold(section).split())))
    if search:
        terms.extend(parse(search).terms)
    return tuple(terms)


def check_lists(terms: Iterable[Term], list_keys: Mapping[str, Collection[str]] | None) -> None:
    """:class:`QueryError` for a ``list:NAME`` term naming no list of ``list_keys``."""
    for term in terms:
        if isinstance(term, ListTerm):
            list_keys_of(term, list_keys)


_TEXT_TERMS = (Word, Phrase, AbstractWord, AbstractPhrase)


def is_text_term(term: Term) -> bool:
    """Whether ``term`` looks at the text (words, phrases), not at the tables."""
    return isinstance(term, _TEXT_TERMS)


class ItemFacts(NamedTuple):
    """How :func:`keep_structured` reads an item (a row, or an entry with the library's
    tables beside it): the values :meth:`Query.matches` reads of its row."""

    key: Callable[[Any], str]
    status: Callable[[Any], Status]
    tags: Callable[[Any], Any]
    section: Callable[[Any], tuple[str, ...]]
    year: Callable[[Any], int | None]
    new: Callable[[Any, Collection[str]], bool]


ROW_FACTS = ItemFacts(
    key=attrgetter("key"),
    status=lambda row: row.annotation.status,
    tags=lambda row: row.annotation.tags,
    section=lambda row: row.entry.section,
    year=attrgetter("year"),
    new=lambda row, new_keys: _is_new(row, new_keys),
)


def select_terms(rows: list[Row], terms: Sequence[Term], marks: Marks) -> list[Row]:
    """``[row for row in rows if Query(terms).matches(row, …marks)]``, answered a term at
    a time over all the rows instead of a row at a time over all the terms (the terms
    have no effects, so the order they are tested in does not change the answer): the
    structured terms (status, tag, section, year…) first, each in one pass with what it
    reads remembered per distinct value, then the words and phrases on the rows left,
    over their text folded in bulk (:class:`_Texts`). ``list --status read`` or
    ``list --search dpo`` at 100,000 rows made a ``Marks`` and a ``_RowFacts`` per row
    and folded and split every row's text (seconds)."""
    rows = keep_structured(rows, terms, marks, ROW_FACTS)
    text_terms = [term for term in terms if isinstance(term, _TEXT_TERMS)]
    if text_terms and rows:
        kept = select_text_terms(
            len(rows),
            text_terms,
            marks,
            main_texts=lambda: [FIELD_SEPARATOR.join(_fields(row)) for row in rows],
            abstract_texts=lambda: [abstract_text(row.metadata) for row in rows],
            row=rows.__getitem__,
        )
        rows = [rows[i] for i in kept]
    return rows


def keep_structured(
    items: list[Any], terms: Iterable[Term], marks: Marks, facts: ItemFacts
) -> list[Any]:
    """The items passing every term that is not a word or a phrase (those are skipped),
    read through ``facts``."""
    for term in terms:
        if not items:
            break
        if not isinstance(term, _TEXT_TERMS):
            items = _keep(items, term, marks, facts)
    return items


def _keep(items: list[Any], term: Term, marks: Marks, facts: ItemFacts) -> list[Any]:
    """The items ``_row_term`` answers ``not term.negated`` for (a structured term)."""
    negated = term.negated
    if isinstance(term, StatusTerm):
        statuses, status = term.statuses, facts.status
        return [item for item in items if (status(item) in statuses) != negated]
    if isinstance(term, TagTerm):
        return _keep_by(items, facts.tags, lambda t: _tag_matches(term, t), negated)
    if isinstance(term, SectionTerm):
        text = term.text
        return _keep_by(items, facts.section, lambda s: text in fold(" › ".join(s)), negated)
    if isinstance(term, YearTerm):
        accepts, year = term.accepts, facts.year
        return [item for item in items if accepts(year(item)) != negated]
    key_of = facts.key
    if isinstance(term, KeyTerm):
        key = term.key
        return [item for item in items if (key_of(item) == key) != negated]
    if isinstance(term, NewTerm):
        new, is_new = marks.new, facts.new
        return [item for item in items if is_new(item, new) != negated]
    if isinstance(term, QueuedTerm):
        keys = marks.queued
    elif isinstance(term, PdfTerm):
        keys = marks.pdf
    elif isinstance(term, ListTerm):
        keys = list_keys_of(term, marks.lists)
    else:  # pragma: no cover  (every structured term is one of the above)
        raise TypeError(f"not a structured term: {term!r}")
    return [item for item in items if (key_of(item) in keys) != negated]


def _keep_by(items: list[Any], value: Any, answer: Any, negated: bool) -> list[Any]:
    """The items whose ``answer(value(item))`` is not ``negated``, each distinct value
    answered once (tag tuples are shared between annotations, sections between entries)."""
    known: dict[Any, bool] = {}
    kept = []
    for item in items:
        got = value(item)
        try:
            hit = known[got]
        except KeyError:
            hit = known[got] = bool(answer(got))
        except TypeError:  # not hashable (tags given as a list): answered each time
            hit = bool(answer(got))
        if hit != negated:
            kept.append(item)
    return kept


# Two joiners in a row ("a--b", "x-'y"): the words of the text are no longer those of its
# alphanumeric runs once the joiners are taken out (see _Group); such rows are judged alone.
_IRREGULAR = re.compile("[-'’]{2}")
_SEPARATOR = "\n\x00\n"
FIELD_SEPARATOR = "\x01"
"""Between the fields of a row's text given to :func:`select_text_terms` (not white space:
a phrase does not run from one field into the next)."""


class _Group:
    """One field group of some rows (the main fields, or the abstracts), folded in bulk.

    ``texts[i]`` is row ``i``'s text folded as ``_haystack`` (``_abstract_haystack``)
    folds it, but with its white space as written (words do not depend on it); ``joined[i]``
    is that text without the joiners ``-``, ``'``, ``’`` and ``_``. For a row without two
    joiners in a row (not in ``irregular``), its words (``_folded_words``) are exactly the
    alphanumeric runs of ``texts[i]`` (the words, and the parts of hyphenated words) and
    those of ``joined[i]`` (the words, and hyphenated words written together); every word
    is a piece of ``joined[i]``. So a query word (:func:`word_matches`) matches a word of
    the row when:

    - ``inside``: it is in ``joined[i]``;
    - ``start``: it is there, at the start of a run of ``texts[i]`` or ``joined[i]``;
    - ``word``, ``prefix``: it is in ``joined[i]``, or one of the runs starting with its
      first letter that it matches with typos (found once in the whole text) is a whole
      run of ``texts[i]`` or ``joined[i]``.

    A row's fields are separated by :data:`FIELD_SEPARATOR` (``fields - 1`` of them a row),
    not white space: a phrase is not found across two fields. ``ascii`` tells whether every
    row is ASCII: then (and for each ASCII row, :meth:`phrase_rows`) a phrase is in the
    row's folded, white-space-normalised field exactly when its words, separated by any
    white space, are in ``texts[i]``.

    ``usable`` is False when a row's text holds a separator or a capital sigma (whose
    lower case depends on the letters around it): the caller then judges each row alone.
    """

    def __init__(self, raw: list[str], fields: int = 1) -> None:
        whole = _SEPARATOR.join(raw)
        self.usable = (
            whole.count("\x00") == len(raw) - 1
            and whole.count(FIELD_SEPARATOR) == (fields - 1) * len(raw)
            and "\u03a3" not in whole
        )
        self.ascii = whole.isascii()
        del whole
        if not self.usable:
            return
        self._raw = None if self.ascii else raw  # each row's ASCII-ness, only when it varies
        self._hits: dict[str, set[int]] = {}
        if self.ascii:
            self.texts, self.joined, self.irregular = _folded_rows(raw)
            return
        # A text with one character beyond ASCII is stored wider and every operation on it is
        # slower (lower() most): the ASCII rows are folded together, the others apart.
        plain = [i for i, text in enumerate(raw) if text.isascii()]
        other = [i for i, text in enumerate(raw) if not text.isascii()]
        texts: list[str] = [""] * len(raw)
        joined: list[str] = [""] * len(raw)
        self.irregular = set()
        for rows in (plain, other):
            if not rows:
                continue
            part_texts, part_joined, part_irregular = _folded_rows([raw[i] for i in rows])
            for i, text, bare in zip(rows, part_texts, part_joined, strict=True):
                texts[i], joined[i] = text, bare
            self.irregular.update(rows[i] for i in part_irregular)
        self.texts, self.joined = texts, joined

    def hits(self, part: str) -> set[int]:
        """The rows (not ``irregular``) with a word the query word ``part`` matches; for
        an irregular row the answer means nothing."""
        found = self._hits.get(part)
        if found is None:
            found = self._hits[part] = self._find(part)
        return found

    def _find(self, part: str) -> set[int]:
        kind, _k = _regime(part)
        joined = self.joined
        inside = {i for i, text in enumerate(joined) if part in text}
        if kind == "inside":
            return inside
        first = re.escape(part[0])
        before = f"(?<![^\\W_]{first})"  # the letter starts a run
        if kind == "start":
            starts = re.compile(re.escape(part) + f"(?<![^\\W_]{re.escape(part)})")
            texts = self.texts
            return {i for i in inside if starts.search(texts[i]) or starts.search(joined[i])}
        # Runs starting with the first letter, long enough to be matched with typos.
        runs = re.compile(f"{first}{before}[^\\W_]{{{max(len(part) - 3, 0)},}}")
        typos = {
            word
            for texts in (self.texts, self.joined)
            for word in set(runs.findall(_SEPARATOR.join(texts)))
            if part not in word and word_matches(part, word)
        }
        if not typos:
            return inside
        # Every word of a row is a piece of its joined text: the rows holding one of these
        # words there, then whether one is a whole run of either text.
        holding: set[int] = set()
        for word in typos:
            holding.update(i for i, text in enumerate(joined) if word in text)
        holding -= inside
        if not holding:
            return inside
        whole = "|".join(re.escape(word[1:]) for word in sorted(typos, key=len, reverse=True))
        pattern = re.compile(f"{first}{before}(?:{whole})(?![^\\W_])")
        texts = self.texts
        typed = {i for i in holding if pattern.search(texts[i]) or pattern.search(joined[i])}
        return inside | typed

    def has_pieces(self, pieces: list[str]) -> set[int]:
        """The rows whose text holds every piece (a phrase's words: a row whose folded,
        white-space-normalised text holds the phrase holds each of them)."""
        return {i for i, text in enumerate(self.texts) if all(p in text for p in pieces)}

    def phrase_rows(self, pieces: list[str], rows: Iterable[int]) -> tuple[set[int], set[int]]:
        """Of ``rows``: those whose ASCII text holds the phrase of these words (``found``),
        and those not ASCII (``unknown``: NFKD may have made spaces the white-space
        normalisation would have merged)."""
        pattern = re.compile("\\s+".join(map(re.escape, pieces)))
        raw, texts = self._raw, self.texts
        found, unknown = set(), set()
        for i in rows:
            if raw is not None and not raw[i].isascii():
                unknown.add(i)
            elif pattern.search(texts[i]):
                found.add(i)
        return found, unknown


def _folded_rows(raw: list[str]) -> tuple[list[str], list[str], set[int]]:
    """For :class:`_Group`: each row's text folded (:func:`fold`), without its joiners, and
    the rows with two joiners in a row — made over all the rows' text at once (a row is
    folded alike alone or between others: no capital sigma, separators that NFKD keeps)."""
    lowered = _SEPARATOR.join(raw).lower()
    if lowered.isascii():  # fold() of an ASCII text: lower-cased
        text = lowered
        texts = text.split(_SEPARATOR)
    else:  # the rest of fold(), row by row for the rows not ASCII
        texts = [t if t.isascii() else _unmarked(t) for t in lowered.split(_SEPARATOR)]
        text = _SEPARATOR.join(texts)
    del lowered
    joined = _strip_joiners(text).split(_SEPARATOR)
    irregular: set[int] = set()
    there = [joiner for joiner in "-'’" if joiner in text]
    pairs = [a + b for a in there for b in there]
    if any(pair in text for pair in pairs):  # str.find: faster than the regex
        irregular = {i for i, t in enumerate(texts) if _IRREGULAR.search(t)}
    if not len(texts) == len(joined) == len(raw):  # pragma: no cover  (separators checked)
        raise AssertionError("a row's text held a separator")
    return texts, joined, irregular


def _unmarked(lowered: str) -> str:
    """What :func:`fold` makes of a lower-cased text that is not ASCII."""
    return _MARKS.sub("", unicodedata.normalize("NFKD", lowered))


def _strip_joiners(text: str) -> str:
    return text.replace("-", "").replace("'", "").replace("’", "").replace("_", "")


def select_text_terms(
    count: int,
    terms: Sequence[Term],
    marks: Marks,
    *,
    main_texts: Callable[[], list[str]],
    abstract_texts: Callable[[], list[str]],
    row: Callable[[int], Row],
) -> list[int]:
    """The positions (of ``count`` items) passing every word and phrase of ``terms``, as
    :meth:`Query.matches` of each item's row answers: ``main_texts()`` gives each item's
    ``FIELD_SEPARATOR.join(_fields(its row))``, ``abstract_texts()`` its
    :func:`abstract_text`, and ``row(i)`` the row itself, asked only for the few items the
    bulk reading cannot answer (``list`` makes no row per entry for ``--search dpo``)."""
    return _Texts(count, marks, main_texts, abstract_texts, row).select(terms)


class _Texts:
    """The words and phrases of a query answered for many rows at once (:class:`_Group`),
    each row the bulk reading cannot answer (``irregular``, or every row when a group is not
    ``usable``) by ``_row_term`` as :meth:`Query.matches` answers it; a phrase is looked for
    with ``_row_term`` in the rows holding its words."""

    def __init__(
        self,
        count: int,
        marks: Marks,
        main_texts: Callable[[], list[str]],
        abstract_texts: Callable[[], list[str]],
        row: Callable[[int], Row],
    ) -> None:
        self.count = count
        self.marks = marks
        self._main_texts, self._abstract_texts, self._row = main_texts, abstract_texts, row
        self._main: _Group | None = None
        self._abstract: _Group | None = None
        self._facts: dict[int, tuple[Row, _RowFacts]] = {}

    def main(self) -> _Group:
        if self._main is None:
            self._main = _Group(self._main_texts(), fields=5)
        return self._main

    def abstract(self) -> _Group:
        if self._abstract is None:
            self._abstract = _Group(self._abstract_texts())
        return self._abstract

    def _exact(self, i: int, term: Term) -> bool:
        known = self._facts.get(i)
        if known is None:
            row = self._row(i)
            known = self._facts[i] = (row, _RowFacts(row))
        return _row_term(term, known[0], known[1], self.marks)

    def select(self, terms: Sequence[Term]) -> list[int]:
        alive = list(range(self.count))
        for term in terms:
            groups = [self.abstract()] if isinstance(term, (AbstractWord, AbstractPhrase)) else []
            if isinstance(term, (Word, Phrase)):
                groups = [self.main(), self.abstract()]
            if not all(group.usable for group in groups):
                alive = [i for i in alive if self._exact(i, term) != term.negated]
            else:
                alive = self._select(alive, term, groups)
            if not alive:
                break
        return alive

    def _select(self, alive: list[int], term: Term, groups: list[_Group]) -> list[int]:
        negated = term.negated
        if isinstance(term, (Phrase, AbstractPhrase)):
            pieces = term.text.split(" ")
            found = set().union(*(group.has_pieces(pieces) for group in groups))
            if len(pieces) == 1:
                # Without white space, the phrase is in the folded, white-space-normalised
                # text exactly when it is in the text folded as written (the same runs of
                # other characters): found is the answer.
                return [i for i in alive if (i in found) != negated]
            said: set[int] = set()
            unknown: set[int] = set()
            for group in groups:
                got, unsure = group.phrase_rows(pieces, found)
                said |= got
                unknown |= unsure
            unknown -= said
            return [
                i for i in alive if (self._exact(i, term) if i in unknown else i in said) != negated
            ]
        assert isinstance(term, (Word, AbstractWord))
        irregular = set().union(*(group.irregular for group in groups))
        hits: set[int] | None = None
        for part in term.parts:
            part_hits = set().union(*(group.hits(part) for group in groups))
            hits = part_hits if hits is None else hits & part_hits
        assert hits is not None
        return [
            i for i in alive if (self._exact(i, term) if i in irregular else i in hits) != negated
        ]


# --- the index for the filter bar ---------------------------------------------------------


def _mask(indices: Iterable[int], size: int) -> int:
    """An int with bit ``i`` set for every ``i`` in ``indices``."""
    if not isinstance(indices, (list, array)):
        indices = list(indices)
    if len(indices) < 32:
        mask = 0
        for i in indices:
            mask |= 1 << i
        return mask
    buf = bytearray((size + 7) // 8)
    for i in indices:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def _bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``, lowest first."""
    if not mask:
        return []
    digits = format(mask, "b")[::-1].encode("ascii").translate(_BITS)
    return list(compress(range(len(digits)), digits))


_DENSE = 32
"""A set holding more than one row in ``_DENSE`` is kept as a bitset (``size / 8`` bytes),
a smaller one as its sorted row numbers (4 bytes a row): never more than 4 bytes a row."""

RowSet = int | array
"""Rows as a bitset (an int >= 0, bit ``i`` for row ``i``), as sorted row numbers, or one
row ``i`` alone as the negative int ``~i``."""


class _RowSets:
    """Which rows have each value (a word, a tag, a year…), in memory linear in the rows.

    A bitset per value would cost ``i / 8`` bytes for a word found only in row ``i``: the
    index of a list whose rows each have a word of their own (a number in the title, a
    name) grew with the square of its length (677 MB for 100,000 rows). Here a value found
    in few rows keeps their numbers; one found in many keeps a bitset, which is then the
    smaller. Queries still combine bitsets (one of ``size / 8`` bytes per term).

    A value of one row (at 100,000 rows, nearly every word of a list whose rows each have
    a word of their own) keeps that row as ``~i``: an int (32 bytes), not an array (80).
    """

    __slots__ = ("sets", "size")

    def __init__(self, by_value: Mapping[Any, Sequence[int] | int], size: int) -> None:
        """``by_value``: each value's rows, in order (a row number alone: that row only)."""
        self.size = size
        self.sets: dict[Any, RowSet] = {v: self._pack(ix) for v, ix in by_value.items()}

    @classmethod
    def adopt(cls, by_value: dict[Any, Any], size: int) -> _RowSets:
        """The row sets of ``by_value`` (as ``__init__`` takes it), made in that dict: its
        rows are replaced by their packed form, and a second dict of every word of the
        text is not made (5 MB at 100,000 rows, while the first still held every row)."""
        made = cls({}, size)
        pack = made._pack
        for value, rows in by_value.items():
            by_value[value] = pack(rows)  # (a value replaced, not added: safe while iterating)
        made.sets = by_value
        return made

    @classmethod
    def of_masks(cls, masks: Mapping[Any, int], size: int) -> _RowSets:
        """The row sets of each value's bitset (none for an empty one)."""
        made = cls({}, size)
        for value, mask in masks.items():
            if mask:
                made.sets[value] = mask if mask.bit_count() * _DENSE > size else made._sparse(mask)
        return made

    def _pack(self, indices: Sequence[int] | int) -> RowSet:
        if isinstance(indices, int):
            indices = [indices]
        if len(indices) * _DENSE > self.size:
            return _mask(indices, self.size)
        if len(indices) == 1:
            return ~indices[0]
        return (
            indices if type(indices) is array and indices.typecode == "I" else array("I", indices)
        )

    def __contains__(self, value: object) -> bool:
        return value in self.sets

    def __iter__(self) -> Iterator[Any]:
        return iter(self.sets)

    def __len__(self) -> int:
        return len(self.sets)

    def mask(self, value: object) -> int:
        """The rows having ``value``, as a bitset (0 if none)."""
        found = self.sets.get(value)
        if found is None:
            return 0
        if isinstance(found, int):
            return found if found >= 0 else 1 << ~found
        return _mask(found, self.size)

    def masks_of(self, values: Iterable[object]) -> int:
        """The rows having any of ``values``, as one bitset."""
        result = 0
        numbers: list[int] = []
        sets = self.sets
        for value in values:
            found = sets.get(value)
            if found is None:
                continue
            if not isinstance(found, int):
                numbers.extend(found)
            elif found >= 0:
                result |= found
            else:
                numbers.append(~found)
        return result | _mask(numbers, self.size) if numbers else result

    def add(self, value: object, i: int) -> bool:
        """Row ``i`` has ``value`` now; True if no row had it before."""
        found = self.sets.get(value)
        if found is None:
            self.sets[value] = self._pack([i])
            return True
        if isinstance(found, int) and found < 0:
            if ~found != i:
                self.sets[value] = self._pack(sorted((~found, i)))
            return False
        if isinstance(found, int):
            self.sets[value] = found | (1 << i)
            return False
        at = bisect_left(found, i)
        if at == len(found) or found[at] != i:
            found.insert(at, i)
            if len(found) * _DENSE > self.size:
                self.sets[value] = _mask(found, self.size)
        return False

    def discard(self, value: object, i: int) -> bool:
        """Row ``i`` no longer has ``value``; True if no row has it any more."""
        found = self.sets.get(value)
        if found is None:
            return False
        if isinstance(found, int) and found < 0:
            if ~found != i:
                return False
            del self.sets[value]
            return True
        if isinstance(found, int):
            found &= ~(1 << i)
            if not found:
                del self.sets[value]
                return True
            count = found.bit_count()
            self.sets[value] = found if count * _DENSE * 2 > self.size else self._sparse(found)
            return False
        at = bisect_left(found, i)
        if at < len(found) and found[at] == i:
            del found[at]
            if not found:
                del self.sets[value]
                return True
            if len(found) == 1:
                self.sets[value] = ~found[0]
        return False

    @staticmethod
    def _sparse(mask: int) -> RowSet:
        rows = _bits(mask)
        return ~rows[0] if len(rows) == 1 else array("I", rows)

    def nbytes(self) -> int:
        """The memory the sets take (their buffers, not the dict)."""
        return sum(
            s.itemsize * len(s)
            if not isinstance(s, int)
            else (s.bit_length() + 7) // 8
            if s >= 0
            else 4
            for s in self.sets.values()
        )


class _WordBits:
    """Which rows have which words (one field group: the main fields, or the abstracts):
    the rows of each word and of each first letter, and the query words asked so far."""

    def __init__(self, row_words: Iterable[frozenset[str]]) -> None:
        # Each row's words are not kept (at 100,000 rows with notes their sets and strings
        # took ~250 MB; issue 17): :meth:`update` is given the old ones, from the haystack.
        size = 0
        # Each word's rows: the row number alone until a second row has it (most words of
        # a long list are in one row: a list each was 9 MB more at the build's peak), then
        # an array (4 bytes a row, not a list's 8: the common words and letters have most).
        by_word: dict[str, array[int] | int] = {}
        first_row = by_word.setdefault
        for i, words in enumerate(row_words):
            size = i + 1
            for word in words:
                found = first_row(word, i)
                if found is i:  # (the object just stored: this row is the word's first)
                    continue
                if type(found) is int:
                    by_word[word] = array("I", (found, i))
                else:
                    found.append(i)  # type: ignore[union-attr]
        self.words = _RowSets.adopt(by_word, size)
        # the words of each first letter (lists: a set per letter was 4 MB more at 100,000)
        self.by_first: dict[str, list[str]] = {}
        for word in by_word:
            self.by_first.setdefault(word[0], []).append(word)
        # rows with a word starting with this letter: a one-letter query word, at once (made
        # from the words' rows: gathered row by row, they were 4 MB more and 0.1 s of CPU)
        self.letters = _RowSets.of_masks(
            {letter: self.words.masks_of(words) for letter, words in self.by_first.items()},
            size,
        )
        # query word → (matching words of the text, rows having one of them)
        self.parts: dict[str, tuple[frozenset[str], int]] = {}
        # every word of the text, their start offsets and "\n".join(words), made when needed
        self.vocab: tuple[list[str], array[int], str] | None = None
        if by_word:
            self._make_vocab()

    def update(self, i: int, old_words: frozenset[str], words: frozenset[str]) -> None:
        """Row ``i`` had ``old_words`` and now has ``words``."""
        if words == old_words:
            return
        bit = 1 << i
        old_letters, letters = {w[0] for w in old_words}, {w[0] for w in words}
        for letter in old_letters - letters:
            self.letters.discard(letter, i)
        for letter in letters - old_letters:
            self.letters.add(letter, i)
        gone, added = set(), set()
        for word in old_words - words:
            if self.words.discard(word, i):
                self.by_first[word[0]].remove(word)
                gone.add(word)
        for word in words - old_words:
            if self.words.add(word, i):
                added.add(word)
                self.by_first.setdefault(word[0], []).append(word)
        if gone or added:
            self.vocab = None
        # Keep the remembered query words right instead of forgetting them.
        for part, (matched, mask) in list(self.parts.items()):
            if gone or added:
                matched = frozenset((matched - gone) | {w for w in added if word_matches(part, w)})
            hit = not matched.isdisjoint(words)
            self.parts[part] = (matched, (mask & ~bit) | (bit if hit else 0))

    def part_mask(self, part: str) -> int:
        """The rows with a word that the query word ``part`` matches."""
        if len(part) == 1:
            return self.letters.mask(part)
        cached = self.parts.get(part)
        if cached is not None:
            return cached[1]
        regime = _regime(part)
        words: frozenset[str] | None = None
        for end in range(len(part) - 1, 0, -1):
            shorter = part[:end]
            if _regime(shorter) != regime:
                break
            if shorter in self.parts:  # typed one letter more: narrow its matches
                words = frozenset(w for w in self.parts[shorter][0] if word_matches(part, w))
                break
        if words is None:
            words = self._scan(part, regime)
        mask = self.words.masks_of(words)
        if len(self.parts) >= _CACHE_LIMIT:
            self.parts.clear()
        self.parts[part] = (words, mask)
        return mask

    def _scan(self, part: str, regime: tuple[str, int]) -> frozenset[str]:
        """The words of the text ``part`` matches (:func:`word_matches`), found quickly."""
        kind, k = regime
        first = self.by_first.get(part[0], ())
        if kind == "start":
            return frozenset(w for w in first if w.startswith(part))
        found = self._containing(part)
        if kind != "inside":
            low, high = len(part) - k, len(part) + k if kind == "word" else 1 << 30
            prefix = kind == "prefix"
            found.update(
                w for w in first if low <= len(w) <= high and near(part, w, k, prefix=prefix)
            )
        return frozenset(found)

    def _make_vocab(self) -> tuple[list[str], array[int], str]:
        vocab = list(self.words)
        starts = array("q", [0])  # (not a list of ints: 4 MB at 100,000 rows)
        at = 0
        for word in vocab:
            at += len(word) + 1
            starts.append(at)
        self.vocab = (vocab, starts, "\n".join(vocab))
        return self.vocab

    def _containing(self, part: str) -> set[str]:
        """The words of the text with ``part`` inside (one C-speed search of all of them)."""
        vocab, starts, text = self.vocab or self._make_vocab()
        found = set()
        pos = text.find(part)
        while pos >= 0:
            j = bisect_right(starts, pos) - 1
            found.add(vocab[j])
            pos = text.find(part, starts[j + 1])
        return found


class SearchIndex:
    """Rows prepared for filtering on every keystroke.

    Build it once (``SearchIndex(rows)``); call :meth:`update` when a row's annotation (or
    its fetched metadata: authors, abstract) changed, :meth:`set_new_keys`,
    :meth:`set_queued_keys` and :meth:`set_pdf_keys` when those marks changed;
    :meth:`filter` returns the matching keys in list order, :meth:`ranked` with abstract-only
    hits last. It gives the same answers as :meth:`Query.matches` and :meth:`Query.rank`.
    """

    _CACHE_LIMIT = _CACHE_LIMIT

    def __init__(
        self,
        rows: Iterable[Row],
        *,
        new_keys: Collection[str] = frozenset(),
        queued_keys: Collection[str] = frozenset(),
        pdf_keys: Collection[str] = frozenset(),
        list_keys: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        with paused():  # 100,000s of sets and lists and no cycles (see gcpause)
            self._build(rows, new_keys, queued_keys, pdf_keys, list_keys)

    def _build(
        self,
        rows: Iterable[Row],
        new_keys: Collection[str],
        queued_keys: Collection[str],
        pdf_keys: Collection[str],
        list_keys: Mapping[str, Collection[str]] | None,
    ) -> None:
        self._rows = list(rows)
        size = len(self._rows)
        self._all = (1 << size) - 1
        self._keys = [row.key for row in self._rows]
        # Where each key is: its row, and for a key listed twice every row (a list per key
        # was 6 MB at 100,000 rows, kept for as long as the TUI runs).
        self._first: dict[str, int] = {}
        self._more: dict[str, list[int]] = {}
        for i, key in enumerate(self._keys):
            first = self._first.setdefault(key, i)
            if first != i:
                self._more.setdefault(key, [first]).append(i)
        self._duplicates = bool(self._more)
        self._haystacks = [_haystack(row) for row in self._rows]
        self._abstracts = [_abstract_haystack(row) for row in self._rows]
        self._main = _WordBits(_words(h) for h in self._haystacks)
        self._abstract = _WordBits(_words(a) for a in self._abstracts)

        by_year: dict[int, list[int]] = {}
        by_section: dict[str, list[int]] = {}
        for i, row in enumerate(self._rows):
            if row.year is not None:
                by_year.setdefault(row.year, []).append(i)
            by_section.setdefault(fold(row.entry.section_path), []).append(i)
        self._years = _RowSets(by_year, size)
        self._sections = _RowSets(by_section, size)
        self._build_annotation_masks()
        self._new_keys: frozenset[str] = frozenset()
        self._new_mask = 0
        self.set_new_keys(new_keys)
        self._queued_mask = self._keys_mask(queued_keys)
        self._pdf_mask = self._keys_mask(pdf_keys)
        self._list_keys: Mapping[str, Collection[str]] | None = None
        self._list_masks: dict[str, int] = {}
        self.set_list_keys(list_keys)
        self._queries: dict[str, Query] = {}
        self._last: tuple[str, list[str]] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> list[Row]:
        return list(self._rows)

    # -- keeping it current

    def _build_annotation_masks(self) -> None:
        size = len(self._rows)
        by_status: dict[Status, list[int]] = {}
        by_tag: dict[str, list[int]] = {}
        for i, row in enumerate(self._rows):
            by_status.setdefault(row.annotation.status, []).append(i)
            for tag in row.annotation.tags:
                by_tag.setdefault(fold(tag), []).append(i)
        self._statuses = _RowSets(by_status, size)
        self._tags = _RowSets(by_tag, size)

    def _positions(self, key: str) -> Sequence[int]:
        """The rows listing ``key``, in order (none when it is not indexed)."""
        more = self._more.get(key)
        if more is not None:
            return more
        first = self._first.get(key)
        return () if first is None else (first,)

    def _keys_mask(self, keys: Collection[str]) -> int:
        return _mask(
            [i for key in frozenset(keys) for i in self._positions(key)],
            len(self._rows),
        )

    def set_new_keys(self, keys: Collection[str]) -> None:
        """The keys ``is:new`` matches (besides rows whose ``new`` flag is set)."""
        self._new_keys = frozenset(keys)
        self._new_mask = _mask(
            [i for i, row in enumerate(self._rows) if _is_new(row, self._new_keys)],
            len(self._rows),
        )
        self._last = None

    def set_queued_keys(self, keys: Collection[str]) -> None:
        """The keys ``is:queued`` matches (``Workspace.queued_keys()``)."""
        self._queued_mask = self._keys_mask(keys)
        self._last = None

    def set_pdf_keys(self, keys: Collection[str]) -> None:
        """The keys ``has:pdf`` matches (``Workspace.pdf_keys()``, after a download)."""
        self._pdf_mask = self._keys_mask(keys)
        self._last = None

    def set_list_keys(self, lists: Mapping[str, Collection[str]] | None) -> None:
        """Each registered list's keys, for ``list:NAME`` (None: not known yet)."""
        self._list_keys = lists
        self._list_masks = {}
        self._last = None

    def update(self, row: Row) -> bool:
        """Take the changed status, tags, note, fetched metadata (or new flag) of ``row``;
        False if not indexed.

        A key listed twice keeps each listing's own entry (title, section).
        """
        positions = self._positions(row.key)
        if not positions:
            return False
        for i in positions:
            old = self._rows[i]
            new = row if old.entry == row.entry else replace(row, entry=old.entry)
            self._update_at(i, old, new)
        self._last = None
        return True

    def _update_at(self, i: int, old: Row, row: Row) -> None:
        bit = 1 << i
        self._rows[i] = row
        old_haystack, old_abstract = self._haystacks[i], self._abstracts[i]
        haystack = self._haystacks[i] = _haystack(row)
        abstract = self._abstracts[i] = _abstract_haystack(row)
        self._move(self._statuses, old.annotation.status, row.annotation.status, i)
        self._move(self._years, old.year, row.year, i)
        for tag in {fold(t) for t in old.annotation.tags}:
            self._tags.discard(tag, i)
        for tag in {fold(t) for t in row.annotation.tags}:
            self._tags.add(tag, i)
        if _is_new(row, self._new_keys):
            self._new_mask |= bit
        else:
            self._new_mask &= ~bit
        self._main.update(i, _words(old_haystack), _words(haystack))
        self._abstract.update(i, _words(old_abstract), _words(abstract))

    @staticmethod
    def _move(sets: _RowSets, old: object, new: object, i: int) -> None:
        """Move row ``i`` from the rows of ``old`` to those of ``new`` (``None``: none)."""
        if old is not None:
            sets.discard(old, i)
        if new is not None:
            sets.add(new, i)

    def nbytes(self) -> int:
        """The memory of the index's row sets (words, letters, tags, years…), in bytes:
        linear in the rows (about 4 bytes per word of a row at most)."""
        sets = (self._main.words, self._main.letters, self._abstract.words)
        more = (self._abstract.letters, self._years, self._sections, self._statuses, self._tags)
        return sum(s.nbytes() for s in (*sets, *more))

    # -- filtering

    def query(self, text: str) -> Query:
        """``parse(text)``, remembered."""
        query = self._queries.get(text)
        if query is None:
            query = parse(text)
            if len(self._queries) >= self._CACHE_LIMIT:
                self._queries.clear()
            self._queries[text] = query
        return query

    def filter(self, query: Query | str) -> list[str]:
        """The keys of the rows matching ``query``, in list order, each once.

        A string is parsed first (:class:`QueryError` if it has a bad term: while the user
        types ``year:20``, keep showing the last good result with the message).
        """
        text = query if isinstance(query, str) else None
        if text is not None:
            if self._last is not None and self._last[0] == text:
                return list(self._last[1])
            query = self.query(text)
        assert isinstance(query, Query)
        keys = self._keys_of(self.mask(query))
        if text is not None:
            self._last = (text, keys)
            return list(keys)
        return keys

    def ranked(self, query: Query | str) -> list[str]:
        """:meth:`filter`'s keys, those found outside abstracts first (each group in list
        order): what :func:`rank` gives for the rows."""
        if isinstance(query, str):
            query = self.query(query)
        mask = self.mask(query)
        strong = self._strong_mask(query, mask)
        first = self._keys_of(strong)
        rest = self._keys_of(mask & ~strong)
        if self._duplicates:  # a key listed twice ranks by its best listing
            seen = set(first)
            rest = [k for k in rest if k not in seen]
        return first + rest

    def abstract_only(self, query: Query | str) -> set[str]:
        """The keys :meth:`filter` gives that were found only through an abstract (a view
        may show them below, or mark them)."""
        if isinstance(query, str):
            query = self.query(query)
        mask = self.mask(query)
        strong = set(self._keys_of(self._strong_mask(query, mask)))
        return {k for k in self._keys_of(mask) if k not in strong}

    def _strong_mask(self, query: Query, mask: int) -> int:
        """Those of ``mask`` whose every word and phrase is found outside the abstract."""
        for term in query.terms:
            if term.negated or not mask:
                continue
            if isinstance(term, Word):
                for part in term.parts:
                    mask &= self._main.part_mask(part)
            elif isinstance(term, Phrase):
                for i in _bits(mask):
                    if term.text not in self._haystacks[i]:
                        mask &= ~(1 << i)
        return mask

    def mask(self, query: Query) -> int:
        """The matching rows as a bitset (bit ``i`` for the ``i``-th row)."""
        mask = self._all
        phrases: list[Phrase | AbstractPhrase] = []
        for term in query.terms:
            if isinstance(term, (Phrase, AbstractPhrase)):
                phrases.append(term)
                continue
            term_mask = self._term_mask(term)
            mask = mask & ~term_mask if term.negated else mask & term_mask
            if not mask:
                return 0
        for phrase in phrases:
            haystacks, abstracts = self._haystacks, self._abstracts
            in_main = isinstance(phrase, Phrase)
            for i in _bits(mask):
                found = phrase.text in abstracts[i] or (in_main and phrase.text in haystacks[i])
                if found == phrase.negated:
                    mask &= ~(1 << i)
        return mask

    def _keys_of(self, mask: int) -> list[str]:
        keys = self._keys
        found = [keys[i] for i in _bits(mask)]
        if self._duplicates:
            found = list(dict.fromkeys(found))
        return found

    def _term_mask(self, term: Term) -> int:
        if isinstance(term, Word):
            mask = self._all
            for part in term.parts:
                mask &= self._main.part_mask(part) | self._abstract.part_mask(part)
                if not mask:
                    break
            return mask
        if isinstance(term, AbstractWord):
            mask = self._all
            for part in term.parts:
                mask &= self._abstract.part_mask(part)
                if not mask:
                    break
            return mask
        if isinstance(term, TagTerm):
            if term.prefix:
                return self._tags.masks_of(t for t in self._tags if t.startswith(term.tag))
            return self._tags.mask(term.tag)
        if isinstance(term, StatusTerm):
            return self._statuses.masks_of(term.statuses)
        if isinstance(term, SectionTerm):
            return self._sections.masks_of(s for s in self._sections if term.text in s)
        if isinstance(term, YearTerm):
            return self._years.masks_of(y for y in self._years if term.accepts(y))
        if isinstance(term, NewTerm):
            return self._new_mask
        if isinstance(term, QueuedTerm):
            return self._queued_mask
        if isinstance(term, PdfTerm):
            return self._pdf_mask
        if isinstance(term, KeyTerm):
            return _or(1 << i for i in self._positions(term.key))
        if isinstance(term, ListTerm):
            keys = list_keys_of(term, self._list_keys)
            if term.name not in self._list_masks:
                self._list_masks[term.name] = self._keys_mask(keys)
            return self._list_masks[term.name]
        raise TypeError(f"not a term the index knows: {term!r}")  # pragma: no cover


def _or(masks: Iterable[int]) -> int:
    result = 0
    for mask in masks:
        result |= mask
    return result
