"""Make untrusted text safe to print on a terminal.

Titles, notes and abstracts come from lists and people we do not control: an ESC or BEL in
them must not reach the terminal. Control characters are shown as visible escapes instead,
and so are the invisible direction overrides (U+202A–202E, U+2066–2069) and line/paragraph
separators that would make a title display reversed or break a line. Ordinary right-to-left
text (Hebrew, Arabic) is left as it is.
"""

from __future__ import annotations

import re

from rlhf_reader import lazyre

# C0 controls, DEL and the C1 range (CSI, OSC, … are single code points there), then the
# bidi embeddings/overrides/isolates and U+2028/2029.
# Lone surrogates too: a file name or argument that is not UTF-8 reaches Python as
# U+DC80–U+DCFF ("surrogateescape"), which a strict UTF-8 stdout cannot even encode.
_BIDI = "\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL_RE = lazyre.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_KEEP_LINES_RE = lazyre.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # the undecodable byte itself: caf\xe9.md
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """One line of text with every control character made visible (``\\x1b``)."""
    return _CONTROL_RE.sub(_visible, text)


def printable_block(text: str) -> str:
    """Multi-line text: newlines and tabs kept, every other control character made visible."""
    return _CONTROL_KEEP_LINES_RE.sub(_visible, text.replace("\r\n", "\n"))
