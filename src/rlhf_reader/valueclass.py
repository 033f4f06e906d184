"""Value classes made without generating code: frozen, slotted, compared and hashed by their
fields, like ``@dataclass(frozen=True, slots=True)``.

``dataclasses`` writes every method of a class as source text and compiles it: about 3.3
million instructions (~2 ms) for a frozen, slotted class, 0.75 million for an ``__init__``
alone. The TUI made about 60 such classes at every start, most of the difference between its
time until idle and a bare Textual app's (issue 17, the bundled list). A :class:`Value`
subclass gets the same behaviour from methods written once, here: ``__init__`` (positional or
keyword arguments, defaults), ``__eq__`` and ``__hash__`` over the fields, ``__repr__``,
``__match_args__``, no assignment after ``__init__`` and ``copy``/``pickle`` support.

Meant for classes made rarely (query terms, results, messages): the shared ``__init__`` binds
its arguments in Python, a little slower than a generated one. Classes made by the hundred
thousand (``Entry``, ``Row``) stay dataclasses. Fields are the annotated names of the class
body that are not ``ClassVar``; a ``Value`` subclass does not inherit another's fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError
from itertools import pairwise
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it: no import of typing_extensions at run time

    def dataclass_transform(**_: Any) -> Callable[[type], type]:
        return lambda cls: cls


__all__ = ["Value", "bind", "dataclass_transform", "own_fields"]

_set = object.__setattr__


def own_fields(namespace: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The fields a class body declares (annotated, not ``ClassVar``), in order, and the
    defaults of those that have one; TypeError when one without follows one with."""
    hints = namespace.get("__annotations__", {})
    names = tuple(name for name, hint in hints.items() if not _is_classvar(hint))
    defaults = {name: namespace[name] for name in names if name in namespace}
    for before, name in pairwise(names):
        if before in defaults and name not in defaults:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    return names, defaults


def _is_classvar(hint: Any) -> bool:
    text = hint if isinstance(hint, str) else repr(hint)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def bind(
    owner: str,
    fields: tuple[str, ...],
    defaults: Mapping[str, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, ...]:
    """Every field's value, in order, from a call's arguments (TypeError as a call gives)."""
    if len(args) > len(fields):
        raise TypeError(
            f"{owner}() takes {len(fields)} positional arguments but {len(args)} were given"
        )
    values = list(args)
    for name in fields[len(args) :]:
        if name in kwargs:
            values.append(kwargs.pop(name))
        elif name in defaults:
            values.append(defaults[name])
        else:
            raise TypeError(f"{owner}() missing required argument: {name!r}")
    for name in kwargs:
        if name in fields:
            raise TypeError(f"{owner}() got multiple values for argument {name!r}")
        raise TypeError(f"{owner}() got an unexpected keyword argument {name!r}")
    return tuple(values)


class _ValueType(type):
    """Makes the class body's fields its ``__slots__`` (their defaults kept aside, as a slot
    and a class attribute of one name cannot both exist)."""

    def __new__(
        mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> _ValueType:
        fields, defaults = own_fields(namespace)
        for field in defaults:
            del namespace[field]
        namespace["__slots__"] = fields
        namespace["__match_args__"] = fields
        cls = super().__new__(mcls, name, bases, namespace, **kwargs)
        cls._fields = fields  # type: ignore[attr-defined]
        cls._defaults = defaults  # type: ignore[attr-defined]
        if len(fields) == 1:
            one = attrgetter(fields[0])
            getter: Callable[[Any], tuple[Any, ...]] = lambda value: (one(value),)  # noqa: E731
        elif fields:
            getter = attrgetter(*fields)
        else:
            getter = lambda value: ()  # noqa: E731
        cls._values = staticmethod(getter)  # type: ignore[attr-defined]
        return cls


@dataclass_transform(frozen_default=True)
class Value(metaclass=_ValueType):
    """The base of a frozen value class: declare the fields as annotations (see the module)."""

    _fields: ClassVar[tuple[str, ...]]
    _defaults: ClassVar[dict[str, Any]]
    _values: ClassVar[Callable[[Any], tuple[Any, ...]]]  # the fields' values of a value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        fields = cls._fields
        if kwargs or len(args) != len(fields):
            args = bind(cls.__qualname__, fields, cls._defaults, args, kwargs)
        for name, value in zip(fields, args, strict=True):
            _set(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            values = type(self)._values
            return bool(values(self) == values(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(type(self)._values(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), type(self)._values(self)
