"""``completion SHELL``: the shell completion script, and its hidden ``--complete`` helper.

The spec of what to complete is read off the argparse parser itself, so a new option
completes without anyone touching this file. What a value completes with follows its
metavar (KEY: entry keys, TAG: tags in use, FILE/PATH: files, ORDER: sort orders…) or its
choices. The helper never writes, never creates a library, and prints nothing at all on
an error: a TAB must not spill messages over the command line.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf_reader import completion as comp
from rlhf_reader.commands.helptext import described
from rlhf_reader.library.fileio import expand_user

if TYPE_CHECKING:
    from rlhf_reader.cli import Context

_KIND_OF_METAVAR = {
    "KEY": comp.KEY,
    "KEY|STATUS": comp.KEY_OR_STATUS,
    "TAG": comp.TAG,
    "FILE": comp.FILE,
    "PATH": comp.FILE,
    "OUT.svg": comp.FILE,
    "URL_OR_PATH": comp.FILE,
    "QUERY": comp.QUERY,
    "NAME": comp.LIST_NAME,  # update NAME, lists remove NAME
    "OLD": comp.LIST_NAME,  # lists rename OLD NEW
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        **described(
            "Prints a completion script for SHELL. It completes subcommands, options, "
            "statuses, sort orders, tags in use and entry keys (with their titles in zsh and "
            "fish); keys and tags are looked up in the list and library of the --list and "
            "--db typed on the line (else the defaults) each time TAB is pressed.",
            "source <(rlhf-reader completion bash)           # in ~/.bashrc",
            "source <(rlhf-reader completion zsh)            # in ~/.zshrc, after compinit",
            "rlhf-reader completion fish > ~/.config/fish/completions/rlhf-reader.fish",
        ),
    )
    p.add_argument("shell", choices=comp.SHELLS, metavar="SHELL", help="bash, zsh or fish")
    # The scripts call back: `rlhf-reader completion SHELL --complete WORDS…` (bash: the
    # line up to the cursor as one word). Everything after --complete is taken as is.
    p.add_argument("--complete", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(handler=run_completion)


def run_completion(ctx: Context) -> int:
    shell = ctx.args.shell
    if ctx.args.complete is None:
        ctx.print(comp.script(shell).rstrip("\n"))
        return 0
    typed = list(ctx.args.complete)
    words = comp.split_line(typed[0] if typed else "") if shell == "bash" else typed
    words = words[1:] if len(words) > 1 else [""]  # the program's own name
    try:
        from rlhf_reader.cli import build_parser

        # Keys and tags from the --list/--db typed on the line, else this run's own.
        sources = comp.Sources(
            keys=lambda list_arg, db_arg: _keys(ctx, list_arg, db_arg),
            tags=lambda list_arg, db_arg: _tags(_db(ctx, db_arg)),
            lists=lambda list_arg, db_arg: _list_names(_db(ctx, db_arg)),
        )
        result = comp.complete(spec_of(build_parser()), words, sources)
    except Exception:  # a broken list or library: offer nothing, say nothing
        result = comp.Result()
    ctx.out.write(comp.render(result, shell, words[-1]))
    return 0


def spec_of(parser: argparse.ArgumentParser) -> comp.Spec:
    """The completion spec of ``parser``: its options and each subcommand's."""
    commands: list[comp.Command] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                commands.append(_command(name, helps.get(name, ""), sub))
    return comp.Spec(_options(parser), tuple(commands))


def _options(parser: argparse.ArgumentParser) -> tuple[comp.Option, ...]:
    options = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        takes_value = action.nargs != 0 and not isinstance(
            action, argparse._VersionAction | argparse._HelpAction
        )
        options.append(
            comp.Option(
                names=tuple(action.option_strings),
                help=action.help or "",
                takes_value=takes_value,
                kind=_kind(action),
                choices=_choices(action),
            )
        )
    return tuple(options)


def _kind(action: argparse.Action) -> str:
    return _KIND_OF_METAVAR.get(action.metavar if isinstance(action.metavar, str) else "", "")


def _choices(action: argparse.Action) -> tuple[str, ...]:
    if action.metavar == "ORDER":  # list --sort
        from rlhf_reader.sorting import SORT_CHOICES

        return SORT_CHOICES
    return tuple(str(c) for c in action.choices or ())


def _command(name: str, help_text: str, parser: argparse.ArgumentParser) -> comp.Command:
    options = _options(parser)
    positionals = []
    for action in parser._actions:
        if action.option_strings:
            continue
        if action.help == argparse.SUPPRESS:  # `tag`'s words: completed by their own rule
            positionals.append(comp.Positional(comp.TAG_EDIT, repeats=True))
            continue
        positionals.append(
            comp.Positional(
                kind=_kind(action),
                choices=_choices(action),
                repeats=action.nargs in ("+", "*", argparse.REMAINDER),
            )
        )
    return comp.Command(name, help_text, options, tuple(positionals))


def _db(ctx: Context, db_arg: str | None) -> Path:
    return expand_user(db_arg) if db_arg else ctx.db_path


def _keys(ctx: Context, list_arg: str | None, db_arg: str | None) -> list[tuple[str, str]]:
    """Every entry's key and title, in list order, of the list a completed command line
    would use: the list, your additions and entries that left the list. Without a library
    file only the list itself is read (completing never creates a library)."""
    import os

    from rlhf_reader.lists import registry
    from rlhf_reader.lists.catalog import load
    from rlhf_reader.workspace import Workspace

    db = _db(ctx, db_arg)
    if list_arg is None and not db_arg:
        list_arg = ctx.args.list or os.environ.get("RLHF_READER_LIST") or None
    if db.is_file():
        workspace = Workspace(list_arg, db)
        try:
            catalog = workspace.catalog
        finally:
            workspace.library.close()
    elif list_arg is None:
        catalog = load(registry.bundled_info(db).path)
    elif expand_user(list_arg).is_file():
        catalog = load(expand_user(list_arg))
    else:
        return []  # a list's name means nothing without a library
    seen: dict[str, str] = {}
    for entry in catalog.entries:
        seen.setdefault(entry.key, entry.title)
    return list(seen.items())


def _list_names(db: Path) -> list[tuple[str, str]]:
    """The lists the library follows (``lists``), with where each comes from."""
    from rlhf_reader.library.store import Library
    from rlhf_reader.lists import registry

    if not db.is_file():
        return [(registry.bundled_info(db).name, "the bundled list")]
    library = Library.open(db)
    try:
        lists = registry.registered(library, db)
    finally:
        library.close()
    return [(name, str(info.origin or info.path)) for name, info in lists.items()]


def _tags(db: Path) -> list[str]:
    """The tags in use, most used first (none when there is no library yet)."""
    from rlhf_reader.library.store import Library

    if not db.is_file():
        return []
    library = Library.open(db)
    try:
        counts = library.tags_in_use()
    finally:
        library.close()
    return [tag for tag, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
