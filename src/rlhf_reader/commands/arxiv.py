"""``fetch`` and ``add``: arXiv metadata into the cache, and papers of the reader's own.

``fetch`` exits 1 only when something failed (HTTP error, timeout, no connection, malformed
answer); an id arXiv does not know is reported as "not found on arXiv" and is a warning
(exit 0): asking again would not help, and ``check`` is where a list's errors are shown.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rlhf_reader.commands.helptext import described
from rlhf_reader.textsafe import printable, say

if TYPE_CHECKING:
    from rlhf_reader.cli import Context
    from rlhf_reader.model import Entry
    from rlhf_reader.sources.arxiv_meta import FetchReport


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fetch",
        help="fetch arXiv metadata (abstracts, authors…) into the cache",
        **described(
            "Asks arXiv for the metadata of the given entries (default: every arXiv entry not "
            "cached yet; --force asks again): title, authors, abstract, dates, categories, "
            "DOI, journal ref. At most 100 ids per request, 3 s between requests, with "
            "progress on stderr. Everything else works offline from the cache. Exit status "
            "1 only when a request failed; an id arXiv does not know is a warning.",
            "rlhf-reader fetch",
            "rlhf-reader fetch 2305.18290 --force",
        ),
    )
    p.add_argument(
        "keys", nargs="*", metavar="KEY", help="entries to fetch (default: every arXiv entry)"
    )
    p.add_argument("--force", action="store_true", help="fetch again even when cached")
    p.set_defaults(handler=run_fetch)

    p = sub.add_parser(
        "add",
        help='add a paper of your own ("My additions")',
        **described(
            "Adds a paper to 'My additions', where it works like any entry of the list. An "
            "arXiv id or URL fetches its metadata (unless cached). A DOI, an OpenReview link "
            "or an ACL Anthology link, or --title with an optional --url, works offline: the "
            "paper is added with what you give (an ACL Anthology id also gives the year and "
            "venue). A paper the list already has is only tagged.",
            "rlhf-reader add 2305.18290",
            "rlhf-reader add https://arxiv.org/abs/2402.01306v2 --tag kto --tag to-read",
            "rlhf-reader add 10.18653/v1/2023.acl-long.1",
            'rlhf-reader add --title "My lab\'s RLHF notes" --url https://example.org/notes',
        ),
    )
    p.add_argument(
        "paper",
        nargs="?",
        metavar="PAPER",
        help="an arXiv id or URL, a DOI (10.1234/abc or a doi.org link), or an OpenReview or "
        "ACL Anthology link",
    )
    p.add_argument("--title", metavar="TEXT", help="the title (needed when there is no PAPER)")
    p.add_argument("--url", metavar="URL", help="with --title and no PAPER: its link")
    p.add_argument("--year", type=int, metavar="YYYY", help="the year (offline additions)")
    p.add_argument("--tag", action="append", default=[], metavar="TAG", help="tag it (repeatable)")
    p.set_defaults(handler=run_add)


class _ProgressLine:
    """``fetching arXiv metadata: 40/85`` redrawn in place on stderr, when it is a TTY."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            sys.stderr.write(f"\rfetching arXiv metadata: {done}/{total} ids")
            sys.stderr.flush()
            self.drawn = True

    def start(self, total: int) -> None:
        self(0, total)

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _entries_to_fetch(ctx: Context) -> list[Entry]:
    if not ctx.args.keys:
        return [entry for entry in ctx.catalog.entries if entry.arxiv_id]
    chosen: list[Entry] = []
    for typed in ctx.args.keys:
        entry = ctx.resolve(typed)
        if entry.arxiv_id:
            chosen.append(entry)
        else:
            say(f"{entry.key}: not an arXiv paper, skipped")
    return chosen


def run_fetch(ctx: Context) -> int:
    from rlhf_reader.sources.arxiv_meta import FetchReport, fetch_metadata, plan_fetch

    entries = _entries_to_fetch(ctx)
    library = ctx.library
    titles: dict[str, str] = {}
    for entry in entries:
        titles.setdefault(str(entry.arxiv_id), entry.title)
    to_fetch, cached = plan_fetch(titles, library.metadata_keys(), force=ctx.args.force)
    report = FetchReport(cached=cached)
    if to_fetch:
        progress = _ProgressLine()
        progress.start(len(to_fetch))
        try:
            report = fetch_metadata(to_fetch, progress=progress, on_records=library.put_metadata)
        finally:
            progress.end()
        report.cached = cached
    _print_problems(report, titles)
    ctx.print(report.summary())
    return 0 if report.ok else 1


def _print_problems(report: FetchReport, titles: dict[str, str]) -> None:
    def named(arxiv_id: str) -> str:
        title = titles.get(arxiv_id)
        return f"{arxiv_id} ({title})" if title else arxiv_id

    for message in report.messages:
        say(message)
    for arxiv_id in report.not_found:
        say(f"warning: {named(arxiv_id)}: not found on arXiv")
    by_reason: dict[str, list[str]] = {}
    for arxiv_id, reason in report.failed.items():
        by_reason.setdefault(reason, []).append(arxiv_id)
    for reason, ids in by_reason.items():
        if len(ids) == 1:
            say(f"error: {named(ids[0])}: {reason}")
        else:
            more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
            say(f"error: {len(ids)} ids ({', '.join(ids[:3])}{more}): {reason}")


def run_add(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.keys import parse_arxiv_id
    from rlhf_reader.tags import TagEdit

    args = ctx.args
    try:
        tags = TagEdit.of(add=args.tag).add
    except ValueError as exc:
        raise CliError(str(exc), code=2) from None
    if args.paper is not None and parse_arxiv_id(args.paper) is not None:
        if args.title or args.url:
            raise CliError("--title/--url: not with an arXiv id (arXiv gives them)", code=2)
        return _add_arxiv(ctx, args.paper, tags)
    return _add_offline(ctx, tags)


def _add_offline(ctx: Context, tags: tuple[str, ...]) -> int:
    """A DOI, an OpenReview / ACL Anthology link, or --title [--url]: no network."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.additions import already_there
    from rlhf_reader.library.store import now_iso
    from rlhf_reader.sources.paperlinks import EXAMPLES, PaperLinkError, from_title, parse_link
    from rlhf_reader.tags import TagEdit

    args = ctx.args
    try:
        if args.paper is not None:
            if args.url:
                raise PaperLinkError("--url: only with --title and no PAPER")
            link = parse_link(args.paper)
            if link is None:
                raise PaperLinkError(f"{args.paper.strip()!r} is not {EXAMPLES}")
        elif args.title is not None:
            link = from_title(args.title, args.url or "")
        else:
            raise PaperLinkError(f"nothing to add: give {EXAMPLES}")
    except PaperLinkError as exc:
        raise CliError(str(exc), code=2) from None
    library = ctx.library
    where = already_there(link.key, ctx.list_catalog, library.additions())
    if where is not None:
        if tags:
            library.change_tags([link.key], TagEdit(add=tags))
        done = "tagged it" if tags else "nothing to add"
        ctx.print(printable(f"{link.key} is already {where}; {done}"))
        return 0
    record = link.record(args.title or "", now_iso(), args.year)
    with library.exclusive():
        library.put_metadata(
            {
                link.key: {
                    "key": link.key,
                    "title": record["title"],
                    "doi": link.doi or None,
                    "journal_ref": link.venue or None,
                    "published": str(record["year"]) if record["year"] else None,
                    "source": "add",
                }
            }
        )
        library.put_addition(record)
        if tags:
            library.change_tags([link.key], TagEdit(add=tags))
    ctx.print(printable(f"added {link.key}: {record['title']} (My additions)"))
    return 0


def _add_arxiv(ctx: Context, paper: str, tags: tuple[str, ...]) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.additions import AddError, already_there, parse_paper, store_addition
    from rlhf_reader.library.store import now_iso
    from rlhf_reader.tags import TagEdit

    try:
        arxiv_id = parse_paper(paper)
    except AddError as exc:
        raise CliError(str(exc), code=2) from None

    library = ctx.library
    where = already_there(arxiv_id, ctx.list_catalog, library.additions())
    if where is not None:
        if tags:
            library.change_tags([arxiv_id], TagEdit(add=tags))
        done = "tagged it" if tags else "nothing to add"
        ctx.print(printable(f"{arxiv_id} is already {where}; {done}"))
        return 0
    metadata = library.metadata(arxiv_id) or _fetch_one(arxiv_id)
    record = store_addition(library, metadata, now_iso(), tags)
    ctx.print(printable(f"added {arxiv_id}: {record['title']} (My additions)"))
    return 0


def _fetch_one(arxiv_id: str) -> dict[str, Any]:
    from rlhf_reader.cli import CliError
    from rlhf_reader.sources.arxiv_meta import fetch_metadata

    report = fetch_metadata([arxiv_id])
    for message in report.messages:
        say(message)
    if arxiv_id in report.records:
        return report.records[arxiv_id]
    if arxiv_id in report.failed:
        raise CliError(f"{arxiv_id}: {report.failed[arxiv_id]}; nothing added")
    raise CliError(f"{arxiv_id}: not found on arXiv; nothing added")
