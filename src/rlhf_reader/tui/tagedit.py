"""What the tag input means: a plain list replaces, ``+x`` adds, ``-x`` removes (no Textual)."""

from __future__ import annotations

from rlhf_reader.library.store import normalize_tag


def split_tags(text: str) -> list[str]:
    """Tokens of the tag input: separated by spaces or commas."""
    return text.replace(",", " ").split()


def apply_tag_input(text: str, current: tuple[str, ...]) -> tuple[str, ...]:
    """The tags after the user typed ``text`` over an entry tagged ``current``.

    Plain words form the new list (an empty input clears every tag); when there are only
    ``+x``/``-x`` words they change ``current``. ValueError names the first invalid tag.
    """
    tokens = split_tags(text)
    plain = [t for t in tokens if t[0] not in "+-"]
    adding = [t[1:] for t in tokens if t[0] == "+"]
    removing = [t[1:] for t in tokens if t[0] == "-"]
    if any(not t for t in adding + removing):
        raise ValueError("a lone '+' or '-' needs a tag after it, like +dpo or -survey")
    tags = [normalize_tag(t) for t in plain] if plain or not tokens else list(current)
    tags += [normalize_tag(t) for t in adding]
    gone = {normalize_tag(t) for t in removing}
    return tuple(dict.fromkeys(t for t in tags if t not in gone))


def complete_last(text: str, known: list[str]) -> str | None:
    """``text`` with its last word completed from ``known`` tags (keeping a ``+``/``-``)."""
    if not text or text[-1] in " ,":
        return None
    head, _, last = text.replace(",", " ").rpartition(" ")
    sign = last[0] if last[0] in "+-" else ""
    stem = last[len(sign) :].lower()
    if not stem:
        return None
    taken = set(split_tags(head))
    for tag in known:
        if tag.startswith(stem) and tag != stem and tag not in taken:
            return text[: len(text) - len(stem)] + tag
    return None
