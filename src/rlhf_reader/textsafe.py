"""Make untrusted text safe to print on a terminal.

Titles, notes and abstracts come from lists and people we do not control: an ESC or BEL in
them must not reach the terminal. Control characters are shown as visible escapes instead,
and so are the invisible direction overrides (U+202A–202E, U+2066–2069) and line/paragraph
separators that would make a title display reversed or break a line. Ordinary right-to-left
text (Hebrew, Arabic) is left as it is.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Any

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
    if text.isprintable():  # no Cc, Cf, Cs, Zl, Zp: nothing below matches (the usual case)
        return text
    return _CONTROL_RE.sub(_visible, text)


def printable_block(text: str) -> str:
    """Multi-line text: newlines and tabs kept, every other control character made visible."""
    if text.isprintable():  # one line without controls: nothing to change
        return text
    return _CONTROL_KEEP_LINES_RE.sub(_visible, text.replace("\r\n", "\n"))


# Output on a terminal or pipe that cannot encode everything ---------------------------------
# ``PYTHONIOENCODING=ascii`` or a Latin-1 locale: a title with "›" or "ł" must not end a
# command with UnicodeEncodeError. The CLI sets this error handler on stdout and stderr; each
# character the encoding lacks becomes its ASCII look-alike ("›" → ">", "é" → "e", "—" → "-"),
# else "?". JSON output is escaped instead (``ascii_json``), so it stays lossless.

ENCODE_ERRORS = "rlhf-reader-ascii"
_LOOK_ALIKES = {
    "\u203a": ">", "\u2039": "<", "\u00bb": ">>", "\u00ab": "<<", "\u2192": "->",
    "\u2190": "<-", "\u2014": "-", "\u2013": "-", "\u2010": "-", "\u2011": "-",
    "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"',
    "\u201d": '"', "\u201e": '"', "\u2026": "...", "\u2022": "*", "\u00b7": ".",
    "\u25cb": "o", "\u25d0": "~", "\u25cf": "*", "\u2713": "v", "\u00d7": "x",
    "\u00a0": " ", "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe",
    "\u0152": "OE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L",
}  # fmt: skip


def ascii_look_alike(char: str) -> str:
    """An ASCII stand-in for one character: a look-alike, the letter without its accent,
    else ``?``."""
    if char.isascii():
        return char
    known = _LOOK_ALIKES.get(char)
    if known is not None:
        return known
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", char) if c.isascii() and c.isprintable()
    )
    return bare or "?"


def _encode_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    return "".join(ascii_look_alike(c) for c in chunk), exc.end


codecs.register_error(ENCODE_ERRORS, _encode_fallback)


def tolerant_output(*streams: Any) -> None:
    """Give each text stream the look-alike fallback for characters it cannot encode."""
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors=ENCODE_ERRORS)
        except (ValueError, OSError, AttributeError):  # closed, or not reconfigurable
            pass


def encodes_everything(stream: Any) -> bool:
    """Whether ``stream``'s encoding can write any character (UTF-8 and the like)."""
    try:
        "\u203a\u4e00\U0001f600".encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeError, LookupError):
        return False
    return True


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # a surrogate pair, as JSON spells characters beyond the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


_NON_ASCII_RE = lazyre.compile("[^\x00-\x7f]")


def ascii_json(text: str) -> str:
    """JSON text with every non-ASCII character written as a ``\\uXXXX`` escape: the same
    data, printable on any stdout (outside strings JSON has only ASCII)."""
    return _NON_ASCII_RE.sub(_json_escape, text)


def say(text: str) -> None:
    """One line on stderr, ``rlhf-reader: TEXT``, made safe to print: every message the CLI
    gives besides its output (``error: …``, ``warning: …``) goes through here."""
    import sys

    print(f"rlhf-reader: {printable(text)}", file=sys.stderr)
