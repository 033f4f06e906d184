"""Editing a note in the reader's own editor (``$VISUAL``, else ``$EDITOR``); saving it is
``Workspace.save_note`` (only if nobody changed the note meanwhile). No Textual: ``note KEY
--edit`` uses it, and the TUI can too (inside ``App.suspend()``).

The note goes into a private temporary file (``0600``, ``.md`` so editors highlight
Markdown) with one final newline; what comes back has its trailing newlines dropped, so
an editor that adds one does not count as a change.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

# Tried in this order when neither $VISUAL nor $EDITOR is set (git does the same with vi).
FALLBACK_EDITORS = ("sensible-editor", "editor", "nano", "vi")


class EditorError(Exception):
    """The editor could not be run, or failed; the message says which and why."""


def editor_command(env: Mapping[str, str] | None = None) -> list[str]:
    """``$VISUAL``, else ``$EDITOR`` (split like a shell would: ``code --wait``), else the
    first of :data:`FALLBACK_EDITORS` on PATH; EditorError when there is none."""
    env = os.environ if env is None else env
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise EditorError(f"${name}: cannot split {value!r}: {exc}") from None
            if words:
                return words
    for fallback in FALLBACK_EDITORS:
        found = shutil.which(fallback, path=env.get("PATH"))
        if found:
            return [found]
    raise EditorError("no editor: set $VISUAL or $EDITOR (e.g. export EDITOR=nano)")


@dataclass(frozen=True, slots=True)
class Edited:
    """What the editor left in the file: ``text`` (trailing newlines dropped) when it is
    UTF-8, else None; ``raw`` is the file's bytes either way."""

    raw: bytes
    text: str | None
    problem: str = ""


def edit_text(text: str, command: list[str], *, name: str = "note") -> Edited:
    """Open ``text`` in ``command`` on a temporary file, wait, and return what it holds.

    EditorError when the editor cannot be started or exits with a failure status (the
    edit is then abandoned, as ``git commit`` does after ``:cq``).
    """
    prefix = f"rlhf-reader-{_safe(name)}-"
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=".md")
    path = Path(temp)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                text.encode("utf-8") + (b"\n" if text and not text.endswith("\n") else b"")
            )
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise EditorError(
                f"cannot run the editor {command[0]!r}: {exc.strerror or exc}"
            ) from None
        if done.returncode != 0:
            raise EditorError(
                f"the editor {command[0]!r} exited with status {done.returncode}; nothing changed"
            )
        try:
            raw = path.read_bytes()
        except OSError as exc:  # the editor removed or replaced the file unreadably
            raise EditorError(f"{path}: {exc.strerror or exc}; nothing changed") from None
    finally:
        path.unlink(missing_ok=True)
    try:
        decoded = raw.decode("utf-8-sig")  # a byte order mark is not part of the note
    except UnicodeDecodeError as exc:
        return Edited(raw, None, f"the edited note is not UTF-8 text (byte {exc.start})")
    return Edited(raw, decoded.rstrip("\n"))


def _safe(key: str) -> str:
    """A key as a file-name part: ``github.com/a/b?x`` → ``github.com-a-b-x``."""
    return re.sub(r"[^A-Za-z0-9._]+", "-", key).strip("-.")[:60] or "note"


def keep_beside(folder: Path, key: str, raw: bytes) -> Path:
    """Write ``raw`` to a new ``note-KEY-YYYYmmdd-HHMMSS.md`` in ``folder`` (never over an
    existing file; ``0600``, as notes are private) and return its path."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = f"note-{_safe(key)}-{stamp}"
    for n in range(1000):
        path = folder / (f"{base}.md" if n == 0 else f"{base}-{n}.md")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        return path
    raise FileExistsError(folder / f"{base}.md")  # pragma: no cover - 1000 in one second
