"""``sync DIR``: merge the other machines' files in a shared folder, then write this one's."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rlhf_reader.commands.helptext import described
from rlhf_reader.textsafe import printable, say

if TYPE_CHECKING:
    from rlhf_reader.cli import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sync",
        help="sync with other machines through a shared folder (Syncthing, Dropbox, git…)",
        **described(
            "Merges every other machine's file in DIR (rlhf-reader-<machine>.sync.json) into "
            "the library — per paper the newer change wins status and read date, tags are "
            "merged, notes are never lost, nothing is deleted — then writes this machine's "
            "file there atomically. A file that is not whole (a sync tool still copying it) "
            "is skipped with a message. Run it on each machine; two rounds bring every "
            "machine up to date.",
            "rlhf-reader sync ~/Sync/rlhf-reader",
            "rlhf-reader sync ~/Dropbox/papers --dry-run",
        ),
    )
    p.add_argument("folder", metavar="DIR", help="the shared folder")
    p.add_argument("--dry-run", "-n", action="store_true", help="show what would be merged")
    p.add_argument(
        "--machine",
        metavar="NAME",
        help="set this library's machine id (default: made once from the host name)",
    )
    p.set_defaults(handler=run_sync)


def _inputs(ctx: Context) -> str | None:
    """A fingerprint of everything this machine's sync file is made of
    (``library.sync.own_export``): this code's version and the library file's bytes; None
    when they are not known. Equal fingerprints make equal entries, so an unchanged own
    file is seen without building it (see ``library.sync``)."""
    import hashlib

    from rlhf_reader import __version__
    from rlhf_reader.library.merge import JSON_VERSION
    from rlhf_reader.library.sync import OWN_FILE_FORM

    content = ctx.library.content_fingerprint
    if content is None:
        return None
    return hashlib.sha256(
        f"{__version__}\n{JSON_VERSION}\n{OWN_FILE_FORM}\n{content}".encode()
    ).hexdigest()


def run_sync(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.library.store import LibraryError
    from rlhf_reader.library.sync import (
        MachineIdNotSaved,
        SyncError,
        checked_machine_id,
        sync,
    )

    args = ctx.args
    if args.folder == "":
        raise CliError("DIR: empty path", code=2)
    library = ctx.library
    machine = None
    if args.machine is not None:
        try:
            machine = checked_machine_id(args.machine)
        except SyncError as exc:
            raise CliError(str(exc), code=2) from None
    try:
        # (--machine is saved by sync: with the first merge, in the same write)
        report = sync(
            args.folder,
            library,
            dry_run=args.dry_run,
            inputs=lambda: _inputs(ctx),
            machine=machine,
        )
    except SyncError as exc:
        raise CliError(str(exc)) from None
    except MachineIdNotSaved as exc:  # as it was when --machine was saved before the sync
        raise exc.error from None
    except (ValueError, LibraryError) as exc:
        raise CliError(f"sync failed: {exc}") from None
    prefix = "would merge" if args.dry_run else "merged"
    for path, reason in report.skipped:
        say(f"skipped {path}: {reason}")
    for path in report.unchanged:
        ctx.print(printable(f"{path.name}: nothing new since it was last merged"))
    for path, merged in report.merged:
        ctx.print(printable(f"{prefix} {path.name}: {merged.summary()}"))
    if report.own_file is not None and report.own_unchanged:
        ctx.print(printable(f"{report.own_file} is up to date (machine {report.machine})"))
    elif report.own_file is not None:
        ctx.print(printable(f"wrote {report.own_file} (machine {report.machine})"))
    elif args.dry_run:
        ctx.print("dry run: nothing written")
    return 0
