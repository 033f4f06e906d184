"""Objects made through a stand-in class with the same ``__slots__`` and plain attribute
stores, then given their real class (issue 17): a frozen or slotted dataclass's ``__init__``
per object was a fifth to a third of building 100,000 entries, rows, annotations or
citation records. Python allows the ``__class__`` assignment between classes of the same
layout; tests check the objects equal ones made the usual way."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import repeat

set_class = object.__dict__["__class__"].__set__
"""``set_class(obj, cls)``: ``obj.__class__ = cls``, past a frozen dataclass's guard."""


def become(made: Iterable[object], cls: type) -> None:
    """Give every object of ``made`` the class ``cls`` (a loop in C)."""
    deque(map(set_class, made, repeat(cls)), maxlen=0)
