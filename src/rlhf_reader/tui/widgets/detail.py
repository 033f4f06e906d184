"""The detail pane: everything known about the highlighted entry, shown literally."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from rlhf_reader.library.records import Row
from rlhf_reader.model import Entry, Section, Status
from rlhf_reader.textsafe import printable, printable_block
from rlhf_reader.tui.literal import assemble, literal_block

STATUS_STYLE = {Status.UNREAD: "dim", Status.READING: "bold yellow", Status.READ: "bold green"}


def describe(entry: Entry, row: Row, listed: list[Entry]) -> Text:
    """The pane's text above the note: title, people, link, status, tags, warnings, arXiv."""
    ann, meta = row.annotation, row.metadata or {}
    text = assemble((entry.title, "bold"), "\n")
    if row.authors:
        text.append_text(assemble((", ".join(row.authors), "italic"), "\n"))
    when = " · ".join(str(part) for part in (row.year, entry.venue) if part)
    if when:
        text.append_text(literal_block(when + "\n"))
    text.append_text(assemble(("\nLink     ", "dim"), (entry.url, "underline"), "\n"))
    ident = entry.key if not entry.arxiv_id else f"{entry.key}  (arXiv {entry.arxiv_id})"
    text.append_text(assemble(("Key      ", "dim"), ident, "\n"))
    text.append_text(assemble(("Section  ", "dim"), entry.section_path, "\n"))
    status = ann.status.glyph + " " + ann.status.value
    if ann.status is Status.READ and ann.read_at:
        status += f" on {ann.read_at[:10]}"
    text.append_text(assemble(("Status   ", "dim"), (status, STATUS_STYLE[ann.status]), "\n"))
    tags = " ".join(f"#{tag}" for tag in ann.tags) or "—"
    text.append_text(assemble(("Tags     ", "dim"), (tags, "cyan"), "\n"))
    for link in entry.links:
        text.append_text(assemble(("         ", ""), f"{link.text}: {link.url}", "\n"))
    if entry.details and not row.authors:
        text.append_text(literal_block(entry.details + "\n", "dim"))
    if len(listed) > 1:
        where = "; ".join(e.section_path for e in listed)
        text.append_text(assemble(("\n⚠ listed twice: ", "bold yellow"), where, "\n"))
    if meta:
        text.append_text(_metadata(entry, meta))
    if ann.note.strip():
        text.append_text(Text("\nNote", style="bold underline"))
    return text


def _metadata(entry: Entry, meta: dict[str, Any]) -> Text:
    from rlhf_reader.sources.arxiv_meta import title_mismatch  # only once something was fetched

    text = Text(end="")
    other = title_mismatch(entry, meta)
    if other:
        text.append_text(assemble(("⚠ the link points at ", "bold yellow"), f"«{other}»", "\n"))
    text.append_text(Text("\narXiv\n", style="bold"))
    fields = (
        ("Version  ", meta.get("version")),
        ("Category ", ", ".join(str(c) for c in meta.get("categories") or []) or None),
        ("Published", str(meta.get("published") or "")[:10] or None),
        ("Updated  ", str(meta.get("updated") or "")[:10] or None),
        ("DOI      ", meta.get("doi")),
        ("Journal  ", meta.get("journal_ref")),
        ("Comment  ", meta.get("comment")),
    )
    for label, value in fields:
        if value:
            text.append_text(assemble((label + " ", "dim"), str(value), "\n"))
    abstract = str(meta.get("abstract") or "").strip()
    if abstract:
        text.append_text(assemble(("\nAbstract\n", "bold"), (abstract, ""), "\n"))
    return text


class DetailPane(VerticalScroll, can_focus=True):
    """Scrollable details of one entry; the note below them rendered as Markdown.

    The Markdown widget (and its imports) is created the first time a note is shown.
    """

    _shown: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-text", markup=False)

    def _update_head(self, text: Text) -> None:
        """Show ``text`` above the note; the same text again (the cursor's highlight after
        a jump, a refresh) costs no new layout."""
        shown = (text.plain, text.style, text.justify, tuple(text.spans))
        if shown == self._shown:
            return
        self._shown = shown
        self.query_one("#detail-text", Static).update(text)

    def show(self, entry: Entry | None, row: Row | None, listed: list[Entry]) -> None:
        if entry is None or row is None:
            self._update_head(Text("Pick an entry to see its details.", style="dim"))
            self._set_note("")
            return
        self._update_head(describe(entry, row, listed))
        self._set_note(row.annotation.note)

    def show_section(self, section: Section, read: int, total: int) -> None:
        """A section under the cursor: its path and progress."""
        text = assemble((section.title, "bold"), "\n")
        if len(section.path) > 1:
            text.append_text(literal_block(" › ".join(section.path[:-1]) + "\n", "dim"))
        text.append_text(assemble("\n", (f"{read}/{total}", "bold"), " read"))
        unread = total - read
        if unread:
            text.append_text(literal_block(f" · {unread} to go"))
        text.append_text(Text("\n\nEnter or → opens it; ← closes it.", style="dim"))
        self._update_head(text)
        self._set_note("")

    def show_message(self, message: str) -> None:
        self._update_head(Text(message, style="dim"))
        self._set_note("")

    def _set_note(self, note: str) -> None:
        source = printable_block(note)
        found = self.query("#detail-note")
        if not found:
            if not source.strip():
                return
            from textual.widgets import Markdown

            self.mount(Markdown(source, id="detail-note", open_links=False))
            self._note_source = source
            return
        widget = found.first()
        if getattr(self, "_note_source", None) != source:
            self._note_source = source
            widget.update(source)  # type: ignore[attr-defined]
        widget.display = bool(source.strip())

    def on_markdown_link_clicked(self, event: Any) -> None:
        event.stop()
        href = str(event.href)
        if href.startswith(("http://", "https://")):
            self.app.open_url(href)
        else:
            self.notify(printable(f"Not opened (only http and https links): {href}"), markup=False)
