"""``pdf``: papers' PDFs on disk (``pdfs/`` beside the library), downloaded when missing.

``pdf KEY...`` downloads each missing PDF (arXiv, or a link that is a PDF file) and prints
where it is; ``--path`` prints the paths only (for scripts); ``--open`` opens them with the
system viewer. ``pdf --all [--section TEXT]`` downloads every paper of the list (or of the
sections whose path contains TEXT) that has a PDF, politely spaced. A PDF already on disk
costs no request. Exit 1 when any failed (each failure named on stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from rlhf_reader.commands.helptext import described
from rlhf_reader.textsafe import printable, say

if TYPE_CHECKING:
    from rlhf_reader.cli import Context
    from rlhf_reader.model import Entry
    from rlhf_reader.sources.pdf import Downloader, PdfResult


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pdf",
        help="download papers' PDFs (arXiv or direct PDF links) and print where they are",
        **described(
            "PDFs are kept in pdfs/ beside the library; one already there is not downloaded "
            "again. arXiv papers come from https://arxiv.org/pdf/ID, or from the template in "
            "$RLHF_READER_PDF_URL (with {id}); other entries when their link is a PDF file. "
            "--all stops asking a server after 3 failures from it in a row.",
            "rlhf-reader pdf 2305.18290 --open",
            "rlhf-reader pdf --all --section survey",
            'open "$(rlhf-reader pdf dpo --path)"',
        ),
    )
    p.add_argument("keys", nargs="*", metavar="KEY", help="a key, an arXiv id or URL, or a title")
    p.add_argument("--all", action="store_true", help="every paper of the list with a PDF")
    p.add_argument("--section", metavar="TEXT", help="with --all: sections whose path has TEXT")
    p.add_argument("--open", action="store_true", help="open each PDF with the system viewer")
    p.add_argument("--path", action="store_true", help="print only the paths, one a line")
    p.add_argument("--force", action="store_true", help="download again even when on disk")
    p.set_defaults(handler=run_pdf)


class _Progress:
    """``downloading 2/10 2305.18290: 1.2 MB`` redrawn in place on stderr, when a TTY."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.drawn = False
        self.label = ""

    def start(self, index: int, total: int, entry: Entry) -> None:
        self.label = f"downloading {index + 1}/{total} {entry.key}" if total > 1 else entry.key
        self(0, None)

    def __call__(self, done: int, total: int | None) -> None:
        if self.enabled:
            size = f"{done / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "") + " MB"
            sys.stderr.write(f"\r\x1b[K{printable(self.label)}: {size}")
            sys.stderr.flush()
            self.drawn = True

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.drawn = False


def _chosen(ctx: Context) -> list[Entry]:
    from rlhf_reader.cli import CliError
    from rlhf_reader.query import fold
    from rlhf_reader.sources.pdf import source_url

    args = ctx.args
    if args.all and args.keys:
        raise CliError("pdf: give KEYs or --all, not both", code=2)
    if not args.all and not args.keys:
        raise CliError("pdf: give one or more KEYs, or --all", code=2)
    if args.section and not args.all:
        raise CliError("pdf: --section goes with --all", code=2)
    if args.all and args.open:
        raise CliError("pdf: --open goes with KEYs, not --all", code=2)
    entries: dict[str, Entry] = {}
    if args.keys:
        for typed in args.keys:
            entry = ctx.resolve(typed)
            entries.setdefault(entry.key, entry)
        return list(entries.values())
    wanted = " ".join(fold(args.section or "").split())
    skipped = 0
    for entry in ctx.catalog.entries:
        if wanted and wanted not in fold(entry.section_path):
            continue
        if source_url(entry) is None:
            skipped += 1
            continue
        entries.setdefault(entry.key, entry)
    if not entries and not skipped:
        where = f"in sections matching {args.section!r}" if args.section else "in the list"
        raise CliError(f"pdf --all: no entries {where}")
    if skipped:
        say(f"warning: {skipped} entries have no PDF link (not arXiv, not a PDF file), skipped")
    return list(entries.values())


def run_pdf(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.sources.pdf import Cancel, PdfError, download_all, open_pdf

    entries = _chosen(ctx)
    try:
        downloader: Downloader = ctx.workspace.downloader()
    except PdfError as exc:
        raise CliError(str(exc)) from None
    progress = _Progress()
    try:
        results = download_all(
            downloader,
            entries,
            cancel=Cancel(),
            on_start=progress.start,
            progress=progress,
            force=ctx.args.force,
        )
    finally:
        progress.end()
    failed = 0
    counts = {"downloaded": 0, "on disk": 0}
    not_asked: dict[str, int] = {}  # reason -> papers not asked for it
    for entry, result in results:
        if isinstance(result, PdfError):
            failed += 1
            if str(result).startswith("not asked: "):
                not_asked[str(result)] = not_asked.get(str(result), 0) + 1
            else:
                say(f"error: {entry.key} ({entry.title}): {result}")
            continue
        counts["downloaded" if result.downloaded else "on disk"] += 1
        _report(ctx, result)
        if ctx.args.open:
            problem = open_pdf(result.path)
            if problem:
                failed += 1
                say(f"error: {problem}")
    for reason, papers in not_asked.items():
        say(f"error: {papers} more paper(s) {reason}")
    if ctx.args.all and not ctx.args.path:
        ctx.print(
            f"{counts['downloaded']} downloaded, {counts['on disk']} already on disk, "
            f"{failed} failed"
        )
    return 1 if failed else 0


def _report(ctx: Context, result: PdfResult) -> None:
    path = printable(str(result.path))
    if ctx.args.path:
        ctx.print(path)
    elif result.downloaded:
        ctx.print(f"saved {printable(result.key)}: {path} ({result.size / 1e6:.1f} MB)")
    else:
        ctx.print(f"on disk {printable(result.key)}: {path}")
