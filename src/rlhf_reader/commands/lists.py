"""``lists``: the lists a library follows — show them, add, remove and rename one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rlhf_reader.textsafe import printable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rlhf_reader.cli import Context
    from rlhf_reader.library.progress import Counts
    from rlhf_reader.model import Annotation

EXAMPLES = """examples:
  rlhf-reader lists
  rlhf-reader lists add opendilab https://raw.githubusercontent.com/opendilab/awesome-RLHF/main/README.md
  rlhf-reader lists add mine ~/notes/reading.md
  rlhf-reader --list opendilab list --status read
  rlhf-reader lists rename opendilab odl
  rlhf-reader lists remove odl      # annotations stay: they belong to papers
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lists",
        help="the lists this library follows: show, add, remove, rename",
        description="Every list the library follows, with its entries, how many you read, "
        "where it comes from and when it was last fetched. The bundled list is "
        "'awesome-rlhf'. A paper in several lists is one paper: its status, tags and note "
        "are shared. Use a list with --list NAME.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="lists_action", metavar="ACTION")
    add = actions.add_parser(
        "add", help="fetch a list (https URL or file), check that it parses, follow it"
    )
    add.add_argument("name", metavar="NAME", help="a short name: letters, digits, . _ -")
    add.add_argument("source", metavar="SOURCE", help="an https URL or a local Markdown file")
    remove = actions.add_parser("remove", help="stop following a list (annotations stay)")
    remove.add_argument("name", metavar="NAME")
    rename = actions.add_parser("rename", help="give a list another name")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    p.set_defaults(handler=run_lists)


def run_lists(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.lists.registry import RegistryError

    action = ctx.args.lists_action
    try:
        if action == "add":
            return _add(ctx)
        if action == "remove":
            return _remove(ctx)
        if action == "rename":
            return _rename(ctx)
    except RegistryError as exc:
        raise CliError(str(exc)) from None
    return _show(ctx)


def _show(ctx: Context) -> int:
    from rlhf_reader.lists.views import progress_by_list

    workspace = ctx.workspace
    current = workspace.list_name
    infos = workspace.lists()
    progress, overall = progress_by_list(workspace)  # the TUI's L and p count the same way
    rows = []
    for listed in progress:
        info, counts = infos[listed.name], listed.counts
        source = str(info.origin or info.path)
        if counts is None:
            rows.append((listed.name, "-", "-", source, f"cannot read: {listed.problem}"))
            continue
        when = (info.fetched_at or "")[:10] or ("shipped" if info.bundled else "-")
        rows.append((listed.name, str(counts.total), str(counts.read), source, when))
    head = ("name", "entries", "read", "source", "updated")
    width = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    ctx.print(
        printable(
            f"  {head[0]:<{width[0]}}  {head[1]:>{width[1]}}  {head[2]:>{width[2]}}  "
            f"{head[4]:<10}  {head[3]}"
        )
    )
    for name, total, read, source, when in rows:
        mark = "*" if name == current else " "
        ctx.print(
            printable(
                f"{mark} {name:<{width[0]}}  {total:>{width[1]}}  {read:>{width[2]}}  "
                f"{when:<10}  {source}"
            )
        )
    ctx.print(
        f"{len(rows)} list{'s' if len(rows) != 1 else ''}; {overall.total} distinct papers, "
        f"{overall.read} read (a paper in several lists counts once)"
    )
    return 0


def _count(keys: set[str], annotations: Mapping[str, Annotation]) -> Counts:
    from rlhf_reader.library.progress import count

    return count(keys, annotations)


def _add(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.store import now_iso
    from rlhf_reader.lists import listsource, registry
    from rlhf_reader.lists.catalog import CatalogError, parse_bytes

    name = registry.check_name(ctx.args.name)
    if name in ctx.workspace.lists():
        raise CliError(f"a list named {name!r} is registered already (see 'rlhf-reader lists')")
    origin = ctx.args.source
    try:
        data = listsource.fetch(origin)
        catalog = parse_bytes(data, origin)
    except (listsource.UpdateError, CatalogError) as exc:
        raise CliError(f"{exc}; no list added") from None
    if not catalog.entries:
        raise CliError(f"{origin}: no entries found, not a list; no list added")
    info = registry.add(ctx.library, ctx.db_path, name, data, origin, now_iso())
    keys = {e.key for e in catalog.entries}
    others: set[str] = set()
    for other in ctx.workspace.lists():
        if other != name:
            try:
                others |= {e.key for e in ctx.workspace.catalog_of(other).entries}
            except (CatalogError, OSError):
                continue
    shared = keys & others
    read = _count(keys, ctx.library.annotations())
    ctx.print(
        printable(
            f"added {name}: {catalog.title} — {len(keys)} papers in "
            f"{sum(1 for _ in catalog.walk())} sections, {len(shared)} already in your "
            f"other lists, {read.read} read (saved as {info.path})"
        )
    )
    return 0


def _remove(ctx: Context) -> int:
    from rlhf_reader.lists import registry

    info = registry.remove(ctx.library, ctx.db_path, ctx.args.name)
    ctx.print(printable(f"removed {info.name} ({info.path}); every annotation stays"))
    return 0


def _rename(ctx: Context) -> int:
    from rlhf_reader.lists import registry

    info = registry.rename(ctx.library, ctx.db_path, ctx.args.old, ctx.args.new)
    ctx.print(printable(f"renamed {ctx.args.old} to {info.name}"))
    return 0
