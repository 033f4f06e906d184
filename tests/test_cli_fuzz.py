"""Fuzzing the command line (issue 12): random and structured argv in odd environments.

Every case runs ``cli.main`` in-process (fast: ~10 ms a case) with its own stdout (UTF-8,
ASCII, Latin-1 or closed), stdin (text, bytes that are not UTF-8, empty or closed) and
environment (``RLHF_READER_LIST``/``RLHF_READER_DB`` pointing at odd files, ``LANG=C``…),
against a pool of hostile files in ``tmp_path``: a FIFO, a folder, an empty and a garbage
library, a read-only one, an export where a library is expected, a symlink loop, the hostile
list. A case passes when ``main`` returns or exits with 0, 1 or 2, nothing but ``SystemExit``
escapes it, no ``Traceback`` and no raw ESC reaches stdout or stderr, a failure says why on
stderr, and it ends within ``CASE_SECONDS`` (each case runs in a thread given that long; a
hang fails the test and ends the campaign, so a broken build costs 10 s, not forever). A few
cases run in a child process for what only a real process has (closed file descriptors,
``PYTHONIOENCODING``, ``LC_ALL=C``).

Seeded: a failure names its seed and case; ``RLHF_READER_FUZZ_SEED`` and
``RLHF_READER_FUZZ_CASES`` run another or a longer campaign. Paths are confined to
``tmp_path`` (random text never holds a ``/``), network addresses to closed ports on
127.0.0.1, and the TUI and ``screenshot`` are stubbed (they would start Textual).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import BUNDLED_LIST, TEST_DATA

SEED = int(os.environ.get("RLHF_READER_FUZZ_SEED", "20261201"))
RANDOM_CASES = int(os.environ.get("RLHF_READER_FUZZ_CASES", "500"))
STRUCTURED_CASES = int(os.environ.get("RLHF_READER_FUZZ_CASES", "600"))
CASE_SECONDS = 10.0
MAX_HANGS = 1  # a hung case stays blocked in its thread: the campaign stops there

SMALL_LIST = """# Fuzz list

## Papers

- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
  - =Alice Smith, @Bob Jones. NeurIPS, 2023.
- [Llama 2](https://arxiv.org/abs/2307.09288). Hugo Touvron. arXiv, 2023.

## Blogs

- [Illustrating RLHF \u203a part \x1b[31mone](https://huggingface.co/blog/rlhf)
- [=HYPERLINK("x")](https://example.com/formula)
"""

KEYS = [
    "2305.18290",
    "2307.09288",
    "2404.09932",
    "arXiv:2305.18290v2",
    "https://arxiv.org/abs/2305.18290",
    "Direct Preference",
    "Illustrating",
    "llama",
    "huggingface.co/blog/rlhf",
    "example.com/formula",
    "rlhf",
    "0000.00000",
]
TAGS = ["x", "=cmd", "@sum", "Two Words", "a,b", "t" * 41, "+", "-", "\x1b[1m", "\u202eevil"]
STATUSES = ["unread", "reading", "read", "READ", " read ", "done", ""]
FORMATS = ["markdown", "bibtex", "csv", "ris", "json", "csl-json", "apa", "plain", "xml"]
SEARCHES = ["tag:x", "status:read", "(", '"', "title:", "NOT", "a OR", "*", "\\", "section:"]
URLS = ["https://127.0.0.1:9/list.md", "http://127.0.0.1:9/x", "ftp://x", "file:///etc/hosts"]
TEXT_PIECES = [
    "a",
    "Direct",
    " ",
    "  ",
    "\t",
    "\n",
    "-",
    "--",
    "--x",
    "-o",
    "=",
    "+",
    "@",
    ":",
    ",",
    ";",
    ".",
    "..",
    "~",
    "*",
    "[",
    "]",
    "(",
    '"',
    "'",
    "\\",
    "$HOME",
    "%s",
    "{}",
    "\x1b[31m",
    "\x1b]52;c;aGk=\x07",
    "\x07",
    "\x9b",
    "\x7f",
    "\u202e",
    "\u2028",
    "\u00a0",
    "\u203a",
    "é",
    "中文",
    "\U0001f600",
    "\udce9",  # an argument byte that is not UTF-8 (surrogateescape)
    "2305.18290",
    "9" * 30,
]


class FuzzHang(BaseException):
    """A case that ran longer than ``CASE_SECONDS``."""


@dataclass
class Pools:
    """Paths and values the generators draw from; every path is inside ``root``."""

    root: Path
    db: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # read-only uses: import FILE, --from
    outputs: list[str] = field(default_factory=list)


def make_pools(root: Path) -> Pools:
    from rlhf_reader.library.store import Library
    from rlhf_reader.tags import TagEdit

    work = root / "work"
    work.mkdir()
    (work / "adir").mkdir()
    os.mkfifo(work / "pipe")
    (work / "small.md").write_text(SMALL_LIST, encoding="utf-8")
    shutil.copy(TEST_DATA / "hostile.md", work / "hostile.md")
    shutil.copy(BUNDLED_LIST, work / "bundled.md")
    (work / "empty.md").write_bytes(b"")
    (work / "binary.md").write_bytes(bytes(range(256)) * 4)
    (work / "empty.json").write_bytes(b"")
    (work / "garbage.json").write_bytes(b'{"annotations": [1, 2, {"key": ')
    (work / "wrongshape.json").write_text('{"annotations": {"1": {"key": 5}}}')
    (work / "future.json").write_text('{"meta": {"1": {"name": "schema_version", "value": 99}}}')
    (work / "loop").symlink_to(work / "loop")
    library = Library.open(work / "lib.json")
    library.set_status(["2305.18290"], "read")
    library.change_tags(["2305.18290"], TagEdit.of(add=["=cmd", "x"]))
    library.set_note("2307.09288", "-2+3\n\x1b[31mred\x1b[0m note")
    library.close()
    ro = Library.open(work / "ro.json")
    ro.set_status(["2307.09288"], "reading")
    ro.close()
    (work / "ro.json").chmod(0o400)
    from rlhf_reader.cli import main

    with open(os.devnull, "w") as sink:
        saved = sys.stdout
        sys.stdout = sink
        try:
            main(["--db", str(work / "lib.json"), "export", "-o", str(work / "backup.json")])
        finally:
            sys.stdout = saved
    common = ["adir", "pipe", "loop", "missing.json", "missing/deeper/x.json", "caf\udce9.json"]
    return Pools(
        root=work,
        db=["lib.json"] * 6
        + ["ro.json", "empty.json", "garbage.json", "wrongshape.json", "future.json"]
        + ["backup.json", "new.json", "small.md", ""]
        + common,
        lists=["small.md"] * 4
        + ["hostile.md", "bundled.md", "empty.md", "binary.md", "lib.json", "backup.json", ""]
        + common,
        inputs=["backup.json"] * 3
        + ["small.md", "hostile.md", "lib.json", "garbage.json", "empty.json", "binary.md"]
        + ["/", "/dev/null", "/dev/zero", *URLS, *common],
        outputs=[
            *["out.md", "out.bib", "out.csv", "out.ris", "out.json", "o.csl.json", "out"],
            *["lib.json", "lib.json.bak", "ro.json", "/dev/null", "", *common],
        ],
    )


# generators -----------------------------------------------------------------------------


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(TEXT_PIECES) * rng.randint(200, 2000)
    text = "".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, 5)))
    return text.replace("/", "")


def value_for(rng: random.Random, dest: str, pools: Pools, choices: Any) -> str:
    """A value for an argument named ``dest``: mostly plausible, sometimes anything."""
    if rng.random() < 0.12:
        return random_text(rng)
    if choices and rng.random() < 0.8:
        return str(rng.choice(list(choices)))
    pick: dict[str, Callable[[], str]] = {
        "key": lambda: rng.choice(KEYS),
        "keys": lambda: rng.choice(KEYS),
        "paper": lambda: rng.choice([*KEYS, "2401.00001", "https://arxiv.org/pdf/2305.18290"]),
        "status": lambda: rng.choice(STATUSES),
        "tag": lambda: rng.choice(TAGS),
        "text": lambda: rng.choice(["-", "a note", "=SUM(A1)", "", "\x1b[2J", "x" * 5000]),
        "weeks": lambda: rng.choice(["1", "0", "520", "521", "-3", "x", "1e9", "08"]),
        "origin": lambda: rng.choice(pools.inputs),
        "file": lambda: rng.choice(pools.inputs),
        "output": lambda: rng.choice(pools.outputs),
        "mode": lambda: rng.choice(["600", "644", "0640", "9", "0o7", "-1", "1777", ""]),
        "format": lambda: rng.choice(FORMATS),
        "section": lambda: rng.choice(["Papers", "Blogs", "papers", "Nope", "\u203a", ""]),
        "search": lambda: rng.choice(SEARCHES),
        "size": lambda: rng.choice(["120x36", "0x0", "x", "99999x99999", "-1x5"]),
        "press": lambda: rng.choice(["down", "j,k", "", "ctrl+c"]),
        "out": lambda: rng.choice(["shot.svg", "adir", ""]),
    }
    return pick.get(dest, lambda: random_text(rng))()


def tag_items(rng: random.Random) -> list[str]:
    items = [rng.choice(KEYS) for _ in range(rng.randint(0, 2))]
    items += [rng.choice(["+", "-", ""]) + rng.choice(TAGS) for _ in range(rng.randint(0, 3))]
    return items


def global_options(rng: random.Random, pools: Pools) -> list[str]:
    argv: list[str] = []
    if rng.random() < 0.85:
        argv += ["--db", rng.choice(pools.db)]
    if rng.random() < 0.6:
        argv += ["--list", rng.choice(pools.lists)]
    if rng.random() < 0.1:
        argv.insert(0, rng.choice(["--version", "-h", "--bogus", "--db=lib.json", "--list="]))
    return argv


def structured_argv(
    rng: random.Random, pools: Pools, commands: dict[str, argparse.ArgumentParser]
) -> list[str]:
    """A command built from its own parser: its options, then its positionals."""
    name = rng.choice(list(commands))
    argv = [*global_options(rng, pools), name]
    positionals: list[str] = []
    for action in commands[name]._actions:
        if action.dest == "help":
            continue
        if action.option_strings:
            if rng.random() < 0.3:
                argv.append(rng.choice(action.option_strings))
                if action.nargs != 0:
                    argv.append(value_for(rng, action.dest, pools, action.choices))
        elif action.dest == "items":
            positionals += tag_items(rng)
        else:
            count = {"+": rng.randint(1, 3), "*": rng.randint(0, 3), "?": rng.randint(0, 1)}
            n = count.get(str(action.nargs), 1)
            positionals += [value_for(rng, action.dest, pools, action.choices) for _ in range(n)]
    if rng.random() < 0.1:
        positionals.append(random_text(rng))  # one too many
    if rng.random() < 0.1 and positionals:
        positionals.pop()  # one too few
    return argv + positionals


def random_argv(rng: random.Random, pools: Pools, names: list[str]) -> list[str]:
    """Tokens in any order: commands, options, values, garbage."""
    vocabulary: list[Callable[[], str]] = [
        lambda: rng.choice(names),
        lambda: rng.choice(["--db", "--list", "--json", "--status", "--tag", "--section"]),
        lambda: rng.choice(["--search", "-o", "--format", "-f", "--copy", "--force", "--all"]),
        lambda: rng.choice(["--dry-run", "-n", "--clear", "--reset", "--from", "--mode"]),
        lambda: rng.choice(["--csv-raw", "--weeks", "--help", "-h", "--", "-", "--version"]),
        lambda: rng.choice(KEYS),
        lambda: rng.choice(TAGS),
        lambda: rng.choice(STATUSES),
        lambda: rng.choice(FORMATS),
        lambda: rng.choice(pools.db + pools.lists + pools.outputs + pools.inputs),
        lambda: random_text(rng),
    ]
    argv = [rng.choice(vocabulary)() for _ in range(rng.randint(0, 7))]
    if rng.random() < 0.7:  # mostly a real command somewhere near the front
        argv.insert(rng.randint(0, min(2, len(argv))), rng.choice(names))
    return argv


# one case -------------------------------------------------------------------------------


@dataclass
class Case:
    argv: list[str]
    stdout: str | None  # its encoding, or None: closed
    stdin: bytes | None
    env: dict[str, str | None]


def odd_environment(rng: random.Random, pools: Pools) -> tuple[str | None, bytes | None, dict]:
    stdout = rng.choice(["utf-8"] * 5 + ["ascii", "latin-1", None])
    stdin = rng.choice([b"a note from stdin\n", b"", b"\xff\xfe not utf-8", b"\x1b[31m", None])
    env: dict[str, str | None] = {"RLHF_READER_LIST": None, "RLHF_READER_DB": None}
    if rng.random() < 0.2:
        env["RLHF_READER_LIST"] = rng.choice(pools.lists)
    if rng.random() < 0.2:
        env["RLHF_READER_DB"] = rng.choice(pools.db)
    if rng.random() < 0.2:
        env["LANG"] = rng.choice(["C", "POSIX", "tr_TR.UTF-8", "xx"])
    if rng.random() < 0.1:
        env["COLUMNS"] = rng.choice(["0", "-5", "x", "100000"])
    return stdout, stdin, env


def run_case(case: Case) -> tuple[str | None, int, str, str]:
    """(problem or None, exit code, stdout, stderr) of one in-process run."""
    from rlhf_reader.cli import main

    raw = io.BytesIO()
    stdout = (
        None
        if case.stdout is None
        else io.TextIOWrapper(raw, encoding=case.stdout, errors="strict", write_through=True)
    )
    stderr = io.StringIO()
    stdin = None if case.stdin is None else io.TextIOWrapper(io.BytesIO(case.stdin))
    saved = sys.stdout, sys.stderr, sys.stdin
    saved_env = {name: os.environ.get(name) for name in case.env}
    for name, value in case.env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    problem = None
    code = -1
    sys.stdout, sys.stderr, sys.stdin = stdout, stderr, stdin  # type: ignore[assignment]

    def call() -> int:
        try:
            return main(case.argv)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    try:
        code = call_bounded(call, CASE_SECONDS)
    except FuzzHang:
        problem = f"still running after {CASE_SECONDS:g} s"
    except BaseException as exc:  # the point: nothing else may escape
        problem = "".join(traceback.format_exception(exc))
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    out = raw.getvalue().decode(case.stdout or "utf-8", errors="replace")
    err = stderr.getvalue()
    return problem or judge(code, out, err), code, out, err


def judge(code: int, out: str, err: str) -> str | None:
    if code not in (0, 1, 2):
        return f"exit code {code!r}"
    if "Traceback" in err or "Traceback (most recent call last)" in out:
        return "a traceback was printed"
    if "\x1b" in out or "\x1b" in err or "\x07" in err:
        return "a raw control character reached the terminal"
    if code != 0 and "rlhf-reader: error: " not in err and "usage:" not in err:
        return "failed without an 'rlhf-reader: error:' line"
    return None


def call_bounded(function: Callable[[], int], seconds: float) -> int:
    """``function()`` run in a thread given ``seconds`` to finish; FuzzHang if it does not.

    A thread, not SIGALRM: under pytest-xdist the tests do not run in the main thread. A hung
    call cannot be stopped; its daemon thread is left blocked and the campaign ends there."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = function()
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=target, name="fuzz-case", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise FuzzHang
    if "error" in result:
        raise result["error"]
    return int(result["value"])


# the tests ------------------------------------------------------------------------------


@pytest.fixture
def fuzz_ground(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Pools, dict[str, argparse.ArgumentParser]]]:
    """The file pool, cwd inside it, and the TUI, screenshot and serve's server stubbed."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    from rlhf_reader import cli
    from rlhf_reader.commands import screenshot, serve

    def no_tui(ctx: cli.Context) -> int:
        ctx.catalog, ctx.library  # noqa: B018 - what the TUI loads before its screen opens
        return 0

    class NoServer:
        def serve(self) -> None:  # 'serve' checks its options and files, then listens: not here
            return None

    monkeypatch.setattr(cli, "_open_tui", no_tui)
    monkeypatch.setattr(screenshot, "run_screenshot", no_tui)
    monkeypatch.setattr(serve, "make_server", lambda *args, **kwargs: NoServer())
    # Building the parser is three quarters of a case's time (16 subparsers, gettext look-ups
    # for every help string): build each kind once; parse_args keeps no state between runs.
    parsers = {flag: cli.build_parser(commands=flag) for flag in (True, False)}
    monkeypatch.setattr(cli, "build_parser", lambda commands=True: parsers[commands])
    pools = make_pools(tmp_path)
    monkeypatch.chdir(pools.root)
    parser = parsers[True]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    yield pools, dict(sub.choices)


def campaign(
    pools: Pools, make_argv: Callable[[random.Random], list[str]], seed: int, cases: int
) -> None:
    rng = random.Random(seed)
    failures: list[str] = []
    hangs = 0
    for index in range(cases):
        stdout, stdin, env = odd_environment(rng, pools)
        case = Case(make_argv(rng), stdout, stdin, env)
        problem, code, out, err = run_case(case)
        if problem and problem.startswith("still running"):
            hangs += 1
        if problem:
            failures.append(
                f"seed {seed} case {index}: {problem}\n  argv={case.argv!r}\n  stdout="
                f"{case.stdout} stdin={case.stdin!r} env={case.env}\n  exit {code}\n"
                f"  stderr: {err[-600:]!r}\n  stdout: {out[-300:]!r}"
            )
        if hangs >= MAX_HANGS:
            failures.append(f"stopped after {index + 1} cases: {hangs} hung")
            break
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures[:8])


def test_random_argv_never_tracebacks_or_hangs(fuzz_ground) -> None:
    pools, commands = fuzz_ground
    names = list(commands)
    campaign(pools, lambda rng: random_argv(rng, pools, names), SEED, RANDOM_CASES)


def test_structured_argv_never_tracebacks_or_hangs(fuzz_ground) -> None:
    pools, commands = fuzz_ground
    campaign(pools, lambda rng: structured_argv(rng, pools, commands), SEED + 1, STRUCTURED_CASES)


# what only a real process has ----------------------------------------------------------

CHILD_CASES = [
    # (argv, environment, shell redirection); test_hardening.py has more of these
    (["show", "2404.09932"], {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}, ""),
    (["note", "2404.09932", "-"], {"PYTHONIOENCODING": "ascii:strict"}, "<&-"),
    (["export", "--format", "json"], {"PYTHONIOENCODING": "latin-1"}, "2>&-"),
    (["list", "--json"], {}, ">&- 2>&-"),
]


@pytest.mark.parametrize(("argv", "env", "redirect"), CHILD_CASES)
def test_odd_process_environments(
    tmp_path: Path, argv: list[str], env: dict[str, str], redirect: str
) -> None:
    db = tmp_path / "library.json"
    command = [sys.executable, "-m", "rlhf_reader", "--db", str(db), *argv]
    environ = {**os.environ, "HOME": str(tmp_path), **env}
    for name in ("PYTHONIOENCODING", "LC_ALL", "PYTHONUTF8"):
        if name not in env:
            environ.pop(name, None)
    try:
        result = subprocess.run(
            ["sh", "-c", f'"$@" {redirect}', "sh", *command],
            capture_output=True,
            env=environ,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{argv} {redirect} did not end within 60 s")
    assert result.returncode in (0, 1, 2)
    assert b"Traceback" not in result.stderr and b"Traceback" not in result.stdout
    if ">&-" in redirect.split():
        assert result.returncode == 1
    if result.returncode and "2>&-" not in redirect:
        assert b"rlhf-reader: error: " in result.stderr
