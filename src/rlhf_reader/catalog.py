"""Parse an awesome-style Markdown list into a ``Catalog`` of sections and entries.

markdown-it-py gives the block structure (headings, lists, fences, HTML comments); this
module decides which list items are entries. Pure: no Textual, no terminal.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from rlhf_reader.keys import arxiv_id_from_url, entry_key
from rlhf_reader.model import Catalog, Entry, Link, Section

_TOC_TITLE_RE = re.compile(r"^(table of contents|contents|toc)$", re.IGNORECASE)
_SOURCE_TAG_RE = re.compile(r"^\s*\[([^\[\]]+)\]\s*$")
_YEAR_RE = re.compile(r"[\s,(]*\b((?:19|20)\d{2})\)?\s*\.?\s*$")
_MONTH_RE = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(\s+\d{1,2})?$",
    re.IGNORECASE,
)
_MAX_NAME_WORDS = 4  # a details line with no year, no comma and more words is a description
_SLUG_DROP_RE = re.compile(r"[^\w\- ]", re.UNICODE)


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


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    # Keep link targets as written (no percent-encoding) so that keys and the links we
    # show are what the list says; markdown-it still refuses javascript: and the like.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


_MD = _markdown()


def load(path: str | Path) -> Catalog:
    """Read and parse the list at ``path``; ``CatalogError`` for any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a directory, not a Markdown list") from None
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    catalog = parse_bytes(raw, str(path))
    if not catalog.sections:
        raise CatalogError(f"{path}: no entries found (is this an awesome-style Markdown list?)")
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
    tokens = _MD.parse(text)
    headings = [
        (int(tok.tag[1]), _plain(tokens[i + 1].children or []))
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open"
    ]
    single_title = sum(1 for level, _ in headings if level == 1) == 1
    slugs = {_slug(title) for _, title in headings}

    title = ""
    roots: list[Section] = []
    stack: list[Section] = []
    skip_section = True  # the preamble before the first content heading
    items_by_section: list[tuple[Section, list[_Item]]] = []
    open_items: list[_Item] = []
    top_items: list[_Item] | None = None

    for index, tok in enumerate(tokens):
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1])
            heading = _plain(tokens[index + 1].children or [])
            line = tok.map[0] + 1 if tok.map else 0
            if level == 1 and single_title:
                title = title or heading
                stack.clear()
                skip_section, top_items = True, None
                continue
            if not heading:
                continue  # an empty heading names nothing: its entries stay where they are
            while stack and stack[-1].level >= level:
                stack.pop()
            path = (*(s.title for s in stack), heading)
            section = Section(title=heading, level=level, path=path, line=line)
            (stack[-1].children if stack else roots).append(section)
            stack.append(section)
            skip_section = bool(_TOC_TITLE_RE.match(heading.strip()))
            top_items = None if skip_section else []
            if top_items is not None:
                items_by_section.append((section, top_items))
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
        elif kind == "inline" and open_items:
            item = open_items[-1]
            if item.inline is None and tok.level == item.level + 2:
                item.inline = tok

    for section, items in items_by_section:
        section.entries.extend(_entries(items, section.path, slugs))
    roots = _prune(roots)
    if not title:
        title = Path(source).stem if source and not source.startswith("<") else "Reading list"
    return Catalog(title=title, sections=roots, source=source)


def _entries(items: list[_Item], path: tuple[str, ...], slugs: set[str]) -> list[Entry]:
    """The entries among ``items``, in order; nested non-entry bullets are searched too."""
    entries: list[Entry] = []
    waiting = False  # the last entry has no details line yet and is directly above
    for item in items:
        head = _head(item, slugs)
        if head is not None:
            entries.append(_entry(item, head, path))
            waiting = not entries[-1].details
            continue
        if waiting and not item.children and _is_loose_details(item):
            # A details bullet written at the entry's own level: it belongs to the entry above.
            entries[-1] = _with_details(entries[-1], _plain(item.inline.children or []))
            waiting = False
            continue
        waiting = False
        entries.extend(_entries(item.children, path, slugs))
    return entries


def _is_loose_details(item: _Item) -> bool:
    """A bullet of plain text (no link, not a broken ``[title]``) that can be details."""
    if item.inline is None:
        return False
    children = item.inline.children or []
    if any(tok.type == "link_open" for tok in children):
        return False
    text = _plain(children)
    return bool(text) and not text.startswith("[")


def _head(item: _Item, slugs: set[str]) -> _Head | None:
    """The leading link of an entry item, or None when the item is not an entry."""
    if item.inline is None:
        return None
    children = [
        c for c in item.inline.children or [] if not (c.type == "text" and not c.content.strip())
    ]
    source = None
    if children and children[0].type == "text":
        match = _SOURCE_TAG_RE.match(children[0].content)
        if not match:
            return None
        source = match.group(1).strip()
        children = children[1:]
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


def _entry(item: _Item, head: _Head, path: tuple[str, ...]) -> Entry:
    details = ""
    extra: list[str] = []
    links = list(head.links)
    for index, child in enumerate(item.children):
        if child.inline is None:
            continue
        text = _plain(child.inline.children or [])
        child_links = _links(child.inline.children or [])
        starts_with_link = _first_kind(child.inline) == "link_open"
        if index == 0 and not starts_with_link:
            details = text
        else:
            extra.append(text)
        prefix = text.split(":", 1)[0].strip() if ":" in text else ""
        links.extend(
            Link(text=f"{prefix}: {link.text}" if prefix else link.text, url=link.url)
            for link in child_links
        )
    entry = Entry(
        key=entry_key(head.url),
        title=head.title,
        url=head.url,
        section=path,
        line=item.line,
        arxiv_id=arxiv_id_from_url(head.url),
        source=head.source,
        links=tuple(links),
        extra=tuple(extra),
    )
    if details:
        entry = _with_details(entry, details)
    if entry.year is None:
        entry = dataclasses.replace(entry, year=_section_year(path))
    return entry


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


def _first_kind(inline: Token) -> str:
    for child in inline.children or []:
        if child.type == "text" and not child.content.strip():
            continue
        return child.type
    return ""


def _plain(children: list[Token]) -> str:
    """Inline tokens back to text, with Markdown such as ``**`` and backticks as written."""
    parts: list[str] = []
    for tok in children:
        kind = tok.type
        if kind in ("text", "html_inline"):
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
