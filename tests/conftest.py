"""Shared fixtures. Every test runs with its own HOME, data, config and cache folders, so
nothing can touch the user's real library, and with the real clipboard switched off."""

from __future__ import annotations

import gc
import os
import sys
from itertools import islice
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUNDLED_LIST = REPO / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"
TEST_DATA = Path(__file__).resolve().parent / "data"

# The fake arXiv API (fixture `arxiv_server`), for every test module.
pytest_plugins = ["arxiv_server", "https_server", "pdf_server"]


# Speed of the suite (issue 10: under 2 minutes on 2 cores) -----------------------------------
#
# Compiled modules are kept between runs. With PYTHONDONTWRITEBYTECODE=1 in the environment,
# every run (each xdist worker, and each of the ~200 CLI child processes the tests start)
# compiled the project's modules from source and pytest re-wrote every test module's asserts:
# half of each worker's collection time. The bytecode goes where Python keeps it by default,
# the __pycache__ folders (git-ignored); the installed packages have theirs already.
# RLHF_READER_TEST_PYCACHE=0 leaves the environment's choice alone.
if sys.dont_write_bytecode and os.environ.get("RLHF_READER_TEST_PYCACHE", "1") != "0":
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # the child processes too

# Tests that mostly wait (a 20 s concurrency loop, a browser, shells, child processes) start
# first, so that their waiting overlaps other tests instead of ending the run with one of them
# alone. Matched against the start of the node id; names no longer there match nothing.
START_FIRST = (
    "tests/test_tui_concurrent.py::",
    "tests/test_serve_browser.py::",
    "tests/test_cli_usability.py::test_zsh_",
    "tests/test_cli_usability.py::test_fish_",
    "tests/test_cli_usability.py::test_bash_",
    "tests/test_sync.py::test_two_processes",
    "tests/test_store_processes.py::",
    "tests/test_cli_fuzz.py::",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the run for ``--dist worksteal`` (pyproject's addopts): it hands each worker one
    contiguous share of the collection, so the waiting tests are dealt out one per share, at
    its start, instead of all landing in the first worker's share one after the other."""

    def rank(item: pytest.Item) -> int:
        for index, prefix in enumerate(START_FIRST):
            if item.nodeid.startswith(prefix):
                return index
        return len(START_FIRST)

    items.sort(key=rank)  # stable: the rest keeps its order
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    waiting = [item for item in items if rank(item) < len(START_FIRST)]
    if workers < 2 or not waiting:
        return
    rest = iter(items[len(waiting) :])
    shares: list[list[pytest.Item]] = [waiting[i::workers] for i in range(workers)]
    remaining = len(items)
    ordered: list[pytest.Item] = []
    for index, share in enumerate(shares):
        size = remaining // (workers - index)  # what worksteal's first deal gives this worker
        remaining -= size
        ordered += share
        ordered += islice(rest, max(0, size - len(share)))
    ordered += list(rest)
    assert len(ordered) == len(items)
    items[:] = ordered


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules and data loaded by the collection live as long as the run: moved out of
    the cyclic garbage collector's way (gc.freeze), whose full passes over them cost about a
    sixth of the Pilot tests' CPU time. Collection is also made less frequent."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name, sub in (
        ("HOME", ""),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    for name in (
        "RLHF_READER_LIST",
        "RLHF_READER_DB",
        "RLHF_READER_ARXIV_URL",
        "DISPLAY",
        "WAYLAND_DISPLAY",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def no_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    """`update` without --from goes to upstream: in tests, a closed port on 127.0.0.1."""
    from rlhf_reader.lists import listsource

    monkeypatch.setattr(listsource, "UPSTREAM_URL", "https://127.0.0.1:9/awesome-rlhf/README.md")


@pytest.fixture(autouse=True)
def no_real_clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pyperclip writes into this list instead of the machine's clipboard."""
    copied: list[str] = []
    try:
        import pyperclip
    except ImportError:  # pragma: no cover - pyperclip is a dependency
        return copied
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    monkeypatch.setattr(pyperclip, "paste", lambda: copied[-1] if copied else "")
    return copied


@pytest.fixture(autouse=True)
def no_real_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``webbrowser.open`` (what Textual's ``App.open_url`` calls in a terminal) records the URL
    instead of starting the machine's browser: without a browser it tried xdg-open, www-browser
    and the rest for seconds per call."""
    import webbrowser

    opened: list[str] = []

    def record(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", record)
    monkeypatch.setattr(webbrowser, "open_new_tab", record)
    return opened


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.json"


def run_cli(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """Run ``rlhf-reader --db DB ARGS…`` in-process: (exit code, stdout, stderr)."""
    from rlhf_reader.cli import main

    try:
        code = main(["--db", str(db), *args])
    except SystemExit as exc:  # argparse: --help and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def both_ways(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
    *args: str,
) -> tuple[tuple[int, str, str], bytes]:
    """``run_cli`` on a copy of ``db`` with two processes (a big file read in parts) and
    with one: the same output and library asserted; (exit code, stdout, stderr), library."""
    import shutil

    from rlhf_reader import parallel

    results = []
    for processes in ("2", "1"):
        monkeypatch.setenv(parallel.ENV, processes)
        work = db.with_name(f"work-{processes}.json")
        shutil.copyfile(db, work)
        results.append((run_cli(capsys, work, *args), work.read_bytes()))
    assert results[0] == results[1]
    return results[0]
