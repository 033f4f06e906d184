"""Undo for the changes one session makes to the library: status (with the date read), tags,
note. Pure logic over :class:`~rlhf_reader.library.store.Library`; no Textual.

A :class:`History` records each write as a :class:`Step`: for every key, the annotation just
before and just after the write, both read under the library's lock around the write, so
they are what the file held, not what a window last showed. Undoing the last step is a new
change to the file *as it is now*, again under the lock (``Library.exclusive``: read,
decide, write), never a restore of a stale copy:

* **status** (with ``read_at``) and **note** go back to what they were before the step only
  if the file still holds what the step wrote. If another process (the CLI, a second
  window) changed that field since, it is left as it is and reported as kept.
* **tags**: when the tags are still exactly what the step wrote, the old tags come back as
  they were (order too); when they changed elsewhere since, only the step's own change is
  reversed (the tags it added are taken off, the ones it removed put back) and the other
  change stays.
* keys the step took off the reading queue (marking read does) go back to their place,
  when their status was restored.

A step over many keys (a whole section marked read) is undone as one; each key is checked on
its own, so the papers changed elsewhere keep their new state while the rest are undone.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rlhf_reader.model import Annotation, Status

if TYPE_CHECKING:
    from rlhf_reader.library.store import Library

T = TypeVar("T")

FIELDS = ("status", "tags", "note")
"""What a step may change; ``status`` stands for the status and its ``read_at`` together."""

LIMIT = 100
"""Steps kept per session; the oldest are forgotten first."""


def short(title: str, width: int = 48) -> str:
    """A title cut for a one-line message (a step's description)."""
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def field_value(annotation: Annotation, name: str) -> Any:
    if name == "status":
        return (annotation.status, annotation.read_at)
    if name == "tags":
        return tuple(annotation.tags)
    return annotation.note


def _set_field(annotation: Annotation, name: str, value: Any) -> None:
    if name == "status":
        annotation.status, annotation.read_at = value
    elif name == "tags":
        annotation.tags = tuple(value)
    else:
        annotation.note = value


def _copy(annotation: Annotation) -> Annotation:
    return dataclasses.replace(annotation)


@dataclass(frozen=True)
class Change:
    """One key's annotation just before and just after a write."""

    before: Annotation
    after: Annotation

    @property
    def key(self) -> str:
        return self.after.key

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the write changed (``FIELDS`` order)."""
        return tuple(
            name
            for name in FIELDS
            if field_value(self.before, name) != field_value(self.after, name)
        )

    def reverse_tags(self, current: tuple[str, ...]) -> tuple[str, ...]:
        """``current`` tags with this change reversed: its additions taken off, its removals
        put back at the end; tags changed by anyone else stay."""
        added = set(self.after.tags) - set(self.before.tags)
        removed = [t for t in self.before.tags if t not in self.after.tags]
        kept = [t for t in current if t not in added]
        return tuple([*kept, *(t for t in removed if t not in kept)])


@dataclass(frozen=True)
class Step:
    """One write of the session: what it did (for messages) and each key's change."""

    what: str
    changes: tuple[Change, ...]
    unqueued: tuple[tuple[str, int], ...] = ()
    """Keys the write took off the reading queue, with the place (0-based) they had."""

    @property
    def keys(self) -> list[str]:
        return [change.key for change in self.changes]


@dataclass(frozen=True)
class Undone:
    """What undoing a step did to the file."""

    what: str
    restored: tuple[Annotation, ...]
    """Every key of the step as the file holds it now (undone or not), for the views."""
    kept: tuple[tuple[str, str], ...] = ()
    """(key, field) that another process changed since the step: left as it is."""
    merged: tuple[str, ...] = ()
    """Keys whose tags changed elsewhere too: only the step's own tag change was reversed."""
    requeued: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.kept

    def summary(self, title_of: Callable[[str], str] = str) -> str:
        """One message for the reader: what was undone, and what was not and why."""
        if not self.kept:
            text = f"Undone: {self.what}."
            if self.merged:
                text += (
                    f" The tags of {_names(self.merged, title_of)} had changed elsewhere "
                    "since: only this change was reversed."
                )
            return text
        kept_keys = list(dict.fromkeys(key for key, _ in self.kept))
        fields = sorted({name for _, name in self.kept}, key=FIELDS.index)
        where = f"the {' and '.join(fields)} of {_names(kept_keys, title_of)}"
        if len(kept_keys) == len(self.restored):
            return (
                f"Not undone: {self.what}. {where[0].upper()}{where[1:]} changed elsewhere "
                "since (another window or the CLI); nothing was overwritten."
            )
        return (
            f"Undone in part: {self.what}. Left as they are: {where}, changed elsewhere "
            "since (another window or the CLI)."
        )


def _names(keys: list[str] | tuple[str, ...], title_of: Callable[[str], str]) -> str:
    if len(keys) == 1:
        return f"«{title_of(keys[0])}»"
    shown = ", ".join(f"«{title_of(k)}»" for k in keys[:3])
    more = f" and {len(keys) - 3} more" if len(keys) > 3 else ""
    return f"{len(keys)} papers ({shown}{more})"


class History:
    """The session's steps, newest last; :meth:`record` around each write, :meth:`undo`."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._steps: deque[Step] = deque(maxlen=limit)

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def last(self) -> Step | None:
        return self._steps[-1] if self._steps else None

    def record(self, library: Library, keys: Iterable[str], write: Callable[[], T], what: str) -> T:
        """Run ``write`` (a change to ``keys`` through the library's change API) holding the
        lock, and remember the keys' annotations just before and after it as one step
        (none when nothing changed). Returns what ``write`` returned; its errors pass."""
        keys = list(dict.fromkeys(keys))
        with library.exclusive():
            before = [_copy(library.annotation(key)) for key in keys]
            queued = library.queue()
            result = write()
            after = [_copy(library.annotation(key)) for key in keys]
            still = set(library.queue())
        changes = tuple(change for change in map(Change, before, after) if change.fields)
        if changes:
            changed = {change.key for change in changes}
            unqueued = tuple(
                (key, place)
                for place, key in enumerate(queued)
                if key in changed and key not in still
            )
            self._steps.append(Step(what, changes, unqueued))
        return result

    def undo(self, library: Library) -> Undone | None:
        """Undo the last step on the file as it is now (see the module docstring); None when
        there is nothing to undo. The step is used up either way; on a library error
        (LibraryError, OSError) it is kept, so the reader can try again."""
        if not self._steps:
            return None
        from rlhf_reader.library.store import now_iso

        step = self._steps[-1]
        restored: list[Annotation] = []
        writes: list[Annotation] = []
        kept: list[tuple[str, str]] = []
        merged: list[str] = []
        with library.exclusive():
            stamp = now_iso()
            for change in step.changes:
                now = library.annotation(change.key)
                new = _copy(now)
                for name in change.fields:
                    current = field_value(now, name)
                    if current == field_value(change.after, name):
                        _set_field(new, name, field_value(change.before, name))
                    elif current == field_value(change.before, name):
                        continue  # already back as it was
                    elif name == "tags":
                        new.tags = change.reverse_tags(now.tags)
                        merged.append(change.key)
                    else:
                        kept.append((change.key, name))
                if new.to_dict() != now.to_dict():
                    new.created = new.created or stamp
                    new.updated = stamp
                    writes.append(new)
                restored.append(new)
            if writes:
                library.put_annotations(writes)
            requeued = self._requeue(library, step, restored)
        self._steps.pop()
        return Undone(step.what, tuple(restored), tuple(kept), tuple(merged), requeued)

    @staticmethod
    def _requeue(library: Library, step: Step, restored: list[Annotation]) -> tuple[str, ...]:
        """Put the keys the step took off the queue back in their place, for those whose
        status is no longer read (their status was undone)."""
        unread = {ann.key for ann in restored if ann.status is not Status.READ}
        back = [(key, place) for key, place in step.unqueued if key in unread]
        if not back:
            return ()

        def put_back(queue: list[str]) -> list[str]:
            queue = list(queue)
            for key, place in sorted(back, key=lambda pair: pair[1]):
                if key not in queue:
                    queue.insert(min(place, len(queue)), key)
            return queue

        library.change_queue(put_back)
        return tuple(key for key, _ in back)
