"""Value classes (rlhf_reader.valueclass) behave as the frozen, slotted dataclasses they replace."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlhf_reader.query import Marks, Query, TagTerm, Word, parse
from rlhf_reader.valueclass import Value


class Pair(Value):
    """Two fields, one with a default."""

    left: str
    right: int = 0
    KIND: ClassVar[str] = "pair"


@dataclasses.dataclass(frozen=True, slots=True)
class DataPair:  # what Pair was written as before: the reference
    left: str
    right: int = 0
    KIND: ClassVar[str] = "pair"


class Empty(Value):
    pass


values = st.one_of(st.text(max_size=5), st.integers(), st.none(), st.tuples(st.integers()))


@given(a=values, b=values, c=values, d=values)
def test_equality_hash_and_repr_match_the_dataclass(
    a: object, b: object, c: object, d: object
) -> None:
    mine, theirs = Pair(a, b), DataPair(a, b)  # type: ignore[arg-type]
    other, other_ref = Pair(c, d), DataPair(c, d)  # type: ignore[arg-type]
    assert (mine == other) == (theirs == other_ref)
    assert hash(mine) == hash(theirs)
    assert repr(mine) == repr(theirs).replace("DataPair", "Pair")
    assert mine.__match_args__ == theirs.__match_args__ == ("left", "right")


def test_construction_defaults_and_keywords() -> None:
    assert Pair("a") == Pair("a", 0) == Pair(left="a") == Pair(right=0, left="a")
    assert Pair("a").right == 0 and Pair.KIND == "pair"
    assert Empty() == Empty() and hash(Empty()) == hash(())
    assert Pair("a") != DataPair("a") and Pair("a") != ("a", 0)  # another class is never equal


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Pair(), "missing required argument: 'left'"),
        (lambda: Pair("a", 1, 2), "takes 2 positional arguments but 3 were given"),
        (lambda: Pair("a", left="b"), "got multiple values for argument 'left'"),
        (lambda: Pair("a", colour="red"), "got an unexpected keyword argument 'colour'"),
    ],
)
def test_bad_calls_are_type_errors(call: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()  # type: ignore[operator]


def test_frozen_slotted_and_copyable() -> None:
    pair = Pair("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.left = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del pair.right  # type: ignore[misc]
    assert not hasattr(pair, "__dict__") and Pair.__slots__ == ("left", "right")
    assert copy.copy(pair) == copy.deepcopy(pair) == pickle.loads(pickle.dumps(pair)) == pair
    match pair:
        case Pair(left, right):
            assert (left, right) == ("a", 1)


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'late' follows default"):

        class Bad(Value):
            early: int = 0
            late: int


def test_query_terms_are_values() -> None:
    query = parse("tag:dpo reward -model")
    assert query == parse("tag:dpo reward -model") and hash(query) == hash(parse(query.text))
    assert TagTerm("dpo") in query.terms and Word(("model",), negated=True) in query.terms
    assert Query() == Query((), "")
    assert Marks() == Marks(frozenset(), frozenset(), frozenset(), None)
