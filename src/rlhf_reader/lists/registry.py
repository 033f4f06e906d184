"""The lists a library follows: the bundled one and any the reader added (``lists add``).

The registry lives in the library's ``meta`` table (``lists``: name → file and when it was
added), so it follows the library file; each added list is saved beside the library as
``lists/NAME.md`` with ``lists/NAME.source.json`` saying where it came from (the same
provenance ``update`` keeps). The bundled list is always registered as ``awesome-rlhf``: its
file is the copy an ``update`` saved beside the library (``list.md``), else the bundled one,
so a library made before lists existed opens unchanged.

Annotations belong to papers (keys), not to lists: removing a list keeps every annotation,
and a paper in two lists is one paper. What's-new marks and retired entries are kept per list
(:func:`rlhf_reader.lists.whatsnew.meta_names`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rlhf_reader.lists import listsource

BUNDLED = "awesome-rlhf"
META = "lists"
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")


class RegistryError(Exception):
    """A list name or source the registry refuses; the message names it."""


class _Library(Protocol):
    def get_meta(self, name: str, default: Any = None) -> Any: ...
    def change_meta(self, name: str, change: Any) -> Any: ...


@dataclass(frozen=True)
class ListInfo:
    name: str
    path: Path
    """The Markdown file in use."""
    origin: str | None
    """Where updates come from (None: nowhere recorded)."""
    fetched_at: str | None
    bundled: bool = False


def bundled_list_path() -> Path:
    """The list shipped with the package (beside this package's parent: no importlib cost)."""
    return Path(__file__).resolve().parent.parent / "data" / "awesome-rlhf.md"


def lists_folder(db_path: Path) -> Path:
    return db_path.parent / "lists"


def check_name(name: str) -> str:
    """``name`` lower-cased; RegistryError when it is not a usable list name."""
    cleaned = name.strip().lower()
    if not _NAME_RE.fullmatch(cleaned):
        raise RegistryError(
            f"list name {name!r}: use 1-40 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return cleaned


def _records(library: _Library) -> dict[str, dict[str, Any]]:
    value = library.get_meta(META)
    if not isinstance(value, dict):
        return {}
    return {str(k): dict(v) for k, v in value.items() if isinstance(v, dict) and k != BUNDLED}


def bundled_info(db_path: Path) -> ListInfo:
    saved = listsource.saved_list_path(db_path)
    if saved.is_file():
        provenance = listsource.read_provenance(saved)
        origin = provenance.origin if provenance else listsource.UPSTREAM_URL
        fetched = provenance.fetched_at if provenance else None
        return ListInfo(BUNDLED, saved, origin, fetched, bundled=True)
    return ListInfo(BUNDLED, bundled_list_path(), listsource.UPSTREAM_URL, None, bundled=True)


def _info(db_path: Path, name: str, record: dict[str, Any]) -> ListInfo:
    path = db_path.parent / str(record.get("file") or f"lists/{name}.md")
    provenance = listsource.read_provenance(path)
    return ListInfo(
        name,
        path,
        provenance.origin if provenance else None,
        provenance.fetched_at if provenance else None,
    )


def registered(library: _Library, db_path: Path) -> dict[str, ListInfo]:
    """Every list the library follows: the bundled one first, then in the order added."""
    lists = {BUNDLED: bundled_info(db_path)}
    for name, record in _records(library).items():
        lists[name] = _info(db_path, name, record)
    return lists


def find(library: _Library, db_path: Path, name: str) -> ListInfo | None:
    try:
        cleaned = check_name(name)
    except RegistryError:
        return None
    return registered(library, db_path).get(cleaned)


def name_of(library: _Library, db_path: Path, path: Path) -> str | None:
    """The registered list whose file is ``path`` (the bundled list for its copies)."""
    real = _real(path)
    if real in (_real(bundled_list_path()), _real(listsource.saved_list_path(db_path))):
        return BUNDLED
    for info in registered(library, db_path).values():
        if _real(info.path) == real:
            return info.name
    return None


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop is a RuntimeError before Python 3.13
        return path


def add(
    library: _Library, db_path: Path, name: str, data: bytes, origin: str, when: str
) -> ListInfo:
    """Register ``data`` (a fetched list that parsed, with entries) as ``name``: saved as
    ``lists/NAME.md`` with its provenance. RegistryError when the name is taken."""
    name = check_name(name)
    if name in registered(library, db_path):
        raise RegistryError(
            f"a list named {name!r} is registered already (see 'rlhf-reader lists')"
        )
    relative = f"lists/{name}.md"
    path = db_path.parent / relative
    try:
        listsource.save(
            path, data, listsource.make_provenance(origin, data, when), keep_backup=False
        )
    except listsource.UpdateError as exc:
        raise RegistryError(str(exc)) from None

    def register(value: Any) -> dict[str, Any]:
        records = dict(value) if isinstance(value, dict) else {}
        records[name] = {"file": relative, "added_at": when}
        return records

    library.change_meta(META, register)
    return _info(db_path, name, {"file": relative})


def remove(library: _Library, db_path: Path, name: str) -> ListInfo:
    """Stop following ``name`` and delete its saved file; annotations stay (they belong to
    papers). The bundled list cannot be removed."""
    info = _require(library, db_path, name)

    def unregister(value: Any) -> dict[str, Any]:
        records = dict(value) if isinstance(value, dict) else {}
        records.pop(info.name, None)
        return records

    library.change_meta(META, unregister)
    try:
        listsource.forget(info.path)
    except listsource.UpdateError as exc:
        raise RegistryError(str(exc)) from None
    return info


def rename(library: _Library, db_path: Path, old: str, new: str) -> ListInfo:
    """Give list ``old`` the name ``new`` (its file and its marks follow)."""
    info = _require(library, db_path, old)
    new = check_name(new)
    if new in registered(library, db_path):
        raise RegistryError(f"a list named {new!r} is registered already")
    relative = f"lists/{new}.md"
    target = db_path.parent / relative
    try:
        info.path.replace(target)
        provenance = listsource.provenance_path(info.path)
        if provenance.exists():
            provenance.replace(listsource.provenance_path(target))
    except OSError as exc:
        raise RegistryError(f"{info.path}: cannot rename: {exc.strerror or exc}") from None

    def move(value: Any) -> dict[str, Any]:
        records = dict(value) if isinstance(value, dict) else {}
        record = dict(records.pop(info.name, {}))
        record["file"] = relative
        records[new] = record
        return records

    library.change_meta(META, move)
    from rlhf_reader.lists.whatsnew import meta_names

    for old_meta, new_meta in zip(meta_names(info.name), meta_names(new), strict=True):
        value = library.get_meta(old_meta)
        if value:
            library.change_meta(new_meta, lambda _v, value=value: value)
            library.change_meta(old_meta, lambda _v: {})
    return _info(db_path, new, {"file": relative})


def _require(library: _Library, db_path: Path, name: str) -> ListInfo:
    cleaned = check_name(name)
    if cleaned == BUNDLED:
        raise RegistryError(
            f"{BUNDLED} is the bundled list: it cannot be removed or renamed "
            "('update --reset' goes back to the shipped copy)"
        )
    info = registered(library, db_path).get(cleaned)
    if info is None:
        known = ", ".join(registered(library, db_path))
        raise RegistryError(f"no list named {name!r} (registered: {known})")
    return info
