"""Text of a list as written: white space folded without touching NBSP, tokens back to text.

Pure: no Textual, no terminal. Only ASCII white space (space, tab, line breaks) is folded, so a
non-breaking space or an ideographic space in a title comes back as it was written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rlhf_reader import lazyre

if TYPE_CHECKING:
    from markdown_it.token import Token

_ASCII_SPACE_RE = lazyre.compile(r"[ \t\n\r\f\v]+")
ASCII_SPACE = " \t\n\r\f\v"


def squash(text: str) -> str:
    """Runs of ASCII white space to one space, none at either end; NBSP and the like kept."""
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\f" in text:
        return _ASCII_SPACE_RE.sub(" ", text).strip(ASCII_SPACE)
    if "\v" in text:
        return _ASCII_SPACE_RE.sub(" ", text).strip(ASCII_SPACE)
    return text.strip(ASCII_SPACE)  # single spaces only: nothing to fold


def raw(children: list[Token], images: bool = True) -> str:
    """Inline tokens back to text, with Markdown such as ``**`` and backticks as written.

    Entities stay as written (``&amp;``); backslash escapes lose their backslash. Image
    tokens give their alt text, or nothing with ``images=False`` (badges in a heading).
    """
    parts: list[str] = []
    skip = 0
    for tok in children:
        kind = tok.type
        if skip:
            if kind == "link_open":
                skip += 1
            elif kind == "link_close":
                skip -= 1
            continue
        if kind in ("text", "text_special", "html_inline"):
            parts.append(tok.content)
        elif kind == "code_inline":
            parts.append(f"{tok.markup}{tok.content}{tok.markup}")
        elif kind in ("em_open", "em_close", "strong_open", "strong_close"):
            parts.append(tok.markup)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "image":
            if images:
                parts.append(tok.content)
        elif kind == "link_open" and not images and _only_images(children, tok):
            skip = 1  # a badge: a link around an image
    return "".join(parts)


def _only_images(children: list[Token], opener: Token) -> bool:
    start = children.index(opener)
    depth = 0
    for tok in children[start:]:
        if tok.type == "link_open":
            depth += 1
        elif tok.type == "link_close":
            depth -= 1
            if depth == 0:
                return True
        elif tok.type == "image":
            continue
        elif tok.type == "text" and not tok.content.strip(ASCII_SPACE):
            continue
        else:
            return False
    return True


def plain(children: list[Token], images: bool = True) -> str:
    return squash(raw(children, images))


def clean_title(text: str) -> str:
    """A title without the list's decoration: folded white space, no trailing period."""
    text = squash(text)
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip(ASCII_SPACE)
    return text


_HTML_TAG_RE = lazyre.compile(r"<[A-Za-z/][^<>]*>")


def strip_tags(text: str) -> str:
    """``a <br>b`` → ``a b``: HTML tags in a description become spaces."""
    return squash(_HTML_TAG_RE.sub(" ", text))


def unwrap(text: str) -> str:
    """A title's own decoration off: ``**Title.**``, ``"Title"``, ``*Title*`` → ``Title``."""
    text = squash(text)
    for _ in range(3):
        before = text
        for mark in ("**", "__", "*", "_"):
            if len(text) > 2 * len(mark) and text.startswith(mark) and text.endswith(mark):
                text = text[len(mark) : -len(mark)].strip(ASCII_SPACE)
        for left, right in (('"', '"'), ("“", "”"), ("'", "'")):
            if len(text) > 2 and text.startswith(left) and text.endswith(right):
                text = text[1:-1].strip(ASCII_SPACE)
        if text.endswith((".", ",")) and not text.endswith(".."):
            text = text[:-1].rstrip(ASCII_SPACE)
        if text == before:
            break
    return text


YEAR_RE = lazyre.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def last_year(text: str) -> int | None:
    years = YEAR_RE.findall(text)
    return int(years[-1]) if years else None
