"""The search index against ``Query.matches`` on random rows and queries (seeded), through
updates; and its memory: linear in the rows (issue 17: a bitset per word was quadratic)."""

from __future__ import annotations

import random
from dataclasses import replace

from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.query import SearchIndex, parse, rank

WORDS = (
    "reward preference policy alignment human feedback optimization language model direct "
    "contrastive offline online safe robust ranking critic distillation über naïve self-play"
).split()
TAGS = ("dpo", "survey", "safety", "to-read", "rl", "rlhf")
STATUSES = (Status.UNREAD, Status.READING, Status.READ)


def make_rows(rng: random.Random, count: int) -> list[Row]:
    rows = []
    for i in range(count):
        # Most words are shared; a number and a rare word make many words found in one row
        # only (stored as row numbers, not bitsets).
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
        title += f" {i} rare{rng.randint(0, count)}"
        key = f"2{i // 1000:03d}.{i % 100000:05d}" if i % 7 else f"blog.example/{i}"
        entry = Entry(
            key=key,
            title=title,
            url=f"https://arxiv.org/abs/{key}",
            section=("Papers", f"Part {i % 9}"),
            authors=f"{rng.choice(WORDS).title()} Author{i % 13}",
            year=rng.choice([None, 2019, 2021, 2023, 2024]),
        )
        rows.append(Row(entry, random_annotation(rng, key), random_metadata(rng)))
    return rows


def random_annotation(rng: random.Random, key: str) -> Annotation:
    note = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4)))
    tags = tuple(sorted(rng.sample(TAGS, rng.randint(0, 2))))
    return Annotation(key=key, status=rng.choice(STATUSES), tags=tags, note=note)


def random_metadata(rng: random.Random) -> dict[str, object] | None:
    if rng.random() < 0.6:
        return None
    return {"abstract": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))}


def random_query(rng: random.Random, rows: list[Row]) -> str:
    terms = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(10)
        word = rng.choice(WORDS)
        if kind <= 2:
            term = word[: rng.randint(1, len(word))]
        elif kind == 3:
            term = f"rare{rng.randint(0, len(rows))}"  # a word of one row (or none)
        elif kind == 4:
            term = f"tag:{rng.choice(TAGS)[: rng.randint(1, 3)]}{rng.choice(['', '*'])}"
        elif kind == 5:
            term = f"status:{rng.choice(['read', 'unread', 'reading'])}"
        elif kind == 6:
            term = f"year:{rng.choice(['>=', '<', ''])}{rng.choice([2019, 2021, 2023, 2024])}"
        elif kind == 7:
            term = f"section:part {rng.randrange(9)}"
        elif kind == 8:
            term = f"abstract:{word[:4]}"
        else:
            term = f'"{word} {rng.choice(WORDS)}"'
        terms.append(("-" if rng.random() < 0.2 else "") + term)
    return " ".join(terms)


def expected(rows: list[Row], text: str) -> tuple[list[str], list[str]]:
    query = parse(text)
    matched = [row for row in rows if query.matches(row)]
    keys = list(dict.fromkeys(row.key for row in matched))
    return keys, list(dict.fromkeys(row.key for row in rank(matched, query)))


def test_the_index_answers_what_query_matches_answers() -> None:
    for seed in range(3):
        rng = random.Random(seed)
        rows = make_rows(rng, (40, 250, 600)[seed])
        index = SearchIndex(rows)
        for step in range(80):
            if step % 5 == 4:  # a change: status, tags, note, abstract of one row
                i = rng.randrange(len(rows))
                rows[i] = replace(
                    rows[i],
                    annotation=random_annotation(rng, rows[i].key),
                    metadata=random_metadata(rng),
                )
                index.update(rows[i])
            text = random_query(rng, rows)
            keys, ranked = expected(rows, text)
            assert index.filter(text) == keys, (seed, text)
            assert index.ranked(text) == ranked, (seed, text)


def test_the_index_grows_linearly_with_the_rows() -> None:
    """Every row with a word of its own (a number): twice the rows, about twice the memory
    (a bitset per word gave four times)."""
    rng = random.Random(1)
    small, big = make_rows(rng, 1000), make_rows(rng, 4000)
    small_bytes, big_bytes = SearchIndex(small).nbytes(), SearchIndex(big).nbytes()
    assert big_bytes < 4.8 * small_bytes, (small_bytes, big_bytes)
    # and at most a few bytes per word of a row
    words = sum(len(set(row.entry.title.split())) for row in big)
    assert big_bytes < 40 * words


def test_a_value_of_one_row_is_kept_as_that_row_alone() -> None:
    """A value found in one row is stored as ``~row`` (not an array), and keeps answering
    as the row numbers and bitsets do as rows gain and lose it."""
    from rlhf_reader.query import _RowSets

    sets = _RowSets({"solo": 70, "pair": [3, 90], "dense": list(range(0, 100, 2))}, 100)
    assert sets.sets["solo"] == ~70
    assert sets.mask("solo") == 1 << 70
    assert sets.masks_of(["solo", "pair"]) == (1 << 70) | (1 << 3) | (1 << 90)
    assert sets.masks_of(["solo", "dense"]) == (1 << 70) | sum(1 << i for i in range(0, 100, 2))
    assert sets.nbytes() >= 4
    assert not sets.add("solo", 70)  # the row it has: nothing changes
    assert sets.sets["solo"] == ~70
    assert not sets.add("solo", 12)  # a second row: row numbers
    assert sets.mask("solo") == (1 << 12) | (1 << 70)
    assert not sets.discard("solo", 70)  # one row again: that row alone
    assert sets.sets["solo"] == ~12
    assert not sets.discard("solo", 13)  # a row it does not have
    assert sets.discard("solo", 12)  # the last row: gone
    assert "solo" not in sets and sets.mask("solo") == 0
    assert sets.add("new", 5) and sets.sets["new"] == ~5
    dense = sets.mask("dense")
    for i in range(2, 100, 2):  # a bitset thinned out to one row
        sets.discard("dense", i)
    assert sets.sets["dense"] == ~0 and sets.mask("dense") == 1 and dense != 1


def test_a_word_of_one_row_moves_with_the_row_updates() -> None:
    """A note's word found in no other row: added, found, then gone with the note."""
    rng = random.Random(7)
    rows = make_rows(rng, 300)
    index = SearchIndex(rows)
    row = rows[42]
    noted = replace(row, annotation=replace(row.annotation, note="zyzzyva quokka"))
    index.update(noted)
    assert index.filter("zyzzyva") == [row.key]
    assert index.filter("quok") == [row.key]
    assert index.filter("zyzzyvaa") == [row.key]  # a typo forgiven: the word is in the text
    other = rows[7]
    index.update(replace(other, annotation=replace(other.annotation, note="zyzzyva")))
    assert index.filter("zyzzyva") == [other.key, row.key]  # in list order
    index.update(row)
    assert index.filter("zyzzyva") == [other.key]
    assert index.filter("quokka") == []
    index.update(other)
    assert index.filter("zyzzyva") == []
