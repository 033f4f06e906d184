"""The references read from an imported BibTeX or CSL-JSON file, kept between runs.

A reference manager exports the same file again and again (Zotero's automatic export, a
shared .bib), and ``import`` of it is run again and again: reading 100,000 references took
3-4 s of it (the BibTeX reader, the conversion of every entry), for the same references
as the last time. The user cache folder (``rlhf-reader/imports/``) keeps, for each file
imported (one cache file per path), the references read from its bytes: found again when
the file holds the very same bytes (its SHA-256) and this code is the same (a digest of the
modules that read it and of bibtexparser's version); anything else reads the file again.

Only what reading the file alone decides is kept — the references. Matching them to the
library, tags, notes and the report are planned again on every import. A file whose reading
printed something (bibtexparser's warnings on a file it read whole, pylatexenc on LaTeX) is
not kept: a later import prints the same, so it reads the file again. Any problem with the
cache (no folder, a damaged or foreign file) only costs the time of reading the file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import sys
from pathlib import Path

from rlhf_reader.library import fileio
from rlhf_reader.library.bibimport import Reference, Row, made

FORMAT = 1
_MAGIC = b"rlhf-reader-import"
_MODULES = ("library/bibimport.py", "library/bibfast.py", "library/import_cache.py", "keys.py")
_FIELDS = Reference.__slots__  # source_id, title, authors, year, … in the dataclass's order


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """What the kept references depend on: this format, the reading code, bibtexparser (it
    reads the parts of a file the fast reader leaves to it) and the marshal format."""
    from rlhf_reader import __version__

    digest = hashlib.sha256(__version__.encode())
    here = Path(__file__).resolve().parent.parent
    sources = [here / name for name in _MODULES]
    spec = importlib.util.find_spec("bibtexparser")
    if spec is not None and spec.origin:
        sources.append(Path(spec.origin))  # its __init__.py names its version
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"?")
    python = f"{marshal.version}-{sys.implementation.cache_tag}"
    return f"{FORMAT}:{digest.hexdigest()[:16]}:{','.join(_FIELDS)}:{python}"


def file_key(raw: bytes) -> str:
    """The key of a file's bytes (and of this code): what a kept file must name."""
    return f"{code_version()}:{hashlib.sha256(raw).hexdigest()}"


def _path(source: str) -> Path | None:
    try:
        import platformdirs

        resolved = fileio.expand_user(source).resolve()
        name = hashlib.blake2b(os.fsencode(resolved), digest_size=16).hexdigest()
        return Path(platformdirs.user_cache_dir("rlhf-reader")) / "imports" / name
    except Exception:  # no cache folder, a path that cannot be resolved: read the file
        return None


def load(key: str, source: str) -> tuple[str, list[Reference]] | None:
    """``(format, references)`` kept for the file ``source`` when it held the bytes of
    ``key`` (:func:`file_key`); None otherwise."""
    path = _path(source)
    if path is None:
        return None
    try:
        with fileio.open_regular(path) as handle:
            blob = handle.read()
        head, _, payload = blob.partition(b"\n")
        magic, named, check = head.split(b" ")
        if magic != _MAGIC or named.decode() != key:
            return None
        if hashlib.sha256(payload).hexdigest().encode() != check:
            return None
        fmt, rows = marshal.loads(payload)
        references = made(rows)
    except Exception:  # missing, damaged, foreign: read the file
        return None
    return str(fmt), references


def store(key: str, source: str, fmt: str, rows: list[Row]) -> None:
    """Keep ``rows`` (of references: ``bibimport.Row``) as what the file ``source`` with
    the bytes of ``key`` holds. Silent: a cache that cannot be written only costs the next
    import the reading."""
    path = _path(source)
    if path is None:
        return
    try:
        payload = marshal.dumps((fmt, rows))
        head = b" ".join((_MAGIC, key.encode(), hashlib.sha256(payload).hexdigest().encode()))
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fileio.write_atomic(path, head + b"\n" + payload, mode=0o600, durable=False)
        _prune(path.parent, KEEP)
    except (OSError, ValueError):
        pass


KEEP = 8  # files kept: those of the files imported last


def _prune(folder: Path, keep: int) -> None:
    """Only the ``keep`` most recently written files of ``folder`` (temp files of a write
    in progress, ``.…tmp``, are left alone)."""
    kept = sorted(
        (p for p in folder.iterdir() if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for old in kept[keep:]:
        old.unlink(missing_ok=True)
