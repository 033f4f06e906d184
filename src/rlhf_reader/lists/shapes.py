"""Which blocks of a list are entries, and what their title, links and byline are.

An entry is a *block* — a list item, a table row, or a paragraph that starts like a reference
(``**[12]**``) — read by rules about shapes, never about files:

- link head: ``- [Title](url) …`` (with an optional ``[Source]`` tag or ``[2023/06]`` date);
- bold link: ``1. **[Title.](url)**``;
- bold title: ``5. **Title.** Authors. Venue 2023. [[Paper](url)]``;
- quoted title: ``N. "Title" [2024-03] [[paper](url)]``;
- text title: ``- Title (2015), A. Author et al. [[pdf]](url)`` when the first link is a label
  (``pdf``, ``paper``, ``web``…), and the reference style ``Authors. "**Title**." Venue (2015).``;
- bare URL: ``- https://arxiv.org/abs/2305.18290``;
- table row: a cell that starts with a titled link, or a title cell (``4) Title  description``)
  with label links in another cell.

The paper link is chosen over code, project, tweet and note links; the others are kept as
labelled links. Pure: no Textual, no terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from rlhf_reader import lazyre
from rlhf_reader.keys import arxiv_id_from_url
from rlhf_reader.lists.text import (
    ASCII_SPACE,
    clean_title,
    last_year,
    plain,
    raw,
    squash,
    strip_tags,
    unwrap,
)
from rlhf_reader.model import Link

if TYPE_CHECKING:
    from markdown_it.token import Token

# Link texts that name what a link is rather than what the paper is called.
PAPER_LABELS = frozenset(
    {
        *"paper pdf arxiv abs html doi openreview article book report preprint".split(),
        *("publication", "tech report", "technical report", "system card", "full paper"),
    }
)
OTHER_LABELS = frozenset(
    {
        *"code github repo repository official tweet twitter thread x blog blogpost".split(),
        *"post video talk slides poster demo dataset datasets data model models".split(),
        *"weights project homepage web website page notes note bib bibtex summary".split(),
        *"news leaderboard benchmark colab huggingface hf".split(),
        *("project page", "code & data", "blog post", "hugging face"),
    }
)
_LABEL_NUMBER_RE = lazyre.compile(r"\s*\d+$")
_DATE_TAG_RE = lazyre.compile(r"^\s*\[((?:19|20)\d{2})(?:[/.\-]\d{1,2}){0,2}\]\s*")
_DATE_ANYWHERE_RE = lazyre.compile(r"\[((?:19|20)\d{2})(?:[/.\-]\d{1,2}){1,2}\]")
_SOURCE_TAG_RE = lazyre.compile(r"^\s*\[([^\[\]]+)\]\s*$")
_REF_MARK_RE = lazyre.compile(r"^\s*\[\d{1,4}\]\s*")
_QUOTED_RE = lazyre.compile(r"[\"“]([^\"“”]{3,}?)[\"”]")
_YEAR_PAREN_RE = lazyre.compile(
    r"^(?P<title>.+?)\s*\((?P<inner>[^()]*\b(?:19|20)\d{2}\b[^()]*)\)\s*(?:[,.]\s*|$)(?P<rest>.*)$"
)
_NAME_START_RE = lazyre.compile(r",\s+(?=(?:[A-Z]\.\s?)+\s*[A-Z])")
_SEPARATOR_RE = lazyre.compile(r"^\s*(?:[-–—:|]|&mdash;|&ndash;)\s*")
_BARE_URL_RE = lazyre.compile(r"^<?(https?://[^\s<>]+?)>?\s*$")
_ARXIV_DOI_RE = lazyre.compile(
    r"^https?://(?:dx\.)?doi\.org/10\.48550/arxiv\.(\d{4}\.\d{4,5})(?:v\d+)?/?$", re.IGNORECASE
)
_ARXIV_MENTION_RE = lazyre.compile(r"\barXiv:\s?(\d{4}\.\d{4,5})(?:v\d+)?\b", re.IGNORECASE)
_NUMBERING_RE = lazyre.compile(r"^\s*\d{1,4}[.)]\s+")
_EMOJI_CODE_RE = lazyre.compile(r":[a-z_+\-]+:")
_CODE_HOSTS = ("github.com/", "gitlab.com/", "huggingface.co/", "bitbucket.org/")


def is_label(text: str) -> bool:
    """``[pdf]``, ``Paper``, ``Paper 2``, ``Code``: a link text that labels rather than titles."""
    word = _LABEL_NUMBER_RE.sub("", text.strip("[]() " + ASCII_SPACE).lower())
    return word in PAPER_LABELS or word in OTHER_LABELS


def _label_word(text: str) -> str:
    return _LABEL_NUMBER_RE.sub("", text.strip("[]() " + ASCII_SPACE).lower())


def arxiv_id_of(url: str) -> str | None:
    """The arXiv id of an abs/pdf/html link or of an arXiv DOI (``10.48550/arXiv.ID``)."""
    found = arxiv_id_from_url(url)
    if found is None and "10.48550" in url:
        match = _ARXIV_DOI_RE.match(url.strip())
        if match:
            return match.group(1)
    return found


def choose_paper(links: list[Link]) -> int:
    """The index of the paper link: arXiv, then a paper label, then any but code/tweet/…"""
    for index, link in enumerate(links):
        if arxiv_id_of(link.url) and _label_word(link.text) not in OTHER_LABELS - {"project"}:
            return index
    for index, link in enumerate(links):
        if _label_word(link.text) in PAPER_LABELS:
            return index
    for index, link in enumerate(links):
        if _label_word(link.text) not in OTHER_LABELS:
            return index
    return 0


# --- inline tokens as pieces ----------------------------------------------------------------


@dataclass(slots=True)
class Piece:
    """A top-level run of inline tokens: plain text, a link, or bold / italic text."""

    kind: str  # "text", "link", "strong", "em"
    tokens: list[Token]
    url: str = ""

    @property
    def text(self) -> str:
        return raw(self.tokens)

    def links(self) -> list[Link]:
        if self.kind == "link":
            text = clean_title(plain(self.tokens))
            if text.startswith("[") and text.endswith("]") and "[" not in text[1:-1]:
                text = text[1:-1].strip(ASCII_SPACE)  # "[[pdf]](url)": the label is "pdf"
            return [Link(text=text or self.url, url=self.url)]
        return links_in(self.tokens)


def pieces(children: list[Token]) -> list[Piece]:
    out: list[Piece] = []
    index, count = 0, len(children)
    while index < count:
        tok = children[index]
        kind = tok.type
        if kind in ("link_open", "strong_open", "em_open"):
            close = kind[:-5] + "_close"
            depth, end = 0, index
            while end < count:
                if children[end].type == kind:
                    depth += 1
                elif children[end].type == close:
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            inner = children[index + 1 : end]
            if kind == "link_open":
                out.append(Piece("link", inner, str(tok.attrs.get("href", "")).strip()))
            else:
                out.append(Piece(kind[:-5], inner))
            index = end + 1
            continue
        if out and out[-1].kind == "text":
            out[-1].tokens.append(tok)
        else:
            out.append(Piece("text", [tok]))
        index += 1
    return out


def links_in(children: list[Token]) -> list[Link]:
    links: list[Link] = []
    for piece in pieces(children):
        if piece.kind == "link":
            if piece.url:
                links.extend(piece.links())
        elif piece.kind != "text":
            links.extend(links_in(piece.tokens))
    return links


def _text_piece(text: str) -> Piece:
    from markdown_it.token import Token

    tok = Token("text", "", 0)
    tok.content = text
    return Piece("text", [tok])


# --- what a block's head says -----------------------------------------------------------------


@dataclass(slots=True)
class Head:
    """What the start of a block says: its title, paper link and the rest."""

    title: str
    url: str
    shape: str
    source: str | None = None
    links: list[Link] = field(default_factory=list)
    authors: str = ""
    venue: str = ""
    year: int | None = None
    description: str = ""
    arxiv_id: str | None = None
    extra: list[str] = field(default_factory=list)


def _strip_leading_space(ps: list[Piece]) -> list[Piece]:
    while ps and ps[0].kind == "text" and not ps[0].text.strip(ASCII_SPACE):
        ps = ps[1:]
    return ps


def _replace_first_text(ps: list[Piece], new_text: str) -> list[Piece]:
    rest = ps[1:]
    return [_text_piece(new_text), *rest] if new_text.strip(ASCII_SPACE) else rest


def read_head(children: list[Token], is_anchor: Callable[[str], bool]) -> Head | None:
    """The head of a list item or reference paragraph, by shape; None: not an entry.

    ``is_anchor(url)`` says whether a link points into this document (a table of contents).
    """
    ps = _strip_leading_space(pieces(children))
    year: int | None = None
    reference = False
    # Prefixes: a [2023/06] date, a **[12]** reference number.
    for _ in range(2):
        if not ps:
            return None
        first = ps[0]
        if first.kind == "text":
            match = _DATE_TAG_RE.match(first.text)
            if match:
                year = int(match.group(1))
                ps = _strip_leading_space(_replace_first_text(ps, first.text[match.end() :]))
                continue
            match = _REF_MARK_RE.match(first.text)
            if match:
                reference = True
                ps = _strip_leading_space(_replace_first_text(ps, first.text[match.end() :]))
                continue
        elif first.kind == "strong" and _REF_MARK_RE.fullmatch(first.text.strip(ASCII_SPACE)):
            reference = True
            ps = _strip_leading_space(ps[1:])
            continue
        break
    if not ps:
        return None
    first = ps[0]
    head: Head | None = None
    if first.kind == "link":
        head = _link_head(first, ps[1:], is_anchor)
    elif first.kind == "strong" and _is_bold_link(first):
        link = next(p for p in pieces(first.tokens) if p.kind == "link")
        head = _link_head(link, ps[1:], is_anchor)
        if head is not None:
            head.shape = "bold-link"
    elif first.kind in ("strong", "em") and not links_in(first.tokens):
        head = _titled_head(unwrap(first.text), ps[1:], "bold")
    elif first.kind == "text" and first.text.lstrip(ASCII_SPACE)[:1] in ('"', "“"):
        head = _quoted_head(ps)
    else:
        head = _text_head(ps, reference)
    if head is not None and year is not None and head.year is None:
        head.year = year
    return head


def _is_bold_link(piece: Piece) -> bool:
    inner = _strip_leading_space(pieces(piece.tokens))
    if not inner or inner[0].kind != "link":
        return False
    return all(p.kind == "text" and not unwrap(p.text) for p in inner[1:])


def _link_head(link: Piece, rest: list[Piece], is_anchor: Callable[[str], bool]) -> Head | None:
    url = link.url
    if not url or is_anchor(url):
        return None
    title = clean_title(plain(link.tokens))
    if not title or is_label(title) or _only_images(link.tokens):
        return None  # no title, a label, or a badge
    links = [lk for p in rest for lk in p.links() if lk.url]
    head = Head(title=title, url=url, shape="link", links=links)
    if arxiv_id_of(url) is None and is_note_or_repo(url):
        # "[Title](Note.md) … [arxiv](…)": the paper link and the key come from arXiv.
        for index, other in enumerate(links):
            if arxiv_id_of(other.url):
                head.url = other.url
                head.links = [Link(text="page", url=url), *links[:index], *links[index + 1 :]]
                break
    head.description = _description(rest)
    return head


def _only_images(tokens: list[Token]) -> bool:
    return all(t.type == "image" or not t.content.strip(ASCII_SPACE) for t in tokens)


def is_note_or_repo(url: str) -> bool:
    lowered = url.lower()
    if "://" not in lowered:
        return True  # a note next to the list: "HILP.md"
    host_path = lowered.split("://", 1)[1].removeprefix("www.")
    return host_path.startswith(_CODE_HOSTS)


def _description(rest: list[Piece]) -> str:
    """The text after a titled link when it starts like a description: `` - what it is``."""
    text = "".join(p.text if p.kind != "link" else "" for p in rest)
    match = _SEPARATOR_RE.match(text)
    if not match or not rest or rest[0].kind != "text":
        return ""
    return squash(text[match.end() :])


def _titled_head(title: str, rest: list[Piece], shape: str) -> Head | None:
    """A head whose title is text (bold or quoted): the paper link comes later on the line."""
    title = clean_title(title)
    links = [lk for p in rest for lk in p.links() if lk.url]
    if not title or not links:
        return None
    before, after = _split_at_first_link(rest)
    head = _with_links(Head(title=title, url="", shape=shape), links)
    _byline(head, before)
    head.description = _after_links(after)
    if head.arxiv_id is None:
        mention = _ARXIV_MENTION_RE.search(before)
        head.arxiv_id = mention.group(1) if mention else None
    return head


def _quoted_head(ps: list[Piece]) -> Head | None:
    text = "".join(p.text if p.kind != "link" else "\0" for p in ps)
    match = _QUOTED_RE.match(text.lstrip(ASCII_SPACE))
    if not match or "\0" in match.group(1):
        return None
    offset = len(text) - len(text.lstrip(ASCII_SPACE)) + match.end()
    rest = _pieces_after(ps, offset)
    return _titled_head(unwrap(match.group(1)), rest, "quoted")


def _pieces_after(ps: list[Piece], offset: int) -> list[Piece]:
    """The pieces after the first ``offset`` characters of their text (links count as one)."""
    out: list[Piece] = []
    position = 0
    for piece in ps:
        length = 1 if piece.kind == "link" else len(piece.text)
        if position + length <= offset:
            position += length
            continue
        if position >= offset:
            out.append(piece)
        else:
            out.append(_text_piece(piece.text[offset - position :]))
        position += length
    return out


def _split_at_first_link(ps: list[Piece]) -> tuple[str, list[Piece]]:
    """The text before the first link (brackets around it dropped) and the pieces after."""
    before: list[str] = []
    for index, piece in enumerate(ps):
        if piece.kind == "link" or (piece.kind != "text" and links_in(piece.tokens)):
            text = "".join(before).rstrip(ASCII_SPACE + "[(|")
            return text, ps[index + 1 :]
        before.append(piece.text)
    return "".join(before), []


def _after_links(after: list[Piece]) -> str:
    """Text after the links, as a description: ``**(Three Giants' Survey)**`` → the words."""
    text = "".join(p.text for p in after if p.kind != "link")
    text = _EMOJI_CODE_RE.sub(" ", text)
    text = squash(re.sub(r"[\[\]|]+", " ", text)).strip(" ,;")
    text = unwrap(text)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip(ASCII_SPACE)
    return text if any(ch.isalpha() for ch in text) else ""


def _with_links(head: Head, links: list[Link]) -> Head:
    index = choose_paper(links)
    head.url = links[index].url
    head.links = links[:index] + links[index + 1 :]
    return head


def _byline(head: Head, text: str) -> None:
    """Authors, venue and year from the text between a title and its links."""
    text = squash(text.replace("*", " ").replace("_", " ") if "*" in text else text)
    date = _DATE_ANYWHERE_RE.search(text)
    if date:  # "[2024-03]": the date it was listed
        head.year = head.year or int(date.group(1))
        text = squash(text[: date.start()] + " " + text[date.end() :])
    text = text.strip(" .,;:-–—")
    if not text:
        return
    year_paren = re.match(r"^\(([^()]*)\)\s*[,.]?\s*(.*)$", text)
    if year_paren:  # "(2015), J. Yosinski et al."
        head.year = last_year(year_paren.group(1))
        head.authors = _authors(year_paren.group(2))
        return
    head.year = last_year(text) or head.year
    if " et al" in text:
        authors, _, venue = text.partition(" et al")
        head.authors = _authors(authors + " et al.")
        venue = venue.lstrip(".,; ")
        head.venue = _venue(venue)
        return
    parts = _NAME_END_RE.split(text, maxsplit=1)
    if len(parts) == 2:  # "William Warner and Julia Hirschberg. NAACL-HLT 2012"
        head.authors = _authors(parts[0])
        head.venue = _venue(parts[1])
        return
    head.authors = _authors(re.sub(r"\s*\(?(19|20)\d{2}\)?\s*$", "", text))


def _authors(text: str) -> str:
    """Names as written, without the sentence's final period (``et al.`` keeps its own)."""
    text = squash(text).strip(" ,;:")
    if text.endswith(" et al"):
        return text + "."
    return text if text.endswith(" al.") else text.rstrip(". ,")


# The period that ends a list of names: after a word, not after an initial ("G. Neubig").
_NAME_END_RE = lazyre.compile(r"(?<=[^\W\d_]{2})\.\s+")


def _venue(text: str) -> str:
    """``arXiv 2023.`` → ``arXiv``; ``Nature 521.7553 (2015): 436-444`` → ``Nature 521.7553``."""
    text = re.split(r"\(|\b(?:19|20)\d{2}\b", text, maxsplit=1)[0]
    return text.strip(" .,;:-" + ASCII_SPACE)


def _text_head(ps: list[Piece], reference: bool) -> Head | None:
    """``Title (2015), Authors [[pdf]](url)`` or ``Authors. "**Title**." Venue. [[pdf]](url)``."""
    links = [lk for p in ps for lk in p.links() if lk.url]
    if not links:
        bare = _BARE_URL_RE.match("".join(p.text for p in ps).strip(ASCII_SPACE))
        if bare and not reference:
            return Head(title=bare.group(1), url=bare.group(1), shape="bare-url")
        return None
    before, after = _split_at_first_link(ps)
    first_link = next(
        (lk for p in ps for lk in p.links() if lk.url), None
    )  # the first link on the line
    if first_link is None or not is_label(first_link.text):
        return None
    text = squash(before)
    quoted = _QUOTED_RE.search(text)
    head: Head
    if quoted and len(quoted.group(1).split()) >= 1:
        title = unwrap(quoted.group(1))
        head = _with_links(Head(title=clean_title(title), url="", shape="reference"), links)
        head.authors = text[: quoted.start()].strip(" .,;:" + ASCII_SPACE)
        after_quote = text[quoted.end() :].strip(" .,;:" + ASCII_SPACE)
        head.venue = _venue(after_quote)
        head.year = last_year(after_quote)
    else:
        if reference:
            return None
        title, rest = _split_title(text)
        if not title:
            return None
        head = _with_links(Head(title=clean_title(title), url="", shape="text"), links)
        _byline(head, rest)
    if not head.title:
        return None
    head.description = _after_links(after)
    if arxiv_id_of(head.url) is None:
        mention = _ARXIV_MENTION_RE.search(before)
        head.arxiv_id = mention.group(1) if mention else None
    return head


def _split_title(text: str) -> tuple[str, str]:
    """``Title (2015), A. Author`` → (``Title``, ``(2015), A. Author``)."""
    text = unwrap(text) if text.startswith(("**", "__")) else text
    match = _YEAR_PAREN_RE.match(text)
    if match:
        return match.group("title"), f"({match.group('inner')}), {match.group('rest')}"
    names = _NAME_START_RE.search(text)
    if names:
        return text[: names.start()], text[names.end() :]
    return text, ""


# --- table rows -----------------------------------------------------------------------------

_DATE_CELL_RE = lazyre.compile(r"^\s*((?:19|20)\d{2})(?:[-/.]\d{1,2}){0,2}\s*$")
_TITLE_HEADERS = frozenset({"paper", "papers", "title", "name", "paper title", "work"})
_BOLD_START_RE = lazyre.compile(r"^\s*(\*\*|__)(.+?)\1\s*")
_TWO_SPACES_RE = lazyre.compile(r"\S( {2,}|\t)\S")


class Cells(Protocol):
    """A table row's cells as inline tokens, parsed on demand."""

    def __call__(self, index: int) -> list[Token]: ...

    def parse_text(self, text: str) -> list[Token]: ...


def read_row(cells: list[str], parsed: Cells, header: list[str]) -> Head | None:
    """A table row as an entry: a titled link cell, or a title cell and label links.

    ``cells`` are the cells' source text; ``parsed(i)`` gives cell ``i``'s inline tokens
    (parsed only when needed: a weekly table's description cells are long).
    """
    year: int | None = None
    title_cell: int | None = None
    linked: dict[int, list[Piece]] = {}
    for index, cell in enumerate(cells):
        date = _DATE_CELL_RE.match(cell)
        if date:
            year = year or int(date.group(1))
            continue
        if "](" in cell or "<http" in cell:
            linked[index] = pieces(parsed(index))
    head: Head | None = None
    for index, ps in linked.items():
        ps = _strip_leading_space(ps)
        if ps and ps[0].kind == "strong" and _is_bold_link(ps[0]):
            ps = [next(p for p in pieces(ps[0].tokens) if p.kind == "link"), *ps[1:]]
        if ps and ps[0].kind == "link":
            found = _link_head(ps[0], ps[1:], lambda url: url.startswith("#"))
            if found is not None:
                head, title_cell = found, index
                break
    if head is None:
        title_cell = _title_cell(cells, header, linked)
        if title_cell is None:
            return None
        links = [lk for i, ps in linked.items() if i != title_cell for p in ps for lk in p.links()]
        if not links and title_cell in linked:  # the links are in the title cell itself
            links = [lk for p in linked[title_cell] for lk in p.links()]
        links = [lk for lk in links if lk.url]
        if not links:
            return None
        title, description = _split_title_cell(cells[title_cell], parsed, title_cell)
        if not title:
            return None
        head = _with_links(Head(title=title, url="", shape="table"), links)
        head.description = description
    else:
        head.shape = "table"
        head.links.extend(
            lk for i, ps in linked.items() if i != title_cell for p in ps for lk in p.links()
        )
    head.year = head.year or year
    for index, cell in enumerate(cells):
        if index == title_cell or index in linked or _DATE_CELL_RE.match(cell):
            continue
        value = strip_tags(cell)
        if value:
            name = header[index] if index < len(header) and header[index] else ""
            head.extra.append(f"{name}: {value}" if name else value)
    return head


def _title_cell(cells: list[str], header: list[str], linked: dict[int, list[Piece]]) -> int | None:
    """The cell that holds the title: the "Paper"/"Title" column, else the first cell of
    words without links, else the first cell of words whose links are not all labels."""
    for index, name in enumerate(header):
        if name.lower() in _TITLE_HEADERS and index < len(cells) and len(cells[index].split()) > 1:
            if index not in linked or not _only_labels(linked[index]):
                return index
    for index, cell in enumerate(cells):
        if index not in linked and not _DATE_CELL_RE.match(cell) and len(cell.split()) >= 2:
            return index
    for index, cell in enumerate(cells):
        if index in linked and len(cell.split()) >= 2 and not _only_labels(linked[index]):
            return index
    return None


def _only_labels(ps: list[Piece]) -> bool:
    """A cell of links and separators only: ``[Paper](…), [Tweet](…)``."""
    for piece in ps:
        if piece.kind == "link":
            if not is_label(plain(piece.tokens)):
                return False
        elif piece.kind == "text":
            if any(ch.isalnum() for ch in piece.text):
                return False
        else:
            return False
    return True


def _split_title_cell(cell: str, parsed: Cells, index: int) -> tuple[str, str]:
    """``4) Title  description`` / ``1) **Title** - description`` → title, description."""
    text = _NUMBERING_RE.sub("", cell, count=1)
    bold = _BOLD_START_RE.match(text)
    if bold:
        title, rest = bold.group(2), text[bold.end() :]
    else:
        gap = _TWO_SPACES_RE.search(text)
        if gap:
            title, rest = text[: gap.start(1)], text[gap.end(1) :]
        elif " - " in text:
            title, rest = text.split(" - ", 1)
        else:
            title, rest = text, ""
    rest = _SEPARATOR_RE.sub("", rest, count=1)
    if any(ch in title for ch in "\\&[]<`*_"):
        title = _inline_plain(title, parsed)
    return clean_title(unwrap(title)), strip_tags(rest)


def _inline_plain(text: str, parsed: Cells) -> str:
    """Inline Markdown of a piece of a cell as text (escapes and links resolved)."""
    return plain(parsed.parse_text(text))


# --- lines that look like papers ------------------------------------------------------------

PAPERISH_RE = lazyre.compile(
    r"arxiv\.org/(?:abs|pdf|html)/|10\.48550/|\barXiv:\s?\d{4}\.\d{4,5}"
    r"|\[\[?(?:pdf|paper)\]|\]\((?:[^)]*\.pdf)\)",
    re.IGNORECASE,
)


def looks_like_paper(text: str) -> bool:
    return PAPERISH_RE.search(text) is not None


def arxiv_mention(text: str) -> str | None:
    match = _ARXIV_MENTION_RE.search(text)
    return match.group(1) if match else None
