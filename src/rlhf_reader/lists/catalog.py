"""Parse an awesome-style Markdown list into a ``Catalog`` of sections and entries.

markdown-it-py gives the block structure (headings, lists, fences, HTML comments); this
module decides which list items are entries. Pure: no Textual, no terminal.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf_reader import lazyre
from rlhf_reader.keys import arxiv_id_from_url, normalize_url
from rlhf_reader.model import Catalog, Entry, Link, Section

if TYPE_CHECKING:  # markdown-it is imported on first parse: a cached list never needs it
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_TOC_TITLE_RE = lazyre.compile(r"^(table of contents|contents|toc)$", re.IGNORECASE)
_SOURCE_TAG_RE = lazyre.compile(r"^\s*\[([^\[\]]+)\]\s*$")
_YEAR_RE = lazyre.compile(r"[\s,(]*\b((?:19|20)\d{2})\)?\s*\.?\s*$")
_MONTH_RE = lazyre.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(\s+\d{1,2})?$",
    re.IGNORECASE,
)
_MAX_NAME_WORDS = 4  # a details line with no year, no comma and more words is a description
_SLUG_DROP_RE = lazyre.compile(r"[^\w\- ]", re.UNICODE)


MAX_LIST_BYTES = 50_000_000  # a 10,000-entry list is 2 MB; /dev/zero must not fill memory


class CatalogError(Exception):
    """A list that cannot be read or holds no entries; the message names the file."""


@dataclass(slots=True)
class _Item:
    """A list item as markdown-it nests it: its first paragraph and its sub-items."""

    line: int
    level: int
    inline: Token | None = None
    children: list[_Item] = field(default_factory=list)


@dataclass(slots=True)
class _Head:
    """A leading link found at the start of a list item."""

    title: str
    url: str
    source: str | None
    links: list[Link]


@functools.lru_cache(maxsize=8)
def _markdown(optional: frozenset[str]) -> MarkdownIt:
    """CommonMark with only the block rules a document can use, and inline parsing on demand.

    ``optional`` names the rules among ``reference``, ``blockquote`` and ``hr`` that the text
    may need (see :func:`_optional_rules`); the others are switched off, which is faster and
    gives the same tokens. The core ``inline`` rule is off: list items are parsed inline only
    when their text has inline syntax (:class:`_Inline`).
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    # Keep link targets as written (no percent-encoding) so that keys and the links we
    # show are what the list says; markdown-it still refuses javascript: and the like.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.disable(["inline", "text_join", *sorted(_OPTIONAL_RULES - optional)])
    return md


# Each optional block rule, and a pattern that every line it could apply to matches: a
# reference definition needs "]:", a fence three backticks or tildes, a block quote a ">"
# and an HTML block a "<" after indentation and list markers, a thematic break three of "-",
# "*" or "_", an indented code block four spaces or a tab before its text. No match in the
# text: the rule cannot fire, and markdown-it need not try it on every line.
_OPTIONAL_RULES = frozenset({"reference", "fence", "blockquote", "hr", "html_block", "code"})
_CONTAINERS = r"^[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*"
_RULE_NEEDED = {
    "reference": lazyre.compile(r"\]:"),
    "fence": lazyre.compile(r"```|~~~"),
    "blockquote": lazyre.compile(_CONTAINERS + ">", re.MULTILINE),
    "hr": lazyre.compile(_CONTAINERS + r"([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE),
    "html_block": lazyre.compile(_CONTAINERS + "<", re.MULTILINE),
    "code": lazyre.compile(r"^[ >*+\-\d.)]*(?: {4}|\t)", re.MULTILINE),
}


def _optional_rules(text: str) -> frozenset[str]:
    return frozenset(name for name, needed in _RULE_NEEDED.items() if needed.search(text))


# Inline syntax that can make an item's plain text differ from its source: links, images,
# autolinks and HTML, escapes, entities, code spans. Text without any is used as it is.
_INLINE_SYNTAX_RE = lazyre.compile(r"[\\&\[\]<`]")


# An item that is "[title](url)" and then text, none of them with inline syntax (no
# brackets, escapes, entities, code, HTML or emphasis in the title; no parentheses, spaces,
# entities or controls in the URL): its head is read without inline tokens. A test checks
# that this gives what the tokens give, on the real lists.
_PLAIN_LINK_RE = lazyre.compile(
    r"\[([^\[\]\\`<&*_]*)\]\(([^\x00-\x20\x7f()<>\\&]+)\)[^\[\]\\`<&]*\Z"
)
_FAST_HEADS = True


class _Inline:
    """Inline tokens of a document, parsed only for the text that has inline syntax."""

    __slots__ = ("env", "md")

    def __init__(self, md: MarkdownIt, env: dict) -> None:
        self.md, self.env = md, env

    def children(self, tok: Token) -> list[Token]:
        if not tok.children and tok.content:
            parsed: list[Token] = []
            self.md.inline.parse(tok.content, self.md, self.env, parsed)
            # As markdown-it's text_join rule: escapes and entities become plain text.
            joined: list[Token] = []
            for child in parsed:
                if child.type == "text_special":
                    child.type = "text"
                if child.type == "text" and joined and joined[-1].type == "text":
                    joined[-1].content += child.content
                else:
                    joined.append(child)
            tok.children = joined
        return tok.children or []

    def plain(self, tok: Token) -> str:
        if _INLINE_SYNTAX_RE.search(tok.content) is None:
            return " ".join(tok.content.split())
        return _plain(self.children(tok))

    def may_link(self, tok: Token) -> bool:
        return "[" in tok.content or "<" in tok.content


def load(path: str | Path) -> Catalog:
    """Read and parse the list at ``path``; ``CatalogError`` for any problem.

    A list parsed before (same bytes, same path, same parser) comes from the cache of
    :mod:`rlhf_reader.lists.catalog_cache` instead of being parsed again.
    """
    from rlhf_reader.library import fileio
    from rlhf_reader.lists import catalog_cache

    path = Path(path)
    try:
        with fileio.open_regular(path) as handle:  # a FIFO would block: refused
            raw = handle.read(MAX_LIST_BYTES + 1)
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a directory, not a Markdown list") from None
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_LIST_BYTES:
        raise CatalogError(f"{path}: larger than {MAX_LIST_BYTES:,} bytes; not a Markdown list")
    cached = catalog_cache.read(raw, str(path))
    if cached is not None and cached.sections:
        return cached
    catalog = parse_bytes(raw, str(path))
    if not catalog.sections:
        raise CatalogError(f"{path}: no entries found (is this an awesome-style Markdown list?)")
    catalog_cache.write(raw, str(path), catalog)
    return catalog


def parse_bytes(raw: bytes, source: str = "<list>") -> Catalog:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{source}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    return parse(text, source)


def parse(text: str, source: str = "<list>") -> Catalog:
    """Parse Markdown ``text``; a list with no entries gives a catalog with no sections."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    md = _markdown(_optional_rules(text))
    env: dict = {}
    tokens = md.parse(text, env)
    inline = _Inline(md, env)
    headings = [
        (int(tok.tag[1]), inline.plain(tokens[i + 1]))
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open"
    ]
    single_title = sum(1 for level, _ in headings if level == 1) == 1
    slugs = {_slug(title) for _, title in headings}

    title = ""
    roots: list[Section] = []
    stack: list[Section] = []
    items_by_section: list[tuple[Section, list[_Item]]] = []
    open_items: list[_Item] = []
    # Items before the first content heading: entries only in a list with no headings at all.
    preamble: list[_Item] = []
    top_items: list[_Item] | None = preamble  # None: a table of contents
    heading_index = 0

    for tok in tokens:
        kind = tok.type
        if kind == "inline":
            if open_items:
                item = open_items[-1]
                if item.inline is None and tok.level == item.level + 2:
                    item.inline = tok
        elif kind == "list_item_open":
            item = _Item(line=tok.map[0] + 1 if tok.map else 0, level=tok.level)
            if open_items:
                open_items[-1].children.append(item)
            elif top_items is not None:
                top_items.append(item)
            open_items.append(item)
        elif kind == "list_item_close":
            if open_items:
                open_items.pop()
        elif kind == "heading_open":
            level, heading = headings[heading_index]
            heading_index += 1
            if level == 1 and single_title:
                title = title or heading
                stack.clear()
                top_items = None if items_by_section else preamble
                continue
            if not heading:
                continue  # an empty heading names nothing: its entries stay where they are
            while stack and stack[-1].level >= level:
                stack.pop()
            path = (*(s.title for s in stack), heading)
            line = tok.map[0] + 1 if tok.map else 0
            section = Section(title=heading, level=level, path=path, line=line)
            (stack[-1].children if stack else roots).append(section)
            stack.append(section)
            if _TOC_TITLE_RE.match(heading.strip()):
                top_items = None
            else:
                top_items = []
                items_by_section.append((section, top_items))

    if not title:
        title = Path(source).stem if source and not source.startswith("<") else "Reading list"
    if not items_by_section and preamble:
        # A plain list of links without section headings: one section named after the list.
        section = Section(title=title, level=2, path=(title,), line=preamble[0].line)
        roots.append(section)
        items_by_section.append((section, preamble))
    for section, items in items_by_section:
        section.entries.extend(_entries(items, section.path, slugs, inline))
    roots = _prune(roots)
    return Catalog(title=title, sections=roots, source=source)


def _entries(
    items: list[_Item], path: tuple[str, ...], slugs: set[str], inline: _Inline
) -> list[Entry]:
    """The entries among ``items``, in order; nested non-entry bullets are searched too."""
    entries: list[Entry] = []
    waiting = False  # the last entry has no details line yet and is directly above
    year = _section_year(path)
    for item in items:
        head = _head(item, slugs, inline)
        if head is not None:
            entries.append(_entry(item, head, path, year, inline))
            waiting = not entries[-1].details
            continue
        if waiting and not item.children and item.inline is not None:
            details = _loose_details(item.inline, inline)
            if details:
                # A details bullet written at the entry's own level: it belongs to the entry
                # above.
                entries[-1] = _with_details(entries[-1], details)
                waiting = False
                continue
        waiting = False
        entries.extend(_entries(item.children, path, slugs, inline))
    return entries


def _loose_details(tok: Token, inline: _Inline) -> str:
    """The text of a bullet that can be details (no link, not a broken ``[title]``), or ""."""
    if inline.may_link(tok) and any(c.type == "link_open" for c in inline.children(tok)):
        return ""
    text = inline.plain(tok)
    return "" if text.startswith("[") else text


def _head(item: _Item, slugs: set[str], inline: _Inline) -> _Head | None:
    """The leading link of an entry item, or None when the item is not an entry."""
    tok = item.inline
    # An entry starts with a link, "[text](url)" or "<url>", or with a "[Source]" tag.
    if tok is None or tok.content[:1] not in ("[", "<"):
        return None
    fast = _PLAIN_LINK_RE.match(tok.content) if _FAST_HEADS else None
    if fast is not None and inline.md.validateLink(fast.group(2)):
        # "[Plain title](url)" and plain text: the tokens would say just this.
        url, title = fast.group(2), _clean_title(fast.group(1))
        if _is_anchor(url, slugs) or not title:
            return None
        return _Head(title=title, url=url, source=None, links=[])
    children = _lstrip(inline.children(tok))
    source = None
    if children and children[0].type == "text":
        match = _SOURCE_TAG_RE.match(children[0].content)
        if not match:
            return None
        source = match.group(1).strip()
        children = _lstrip(children[1:])
    if not children or children[0].type != "link_open":
        return None
    url = str(children[0].attrs.get("href", "")).strip()
    if not url or _is_anchor(url, slugs):
        return None
    title_tokens, rest = _split_link(children)
    title = _clean_title(_plain(title_tokens))
    if not title:
        return None
    return _Head(title=title, url=url, source=source, links=_links(rest))


def _entry(
    item: _Item, head: _Head, path: tuple[str, ...], year: int | None, inline: _Inline
) -> Entry:
    details = ""
    extra: list[str] = []
    links = list(head.links)
    for index, child in enumerate(item.children):
        tok = child.inline
        if tok is None:
            continue
        text = inline.plain(tok)
        if not inline.may_link(tok):
            if index == 0:
                details = text
            else:
                extra.append(text)
            continue
        children = inline.children(tok)
        if index == 0 and _first_kind(children) != "link_open":
            details = text
        else:
            extra.append(text)
        prefix = text.split(":", 1)[0].strip() if ":" in text else ""
        links.extend(
            Link(text=f"{prefix}: {link.text}" if prefix else link.text, url=link.url)
            for link in _links(children)
        )
    arxiv_id = arxiv_id_from_url(head.url)
    authors, venue, details_year = parse_details(details) if details else ("", "", None)
    return Entry(
        key=arxiv_id or normalize_url(head.url),
        title=head.title,
        url=head.url,
        section=path,
        line=item.line,
        arxiv_id=arxiv_id,
        authors=authors,
        year=details_year or year,
        venue=venue,
        details=details,
        source=head.source,
        links=tuple(links),
        extra=tuple(extra),
    )


def _section_year(path: tuple[str, ...]) -> int | None:
    """The year a list files an entry under (``### 2024``), for lists without a year per entry."""
    for title in reversed(path):
        if re.fullmatch(r"(19|20)\d{2}", title.strip()):
            return int(title)
    return None


def _with_details(entry: Entry, details: str) -> Entry:
    authors, venue, year = parse_details(details)
    return dataclasses.replace(
        entry, details=details, authors=authors, venue=venue, year=year or entry.year
    )


def parse_details(text: str) -> tuple[str, str, int | None]:
    """``"A, B. ICLR, 2024."`` → ``("A, B", "ICLR", 2024)``: authors, venue and year."""
    text = " ".join(text.split())
    match = _YEAR_RE.search(text)
    if not match:
        text = text.rstrip(". ")
        if "," not in text and len(text.split()) > _MAX_NAME_WORDS:
            # "Train transformer language models with RL.": a description, not a byline.
            return "", "", None
        return text, "", None
    year = int(match.group(1))
    body = text[: match.start()].strip().rstrip(",").strip()
    authors, venue = body, ""
    if ". " in body:
        authors, venue = body.rsplit(". ", 1)
    elif "," in body:
        authors, venue = body.rsplit(",", 1)
    venue = venue.strip()
    if _MONTH_RE.match(venue):
        venue = ""  # "Yoav Goldberg, April 2023.": a date, not a venue
    return authors.strip().rstrip("."), venue, year


def _split_link(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split tokens that start with ``link_open`` into the link's text and what follows."""
    depth = 0
    for index, tok in enumerate(children):
        if tok.type == "link_open":
            depth += 1
        elif tok.type == "link_close":
            depth -= 1
            if depth == 0:
                return children[1:index], children[index + 1 :]
    return children[1:], []


def _links(children: list[Token]) -> list[Link]:
    links: list[Link] = []
    for index, tok in enumerate(children):
        if tok.type == "link_open":
            text_tokens, _ = _split_link(children[index:])
            url = str(tok.attrs.get("href", "")).strip()
            if url:
                links.append(Link(text=_clean_title(_plain(text_tokens)) or url, url=url))
    return links


def _lstrip(children: list[Token]) -> list[Token]:
    """``children`` without the white-space text tokens they start with."""
    start = 0
    while start < len(children) and children[start].type == "text":
        if children[start].content.strip():
            break
        start += 1
    return children[start:]


def _first_kind(children: list[Token]) -> str:
    for child in children:
        if child.type == "text" and not child.content.strip():
            continue
        return child.type
    return ""


def _plain(children: list[Token]) -> str:
    """Inline tokens back to text, with Markdown such as ``**`` and backticks as written."""
    parts: list[str] = []
    for tok in children:
        kind = tok.type
        if kind in ("text", "text_special", "html_inline"):
            parts.append(tok.content)
        elif kind == "code_inline":
            parts.append(f"{tok.markup}{tok.content}{tok.markup}")
        elif kind in ("em_open", "em_close", "strong_open", "strong_close"):
            parts.append(tok.markup)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "image":
            parts.append(tok.content)
    return " ".join("".join(parts).split())


def _clean_title(text: str) -> str:
    text = " ".join(text.split())
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


def _slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    return _SLUG_DROP_RE.sub("", title.strip().lower()).replace(" ", "-")


def _is_anchor(url: str, slugs: set[str]) -> bool:
    """A link to a heading of this document (a table of contents line)."""
    if url.startswith("#"):
        return True
    _, _, fragment = url.partition("#")
    if not fragment or fragment not in slugs:
        return False
    # A repository's README linking to its own headings, as tables of contents do.
    before = url.split("#", 1)[0].rstrip("/")
    return before.count("/") <= 4 or before.lower().endswith(("readme.md", "readme"))


def _prune(sections: list[Section]) -> list[Section]:
    """Drop headings with no entries below them."""
    kept = []
    for section in sections:
        section.children = _prune(section.children)
        if section.entries or section.children:
            kept.append(section)
    return kept
