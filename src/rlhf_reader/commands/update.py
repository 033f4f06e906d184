"""``update`` (fetch a newer list and show what changed) and ``seen`` (clear "new" marks)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf_reader.commands.helptext import described
from rlhf_reader.lists import listsource, listupdate, whatsnew
from rlhf_reader.textsafe import printable, say

if TYPE_CHECKING:
    from rlhf_reader.cli import Context
    from rlhf_reader.model import Catalog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "update",
        help="fetch the newest version of the list and show what changed",
        **described(
            "Fetches the list in use, the registered list NAME, or with --all every "
            "registered list (default: from where it came, else upstream's README; an https "
            "URL or a local file with --from, at most 5 MB), prints what was added, removed "
            "and changed, and saves it beside the library. Your annotations are kept by key; "
            "added entries are marked new (is:new, 'seen' clears the mark); annotated entries "
            'the list dropped stay under "No longer in the list". --reset goes back to the '
            "bundled list.",
            "rlhf-reader update --dry-run",
            "rlhf-reader update --all",
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
    p.add_argument(
        "name", nargs="?", metavar="NAME", help="a registered list (default: the list in use)"
    )
    p.add_argument(
        "--all", dest="all_lists", action="store_true", help="every registered list, one by one"
    )
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
        if ctx.explicit_list or args.name or args.all_lists:
            raise CliError(
                "--reset applies to the default list, not to one given with --list", code=2
            )
        if args.dry_run:
            raise CliError("--reset and --dry-run do not go together", code=2)
        removed = listsource.reset(ctx.db_path)
        ctx.print("back to the bundled list" if removed else "already on the bundled list")
        return 0
    if args.all_lists or args.name:
        return _update_registered(ctx)
    target = ctx.list_path if ctx.explicit_list else listsource.saved_list_path(ctx.db_path)
    origin = args.origin or listupdate.recorded_origin(target, ctx.explicit_list)
    if origin is None:
        raise CliError(
            f"{ctx.list_path}: no source recorded for this list; give one with --from URL_OR_PATH"
        )
    keep_backup = ctx.explicit_list
    try:
        _update_one(ctx, origin, ctx.list_catalog, target, keep_backup, ctx.workspace.list_name)
    except listupdate.UpdateError as exc:
        raise CliError(str(exc)) from None
    return 0


def _update_one(
    ctx: Context,
    origin: str,
    old: Catalog,
    target: Path,
    keep_backup: bool,
    list_name: str | None,
) -> None:
    """Fetch, show the changes, save (unless --dry-run); UpdateError leaves all as it was."""
    plan = listupdate.prepare(origin, old, target, keep_backup=keep_backup)
    for line in plan.lines():
        ctx.print(printable(line))
    if ctx.args.dry_run:
        ctx.print("dry run: nothing saved")
        return
    listupdate.apply(plan, ctx.library, list_name=list_name)
    ctx.print(printable(f"saved {target} (from {origin})"))


def _update_registered(ctx: Context) -> int:
    """``update NAME`` or ``update --all``: each list from its own source; a list that fails
    is reported and leaves the others (and itself) as they were."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.lists import registry
    from rlhf_reader.lists.catalog import CatalogError

    args = ctx.args
    if args.all_lists and args.name:
        raise CliError("give NAME or --all, not both", code=2)
    if args.all_lists and args.origin:
        raise CliError("--from goes with one list, not with --all", code=2)
    lists = ctx.workspace.lists()
    if args.name:
        info = registry.find(ctx.library, ctx.db_path, args.name)
        if info is None:
            raise CliError(f"no list named {args.name!r} (registered: {', '.join(lists)})")
        chosen = [info]
    else:
        chosen = list(lists.values())
    failed = 0
    for info in chosen:
        if len(chosen) > 1:
            ctx.print(printable(f"== {info.name}"))
        target = listsource.saved_list_path(ctx.db_path) if info.bundled else info.path
        origin = args.origin or info.origin
        try:
            if origin is None:
                raise listupdate.UpdateError(
                    f"{info.name}: no source recorded; give one with --from URL_OR_PATH"
                )
            try:
                old = ctx.workspace.catalog_of(info.name)
            except CatalogError as exc:
                raise listupdate.UpdateError(str(exc)) from None
            _update_one(ctx, origin, old, target, not info.bundled, info.name)
        except listupdate.UpdateError as exc:
            if len(chosen) == 1:
                raise CliError(str(exc)) from None
            failed += 1
            say(f"error: {info.name}: {exc}")
    if failed:
        ctx.print(f"{len(chosen) - failed} of {len(chosen)} lists updated; {failed} failed")
        return 1
    return 0


def run_seen(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    if ctx.args.all and ctx.args.keys:
        raise CliError("give KEY... or --all, not both", code=2)
    if not ctx.args.all and not ctx.args.keys:
        raise CliError("give KEY... or --all", code=2)
    keys = None if ctx.args.all else [ctx.resolve(typed).key for typed in ctx.args.keys]
    cleared = whatsnew.mark_seen(ctx.library, keys, ctx.workspace.list_name)
    ctx.print(f"{cleared} entr{'y' if cleared == 1 else 'ies'} no longer marked new")
    return 0
