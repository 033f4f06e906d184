"""Untrusted text as literal text: the one way a title, note or tag reaches a widget.

A ``str`` given to most Textual widgets is parsed as markup: ``[RLHF] x`` loses ``[RLHF]``,
``[/]`` raises, and ``[@click=app.quit]y[/]`` becomes a clickable action. A ``rich.text.Text``
is never parsed, so every string from the list or the user goes through ``literal`` (one
line) or ``literal_block`` (several lines); control characters (ESC, BEL, C1) are made
visible on the way, so nothing in the data can drive the terminal either. ``content`` does
the same for Textual ``Content``, whose styles can be theme variables.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text
from textual.content import Content

from rlhf_reader.textsafe import printable, printable_block


def literal(text: str, style: StyleType = "") -> Text:
    """One line of untrusted text, shown exactly as written (controls made visible)."""
    return Text(printable(text), style=style, no_wrap=False, end="")


def literal_block(text: str, style: StyleType = "") -> Text:
    """Several lines of untrusted text (newlines and tabs kept, other controls visible)."""
    return Text(printable_block(text), style=style, end="")


def assemble(*parts: str | Text | tuple[str, StyleType]) -> Text:
    """Join pieces into one ``Text``; plain ``str`` pieces are literal, never markup."""
    text = Text(end="")
    for part in parts:
        if isinstance(part, Text):
            text.append_text(part)
        elif isinstance(part, tuple):
            text.append_text(literal_block(part[0], part[1]))
        else:
            text.append_text(literal_block(part))
    return text


def content(*parts: str | Content | tuple[str, str]) -> Content:
    """Like ``assemble``, as Textual ``Content``, whose styles may name theme variables
    (``("read", "$text-success")``): the colours follow the theme when it changes."""
    pieces: list[Content] = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, tuple):
            piece = Content(printable_block(part[0]))
            pieces.append(piece.stylize(part[1]) if part[1] else piece)
        else:
            pieces.append(Content(printable_block(part)))
    return Content("").join(pieces)
