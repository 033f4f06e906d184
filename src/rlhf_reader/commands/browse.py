"""``list``, ``show``, ``check`` and ``locate``: reading the list without changing anything."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import orjson

from rlhf_reader.commands.helptext import described
from rlhf_reader.library.records import Row, records, to_record, year_of
from rlhf_reader.model import Entry, Status, first_author
from rlhf_reader.textsafe import ascii_json, encodes_everything, printable, printable_block

if TYPE_CHECKING:
    from rlhf_reader.cli import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "list",
        help="the list, grouped by section",
        **described(
            "Prints the entries of the list (and your additions) grouped by section: status "
            "(○ unread, ◐ reading, ● read), title, first author, year and key. The filters "
            "combine (AND); --search takes the language of the TUI's '/' (words, tag:x, "
            "status:read, section:survey, year:>=2023, is:new, -term).\n\n"
            "--sort prints one flat list instead, each line naming its section: year, title, "
            "status (unread, reading, read), read (date read) or added (date added); -KEY "
            "reverses (write --sort=-year, with '='). Entries without a value come last and "
            "ties keep the list's order.\n\n"
            "--json prints one array; each entry has key, title, url, arxiv_id, authors, "
            "year, section, status, tags, note, read_at, venue and added_at.",
            "rlhf-reader list --status unread --tag to-read",
            "rlhf-reader list --search 'dpo year:>=2023'",
            "rlhf-reader list --search is:new          # what the last update added",
            "rlhf-reader list --sort=-year --json",
        ),
    )
    p.add_argument("--json", action="store_true", help="one JSON array of entries")
    p.add_argument(
        "--sort",
        type=_sort_key,
        metavar="ORDER",
        help="one flat list ordered by year, title, status, read (date read) or added "
        "(date added); -KEY reverses: --sort=-year for newest first",
    )
    add_filter_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser(
        "show",
        help="everything about one entry",
        **described(
            "Prints what the list says about one entry (title, authors, year, venue, links, "
            "section), what you recorded (status and date read, tags, note), the cached arXiv "
            "metadata with the abstract, and warnings (listed twice, the link points at "
            "another paper). --json prints the fields of 'list --json' as one object.",
            "rlhf-reader show 2305.18290",
            "rlhf-reader show 'direct preference' --json",
        ),
    )
    p.add_argument("key", metavar="KEY", help="a key, an arXiv id or URL, or part of a title")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(handler=run_show)

    p = sub.add_parser(
        "check",
        help="duplicates, title mismatches and bad links in the list",
        **described(
            "Checks the list file (not your library): keys listed more than once (with line "
            "numbers and titles), links that are not http(s), and titles that differ from the "
            "arXiv title fetched into the cache ('the link points at «…»'; run 'fetch' first). "
            "Prints one line per warning and a count; the exit status is 0 either way.",
            "rlhf-reader check",
            "rlhf-reader --list my-list.md check",
        ),
    )
    p.set_defaults(handler=run_check)

    p = sub.add_parser(
        "locate",
        help="where the library and the list are",
        **described(
            "Prints the paths in use: the library file, the list (after --list, "
            "$RLHF_READER_LIST, the list saved by 'update', else the bundled one), the "
            "bundled list and the parse cache folder.",
            "rlhf-reader locate",
            "rlhf-reader --db ~/papers/library.json locate",
        ),
    )
    p.set_defaults(handler=run_locate)


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """The filters ``list`` and ``export`` share."""
    p.add_argument(
        "--status", type=str.lower, choices=[s.value for s in Status], help="only this status"
    )
    p.add_argument("--tag", metavar="TAG", help="only entries with this tag")
    p.add_argument("--section", metavar="TEXT", help="only sections whose path contains TEXT")
    p.add_argument("--search", metavar="QUERY", help="the filter language of the TUI's '/'")
    p.add_argument(
        "--all-lists",
        action="store_true",
        help="every registered list (see 'lists'), each paper once, sections under list names",
    )


def source_rows(ctx: Context) -> list[Row]:
    """The rows a command works on: the list in use, or with ``--all-lists`` every registered
    list, each paper once (where it is first listed)."""
    if not getattr(ctx.args, "all_lists", False):
        return ctx.rows()
    seen: dict[str, Entry] = {}
    for entry in ctx.workspace.all_lists_catalog().entries:
        seen.setdefault(entry.key, entry)
    return ctx.workspace.rows(seen.values())


def filtered_rows(ctx: Context) -> list[Row]:
    from rlhf_reader.cli import CliError
    from rlhf_reader.lists.views import keys_by_list
    from rlhf_reader.query import QueryError, parse, select

    args = ctx.args
    if not (args.status or args.tag or args.section or args.search):
        return source_rows(ctx)  # no filter: every row (a pass of 100,000 no-op matches)
    # The same "new" marks as the TUI's /is:new: the keys the last update added, not yet seen.
    new = ctx.workspace.new_keys() if args.search else {}
    try:
        named = parse(args.search).list_names if args.search else frozenset()
        return select(
            source_rows(ctx),
            status=args.status,
            tag=args.tag,
            section=args.section,
            search=args.search,
            new_keys=new,
            queued_keys=ctx.workspace.queued_keys() if args.search else frozenset(),
            pdf_keys=ctx.workspace.pdf_keys() if args.search else frozenset(),
            list_keys=keys_by_list(ctx.workspace) if named else None,  # read when asked for
        )
    except QueryError as exc:
        raise CliError(f"--search: {exc}", code=2) from None


# json.dumps escapes C0 controls but not DEL, the C1 range (U+009B is CSI) or the bidi
# overrides; in JSON strings they may be written as \uXXXX, so nothing raw reaches a terminal.
_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(value: Any) -> str:
    """``value`` as indented JSON, UTF-8 kept readable, every control character escaped."""
    try:  # orjson writes the same text as json.dumps(indent=2) ~20x faster (100k entries)
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    except (TypeError, ValueError):  # a lone surrogate, an int beyond 64 bits…: as before
        text = json.dumps(value, ensure_ascii=False, indent=2)
    if not encodes_everything(sys.stdout):  # an ASCII stdout: escaped, still the same data
        return ascii_json(text)
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(ctx: Context, value: Any) -> None:
    """``ctx.print(json_text(value))``, the same bytes; JSON that is all ASCII without DEL
    (nothing to escape) goes to a UTF-8 or ASCII stdout as orjson wrote it, without being
    decoded, searched for characters to escape and encoded again (``list --json`` of
    100,000 entries writes 60 MB)."""
    try:
        data = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except (TypeError, ValueError):
        data = None
    buffer = _byte_stream(ctx.out)
    if data is None or buffer is None or not data.isascii() or b"\x7f" in data:
        ctx.print(json_text(value))
        return
    ctx.out.flush()  # what was printed before comes first
    buffer.write(data)
    buffer.write(b"\n")


def _byte_stream(out: Any) -> Any:
    """The binary stream under a text stdout that writes ASCII as itself, else None."""
    import codecs

    buffer = getattr(out, "buffer", None)
    try:
        name = codecs.lookup(out.encoding).name
    except (AttributeError, LookupError, TypeError):
        return None
    return buffer if buffer is not None and name in ("utf-8", "ascii") else None


def _sort_key(text: str) -> str:
    from rlhf_reader.sorting import SortError, parse_sort

    try:
        parse_sort(text)
    except SortError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip().lower()


class _Listed(list):  # type: ignore[type-arg]
    """``list`` without a filter, an order or --json: the catalog's entries, to be printed
    from each key's status and arXiv record — what the lines show of a row — without a
    ``Row`` and an ``Annotation`` per entry (0.3 s of ``list`` at 100,000 entries)."""


def _plain_list(ctx: Context) -> bool:
    args = ctx.args
    filtered = args.status or args.tag or args.section or args.search or args.all_lists
    return not (filtered or args.sort or args.json)


def run_list(ctx: Context) -> int:
    if _plain_list(ctx):  # every entry, in list order: lines from the statuses
        from rlhf_reader.sorting import added_dates

        entries = _Listed(ctx.keep(ctx.catalog.entries))
        added_dates(ctx.workspace.new_keys(), ctx.library.additions())  # read as before
        if not entries:
            ctx.print("no entries match")
            return 0
        _print_listed(ctx, entries)
        return 0
    if ctx.args.all_lists:
        return list_rows(ctx)
    return _list_entries(ctx)


def list_rows(ctx: Context) -> int:
    """``list`` made from a row per entry (``filtered_rows``): ``--all-lists``, and what
    the listing from the tables (:func:`_list_entries`) is tested against."""
    from rlhf_reader.sorting import added_dates, sort_rows

    selected = filtered_rows(ctx)
    added = added_dates(ctx.workspace.new_keys(), ctx.library.additions())
    if ctx.args.sort:
        selected = sort_rows(selected, ctx.args.sort, added=added)
    if ctx.args.json:
        where = ctx.workspace.lists_of() if ctx.args.all_lists else None
        print_records(ctx, selected, added, where)
        return 0
    if not selected:
        ctx.print("no entries match")
        return 0
    _print_rows(ctx, selected)
    return 0


def _print_rows(ctx: Context, selected: list[Row]) -> None:
    for start in range(0, len(selected), _CHUNK):
        chunk = selected[start : start + _CHUNK]
        if ctx.args.sort:  # sorted across sections: one flat list, each line naming its section
            lines = [line_for(row) + printable(f"  ({row.entry.section_path})") for row in chunk]
        else:
            lines = _grouped_lines(chunk, selected[start - 1].entry.section if start else None)
        ctx.out.write("\n".join(lines) + "\n")  # what a print() per line writes


def _list_entries(ctx: Context) -> int:
    """``list`` with filters, an order or --json, made from the catalog's entries and the
    library's tables (``records.Tables``): the filters that read a status, tags, a
    section, a year or a key are answered from the statuses and the stored documents, the
    words and phrases over the entries' text folded in bulk (``query.select_text_terms``: a
    row is made only for an entry it cannot judge). Prints what :func:`list_rows` prints."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.records import Tables
    from rlhf_reader.lists.views import keys_by_list
    from rlhf_reader.query import (
        ItemFacts,
        Marks,
        QueryError,
        abstract_text,
        check_lists,
        filter_terms,
        is_text_term,
        keep_structured,
        parse,
        select_text_terms,
    )
    from rlhf_reader.sorting import added_dates

    args = ctx.args
    workspace = ctx.workspace
    # What filtered_rows reads, in its order (the first error wins alike).
    new = workspace.new_keys() if args.search else {}
    try:
        named = parse(args.search).list_names if args.search else frozenset()
        library = ctx.library
        tables = ctx.keep(Tables(library))
        entries: list[Entry] = ctx.keep(ctx.catalog.entries)
        marks = Marks(
            new,
            workspace.queued_keys() if args.search else frozenset(),
            workspace.pdf_keys() if args.search else frozenset(),
            keys_by_list(workspace) if named else None,
        )
        terms = filter_terms(
            status=args.status, tag=args.tag, section=args.section, search=args.search
        )
        check_lists(terms, marks.lists)
    except QueryError as exc:
        raise CliError(f"--search: {exc}", code=2) from None
    facts = ItemFacts(
        key=_KEY,
        status=lambda entry: tables.status(entry.key),
        tags=lambda entry: tables.tags(entry.key),
        section=_SECTION,
        year=tables.year,
        new=lambda entry, new_keys: entry.key in new_keys,  # an Entry has no "new" flag
    )
    entries = keep_structured(entries, terms, marks, facts)
    words = [term for term in terms if is_text_term(term)]
    added = added_dates(workspace.new_keys(), library.additions())
    if words and entries:
        kept = select_text_terms(
            len(entries),
            words,
            marks,
            main_texts=lambda: tables.search_texts(entries),
            abstract_texts=lambda: [abstract_text(tables.metadata.get(e.key)) for e in entries],
            row=lambda i: tables.row(entries[i]),
        )
        entries = [entries[i] for i in kept]
    if args.sort:
        entries = _sorted_entries(entries, args.sort, tables, added)
    if args.json:
        _print_entry_records(ctx, entries, tables, added)
        return 0
    if not entries:
        ctx.print("no entries match")
        return 0
    _print_entries(ctx, entries, tables, flat=bool(args.sort))
    return 0


_SECTION = attrgetter("section")


def _sorted_entries(
    entries: list[Entry], spec: str, tables: Any, added: dict[str, str]
) -> list[Entry]:
    """``sort_rows`` of the entries' rows, as entries."""
    from rlhf_reader.sorting import entry_values, ordered, parse_sort

    key, reverse = parse_sort(spec)
    values = entry_values(
        key,
        entries,
        status=tables.status,
        read_at=tables.read_at,
        year=tables.year,
        added=added,
    )
    return [entries[i] for i in ordered(values, reverse)]


def _print_entries(ctx: Context, entries: list[Entry], tables: Any, *, flat: bool) -> None:
    """The lines :func:`_print_rows` prints for the entries' rows, from the tables."""
    _print_lines(ctx, entries, tables.statuses, tables.metadata, flat=flat)


def _print_lines(
    ctx: Context,
    entries: list[Entry],
    statuses: dict[str, Status],
    metadata: Mapping[str, Mapping[str, Any]],
    *,
    flat: bool,
) -> None:
    """The lines of ``list`` for ``entries``, each made as for its row (:func:`line_of` of
    the entry, its key's status and arXiv record, as ``Workspace.rows`` joins them): grouped
    under their sections, or ``flat`` (sorted), each line naming its section. Written a
    chunk at a time."""
    status_of, record_of = statuses.get, metadata.get
    unread = Status.UNREAD
    where: dict[tuple[str, ...], str] = {}  # a section's "  (path)", made once
    for start in range(0, len(entries), _CHUNK):
        chunk = entries[start : start + _CHUNK]
        if flat:  # sorted across sections: one flat list, each line naming its section
            lines = []
            for entry in chunk:
                key, section = entry.key, entry.section
                named = where.get(section)
                if named is None:
                    named = where[section] = printable(f"  ({entry.section_path})")
                lines.append(line_of(entry, status_of(key, unread), record_of(key)) + named)
        else:
            lines = []
            current = entries[start - 1].section if start else None
            for entry in chunk:
                section = entry.section
                if section != current:
                    if current is not None:
                        lines.append("")
                    current = section
                    lines.append(printable(entry.section_path))
                key = entry.key
                lines.append("  " + line_of(entry, status_of(key, unread), record_of(key)))
        ctx.out.write("\n".join(lines) + "\n")  # what a print() per line writes


def _print_entry_records(
    ctx: Context, entries: list[Entry], tables: Any, added: dict[str, str]
) -> None:
    """What ``print_records`` prints for the entries' rows, the records made from the
    tables (``Tables.records``)."""
    if not entries:
        print_json(ctx, [])
        return
    _write_records(
        ctx,
        (tables.records(entries[s : s + _CHUNK], added) for s in range(0, len(entries), _CHUNK)),
    )


# Rows written at a time by ``list``: their records or lines are made, written and let go
# (at 100,000 entries, all of them at once were 64 MB of records and 66 MB of JSON text).
_CHUNK = 2000


def _grouped_lines(rows: list[Row], current: tuple[str, ...] | None) -> list[str]:
    """The lines of ``list`` for ``rows``: each row's line, and a section's path (after a
    blank line, unless first) where the section changes from ``current``."""
    lines = []
    for row in rows:
        section = row.entry.section
        if section != current:
            if current is not None:
                lines.append("")
            current = section
            lines.append(printable(row.entry.section_path))
        lines.append("  " + line_for(row))
    return lines


def _print_listed(ctx: Context, entries: list[Entry]) -> None:
    """The lines of ``list`` for every entry of the catalog (:func:`_print_lines`)."""
    library = ctx.library
    statuses = ctx.keep(library.statuses())
    metadata = ctx.keep(library.documents("metadata"))  # only read: not copied
    _print_lines(ctx, entries, statuses, metadata, flat=False)


_GLYPH = {status.value: status.glyph for status in Status}


def line_for(row: Row) -> str:
    """``○ Title — First Author et al., 2024  [key]``, made safe to print."""
    return line_of(row.entry, row.annotation.status, row.metadata, row)


def line_of(
    entry: Entry, status: Status, metadata: Mapping[str, Any] | None, row: Row | None = None
) -> str:
    """The line of an entry with this status and arXiv record (``line_for`` of its row)."""
    if metadata:  # Row.authors and Row.year, without a Row, and only the first name
        fetched = metadata.get("authors")
        first, more = (
            (str(fetched[0]), len(fetched) > 1) if fetched else first_author(entry.authors)
        )
        year = year_of(entry, metadata)
    else:  # Row.authors and Row.year without an arXiv record, and only the first name
        first, more = first_author(entry.authors)
        year = entry.year
    byline = first + " et al." if more else first
    if year:
        byline = f"{byline}, {year}" if byline else str(year)
    text = f"{_GLYPH[status._value_]} {entry.title}"
    if byline:
        text += f" — {byline}"
    return printable(f"{text}  [{entry.key}]")


def print_records(
    ctx: Context, rows: list[Row], added: dict[str, str], lists: dict[str, list[str]] | None
) -> None:
    """``print_json`` of the rows' records (``to_record``; with ``lists``, each record's
    ``lists``: the lists its key is in) — the same bytes, made and written a chunk of rows at
    a time (:func:`_write_records`)."""
    if not rows:
        print_json(ctx, [])
        return

    def chunks() -> Iterator[list[dict[str, Any]]]:
        for start in range(0, len(rows), _CHUNK):
            chunk = records(rows[start : start + _CHUNK], added)
            if lists is not None:
                for record in chunk:
                    record["lists"] = lists.get(record["key"], [])
            yield chunk

    _write_records(ctx, chunks())


def _write_records(ctx: Context, chunks: Iterable[list[dict[str, Any]]]) -> None:
    """``print_json`` of all the chunks' records as one array, the same bytes: ``[`` and
    ``]`` around the chunks' items, which orjson indents alike at any length. A chunk with
    something to escape is written as ``json_text`` writes it."""
    buffer = _byte_stream(ctx.out)
    ctx.out.write("[\n")
    for number, chunk in enumerate(chunks):
        if number:
            ctx.out.write(",\n")
        try:
            data = orjson.dumps(chunk, option=orjson.OPT_INDENT_2)
        except (TypeError, ValueError):
            data = None
        if data is None or buffer is None or not data.isascii() or b"\x7f" in data:
            ctx.out.write(json_text(chunk)[2:-2])  # the items, without "[\n" and "\n]"
            continue
        ctx.out.flush()
        buffer.write(memoryview(data)[2:-2])
    ctx.out.write("\n]\n")


def run_show(ctx: Context) -> int:
    entry = ctx.resolve(ctx.args.key)
    # The key's listings, in the catalog's order: the first is the entry shown (the row
    # ``list`` prints for it), the others are the "listed N times" warning.
    listings = [e for e in ctx.catalog.entries if e.key == entry.key]
    row = ctx.workspace.row(listings[0])
    from rlhf_reader.sorting import added_dates

    added = added_dates(ctx.workspace.new_keys(), ctx.library.additions())
    record = to_record(row, added.get(row.key))
    also = ctx.workspace.also_in(entry.key)
    pdf = ctx.workspace.pdf_path(entry.key)
    record["pdf"] = str(pdf) if pdf is not None else None
    if ctx.args.json:
        record["also_in"] = [{"list": name, "section": list(path)} for name, path in also]
        ctx.print(json_text(record))
        return 0
    ann = row.annotation
    fields = [
        ("title", entry.title),
        ("authors", ", ".join(row.authors)),
        ("year", str(row.year or "")),
        ("venue", entry.venue),
        ("source", entry.source or ""),
        ("section", entry.section_path),
        *(("also in", " › ".join((name, *path))) for name, path in also),
        ("url", entry.url),
        ("key", entry.key),
        ("arxiv", entry.arxiv_id or ""),
        ("status", ann.status.value + (f" (read {ann.read_at})" if ann.read_at else "")),
        ("tags", " ".join(ann.tags)),
        ("pdf", str(pdf) if pdf is not None else ""),
    ]
    fields.extend(("link", f"{link.text}: {link.url}") for link in entry.links)
    fields.extend(_metadata_fields(row.metadata or {}))
    for name, value in fields:
        if value:
            ctx.print(f"{name:>10}  {printable(value)}")
    for warning in _warnings(row, listings):
        ctx.print(f"{'warning':>10}  {printable(warning)}")
    abstract = (row.metadata or {}).get("abstract")
    if abstract:
        ctx.print()
        ctx.print(printable_block(" ".join(str(abstract).split())))
    if ann.note:
        ctx.print()
        ctx.print(printable_block(ann.note))
    return 0


def _metadata_fields(meta: dict) -> list[tuple[str, str]]:
    """What arXiv told us, once fetched: dates, categories, DOI, journal ref, comment."""
    if not meta:
        return []
    categories = meta.get("categories") or []
    return [
        ("arxiv title", str(meta.get("title") or "")),
        ("published", str(meta.get("published") or "")[:10]),
        ("updated", str(meta.get("updated") or "")[:10]),
        ("categories", " ".join(str(c) for c in categories)),
        ("doi", str(meta.get("doi") or "")),
        ("journal", str(meta.get("journal_ref") or "")),
        ("comment", str(meta.get("comment") or "")),
        ("fetched", str(meta.get("fetched_at") or "")),
    ]


def _warnings(row: Row, dups: list[Entry]) -> list[str]:
    from rlhf_reader.sources.arxiv_meta import title_mismatch

    warnings = []
    if len(dups) > 1:
        lines = ", ".join(str(e.line) for e in dups)
        warnings.append(f"listed {len(dups)} times (lines {lines})")
    fetched = title_mismatch(row.entry, row.metadata)
    if fetched:
        warnings.append(f"the link points at «{fetched}»")
    return warnings


def run_check(ctx: Context) -> int:
    ctx.workspace.list_name  # noqa: B018  (the library first: a bad one is an error before any line)
    catalog = ctx.list_catalog
    listed = catalog.entries  # once: each pass over the tree was 0.1 s at 100,000 entries
    problems = 0
    for key, entries in _duplicates(listed).items():
        problems += 1
        titles = {e.title for e in entries}
        how = "under different titles" if len(titles) > 1 else "with the same title"
        ctx.print(printable(f"duplicate: {key} is listed {len(entries)} times, {how}:"))
        for entry in entries:
            ctx.print(printable(f"  line {entry.line}: {entry.title} ({entry.section_path})"))
    for entry in listed:
        if not entry.url.lower().startswith(("http://", "https://")):
            problems += 1
            ctx.print(printable(f"bad link: line {entry.line}: {entry.title}: {entry.url}"))
    from rlhf_reader.sources.arxiv_meta import title_mismatch

    cache = ctx.library.all_metadata() if ctx.db_path.exists() else {}
    # title_mismatches(catalog, cache), judging only the entries with a record (the others
    # are never judged): nothing to do for 100,000 entries and an empty cache.
    judged = (e for e in listed if e.key in cache) if cache else ()
    for entry in judged:
        fetched = title_mismatch(entry, cache[entry.key])
        if fetched is None:
            continue
        problems += 1
        where = f"line {entry.line}: «{entry.title}»"
        ctx.print(printable(f"title mismatch: {where}: the link points at «{fetched}»"))
    for note in catalog.skipped:
        problems += 1
        ctx.print(printable(f"skipped: {note}"))
    for line, text in catalog.unread:
        problems += 1
        ctx.print(
            printable(f"not read: line {line} looks like a paper but is not an entry: {text}")
        )
    ctx.print(f"{len(listed)} entries checked, {problems} warning(s)")
    return 0


def _duplicates(entries: list[Entry]) -> dict[str, list[Entry]]:
    """``Catalog.duplicates()`` of these entries: the keys listed more than once, in the
    order of their first listing, each with its entries. The keys are counted in C first;
    only the repeated ones are gathered (the list of every key's entries was 0.2 s)."""
    counted = Counter(map(_KEY, entries))
    repeated = {key for key, n in counted.items() if n > 1}
    found: dict[str, list[Entry]] = {}
    if repeated:
        for entry in entries:
            if entry.key in repeated:
                found.setdefault(entry.key, []).append(entry)
    return found


_KEY = attrgetter("key")


def run_locate(ctx: Context) -> int:
    from rlhf_reader.lists import catalog_cache
    from rlhf_reader.lists.registry import bundled_list_path

    ctx.print(f"library  {printable(str(ctx.db_path))}")
    ctx.print(f"list     {printable(str(ctx.list_path))}")
    ctx.print(f"bundled  {printable(str(bundled_list_path()))}")
    ctx.print(f"cache    {printable(str(catalog_cache.cache_dir()))}")
    return 0
