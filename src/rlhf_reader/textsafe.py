"""Make untrusted text safe to print on a terminal.

Titles, notes and abstracts come from lists and people we do not control: an ESC or BEL in
them must not reach the terminal. Control characters are shown as visible escapes instead.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the C1 range (CSI, OSC, … are single code points there).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_KEEP_LINES_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(text: str) -> str:
    """One line of text with every control character made visible (``\\x1b``)."""
    return _CONTROL_RE.sub(_visible, text)


def printable_block(text: str) -> str:
    """Multi-line text: newlines and tabs kept, every other control character made visible."""
    return _CONTROL_KEEP_LINES_RE.sub(_visible, text.replace("\r\n", "\n"))
