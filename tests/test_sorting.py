"""sorting's title key: the ASCII fast path gives the key the general rule gives."""

from __future__ import annotations

import unicodedata

import pytest

from rlhf_reader.sorting import _title_key


def general(title: str) -> str:
    """The rule for any title: case-folded, accents dropped, leading punctuation ignored."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    start = next((i for i, ch in enumerate(text) if ch.isalnum()), len(text))
    return text[start:].strip()


@pytest.mark.parametrize(
    "title",
    [
        "Direct Preference Optimization",
        "  'Quoted' title ",
        "[RLHF] Training",
        "--- dashes",
        "...",
        "",
        "123 Numbers first",
        "\tTabbed\t",
        "Élan vital",  # not ASCII: the general path
        "ﬁne ligature",
    ],
)
def test_title_key_matches_the_general_rule(title: str) -> None:
    assert _title_key(title) == general(title)
