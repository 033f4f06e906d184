"""``screenshot``: render the TUI headless, press some keys, save an SVG (for the docs)."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from rlhf_reader.commands.helptext import described

if TYPE_CHECKING:
    from rlhf_reader.cli import Context

# Keys are comma-separated Textual key names ("down,space,slash"); a single character is
# itself ("j", "/", "?"). Text to type can be given as text:... ("text:prefrence").
_SIZE_RE = re.compile(r"^(\d{2,4})x(\d{2,4})$")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "screenshot",
        help="render the TUI headless and save an SVG",
        **described(
            "Starts the TUI without a terminal on the list and library of --list and --db, "
            "presses KEYS (comma-separated Textual key names; text:WORDS types words), and "
            "saves what the screen shows as an SVG. For the docs and bug reports.",
            "rlhf-reader screenshot main.svg",
            "rlhf-reader --db demo.json screenshot filter.svg --size 100x30 "
            "--press 'slash,text:dpo,enter'",
        ),
    )
    p.add_argument("out", metavar="OUT.svg", help="the SVG file to write")
    p.add_argument("--size", default="120x36", metavar="WxH", help="terminal size (120x36)")
    p.add_argument(
        "--press",
        default="",
        metavar="KEYS",
        help="comma-separated keys to press first, e.g. 'j,j,space' or 'slash,text:dpo'",
    )
    p.set_defaults(handler=run_screenshot)


def parse_size(text: str) -> tuple[int, int]:
    from rlhf_reader.cli import CliError

    match = _SIZE_RE.match(text.strip())
    if not match:
        raise CliError(f"--size: expected WIDTHxHEIGHT like 120x36, got {text!r}", code=2)
    width, height = int(match.group(1)), int(match.group(2))
    if width < 40 or height < 10:
        raise CliError(f"--size: {text} is too small (at least 40x10)", code=2)
    return width, height


def parse_keys(text: str) -> list[str]:
    """``"j,j,text:dpo,enter"`` → ``["j", "j", "d", "p", "o", "enter"]``."""
    keys: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if part.startswith("text:"):
            keys.extend("space" if ch == " " else ch for ch in part[5:])
        elif part:
            keys.append(part)
    return keys


_MODIFIERS = ("ctrl+", "shift+", "alt+", "meta+", "super+", "hyper+")


def unknown_keys(keys: list[str]) -> list[str]:
    """The key names Textual would not recognise (a typo would otherwise press nothing)."""
    from textual.keys import REPLACED_KEYS, Keys, key_to_character

    names = {key.value for key in Keys}
    unknown = []
    for key in keys:
        base = key
        while base.startswith(_MODIFIERS):
            base = base.split("+", 1)[1]
        # A name like "question_mark" is the Unicode name of its character; "slash" is
        # Textual's short name for "solidus".
        known = base in names or key_to_character(REPLACED_KEYS.get(base, base)) is not None
        if len(base) != 1 and not known:
            unknown.append(key)
    return unknown


def run_screenshot(ctx: Context) -> int:
    import asyncio

    from rlhf_reader.cli import CliError
    from rlhf_reader.library.fileio import expand_user
    from rlhf_reader.tui.app import make_app

    size = parse_size(ctx.args.size)
    keys = parse_keys(ctx.args.press)
    bad = unknown_keys(keys)
    if bad:
        raise CliError(
            f"--press: unknown key {bad[0]!r} (Textual key names such as j, space, enter, "
            "escape, slash, ctrl+s; text:abc types text)",
            code=2,
        )
    out = expand_user(ctx.args.out)
    if not out.parent.is_dir():
        raise CliError(f"{out.parent}: no such folder")
    ctx.workspace.catalog  # noqa: B018  (a bad list or library: an error before rendering)
    app = make_app(ctx.workspace)
    # No filter typed: the search index would only compete for the GIL with the rendering
    # (seconds at 100,000 entries); a filter builds it when first used, as the TUI does.
    app.index_in_background = "slash" in keys or "/" in keys

    async def shoot() -> str:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            return app.export_screenshot(title="rlhf-reader")

    svg = asyncio.run(shoot())
    try:
        out.write_text(svg, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{out}: {exc.strerror or exc}") from None
    ctx.print(f"wrote {out}")
    return 0
