"""Where a paper's PDF lives: the folder beside the library and each key's file name.

Apart from :mod:`rlhf_reader.sources.pdf` (downloads, viewers, sockets) so that finding the
PDFs on disk, which the TUI does at every start, imports none of that.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from rlhf_reader.library.fileio import expand_user


def pdf_folder(db_path: Path) -> Path:
    """``pdfs/`` beside the library file."""
    return expand_user(db_path).parent / "pdfs"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def pdf_filename(key: str) -> str:
    """The file name of a key's PDF: the arXiv id (``/`` as ``_``), or for any other key a
    readable part of it and a short hash (so two keys never share a file)."""
    if re.fullmatch(r"\d{4}\.\d{4,5}", key):
        return f"{key}.pdf"
    if re.fullmatch(r"[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7}", key):
        return key.replace("/", "_") + ".pdf"
    readable = _UNSAFE.sub("_", key).strip("._-")[:60] or "paper"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}.pdf"


def pdf_keys(folder: Path, keys: Iterable[str]) -> frozenset[str]:
    """Those of ``keys`` whose PDF is in ``folder`` (one directory listing)."""
    try:
        names = set(os.listdir(folder))
    except OSError:
        return frozenset()
    return frozenset(key for key in keys if pdf_filename(key) in names)
