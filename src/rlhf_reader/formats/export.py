"""Reading-list exports: Markdown, BibTeX, CSV, RIS, CSL-JSON and the JSON backup. Pure.

Each ``to_*`` function turns ``records.Row`` objects into the text of one file; ``export``
picks one by name and ``write_atomic`` puts it on disk.

Control characters in the data: the JSON backup keeps every character (JSON escapes them
as ``\\uXXXX``, C1 controls included), so an export → import round trip is lossless. Every
other format is meant for people and other programs: there each control character (except
newlines and tabs in notes, where the format allows them) becomes visible ``\\xNN`` text, so
no raw ESC or BEL ends up in the file.
"""

from __future__ import annotations

import csv
import errno
import functools
import io
import json
import operator
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timezone
from itertools import chain, filterfalse, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

import orjson

from rlhf_reader.formats.cite import (
    Name,
    Work,
    bibtex,
    bibtex_entry,
    distinct,
    last_first,
    md_text,
    md_url,
    unique_keys,
    venue_name,
    work_of,
)
from rlhf_reader.library import fileio
from rlhf_reader.library.merge import JSON_FORMAT, JSON_VERSION
from rlhf_reader.library.progress import Counts
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.textsafe import printable, printable_block

if TYPE_CHECKING:
    from rlhf_reader.formats import export_cache
    from rlhf_reader.library.store import Library

FORMATS = ("markdown", "bibtex", "csv", "ris", "json", "csl-json")
EXTENSIONS = {
    "markdown": ".md",
    "bibtex": ".bib",
    "csv": ".csv",
    "ris": ".ris",
    "json": ".json",
    "csl-json": ".csl.json",
}
CSV_COLUMNS = (
    "key",
    "title",
    "authors",
    "year",
    "url",
    "arxiv_id",
    "section",
    "status",
    "read_at",
    "tags",
    "note",
)
SOFTWARE_HOSTS = frozenset({"github.com", "gitlab.com", "pypi.org", "bitbucket.org"})
VIDEO_HOSTS = frozenset({"youtube.com", "www.youtube.com", "youtu.be", "vimeo.com"})


class ExportError(Exception):
    """An export that cannot be written; the message names the path and the reason."""


def refuse_library_target(output: str | Path, library: str | Path) -> None:
    """An export must not replace the library (or its backup) with a file it cannot read."""
    real = Path(os.path.realpath(library))
    ours = {real, real.with_name(real.name + ".bak")} if real.name else {real}
    if Path(os.path.realpath(fileio.expand_user(output))) in ours:
        raise ExportError(f"{output}: is the library file or its backup; export to another file")


def format_for_name(name: str | Path) -> str | None:
    """The format a file name's extension means (``x.csv`` → csv, ``x.csl.json`` →
    csl-json, ``x.markdown`` → markdown); None for any other name."""
    lower = Path(name).name.lower()
    if lower.endswith(EXTENSIONS["csl-json"]):
        return "csl-json"
    suffix = Path(lower).suffix
    if suffix == ".markdown":
        return "markdown"
    for fmt, extension in EXTENSIONS.items():
        if suffix == extension:
            return fmt
    return None


def default_filename(fmt: str, stem: str = "reading-list") -> str:
    """``reading-list.bib`` and the like: the TUI's suggestion in the current folder."""
    return stem + EXTENSIONS[fmt]


# The formats kept in the export cache (formats/export_cache.py) by ``rlhf-reader export``
# and the TUI's export: all of them (Markdown too since its stored blocks are copied into
# the file as bytes: bench/RESULTS.md, exports, seventh session).
CACHED_FORMATS = frozenset(FORMATS)


def export(
    rows: Iterable[Row],
    fmt: str,
    *,
    title: str = "Reading list",
    additions: Mapping[str, Mapping[str, Any]] | None = None,
    today: date | None = None,
    now: str | None = None,
    csv_raw: bool = False,
    cache_scope: str | None = None,
) -> str:
    """The text of ``rows`` exported as ``fmt`` (one of ``FORMATS``); ``csv_raw``: see
    :func:`to_csv`.

    ``cache_scope``: keep each row's formatted text in the export cache (``export_cache``)
    under this name (the list, the library and the filters of a CLI export) and reuse what
    is still valid; the text is the same either way. None: no cache.
    """
    rows = list(rows)
    if cache_scope is not None and fmt in FORMATS:
        from rlhf_reader.formats import export_cache

        text = export_cache.export(
            rows,
            fmt,
            scope=cache_scope,
            title=title,
            additions=additions,
            today=today,
            now=now,
            csv_raw=csv_raw,
        )
        if text is not None:
            return text
    if fmt == "markdown":
        return to_markdown(rows, title=title, today=today)
    if fmt == "bibtex":
        return bibtex(rows, today, keywords=True)
    if fmt == "csv":
        return to_csv(rows, raw=csv_raw)
    if fmt == "ris":
        return to_ris(rows, today)
    if fmt == "csl-json":
        return to_csl_json(rows, today)
    if fmt == "json":
        return to_json(rows, additions=additions, title=title, now=now)
    raise ValueError(f"unknown export format {fmt!r} (expected one of: {', '.join(FORMATS)})")


# Markdown ----------------------------------------------------------------------------------

_NOTE_HEADING_RE = re.compile(r"^(\s{0,3})(#|=+\s*$|-+\s*$|[-+*](?:\s|$)|\d+[.)](?:\s|$))")


def _note_line(line: str) -> str:
    """A note line that cannot start a heading, a list item or a setext underline.

    Headings or list items in a note would become sections or entries when the file is
    read back as a list; they are escaped with a backslash and read as text.
    """
    first = line[:1]
    if first not in _MAY_MARK and not first.isspace() and not first.isdigit():
        return line  # (the usual case: the pattern cannot match here, asked without it)
    match = _NOTE_HEADING_RE.match(line)
    if not match:
        return line
    indent, mark = match.group(1), match.group(2)
    rest = line[len(indent) :]
    if mark[0].isdigit():
        digits = re.match(r"\d+", rest).group()  # type: ignore[union-attr]
        return f"{indent}{digits}\\{rest[len(digits) :]}"
    return f"{indent}\\{rest}"


# What a line may start with when ``_NOTE_HEADING_RE`` matches it, besides white space
# (``\s``, which ``str.isspace`` covers) and digits (``\d``, which ``str.isdigit`` covers).
# The empty string is in it: "" never matches, but is left to the pattern all the same.
_MAY_MARK = frozenset("#=-+*") | {""}


def _md_text(text: str) -> str:
    """``cite.md_text``, without its substitution when there is nothing to escape."""
    if "[" in text or "]" in text or "\\" in text:
        return md_text(text)
    return text


def _md_url(url: str) -> str:
    """``cite.md_url``, answered without a generator for the usual URL."""
    if not url or " " in url or "(" in url or ")" in url or "<" in url or ">" in url:
        return md_url(url)
    return url


def _details_line(row: Row) -> str:
    """``Authors. Venue, Year.`` as the list writes it, so the file reads back the same."""
    entry = row.entry
    if not row.metadata or not row.metadata.get("authors"):
        return printable(entry.details)
    authors = ", ".join(printable(a) for a in row.authors)
    venue = printable(entry.venue) or "arXiv"
    year = f", {row.year}" if row.year else ""
    return f"{authors}. {venue}{year}."


def to_markdown(
    rows: Sequence[Row], *, title: str = "Reading list", today: date | None = None
) -> str:
    """The reading list as GitHub Markdown: the list's sections, task-list checkboxes for
    *read*, *reading* marked, authors and year, tags, and notes as indented quotes.

    It is itself an awesome-style list: ``catalog.parse`` reads it back to the same
    sections and entries (key, title, URL, authors, venue, year).
    """
    sections = [row.entry.section for row in rows]
    chunks = list(map(markdown_row, rows))
    return markdown_text(paper_counts(rows), sections, chunks, title=title, today=today)


def new_headings(current: tuple[str, ...], path: tuple[str, ...]) -> range:
    """The depths of ``path`` whose headings the Markdown export writes before a section's
    entries that follow those of ``current``: from where the two paths part — or, when
    ``path`` is ``current``'s parent, its own last heading again."""
    common = 0
    while common < min(len(path), len(current)) and path[common] == current[common]:
        common += 1
    if common == len(path):
        common -= 1  # back up to a parent: its heading again
    return range(common, len(path))


def markdown_text(
    papers: Counts,
    sections: Sequence[tuple[str, ...]],
    chunks: Sequence[str],
    *,
    title: str,
    today: date | None,
) -> str:
    """The Markdown file of rows whose :func:`markdown_row` texts are ``chunks`` and whose
    sections are ``sections``: the title, the counts, each section's heading where the
    section changes, the chunks. (A chunk may also be the texts of consecutive rows of one
    section joined with newlines: the export cache keeps blocks of rows.)"""
    stamp = (today or date.today()).isoformat()
    lines = [
        f"# {printable(title)}",
        "",
        f"{papers.read} of {papers.total} read, {papers.reading} in progress "
        f"(exported by rlhf-reader on {stamp}).",
    ]
    current: tuple[str, ...] = ()
    for path, chunk in zip(sections, chunks, strict=True):
        if path != current:
            for depth in new_headings(current, path):
                level = min(depth + 2, 6)
                # One empty line before the heading, never two (a chunk that ends in one
                # ends in "\n": its lines are joined, and no line holds a newline).
                last = lines[-1]
                if last != "" and last[-1:] != "\n":
                    lines.append("")
                lines += [f"{'#' * level} {printable(path[depth])}", ""]
            current = path
        lines.append(chunk)
    return "\n".join(lines).rstrip("\n") + "\n"


_READ, _READING = Status.READ, Status.READING


def markdown_row(row: Row) -> str:
    """One row's lines of the Markdown export, joined: the task-list item, its details
    line, its note as a quote (then an empty line). Depends on the row only."""
    # 100,000 rows at scale: printable() etc. inlined for the usual case
    entry, ann = row.entry, row.annotation
    status = ann.status
    title, url = entry.title, entry.url
    title = _md_text(title if title.isprintable() else printable(title))
    url = _md_url(url if url.isprintable() else printable(url))
    text = f"- [{'x' if status is _READ else ' '}] [{title}]({url})"
    if entry.source:
        text += f" — source: {printable(entry.source)}"
    if status is _READING:
        text += " — *reading*"
    tags = ann.tags
    if tags:
        if " ".join(tags).isprintable():  # then so is each tag: printable(t) is t
            text += " — `" + "` `".join(tags) + "`"
        else:
            text += " — " + " ".join([f"`{printable(t)}`" for t in tags])
    if row.metadata:
        details = _details_line(row)
    else:
        details = entry.details
        if not details.isprintable():
            details = printable(details)
    if details:
        first = details[:1]
        if first in _MAY_MARK or first.isspace() or first.isdigit():
            details = _note_line(details)
        text += f"\n  - {details}"
    note = ann.note
    if note and not note.isspace():  # (as note.strip(): white space only is no note)
        # An empty line, the quote, an empty line.
        if note.isprintable():  # one line, nothing to escape or split
            line = note.strip("\n")
            text += "\n\n" + (f"  > {_note_line(line)}".rstrip() if line.strip() else "  >")
        else:
            text += "\n\n" + "\n".join(
                f"  > {_note_line(line)}".rstrip() if line.strip() else "  >"
                for line in printable_block(note).strip("\n").split("\n")
            )
        text += "\n"
    return text


def paper_counts(rows: Sequence[Row]) -> Counts:
    """``count`` of the rows' keys, each key once (its last row's annotation, as
    ``count(keys, {key: annotation})`` takes it), without a dict of annotations."""
    keys = [row.entry.key for row in rows]
    statuses = [row.annotation.status for row in rows]
    if len(set(keys)) != len(keys):  # a key listed twice: its last row's status counts
        statuses = list(dict(zip(keys, statuses, strict=True)).values())
    read = sum(map(operator.is_, statuses, repeat(Status.READ)))
    reading = sum(map(operator.is_, statuses, repeat(Status.READING)))
    return Counts(read, reading, len(statuses) - read - reading)


def write_export(
    path: str | Path,
    rows: Iterable[Row],
    fmt: str,
    *,
    title: str = "Reading list",
    additions: Mapping[str, Mapping[str, Any]] | None = None,
    mode: int | None = None,
    cache: str | None = None,
) -> tuple[Path, int]:
    """Export ``rows`` as ``fmt`` into ``path`` atomically: the written path (absolute) and the
    number of distinct entries. For the TUI's export dialog; ``ExportError`` when unwritable.
    A new file is 0600 unless ``mode`` says otherwise (see :func:`write_atomic`). ``cache``:
    the export cache's scope (see :func:`export`), used for the ``CACHED_FORMATS``."""
    from rlhf_reader.gcpause import paused

    rows = list(rows)
    scope = cache if fmt in CACHED_FORMATS else None
    with paused():  # 100,000s of short-lived tuples and strings, no cycles (see gcpause)
        written = export_file(
            path, rows, fmt, title=title, additions=additions, cache_scope=scope, mode=mode
        )
    return written.resolve(), len(set(map(_ROW_KEY, rows)))


def export_file(
    path: str | Path,
    rows: Iterable[Row],
    fmt: str,
    *,
    title: str = "Reading list",
    additions: Mapping[str, Mapping[str, Any]] | None = None,
    today: date | None = None,
    now: str | None = None,
    csv_raw: bool = False,
    cache_scope: str | None = None,
    mode: int | None = None,
) -> Path:
    """``write_atomic(path, export(rows, fmt, …), mode=mode)``, the same bytes. With
    ``cache_scope``, the blocks the export cache still holds are copied from its file
    into ``path`` as they are stored (checked against their CRC-32), not decoded, joined
    and encoded again: a repeated export of 100,000 rows touches a buffer of a megabyte
    instead of the whole text three times. A cache file found damaged while copying is
    removed and the export made again (``path`` is replaced once, by the whole export)."""
    rows = list(rows)
    if cache_scope is not None and fmt in FORMATS:
        from rlhf_reader.formats import export_cache

        for _attempt in range(2):
            rendered = export_cache.render(
                rows,
                fmt,
                scope=cache_scope,
                title=title,
                additions=additions,
                today=today,
                now=now,
                csv_raw=csv_raw,
            )
            if rendered is None:
                break
            with rendered:
                try:
                    # (and the cache file brought up to date: after, or beside it)
                    return rendered.write_and_finish(
                        functools.partial(write_atomic, path, rendered, mode=mode)
                    )
                except export_cache.Damaged:
                    rendered.forget()  # and made again, without it
                    continue
    text = export(
        rows, fmt, title=title, additions=additions, today=today, now=now, csv_raw=csv_raw
    )
    return write_atomic(path, text, mode=mode)


# BibTeX (formats.cite writes it) ------------------------------------------------------------


def bibtex_record(row: Row, work: Work, key: str) -> str:
    """One row's BibTeX entry as the export writes it (its tags as ``keywords``)."""
    tags = row.annotation.tags
    if tags and not "".join(tags).isprintable():  # (else printable(t) is t for each tag)
        tags = tuple(map(printable, tags))
    return bibtex_entry(work, key, tags)


def bibtex_text(chunks: Sequence[str]) -> str:
    """The BibTeX file of the :func:`bibtex_record` texts of distinct rows (what
    ``cite.bibtex(rows, keywords=True)`` writes)."""
    return "\n\n".join(chunks) + ("\n" if chunks else "")


# CSV ---------------------------------------------------------------------------------------


# A spreadsheet takes a cell that starts with one of these for a formula (=HYPERLINK(…),
# =cmd|…): OWASP's "CSV injection" advice is to prefix such a cell with a single quote, which
# Excel, LibreOffice and Google Sheets show as text and do not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """``value`` with a ``'`` in front when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_record(row: Row, *, raw: bool = False) -> dict[str, str]:
    """One CSV row; unless ``raw``, every cell a spreadsheet would run is neutralised."""
    return dict(zip(CSV_COLUMNS, _csv_cells(row, raw=raw), strict=True))


def _csv_cells(row: Row, *, raw: bool = False) -> list[str]:
    """The cells of :func:`csv_record`, in ``CSV_COLUMNS`` order."""
    ann, entry = row.annotation, row.entry
    authors = row.authors
    tags = ann.tags
    cells = [
        printable(entry.key),
        printable(entry.title),
        "; ".join(authors) if "; ".join(authors).isprintable() else _joined(authors),
        str(row.year or ""),
        printable(entry.url),
        entry.arxiv_id or "",
        _section_cell(entry.section),
        _STATUS_VALUE[ann.status],
        ann.read_at or "",
        "; ".join(tags) if "; ".join(tags).isprintable() else _joined(tags),
        printable_block(ann.note),
    ]
    if raw:
        return cells
    return [neutralise_cell(value) if value[:1] in _FORMULA_FIRST else value for value in cells]


_STATUS_VALUE = {status: status.value for status in Status}  # (Enum.value: a property)


@functools.lru_cache(maxsize=4_096)
def _section_cell(section: tuple[str, ...]) -> str:
    """``printable(entry.section_path)`` of a section (a list has a few hundred: cached)."""
    return printable(Entry(key="", title="", url="", section=section).section_path)


# The first characters of FORMULA_STARTS ("" never starts one: not in it).
_FORMULA_FIRST = frozenset(start[0] for start in FORMULA_STARTS)


def _joined(texts: Sequence[str]) -> str:
    """``"; ".join`` of the texts, each made printable."""
    return "; ".join([printable(t) for t in texts])


def to_csv(rows: Iterable[Row], *, raw: bool = False) -> str:
    """RFC 4180: a header, one row per paper (a key listed twice is one row, with the section
    it is first listed in), CRLF line ends, quotes where needed.

    A cell that starts with ``= + - @``, a tab or a carriage return (a title, an author, a
    note, a tag such as ``=cmd``) gets a leading ``'`` so that a spreadsheet shows it instead
    of running it; ``raw`` writes every value exactly (for programs, not spreadsheets).
    """
    return csv_text([_csv_line(_csv_cells(row, raw=raw)) for row in distinct(rows)])


def csv_row(row: Row, raw: bool) -> str:
    """One row's line of the CSV export (CRLF at its end)."""
    return _csv_line(_csv_cells(row, raw=raw))


def csv_text(chunks: Sequence[str]) -> str:
    """The CSV file of the :func:`csv_row` lines of distinct rows: the header, the lines."""
    return _csv_line(CSV_COLUMNS) + "".join(chunks)


_CSV_COMMAS = len(CSV_COLUMNS) - 1


def _csv_line(cells: Sequence[str]) -> str:
    """What ``csv.writer(lineterminator="\\r\\n").writerow(cells)`` writes (the excel
    dialect: a cell with a comma, a quote, CR or LF in quotes, its quotes doubled), asked of
    the whole line first: a line without any of them is the cells joined (the usual case;
    the C writer looks at every character of every cell: 1.5 s of the CSV export at 100k).
    Checked against ``csv.DictWriter`` in tests/test_export_fastpaths.py."""
    line = ",".join(cells)
    if line.count(",") == _CSV_COMMAS and '"' not in line and "\n" not in line:
        if "\r" not in line:
            return line + "\r\n"
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


# RIS ---------------------------------------------------------------------------------------


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _kind(work: Work) -> str:
    """RIS type, chosen by what Zotero's RIS importer (zotero/translators ``RIS.js``) makes of
    it: CONF → conference paper, JOUR → journal article, RPRT → report (for a preprint: RIS.js
    has no preprint type and reads ``UNPB`` as a journal article; a report keeps the
    repository as institution, the arXiv number as report number and "Preprint" as report
    type), COMP → computer program, VIDEO → video recording, ELEC → web page."""
    if work.venue_kind == "conference":
        return "CONF"
    if work.venue_kind == "journal":
        return "JOUR"
    if work.is_arxiv:
        return "RPRT"
    host = _host(work.url)
    if host in SOFTWARE_HOSTS:
        return "COMP"
    if host in VIDEO_HOSTS:
        return "VIDEO"
    return "ELEC"


def _one_line(text: str) -> str:
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # already one clean line (the usual case)
    return " ".join(printable_block(text).split())


def to_ris(rows: Iterable[Row], today: date | None = None) -> str:
    """One RIS record per distinct entry: TY, TI, AU…, PY, DA, T2/PB, SN, M3, UR, DO, M2,
    AB, KW…, N1, ER.

    Where each lands in Zotero (RIS.js): TI title, AU authors, PY/DA date, T2 the conference
    name (CONF) or the journal (JOUR), PB/SN/M3 institution / report number / report type of a
    preprint, UR URL, DO DOI (in Extra as ``DOI: …`` for a type without a DOI field), M2 Extra
    (``arXiv: ID``, the line Zotero itself writes for arXiv ids), AB abstract, KW tags, N1
    notes. RIS has one line per field, so a multi-line note or abstract is joined with spaces.
    """
    rows = distinct(rows)
    works = [work_of(row, today) for row in rows]
    keys = unique_keys(works)
    return ris_text([ris_record(r, w, k) for r, w, k in zip(rows, works, keys, strict=True)])


def ris_text(chunks: Sequence[str]) -> str:
    """The RIS file of the :func:`ris_record` texts of distinct rows."""
    return "\n".join(chunks)


def ris_record(row: Row, work: Work, key: str) -> str:
    """One row's RIS record (``TY`` … ``ER``, then an empty line), its key ``key``.

    Each field's value is written as it is when it is already one clean line (printable, no
    double space, none at either end), else made one (``_one_line``). At 100,000 records
    a check and a tuple per field were half of the record: here an author's line is made
    once per name (``_ris_author``), the abstract and the note are made one line as
    always (``_one_line`` of its own text is that text), and the other values that are not
    constants are asked at once, joined by spaces (a value with a space at either end,
    or an empty one, then shows as a double space). When one is not clean, or a name's
    is not, every field is asked on its own (:func:`_ris_fields`)."""
    kind = _kind(work)
    title, arxiv_id, year = work.title, work.arxiv_id, work.year
    lines = [f"TY  - {kind}", f"ID  - {key}", f"TI  - {title}"]
    values = [key, title]  # what each other line but a constant's is made of
    names = work.names
    if names:
        authors = list(map(_ris_author, names))
        if None in authors:  # a name that is not one clean line
            return _ris_lines(_ris_fields(row, work, key))
        lines += authors  # type: ignore[arg-type]
    if year:
        py = str(year)
        values.append(py)
        lines.append(f"PY  - {py}")
        if work.month and work.day:
            da = f"{year:04d}/{work.month:02d}/{work.day:02d}"
            values.append(da)
            lines.append(f"DA  - {da}")
    if kind == "CONF" or kind == "JOUR":
        venue = venue_name(work)
        values.append(venue)
        lines.append(f"T2  - {venue}")
    elif arxiv_id:  # (the id clean: "arXiv:ID" and "arXiv: ID" are too)
        values.append(arxiv_id)
        lines += ["PB  - arXiv", f"SN  - arXiv:{arxiv_id}", "M3  - Preprint"]
    elif work.venue:
        values.append(work.venue)
        lines.append(f"T2  - {work.venue}")
    url = work.url
    values.append(url)
    lines.append(f"UR  - {url}")
    doi = work.doi or (f"10.48550/arXiv.{arxiv_id}" if arxiv_id else "")  # work.any_doi
    if doi:
        values.append(doi)
        lines.append(f"DO  - {doi}")
    if arxiv_id:
        lines.append(f"M2  - arXiv: {arxiv_id}")
    if kind == "ELEC" or kind == "COMP" or kind == "VIDEO":
        accessed = work.accessed.replace("-", "/")
        values.append(accessed)
        lines.append(f"Y2  - {accessed}")
    metadata = row.metadata
    if metadata:
        abstract = metadata.get("abstract")
        if abstract:
            lines.append(f"AB  - {_one_line(str(abstract))}")
    annotation = row.annotation
    tags = annotation.tags
    if tags:
        if not "".join(tags).isprintable():  # (else printable(t) is t)
            tags = tuple(map(printable, tags))
        values += tags
        lines += map(_KW.__add__, tags)
    note = annotation.note
    if note.strip():
        lines.append(f"N1  - {_one_line(note)}")
    joined = " ".join(values)
    if not (joined.isprintable() and "  " not in joined and joined[:1] != " " != joined[-1:]):
        return _ris_lines(_ris_fields(row, work, key))  # a value that is not one clean line
    lines += _ER
    return "\n".join(lines)


_KW = "KW  - "
_ER = ("ER  - ", "")


@functools.lru_cache(maxsize=65_536)
def _ris_author(name: Name) -> str | None:
    """A name's ``AU`` line of a RIS record; None when ``last_first(name)`` is not one
    clean line (names recur: cached)."""
    text = last_first(name)
    if text.isprintable() and "  " not in text and text[:1] != " " != text[-1:]:
        return f"AU  - {text}"
    return None


def _ris_fields(row: Row, work: Work, key: str) -> list[tuple[str, str]]:
    """The fields of :func:`ris_record`, each (tag, value) before ``_one_line``."""
    kind = _kind(work)
    fields: list[tuple[str, str]] = [("TY", kind), ("ID", key), ("TI", work.title)]
    fields += [("AU", last_first(n)) for n in work.names]
    if work.year:
        fields.append(("PY", str(work.year)))
        if work.month and work.day:
            fields.append(("DA", f"{work.year:04d}/{work.month:02d}/{work.day:02d}"))
    if kind in ("CONF", "JOUR"):
        fields.append(("T2", venue_name(work)))
    elif work.is_arxiv:
        fields += [("PB", "arXiv"), ("SN", f"arXiv:{work.arxiv_id}"), ("M3", "Preprint")]
    elif work.venue:
        fields.append(("T2", work.venue))
    fields.append(("UR", work.url))
    if work.any_doi:
        fields.append(("DO", work.any_doi))
    if work.is_arxiv:
        fields.append(("M2", f"arXiv: {work.arxiv_id}"))
    if kind in ("ELEC", "COMP", "VIDEO"):
        fields.append(("Y2", work.accessed.replace("-", "/")))
    abstract = (row.metadata or {}).get("abstract")
    if abstract:
        fields.append(("AB", _one_line(str(abstract))))
    fields += [("KW", printable(t)) for t in row.annotation.tags]
    if row.annotation.note.strip():
        fields.append(("N1", _one_line(row.annotation.note)))
    return fields


def _ris_lines(fields: list[tuple[str, str]]) -> str:
    """The record of RIS ``fields``: each value made one clean line (``_one_line``)."""
    out = [
        # _one_line(value), its usual case (already one clean line) asked here
        f"{tag}  - {value}"
        if value.isprintable() and "  " not in value and value[:1] != " " != value[-1:]
        else f"{tag}  - {_one_line(value)}"
        for tag, value in fields
    ]
    out += ["ER  - ", ""]
    return "\n".join(out)


# CSL-JSON ----------------------------------------------------------------------------------


def _csl_name(name: Name) -> dict[str, str]:
    return dict(_csl_name_fields(name))  # a new dict per item: callers may change theirs


@functools.lru_cache(maxsize=65_536)
def _csl_name_fields(name: Name) -> tuple[tuple[str, str], ...]:
    """The fields of a CSL name (names recur across a list: cached)."""
    if name.literal:
        return (("literal", name.literal),)
    data = {"family": name.last, "given": name.given}
    if name.suffix:
        data["suffix"] = name.suffix
    return tuple((k, v) for k, v in data.items() if v)


def csl_item(row: Row, work: Work, key: str, *, personal: bool = True) -> dict[str, Any]:
    """One CSL-JSON item, as Zotero and Pandoc read it.

    A preprint is ``article`` (CSL 1.0.2's preprint type; Zotero makes a Preprint of it) with
    the repository as ``publisher``, the arXiv number as ``number`` and ``archive``; a
    published paper is ``paper-conference`` or ``article-journal`` with ``container-title``.
    ``DOI`` is the published DOI, else arXiv's. With ``personal``, the reader's tags
    (``keyword``) and note (``note``) come along: an export, not a citation.
    """
    kind = _kind(work)
    csl_type = {
        "CONF": "paper-conference",
        "JOUR": "article-journal",
        "RPRT": "article",
        "COMP": "software",
    }.get(kind, "webpage")
    item: dict[str, Any] = {"id": key, "type": csl_type, "title": work.title}
    if work.names:
        item["author"] = [_csl_name(n) for n in work.names]
    if work.year:
        parts = [work.year] + ([work.month, work.day] if work.month and work.day else [])
        item["issued"] = {"date-parts": [parts]}
    item["URL"] = work.url
    if work.any_doi:
        item["DOI"] = work.any_doi
    if kind in ("CONF", "JOUR"):
        item["container-title"] = venue_name(work)
    if work.is_arxiv:
        if kind == "RPRT":
            item["number"] = work.arxiv_id
            item["publisher"] = "arXiv"
            item["genre"] = "Preprint"
        item["archive"] = "arXiv"
        item["archive_location"] = f"arXiv:{work.arxiv_id}"
    elif kind not in ("CONF", "JOUR"):
        y, m, d = (int(p) for p in work.accessed.split("-"))
        item["accessed"] = {"date-parts": [[y, m, d]]}
        if work.venue:
            item["container-title"] = work.venue
    if not personal:
        return item
    abstract = (row.metadata or {}).get("abstract")
    if abstract:
        item["abstract"] = printable_block(str(abstract))
    if row.annotation.tags:
        item["keyword"] = ", ".join(printable(t) for t in row.annotation.tags)
    if row.annotation.note.strip():
        item["note"] = printable_block(row.annotation.note)
    return item


def csl_items(
    rows: Iterable[Row], today: date | None = None, *, personal: bool = True
) -> list[dict[str, Any]]:
    """The CSL items of ``rows``, one per distinct entry, ids unique (the BibTeX keys)."""
    return list(_csl_items(rows, today, personal=personal))


def _csl_items(
    rows: Iterable[Row], today: date | None = None, *, personal: bool = True
) -> Iterator[dict[str, Any]]:
    """:func:`csl_items` one at a time (the export writes each and lets it go)."""
    rows = distinct(rows)
    works = [work_of(row, today) for row in rows]
    for row, work, key in zip(rows, works, unique_keys(works), strict=True):
        yield csl_item(row, work, key, personal=personal)


def to_csl_json(rows: Iterable[Row], today: date | None = None) -> str:
    """A JSON array of CSL items, one per distinct entry, ids unique (the BibTeX keys)."""
    return csl_text([_item_json(item, "  ") for item in _csl_items(rows, today)])


def csl_record(row: Row, work: Work, key: str) -> str:
    """One row's item of the CSL-JSON export, as written in its array, its id ``key``:
    ``_item_json(csl_item(row, work, key), "  ")``, written here member by member
    (:func:`_csl_text`) unless a value is one that text does not take."""
    try:
        return _csl_text(row, work, key)
    except (TypeError, orjson.JSONEncodeError):  # (not a str, a lone surrogate…)
        return _item_json(csl_item(row, work, key), "  ")


def _csl_text(row: Row, work: Work, key: str) -> str:
    """The text orjson writes of ``csl_item(row, work, key)`` as an item of the CSL-JSON
    array (indented by two, then ``_json_safe``), without the item's dicts: each string
    as JSON writes it (:func:`_json_string`), each author's object once per name
    (``_csl_name_json``). At 100,000 rows the dicts and their indented encoding were two
    thirds of a record. ``TypeError`` or ``orjson.JSONEncodeError`` for a value it does
    not write as ``_item_json`` would (tests/test_export_records.py compares the two)."""
    js = _json_string
    kind = _kind(work)
    csl_type = _CSL_TYPES.get(kind, "webpage")
    arxiv_id, year = work.arxiv_id, work.year
    parts = [
        f'  {{\n    "id": {js(key)},\n    "type": "{csl_type}",\n    "title": {js(work.title)}'
    ]
    names = work.names
    if names:
        parts.append('    "author": [\n' + ",\n".join(map(_csl_name_json, names)) + "\n    ]")
    if year:
        month, day = work.month, work.day
        if month and day:
            parts.append(_csl_date("issued", _int(year), _int(month), _int(day)))
        else:  # (_csl_date("issued", year))
            parts.append(f'    "issued": {_CSL_DATE_START}{_int(year)}{_CSL_DATE_END}')
    parts.append(f'    "URL": {js(work.url)}')
    # The id as a JSON string ("…"): "arXiv:ID" and the like are that text after a prefix.
    id_json = js(arxiv_id) if arxiv_id else ""
    if work.doi:  # (work.any_doi)
        parts.append(f'    "DOI": {js(work.doi)}')
    elif arxiv_id:
        parts.append(f'    "DOI": "10.48550/arXiv.{id_json[1:]}')
    published = kind == "CONF" or kind == "JOUR"
    if published:
        parts.append(f'    "container-title": {js(venue_name(work))}')
    if arxiv_id:
        if kind == "RPRT":
            parts.append(
                f'    "number": {id_json},\n    "publisher": "arXiv",\n    "genre": "Preprint"'
            )
        parts.append(f'    "archive": "arXiv",\n    "archive_location": "arXiv:{id_json[1:]}')
    elif not published:
        y, m, d = (int(p) for p in work.accessed.split("-"))
        parts.append(_csl_date("accessed", y, m, d))
        if work.venue:
            parts.append(f'    "container-title": {js(work.venue)}')
    metadata = row.metadata
    if metadata:
        abstract = metadata.get("abstract")
        if abstract:
            parts.append(f'    "abstract": {_json_block(str(abstract))}')
    annotation = row.annotation
    tags = annotation.tags
    if tags:
        keywords = ", ".join(tags)
        if not keywords.isprintable():  # (else printable(t) is t for each tag)
            keywords = ", ".join(printable(t) for t in tags)
        parts.append(f'    "keyword": {js(keywords)}')
    note = annotation.note
    if note.strip():
        parts.append(f'    "note": {_json_block(note)}')
    text = ",\n".join(parts) + "\n  }"
    if text.isascii() and "\x7f" not in text:  # (_json_safe's usual case, asked here)
        return text
    return _json_safe(text)


_CSL_TYPES = {
    "CONF": "paper-conference",
    "JOUR": "article-journal",
    "RPRT": "article",
    "COMP": "software",
}


def _json_string(value: str) -> str:
    """``orjson.dumps(value)`` of a str, answered without it for a printable one with no
    quote or backslash (nothing to escape); ``TypeError`` for another type."""
    if type(value) is not str:
        raise TypeError(value)
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return orjson.dumps(value).decode("utf-8")


def _json_block(text: str) -> str:
    """``_json_string(printable_block(text))``, a long printable text looked at once."""
    if text.isprintable():  # (printable_block(text) is text)
        if '"' not in text and "\\" not in text:
            return f'"{text}"'
        return orjson.dumps(text).decode("utf-8")
    return _json_string(printable_block(text))


def _int(value: object) -> int:
    """An int as JSON writes it (``TypeError`` for a bool or another type)."""
    if type(value) is not int:
        raise TypeError(value)
    return value


def _csl_date(name: str, *parts: int) -> str:
    """A CSL date member (``"issued": {"date-parts": [[2023, 5, 29]]}``) as an item's."""
    numbers = ",\n          ".join(map(str, parts))
    return f'    "{name}": {_CSL_DATE_START}{numbers}{_CSL_DATE_END}'


_CSL_DATE_START = '{\n      "date-parts": [\n        [\n          '
_CSL_DATE_END = "\n        ]\n      ]\n    }"


@functools.lru_cache(maxsize=65_536)
def _csl_name_json(name: Name) -> str:
    """A CSL name's object as an item's ``author`` writes it (names recur: cached)."""
    fields = _csl_name_fields(name)
    if not fields:
        return "      {}"
    members = ",\n".join(f"        {_json_string(k)}: {_json_string(v)}" for k, v in fields)
    return f"      {{\n{members}\n      }}"


def csl_text(chunks: Sequence[str]) -> str:
    """The CSL-JSON file of the :func:`csl_record` texts of distinct rows."""
    if not chunks:
        return json_text([])
    return "[\n" + ",\n".join(chunks) + "\n]\n"  # (each item _json_safe already)


# JSON backup -------------------------------------------------------------------------------

_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(data: Any) -> str:
    """``json.dumps`` that also escapes DEL, C1 controls and line separators (``\\u009b``)."""
    return _json_safe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


def _json_safe(text: str) -> str:
    """JSON text with DEL, C1 controls and line separators escaped (``\\u009b``)."""
    if text.isascii() and "\x7f" not in text:
        return text  # none of them in it (the usual case, answered without the pattern)
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _item_json(value: Any, pad: str, checked: bool = True) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)`` with every line after ``pad``: the
    text ``value`` has as an item of a ``json.dumps(..., indent=2)`` array or object at that
    depth. orjson writes it (the same text, without building the whole file's dict tree in
    Python's indenting encoder) unless ``checked`` is False, or it refuses the value (a lone
    surrogate, an int beyond 64 bits): then ``json``. ``checked``: the caller knows
    ``value`` holds nothing orjson writes differently (see :func:`_orjson_same`)."""
    if checked:
        try:
            text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
        except orjson.JSONEncodeError:
            text = json.dumps(value, ensure_ascii=False, indent=2)
    else:
        text = json.dumps(value, ensure_ascii=False, indent=2)
    return _json_safe(pad + text.replace("\n", "\n" + pad))


def _orjson_same(value: Any) -> bool:
    """Whether orjson writes ``value`` as ``json.dumps`` does: JSON's own types, no float
    (Python writes ``1e-07``, orjson ``1e-7``), string keys only (``json`` converts others)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(k) is str and _orjson_same(v) for k, v in value.items())
    if kind is list or kind is tuple:
        return all(map(_orjson_same, value))
    return False


def _stored(row: Row) -> bool:
    ann = row.annotation
    return bool(ann.created or ann.updated) or ann != Annotation(key=ann.key)


def json_record(row: Row, addition: Mapping[str, Any] | None = None) -> dict[str, Any]:
    entry = row.entry
    return {
        "key": entry.key,
        "title": entry.title,
        "url": entry.url,
        "arxiv_id": entry.arxiv_id,
        "authors": entry.author_list,
        "year": entry.year,
        "venue": entry.venue,
        "details": entry.details,
        "source": entry.source,
        "section": list(entry.section),
        "links": [{"text": link.text, "url": link.url} for link in entry.links],
        "annotation": row.annotation.to_dict() if _stored(row) else None,
        "metadata": dict(row.metadata) if row.metadata else None,
        "addition": dict(addition) if addition else None,
    }


UNLISTED_SECTION = ("Not in the list",)


def unlisted_rows(
    rows: Iterable[Row],
    annotations: Mapping[str, Annotation],
    metadata: Mapping[str, Mapping[str, Any]],
    additions: Mapping[str, Mapping[str, Any]],
) -> list[Row]:
    """Rows for what the library holds about keys ``rows`` lack: annotations made on another
    list or of entries since dropped from it, their arXiv cache, additions too broken to list.

    Added to the unfiltered JSON backup, so that it keeps everything the library holds (an
    ``import`` of it restores them), not only what the current list shows.
    """
    listed = set(map(_ROW_KEY, rows))
    keys = dict.fromkeys(filterfalse(listed.__contains__, chain(annotations, metadata, additions)))
    out = []
    for key in keys:
        meta = metadata.get(key)
        title = (meta or {}).get("title") or (additions.get(key) or {}).get("title") or key
        entry = Entry(key=key, title=str(title), url="", section=UNLISTED_SECTION)
        record = dict(meta) if meta else None
        out.append(Row(entry, annotations.get(key) or Annotation(key=key), record))
    return out


def backup_rows(
    rows: list[Row], library: Library, additions: Mapping[str, Mapping[str, Any]]
) -> list[Row]:
    """``rows`` and the :func:`unlisted_rows` of ``library``: what the whole JSON backup
    (and a sync file) holds. Only the annotations of unlisted keys are made (reading all
    100,000 again took a second of the backup)."""
    listed = set(map(_ROW_KEY, rows))  # (in C: a pass in Python cost 40 ms at 100,000)
    others = library.annotations(filterfalse(listed.__contains__, library.annotation_keys()))
    return rows + unlisted_rows(rows, others, library.all_metadata(), additions)


_ROW_KEY = operator.attrgetter("entry.key")


def to_json(
    rows: Iterable[Row],
    *,
    additions: Mapping[str, Mapping[str, Any]] | None = None,
    title: str = "Reading list",
    now: str | None = None,
) -> str:
    """The backup/sync format: the entries' data and everything the library holds for them.

    ``{"format": "rlhf-reader-export", "version": 1, "exported_at", "list", "entries": [...]}``
    with one item per distinct key: entry fields, ``annotation``, ``metadata`` (the arXiv
    cache) and ``addition``, each ``null`` when the library holds none.
    """
    additions = additions or {}
    stamp = now or json_stamp()
    # json_text({**head, "entries": [json_record(…) …]}), an entry at a time: each record is
    # written (orjson) and dropped, instead of one dict tree of the whole library.
    entries = [json_entry(row, additions.get(row.key)) for row in distinct(rows)]
    return json_backup_text(entries, title=title, now=stamp)


def json_stamp() -> str:
    """``exported_at``: now, UTC, to the second (``2025-03-14T09:26:53Z``)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def json_entry(row: Row, addition: Mapping[str, Any] | None) -> str:
    """One distinct row's entry of the JSON backup, as written in its array."""
    record = json_record(row, addition)
    # The entry's own fields and the annotation have JSON's types by construction; the
    # arXiv cache and an addition are free-form documents.
    same = _orjson_same(record["metadata"]) and _orjson_same(record["addition"])
    return _item_json(record, "    ", same)


def json_backup_text(entries: Sequence[str], *, title: str, now: str) -> str:
    """The JSON backup of the :func:`json_entry` texts of distinct rows, exported at
    ``now``."""
    if not entries:
        return json_text({**_json_backup_head(title, now), "entries": []})
    # (each entry _json_safe already: the escapes are of single characters)
    return json_backup_start(title, now) + ",\n".join(entries) + JSON_BACKUP_END


def _json_backup_head(title: str, now: str) -> dict[str, Any]:
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported_at": now,
        "list": {"title": title},
    }


def json_backup_start(title: str, now: str) -> str:
    """The JSON backup's text before its first entry."""
    text = json.dumps(_json_backup_head(title, now), ensure_ascii=False, indent=2)[:-2]
    return _json_safe(f'{text},\n  "entries": [\n')  # (without the head's final "\n}")


JSON_BACKUP_END = "\n  ]\n}\n"  # after its last entry


def export_frame(fmt: str, rows: int, *, title: str, now: str | None) -> tuple[str, str]:
    """What a ``fmt`` file (not Markdown) holds before and after its ``rows`` rows' texts,
    which the format's separator joins (``json_backup_text``, ``csv_text``…); with no row,
    the whole file of none and "". The export cache writes its blocks between them."""
    if fmt == "csv":
        return _csv_line(CSV_COLUMNS), ""
    if fmt == "json":
        stamp = now or json_stamp()
        if not rows:
            return json_backup_text([], title=title, now=stamp), ""
        return json_backup_start(title, stamp), JSON_BACKUP_END
    if fmt == "bibtex":
        return "", "\n" if rows else ""
    if fmt == "ris":
        return "", ""
    if fmt == "csl-json":
        return (json_text([]), "") if not rows else ("[\n", "\n]\n")
    raise ValueError(f"no frame for {fmt!r}")


# Writing -----------------------------------------------------------------------------------


PIPE_READER_WAIT = 2.0  # seconds a named pipe gets for its reader to open it


def _open_device(path: Path) -> BinaryIO:
    """Open a pipe or device for writing without waiting for ever: O_NONBLOCK makes opening
    a FIFO that no process reads fail (ENXIO) instead of blocking; that is retried for
    ``PIPE_READER_WAIT`` seconds (a reader started beside us), then given up. Writes then
    block as usual."""
    nonblock = getattr(os, "O_NONBLOCK", 0)
    flags = os.O_WRONLY | nonblock | getattr(os, "O_CLOEXEC", 0)
    give_up = time.monotonic() + PIPE_READER_WAIT
    while True:
        try:
            fd = os.open(path, flags)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() >= give_up:
                raise
            time.sleep(0.02)
    try:
        if nonblock:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


# Exports carry the reader's notes, tags and reading status: a new file gets the library's
# privacy, not the umask's usual 0644.
NEW_FILE_MODE = 0o600


def write_atomic(
    path: str | Path, text: str | export_cache.Rendered, *, mode: int | None = None
) -> Path:
    """Write ``text`` (UTF-8) to ``path``, replacing an existing file in one step (readers see
    the old or the new file, never half of one). ``ExportError`` names the path and the reason
    when it cannot be written.

    ``text`` may be the export cache's bytes of an export (``export_cache.Rendered``):
    written as they come (``export_cache.Damaged`` when the cache file is, and ``path`` is
    left as it was).

    ``mode``: the file's permission bits. None gives a new file ``NEW_FILE_MODE`` (0600, only
    its owner can read it) and keeps an existing file's mode.
    """
    path = fileio.expand_user(path)
    data = text.encode("utf-8") if isinstance(text, str) else None
    if path.is_dir():
        raise ExportError(f"{path}: is a folder, not a file")
    if path.exists() and not path.is_file():
        # A device or a pipe (/dev/stdout, a FIFO, >(gzip …)): write into it. Replacing it
        # would put a regular file where the device was (as root: over /dev/null). From the
        # cache: every byte read and checked first (a pipe keeps what it was given).
        if data is None:
            data = text.data()  # type: ignore[union-attr]
        try:
            with _open_device(path) as handle:
                handle.write(data)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # a named pipe nobody reads: open() would wait
                raise ExportError(f"{path}: a named pipe with no reader; nothing written") from None
            raise ExportError(f"{path}: cannot write: {exc.strerror or exc}") from None
        return path
    # Through a symlink to its target, so the link itself stays (as the library does).
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        problem = "is not a folder" if target.parent.exists() else "does not exist"
        raise ExportError(f"{path}: folder {target.parent} {problem}")
    if mode is None and not target.exists():
        mode = NEW_FILE_MODE
    # A file is filled as the bytes come (from a damaged cache: into the temp file only).
    fill = text.write if data is None else functools.partial(_write_data, data)  # type: ignore[union-attr]
    try:
        fileio.write_atomic_with(target, fill, mode=mode)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path


def _write_data(data: bytes, fd: int) -> None:
    fileio.write_all(fd, (data,))
