"""The parser's hand-written shortcuts give what the patterns they replace give."""

from __future__ import annotations

import random

import pytest

from rlhf_reader.lists import catalog

# Pieces a details line ends with, the odd ones included: other digits (Arabic-Indic, full
# width, superscript), non-breaking and ideographic spaces, words and underscores glued to
# the year, brackets and stops in either order.
PIECES = [
    "2023", "1999", "2101", "1899", "20", "19", "023", "٢٠٢٣", "20²³", "20٢٣",
    "\uff12\uff10\uff12\uff13",
    " ", "  ", "\u00a0", "\u3000", "\t", ".", "..", ")", "(", ",", ", ", "_", "a", "é", "x2",
    "-", "arXiv", "NeurIPS", "A. Author", "2024.", "(2016)", "1",
]  # fmt: skip


def expected(text: str) -> tuple[int, int] | None:
    match = catalog._YEAR_RE.search(text)
    return None if match is None else (match.start(), int(match.group(1)))


@pytest.mark.parametrize(
    "text",
    [
        "A, B. ICLR, 2024.",
        "Yoav Goldberg, April 2023.",
        "(2016)",
        "x (2016).",
        "2023 ).",
        "2023.)",
        "2023..",
        "12023",
        "_2023",
        "é2023",
        "-2023",
        "2023",
        "203",
        "",
        "A, B. arXiv, ٢٠٢٣.",
        "Venue 2024 \u00a0. ",
        "a" * 200 + ", 2020",
    ],
)
def test_year_at_end_is_the_pattern_search(text: str) -> None:
    assert catalog._year_at_end(text) == expected(text)


def test_year_at_end_on_random_endings() -> None:
    rng = random.Random(11)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))
        assert catalog._year_at_end(text) == expected(text), repr(text)


def test_entries_are_built_in_the_order_of_the_entry_fields() -> None:
    import dataclasses

    from rlhf_reader.model import Entry

    assert tuple(f.name for f in dataclasses.fields(Entry)) == catalog.ENTRY_FIELDS
