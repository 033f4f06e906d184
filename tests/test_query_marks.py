"""Abstract search (plain words, ranked below title hits; ``abstract:``), ``has:pdf`` and
``is:queued``: row by row and through the SearchIndex (which must give the same answers), and
through ``list --search``."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST, run_cli

from rlhf_reader.library.records import Row, rows
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.query import (
    AbstractPhrase,
    AbstractWord,
    PdfTerm,
    QueryError,
    QueuedTerm,
    SearchIndex,
    parse,
    rank,
    select,
)


def make_row(key: str, title: str, abstract: str | None = None, **ann: object) -> Row:
    entry = Entry(key=key, title=title, url=f"https://arxiv.org/abs/{key}", section=("Papers",))
    metadata = {"abstract": abstract, "authors": ["A. Author"]} if abstract is not None else None
    return Row(entry, Annotation(key=key, **ann), metadata)  # type: ignore[arg-type]


ROWS = [
    make_row(
        "1111.00001",
        "Reward Models for Alignment",
        "We train a reward model from human preferences and study overoptimization.",
    ),
    make_row(
        "1111.00002",
        "Direct Preference Optimization",
        "Fine-tuning without a separate reward model: the policy is the reward model.",
        status=Status.READ,
    ),
    make_row(
        "1111.00003", "Constitutional AI", "Harmlessness from AI feedback, with self-critique."
    ),
    make_row("1111.00004", "A Survey of RLHF"),  # not fetched: no abstract
    make_row(
        "1111.00005",
        "Scaling Laws",
        "Reward hacking grows with scale; Überoptimierung in Schönheit.",
        tags=("reward",),
    ),
]
RM, DPO, CAI, SURVEY, SCALING = (row.key for row in ROWS)
QUEUED = frozenset({DPO, SURVEY, "not-listed"})
PDFS = frozenset({RM, SURVEY})


def by_rows(text: str) -> list[str]:
    query = parse(text)
    return [row.key for row in ROWS if query.matches(row, queued_keys=QUEUED, pdf_keys=PDFS)]


def by_index(text: str) -> list[str]:
    return SearchIndex(ROWS, queued_keys=QUEUED, pdf_keys=PDFS).filter(text)


BOTH = pytest.mark.parametrize("run", [by_rows, by_index], ids=["matches", "index"])


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("has:pdf", (PdfTerm(),)),
        ("-HAS:PDF", (PdfTerm(negated=True),)),
        ("is:queued", (QueuedTerm(),)),
        ("-is:queued", (QueuedTerm(negated=True),)),
        ("abstract:Reward", (AbstractWord(("reward",)),)),
        ("abstract:self-critique", (AbstractWord(("self", "critique")),)),
        ('abstract:"Reward  Model"', (AbstractPhrase("reward model"),)),
        ('-abstract:"reward', (AbstractPhrase("reward", negated=True),)),
    ],
)
def test_parse(text: str, terms: tuple) -> None:
    assert parse(text).terms == terms


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("has:code", "unknown value (use has:pdf)"),
        ("has:", "needs a value"),
        ("abstract:", "needs a value"),
        ("abstract:--", "needs a word or a quoted phrase"),
        ("is:later", "is:queued"),
    ],
)
def test_bad_terms(text: str, says: str) -> None:
    with pytest.raises(QueryError, match=repr(text)) as caught:
        parse(text)
    assert says in str(caught.value)


@BOTH
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reward", [RM, DPO, SCALING]),  # title, abstract, tag
        ("overoptimization", [RM]),  # only in an abstract
        ("overoptimizaton", [RM]),  # with a typo
        ("critique", [CAI]),
        ("selfcritique", [CAI]),
        ("uberoptimierung schonheit", [SCALING]),  # folded
        ("survey", [SURVEY]),
        ("-reward", [CAI, SURVEY]),  # negation reaches abstracts too
        ('"reward model"', [RM, DPO]),
        ('"human preferences and"', [RM]),
        ('"models for alignment"', [RM]),
        ('"alignment we"', []),  # a phrase stays within one field
        ("abstract:reward", [RM, DPO, SCALING]),
        ("abstract:alignment", []),  # in a title only
        ("abstract:rewrad", [RM, DPO, SCALING]),
        ("-abstract:reward", [CAI, SURVEY]),
        ('abstract:"the reward model"', [DPO]),
        ('abstract:"reward models"', []),  # "Reward Models" is the title
        ('-abstract:"reward model"', [CAI, SURVEY, SCALING]),
        ("abstract:self-critique", [CAI]),
        ("has:pdf", [RM, SURVEY]),
        ("-has:pdf", [DPO, CAI, SCALING]),
        ("is:queued", [DPO, SURVEY]),
        ("is:queued has:pdf", [SURVEY]),
        ("is:queued -status:read", [SURVEY]),
        ("-is:queued reward", [RM, SCALING]),
        ("author", [RM, DPO, CAI, SCALING]),  # fetched authors
    ],
)
def test_query(run, text: str, expected: list[str]) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reward", [RM, SCALING, DPO]),  # DPO's title lacks "reward": below
        ("reward model", [RM, DPO]),  # DPO: both words in its abstract only
        ('"reward model"', [RM, DPO]),
        ("overoptimization", [RM]),
        ("abstract:reward", [RM, DPO, SCALING]),  # asked for abstracts: list order
        ("-reward", [CAI, SURVEY]),
        ("policy", [DPO]),
        ("", [row.key for row in ROWS]),
    ],
)
def test_abstract_hits_rank_below_the_others(text: str, expected: list[str]) -> None:
    index = SearchIndex(ROWS)
    assert index.ranked(text) == expected
    assert [row.key for row in rank(select(ROWS, search=text), text)] == expected
    strong = {row.key for row in ROWS if parse(text).matches(row) and parse(text).rank(row) == 0}
    assert index.abstract_only(text) == set(expected) - strong


def test_rank_is_zero_when_nothing_needs_an_abstract() -> None:
    query = parse("reward")
    assert [query.rank(row) for row in ROWS if query.matches(row)] == [0, 1, 0]


def test_setting_marks_and_updates() -> None:
    index = SearchIndex(ROWS)
    assert index.filter("has:pdf") == [] and index.filter("is:queued") == []
    index.set_pdf_keys({CAI, "unknown"})
    index.set_queued_keys({SCALING})
    assert index.filter("has:pdf") == [CAI]
    assert index.filter("is:queued") == [SCALING]
    # an abstract fetched for the survey: its words are found, old ones dropped
    fetched = replace(ROWS[3], metadata={"abstract": "Zebras and overoptimization."})
    assert index.filter("zebra") == []
    assert index.update(fetched)
    assert index.filter("zebra") == [SURVEY]
    assert index.filter("zeb") == [SURVEY]
    assert index.ranked("overoptimization") == [RM, SURVEY]
    assert index.update(replace(ROWS[0], metadata={"abstract": "Nothing here."}))
    assert index.filter("overoptimization") == [SURVEY]
    assert index.filter("zebra") == index.filter("abstract:zebras") == [SURVEY]
    fresh = SearchIndex(index.rows, pdf_keys={CAI}, queued_keys={SCALING})
    for text in ["overopt", "reward", "z", "n", "has:pdf", "-is:queued", "abstract:here"]:
        assert index.filter(text) == fresh.filter(text), text
        assert index.ranked(text) == fresh.ranked(text), text


TYPED = [
    "overoptimizaton has:pdf",
    "abstract:rewrad -is:queued",
    'reward "the policy"',
    'abstract:"reward model" -has:pdf',
    "selfcritique",
]


@pytest.mark.parametrize("text", TYPED)
def test_typing_one_letter_at_a_time_gives_the_same_answers(text: str) -> None:
    index = SearchIndex(ROWS, queued_keys=QUEUED, pdf_keys=PDFS)
    for end in range(1, len(text) + 1):
        typed = text[:end]
        try:
            expected = by_rows(typed)
        except QueryError:
            with pytest.raises(QueryError):
                index.filter(typed)
            continue
        assert index.filter(typed) == expected, typed
        assert index.ranked(typed) == [
            r.key for r in rank([r for r in ROWS if r.key in expected], typed)
        ]


def test_the_bundled_list_with_abstracts_agrees_row_by_row() -> None:
    """Every entry of the bundled list gets an abstract made of other entries' title words;
    random queries (plain, abstract:, phrases, marks, negations) give the same keys and the
    same ranking through the index as row by row."""
    listed = rows(load(BUNDLED_LIST), {}, {})
    rng = random.Random(15)
    vocabulary = sorted(
        {w for row in listed for w in row.entry.title.split() if w.isalpha() and len(w) > 2}
    )
    with_abstracts = [
        replace(row, metadata={"abstract": " ".join(rng.sample(vocabulary, 12))}) if i % 3 else row
        for i, row in enumerate(listed)
    ]
    keys = [row.key for row in listed]
    queued = set(rng.sample(keys, 20))
    pdfs = set(rng.sample(keys, 30))
    index = SearchIndex(with_abstracts, queued_keys=queued, pdf_keys=pdfs)
    for _ in range(120):
        words = rng.sample(vocabulary, rng.randint(1, 2))
        terms = []
        for word in words:
            cut = word[: rng.randint(2, len(word))].lower()
            terms.append(rng.choice([cut, f"abstract:{cut}", f"-{cut}", f'"{cut}']))
        terms.append(rng.choice(["", "has:pdf", "-is:queued", "is:queued"]))
        text = " ".join(t for t in terms if t)
        query = parse(text)
        matched = [r for r in with_abstracts if query.matches(r, queued_keys=queued, pdf_keys=pdfs)]
        assert index.filter(text) == list(dict.fromkeys(r.key for r in matched)), text
        expected_rank = list(dict.fromkeys(r.key for r in rank(matched, query)))
        assert index.ranked(text) == expected_rank, text


# --- through the CLI ----------------------------------------------------------------------------

LIST = """\
# Test list

## Papers
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
- [KTO: Model Alignment as Prospect Theoretic Optimization](https://arxiv.org/abs/2402.01306)
- [Self-Play Fine-Tuning](https://arxiv.org/abs/2401.01335)
"""


def test_list_search_abstracts_pdfs_and_the_queue(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    from rlhf_reader.library.store import Library

    listed = tmp_path / "list.md"
    listed.write_text(LIST, encoding="utf-8")
    library = Library.open(db_path)
    library.put_metadata(
        {
            "2402.01306": {"abstract": "Kahneman and Tversky's prospect theory of losses."},
            "2401.01335": {"abstract": "A model plays against its previous iterations."},
        }
    )
    library.change_queue(lambda q: ["2401.01335"])
    (db_path.parent / "pdfs").mkdir()
    (db_path.parent / "pdfs" / "2305.18290.pdf").write_bytes(b"%PDF-1.4\n")

    def keys(search: str) -> list[str]:
        code, out, err = run_cli(capsys, db_path, "--list", str(listed), "list", "--json",
                                 f"--search={search}")  # fmt: skip
        assert (code, err) == (0, ""), err
        return [record["key"] for record in json.loads(out)]

    assert keys("tversky") == ["2402.01306"]
    assert keys("abstract:iterations") == ["2401.01335"]
    assert keys('abstract:"prospect theory"') == ["2402.01306"]
    assert keys("abstract:prospect") == ["2402.01306"]
    assert keys("model") == ["2402.01306", "2401.01335"]  # KTO: title; SPIN: abstract
    assert keys("has:pdf") == ["2305.18290"]
    assert keys("-has:pdf") == ["2402.01306", "2401.01335"]
    assert keys("is:queued") == ["2401.01335"]
    code, _, err = run_cli(capsys, db_path, "--list", str(listed), "list", "--search", "has:x")
    assert code == 2 and "has:x" in err and "has:pdf" in err
