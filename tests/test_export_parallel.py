"""Exports formatted on two cores (formats/export_cache.py ``_Maker``, ``parallel.map_parts``):
the same bytes as in one process and as the uncached formatters, whatever fails in a child.

The size from which an export is split (``PARALLEL_ROWS``) is lowered to one row here, and
``RLHF_READER_PROCESSES=2``: a forked child formats part of every export of these small
lists. Real lists and TinyDB libraries in tmp_path (``test_export_cache.Setup``: titles and
authors from a small vocabulary, so that BibTeX keys collide and get suffixes — a row's key
then differs from the base key its child formatted it with).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_export_cache import AUTHORS, DAY, NOW, WORDS, Item, Setup, changes, exports_agree
from test_export_cache import items as item_strategy
from tui_helpers import DPO, build_app, write_list

from rlhf_reader import parallel
from rlhf_reader.formats import export_cache
from rlhf_reader.formats.export import FORMATS, export, export_file, write_export
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Status

PROCESSES = "RLHF_READER_PROCESSES"


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every export split in two parts, the second formatted in a forked child; the list
    holds the number of parts of each ``map_parts`` call (the test checks that there was
    one: a test process with a thread would run everything here). Blocks of four rows on
    average, at most six: a change leaves most of a small list's blocks as they were."""
    monkeypatch.setattr(export_cache, "PARALLEL_ROWS", 1)
    monkeypatch.setattr(export_cache, "BLOCK_BITS", 2)
    monkeypatch.setattr(export_cache, "MAX_BLOCK", 6)
    monkeypatch.setenv(PROCESSES, "2")
    calls: list[int] = []
    real, real_then = parallel.map_parts, parallel.map_parts_then

    def counted(job: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
        calls.append(len(parts) if parallel.processes() > 1 else 0)
        return real(job, parts)

    def counted_then(job: Callable[[Any], Any], parts: Sequence[Any], then: Any) -> Any:
        calls.append(len(parts) if parallel.processes() > 1 else 0)
        return real_then(job, parts, then)

    monkeypatch.setattr(parallel, "map_parts", counted)
    monkeypatch.setattr(parallel, "map_parts_then", counted_then)
    return calls


def items(count: int) -> list[Item]:
    """Papers whose titles, authors and years repeat (base keys shared by many rows), in
    three sections, blog posts (web pages, ``accessed`` today) among them."""
    return [
        Item(
            f"{WORDS[i % 9]} {WORDS[(i * 4) % 9]}",
            (AUTHORS[i % 3],) if i % 7 else (),
            2022 + i % 2,
            0 if i % 11 == 5 else i + 1,
            i % 3,
        )
        for i in range(count)
    ]


def annotate(setup: Setup) -> None:
    """Statuses (a date read for some), tags, notes (with a % sign: the keyed templates
    double it), dates (none for some) and an arXiv record with a title of its own for one
    row; one write each."""
    keys = setup.keys()
    annotations = []
    for i, key in enumerate(keys):
        status = (Status.UNREAD, Status.READ, Status.UNREAD, Status.READING)[i % 4]
        tags = ("dpo", "100%", "x&y") if i % 6 == 0 else ("to-read",) if i % 3 == 0 else ()
        note = f"Note {i}: 50% of it\n# not a heading" if i % 5 == 0 else ""
        read_at = "2024-05-06T07:08:09Z" if status is Status.READ and i % 8 == 1 else None
        # Without a date (every 13th): cited as accessed today, as a web page is.
        created = "" if i % 13 == 0 else "2024-01-02T03:04:05Z"
        annotations.append(Annotation(key, status, tags, note, created, created, read_at))
    setup.library.put_annotations(annotations)
    setup.library.put_metadata(
        {keys[3]: {"arxiv_id": keys[3], "title": "Reward % Models", "authors": ["Ann Lee"]}}
    )


def uncached(setup: Setup, fmt: str, rows: list[Row], additions: dict[str, Any]) -> bytes:
    kwargs: dict[str, Any] = {"additions": additions, "today": setup.day, "now": NOW}
    return export(rows, fmt, title="Test list", **kwargs).encode("utf-8")


def cached_file(setup: Setup, fmt: str, rows: list[Row], additions: dict[str, Any]) -> bytes:
    out = setup.folder / f"out-{fmt}"
    export_file(
        out, rows, fmt, title="Test list", additions=additions, today=setup.day, now=NOW,
        cache_scope=f"{setup.folder}\0{os.environ.get(PROCESSES)}",
    )  # fmt: skip
    return out.read_bytes()


def cached_text(setup: Setup, fmt: str, rows: list[Row], additions: dict[str, Any]) -> bytes:
    text = export(
        rows, fmt, title="Test list", additions=additions, today=setup.day, now=NOW,
        cache_scope=f"{setup.folder}\0{os.environ.get(PROCESSES)}\0text",
    )  # fmt: skip
    return text.encode("utf-8")


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    made = Setup(tmp_path, items(60))
    annotate(made)
    yield made
    made.library.close()


def test_parallel_exports_are_the_serial_and_the_uncached_bytes(
    setup: Setup, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every format, first export (no cache file) and repeated (every block from the
    cache), into a file and as text, split in two: the bytes of one process and of the
    uncached formatters."""
    rows, backup, additions = setup.rows()
    assert len({row.key for row in rows}) > 40
    for fmt in FORMATS:
        chosen = backup if fmt == "json" else rows
        expected = uncached(setup, fmt, chosen, additions)
        monkeypatch.setenv(PROCESSES, "1")
        assert cached_file(setup, fmt, chosen, additions) == expected, fmt
        monkeypatch.setenv(PROCESSES, "2")
        forked.clear()
        assert cached_file(setup, fmt, chosen, additions) == expected, fmt
        assert forked == [2], fmt  # (one split: the whole export, in a child too)
        assert export_cache.last.made == export_cache.last.rows and export_cache.last.written
        assert cached_text(setup, fmt, chosen, additions) == expected, fmt
        # The cache file the parallel export wrote: the next export takes every block from it.
        forked.clear()
        assert cached_file(setup, fmt, chosen, additions) == expected, fmt
        assert export_cache.last.reused == export_cache.last.rows > 0, fmt
        assert export_cache.last.made == 0 and not forked, fmt


def _cache_file_of(setup: Setup, fmt: str, processes: str, monkeypatch: Any) -> bytes:
    """The bytes of the cache file a first export of ``fmt`` writes with ``processes``."""
    rows, backup, additions = setup.rows()
    chosen = backup if fmt == "json" else rows
    monkeypatch.setenv(PROCESSES, processes)
    shutil.rmtree(export_cache.cache_dir(), ignore_errors=True)
    export_file(
        setup.folder / f"out-{fmt}", chosen, fmt, title="Test list", additions=additions,
        today=setup.day, now=NOW, cache_scope=str(setup.folder),
    )  # fmt: skip
    (path,) = export_cache.cache_dir().glob("*.cache")
    return path.read_bytes()


def test_digests_taken_by_the_child_after_its_part(
    setup: Setup, forked: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Split, a first export's blocks are made without their digests; the child takes
    them all once it has sent its blocks (only the cache file needs them): the cache file
    is the one a single process writes, byte for byte, in every format."""
    takers = tmp_path / "takers"
    real = export_cache._Maker.digests_of

    def noted(self: Any, ranges: Any) -> Any:
        with takers.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return real(self, ranges)

    monkeypatch.setattr(export_cache._Maker, "digests_of", noted)
    for fmt in FORMATS:
        alone = _cache_file_of(setup, fmt, "1", monkeypatch)
        assert not takers.exists(), fmt  # (one process: with each block)
        forked.clear()
        assert _cache_file_of(setup, fmt, "2", monkeypatch) == alone, fmt
        assert forked == [2], fmt
        assert [int(pid) for pid in takers.read_text().split()] != [os.getpid()], fmt
        takers.unlink()


def test_a_child_that_dies_before_the_digests_costs_time_only(
    setup: Setup, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child killed after it sent its blocks, while it takes the digests: they are
    taken here when the cache file is written; the same export and cache file."""
    real = export_cache._Maker.digests_of

    def dying_in_child(self: Any, ranges: Any) -> Any:
        if parallel._in_child:
            os.kill(os.getpid(), 9)
        return real(self, ranges)

    alone = _cache_file_of(setup, "csl-json", "1", monkeypatch)
    monkeypatch.setattr(export_cache._Maker, "digests_of", dying_in_child)
    forked.clear()
    assert _cache_file_of(setup, "csl-json", "2", monkeypatch) == alone
    assert forked == [2]
    rows, _backup, additions = setup.rows()
    assert (setup.folder / "out-csl-json").read_bytes() == uncached(
        setup, "csl-json", rows, additions
    )
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left


def test_keys_that_differ_from_the_base_keys_the_child_formatted_with(
    setup: Setup, forked: list[int]
) -> None:
    """A row's BibTeX key depends on every row before it (a base key given already gets a
    suffix): a change above makes the keys of the rows after it move. The blocks made
    again and those reused get the keys of the uncached export."""
    for step in range(3):
        rows, _backup, additions = setup.rows()
        for fmt in ("bibtex", "ris", "csl-json"):
            expected = uncached(setup, fmt, rows, additions)
            assert cached_file(setup, fmt, rows, additions) == expected, (step, fmt)
            assert b"lee2023directa" in expected or fmt != "bibtex"
        keys = setup.keys()
        if step == 0:  # a title fetched for an early row: the suffixes after it move
            setup.library.put_metadata({keys[1]: {"arxiv_id": keys[1], "title": "Direct"}})
        else:  # a row inserted at the top of the list
            setup.apply(("insert", 0, Item("Direct Direct", ("Ann Lee",), 2023, 29, 0)))


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    listed=st.lists(item_strategy, min_size=4, max_size=14),
    steps=st.lists(st.lists(changes, min_size=1, max_size=3), min_size=1, max_size=3),
)
def test_random_changes_between_parallel_exports(
    tmp_path: Path,
    forked: list[int],
    listed: list[Item],
    steps: list[list[tuple[str, Any, Any]]],
) -> None:
    """``test_export_cache``'s random changes between exports, every export split in two:
    every format, filtered or not, cached, is the uncached text."""
    folder = Path(os.path.realpath(tmp_path)) / f"case-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    setup = Setup(folder, list(listed))
    try:
        exports_agree(setup, str(folder))
        for group in steps:
            for change in group:
                setup.apply(change)
            exports_agree(setup, str(folder))
    finally:
        setup.library.close()
    assert 2 in forked


def test_a_web_page_accessed_today_in_a_childs_part(setup: Setup, forked: list[int]) -> None:
    """A blog post without a date is cited as accessed today: a block made in a child
    says so (its cached record is used on that day only)."""
    rows, _backup, additions = setup.rows()
    for fmt in ("bibtex", "ris", "csl-json"):
        first = cached_file(setup, fmt, rows, additions)
        assert first == uncached(setup, fmt, rows, additions)
        setup.day = date(2025, 4, 1)
        later = cached_file(setup, fmt, rows, additions)
        assert later == uncached(setup, fmt, rows, additions) != first
        assert 0 < export_cache.last.made < export_cache.last.rows
        setup.day = DAY


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failing_child_costs_time_only(
    setup: Setup, forked: list[int], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A child whose formatting raises (only in the child): its part is formatted here,
    the file is right, and the cache file it leaves is used by the next export."""
    real = export_cache._Maker.job

    def failing_in_child(self: Any, ranges: Any) -> Any:
        if parallel._in_child:
            raise RuntimeError("only in the child")
        return real(self, ranges)

    monkeypatch.setattr(export_cache._Maker, "job", failing_in_child)
    rows, backup, additions = setup.rows()
    chosen = backup if fmt == "json" else rows
    expected = uncached(setup, fmt, chosen, additions)
    assert cached_file(setup, fmt, chosen, additions) == expected
    assert forked == [2] and export_cache.last.written
    assert cached_file(setup, fmt, chosen, additions) == expected
    assert export_cache.last.reused == export_cache.last.rows


def test_a_child_killed_costs_time_only(
    setup: Setup, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that dies (a signal, as the out-of-memory killer sends): the same."""
    real = export_cache._Maker.job

    def dying_in_child(self: Any, ranges: Any) -> Any:
        if parallel._in_child:
            os.kill(os.getpid(), 9)
        return real(self, ranges)

    monkeypatch.setattr(export_cache._Maker, "job", dying_in_child)
    rows, _backup, additions = setup.rows()
    expected = uncached(setup, "ris", rows, additions)
    assert cached_file(setup, "ris", rows, additions) == expected


def test_the_parts_have_nearly_the_same_rows() -> None:
    ranges = [(0, 5), (5, 6), (6, 40), (40, 41), (41, 60), (60, 64)]
    for count in (1, 2, 3, 4):
        parts = export_cache._balanced(ranges, count, 64)
        assert [block for part in parts for block in part] == ranges  # in order, all
        assert len(parts) <= count and all(parts)
    assert export_cache._balanced(ranges, 2, 64) == [ranges[:3], ranges[3:]]
    assert export_cache._balanced([(0, 3)], 2, 3) == [[(0, 3)]]


def test_small_exports_stay_in_one_process(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROCESSES, "2")
    calls: list[int] = []
    monkeypatch.setattr(parallel, "map_parts", lambda job, parts: calls.append(1))
    monkeypatch.setattr(parallel, "map_parts_then", lambda job, parts, then: calls.append(1))
    rows, _backup, additions = setup.rows()
    assert len(rows) < export_cache.PARALLEL_ROWS
    assert cached_file(setup, "bibtex", rows, additions) == uncached(setup, "bibtex", rows, {})
    assert not calls


def without_stamp(text: str) -> str:
    """The JSON backup without its ``exported_at`` line (the time of the export)."""
    return "".join(line for line in text.splitlines(True) if '"exported_at"' not in line)


def test_the_cli_export_split_in_two(
    tmp_path: Path,
    forked: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``rlhf-reader export`` of every format, to a file and to stdout, whole and
    filtered, with no cache file: the bytes of ``RLHF_READER_PROCESSES=1``; the export after
    it reuses the cache file the parallel one wrote."""
    setup = Setup(tmp_path, items(45))
    annotate(setup)
    setup.library.close()
    db = setup.library.path
    for fmt in FORMATS:
        filtered = [["--status", "read"]]
        if fmt == "bibtex":
            filtered += [["--tag", "dpo"], ["--search", "reward"]]
        for filters in ([], *filtered):
            command = ["--list", str(setup.list_path), "export", "-f", fmt, *filters]
            outputs: dict[str, set[tuple[str, str]]] = {}
            for processes, cold in (("1", True), ("2", True), ("2", False)):
                monkeypatch.setenv(PROCESSES, processes)
                if cold:  # (the -o and the stdout export share one cache file)
                    shutil.rmtree(export_cache.cache_dir(), ignore_errors=True)
                out = tmp_path / f"cli-{fmt}-{processes}"
                code, _, err = run_cli(capsys, db, *command, "-o", str(out))
                assert code == 0, err
                text = ""
                if not filters:  # to stdout (the export cache's text, not its bytes)
                    code, text, err = run_cli(capsys, db, *command)
                    assert code == 0, err
                data = out.read_text(encoding="utf-8")
                outputs.setdefault(processes, set()).add((without_stamp(data), without_stamp(text)))
            assert len(outputs["2"]) == 1 and outputs["1"] == outputs["2"], (fmt, filters)
            assert export_cache.last.reused == export_cache.last.rows, (fmt, filters)
    assert forked and set(forked) == {2}


async def test_the_tuis_export_runs_in_one_process_and_writes_the_same_bytes(
    tmp_path: Path,
    forked: list[int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The TUI exports in a worker thread: ``parallel`` forks no child there (a lock held
    by another thread would stay held in the child), and the file is the CLI's."""
    from textual.widgets import Input, Select

    from rlhf_reader.tui.screens.export import ExportDialog

    list_path = write_list(tmp_path)
    db = tmp_path / "library.json"
    code, _, err = run_cli(capsys, db, "--list", str(list_path), "tag", DPO, "dpo%")
    assert code == 0, err
    seen: list[int] = []
    real_make = export_cache._Maker.make

    def make(self: Any, ranges: Any) -> Any:
        seen.append(parallel.processes())
        return real_make(self, ranges)

    monkeypatch.setattr(export_cache._Maker, "make", make)
    app = build_app(list_path, db)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one(Select).value = "bibtex"
        await pilot.pause()
        path_input = dialog.query_one("#export-path", Input)
        path_input.value = str(tmp_path / "tui.bib")
        path_input.focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert seen and set(seen) == {1}  # (the worker's thread: no fork)
    assert not forked
    out = tmp_path / "cli.bib"
    code, _, err = run_cli(capsys, db, "--list", str(list_path), "export", "-o", str(out))
    assert code == 0, err
    assert (tmp_path / "tui.bib").read_bytes() == out.read_bytes()


def test_write_export_in_a_thread_is_the_serial_export(setup: Setup, forked: list[int]) -> None:
    """``write_export`` (the TUI's) from a thread, every format: the uncached bytes."""
    rows, _backup, additions = setup.rows()
    results: dict[str, bytes] = {}

    def work() -> None:
        for fmt in FORMATS:
            path, _count = write_export(
                setup.folder / f"t-{fmt}", rows, fmt, title="Test list", additions=additions,
                cache="thread",
            )  # fmt: skip
            results[fmt] = path.read_bytes()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert not forked
    for fmt in FORMATS:
        expected = export(rows, fmt, title="Test list", additions=additions)
        if fmt == "json":
            continue  # (exported_at: now)
        assert results[fmt] == expected.encode("utf-8"), fmt
