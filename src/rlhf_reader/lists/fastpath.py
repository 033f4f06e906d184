"""A line-based block reader for the plain Markdown most lists are: the parser's fast path.

It gives the block tokens the catalog walk reads (headings, list items and their paragraphs,
top-level paragraphs, GFM tables, HTML blocks), built line by line instead of by
markdown-it's block parser, which is most of a big list's parse time. It knows a small part
of CommonMark exactly and returns None — use markdown-it — for anything else: block quotes,
tabs in indentation, indented code, setext headings, reference definitions, fences or tables
or HTML inside list items, empty items, deep nesting, lines it cannot place for sure.
``tests/test_fastpath.py`` checks that it gives the same catalog as markdown-it on every list
in the tests. Pure: no Textual, no terminal.
"""

from __future__ import annotations

import re

from rlhf_reader import lazyre

MAX_DEPTH = 16  # list levels; deeper lists go to markdown-it (and its nesting rules)

_BULLET_RE = lazyre.compile(r"([-*+])( +)(?=\S)")
_ORDERED_RE = lazyre.compile(r"(\d{1,9})([.)])( +)(?=\S)")
_HEADING_RE = lazyre.compile(r"(#{1,6})(?:[ ]|$)")
_HR_RE = lazyre.compile(r"([-*_])(?:[ ]*\1){2,}[ ]*$")
_FENCE_RE = lazyre.compile(r"(`{3,}|~{3,})")
_DELIMITER_RE = lazyre.compile(r"^\|?[ ]*:?-+:?[ ]*(?:\|[ ]*:?-+:?[ ]*)*\|?[ ]*$")
_HEADER_CELL_RE = lazyre.compile(r"^:?-+:?$")
_SETEXT_RE = lazyre.compile(r"^ {0,3}(?:=+|-+)[ ]*$")
_MD_TRIM = None


class Tok:
    """The fields of a markdown-it token that the catalog walk reads."""

    __slots__ = ("children", "content", "end", "level", "line", "tag", "type")

    def __init__(
        self, type_: str, level: int, line: int, content: str = "", tag: str = "", end: int = 0
    ):
        self.type = type_
        self.level = level
        self.line = line
        self.end = end or line + 1
        self.content = content
        self.tag = tag
        self.children: list | None = None

    def _lines(self) -> list[int]:
        return [self.line, self.end]

    def _set_lines(self, lines: list[int]) -> None:
        self.line, self.end = lines

    # markdown-it's ``[first line, line after]``, made when read (a list per token was a
    # fifth of the memory of a 100,000-entry list's tokens)
    map = property(_lines, _set_lines)


# Every list_item_close is this one token: the walk reads only its type, and one per item
# was a sixth of the tokens a big list makes.
_ITEM_CLOSE = Tok("list_item_close", 0, 0)


class _Fallback(Exception):
    """The text uses Markdown this reader does not handle exactly."""


def _md_trim() -> str:
    global _MD_TRIM
    if _MD_TRIM is None:
        from markdown_it.common.utils import MD_TRIM_CHARS

        _MD_TRIM = MD_TRIM_CHARS
    return _MD_TRIM


def tokens(text: str) -> list[Tok] | None:
    """The block tokens of ``text``, or None when markdown-it must read it."""
    if "]:" in text or "\t" in text or (">" in text and _has_blockquote(text)):
        return None
    try:
        return _Reader(text.split("\n")).read()
    except _Fallback:
        return None


_BLOCKQUOTE_RE = lazyre.compile(r"^ {0,3}>", re.MULTILINE)


def _has_blockquote(text: str) -> bool:
    return _BLOCKQUOTE_RE.search(text) is not None


class _Item:
    __slots__ = ("indent", "level", "offset")

    def __init__(self, indent: int, offset: int, level: int) -> None:
        self.indent, self.offset, self.level = indent, offset, level


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.out: list[Tok] = []
        self.items: list[_Item] = []
        # the open paragraph: first line, level of its paragraph_open, lines, strip width
        self.para_line = -1
        self.para_level = 0
        self.para_lines: list[str] = []
        self.para_indent = 0
        self.width = 0

    # --- paragraphs and items -------------------------------------------------------------

    def open_para(self, line: int, level: int, first: str, indent: int) -> None:
        self.para_line, self.para_level, self.para_lines, self.para_indent = (
            line,
            level,
            [first],
            indent,
        )

    def close_para(self) -> None:
        if self.para_line < 0:
            return
        out = self.out
        lines = self.para_lines
        first = self.para_line
        end = first + len(lines)
        if self.para_level == 0:  # the walk reads paragraph_open only outside lists
            out.append(Tok("paragraph_open", 0, first, "", "p", end))
        content = lines[0].strip() if len(lines) == 1 else "\n".join(lines).strip()
        out.append(Tok("inline", self.para_level + 1, first, content, "", end))
        self.para_line = -1

    def close_items(self, indent: int) -> None:
        """Close the items a line at ``indent`` is not inside."""
        items = self.items
        while items and indent < items[-1].offset:
            items.pop()
            self.out.append(_ITEM_CLOSE)

    def close_all(self) -> None:
        self.close_para()
        self.close_items(0)

    # --- the loop -----------------------------------------------------------------------------

    def read(self) -> list[Tok]:
        lines = self.lines
        count = len(lines)
        number = 0
        while number < count:
            line = lines[number]
            body = line.lstrip(" ")
            if not body:
                self.close_para()
                number += 1
                continue
            indent = len(line) - len(body)
            number = self.line(number, line, body, indent)
        self.close_all()
        return self.out

    def line(self, number: int, line: str, body: str, indent: int) -> int:
        """Read the line at ``number``; the number of the next line to read."""
        para_open = self.para_line >= 0
        # the content offset of the innermost open item the line is inside
        base = 0
        for item in self.items:
            if indent >= item.offset:
                base = item.offset
            else:
                break
        relative = indent - base
        kind = self.classify(number, body, relative, para_open, indent)
        if kind == "text":
            if para_open:
                self.para_lines.append(line[min(indent, self.para_indent) :])
                return number + 1
            if relative >= 4:
                raise _Fallback  # indented code
            self.close_items(indent)
            if self.items:
                item = self.items[-1]
                self.open_para(number, item.level + 1, body, item.offset)
            else:
                self.open_para(number, 0, body, 0)
            return number + 1
        self.close_para()
        if kind == "item":
            return self.item(number, line, body, indent)
        if self.items and indent >= self.items[0].offset:
            raise _Fallback  # a heading, table, fence or HTML inside an item
        self.close_items(indent)
        if indent > 3:
            raise _Fallback
        if kind == "heading":
            self.heading(number, body)
            return number + 1
        if kind == "hr":
            return number + 1
        if kind == "fence":
            return self.fence(number, body)
        if kind == "table":
            return self.table(number)
        if kind == "html":
            return self.html(number, body)
        raise _Fallback

    def classify(self, number: int, body: str, relative: int, para_open: bool, indent: int) -> str:
        first = body[0]
        if relative >= 4:
            if para_open:
                return "text"
            raise _Fallback
        if first == "#":
            if _HEADING_RE.match(body):
                return "heading"
            return "text"
        if first in "-*_" and body.count(first) >= 3 and _HR_RE.match(body):
            if para_open and first == "-":
                raise _Fallback  # a setext heading underline
            return "hr"
        if first in "-*+":
            match = _BULLET_RE.match(body)
            if match:
                if len(match.group(2)) > 4:
                    raise _Fallback
                self.width = 1 + len(match.group(2))
                return "item"
            if body in ("-", "*", "+") or body[1:2] == " ":
                raise _Fallback  # an empty item
            return "text"
        if "0" <= first <= "9":
            match = _ORDERED_RE.match(body)
            if match is None:
                if re.match(r"\d{1,9}[.)](?:[ ]*$)", body):
                    raise _Fallback
                return "text"
            if len(match.group(3)) > 4:
                raise _Fallback
            self.width = len(match.group(1)) + 1 + len(match.group(3))
            if para_open and match.group(1) != "1":
                # An ordered item can interrupt a paragraph only when it starts at 1, or
                # when it is less indented than the paragraph's own item.
                if indent >= self.para_indent:
                    return "text"
            return "item"
        if first in "`~" and _FENCE_RE.match(body):
            return "fence"
        if first == "<":
            return self.html_kind(body, para_open)
        if "|" in body and self.table_follows(number):
            if para_open or self.items:
                raise _Fallback
            return "table"
        if first in "=-" and _SETEXT_RE.match(body):
            if para_open:
                raise _Fallback
        return "text"

    def table_follows(self, number: int) -> bool:
        """Whether the next line is a table's delimiter row (``| --- | :-: |``)."""
        following = self.lines[number + 1] if number + 1 < len(self.lines) else ""
        delimiter = following.lstrip(" ")
        if len(following) - len(delimiter) >= 4 or len(delimiter) < 2:
            return False
        # markdown-it's checks: "|", "-" or ":" first; then one of those or a space, but not
        # "- " (a list item); then only those characters and spaces.
        first, second = delimiter[0], delimiter[1]
        if first not in "|-:" or second not in "|-: " or (first == "-" and second == " "):
            return False
        return _DELIMITER_RE.match(delimiter.rstrip(" ")) is not None

    def html_kind(self, body: str, para_open: bool) -> str:
        from markdown_it.rules_block.html_block import HTML_SEQUENCES

        for index, (opener, _, interrupts) in enumerate(HTML_SEQUENCES):
            if opener.search(body):
                if index in (1, 5, 6):  # comments, block tags, a lone complete tag
                    if para_open and not interrupts:
                        return "text"
                    return "html"
                raise _Fallback
        return "text"

    # --- blocks ---------------------------------------------------------------------------

    def item(self, number: int, line: str, body: str, indent: int) -> int:
        width = self.width  # the marker and the spaces after it, as classify found them
        items = self.items
        while items and indent < items[-1].offset:
            if indent >= items[-1].indent + 4:
                raise _Fallback  # too indented for a sibling, not enough for a child
            items.pop()
            self.out.append(_ITEM_CLOSE)
        if items and indent - items[-1].offset >= 4:
            raise _Fallback
        if not items and indent >= 4:
            raise _Fallback
        level = items[-1].level + 2 if items else 1
        if len(items) >= MAX_DEPTH:
            raise _Fallback
        content = body[width:]
        start = content[0]
        if start in ">#`~<|-*+_0123456789":  # (most items start with "[" or a letter)
            if (
                start == ">"
                or (start == "#" and _HEADING_RE.match(content))
                or (start in "`~" and _FENCE_RE.match(content))
                or (start == "<" and self.html_kind(content, False) == "html")
                or (start == "|" and self.table_follows(number))
            ):
                raise _Fallback  # an item that opens with another block
            if start in "-*+_0123456789" and (
                _BULLET_RE.match(content) or _ORDERED_RE.match(content) or _HR_RE.match(content)
            ):
                raise _Fallback
        offset = indent + width
        items.append(_Item(indent, offset, level))
        self.out.append(Tok("list_item_open", level, number, "", "li"))
        # self.open_para(number, level + 1, content, offset), inlined
        self.para_line, self.para_level, self.para_lines, self.para_indent = (
            number,
            level + 1,
            [content],
            offset,
        )
        return number + 1

    def heading(self, number: int, body: str) -> None:
        marks = _HEADING_RE.match(body)
        assert marks is not None
        level = len(marks.group(1))
        text = body[level:].rstrip(" ")
        stripped = text.rstrip("#")
        if stripped != text and (not stripped or stripped[-1] == " "):
            text = stripped
        out = self.out
        out.append(Tok("heading_open", 0, number, tag=f"h{level}"))
        out.append(Tok("inline", 1, number, text.strip()))
        out.append(Tok("heading_close", 0, number, tag=f"h{level}"))

    def fence(self, number: int, body: str) -> int:
        match = _FENCE_RE.match(body)
        assert match is not None
        marker = match.group(1)
        if marker[0] == "`" and "`" in body[len(marker) :]:
            return self.text_line(number, body)
        lines = self.lines
        closing = re.compile(r" {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ ]*$")
        end = number + 1
        while end < len(lines):
            if closing.match(lines[end]):
                return end + 1
            end += 1
        return end

    def text_line(self, number: int, body: str) -> int:
        self.open_para(number, 0, body, 0)
        return number + 1

    def table(self, number: int) -> int:
        lines = self.lines
        trim = _md_trim()
        header = _cells(lines[number].strip(trim))
        aligns = [c.strip(trim) for c in lines[number + 1].strip(trim).split("|")]
        if aligns and aligns[0] == "":
            aligns.pop(0)
        if aligns and aligns[-1] == "":
            aligns.pop()
        if not all(_HEADER_CELL_RE.match(a) for a in aligns):
            raise _Fallback
        columns = len(header)
        if columns == 0 or columns != len(aligns):
            raise _Fallback
        out = self.out
        out.append(Tok("table_open", 0, number, tag="table"))
        out.append(Tok("thead_open", 1, number))
        out.append(Tok("tr_open", 2, number))
        for cell in header:
            out.append(Tok("th_open", 3, number))
            out.append(Tok("inline", 4, number, cell.strip(trim)))
            out.append(Tok("th_close", 3, number))
        out.append(Tok("tr_close", 2, number))
        out.append(Tok("thead_close", 1, number))
        end = number + 2
        while end < len(lines):
            line = lines[end]
            body = line.lstrip(" ")
            if not body.strip(trim):
                break
            if len(line) - len(body) >= 4 or self.ends_table(body):
                raise _Fallback
            cells = _cells(line.strip(trim))
            out.append(Tok("tr_open", 2, end))
            for index in range(columns):
                out.append(Tok("td_open", 3, end))
                value = cells[index].strip(trim) if index < len(cells) and cells[index] else ""
                out.append(Tok("inline", 4, end, value))
                out.append(Tok("td_close", 3, end))
            out.append(Tok("tr_close", 2, end))
            end += 1
        out.append(Tok("table_close", 0, end))
        return end

    def ends_table(self, body: str) -> bool:
        """A line that would start another block (markdown-it's table terminators)."""
        first = body[0]
        if first == "#" and _HEADING_RE.match(body):
            return True
        if first in "-*_" and _HR_RE.match(body):
            return True
        if first in "-*+" and _BULLET_RE.match(body):
            return True
        if "0" <= first <= "9" and _ORDERED_RE.match(body):
            return True
        if first in "`~" and _FENCE_RE.match(body):
            return True
        return first == "<"

    def html(self, number: int, body: str) -> int:
        from markdown_it.rules_block.html_block import HTML_SEQUENCES

        closing = next(close for opener, close, _ in HTML_SEQUENCES if opener.search(body))
        lines = self.lines
        end = number + 1
        if not closing.search(body):
            while end < len(lines):
                text = lines[end].lstrip(" ")
                if closing.search(text):
                    if text:
                        end += 1
                    break
                end += 1
        content = "".join(line + "\n" for line in lines[number:end])
        tok = Tok("html_block", 0, number, content)
        tok.map = [number, end]
        self.out.append(tok)
        return end


def _cells(text: str) -> list[str]:
    """markdown-it's ``escapedSplit``: cells split at pipes not escaped by a backslash (which
    goes), then an empty first and last cell dropped."""
    if "\\" in text:
        result = [part.replace("\\|", "|") for part in _UNESCAPED_PIPE_RE.split(text)]
    else:
        result = text.split("|")
    if result and result[0] == "":
        result.pop(0)
    if result and result[-1] == "":
        result.pop()
    return result


_UNESCAPED_PIPE_RE = lazyre.compile(r"(?<!\\)\|")
