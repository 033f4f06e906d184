"""The one tag grammar (tags.py), as the CLI and the TUI both read it."""

from __future__ import annotations

import pytest

from rlhf_reader.tags import TagEdit, complete_last, parse_tag_edit


@pytest.mark.parametrize(
    ("typed", "current", "expected"),
    [
        ("dpo survey", ("old",), ("old", "dpo", "survey")),  # bare words add
        ("dpo, Survey  Paper", (), ("dpo", "survey", "paper")),
        ("+new", ("a", "b"), ("a", "b", "new")),
        ("-a", ("a", "b"), ("b",)),
        ("+c -a", ("a", "b"), ("b", "c")),
        ("a a A +a", (), ("a",)),
        ("", ("a",), ("a",)),  # nothing typed changes nothing
        ("-missing", ("a",), ("a",)),
    ],
)
def test_a_typed_change(typed: str, current: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert parse_tag_edit(typed).apply(current) == expected


def test_a_mixed_input_never_drops_a_tag_it_does_not_name() -> None:
    # The input that silently dropped must-read when bare words replaced the list.
    edit = parse_tag_edit("-safety +RL/PPO Ünïcode")
    assert edit == TagEdit(add=("rl/ppo", "ünïcode"), remove=("safety",))
    assert edit.apply(("must-read", "safety")) == ("must-read", "rl/ppo", "ünïcode")
    assert edit.describe() == "+rl/ppo +ünïcode -safety"


def test_words_already_split_are_not_split_again() -> None:
    # On a command line "To Read" arrives as one word: one tag, normalised.
    assert parse_tag_edit(["+To Read", "-x"]) == TagEdit(add=("to-read",), remove=("x",))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("+", "needs a tag"),
        ("-", "needs a tag"),
        ("x" * 41, "longer than 40"),
        ("+dpo -DPO", "'dpo' is both added and removed"),
    ],
)
def test_invalid_input_is_one_line_naming_the_tag(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_tag_edit(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("su", "survey"),
        ("dpo +su", "dpo +survey"),
        ("-re", "-reward-models"),
        ("+survey su", None),  # already named
        ("survey ", None),
        ("survey", None),
        ("zz", None),
        ("", None),
    ],
)
def test_completion_of_the_last_word(typed: str, expected: str | None) -> None:
    assert complete_last(typed, ["reward-models", "survey"]) == expected
