"""What a list holds when the parser finds no entries in it: one line for the error message.

Pure: no Textual, no terminal. Counted with cheap line patterns, not with the parser, so the
message says what is in the file even when nothing in it is shaped like an entry.
"""

from __future__ import annotations

import re

from rlhf_reader import lazyre

_HEADING_RE = lazyre.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)|<h[1-6]\b", re.MULTILINE | re.IGNORECASE)
_LINK_RE = lazyre.compile(r"\]\(|<https?://", re.IGNORECASE)
_ROW_RE = lazyre.compile(r"^ {0,3}\|(?![ \t:|-]*$)", re.MULTILINE)
_ITEM_RE = lazyre.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)

SHAPES = (
    "list items, table rows and **[n]** reference paragraphs with a title and a link: "
    "'- [Title](url)', '- **Title.** Authors. [[paper](url)]', '1. **[Title](url)**', "
    "'- \"Title\" [[pdf](url)]', '- [2023/06] **Title**', "
    "'- Title (2015), A. Author [[pdf](url)]', "
    "'| date | [Title](url) |', '| 1) Title  description | [Paper](url) |'"
)


def found(text: str) -> dict[str, int]:
    """How many headings, links, table rows and list items the text holds."""
    return {
        "headings": len(_HEADING_RE.findall(text)),
        "links": len(_LINK_RE.findall(text)),
        "table rows": len(_ROW_RE.findall(text)),
        "list items": len(_ITEM_RE.findall(text)),
    }


def no_entries(where: str, text: str) -> str:
    """``"<where>: no entries found (it has 3 headings, 0 links, …); entries are …"``."""
    counts = ", ".join(
        f"{count} {name if count != 1 else name[:-1]}" for name, count in found(text).items()
    )
    return f"{where}: no entries found (it has {counts}); entries are {SHAPES}"
