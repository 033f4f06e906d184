"""The scriptable command line: ``rlhf-reader COMMAND …``; with no command, the TUI.

Importing this module must not import Textual: subcommands stay fast, and only the TUI
pays for it. Each group of subcommands lives in ``rlhf_reader.commands.<name>`` and
registers itself with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn, TextIO, TypeVar

from rlhf_reader import __version__
from rlhf_reader.gcpause import abandon, paused
from rlhf_reader.keys import ResolveError, resolve
from rlhf_reader.library.fileio import expand_user
from rlhf_reader.library.records import Row
from rlhf_reader.library.store import Library, LibraryError, default_db_path
from rlhf_reader.lists.catalog import CatalogError
from rlhf_reader.model import Catalog, Entry
from rlhf_reader.textsafe import say, tolerant_output
from rlhf_reader.workspace import Workspace

_T = TypeVar("_T")

PROG = "rlhf-reader"
COMMAND_MODULES = (
    "browse",
    "annotate",
    "update",
    "lists",
    "arxiv",
    "cite",
    "sync",
    "screenshot",
    "completion",
    "pdf",
    "queue",
    "serve",
)


class CliError(Exception):
    """An error the user can fix; printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        from rlhf_reader.suggest import explain
        from rlhf_reader.textsafe import printable

        choices = {
            "/".join(a.option_strings) or str(a.metavar or a.dest): list(a.choices)
            for a in self._actions
            if a.choices is not None
        }
        message = explain(message, choices)  # "did you mean 'mark'?"
        self.exit(2, f"{PROG}: error: {printable(message)} (see '{self.prog} --help')\n")


class Context:
    """What a command works on: the arguments, the output, and the workspace (the list and
    the library, each read when first needed)."""

    def __init__(self, args: argparse.Namespace, out: TextIO | None = None) -> None:
        self.args = args
        self.out = out or sys.stdout
        list_arg = args.list or os.environ.get("RLHF_READER_LIST")
        db_arg = args.db or os.environ.get("RLHF_READER_DB")
        self.db_path = expand_user(db_arg) if db_arg else default_db_path()
        self.workspace = Workspace(
            list_arg or None,
            self.db_path,
            warn=_warn,
            long_lived=args.command in (None, "serve"),  # the TUI and the server stay open
        )
        self.kept: list[object] = []  # what the command made, freed with the process (main)

    @property
    def explicit_list(self) -> bool:
        return self.workspace.explicit_list

    @property
    def list_path(self) -> Path:
        return self.workspace.list_path

    @property
    def list_catalog(self) -> Catalog:
        """The list file as parsed, nothing added."""
        return self.workspace.list_catalog

    @property
    def catalog(self) -> Catalog:
        """The list plus the reader's own sections (additions, entries no longer listed)."""
        return self.workspace.catalog

    @property
    def library(self) -> Library:
        return self.workspace.library

    def rows(self) -> list[Row]:
        """Every entry of the list joined with the library's annotations and arXiv cache."""
        return self.keep(self.workspace.rows())

    def keep(self, value: _T) -> _T:
        """``value``, kept until the command ends (see :func:`main`): a command's large
        results are then not freed one object at a time when its function returns."""
        self.kept.append(value)
        return value

    def resolve(self, typed: str) -> Entry:
        entry = self.workspace.listed_entry(typed)  # a key: no catalog to build
        if entry is not None:
            return entry
        try:
            return resolve(self.catalog.entries, typed)
        except ResolveError as exc:
            raise CliError(str(exc)) from None

    def print(self, text: str = "") -> None:
        print(text, file=self.out)


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """The whole parser; without ``commands``, only the global options (opening the TUI
    then imports no subcommand module: start-up time is the TUI's first-frame budget)."""
    parser = _Parser(
        prog=PROG,
        description="A terminal reading list for the RLHF literature. "
        "With no command, opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--list",
        metavar="PATH",
        help="an awesome-style Markdown list (default: $RLHF_READER_LIST, else the bundled list)",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="the library file (default: $RLHF_READER_DB, else the user data folder)",
    )
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"rlhf_reader.commands.{name}").register(sub)
    return parser


def _only_global_options(argv: Sequence[str]) -> bool:
    """True for ``[--list PATH] [--db PATH]`` alone: the TUI, with no subcommand to parse."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in ("--list", "--db"):
            index += 2
        elif word.startswith(("--list=", "--db=")):
            index += 1
        else:
            return False
    return index == len(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (``argv``, else ``sys.argv``); the exit code."""
    whole_process = argv is None  # the console script, not a test calling in-process
    argv = list(sys.argv[1:] if argv is None else argv)
    # A stdout that cannot encode a title ("›" on PYTHONIOENCODING=ascii) gets look-alikes
    # (">"), never a UnicodeEncodeError; set before parsing: --help has "…" in it too.
    tolerant_output(sys.stdout, sys.stderr)
    if _stdout_closed():
        # Started with >&-: Python's print() would drop every line and exit 0. Refuse before
        # any change is made, so a `mark … >&-` does not act without saying so.
        return _fail("stdout is closed; nothing can be printed (do not start with >&-)", 1)
    try:
        parser = build_parser(commands=not _only_global_options(argv))
        args = parser.parse_args(argv)
    except KeyboardInterrupt:  # Ctrl-C while the command modules load
        return _fail("interrupted", 130)
    for name in ("list", "db"):
        if args.__dict__.get(name) == "":  # --db "$UNSET": never fall back to the real library
            parser.error(f"--{name}: empty path")
    ctx = Context(args)
    if args.command in (None, "serve"):
        return _run(ctx)
    # A command runs once and exits. What it reads (the list, the library: 100,000s of dicts
    # and tuples) has no cycles, and the cyclic collector walked it again and again while it
    # was built (loading a 100k library took twice as long). The TUI and the server run for
    # long: they keep it (the TUI freezes what it loaded). Called in-process (tests), the
    # collector is back afterwards.
    with paused():
        code = _run(ctx)
        if whole_process:
            # The process ends now: what the command read and made (the library, the catalog,
            # the rows) is left for the operating system rather than freed object by object
            # (a third of a second at 100,000 entries). Exit handlers and the flushing of
            # stdout and stderr happen as always; every file the command wrote is complete
            # and closed (the library's writes fsynced) before its handler returned.
            abandon(ctx)
        return code


def _run(ctx: Context) -> int:
    args = ctx.args
    try:
        if args.command is None:
            return _open_tui(ctx)
        return int(args.handler(ctx) or 0)
    except (CliError, CatalogError, LibraryError) as exc:
        return _fail(str(exc), getattr(exc, "code", 1))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error of ours.
        sys.stderr.close()
        return 0
    except OSError as exc:
        # Every file we open names itself in its own error; what is left is stdout failing
        # (a full disk under `> file`, a closed stdout). One line, not a traceback.
        _drop_stdout()
        where = exc.filename or "cannot write the output"
        return _fail(f"{where}: {exc.strerror or exc}", 1)


def _stdout_closed() -> bool:
    """True when the process has no stdout (started with ``>&-``, or fd 1 is not open)."""
    stdout = sys.stdout
    if stdout is None:
        return True
    try:
        fd = stdout.fileno()
    except (OSError, ValueError, AttributeError):  # closed, or not a real file (tests)
        return bool(getattr(stdout, "closed", False))
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _warn(message: str) -> None:
    """What the core says the reader should know (parts of a list it could not read)."""
    say(f"warning: {message}")


def _fail(message: str, code: int) -> int:
    say(f"error: {message}")
    return code


def _open_tui(ctx: Context) -> int:
    # No cyclic collector from here to the first frame (``tui.app.run`` ends the pause): the
    # list, Textual's modules and the screen are made once and live as long as the window.
    start = ExitStack()
    start.enter_context(paused())
    with start:
        # Load both before the screen opens, so a bad list or library is a plain error.
        ctx.workspace.catalog  # noqa: B018
        from rlhf_reader.tui.app import run

        return run(ctx.workspace, start_pause=start)
