"""``update`` (fetch a newer list and show what changed) and ``seen`` (clear "new" marks)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rlhf_reader.commands.helptext import described
from rlhf_reader.lists import listsource, listupdate, whatsnew
from rlhf_reader.textsafe import printable

if TYPE_CHECKING:
    from rlhf_reader.cli import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "update",
        help="fetch the newest version of the list and show what changed",
        **described(
            "Fetches the list (default: from where it came, else upstream's README; an https "
            "URL or a local file with --from, at most 5 MB), prints what was added, removed "
            "and changed, and saves it beside the library. Your annotations are kept by key; "
            "added entries are marked new (is:new, 'seen' clears the mark); annotated entries "
            'the list dropped stay under "No longer in the list". --reset goes back to the '
            "bundled list.",
            "rlhf-reader update --dry-run",
            "rlhf-reader update --from https://example.org/awesome-rlhf/README.md",
            "rlhf-reader update --reset",
        ),
    )
    p.add_argument(
        "--from",
        dest="origin",
        metavar="URL_OR_PATH",
        help="an https URL or a local file (default: where the list came from, else upstream)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the changes, save nothing")
    p.add_argument("--reset", action="store_true", help="go back to the bundled list")
    p.set_defaults(handler=run_update)

    p = sub.add_parser(
        "seen",
        help="clear the 'new' mark of entries (all with --all)",
        **described(
            "'update' marks the entries it added as new (the TUI's \"New since\" group, "
            "is:new in --search). 'seen' clears that mark for the given entries, or for all "
            "of them with --all, and says how many it cleared.",
            "rlhf-reader seen 2501.12948",
            "rlhf-reader seen --all",
        ),
    )
    p.add_argument(
        "keys", nargs="*", metavar="KEY", help="a key, an arXiv id or URL, or part of a title"
    )
    p.add_argument("--all", action="store_true", help="every entry marked new")
    p.set_defaults(handler=run_seen)


def run_update(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    args = ctx.args
    if args.reset:
        if ctx.explicit_list:
            raise CliError(
                "--reset applies to the default list, not to one given with --list", code=2
            )
        if args.dry_run:
            raise CliError("--reset and --dry-run do not go together", code=2)
        removed = listsource.reset(ctx.db_path)
        ctx.print("back to the bundled list" if removed else "already on the bundled list")
        return 0
    target = ctx.list_path if ctx.explicit_list else listsource.saved_list_path(ctx.db_path)
    origin = args.origin or listupdate.recorded_origin(target, ctx.explicit_list)
    if origin is None:
        raise CliError(
            f"{ctx.list_path}: no source recorded for this list; give one with --from URL_OR_PATH"
        )
    try:
        plan = listupdate.prepare(origin, ctx.list_catalog, target, keep_backup=ctx.explicit_list)
    except listupdate.UpdateError as exc:
        raise CliError(str(exc)) from None
    for line in plan.lines():
        ctx.print(printable(line))
    if args.dry_run:
        ctx.print("dry run: nothing saved")
        return 0
    try:
        listupdate.apply(plan, ctx.library)
    except listupdate.UpdateError as exc:
        raise CliError(str(exc)) from None
    ctx.print(printable(f"saved {target} (from {origin})"))
    return 0


def run_seen(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    if ctx.args.all and ctx.args.keys:
        raise CliError("give KEY... or --all, not both", code=2)
    if not ctx.args.all and not ctx.args.keys:
        raise CliError("give KEY... or --all", code=2)
    keys = None if ctx.args.all else [ctx.resolve(typed).key for typed in ctx.args.keys]
    cleared = whatsnew.mark_seen(ctx.library, keys)
    ctx.print(f"{cleared} entr{'y' if cleared == 1 else 'ies'} no longer marked new")
    return 0
