"""Putting text on the clipboard, quietly: pyperclip, then OSC 52, then a clear message.

No Textual here. The TUI sends text with Textual's own ``copy_to_clipboard`` (OSC 52 through
its driver) and also calls ``try_pyperclip``; the CLI calls ``copy``.

Nothing a clipboard tool prints may reach the screen: pyperclip runs with Python's
stdout/stderr captured and warnings recorded, and the programs it starts (xclip, xsel,
wl-copy, pbcopy, …) get ``/dev/null`` for their output through a stand-in for the
``subprocess`` module inside pyperclip only — the process's own file descriptors are never
touched, so a running TUI keeps its screen. A tool that exits with an error counts as a
failure.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import Any, TextIO

_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What happened: ``ok``, the ``method`` used (``pyperclip``, ``osc52`` or ``""``) and a
    sentence for the user."""

    ok: bool
    method: str
    message: str


class _QuietSubprocess:
    """``subprocess`` as pyperclip sees it while copying: children print to /dev/null, and
    every child started is remembered so its exit status can be checked."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[Any]] = []
        self.failed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    @staticmethod
    def _quiet(kwargs: dict[str, Any]) -> dict[str, Any]:
        if kwargs.get("stdout") is None:
            kwargs["stdout"] = subprocess.DEVNULL
        if kwargs.get("stderr") is None:
            kwargs["stderr"] = subprocess.DEVNULL
        return kwargs

    def Popen(self, args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        child = subprocess.Popen(args, **self._quiet(kwargs))
        self.children.append(child)
        return child

    def check_call(self, args: Any, **kwargs: Any) -> int:
        return subprocess.check_call(args, **self._quiet(kwargs))

    def call(self, args: Any, **kwargs: Any) -> int:
        return subprocess.call(args, **self._quiet(kwargs))

    def run(self, args: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        return subprocess.run(args, **self._quiet(kwargs))

    def failures(self) -> list[str]:
        out = []
        for child in self.children:
            code = child.poll()
            if code is None:
                try:
                    code = child.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    continue  # still serving the selection (xclip forks); not a failure
            if code:
                name = child.args[0] if isinstance(child.args, list | tuple) else child.args
                out.append(f"{os.path.basename(str(name))} exited with status {code}")
        return out


def pyperclip_copy(text: str) -> tuple[bool, str]:
    """Copy with pyperclip, printing nothing: ``(True, "")`` or ``(False, reason)``."""
    try:
        import pyperclip
    except ImportError:
        return False, "pyperclip is not installed"
    shim = _QuietSubprocess()
    sink = io.StringIO()
    with _LOCK:
        saved = getattr(pyperclip, "subprocess", None)
        pyperclip.subprocess = shim  # type: ignore[attr-defined]
        try:
            with (
                contextlib.redirect_stdout(sink),
                contextlib.redirect_stderr(sink),
                warnings.catch_warnings(record=True),
            ):
                pyperclip.copy(text)
        except Exception as exc:  # PyperclipException and whatever a mechanism raises
            return False, _first_line(str(exc)) or type(exc).__name__
        finally:
            if saved is not None:
                pyperclip.subprocess = saved  # type: ignore[attr-defined]
    failures = shim.failures()
    if failures:
        return False, "; ".join(failures)
    return True, ""


def try_pyperclip(text: str) -> bool:
    """For the TUI: copy with pyperclip when it has a working mechanism; quiet; never raises."""
    ok, _ = pyperclip_copy(text)
    return ok


def osc52_sequence(text: str) -> str:
    """The OSC 52 escape that asks the terminal to set the clipboard (BEL-terminated)."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{payload}\x07"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def copy(text: str, stream: TextIO | None = None) -> CopyResult:
    """Copy ``text`` for the CLI: pyperclip, else OSC 52 on ``stream`` (default stdout) when
    it is a terminal, else a failure whose message says why and what to do."""
    ok, reason = pyperclip_copy(text)
    if ok:
        return CopyResult(True, "pyperclip", "copied to the clipboard")
    out = stream if stream is not None else sys.stdout
    if _is_tty(out):
        try:
            out.write(osc52_sequence(text))
            out.flush()
        except OSError as exc:
            reason = f"{reason}; the terminal could not be written ({exc.strerror or exc})"
        else:
            return CopyResult(
                True,
                "osc52",
                "sent to the terminal's clipboard (OSC 52; needs a terminal that allows it)",
            )
    return CopyResult(
        False,
        "",
        f"could not copy to the clipboard ({reason}) and the output is not a terminal "
        "for OSC 52; install xclip, xsel or wl-clipboard, or copy the text printed above",
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
