"""A note written in Markdown as text for the detail pane (issue 17).

The pane used to draw such a note with Textual's ``Markdown`` widget below its text: a widget
per block, re-parsed and re-mounted on every cursor move onto, off or between such notes,
each time a layout of the whole screen (30–90 ms). Here the note becomes ``Content`` lines,
appended to the pane's one text (``LineText``): a move lays nothing out, and repaints the rows
that changed.

``note_content(source, width)`` parses the note with markdown-it (CommonMark, tables and
strikethrough; raw HTML off, so ``<b>`` is shown as written) and draws headings, paragraphs,
emphasis, code, links, images (their text), lists, quotes, rules and tables, wrapped to
``width`` so that list items and quotes keep their indent. Every piece of text goes through
``textsafe.printable_block``, never through markup: a note shows what it says. A link's
text is clickable through a ``Style`` meta holding an action name and the address as its
parameter (never parsed as an action string): ``DetailText.action_open_note_link`` opens
http and https addresses only. Results are cached by (source, width): moving back to a note
costs nothing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from textual.content import Content, Span
from textual.style import Style

from rlhf_reader.textsafe import printable_block

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

HEADING = ("bold underline $text-primary", "bold $text-primary", "bold", "bold", "italic", "italic")
CODE = "$text-accent"
MUTED = "$foreground-muted"
LINK = "underline $text-primary"
BULLETS = ("•", "◦", "▪")
MIN_WIDTH = 8
"""The narrowest a block is wrapped to (nested deeper than the pane allows, it is wider)."""
LINK_ACTION = "open_note_link"
"""The action a link's text runs on click, on the widget showing it, with the address."""


@lru_cache(maxsize=1)
def _parser() -> Any:
    """markdown-it, imported and made with the first note that has Markdown in it."""
    from markdown_it import MarkdownIt

    # markdown-it drops what is nested deeper than maxNesting (20 by default): a note
    # nested deeper than 20 lists and quotes lost its end.
    options = {"html": False, "maxNesting": 100}
    return MarkdownIt("commonmark", options).enable(["strikethrough", "table"])


@lru_cache(maxsize=64)
def _parse(source: str) -> SyntaxTreeNode:
    from markdown_it.tree import SyntaxTreeNode

    return SyntaxTreeNode(_parser().parse(source))


LONG_NOTE = 4000
"""Characters from which a note's drawing may take over 40 ms (~10 ms per 1,000): the pane
shows its source until a thread has drawn it (``drawn_note``)."""


def drawn_note(source: str, width: int) -> Content | None:
    """``note_content(source, width)`` when it is quick or already drawn, else None (the
    caller draws it in a thread, then asks again)."""
    if len(source) <= LONG_NOTE or (source, width) in _long_drawn:
        return note_content(source, width)
    return None


def draw_long_note(source: str, width: int) -> None:
    """Draw a long note (in a worker thread); ``drawn_note`` then has it."""
    note_content(source, width)
    _long_drawn.add((source, width))
    while len(_long_drawn) > 32:
        _long_drawn.pop()


_long_drawn: set[tuple[str, int]] = set()


@lru_cache(maxsize=512)
def note_content(source: str, width: int) -> Content:
    """``source`` (a note with Markdown in it) drawn as lines of at most ``width`` cells
    (parsed once for every width: a resize draws it again, a move back costs nothing)."""
    width = max(width, MIN_WIDTH)
    lines = _blocks(_parse(source).children, width, 0)
    return Content("\n").join(lines)


def _blocks(nodes: list[SyntaxTreeNode], width: int, depth: int, gap: bool = True) -> list[Content]:
    """Blocks one after another, a blank line between two (``gap``; none in a tight list)."""
    lines: list[Content] = []
    for node in nodes:
        block = _block(node, width, depth)
        if not block:
            continue
        if lines and gap:
            lines.append(Content(""))
        lines += block
    return lines


def _block(node: SyntaxTreeNode, width: int, depth: int) -> list[Content]:
    kind = node.type
    if kind == "paragraph":
        return _inline_lines(node.children, width)
    if kind == "heading":
        level = int(node.tag[1:]) if node.tag[1:].isdigit() else 1
        return _inline_lines(node.children, width, HEADING[min(level, 6) - 1])
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, width, depth)
    if kind == "blockquote":
        return _indented(_blocks(node.children, width - 2, depth), ("▌ ", MUTED), ("▌ ", MUTED))
    if kind in ("fence", "code_block"):
        return _code(node.content, width)
    if kind == "hr":
        return [Content("─" * max(width, 1)).stylize(MUTED)]
    if kind == "table":
        return _table(node, width)
    if node.children:  # anything else: its blocks, as they are
        return _blocks(node.children, width, depth)
    text = node.content.rstrip("\n")
    return _wrap(Content(printable_block(text)), width) if text else []


def _list(node: SyntaxTreeNode, width: int, depth: int) -> list[Content]:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1) or 1) if ordered else 1
    items = node.children
    if ordered:
        marks = [f"{start + n}." for n in range(len(items))]
    else:
        marks = [BULLETS[depth % len(BULLETS)]] * len(items)
    indent = max(len(mark) for mark in marks) + 1
    tight = all(
        child.type != "paragraph" or child.hidden for item in items for child in item.children
    )
    lines: list[Content] = []
    for mark, item in zip(marks, items, strict=True):
        body = _blocks(item.children, width - indent, depth + 1, gap=not tight)
        if lines and not tight:
            lines.append(Content(""))
        lines += _indented(body or [Content("")], (f"{mark:<{indent}}", MUTED), (" " * indent, ""))
    return lines


def _indented(lines: list[Content], first: tuple[str, str], rest: tuple[str, str]) -> list[Content]:
    """``lines`` behind a prefix: ``first`` before the first line, ``rest`` before the others."""
    out = []
    for n, line in enumerate(lines):
        text, style = first if n == 0 else rest
        prefix = Content(text).stylize(style) if style else Content(text)
        out.append(prefix + line)
    return out


def _code(text: str, width: int) -> list[Content]:
    """A code block: its lines as written (folded when longer than the pane), indented."""
    lines: list[Content] = []
    width = max(width - 2, MIN_WIDTH)
    for line in printable_block(text.rstrip("\n")).expandtabs(4).split("\n"):
        piece = Content(line).stylize(CODE)
        lines += [Content("  ") + part for part in (piece.fold(width) if line else [piece])]
    return lines


def _table(node: SyntaxTreeNode, width: int) -> list[Content]:
    """A table: cells padded to their column's width, ``│`` between columns, a rule under
    the header (a table wider than the pane wraps as text does)."""
    rows: list[tuple[bool, list[Content]]] = []
    for part in node.children:  # thead, tbody
        for row in part.children:
            cells = [Content("").join(_inline(cell.children, "")) for cell in row.children]
            rows.append((part.type == "thead", cells))
    columns = max((len(cells) for _, cells in rows), default=0)
    widths = [
        max((cells[n].cell_length for _, cells in rows if n < len(cells)), default=0)
        for n in range(columns)
    ]
    lines: list[Content] = []
    for head, cells in rows:
        cells += [Content("")] * (columns - len(cells))
        padded = [cell.pad_right(widths[n] - cell.cell_length) for n, cell in enumerate(cells)]
        line = Content(" │ ").stylize(MUTED).join(padded)
        lines.append(line.stylize("bold") if head else line)
        if head:
            lines.append(Content("─┼─".join("─" * w for w in widths)).stylize(MUTED))
    return [part for line in lines for part in _wrap(line, width)]


def _inline_lines(children: list[SyntaxTreeNode], width: int, style: str = "") -> list[Content]:
    inline = children[0].children if children and children[0].type == "inline" else children
    return _wrap(Content("").join(_inline(inline, style)), width)


def _wrap(text: Content, width: int) -> list[Content]:
    width = max(width, MIN_WIDTH)  # deep in lists and quotes: wider than asked, never empty
    lines: list[Content] = []
    for line in text.split("\n", allow_blank=True):
        lines += line.wrap(width) if line.cell_length > width else [line]
    return lines


def _inline(nodes: list[SyntaxTreeNode], style: str) -> list[Content]:
    """Inline nodes as pieces of ``Content``, each text literal, styles nested."""
    pieces: list[Content] = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            pieces.append(_styled(node.content, style))
        elif kind == "softbreak":
            pieces.append(Content(" "))
        elif kind == "hardbreak":
            pieces.append(Content("\n"))
        elif kind == "code_inline":
            pieces.append(_styled(node.content, f"{style} {CODE}"))
        elif kind == "em":
            pieces += _inline(node.children, f"{style} italic")
        elif kind == "strong":
            pieces += _inline(node.children, f"{style} bold")
        elif kind == "s":
            pieces += _inline(node.children, f"{style} strike")
        elif kind == "link":
            href = str(node.attrs.get("href", ""))
            text = Content("").join(_inline(node.children, f"{style} {LINK}"))
            if href:
                click = Style.from_meta({"@click": (LINK_ACTION, (href,))})
                text = text.add_spans([Span(0, len(text), click)])
            pieces.append(text)
        elif kind == "image":
            alt = Content("").join(_inline(node.children, f"{style} italic"))
            pieces.append(_styled("🖼 ", MUTED) + alt)
        elif node.children:
            pieces += _inline(node.children, style)
        elif node.content:
            pieces.append(_styled(node.content, style))
    return pieces


def _styled(text: str, style: str) -> Content:
    piece = Content(printable_block(text))
    style = style.strip()
    return piece.stylize(style) if style else piece
