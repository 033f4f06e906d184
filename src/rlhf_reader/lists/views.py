"""Several lists at once, for the front ends: the "All lists" workspace, each list's
progress, each list's keys (``list:NAME``) and the new marks across lists.

Pure: no Textual. The counting is the one progress rule (:func:`rlhf_reader.library.progress
.count`): a key counts once in a list, and once over all of them however many list it.
Reading a list that was not read yet parses it (tens of milliseconds to a few hundred):
the TUI calls these from a thread worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rlhf_reader.library.progress import Counts, count
from rlhf_reader.model import Annotation
from rlhf_reader.workspace import Workspace

ALL_LISTS = "All lists"
"""The title of the view of every list at once (and the chooser's entry for it)."""


class AllLists(Workspace):
    """Every registered list as one catalog (:meth:`Workspace.all_lists_catalog`): each list
    a top-level section, then "My additions" and "No longer in the list" of the list
    ``list_arg`` names (the one in use before). The library, the writes and that list are
    the plain workspace's; the catalog and the new marks are those of every list."""

    def rebuild(self) -> bool:
        # Workspace.rebuild makes the list in use plus the reader's sections; the view of
        # every list is made from that (all_lists_catalog reads it as ``catalog``).
        if not super().rebuild():
            return False
        self._catalog = self.all_lists_catalog()
        return True

    def new_keys(self) -> dict[str, str]:
        """The new marks of every list (a key new in two lists: its earliest mark)."""
        from rlhf_reader.lists.whatsnew import new_keys

        found: dict[str, str] = {}
        for name in self.lists():
            for key, when in new_keys(self.library, name).items():
                found[key] = min(when, found.get(key, when))
        return found

    def shared_keys(self) -> frozenset[str]:
        """The keys listed in more than one readable registered list."""
        return frozenset(key for key, names in self.lists_of().items() if len(names) > 1)


def mark_seen(workspace: Workspace, keys: Iterable[str] | None) -> int:
    """Clear the new marks of ``keys`` (all when None) in the workspace's list, or in every
    list for :class:`AllLists`; how many marks were cleared."""
    from rlhf_reader.lists.whatsnew import mark_seen as clear

    chosen = None if keys is None else list(keys)
    names = list(workspace.lists()) if isinstance(workspace, AllLists) else [workspace.list_name]
    return sum(clear(workspace.library, chosen, name) for name in names)


def _read(workspace: Workspace) -> dict[str, frozenset[str] | str]:
    """Every registered list → its keys, or why it cannot be read."""
    from rlhf_reader.lists.catalog import CatalogError

    found: dict[str, frozenset[str] | str] = {}
    for name in workspace.lists():
        try:
            found[name] = frozenset(e.key for e in workspace.catalog_of(name).entries)
        except (CatalogError, OSError) as exc:
            found[name] = str(exc)
    return found


def keys_by_list(workspace: Workspace) -> dict[str, frozenset[str]]:
    """Every readable registered list → its keys: what ``list:NAME`` looks in."""
    return {name: keys for name, keys in _read(workspace).items() if isinstance(keys, frozenset)}


Listing = tuple[str, tuple[str, ...]]
"""Where a paper is listed: a list's name and the section path in it."""


def listings_by_key(workspace: Workspace) -> dict[str, list[Listing]]:
    """Every key of every readable registered list → where it is listed, each list once
    (its first listing), in the registry's order: what "Also in" says
    (:meth:`Workspace.also_in` for one key, this for all of them at once)."""
    from rlhf_reader.lists.catalog import CatalogError

    where: dict[str, list[Listing]] = {}
    for name in workspace.lists():
        try:
            entries = workspace.catalog_of(name).entries
        except (CatalogError, OSError):
            continue
        first: dict[str, tuple[str, ...]] = {}
        for entry in entries:
            first.setdefault(entry.key, entry.section)
        for key, section in first.items():
            where.setdefault(key, []).append((name, section))
    return where


@dataclass(frozen=True)
class ListProgress:
    """One registered list: how far through it the reader is (None: it cannot be read,
    ``problem`` says why)."""

    name: str
    counts: Counts | None
    problem: str = ""


def progress_by_list(
    workspace: Workspace, annotations: Mapping[str, Annotation] | None = None
) -> tuple[list[ListProgress], Counts]:
    """Each registered list's counts (its entries, each key once) in the registry's order,
    and the counts over all of them (a paper in several lists counts once)."""
    if annotations is None:
        annotations = workspace.library.annotations()
    lists = []
    everything: set[str] = set()
    for name, keys in _read(workspace).items():
        if isinstance(keys, str):
            lists.append(ListProgress(name, None, keys))
            continue
        everything |= keys
        lists.append(ListProgress(name, count(keys, annotations)))
    return lists, count(everything, annotations)
