"""The detail pane: everything known about the highlighted entry, shown literally."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content

from rlhf_reader.library.records import Row
from rlhf_reader.model import Entry, Section, Status
from rlhf_reader.plainnote import plain_note
from rlhf_reader.textsafe import printable, printable_block
from rlhf_reader.tui.actions import VIM_KEYS
from rlhf_reader.tui.literal import content
from rlhf_reader.tui.widgets.linetext import LineText
from rlhf_reader.tui.widgets.notemarkdown import draw_long_note, drawn_note
from rlhf_reader.tui.widgets.vimkeys import VimKeys
from rlhf_reader.valueclass import Value

STATUS_STYLE = {
    Status.UNREAD: "$foreground-muted",
    Status.READING: "$text-warning bold",
    Status.READ: "$text-success bold",
}
MUTED = "$foreground-muted"
WARNING = "$text-warning bold"
TAGS = "$text-primary"

AUTHORS_SHOWN = 10
"""A longer author list shows its first ten and "… and N more" (``A`` shows them all)."""


def authors_parts(authors: list[str], everyone: bool = False) -> list[str | tuple[str, str]]:
    """The authors line: all of them, or the first ``AUTHORS_SHOWN`` and how many more (a
    list only a name or two longer is shown whole)."""
    if len(authors) <= AUTHORS_SHOWN + 2:
        return [(", ".join(authors), "italic"), "\n"]
    if everyone:
        return [(", ".join(authors), "italic"), ("  (A shows fewer)", MUTED), "\n"]
    more = len(authors) - AUTHORS_SHOWN
    return [
        (", ".join(authors[:AUTHORS_SHOWN]), "italic"),
        (f" … and {more} more", "italic"),
        ("  (A shows all)", MUTED),
        "\n",
    ]


class Reading(Value):
    """Where the paper stands for reading: its PDF on disk and its place on the reading
    queue (1-based, of how many)."""

    pdf: Path | None = None
    queued: tuple[int, int] | None = None


def label(name: str) -> tuple[str, str]:
    return (f"{name:<9}", MUTED)


def describe(
    entry: Entry,
    row: Row,
    listed: list[Entry],
    reading: Reading | None = None,
    also: Sequence[str] = (),
    all_authors: bool = False,
) -> Content:
    """The pane's text above the note: title, people (the first authors of a long list, or
    ``all_authors``), link, status, tags, PDF and queue, the other lists listing the paper
    (``also``), warnings, arXiv."""
    ann, meta = row.annotation, row.metadata or {}
    parts: list[str | Content | tuple[str, str]] = [(entry.title, "bold"), "\n"]
    authors = row.authors
    if authors:
        parts += authors_parts(authors, all_authors)
    when = " · ".join(str(part) for part in (row.year, entry.venue) if part)
    if when:
        parts.append(when + "\n")
    if entry.description:
        parts += ["\n", entry.description, "\n"]
    parts += ["\n", label("Link"), (entry.url, "underline"), "\n"]
    ident = entry.key if not entry.arxiv_id else f"{entry.key}  (arXiv {entry.arxiv_id})"
    parts += [label("Key"), ident, "\n", label("Section"), entry.section_path, "\n"]
    status = ann.status.glyph + " " + ann.status.value
    if ann.status is Status.READ and ann.read_at:
        status += f" on {ann.read_at[:10]}"
    parts += [label("Status"), (status, STATUS_STYLE[ann.status]), "\n"]
    tags = " ".join(f"#{tag}" for tag in ann.tags) or "—"
    parts += [label("Tags"), (tags, TAGS), "\n"]
    if reading is not None:
        parts += _reading(reading)
    for n, where in enumerate(also):  # the same paper, with the same status and note
        parts += [label("Also in") if n == 0 else " " * 9, where, "\n"]
    parts += _links(entry)
    if entry.details and not row.authors:
        parts.append((entry.details + "\n", MUTED))
    if len(listed) > 1:
        where = "; ".join(e.section_path for e in listed)
        parts += [("\n⚠ listed twice: ", WARNING), where, "\n"]
    if meta:
        parts.append(_metadata(entry, meta))
    if ann.note.strip():
        parts.append(("\nNote", "bold underline"))
    return content(*parts)


def _reading(reading: Reading) -> list[str | Content | tuple[str, str]]:
    """The PDF line (its path, or how to get it) and the queue line."""
    parts: list[str | Content | tuple[str, str]] = []
    if reading.pdf is not None:
        parts += [label("PDF"), str(reading.pdf), ("  (O opens it)", MUTED), "\n"]
    if reading.queued is not None:
        place, total = reading.queued
        parts += [label("Queue"), f"{place} of {total}", ("  (ctrl+↑/↓ moves it)", MUTED), "\n"]
    return parts


def _links(entry: Entry) -> list[str | Content | tuple[str, str]]:
    """The entry's further links (code, project, tweet…), one a line under a "Links" label:
    the link's own text, then its address, both as written in the list."""
    parts: list[str | Content | tuple[str, str]] = []
    for n, link in enumerate(entry.links):
        parts.append(label("Links") if n == 0 else " " * 9)
        parts += [(link.text or "link", "bold"), "  ", (link.url, "underline"), "\n"]
    return parts


def _metadata(entry: Entry, meta: dict[str, Any]) -> Content:
    from rlhf_reader.sources.arxiv_meta import title_mismatch  # only once something was fetched

    parts: list[str | Content | tuple[str, str]] = []
    other = title_mismatch(entry, meta)
    if other:
        parts += [("⚠ the link points at ", WARNING), f"«{other}»", "\n"]
    parts.append(("\narXiv\n", "bold"))
    fields = (
        ("Version", meta.get("version")),
        ("Category", ", ".join(str(c) for c in meta.get("categories") or []) or None),
        ("Published", str(meta.get("published") or "")[:10] or None),
        ("Updated", str(meta.get("updated") or "")[:10] or None),
        ("DOI", meta.get("doi")),
        ("Journal", meta.get("journal_ref")),
        ("Comment", meta.get("comment")),
    )
    for name, value in fields:
        if value:
            parts += [(f"{name:<9} ", MUTED), str(value), "\n"]
    abstract = str(meta.get("abstract") or "").strip()
    if abstract:
        parts += [("\nAbstract\n", "bold"), abstract, "\n"]
    return content(*parts)


NOTE_WIDTH = 80
"""The width a Markdown note is drawn at before the pane has one (drawn again once it has)."""


class DetailText(LineText):
    """The pane's text: a paper's details and its note, a note's links clickable."""

    def on_resize(self, event: events.Resize) -> None:
        pane = self.parent
        if isinstance(pane, DetailPane):
            pane.rewrap()

    def action_open_note_link(self, href: str) -> None:
        """A link of a note was clicked (``notemarkdown``): opened if it is http or https."""
        if href.startswith(("http://", "https://")):
            self.app.open_url(href)
        else:
            self.notify(printable(f"Not opened (only http and https links): {href}"), markup=False)


class DetailPane(VimKeys, VerticalScroll, can_focus=True):
    """Scrollable details of one entry; the note below them.

    A cursor move costs one repaint of one widget, no layout (issue 17): the text and the
    note are one ``LineText``, stretched to the pane's height, so a paper whose text fits in
    the pane replaces one that did without any widget moving or resizing, and only the rows
    that changed are repainted. A note with no Markdown syntax in it (``plainnote``) is shown
    as its paragraphs; one with Markdown is drawn as text by ``notemarkdown`` at the text's
    width (again when the width changes). j/k/g/G scroll it (``VIM_KEYS``), as the arrows and
    home/end do.
    """

    DEFAULT_CSS = """
    DetailPane > #detail-text { min-height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = list(VIM_KEYS)

    _shown: tuple[Any, ...] | None = None
    all_authors = False
    """Every author of a long list, or the first ones (``toggle_authors``)."""
    _entry: tuple[Entry, Row, list[Entry], Reading | None, Sequence[str]] | None = None
    _entry_authors = False
    _head: tuple[Content, str] | None = None
    """The text and the note last shown."""
    _note_width: int | None = None
    """The width the Markdown note shown was drawn at (None: no Markdown note shown)."""
    _laid_out: tuple[int, int] | None = None
    """(width, content height) of the text last shown, when known."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.text = DetailText(id="detail-text")
        """The pane's text, the note included."""

    def compose(self) -> ComposeResult:
        yield self.text

    def _update_head(self, text: Content, note: str = "") -> None:
        """Show ``text`` and the note below it; the same again (the cursor's highlight after
        a jump, a refresh) costs nothing, a text that fits the pane no layout, and only the
        rows that changed are repainted (``LineText``)."""
        self._head = (text, note)
        static = self.text
        width = static.size.width
        text, self._note_width = self._with_note(text, note)
        shown = (text.plain, tuple(text.spans))  # Content's == compares the text only
        if shown == self._shown:
            return
        before = self._laid_out
        if self._shown is None and width:
            # The first text, into the empty one the pane was laid out with (after the first
            # frame): a text that fits needs no layout either.
            before = (width, 0)
        self._shown = shown
        height = static.measure(text)
        self._laid_out = (width, height) if width else None
        # The text's box keeps its size when the two texts are as tall, or both fit in it
        # (it is then the pane's height, taller than the old text): a repaint is enough.
        box = static.size.height
        kept = before is not None and (
            before[0] == width and (height == before[1] or before[1] < box >= height)
        )
        static.show(text, layout=not kept)

    def _with_note(self, text: Content, note: str) -> tuple[Content, int | None]:
        """``text`` with ``note`` below it; the width a Markdown note was drawn at."""
        source = printable_block(note)
        plain = plain_note(source)
        if plain is not None:
            return text + content("\n" + plain), None
        if source.strip():
            width = self.text.size.width or NOTE_WIDTH
            drawn = drawn_note(source, width)
            if drawn is None:  # a long note: its source now, drawn in a thread (no wait)
                self._draw_later(source, width)
                return text + content("\n" + source), None
            return text + Content("\n") + drawn, width
        return text, None

    def _draw_later(self, source: str, width: int) -> None:
        """Draw a long Markdown note in a thread; show it then if it is still the one shown."""

        def draw() -> None:
            draw_long_note(source, width)
            self.app.call_from_thread(drawn)

        def drawn() -> None:
            if self._head is not None and printable_block(self._head[1]) == source:
                self._update_head(*self._head)

        self.run_worker(
            draw,
            thread=True,
            group="long-note",
            name="draw a long note",
            description="draw a long note",
            exit_on_error=False,
        )

    def prepare(
        self,
        entry: Entry,
        row: Row,
        listed: list[Entry],
        reading: Reading | None = None,
        also: Sequence[str] = (),
    ) -> None:
        """Draw what ``show`` would show for this paper now, while the app is idle (the
        paper the cursor is likely to reach next): showing it then repaints the rows that
        differ, nothing more."""
        text = describe(entry, row, listed, reading, also, self.all_authors)
        self.text.prepare(self._with_note(text, row.annotation.note)[0])

    def rewrap(self) -> None:
        """The text's width changed: a Markdown note shown is drawn again at the new one."""
        width = self.text.size.width
        if self._head is not None and self._note_width not in (None, width) and width:
            self._update_head(*self._head)

    def show(
        self,
        entry: Entry | None,
        row: Row | None,
        listed: list[Entry],
        reading: Reading | None = None,
        also: Sequence[str] = (),
    ) -> None:
        if entry is None or row is None:
            self._entry = None
            self._update_head(content(("Pick an entry to see its details.", MUTED)))
            return
        shown = (entry, row, listed, reading, also)
        if shown == self._entry and self._entry_authors == self.all_authors:
            return  # the same paper again (the cursor signal, then the highlight message)
        self._entry, self._entry_authors = shown, self.all_authors
        text = describe(entry, row, listed, reading, also, self.all_authors)
        self._update_head(text, row.annotation.note)

    def toggle_authors(self) -> bool:
        """Show every author of a long list, or the first ones again; the new setting (it
        stays for the next papers)."""
        self.all_authors = not self.all_authors
        if self._entry is not None:
            self.show(*self._entry)
        return self.all_authors

    def show_section(
        self, section: Section, read: int, total: int, shown: int | None = None
    ) -> None:
        """A section under the cursor: its path, progress, and how many papers the filter
        shows (``shown``, when one is on)."""
        parts: list[str | Content | tuple[str, str]] = [(section.title, "bold"), "\n"]
        if len(section.path) > 1:
            parts.append((" › ".join(section.path[:-1]) + "\n", MUTED))
        parts += ["\n", (f"{read}/{total}", "bold"), " read"]
        unread = total - read
        if unread:
            parts.append(f" · {unread} to go")
        if shown is not None:
            parts += ["\n", (f"{shown} of {total}", "bold"), " shown by the filter"]
        parts.append(("\n\nEnter or → opens it; ← closes it; m marks it read or unread.", MUTED))
        self._entry = None
        self._update_head(content(*parts))

    def show_message(self, message: str) -> None:
        self._entry = None
        self._update_head(content((message, MUTED)))
