"""The reading queue: the keys the reader means to read next, in the reader's order.

Pure list logic; the store keeps the queue in the library file (``meta`` setting ``queue``,
a list of keys) and applies each of these as a change to the queue as it is in the file
(:meth:`rlhf_reader.library.store.Library.change_queue`). Marking a paper read takes it off
(:meth:`~rlhf_reader.library.store.Library.set_status`).

Positions the reader types (``queue move KEY POS``): a number (1 is the top; past the end
is the bottom), ``up``, ``down``, ``top``, ``bottom``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from rlhf_reader.model import Annotation, Status

QUEUE_SETTING = "queue"
MOVES = ("up", "down", "top", "bottom")


class QueueError(ValueError):
    """A queue change that cannot be made; the message names the key or position."""


def clean(value: Any) -> list[str]:
    """The queue stored in the file as a list of distinct keys (anything else dropped, so a
    hand-edited file cannot break the app)."""
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(k for k in value if isinstance(k, str) and k.strip()))


def add(queue: Sequence[str], keys: Iterable[str]) -> list[str]:
    """``keys`` appended at the bottom, in order; keys already queued stay where they are."""
    return list(dict.fromkeys([*queue, *keys]))


def remove(queue: Sequence[str], keys: Collection[str]) -> list[str]:
    return [k for k in queue if k not in keys]


def toggle(queue: Sequence[str], key: str) -> list[str]:
    """Off the queue when on it, else at the bottom (the TUI's ``!``)."""
    return remove(queue, {key}) if key in queue else add(queue, [key])


def parse_position(text: str) -> int | str:
    """A 1-based position, or one of up/down/top/bottom; QueueError otherwise."""
    word = text.strip().lower()
    if word in MOVES:
        return word
    if word.isdigit() and int(word) >= 1:
        return int(word)
    raise QueueError(f"position {text!r}: expected a number from 1, up, down, top or bottom")


def move(queue: Sequence[str], key: str, where: int | str) -> list[str]:
    """``key`` moved to ``where`` (a 1-based position or up/down/top/bottom);
    QueueError when the key is not queued."""
    if key not in queue:
        raise QueueError(f"{key}: not in the queue")
    items = list(queue)
    index = items.index(key)
    items.pop(index)
    if where == "top":
        target = 0
    elif where == "bottom":
        target = len(items)
    elif where == "up":
        target = max(0, index - 1)
    elif where == "down":
        target = min(len(items), index + 1)
    elif isinstance(where, int) and where >= 1:
        target = min(where - 1, len(items))
    else:
        raise QueueError(f"position {where!r}: expected a number from 1, up, down, top or bottom")
    items.insert(target, key)
    return items


def first_to_read(queue: Sequence[str], annotations: Mapping[str, Annotation]) -> str | None:
    """The first queued key not yet read (unread or reading), or None."""
    for key in queue:
        ann = annotations.get(key)
        if ann is None or ann.status is not Status.READ:
            return key
    return None
