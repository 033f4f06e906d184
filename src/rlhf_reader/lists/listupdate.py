"""One update flow for the CLI's ``update`` and the TUI's ``U``: plan, fetch → parse → diff, apply.

:func:`prepare` does everything that may take time or fail (fetch, parse, diff) and changes
nothing, so it can run in a thread; :func:`apply` saves the list and records the "new" marks
and the retired entries (call it from the thread that owns the library). Every failure is an
``UpdateError`` whose message ends with what happens next: the current list stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlhf_reader.library import fileio
from rlhf_reader.lists import listsource, whatsnew
from rlhf_reader.lists.listsource import UpdateError
from rlhf_reader.lists.registry import bundled_list_path

if TYPE_CHECKING:
    from rlhf_reader.lists.listdiff import ListDiff
    from rlhf_reader.model import Catalog

__all__ = ["PlannedUpdate", "UpdateError", "apply", "locate", "prepare", "recorded_origin"]


def locate(list_path: Path, db_path: Path) -> tuple[Path, bool]:
    """Where an update of the list at ``list_path`` is saved, and whether it is "explicit".

    The bundled list and the copy saved beside the library are the default list: its updates
    go to ``listsource.saved_list_path(db_path)``. Any other list (``--list PATH``) is
    updated in place (explicit).
    """
    default = {_real(bundled_list_path()), _real(listsource.saved_list_path(db_path))}
    if _real(list_path) in default:
        return listsource.saved_list_path(db_path), False
    return list_path, True


def _real(path: Path) -> Path:
    try:
        return fileio.expand_user(path).resolve()
    except OSError:
        return path


def recorded_origin(target: Path, explicit: bool) -> str | None:
    """Where the list at ``target`` came from; upstream for the default list; None if unknown."""
    provenance = listsource.read_provenance(target)
    if provenance:
        return provenance.origin
    return None if explicit else listsource.UPSTREAM_URL


@dataclass(frozen=True)
class PlannedUpdate:
    """A fetched, parsed and compared list, not yet saved."""

    origin: str
    target: Path
    data: bytes
    catalog: Catalog
    diff: ListDiff
    keep_backup: bool

    def lines(self) -> list[str]:
        """The diff as lines of text (untrusted: show them literally)."""
        from rlhf_reader.lists.listdiff import describe

        return describe(self.diff)


def prepare(
    origin: str,
    old_catalog: Catalog,
    target: Path,
    *,
    keep_backup: bool,
    timeout: float | None = None,
) -> PlannedUpdate:
    """Fetch ``origin``, parse it as a list and compare it with ``old_catalog``; saves nothing.

    Blocking (network); fit for a thread. ``UpdateError`` for every refusal.
    """
    from rlhf_reader.lists.catalog import CatalogError, parse_bytes
    from rlhf_reader.lists.listdiff import diff

    try:
        data = listsource.fetch(origin, timeout=timeout)
        new_catalog = parse_bytes(data, origin)
    except (UpdateError, CatalogError) as exc:
        raise UpdateError(f"{exc}; the current list stays") from None
    if not new_catalog.sections or not new_catalog.entries:
        from rlhf_reader.lists import report

        found = report.no_entries(origin, data.decode("utf-8", "replace"))
        raise UpdateError(f"{found}; the current list stays")
    if new_catalog.skipped:
        # The entries in a skipped part would look removed, and be retired: refuse instead.
        raise UpdateError(
            f"{origin}: part of the new list could not be read ({new_catalog.skipped[0]}); "
            "the current list stays"
        )
    return PlannedUpdate(
        origin=origin,
        target=target,
        data=data,
        catalog=new_catalog,
        diff=diff(old_catalog, new_catalog),
        keep_backup=keep_backup,
    )


def apply(
    plan: PlannedUpdate, library: Any, when: str | None = None, list_name: str | None = None
) -> str:
    """Save the planned list (atomically) and record new marks and retired entries.

    Returns the time recorded (ISO). ``UpdateError`` if the list cannot be saved, in which
    case the library is not touched either.
    """
    from rlhf_reader.library.store import now_iso

    when = when or now_iso()
    provenance = listsource.make_provenance(plan.origin, plan.data, when)
    listsource.save(plan.target, plan.data, provenance, keep_backup=plan.keep_backup)
    whatsnew.record_update(library, plan.diff, library.annotations(), when, list_name)
    return when
