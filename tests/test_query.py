"""The filter language: parsing, matching one row, select(), and the SearchIndex that the TUI
calls on every keystroke (which must give the same answers as matching row by row)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST

from rlhf_reader.library.records import Row, rows
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.query import (
    KeyTerm,
    NewTerm,
    Phrase,
    Query,
    QueryError,
    SearchIndex,
    SectionTerm,
    StatusTerm,
    TagTerm,
    Word,
    YearTerm,
    fold,
    near,
    parse,
    select,
    word_matches,
    words_of,
)

# --- a small library ----------------------------------------------------------------------


def make_row(
    key: str,
    title: str,
    *,
    authors: str = "",
    year: int | None = None,
    section: tuple[str, ...] = ("Papers", "Methods"),
    status: Status = Status.UNREAD,
    tags: tuple[str, ...] = (),
    note: str = "",
) -> Row:
    entry = Entry(
        key=key, title=title, url=f"https://arxiv.org/abs/{key}", section=section,
        authors=authors, year=year,
    )  # fmt: skip
    return Row(entry, Annotation(key=key, status=status, tags=tags, note=note))


ROWS = [
    make_row(
        "2305.18290",
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
        authors="Rafael Rafailov, Archit Sharma, Eric Mitchell",
        year=2023,
        status=Status.READ,
        tags=("dpo", "must-read"),
        note="Closed-form policy; compare with **PPO**.",
    ),
    make_row(
        "2402.01306",
        "KTO: Model Alignment as Prospect Theoretic Optimization",
        authors="Kawin Ethayarajh, Winnie Xu",
        year=2024,
        status=Status.READING,
        tags=("dpo",),
    ),
    make_row(
        "2203.02155",
        "Training language models to follow instructions with human feedback",
        authors="Long Ouyang, Jeff Wu",
        year=2022,
        section=("Papers", "RLHF for LLMs"),
        tags=("classic",),
        note="InstructGPT. Self-play is not used.",
    ),
    make_row(
        "2310.12036",
        "A General Theoretical Paradigm to Understand Learning from Human Preferences",
        authors="Mohammad Gheshlaghi Azar, Mark Rowland",
        year=2023,
        section=("Papers", "Review/Survey"),
    ),
    make_row(
        "huggingface.co/blog/rlhf",
        "Illustrating Reinforcement Learning from Human Feedback (RLHF)",
        authors="Nathan Lambert",
        section=("Blogs/Talks/Reports", "Blogs"),
        status=Status.READ,
        note="Great overview by Lambert.",
    ),
    make_row(
        "2401.01335",
        "Self-Play Fine-Tuning Converts Weak Language Models to Strong Language Models",
        authors="Zixiang Chen, Yihe Deng, Quanquan Gu",
        year=2024,
        tags=("self-play",),
    ),
    make_row(
        "1909.08593",
        "Fine-Tuning Language Models from Human Preferences",
        authors="Daniel M. Ziegler, Nisan Stiennon, Bernhard Schölkopf",
        year=2019,
        section=("Papers", "Classic"),
        status=Status.READ,
    ),
]
ALL = [row.key for row in ROWS]
DPO, KTO, INSTRUCT, THEORY, BLOG, SPIN, ZIEGLER = ALL


def by_rows(text: str, new_keys: frozenset[str] = frozenset()) -> list[str]:
    query = parse(text)
    return [row.key for row in ROWS if query.matches(row, new_keys)]


def by_index(text: str, new_keys: frozenset[str] = frozenset()) -> list[str]:
    return SearchIndex(ROWS, new_keys=new_keys).filter(text)


BOTH = pytest.mark.parametrize("run", [by_rows, by_index], ids=["matches", "index"])


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query_word", "text_word", "expected"),
    [
        # 1-3 letters: the start of a word only
        ("rl", "rlhf", True),
        ("dpo", "dpo", True),
        ("hf", "rlhf", False),
        ("or", "for", False),
        # with a digit: anywhere inside
        ("2305", "2305", True),
        ("0529", "18290529", True),
        ("2306", "2305", False),
        # 4 letters: anywhere inside, no typo
        ("pref", "preference", True),
        ("ence", "preference", True),
        ("perf", "preference", False),
        # 5 letters: inside, or the whole word with one typo
        ("humna", "human", True),
        ("huamn", "human", True),
        ("human", "huang", False),
        ("human", "humans", True),
        ("polic", "policy", True),
        ("model", "models", True),
        ("modle", "model", True),
        ("modle", "modeling", False),
        ("jodel", "model", False),  # the first letter must be right
        # 6-9 letters: the start of a word with one typo
        ("prefrence", "preference", True),
        ("prefrence", "preferences", True),
        ("preferecne", "preference", True),  # two letters swapped
        ("prefre", "preference", True),  # half typed, already found
        ("feedbak", "feedback", True),
        ("feedbakk", "feedback", True),
        ("rewrad", "reward", True),
        ("reward", "rewrite", False),
        ("prefrance", "preference", False),  # two typos in nine letters
        ("reference", "preference", True),  # inside the word
        ("preference", "reference", False),
        ("alignment", "assignment", False),
        # 10+ letters: two typos
        ("optmizaton", "optimization", True),
        ("reinfrocment", "reinforcement", True),
        ("reinfroment", "reinforcement", False),  # three typos
    ],
)
def test_word_matching(query_word: str, text_word: str, expected: bool) -> None:
    assert word_matches(query_word, text_word) is expected


@pytest.mark.parametrize(
    ("q", "t", "k", "prefix", "expected"),
    [
        ("abc", "abcdef", 0, True, True),
        ("abc", "abcdef", 0, False, False),
        ("abx", "abc", 1, False, True),
        ("ab", "abc", 1, False, True),
        ("abcd", "abc", 1, False, True),
        ("bac", "abc", 1, False, True),
        ("bca", "abc", 1, False, False),
        ("bca", "abc", 2, False, True),
        ("xyz", "abc", 2, True, False),
    ],
)
def test_near(q: str, t: str, k: int, prefix: bool, expected: bool) -> None:
    assert near(q, t, k, prefix=prefix) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Schölkopf", "scholkopf"),
        ("ÉCOLE naïve", "ecole naive"),
        ("ﬁne", "fine"),
        ("RLHF", "rlhf"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_words_of_splits_underscores_too() -> None:
    assert words_of("__init__ trl_x _") == {"init", "trl", "x", "trlx"}


def test_words_of_splits_punctuation_and_joins_hyphenated_words() -> None:
    assert words_of("Self-Play, KTO: 2305.18290 Schölkopf") == {
        "self", "play", "selfplay", "kto", "2305", "18290", "scholkopf",
    }  # fmt: skip


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("", ()),
        ("   ", ()),
        ("-", ()),
        ('""', ()),
        ("Preference", (Word(("preference",)),)),
        ("-survey", (Word(("survey",), negated=True),)),
        ("KTO:", (Word(("kto",)),)),
        ("self-play", (Word(("self", "play")),)),
        ("foo:bar", (Word(("foo", "bar")),)),
        ('"Direct  Preference"', (Phrase("direct preference"),)),
        ('"direct pref', (Phrase("direct pref"),)),  # unclosed: to the end
        ('-"reward model"', (Phrase("reward model", negated=True),)),
        ("tag:DPO", (TagTerm("dpo"),)),
        ('tag:"Must Read"', (TagTerm("must-read"),)),
        ("tag:rl*", (TagTerm("rl", prefix=True),)),
        ("-tag:*", (TagTerm("", prefix=True, negated=True),)),
        ("status:read", (StatusTerm(frozenset({Status.READ})),)),
        ("Status:UNREAD", (StatusTerm(frozenset({Status.UNREAD})),)),
        ("status:r", (StatusTerm(frozenset({Status.READ, Status.READING})),)),
        ("status:unread,reading", (StatusTerm(frozenset({Status.UNREAD, Status.READING})),)),
        ("-status:read", (StatusTerm(frozenset({Status.READ}), negated=True),)),
        ("is:read", (StatusTerm(frozenset({Status.READ})),)),
        ("is:new", (NewTerm(),)),
        ("-is:new", (NewTerm(negated=True),)),
        ('section:"Review/Survey"', (SectionTerm("review/survey"),)),
        ("section:blogs", (SectionTerm("blogs"),)),
        ("year:2024", (YearTerm(2024, 2024),)),
        ("year:>=2023", (YearTerm(2023, None),)),
        ("year:>2023", (YearTerm(2024, None),)),
        ("year:<2023", (YearTerm(None, 2022),)),
        ("year:<=2023", (YearTerm(None, 2023),)),
        ("year:=2023", (YearTerm(2023, 2023),)),
        ("year:2020..2022", (YearTerm(2020, 2022),)),
        ("year:2022-2020", (YearTerm(2020, 2022),)),
        ("https://arxiv.org/pdf/2305.18290v2.pdf", (KeyTerm("2305.18290"),)),
        ("arXiv:2305.18290", (KeyTerm("2305.18290"),)),
        ("-2305.18290v1", (KeyTerm("2305.18290", negated=True),)),
        ("https://www.HuggingFace.co/blog/rlhf/", (KeyTerm("huggingface.co/blog/rlhf"),)),
        ("arxiv:23", (Word(("arxiv", "23")),)),  # half typed: words until it is an id
        (
            "prefrence  optimization tag:x",
            (Word(("prefrence",)), Word(("optimization",)), TagTerm("x")),
        ),
    ],
)
def test_parse(text: str, terms: tuple) -> None:
    query = parse(text)
    assert query.terms == terms
    assert query.is_empty is (not terms)


@pytest.mark.parametrize(
    ("text", "term", "says"),
    [
        ("status:foo", "status:foo", "unknown status"),
        ("dpo -status:finished", "-status:finished", "unknown status"),
        ("status:,", "status:,", "unknown status"),
        ("year:20x4", "year:20x4", "not a year"),
        ("year:24", "year:24", "not a year"),
        ("year:>=", "year:>=", "not a year"),
        ("year:2020..", "year:2020..", "not a year"),
        ("tag:", "tag:", "needs a value"),
        ("-tag:", "-tag:", "needs a value"),
        ('section:""', 'section:""', "needs a value"),
        ("status:", "status:", "needs a value"),
        ("year:", "year:", "needs a value"),
        ("is:old", "is:old", "unknown value"),
        ("is:", "is:", "needs a value"),
    ],
)
def test_bad_terms_are_named(text: str, term: str, says: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    message = str(caught.value)
    assert caught.value.term == term
    assert repr(term) in message and says in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


# --- matching: row by row and through the index, same answers -----------------------------


@BOTH
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ALL),
        ("prefrence", [DPO, THEORY, ZIEGLER]),
        ("Preference", [DPO, THEORY, ZIEGLER]),
        ("PREFERENCE OPTIMIZATION", [DPO]),
        ("prefrence optimzation", [DPO]),
        ("optimisation", [DPO, KTO]),
        ("lambert", [BLOG]),  # author
        ("rafailov", [DPO]),
        ("scholkopf", [ZIEGLER]),  # accents folded
        ("Schölkopf", [ZIEGLER]),
        ("must-read", [DPO]),  # tag words
        ("mustread", [DPO]),
        ("instructgpt", [INSTRUCT]),  # note
        ("ppo", [DPO]),
        ("2305.18290", [DPO]),  # key
        ("2305", [DPO]),
        ("huggingface", [BLOG]),
        ("kto:", [KTO]),
        ("self-play", [INSTRUCT, SPIN]),
        ("selfplay", [INSTRUCT, SPIN]),
        ("human", [INSTRUCT, THEORY, BLOG, ZIEGLER]),
        ("rl", [BLOG]),
        ("zzzz", []),
        ("-human", [DPO, KTO, SPIN]),
        ("language -model", []),  # "models" contains "model"
        ("language -secretly", [INSTRUCT, SPIN, ZIEGLER]),
        ("-language -human", [KTO]),
        ('"human feedback"', [INSTRUCT, BLOG]),
        ('"Human  Feedback"', [INSTRUCT, BLOG]),
        ('"from human"', [THEORY, BLOG, ZIEGLER]),
        ('-"from human"', [DPO, KTO, INSTRUCT, SPIN]),
        ('"reward model"', [DPO]),
        ('"prefrence"', []),  # a phrase is exact
        ('"learning from human', [THEORY, BLOG]),  # unclosed quote
        ('"Lambert."', [BLOG]),
        ("tag:dpo", [DPO, KTO]),
        ("tag:DPO", [DPO, KTO]),
        ("tag:must-read", [DPO]),
        ('tag:"must read"', [DPO]),
        ("tag:d", []),  # a tag is matched whole
        ("tag:d*", [DPO, KTO]),
        ("tag:*", [DPO, KTO, INSTRUCT, SPIN]),
        ("-tag:*", [THEORY, BLOG, ZIEGLER]),
        ("-tag:dpo", [INSTRUCT, THEORY, BLOG, SPIN, ZIEGLER]),
        ("status:read", [DPO, BLOG, ZIEGLER]),
        ("status:reading", [KTO]),
        ("status:unread", [INSTRUCT, THEORY, SPIN]),
        ("status:u", [INSTRUCT, THEORY, SPIN]),
        ("status:rea", [DPO, KTO, BLOG, ZIEGLER]),
        ("-status:read", [KTO, INSTRUCT, THEORY, SPIN]),
        ("status:reading,unread", [KTO, INSTRUCT, THEORY, SPIN]),
        ("is:unread", [INSTRUCT, THEORY, SPIN]),
        ("section:survey", [THEORY]),
        ("section:SURVEY", [THEORY]),
        ("section:blogs", [BLOG]),
        ('section:"talks/reports › blogs"', [BLOG]),
        ("section:papers", [DPO, KTO, INSTRUCT, THEORY, SPIN, ZIEGLER]),
        ("-section:papers", [BLOG]),
        ("year:2024", [KTO, SPIN]),
        ("year:>=2023", [DPO, KTO, THEORY, SPIN]),
        ("year:>2023", [KTO, SPIN]),
        ("year:<2023", [INSTRUCT, ZIEGLER]),
        ("year:<=2022", [INSTRUCT, ZIEGLER]),
        ("year:2019..2022", [INSTRUCT, ZIEGLER]),
        ("-year:>=2020", [BLOG, ZIEGLER]),  # no year is not >= 2020
        ("year:2021", []),
        ("language year:2024 -tag:self-play", []),
        ("language year:2024 tag:self-play status:unread", [SPIN]),
        ("models status:read section:classic year:<2020", [ZIEGLER]),
        ("Models Status:Read", [DPO, ZIEGLER]),  # "models" is "model" and one letter
        ("is:new", []),
        ("-is:new", ALL),
        ("https://arxiv.org/abs/2305.18290v3", [DPO]),
        ("arXiv:1909.08593", [ZIEGLER]),
        ("http://huggingface.co/blog/rlhf#intro", [BLOG]),
        ("-arXiv:1909.08593 year:<2023", [INSTRUCT]),
        ("https://arxiv.org/abs/9999.99999", []),
    ],
)
def test_query(run, text: str, expected: list[str]) -> None:
    assert run(text) == expected


@BOTH
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is:new", [KTO, BLOG]),
        ("-is:new", [DPO, INSTRUCT, THEORY, SPIN, ZIEGLER]),
        ("is:new status:read", [BLOG]),
    ],
)
def test_is_new_with_new_keys(run, text: str, expected: list[str]) -> None:
    assert run(text, frozenset({KTO, BLOG, "not-in-the-list"})) == expected


@dataclass(frozen=True, slots=True)
class RowWithNew(Row):
    """What issue 7 adds to Row: a truthy ``new`` flag."""

    new: bool = False


def test_is_new_reads_a_new_flag_on_the_row() -> None:
    flagged = [RowWithNew(r.entry, r.annotation, r.metadata, new=r.key == SPIN) for r in ROWS]
    assert [r.key for r in flagged if parse("is:new").matches(r)] == [SPIN]
    index = SearchIndex(flagged)
    assert index.filter("is:new") == [SPIN]
    index.update(replace(flagged[5], new=False))
    index.update(replace(flagged[0], new=True))
    assert index.filter("is:new") == [DPO]


def test_set_new_keys() -> None:
    index = SearchIndex(ROWS)
    assert index.filter("is:new") == []
    index.set_new_keys({THEORY})
    assert index.filter("is:new") == [THEORY]
    assert index.filter("-is:new status:unread") == [INSTRUCT, SPIN]


def test_a_parsed_query_can_be_given_to_the_index() -> None:
    index = SearchIndex(ROWS)
    query = parse("tag:dpo -status:read")
    assert isinstance(query, Query)
    assert index.filter(query) == [KTO]


# --- select (the CLI's --status/--tag/--section/--search) ---------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ALL),
        ({"status": "read"}, [DPO, BLOG, ZIEGLER]),
        ({"status": "reading"}, [KTO]),
        ({"tag": "DPO"}, [DPO, KTO]),
        ({"tag": "must read"}, [DPO]),
        ({"tag": "d"}, []),
        ({"section": "Survey"}, [THEORY]),
        ({"section": "Papers › Classic"}, [ZIEGLER]),
        ({"search": "prefrence"}, [DPO, THEORY, ZIEGLER]),
        ({"search": ""}, ALL),
        ({"status": "read", "search": "-tag:dpo model"}, [ZIEGLER]),
        ({"section": "papers", "tag": "dpo", "search": "year:2024"}, [KTO]),
        ({"search": "is:new"}, []),
        ({"search": "is:new", "new_keys": {SPIN}}, [SPIN]),
    ],
)
def test_select(options: dict, expected: list[str]) -> None:
    assert [row.key for row in select(ROWS, **options)] == expected


@pytest.mark.parametrize(
    ("options", "term"),
    [
        ({"search": "year:20x4"}, "year:20x4"),
        ({"search": "dpo status:foo"}, "status:foo"),
        ({"status": "done"}, "status:done"),
    ],
)
def test_select_names_a_bad_term(options: dict, term: str) -> None:
    with pytest.raises(QueryError, match=repr(term)):
        select(ROWS, **options)


# --- the index: typing, updates, duplicates -----------------------------------------------

TYPED = [
    "prefrence optimization tag:dpo",
    "optmizaton -status:read",
    'human "from human" year:>=2020',
    "self-play languag",
    "reinfrocment lerning",
    "2305.1829",
    "schölkopf",
]


@pytest.mark.parametrize("text", TYPED)
def test_typing_one_letter_at_a_time_gives_the_same_answers(text: str) -> None:
    """The index narrows from the previous keystroke's matches; that must change nothing."""
    index = SearchIndex(ROWS)
    for end in range(1, len(text) + 1):
        typed = text[:end]
        try:
            expected = by_rows(typed)
        except QueryError:
            with pytest.raises(QueryError):
                index.filter(typed)
            continue
        assert index.filter(typed) == expected, typed
        assert index.filter(typed) == expected, typed  # again, from the cache


def test_typing_on_the_bundled_list_agrees_with_matching_row_by_row() -> None:
    all_rows = rows(load(BUNDLED_LIST), {}, {})
    index = SearchIndex(all_rows)
    for text in [
        "prefrence optimization",
        "reward modle -survey",
        "rlhf year:>=2023",
        "alignmnet section:survey",
        '"direct preference"',
        "humna feedbak",
        "lambert",
    ]:
        for end in range(1, len(text) + 1):
            typed = text[:end]
            try:
                query = parse(typed)
            except QueryError:
                with pytest.raises(QueryError):
                    index.filter(typed)
                continue
            expected = list(dict.fromkeys(r.key for r in all_rows if query.matches(r)))
            assert index.filter(typed) == expected, typed
    assert index.filter("prefrence") and index.filter("optimzation")


def annotate(row: Row, **changes: object) -> Row:
    return replace(row, annotation=replace(row.annotation, **changes))


def test_update_status_tags_and_note() -> None:
    index = SearchIndex(ROWS)
    assert index.filter("tag:dpo") == [DPO, KTO]
    assert index.filter("zebra") == []
    assert index.filter("status:read") == [DPO, BLOG, ZIEGLER]
    assert index.filter("instructgpt") == [INSTRUCT]
    assert index.filter("zeb") == []

    assert index.update(annotate(ROWS[3], status=Status.READ, tags=("dpo",), note="Zebra!"))
    assert index.update(annotate(ROWS[2], note=""))  # "instructgpt" leaves the vocabulary
    assert index.update(annotate(ROWS[0], status=Status.UNREAD, tags=()))

    assert index.filter("tag:dpo") == [KTO, THEORY]
    assert index.filter("status:read") == [THEORY, BLOG, ZIEGLER]
    assert index.filter("status:unread") == [DPO, INSTRUCT, SPIN]
    assert index.filter("zebra") == [THEORY]  # a word new to the index
    assert index.filter("zeb") == [THEORY]  # a remembered query word, kept right
    assert index.filter("zerba") == [THEORY]
    assert index.filter("instructgpt") == []
    assert index.filter('"zebra!"') == [THEORY]
    assert index.filter("must-read") == []
    # the same as an index built afresh from the changed rows
    fresh = SearchIndex(index.rows)
    assert index.filter("z") == [THEORY, SPIN, ZIEGLER]  # one letter: its own bitsets
    for text in ["tag:dpo", "zebra", "ppo", "-status:unread", "compare", "z", "i", "m"]:
        assert index.filter(text) == fresh.filter(text), text


def test_update_of_an_unknown_key_changes_nothing() -> None:
    index = SearchIndex(ROWS)
    stranger = make_row("9999.99999", "Nothing", status=Status.READ)
    assert index.update(stranger) is False
    assert index.filter("nothing") == []
    assert len(index) == len(ROWS)


def test_a_key_listed_twice_is_returned_once_and_keeps_each_listing() -> None:
    twice = replace(
        ROWS[0], entry=replace(ROWS[0].entry, title="DPO again", section=("Elsewhere",))
    )
    listed = [*ROWS, twice]
    index = SearchIndex(listed)
    assert index.filter("dpo") == [DPO, KTO]
    assert index.filter("section:elsewhere") == [DPO]
    assert index.filter('"again"') == [DPO]
    index.update(annotate(ROWS[0], tags=("zebra",)))
    assert index.filter("tag:zebra section:elsewhere") == [DPO]  # entry kept, tags taken
    assert index.filter('"dpo again"') == [DPO]
    assert [r.entry.title for r in index.rows if r.key == DPO] == [ROWS[0].entry.title, "DPO again"]


def test_filter_results_are_copies() -> None:
    index = SearchIndex(ROWS)
    first = index.filter("tag:dpo")
    first.clear()
    assert index.filter("tag:dpo") == [DPO, KTO]


def test_metadata_authors_and_year_count() -> None:
    """Authors and year fetched from arXiv are searched like the list's own."""
    bare = make_row("2404.00001", "A paper with no details")
    fetched = replace(bare, metadata={"authors": ["Ada Lovelace"], "published": "2024-04-01"})
    assert parse("lovelace year:2024").matches(fetched)
    index = SearchIndex([bare])
    assert index.filter("lovelace") == []
    index.update(fetched)
    assert index.filter("lovelace year:2024") == ["2404.00001"]


def test_list_search_uses_the_language(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    from rlhf_reader.cli import main

    code = main(["--db", str(db_path), "list", "--json", "--search", "prefrence optimzation -kto"])
    assert code == 0
    titles = [record["title"] for record in json.loads(capsys.readouterr().out)]
    assert "Direct Preference Optimization: Your Language Model is Secretly a Reward Model" in (
        titles
    )
    assert all("KTO" not in title for title in titles)
    assert all("optimi" in title.lower() for title in titles)
