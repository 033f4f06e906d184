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

from rlhf_reader.library.progress import compute_stats, sparkline, weekly_reads
from rlhf_reader.library.store import MAX_NOTE_BYTES, validate_note
from rlhf_reader.model import Entry, Status
from rlhf_reader.tags import parse_tag_edit
from rlhf_reader.textsafe import printable, printable_block

if TYPE_CHECKING:
    from rlhf_reader.cli import Context

KEY_HELP = "a key, an arXiv id or URL, or a unique part of a title"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mark", help="set the status of entries: read, reading or unread")
    p.add_argument("keys", nargs="+", metavar="KEY", help=KEY_HELP)
    p.add_argument(
        "status", type=str.lower, choices=[s.value for s in Status], help="the new status"
    )
    p.set_defaults(handler=run_mark)

    p = sub.add_parser(
        "tag",
        help="add (+TAG or TAG) and remove (-TAG) tags",
        usage="%(prog)s KEY... +TAG|TAG|-TAG ...",
        description="Keys come first; the first +TAG or -TAG ends them, and a bare TAG after "
        "it is added too. With no +/-, the last word is the tag to add. 'to-read' is a tag, "
        "'-to-read' removes it. A '--' anywhere is ignored.",
    )
    p.add_argument("items", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(handler=run_tag)

    p = sub.add_parser(
        "note",
        help="show, set (TEXT, or - for stdin) or clear the note of an entry",
        description="With TEXT, the note becomes TEXT; with '-', it is read from stdin (UTF-8); "
        "with --clear it is removed; with neither, the note is printed. Use "
        "'note KEY -- -TEXT' for a text that starts with '-'.",
    )
    p.add_argument("key", metavar="KEY", help=KEY_HELP)
    p.add_argument("text", nargs="?", metavar="TEXT", help="the note (Markdown); - reads stdin")
    p.add_argument("--clear", action="store_true", help="remove the note")
    p.set_defaults(handler=run_note)

    p = sub.add_parser(
        "stats",
        help="reading progress overall and per section",
        description="Counts entries by status. Overall, an entry listed in several sections "
        "counts once (by key); each section counts its own entries and its sub-sections', "
        "each key once.",
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


def run_mark(ctx: Context) -> int:
    from rlhf_reader.cli import CliError

    status = Status(ctx.args.status)
    entries = _resolve_all(ctx, ctx.args.keys)
    library = ctx.library
    before = {e.key: library.annotation(e.key).status for e in entries}
    try:
        after = library.set_status([e.key for e in entries], status)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for entry, ann in zip(entries, after, strict=True):
        if before[entry.key] is ann.status:
            ctx.print(f"{ann.status.glyph} already {ann.status.value}: {_label(entry)}")
        else:
            ctx.print(
                f"{ann.status.glyph} {before[entry.key].value} → {ann.status.value}: "
                f"{_label(entry)}"
            )
    return 0


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
    if args.clear and args.text is not None:
        raise CliError("note: give TEXT or --clear, not both", code=2)
    entry = ctx.resolve(args.key)
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


# stats --------------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def run_stats(ctx: Context) -> int:
    annotations = ctx.library.annotations()
    stats = compute_stats(ctx.catalog, annotations)
    weeks = weekly_reads(annotations.values(), ctx.args.weeks) if ctx.args.weeks else None
    if weeks is not None:
        stats["weeks"] = [{"week": monday.isoformat(), "read": n} for monday, n in weeks]
    if ctx.args.json:
        from rlhf_reader.commands.browse import json_text

        ctx.print(json_text(stats))  # section titles may hold C1 controls or bidi overrides
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
