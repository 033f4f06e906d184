"""``select`` (a term at a time, words over text folded in bulk) against ``Query.matches``
(a row at a time): the same rows for any rows and query, including texts built to trip the
bulk reading (joiners in a row, underscores, accents, a capital sigma, NUL, odd spaces)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_query_index import make_rows, random_query

from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.query import Marks, Query, QueryError, parse, select, select_terms

# Letters that make the bulk reading hard: joiners, an underscore, accents (composed and
# combining), a diaeresis that NFKD turns into a space, Greek sigmas, NUL, the separator's
# newline, spaces Python splits on, a digit, apostrophes.
ALPHABET = "abcdeprfxy -'’_éÉ\u0301¨ΣσςΑ\x00\n\u00a0\u2028\t\x1f2İ.,:"
SYLLABLES = ("pre", "ference", "dpo", "rl", "hf", "self", "play", "ab", "x", "ray", "opti")

# Mostly without NUL and a capital sigma (either makes every row judged alone).
PLAIN = ALPHABET.replace("\x00", "").replace("Σ", "")
texts = st.lists(
    st.one_of(
        st.text(alphabet=PLAIN, max_size=6),
        st.sampled_from(SYLLABLES),
        st.text(alphabet=ALPHABET, max_size=2),
    ),
    max_size=8,
).map("".join)


@st.composite
def rows_of(draw: st.DrawFn) -> list[Row]:
    rows = []
    for i in range(draw(st.integers(1, 8))):
        key = draw(st.sampled_from([f"2401.{i:05d}", f"k{i}", "dup"]))
        entry = Entry(
            key=key,
            title=draw(texts),
            url="https://example.org",
            section=(draw(st.sampled_from(["Papers", "Pré-prints", "Σ section"])),),
            authors=draw(texts),
            year=draw(st.sampled_from([None, 2020, 2024])),
        )
        tags = tuple(draw(st.lists(st.sampled_from(["dpo", "to-read", "Ünï", "rl"]), max_size=2)))
        ann = Annotation(key, draw(st.sampled_from(list(Status))), tags, draw(texts))
        metadata = draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries({"abstract": texts}),
                st.fixed_dictionaries({"authors": st.lists(texts, max_size=2)}),
                st.fixed_dictionaries({"abstract": st.integers()}),
            )
        )
        rows.append(Row(entry, ann, metadata))
    return rows


words = st.one_of(
    st.sampled_from(SYLLABLES),
    st.sampled_from(["prefrence", "preferenc", "slefplay", "selfplay", "x-ray", "xray"]),
    st.sampled_from(["self-play", "pre_ference", "opti", "optim", "optimz", "abcde"]),
    st.text(alphabet="abcdeprfxy-'_é2", min_size=1, max_size=11),
)
terms = st.one_of(
    words,
    words.map(lambda w: f"-{w}"),
    st.tuples(words, words).map(lambda p: f'"{p[0]} {p[1]}"'),
    words.map(lambda w: f'"{w}"'),
    st.text(alphabet="ab ¨\u00a0e-", min_size=1, max_size=5).map(lambda w: f'"{w}'),
    words.map(lambda w: f'-"{w}"'),
    words.map(lambda w: f"abstract:{w}"),
    st.tuples(words, words).map(lambda p: f'abstract:"{p[0]} {p[1]}"'),
    st.sampled_from(["tag:dpo", "tag:to*", "-tag:rl", "status:read", "is:unread", "year:>=2021"]),
    st.sampled_from(["section:pré", "-section:\u03c3", "is:new", "is:queued", "-has:pdf"]),
    st.sampled_from(["tag:ünï", "tag:*", "list:a", "-list:a", "2401.00001", "arXiv:2401.00002"]),
)


def parsed(text: str) -> Query:
    try:
        return parse(text)
    except QueryError:
        assume(False)
        raise


def matches(rows: list[Row], text: str, marks: Marks) -> list[Row]:
    query = parsed(text)
    return [
        row
        for row in rows
        if query.matches(
            row, marks.new, queued_keys=marks.queued, pdf_keys=marks.pdf, list_keys=marks.lists
        )
    ]


MARKS = Marks(frozenset({"k1", "dup"}), frozenset({"k2"}), frozenset({"2401.00003"}), {"a": {"k0"}})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_of(), st.lists(terms, min_size=1, max_size=3).map(" ".join))
def test_select_terms_answers_what_matches_answers(rows: list[Row], text: str) -> None:
    expected = matches(rows, text, MARKS)
    got = select_terms(list(rows), parsed(text).terms, MARKS)
    assert got == expected


@settings(max_examples=150, deadline=None)
@given(rows_of(), texts, st.sampled_from([None, "read", "unread"]), st.sampled_from([None, "rl"]))
def test_select_options_are_terms(
    rows: list[Row], word: str, status: str | None, tag: str | None
) -> None:
    search = " ".join(word.split()) or None
    parts = [f"status:{status}" if status else "", f"tag:{tag}" if tag else "", search or ""]
    text = " ".join(p for p in parts if p)
    assume(not search or not parsed(search).list_names)
    expected = matches(rows, text, Marks()) if text else rows
    assert select(rows, status=status, tag=tag, search=search) == expected


def test_select_on_generated_rows_and_queries() -> None:
    """The seeded rows and queries of the index's test, larger."""
    for seed in range(3):
        rng = random.Random(100 + seed)
        rows = make_rows(rng, (60, 400, 1500)[seed])
        for _ in range(60):
            text = random_query(rng, rows)
            assert select(rows, search=text) == matches(rows, text, Marks()), (seed, text)
