"""Parse a Markdown paper list into a ``Catalog`` of sections and entries.

The block structure (headings, list items, tables, paragraphs, HTML blocks) comes from the
line-based fast path (``fastpath``) for plain lists and from markdown-it-py for the rest; this
module walks it into sections (Markdown and HTML headings, ``<details>`` groups, short bold
lines) and hands each block to the shape rules (``shapes``) that decide what is an entry.
What could not be read is kept on the catalog (``unread`` lines, ``skipped`` parts) for
``check``. Pure: no Textual, no terminal.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rlhf_reader import lazyre, parallel
from rlhf_reader.keys import arxiv_id_from_url, normalize_url
from rlhf_reader.lists import fastpath, shapes
from rlhf_reader.lists import text as text_mod
from rlhf_reader.lists.text import squash, strip_tags, unwrap
from rlhf_reader.model import Catalog, Entry, Link, Section

if TYPE_CHECKING:  # markdown-it is imported on first parse: a cached list never needs it
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_TOC_TITLE_RE = lazyre.compile(r"^(table of contents?|contents|toc)(\s*\(toc\))?$", re.IGNORECASE)
_DATE_TAG_RE = lazyre.compile(r"^((?:19|20)\d{2})(?:[/.\-]\d{1,2}){0,2}$")
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


class _Item:
    """A list item as markdown-it nests it: its first paragraph and its sub-items.

    A plain class, not a dataclass: one is made per list item, and the dataclass's default
    factories cost a big list a few per cent of its parse.
    """

    __slots__ = ("children", "inline", "level", "line", "more")

    def __init__(self, line: int, level: int) -> None:
        self.line = line
        self.level = level
        self.inline: Token | None = None
        self.children: list[_Item] = []
        self.more: list[Token] = []  # later paragraphs of the item


@dataclass(slots=True)
class _Row:
    """A table row: its cells' inline tokens and the table's header texts."""

    line: int
    cells: list[Token]
    header: list[str]


@dataclass(slots=True)
class _Para:
    """A paragraph outside any list (an entry if it starts like a reference)."""

    line: int
    inline: Token


_Block = _Item | _Row | _Para


@dataclass(slots=True)
class _Head:
    """A leading link found at the start of a list item."""

    title: str
    url: str
    source: str | None
    links: list[Link]
    description: str = ""
    year: int | None = None


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
    md.options["maxNesting"] = MAX_NESTING
    # Keep link targets as written (no percent-encoding) so that keys and the links we
    # show are what the list says; markdown-it still refuses javascript: and the like.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.disable(["inline", "text_join", *sorted(_OPTIONAL_RULES - optional - {"table"})])
    if "table" in optional:
        md.enable("table")
    return md


@functools.lru_cache(maxsize=1)
def _inline_markdown() -> MarkdownIt:
    """The inline parser, with markdown-it's own nesting limit: nested brackets cost time in
    proportion to it, and inline text needs no more (the raised limit is for blocks)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


# Each optional block rule, and a pattern that every line it could apply to matches: a
# reference definition needs "]:", a fence three backticks or tildes, a block quote a ">"
# and an HTML block a "<" after indentation and list markers, a thematic break three of "-",
# "*" or "_", an indented code block four spaces or a tab before its text. No match in the
# text: the rule cannot fire, and markdown-it need not try it on every line.
_OPTIONAL_RULES = frozenset(
    {"reference", "fence", "blockquote", "hr", "html_block", "code", "table"}
)
_CONTAINERS = r"^[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*"
_RULE_NEEDED = {
    "reference": lazyre.compile(r"\]:"),
    "fence": lazyre.compile(r"```|~~~"),
    "blockquote": lazyre.compile(_CONTAINERS + ">", re.MULTILINE),
    "hr": lazyre.compile(_CONTAINERS + r"([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE),
    "html_block": lazyre.compile(_CONTAINERS + "<", re.MULTILINE),
    "code": lazyre.compile(r"^[ >*+\-\d.)]*(?: {4}|\t)", re.MULTILINE),
    # a GFM table needs a delimiter row: "| --- |", "---|---", ":-:", even a bare "---"
    "table": lazyre.compile(r"^[ \t>]*[|:-][ \t|:-]*$", re.MULTILINE),
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
    r"\[([^\[\]\\`<&*_]*)\]\(([^\x00-\x20\x7f()<>\\&]+)\)([^\[\]\\`<&]*)\Z"
)
_FAST_HEADS = True
# Plain lists are read line by line (lists/fastpath.py), others by markdown-it; a test checks
# that both give the same catalog on every list in the tests.
_FAST_BLOCKS = True


class _Inline:
    """Inline tokens of a document, parsed only for the text that has inline syntax."""

    __slots__ = ("env", "md")

    def __init__(self, md: MarkdownIt, env: dict) -> None:
        self.md, self.env = md, env

    def children(self, tok: Token) -> list[Token]:
        if not tok.children and tok.content:
            parsed: list[Token] = []
            self.md.inline.parse(tok.content, self.md, self.env, parsed)
            # As markdown-it's text_join rule: escapes become plain text. Entities stay as
            # written ("&amp;", "&nbsp;"): list text round-trips exactly.
            joined: list[Token] = []
            for child in parsed:
                if child.type == "text_special":
                    child.type = "text"
                    if child.info == "entity":
                        child.content = child.markup
                if child.type == "text" and joined and joined[-1].type == "text":
                    joined[-1].content += child.content
                else:
                    joined.append(child)
            tok.children = joined
        return tok.children or []

    def plain(self, tok: Token) -> str:
        if _INLINE_SYNTAX_RE.search(tok.content) is None:
            return squash(tok.content)
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
        from rlhf_reader.lists import report

        raise CatalogError(report.no_entries(str(path), raw.decode("utf-8")))
    if len(raw) < DETACHED_WRITE_BYTES or not parallel.detach(
        lambda: catalog_cache.write(raw, str(path), catalog)
    ):
        catalog_cache.write(raw, str(path), catalog)
    return catalog


# A list this big (~17,000 entries) has its cache written by a process of its own, on
# another core, while this one goes on (the write is a second of a 100,000-entry list's
# first read); a smaller one's is written here (tens of milliseconds).
DETACHED_WRITE_BYTES = 2_000_000


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
    # The parse makes hundreds of thousands of short-lived objects and no reference cycles:
    # the cyclic garbage collector would walk them again and again (a third of a big list's
    # parse time) for nothing. It is back on, as it was, when the parse ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(text, source)
    finally:
        if collecting:
            gc.enable()


def _parse(text: str, source: str) -> Catalog:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    env: dict = {}
    fast = fastpath.tokens(text) if _FAST_BLOCKS else None
    if fast is not None:
        tokens, skipped = cast("list[Token]", fast), list[str]()
    else:
        tokens, skipped = _tokenize(_markdown(_optional_rules(text)), text, env)
    inline = _Inline(_inline_markdown(), env)
    headings = [
        (int(tok.tag[1]), _heading_text(inline, tokens[i + 1]))
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open"
    ]
    title_index = _title_heading(tokens, headings)
    slugs = {_slug(title) for _, title in headings}

    title = ""
    roots: list[Section] = []
    stack: list[Section] = []
    kinds: list[str] = []  # per open section: "heading", "details" or "line" (a bold line)
    blocks_by_section: list[tuple[Section, list[_Block]]] = []
    open_items: list[_Item] = []
    # Blocks before the first content heading: entries only in a list with no headings at all.
    preamble: list[_Block] = []
    blocks: list[_Block] | None = preamble  # None: a table of contents
    heading_index = 0
    row: _Row | None = None
    header: list[str] = []
    in_head = False
    cell_open = False
    paragraph_line = 0

    def open_section(heading: str, level: int, line: int, kind: str) -> list[_Block] | None:
        while stack and stack[-1].level >= level:
            stack.pop()
            kinds.pop()
        if _TOC_TITLE_RE.match(heading.strip()):
            return None  # a table of contents: neither a section nor the parent of one
        path = (*(s.title for s in stack), heading)
        section = Section(title=heading, level=level, path=path, line=line)
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
        kinds.append(kind)
        items: list[_Block] = []
        blocks_by_section.append((section, items))
        return items

    def current_blocks() -> list[_Block] | None:
        if not stack:
            return preamble if not blocks_by_section else None
        for section, items in reversed(blocks_by_section):
            if section is stack[-1]:
                return items
        return None

    for tok in tokens:
        kind = tok.type
        if kind == "inline":
            if cell_open and row is not None:
                row.cells.append(tok)
            elif open_items:
                item = open_items[-1]
                if tok.level == item.level + 2:
                    if item.inline is None:
                        item.inline = tok
                    else:
                        item.more.append(tok)
            elif paragraph_line and blocks is not None:
                pseudo = _line_heading(tok.content)
                if pseudo:
                    levels = [s.level for s, k in zip(stack, kinds, strict=True) if k != "line"]
                    base = levels[-1] if levels else 1
                    blocks = open_section(pseudo, base + 1, paragraph_line, "line")
                else:
                    blocks.append(_Para(line=paragraph_line, inline=tok))
            paragraph_line = 0
        elif kind == "paragraph_open":
            paragraph_line = tok.map[0] + 1 if (tok.map and tok.level == 0) else 0
        elif kind == "list_item_open":
            item = _Item(tok.map[0] + 1 if tok.map else 0, tok.level)
            if open_items:
                open_items[-1].children.append(item)
            elif blocks is not None:
                blocks.append(item)
            open_items.append(item)
        elif kind == "list_item_close":
            if open_items:
                open_items.pop()
        elif kind == "thead_open":
            in_head, header = True, []
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row = _Row(line=tok.map[0] + 1 if tok.map else 0, cells=[], header=header)
        elif kind in ("th_open", "td_open"):
            cell_open = True
        elif kind in ("th_close", "td_close"):
            cell_open = False
        elif kind == "tr_close" and row is not None:
            if in_head:
                header = [unwrap(inline.plain(cell)) for cell in row.cells]
            elif blocks is not None and not open_items:
                row.header = header
                blocks.append(row)
            row = None
        elif kind == "html_block":
            for tag, level, value in _html_structure(tok.content):
                line = tok.map[0] + 1 if tok.map else 0
                if tag == "heading":
                    blocks = open_section(value, level, line, "heading")
                elif tag == "summary":
                    parent = stack[-1] if stack else None
                    if parent is not None and value.lower() == parent.title.lower():
                        continue  # "<summary>milestone papers" right under that heading
                    level = (parent.level if parent else 1) + 1
                    blocks = open_section(value, level, line, "details")
                elif tag == "close":
                    if "details" in kinds:
                        while kinds and kinds[-1] != "details":
                            stack.pop()
                            kinds.pop()
                        stack.pop()
                        kinds.pop()
                        blocks = current_blocks()
        elif kind == "heading_open":
            level, heading = headings[heading_index]
            heading_index += 1
            if heading_index - 1 == title_index:
                title = title or heading
                stack.clear()
                kinds.clear()
                blocks = None if blocks_by_section else preamble
                continue
            if not heading:
                continue  # an empty heading names nothing: its entries stay where they are
            blocks = open_section(heading, level, tok.map[0] + 1 if tok.map else 0, "heading")

    # The blocks hold what is still needed of the tokens (the inline ones): the rest of them
    # goes now, and each section's blocks once its entries are made — at 100,000 entries the
    # tokens and blocks are most of the parse's peak memory.
    del tokens
    if not title:
        title = _fallback_title(source, headings)
    if not blocks_by_section and preamble:
        # A plain list of links without section headings: one section named after the list.
        section = Section(title=title, level=2, path=(title,), line=preamble[0].line)
        roots.append(section)
        blocks_by_section.append((section, preamble))
    unread: list[tuple[int, str]] = []
    if (
        sum(len(items) for _, items in blocks_by_section) < PARALLEL_BLOCKS
        or parallel.processes() < 2
    ):
        for section, items in blocks_by_section:
            section.entries.extend(_entries(items, section.path, slugs, inline, unread))
            if items is not preamble:  # (read again below)
                items.clear()
    else:
        _entries_in_parts(blocks_by_section, slugs, inline, unread)
        for _, items in blocks_by_section:
            if items is not preamble:
                items.clear()
    if blocks_by_section and preamble and blocks_by_section[0][1] is not preamble:
        _unread_blocks(preamble, inline, unread)
    roots = _prune(roots)
    unread.sort()
    return Catalog(
        title=title, sections=roots, source=source, unread=tuple(unread), skipped=tuple(skipped)
    )


# A list with this many top-level blocks (list items, table rows, paragraphs) has its entries
# made in parts, on as many cores as ``parallel.processes`` allows: at 100,000 entries this
# is half of the parse after the tokens.
PARALLEL_BLOCKS = 20_000


def _entries_in_parts(
    blocks_by_section: list[tuple[Section, list[_Block]]],
    slugs: set[str],
    inline: _Inline,
    unread: list[tuple[int, str]],
) -> None:
    """``section.entries`` of every section, as the serial loop of ``_parse`` makes them,
    with the sections in ``parallel.processes()`` runs of about as many blocks each, the
    runs after the first made in forked processes (their entries come back as tuples:
    ``catalog_cache.entry_tuples``). ``unread`` gets every part's notes."""
    from rlhf_reader.lists import catalog_cache

    count = parallel.processes()
    total = sum(len(items) for _, items in blocks_by_section)
    bounds, seen, at = [0], 0, 0
    for at, (_, items) in enumerate(blocks_by_section, 1):
        seen += len(items)
        if len(bounds) < count and seen * count >= total * len(bounds):
            bounds.append(at)
    bounds.append(len(blocks_by_section))
    parts = [range(start, end) for start, end in itertools.pairwise(bounds)]

    here = os.getpid()

    def job(part: range) -> tuple[bool, list[list[Any]], list[tuple[int, str]]]:
        """(made here, each section's entries — as tuples when made in a child — notes)."""
        notes: list[tuple[int, str]] = []
        shared: dict[Any, Any] = {}
        made: list[list[Any]] = []
        in_child = os.getpid() != here
        for i in part:
            section, items = blocks_by_section[i]
            found = _entries(items, section.path, slugs, inline, notes)
            made.append(catalog_cache.entry_tuples(found, shared) if in_child else found)
        return not in_child, made, notes

    for part, (made_here, made, notes) in zip(parts, parallel.map_parts(job, parts), strict=True):
        for i, rows in zip(part, made, strict=True):
            section = blocks_by_section[i][0]
            if made_here:
                section.entries.extend(rows)
                continue
            entries = catalog_cache.entries_of_tuples(rows)
            if entries:  # one path object for the section and its entries, as in the loop
                section.path = entries[0].section
            section.entries.extend(entries)
        unread += notes


# markdown-it stops reading a document at its nesting limit (each list level is two or three
# levels); the limit is raised far past any real list, and a block nested deeper still is
# skipped (and reported) while the rest of the document is read.
MAX_NESTING = 120


def _tokenize(md: MarkdownIt, text: str, env: dict) -> tuple[list[Token], list[str]]:
    tokens: list[Token] = []
    skipped: list[str] = []
    lines = text.split("\n")
    offset = 0
    while True:
        chunk = "\n".join(lines[offset:]) if offset else text
        part = md.parse(chunk, env)
        # markdown-it gives up inside a container (a list item, a block quote) opened at the
        # limit: it reads nothing more of the document from there.
        deep = next(
            (
                t
                for t in part
                if t.level >= MAX_NESTING - 1
                and t.map
                and t.type in ("list_item_open", "blockquote_open")
            ),
            None,
        )
        if offset:
            for tok in part:
                if tok.map:
                    tok.map = [tok.map[0] + offset, tok.map[1] + offset]
        tokens.extend(part)
        if deep is None or deep.map is None:
            return tokens, skipped
        stop = deep.map[0]  # document line (0-based) where markdown-it gave up
        resume = _resume_line(lines, stop + 1)
        last = resume if resume is not None else len(lines)
        skipped.append(
            f"lines {stop + 1}-{last}: lists nested {MAX_NESTING // 2} or more levels deep; skipped"
        )
        if resume is None:
            return tokens, skipped
        offset = resume


def _resume_line(lines: list[str], start: int) -> int | None:
    """The first line after ``start`` that begins a new top-level block (after a blank)."""
    for number in range(start, len(lines)):
        line = lines[number]
        if line[:1] == "#" or (
            line[:1] not in ("", " ", "\t", ">") and number > 0 and not lines[number - 1].strip()
        ):
            return number
    return None


def _fallback_title(source: str, headings: list[tuple[int, str]]) -> str:
    """A list with no single title heading: named after its file, or for a ``README.md``
    after its first H1 (``# Papers``), else its folder; "Reading list" for text."""
    if not source or source.startswith("<"):
        return "Reading list"
    path = Path(source)
    if path.stem.lower() not in ("readme", "index"):
        return path.stem
    first = next((text for level, text in headings if level == 1 and text), "")
    return first or path.resolve().parent.name or "Reading list"


def _heading_text(inline: _Inline, tok: Token) -> str:
    """A heading's text without badges (images, links around images) or HTML tags."""
    if "!" in tok.content or "<" in tok.content:
        return strip_tags(text_mod.plain(inline.children(tok), images=False))
    return inline.plain(tok)


def _title_heading(tokens: list[Token], headings: list[tuple[int, str]]) -> int | None:
    """Which heading is the list's title: its only H1, or a first H1 that opens the file.

    With several H1 headings, the first is the title when it is the file's first block and
    nothing under it is a list of links or a table (``# Roadmap`` then prose, then ``# 1 …``).
    """
    ones = [i for i, (level, _) in enumerate(headings) if level == 1]
    if len(ones) == 1:
        return ones[0]
    if not ones or ones[0] != 0:
        return None
    first = next((i for i, t in enumerate(tokens) if t.map), None)
    if first is None or tokens[first].type != "heading_open":
        return None
    for tok in tokens[first + 3 :]:
        if tok.type == "heading_open":
            return 0
        if tok.type == "table_open":
            return None
        if tok.type == "inline" and tok.content.lstrip()[:1] == "[":
            return None
    return 0


_LINE_HEADING_RE = lazyre.compile(r"^(\*\*|__|\*|_)([^*_\n]{1,40})\1$")


def _line_heading(content: str) -> str:
    """A paragraph that is only a short bold or italic phrase (``*2022*``, ``**In web**``)."""
    match = _LINE_HEADING_RE.match(content.strip())
    if not match:
        return ""
    words = match.group(2).strip()
    if len(words.split()) > 4 or "[" in words or "](" in words:
        return ""
    if words.startswith("(") and words.endswith(")"):
        words = words[1:-1]  # "*(2016)*", "*(Lectures)*"
    return squash(words)


_HTML_STRUCTURE_RE = lazyre.compile(
    r"<h([1-6])\b[^>]*>(.*?)</?h\1\s*/?>|<summary\b[^>]*>(.*?)</summary\s*>|(</details\s*>)",
    re.IGNORECASE | re.DOTALL,
)


def _html_structure(content: str) -> list[tuple[str, int, str]]:
    """HTML headings, ``<summary>`` groups and ``</details>`` ends in an HTML block, in order:
    ``(kind, heading level, text)``."""
    if "<" not in content:
        return []
    found: list[tuple[str, int, str]] = []
    for match in _HTML_STRUCTURE_RE.finditer(content):
        if match.group(1):
            heading = strip_tags(match.group(2))
            if heading:
                found.append(("heading", int(match.group(1)), heading))
        elif match.group(3) is not None:
            summary = strip_tags(match.group(3))
            if summary:
                found.append(("summary", 0, summary))
        else:
            found.append(("close", 0, ""))
    return found


def _entries(
    items: list[_Block],
    path: tuple[str, ...],
    slugs: set[str],
    inline: _Inline,
    unread: list[tuple[int, str]],
) -> list[Entry]:
    """The entries among ``items``, in order; nested non-entry bullets are searched too."""
    entries: list[Entry] = []
    waiting = False  # the last entry has no details line yet and is directly above
    year = _section_year(path)
    for item in items:
        if isinstance(item, _Row):
            waiting = False
            found = _row_entry(item, path, year, inline)
            if found is not None:
                entries.append(found)
            else:
                _note_unread(item.line, " | ".join(c.content for c in item.cells), unread)
            continue
        if isinstance(item, _Para):
            waiting = False
            found = _paragraph_entry(item, path, year, slugs, inline)
            if found is not None:
                entries.append(found)
            else:
                _note_unread(item.line, item.inline.content, unread)
            continue
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
        shaped = _shaped_entry(item, path, year, slugs, inline)
        if shaped is not None:
            entries.append(shaped)
            continue
        if item.inline is not None:
            _note_unread(item.line, item.inline.content, unread)
        entries.extend(_entries(list[_Block](item.children), path, slugs, inline, unread))
    return entries


def _unread_blocks(blocks: list[_Block], inline: _Inline, unread: list[tuple[int, str]]) -> None:
    for block in blocks:
        if isinstance(block, _Row):
            _note_unread(block.line, " | ".join(c.content for c in block.cells), unread)
        elif block.inline is not None:
            _note_unread(block.line, block.inline.content, unread)
            if isinstance(block, _Item):
                _unread_blocks(list[_Block](block.children), inline, unread)


def _note_unread(line: int, content: str, unread: list[tuple[int, str]]) -> None:
    if shapes.looks_like_paper(content):
        text = squash(content)
        unread.append((line, text if len(text) <= 120 else text[:119] + "…"))


def _shaped_entry(
    item: _Item, path: tuple[str, ...], year: int | None, slugs: set[str], inline: _Inline
) -> Entry | None:
    """A list item read by the shape rules (bold title, date prefix, text title …)."""
    tok = item.inline
    if tok is None or not tok.content.strip():
        return None
    head = shapes.read_head(inline.children(tok), lambda url: _is_anchor(url, slugs))
    if head is None:
        return None
    links = list(head.links)
    extra: list[str] = []
    description = head.description
    for more in item.more:  # "1. **[Title](url)**" then, indented, "*Authors*"
        text = unwrap(inline.plain(more))
        if not head.authors and text and not inline.may_link(more):
            head.authors = text
        elif not description:
            description = text
    for child in item.children:
        ctok = child.inline
        if ctok is None:
            continue
        text = inline.plain(ctok)
        if inline.may_link(ctok):
            children = inline.children(ctok)
            found = shapes.links_in(children)
            if found:
                prefix = text.split(":", 1)[0].strip() if ":" in text else ""
                links.extend(
                    Link(text=f"{prefix}: {lk.text}" if prefix else lk.text, url=lk.url)
                    for lk in found
                )
                extra.append(text)
                continue
        if not description:
            description = text
        else:
            extra.append(text)
    return _make_entry(head, links, extra, description, path, item.line, year)


def _make_entry(
    head: shapes.Head,
    links: list[Link],
    extra: list[str],
    description: str,
    path: tuple[str, ...],
    line: int,
    year: int | None,
) -> Entry:
    arxiv_id = shapes.arxiv_id_of(head.url) or head.arxiv_id
    return Entry(
        key=arxiv_id or normalize_url(head.url),
        title=head.title,
        url=head.url,
        section=path,
        line=line,
        arxiv_id=arxiv_id,
        authors=head.authors,
        year=head.year or year,
        venue=head.venue,
        details="",
        source=head.source,
        links=tuple(links),
        extra=tuple([*head.extra, *extra]),
        description=description,
    )


def _paragraph_entry(
    para: _Para, path: tuple[str, ...], year: int | None, slugs: set[str], inline: _Inline
) -> Entry | None:
    """A paragraph that starts like a reference: ``**[12]** Authors. "**Title**." …``."""
    content = para.inline.content
    if not _REFERENCE_START_RE.match(content):
        return None
    head = shapes.read_head(inline.children(para.inline), lambda url: _is_anchor(url, slugs))
    if head is None:
        return None
    return _make_entry(head, list(head.links), [], head.description, path, para.line, year)


_REFERENCE_START_RE = lazyre.compile(r"^\s*(?:\*\*|__)?\[\d{1,4}\](?:\*\*|__)?\s")


class _Cells:
    """A table row's cells, parsed inline only when a rule asks for one."""

    __slots__ = ("inline", "row")

    def __init__(self, row: _Row, inline: _Inline) -> None:
        self.row, self.inline = row, inline

    def __call__(self, index: int) -> list[Token]:
        return self.inline.children(self.row.cells[index])

    def parse_text(self, text: str) -> list[Token]:
        from markdown_it.token import Token

        tok = Token("inline", "", 0)
        tok.content = text
        return self.inline.children(tok)


def _row_entry(row: _Row, path: tuple[str, ...], year: int | None, inline: _Inline) -> Entry | None:
    cells = [cell.content for cell in row.cells]
    head = shapes.read_row(cells, _Cells(row, inline), row.header)
    if head is None:
        return None
    return _make_entry(head, list(head.links), [], head.description, path, row.line, year)


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
    # (a URL starting with "h" cannot be one of the protocols validateLink refuses)
    if fast is not None and (fast[2][0] in "hH" or inline.md.validateLink(fast[2])):
        # "[Plain title](url)" and plain text: the tokens would say just this.
        title, url, rest_text = fast.groups()
        title = _clean_title(title)
        if not title or _is_anchor(url, slugs):
            return None
        return _Head(title, url, None, [], _tail(rest_text) if rest_text else "")
    children = _lstrip(inline.children(tok))
    source = None
    if children and children[0].type == "text":
        match = _SOURCE_TAG_RE.match(children[0].content)
        if not match:
            return None
        source = match.group(1).strip()
        if _DATE_TAG_RE.match(source):
            return None  # "[2023/06]" is a date, not a source: the shape rules read it
        children = _lstrip(children[1:])
    if not children or children[0].type != "link_open":
        return None
    url = str(children[0].attrs.get("href", "")).strip()
    if not url or _is_anchor(url, slugs):
        return None
    title_tokens, rest = _split_link(children)
    title = _clean_title(_plain(title_tokens))
    if not title or all(t.type == "image" or not t.content.strip() for t in title_tokens):
        return None  # no title, or only an image: a badge
    head = _Head(title=title, url=url, source=source, links=_links(rest))
    if rest and rest[0].type == "text":
        # The labels of further links ("[code](…) [tweet](…)") are links, not description.
        head.description = _tail(text_mod.raw(_outside_links(rest)))
    return head


def _outside_links(tokens: list[Token]) -> list[Token]:
    """``tokens`` without the links in them (from ``link_open`` to its ``link_close``)."""
    kept: list[Token] = []
    depth = 0
    for tok in tokens:
        if tok.type == "link_open":
            depth += 1
        elif tok.type == "link_close":
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(tok)
    return kept


def _tail(text: str) -> str:
    """What follows an entry's title link, as a description when it starts like one."""
    match = _TAIL_RE.match(text)
    return squash(text[match.end() :]) if match else ""


# " - what it is"; " -   - text" when further links stood between the separators
_TAIL_RE = lazyre.compile(r"^[ \t]*[-–—:|](?:[ \t]+[-–—:|](?=[ \t]))*[ \t]*(?=\S)")


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
        content = tok.content
        if _INLINE_SYNTAX_RE.search(content) is None:  # inline.plain, inline.may_link inlined
            text = squash(content)
            if index == 0:
                details = text
            else:
                extra.append(text)
            continue
        text = _plain(inline.children(tok))
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
    url = head.url
    arxiv_id = arxiv_id_from_url(url)
    if arxiv_id is None and shapes.is_note_or_repo(url):
        # "[Title](Note.md) … [arxiv](…)": the paper link and the key come from arXiv.
        for index, link in enumerate(head.links):
            found = shapes.arxiv_id_of(link.url)
            if found and index < len(links):
                arxiv_id, url = found, link.url
                links[index] = Link(text="page", url=head.url)
                break
    authors, venue, details_year = parse_details(details) if details else ("", "", None)
    # Positional, in the order of ENTRY_FIELDS (a test holds it to Entry's fields): keywords
    # cost a big list's parse 5 %.
    return Entry(
        arxiv_id or normalize_url(url),  # key
        head.title,
        url,
        path,  # section
        item.line,
        arxiv_id,
        authors,
        details_year or year,  # year
        venue,
        details,
        head.source,
        tuple(links),
        tuple(extra),
        head.description,
    )


# The fields of model.Entry in their order, as _entry passes them.
ENTRY_FIELDS = (
    "key",
    "title",
    "url",
    "section",
    "line",
    "arxiv_id",
    "authors",
    "year",
    "venue",
    "details",
    "source",
    "links",
    "extra",
    "description",
)


def _section_year(path: tuple[str, ...]) -> int | None:
    """The year a list files an entry under (``### 2024``), for lists without a year per entry."""
    for title in reversed(path):
        match = _SECTION_YEAR_RE.search(title.strip())
        if match:
            return int(match.group(1))
    return None


# "2024", "(2016)", "Top ML Papers of the Week (June 23 - June 29) - 2025"
_SECTION_YEAR_RE = lazyre.compile(r"(?:^|\s[-–]\s|^\()((?:19|20)\d{2})\)?$")


def _with_details(entry: Entry, details: str) -> Entry:
    authors, venue, year = parse_details(details)
    return dataclasses.replace(
        entry, details=details, authors=authors, venue=venue, year=year or entry.year
    )


def _year_at_end(text: str) -> tuple[int, int] | None:
    """Where ``_YEAR_RE`` matches ``text`` and its year, found from the end of the text.

    The same answer as ``_YEAR_RE.search(text)`` (``tests/test_catalog.py`` compares them),
    without the pattern: the year must end the text but for ``)``, ``.`` and white space in
    that order, so it is the four characters before them; a word character before it (no
    ``\\b``) means no match; the match then widens to the separators before the year, as the
    search's leftmost match does. ``str.isspace``, ``isdecimal`` and ``isalnum`` are what
    ``\\s``, ``\\d`` and ``\\w`` mean in a ``str`` pattern.
    """
    tail = text.rstrip()
    if tail.endswith("."):
        tail = tail[:-1].rstrip()
    if tail.endswith(")"):
        tail = tail[:-1]
    end = len(tail)
    if end < 4:
        return None
    start = end - 4
    year = tail[start:]
    if year[:2] not in ("19", "20") or not year[2:].isdecimal():
        return None
    if start:
        before = tail[start - 1]
        if before.isalnum() or before == "_":
            return None
    while start > 0 and (text[start - 1].isspace() or text[start - 1] in ",("):
        start -= 1
    return start, int(year)


def parse_details(text: str) -> tuple[str, str, int | None]:
    """``"A, B. ICLR, 2024."`` → ``("A, B", "ICLR", 2024)``: authors, venue and year."""
    text = squash(text)
    found = _year_at_end(text)
    if found is None:
        text = text.rstrip(". ")
        if "," not in text and len(text.split()) > _MAX_NAME_WORDS:
            # "Train transformer language models with RL.": a description, not a byline.
            return "", "", None
        return text, "", None
    start, year = found
    body = text[:start].strip().rstrip(",").strip()
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
    """Every link in ``children`` with its text, in one pass (CommonMark links do not nest)."""
    links: list[Link] = []
    opener: Token | None = None
    text_tokens: list[Token] = []
    for tok in children:
        if tok.type == "link_open":
            opener, text_tokens = tok, []
        elif tok.type == "link_close" and opener is not None:
            url = str(opener.attrs.get("href", "")).strip()
            if url:
                links.append(Link(text=_clean_title(_plain(text_tokens)) or url, url=url))
            opener = None
        elif opener is not None:
            text_tokens.append(tok)
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


_plain = text_mod.plain
_clean_title = text_mod.clean_title


def _slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    return _SLUG_DROP_RE.sub("", title.strip().lower()).replace(" ", "-")


def _is_anchor(url: str, slugs: set[str]) -> bool:
    """A link to a heading of this document (a table of contents line)."""
    if url.startswith(("#", "./#", "/#")):
        return True  # an anchor of this page, even one whose heading has since changed
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
