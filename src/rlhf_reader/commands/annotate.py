"""``mark``, ``tag``, ``note`` and ``stats``: what a reader records about the list.

Each command resolves every KEY first (a key, an arXiv id or URL, or a unique title fragment),
checks every value, then writes once: a typo anywhere means nothing is written. Each prints
one line per entry saying what changed (titles made safe to print).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from rlhf_reader.commands.helptext import described
from rlhf_reader.library.progress import compute_stats, sparkline, weekly_reads
from rlhf_reader.library.store import MAX_NOTE_BYTES, validate_note
from rlhf_reader.model import Entry, Status
from rlhf_reader.tags import parse_tag_edit
from rlhf_reader.textsafe import printable, printable_block

if TYPE_CHECKING:
    from rlhf_reader.cli import Context

KEY_HELP = "a key, an arXiv id or URL, or a unique part of a title"
STATUS_NAMES = ", ".join(s.value for s in Status)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mark",
        help="set the status of entries: read, reading or unread",
        usage="%(prog)s KEY... STATUS  or  %(prog)s STATUS KEY...  or  "
        "%(prog)s --section TEXT STATUS",
        **described(
            f"Sets the status of one or more entries to one of: {STATUS_NAMES}. The status "
            "may come first or last. Becoming read records the date read (read_at); leaving "
            "read clears it. Every KEY is checked first: one that matches nothing, or more "
            "than one entry, means nothing is written. --section marks every paper of the "
            "sections whose path contains TEXT (as 'list --section TEXT' shows them), in one "
            "write.",
            "rlhf-reader mark 2305.18290 read",
            "rlhf-reader mark reading 2305.18290 kto",
            'rlhf-reader mark --section "Papers › 2023" read',
        ),
    )
    p.add_argument(
        "words",
        nargs="+",
        metavar="KEY|STATUS",
        help=f"one or more KEYs ({KEY_HELP}) and the status ({STATUS_NAMES}), first or last; "
        "with --section, the status alone will do",
    )
    p.add_argument(
        "--section",
        metavar="TEXT",
        help="also every paper of the sections whose path contains TEXT (as 'list --section')",
    )
    p.set_defaults(handler=run_mark)

    p = sub.add_parser(
        "tag",
        help="add (+TAG or TAG) and remove (-TAG) tags",
        usage="%(prog)s KEY... +TAG|TAG|-TAG ...  or  %(prog)s KEY",
        **described(
            "Keys come first; the first +TAG or -TAG ends them, and a bare TAG after it is "
            "added too. With no +/-, the last word is the tag to add. 'to-read' is a tag, "
            "'-to-read' removes it. A '--' anywhere is ignored. With one KEY and no tags, "
            "prints the entry's tags, one per line.",
            "rlhf-reader tag 2305.18290 +dpo +to-read",
            "rlhf-reader tag 2305.18290 2402.01306 -to-read",
            "rlhf-reader tag 2305.18290               # prints its tags",
        ),
    )
    p.add_argument("items", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(handler=run_tag)

    p = sub.add_parser(
        "note",
        help="show, set (TEXT, or - for stdin) or clear the note of an entry",
        **described(
            "With TEXT, the note becomes TEXT; with '-', it is read from stdin (UTF-8); with "
            "--clear it is removed; with --edit it opens in $VISUAL or $EDITOR; with none of "
            "them, the note is printed. Use 'note KEY -- -TEXT' for a text that starts with "
            "'-'.\n\n"
            "--edit saves only if the note did not change while you edited it (another "
            "rlhf-reader, the TUI); if it did, nothing is overwritten: your text is saved in a "
            "file beside the library, its path printed, and the exit status is 1.",
            "rlhf-reader note 2305.18290 'Read with the IPO paper.'",
            "rlhf-reader note 2305.18290 --edit",
            "pbpaste | rlhf-reader note 2305.18290 -",
        ),
    )
    p.add_argument("key", metavar="KEY", help=KEY_HELP)
    p.add_argument("text", nargs="?", metavar="TEXT", help="the note (Markdown); - reads stdin")
    p.add_argument("--clear", action="store_true", help="remove the note")
    p.add_argument(
        "--edit",
        action="store_true",
        help="edit the note in $VISUAL or $EDITOR; if it changed meanwhile, nothing is "
        "overwritten and your text is saved beside the library",
    )
    p.set_defaults(handler=run_note)

    p = sub.add_parser(
        "stats",
        help="reading progress overall and per section",
        **described(
            "Counts entries by status. Overall, an entry listed in several sections counts "
            "once (by key); each section counts its own entries and its sub-sections', each "
            "key once. Also the tags in use, and with --weeks a sparkline of papers read per "
            "week.",
            "rlhf-reader stats",
            "rlhf-reader stats --weeks 12",
            "rlhf-reader stats --json",
        ),
    )
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument(
        "--weeks",
        type=_weeks,
        nargs="?",
        const=26,
        default=None,
        metavar="N",
        help="also papers read per week over the last N weeks (default 26)",
    )
    p.add_argument(
        "--all-lists",
        action="store_true",
        help="every registered list: one row per list, and overall each paper once",
    )
    p.set_defaults(handler=run_stats)


def _weeks(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 520:
        raise argparse.ArgumentTypeError(f"expected a number of weeks from 1 to 520, not {text!r}")
    return int(text)


def _resolve_all(ctx: Context, typed: list[str]) -> list[Entry]:
    """Every typed key resolved (CliError on the first that does not), duplicates dropped."""
    entries: dict[str, Entry] = {}
    for text in typed:
        entry = ctx.resolve(text)
        entries.setdefault(entry.key, entry)
    return list(entries.values())


def _label(entry: Entry) -> str:
    return printable(f"{entry.title}  [{entry.key}]")


# mark ---------------------------------------------------------------------------------------


def split_mark_args(words: list[str]) -> tuple[list[str], Status]:
    """``KEY... STATUS`` or ``STATUS KEY...`` → (keys, status); the status may come first or
    last (last wins when both ends are statuses). ValueError (a usage error) naming the
    valid statuses when neither end is one."""
    words = [w for w in words if w != "--"]

    def status_of(word: str) -> Status | None:
        try:
            return Status.parse(word)
        except ValueError:
            return None

    if len(words) >= 2:
        last, first = status_of(words[-1]), status_of(words[0])
        if last is not None:
            return words[:-1], last
        if first is not None:
            return words[1:], first
    if len(words) < 2:
        if words and status_of(words[0]) is not None:
            raise ValueError(f"give one or more KEYs to mark {words[0].strip().lower()}")
        raise ValueError(f"give one or more KEYs and a status ({STATUS_NAMES})")
    from rlhf_reader.suggest import did_you_mean

    expected = f"expected one of: {STATUS_NAMES}, before or after the KEYs"
    for typed in (words[-1], words[0]):
        hint = did_you_mean(typed.strip().lower(), [s.value for s in Status])
        if hint:
            raise ValueError(f"unknown status {typed!r} ({expected}); did you mean {hint!r}?")
    ends = f"{words[0]!r} nor {words[-1]!r}"
    raise ValueError(f"no status: neither {ends} is a status ({expected})")


def run_mark(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    words, section = ctx.args.words, ctx.args.section
    keys: list[str]
    try:
        if section is not None and len(words) == 1:  # mark --section TEXT STATUS
            keys, status = [], Status.parse(words[0])
        else:
            keys, status = split_mark_args(words)
    except ValueError as exc:
        raise CliError(f"mark: {exc}", code=2) from None
    entries = _resolve_all(ctx, keys)
    if section is not None:
        entries = _with_section(ctx, entries, section)
    library = ctx.library
    before = {e.key: library.annotation(e.key).status for e in entries}
    try:
        after = library.set_status([e.key for e in entries], status)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    changed = 0
    for entry, ann in zip(entries, after, strict=True):
        if before[entry.key] is ann.status:
            ctx.print(f"{ann.status.glyph} already {ann.status.value}: {_label(entry)}")
        else:
            changed += 1
            ctx.print(
                f"{ann.status.glyph} {before[entry.key].value} → {ann.status.value}: "
                f"{_label(entry)}"
            )
    if section is not None:
        ctx.print(f"{changed} of {len(entries)} marked {status.value}.")
    return 0


def _with_section(ctx: Context, entries: list[Entry], text: str) -> list[Entry]:
    """``entries``, then every paper (each key once) of the sections whose path contains
    ``text``, matched as ``list --section`` matches; CliError when none does."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.query import select

    if not text.strip():
        raise CliError("mark: --section: give a piece of a section path", code=2)
    found = select(ctx.rows(), section=text)
    if not found:
        raise CliError(
            printable(
                f"mark: --section {text!r}: no section's path contains it "
                "(see 'rlhf-reader list' for the sections)"
            )
        )
    by_key = {entry.key: entry for entry in entries}
    for row in found:
        by_key.setdefault(row.entry.key, row.entry)
    return list(by_key.values())


# tag ----------------------------------------------------------------------------------------


def split_tag_args(items: list[str]) -> tuple[list[str], list[str]]:
    """``KEY... +A B -C`` → (keys, tag words for ``tags.parse_tag_edit``).

    Keys run up to the first ``+``/``-`` word; the words from there on are the tag change
    (a bare word adds). With no ``+``/``-`` word at all, the last word is the tag to add.
    ``--`` is ignored. ValueError (a usage error) when there is no key or no tag.
    """
    words = [w for w in items if w != "--"]
    first_op = next((i for i, w in enumerate(words) if w[:1] in "+-"), None)
    if first_op is None:
        if len(words) < 2:
            raise ValueError("give one or more KEYs, then +TAG to add or -TAG to remove")
        keys, ops = words[:-1], ["+" + words[-1]]
    else:
        keys, ops = words[:first_op], words[first_op:]
    if not keys:
        raise ValueError("give one or more KEYs before the tags")
    return keys, ops


def run_tag(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    words = [w for w in ctx.args.items if w != "--"]
    if len(words) == 1 and not words[0].startswith(("+", "-")):
        return _print_tags(ctx, ctx.resolve(words[0]))  # `tag KEY`: no tags given
    try:
        typed_keys, tag_words = split_tag_args(ctx.args.items)
    except ValueError as exc:
        raise CliError(f"tag: {exc}", code=2) from None
    try:
        edit = parse_tag_edit(tag_words)
    except ValueError as exc:
        raise CliError(f"{exc}; nothing changed") from None
    entries = _resolve_all(ctx, typed_keys)
    library = ctx.library
    before = {e.key: library.annotation(e.key).tags for e in entries}
    after = library.change_tags([e.key for e in entries], edit)
    for entry, ann in zip(entries, after, strict=True):
        old = before[entry.key]
        added = [t for t in ann.tags if t not in old]
        removed = [t for t in old if t not in ann.tags]
        changes = " ".join([*(f"+{t}" for t in added), *(f"-{t}" for t in removed)])
        now = ", ".join(ann.tags) or "(no tags)"
        what = changes or "no change"
        ctx.print(printable(f"{what}: {entry.title}  [{entry.key}]  tags: {now}"))
    return 0


def _print_tags(ctx: Context, entry: Entry) -> int:
    """One tag per line (for scripts), or "no tags: Title  [key]"."""
    tags = ctx.library.annotation(entry.key).tags
    for tag in tags:
        ctx.print(printable(tag))
    if not tags:
        ctx.print(f"no tags: {_label(entry)}")
    return 0


# note ---------------------------------------------------------------------------------------


def _read_stdin() -> str:
    if sys.stdin is None:  # started with stdin closed (<&-)
        raise ValueError("stdin is closed")
    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.read(MAX_NOTE_BYTES + 1) if stream is not None else sys.stdin.read().encode()
    if len(raw) > MAX_NOTE_BYTES:
        raise ValueError(f"note is larger than {MAX_NOTE_BYTES:,} bytes")
    try:
        return raw.decode("utf-8-sig")  # a byte order mark is not part of the note
    except UnicodeDecodeError as exc:
        raise ValueError(f"stdin is not UTF-8 text (byte {exc.start})") from None


def run_note(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    args = ctx.args
    if sum((args.clear, args.text is not None, args.edit)) > 1:
        raise CliError("note: give one of TEXT, --clear or --edit", code=2)
    entry = ctx.resolve(args.key)
    if args.edit:
        return _edit_note(ctx, entry)
    if not args.clear and args.text is None:
        note = ctx.library.annotation(entry.key).note
        if note:
            ctx.print(printable_block(note))
        else:
            ctx.print(f"no note: {_label(entry)}")
        return 0
    try:
        text = "" if args.clear else _read_stdin() if args.text == "-" else args.text
        validate_note(text)
    except ValueError as exc:
        raise CliError(f"{exc}; nothing changed") from None
    if not args.clear and not text.strip():
        # An empty stdin or "$UNSET" must not wipe a note: clearing is said with --clear.
        where = "stdin" if args.text == "-" else "TEXT"
        raise CliError(f"note: {where} is empty; nothing changed (--clear removes the note)")
    library = ctx.library
    old = library.annotation(entry.key).note
    library.set_note(entry.key, text)
    if text == old:
        ctx.print(f"note unchanged: {_label(entry)}")
    elif not text:
        ctx.print(f"note cleared: {_label(entry)}")
    else:
        size = f"{len(text):,} character{'s' if len(text) != 1 else ''}"
        ctx.print(f"note {'saved' if not old else 'replaced'} ({size}): {_label(entry)}")
    return 0


def _edit_note(ctx: Context, entry: Entry) -> int:
    """``note KEY --edit``: the note in the reader's editor, saved only if nobody changed it
    meanwhile; otherwise (or when the text cannot be saved) the edited text is kept in a
    file beside the library, the path printed, and the exit status is 1."""
    from rlhf_reader.cli import CliError
    from rlhf_reader.editor import EditorError, edit_text, editor_command, keep_beside
    from rlhf_reader.workspace import NoteSaved

    library = ctx.library
    base = library.annotation(entry.key).note
    try:
        edited = edit_text(base, editor_command(), name=entry.key)
    except EditorError as exc:
        raise CliError(f"note: {exc}") from None
    text = edited.text
    if text is not None and text == base.rstrip("\n"):
        ctx.print(f"note unchanged: {_label(entry)}")
        return 0
    problem = edited.problem
    if text is not None and not problem:
        try:
            validate_note(text)
        except ValueError as exc:
            problem = str(exc)
        if not text.strip() and not problem:
            problem = "the edited note is empty (--clear removes the note)"
    if text is not None and not problem:
        # Saved only if the note in the file is still what the editor was given.
        if isinstance(ctx.workspace.save_note(entry.key, text, base=base), NoteSaved):
            size = f"{len(text):,} character{'s' if len(text) != 1 else ''}"
            ctx.print(f"note {'saved' if not base else 'replaced'} ({size}): {_label(entry)}")
            return 0
        problem = "the note was changed elsewhere while you edited it"
    import shlex

    kept = keep_beside(ctx.db_path.parent, entry.key, edited.raw)
    again = f"rlhf-reader note {shlex.quote(entry.key)} - < {shlex.quote(str(kept))}"
    raise CliError(
        f"note of {entry.key}: {problem}; nothing overwritten. Your text is in {kept} "
        f"(to save it: {again})"
    )


# stats --------------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def run_stats(ctx: Context) -> int:
    catalog = ctx.workspace.all_lists_catalog() if ctx.args.all_lists else ctx.catalog
    stats = compute_stats(catalog, ctx.keep(ctx.library.tally()))  # no Annotation per key
    weeks = None
    if ctx.args.weeks:
        weeks = weekly_reads(ctx.keep(ctx.library.annotations()).values(), ctx.args.weeks)
    if weeks is not None:
        stats["weeks"] = [{"week": monday.isoformat(), "read": n} for monday, n in weeks]
    if ctx.args.json:
        from rlhf_reader.commands.browse import print_json

        print_json(ctx, stats)  # section titles may hold C1 controls or bidi overrides
        return 0
    top = min((s["level"] for s in stats["sections"]), default=1)
    names = [("  " * (s["level"] - top) + s["title"], s) for s in stats["sections"]]
    width = min(max([len("all entries"), *(len(n) for n, _ in names)]), 60)

    def row(name: str, c: dict[str, Any]) -> str:
        if len(name) > width:
            name = name[: width - 1] + "…"
        return printable(
            f"{name:<{width}}  {c['total']:>6}  {c['read']:>5}  {c['reading']:>7}  "
            f"{c['unread']:>6}  {_percent(c['read'], c['total']):>5}"
        )

    ctx.print(
        f"{'':<{width}}  {'total':>6}  {'read':>5}  {'reading':>7}  {'unread':>6}  {'done':>5}"
    )
    ctx.print(row("all entries", stats["overall"]))
    if stats["duplicates"]:
        ctx.print(
            f"  ({stats['listed']} listings; {stats['duplicates']} repeat listing(s) of a key "
            "counted once)"
        )
    ctx.print()
    for name, section in names:
        ctx.print(row(name, section))
    if stats["tags"]:
        ctx.print()
        ctx.print(printable("tags: " + ", ".join(f"{t} ({n})" for t, n in stats["tags"].items())))
    if stats["not_in_list"]:
        ctx.print(f"{stats['not_in_list']} annotation(s) belong to keys no longer in the list")
    if weeks is not None:
        _print_weeks(ctx, weeks)
    return 0


def _print_weeks(ctx: Context, weeks: list[tuple[date, int]]) -> None:
    counts = [n for _, n in weeks]
    ctx.print()
    ctx.print(
        f"read per week, last {len(weeks)} weeks: {sparkline(counts)}  "
        f"(total {sum(counts)}, best {max(counts, default=0)})"
    )
    for monday, n in weeks:
        ctx.print(f"  week of {monday.isoformat()}  {n:>3}  {'█' * n}")
