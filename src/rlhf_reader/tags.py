"""The one tag grammar, for the command line and the TUI alike (no Textual).

What a reader types is a *change* to an entry's tags, never a new list:

- ``+x`` or a bare ``x`` adds the tag ``x``;
- ``-x`` removes it;
- words are separated by spaces or commas; a tag named twice is one change;
- a tag both added and removed is an error, and so is an invalid tag: nothing changes.

A change never drops a tag it does not name, and it is applied to the tags as they are in the
library file at that moment (``Library.change_tags``), not to what a window last showed.
Tags are normalised (:func:`normalize_tag`): trimmed, lower-cased, inner spaces become ``-``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_TAG_LENGTH = 40

GRAMMAR = "+tag or tag adds, -tag removes; other tags stay"


def normalize_tag(tag: str) -> str:
    """Trim, lower-case, runs of spaces → ``-``; ValueError naming the tag when not valid.

    A valid tag has 1–40 characters, no comma, no control character, and does not start
    with ``+`` or ``-`` (those mean add and remove).
    """
    cleaned = "-".join(str(tag).strip().lower().split())
    if not cleaned:
        raise ValueError("empty tag")
    if "," in cleaned:
        raise ValueError(f"tag {tag!r} contains a comma")
    if len(cleaned) > MAX_TAG_LENGTH:
        raise ValueError(f"tag {tag!r} is longer than {MAX_TAG_LENGTH} characters")
    if any(not ch.isprintable() for ch in cleaned):
        raise ValueError(f"tag {tag!r} contains a control character")
    if cleaned[0] in "+-":
        raise ValueError(f"tag {tag!r} starts with {cleaned[0]!r}")
    return cleaned


@dataclass(frozen=True)
class TagEdit:
    """Tags to add and tags to remove, normalised, disjoint, each once."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    @classmethod
    def of(cls, add: Iterable[str] = (), remove: Iterable[str] = ()) -> TagEdit:
        """The change adding ``add`` and removing ``remove``, normalised; ValueError naming
        the tag when one is invalid or both added and removed."""
        adding = list(dict.fromkeys(normalize_tag(t) for t in add))
        removing = list(dict.fromkeys(normalize_tag(t) for t in remove))
        both = [t for t in adding if t in removing]
        if both:
            raise ValueError(f"tag {both[0]!r} is both added and removed")
        return cls(tuple(adding), tuple(removing))

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)

    def apply(self, tags: Iterable[str]) -> tuple[str, ...]:
        """``tags`` with this change made: removals go, additions are appended in order."""
        gone = set(self.remove)
        kept = [t for t in tags if t not in gone]
        kept.extend(t for t in self.add if t not in kept)
        return tuple(dict.fromkeys(kept))

    def describe(self) -> str:
        """``+a -b`` (empty when there is nothing to change)."""
        return " ".join([*(f"+{t}" for t in self.add), *(f"-{t}" for t in self.remove)])


def split_words(text: str) -> list[str]:
    """Words of a typed tag change: separated by spaces or commas."""
    return text.replace(",", " ").split()


def parse_tag_edit(typed: str | Iterable[str]) -> TagEdit:
    """What ``typed`` (a string, or words already split as on a command line) changes.

    ValueError with one line naming the word when a word is a lone ``+``/``-``, a tag is
    invalid, or a tag is both added and removed.
    """
    words = split_words(typed) if isinstance(typed, str) else list(typed)
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        sign, name = (word[0], word[1:]) if word[:1] in ("+", "-") else ("+", word)
        if not name:
            raise ValueError("a lone '+' or '-' needs a tag after it, like +dpo or -survey")
        (add if sign == "+" else remove).append(name)
    return TagEdit.of(add, remove)


def complete_last(text: str, known: Iterable[str]) -> str | None:
    """``text`` with its last word completed from ``known`` tags (keeping a ``+``/``-``)."""
    if not text or text[-1] in " ,":
        return None
    head, _, last = text.replace(",", " ").rpartition(" ")
    sign = last[0] if last[0] in "+-" else ""
    stem = last[len(sign) :].lower()
    if not stem:
        return None
    taken = {w.lstrip("+-") for w in split_words(head)}
    for tag in known:
        if tag.startswith(stem) and tag != stem and tag not in taken:
            return text[: len(text) - len(stem)] + tag
    return None
