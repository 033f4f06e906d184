"""``sync DIR``: merge the other machines' files in a shared folder, then write this one's."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from rlhf_reader.commands.helptext import described
from rlhf_reader.textsafe import printable, say

if TYPE_CHECKING:
    from rlhf_reader.cli import Context
    from rlhf_reader.library.sync import BuiltExport


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


def _export_data(ctx: Context) -> dict[str, Any] | BuiltExport:
    """The unfiltered JSON export of the library as it is now, as an object: what
    ``export --format json`` writes (``formats.export.to_json``), built without its
    indented text, which sync writes with orjson (5x faster on 2,000 entries) — for a big
    library its records made and written on several cores (``library.sync.built``)."""
    from rlhf_reader.formats.cite import distinct
    from rlhf_reader.formats.export import backup_rows, json_record
    from rlhf_reader.library.merge import JSON_FORMAT, JSON_VERSION
    from rlhf_reader.library.store import now_iso
    from rlhf_reader.library.sync import built

    ctx.workspace.rebuild()  # additions merged in are entries now
    library = ctx.library
    additions = {str(a.get("key")): a for a in library.additions()}
    rows = backup_rows(ctx.rows(), library, additions)
    head = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exported_at": now_iso(),
        "list": {"title": ctx.list_catalog.title},
    }
    return built(head, distinct(rows), lambda row: json_record(row, additions.get(row.key)))


def _inputs(ctx: Context, known: dict[tuple[int, ...], bytes]) -> str | None:
    """A fingerprint of everything :func:`_export_data` reads: this code's version, the list
    file (path, name and bytes) and the library's documents, every setting but the
    ``sync_merged`` record of a sync (nothing of the export); None when one cannot be read.
    Equal fingerprints make equal entries, so an unchanged own file is seen without
    building the export (see ``library.sync``).

    ``known``: the library's part by the generation of the file it was read from and the
    file's stamp (a write of this process changes the one, another's the other), for the
    second call, after the export was built."""
    import hashlib
    import os

    import orjson

    from rlhf_reader import __version__
    from rlhf_reader.library import fileio
    from rlhf_reader.library.merge import JSON_VERSION
    from rlhf_reader.library.sync import MERGED_SETTING
    from rlhf_reader.lists.catalog import MAX_LIST_BYTES

    workspace = ctx.workspace
    try:
        with fileio.open_regular(workspace.list_path) as handle:
            listed = handle.read(MAX_LIST_BYTES + 1)
        head = [__version__, JSON_VERSION, str(workspace.list_path), workspace.list_name]
        library = ctx.library
        library.refresh()  # (another process's write: a new generation)
        st = os.stat(library.path)
        read = (library.generation, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        stored = known.get(read)
        if stored is None:
            meta = library.documents("meta")
            settings = {k: v for k, v in meta.items() if k != MERGED_SETTING}
            # Annotations and arXiv records are read by key (the last document of a key, if
            # a hand edit made two); additions as the list they are (the reader's section).
            tables = [library.documents("annotations"), library.documents("metadata")]
            dumped = orjson.dumps([*tables, library.additions(), settings])
            stored = known[read] = hashlib.sha256(dumped).digest()
    except Exception:  # whatever it is, building the export meets it and says so
        return None
    digest = hashlib.sha256()
    digest.update(orjson.dumps(head))
    digest.update(hashlib.sha256(listed).digest())
    digest.update(stored)
    return digest.hexdigest()


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
    known: dict[tuple[int, ...], bytes] = {}
    try:
        # (--machine is saved by sync: with the first merge, in the same write)
        report = sync(
            args.folder,
            library,
            lambda: _export_data(ctx),
            dry_run=args.dry_run,
            inputs=lambda: _inputs(ctx, known),
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
