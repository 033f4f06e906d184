"""``queue`` and ``next``: the reading queue, in the reader's order.

``queue [list] [--json]`` shows it (position, status, title, key, a PDF mark ``⤓``);
``queue add KEY...`` appends at the bottom, ``queue remove KEY...`` takes off,
``queue move KEY POS|up|down|top|bottom`` reorders (1 is the top). Every change is made to the
queue as it is in the library file at that moment, under its lock. Marking a paper read
takes it off the queue (``mark``, the TUI, any front end).

``next [--open]`` prints the first queued paper not yet read (unread or reading); with
``--open`` it opens its PDF, downloading it first. Exit 1 when nothing is queued to read.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rlhf_reader.commands.helptext import described
from rlhf_reader.textsafe import printable

if TYPE_CHECKING:
    from rlhf_reader.cli import Context
    from rlhf_reader.model import Entry

KEY_HELP = "a key, an arXiv id or URL, or a unique part of a title"
PDF_MARK = "⤓"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "queue",
        help="the reading queue: list, add, remove, move",
        **described(
            "Your reading queue, in your order. With no action, lists it. Marking a paper "
            "read takes it off; 'next' prints the first one not yet read.",
            "rlhf-reader queue add 2305.18290 2304.05302",
            "rlhf-reader queue move 2304.05302 top",
            "rlhf-reader queue",
        ),
    )
    p.set_defaults(handler=run_list, json=False)
    actions = p.add_subparsers(dest="queue_action", metavar="ACTION", parser_class=type(p))

    a = actions.add_parser("list", help="the queue, top first")
    a.add_argument("--json", action="store_true", help="one JSON array")
    a.set_defaults(handler=run_list)

    a = actions.add_parser("add", help="append papers at the bottom")
    a.add_argument("keys", nargs="+", metavar="KEY", help=KEY_HELP)
    a.set_defaults(handler=run_add)

    a = actions.add_parser("remove", help="take papers off the queue")
    a.add_argument("keys", nargs="+", metavar="KEY", help=KEY_HELP)
    a.set_defaults(handler=run_remove)

    a = actions.add_parser("move", help="move a paper to POS (1 is the top) or up/down/top/bottom")
    a.add_argument("key", metavar="KEY", help=KEY_HELP)
    a.add_argument("position", metavar="POS", help="a number from 1, up, down, top or bottom")
    a.set_defaults(handler=run_move)

    p = sub.add_parser(
        "next",
        help="the first paper of the queue not yet read",
        **described(
            "Prints the first paper of the queue that is not read yet (unread or reading); "
            "with --open, opens its PDF, downloading it first.",
            "rlhf-reader next",
            "rlhf-reader next --open",
        ),
    )
    p.add_argument("--open", action="store_true", help="open its PDF (downloading it first)")
    p.set_defaults(handler=run_next)


def _resolve_queued(ctx: Context, typed: str, queue: list[str]) -> str:
    """A typed key: resolved against the catalog, or a queued key as typed (a paper no
    longer listed can still be taken off)."""
    if typed in queue:
        return typed
    return ctx.resolve(typed).key


def _entries(ctx: Context) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for entry in ctx.catalog.entries:
        found.setdefault(entry.key, entry)
    return found


def _print_queue(ctx: Context, queue: list[str]) -> None:
    if not queue:
        ctx.print("the queue is empty (add papers with 'rlhf-reader queue add KEY')")
        return
    entries = _entries(ctx)
    annotations = ctx.library.annotations()
    with_pdf = ctx.workspace.pdf_keys(queue)
    width = len(str(len(queue)))
    for position, key in enumerate(queue, 1):
        entry = entries.get(key)
        ann = annotations.get(key)
        glyph = ann.status.glyph if ann else "○"
        title = entry.title if entry else "(no longer in the list)"
        mark = f" {PDF_MARK}" if key in with_pdf else ""
        ctx.print(printable(f"{position:>{width}}. {glyph} {title}  [{key}]{mark}"))


def run_list(ctx: Context) -> int:
    queue = ctx.workspace.queue()
    if getattr(ctx.args, "json", False):
        from rlhf_reader.commands.browse import json_text

        entries = _entries(ctx)
        annotations = ctx.library.annotations()
        with_pdf = ctx.workspace.pdf_keys(queue)
        pdf_folder = ctx.workspace.pdf_folder
        from rlhf_reader.sources.pdffiles import pdf_filename

        records = []
        for position, key in enumerate(queue, 1):
            entry = entries.get(key)
            ann = annotations.get(key)
            records.append(
                {
                    "position": position,
                    "key": key,
                    "title": entry.title if entry else None,
                    "status": ann.status.value if ann else "unread",
                    "pdf": str(pdf_folder / pdf_filename(key)) if key in with_pdf else None,
                }
            )
        ctx.print(json_text(records))
        return 0
    _print_queue(ctx, queue)
    return 0


def run_add(ctx: Context) -> int:
    keys = list(dict.fromkeys(ctx.resolve(typed).key for typed in ctx.args.keys))
    before = set(ctx.workspace.queue())
    queue = ctx.workspace.queue_add(keys)
    for key in keys:
        where = queue.index(key) + 1
        what = "already queued" if key in before else "queued"
        ctx.print(printable(f"{what} at {where}: {key}"))
    return 0


def run_remove(ctx: Context) -> int:
    queue = ctx.workspace.queue()
    keys = list(dict.fromkeys(_resolve_queued(ctx, typed, queue) for typed in ctx.args.keys))
    ctx.workspace.queue_remove(keys)
    for key in keys:
        ctx.print(printable(f"{'removed' if key in queue else 'not queued'}: {key}"))
    return 0


def run_move(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.queue import QueueError, parse_position

    try:
        where = parse_position(ctx.args.position)
    except QueueError as exc:
        raise CliError(str(exc), code=2) from None
    key = _resolve_queued(ctx, ctx.args.key, ctx.workspace.queue())
    try:
        queue = ctx.workspace.queue_move(key, where)
    except QueueError as exc:
        raise CliError(f"{exc} (add it with 'rlhf-reader queue add')") from None
    ctx.print(printable(f"moved to {queue.index(key) + 1} of {len(queue)}: {key}"))
    return 0


def run_next(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.commands.browse import line_for

    entry = ctx.workspace.next_to_read()
    if entry is None:
        raise CliError("nothing in the queue to read (add papers with 'rlhf-reader queue add KEY')")
    row = next(r for r in ctx.workspace.rows([entry]))
    ctx.print(line_for(row))
    path = ctx.workspace.pdf_path(entry.key)
    if ctx.args.open:
        from rlhf_reader.sources.pdf import Cancel, PdfError, open_pdf

        try:
            path = ctx.workspace.downloader().download(entry, cancel=Cancel()).path
        except PdfError as exc:
            raise CliError(str(exc)) from None
        problem = open_pdf(path)
        if problem:
            raise CliError(problem)
    if path is not None:
        ctx.print(f"pdf  {printable(str(path))}")
    return 0
