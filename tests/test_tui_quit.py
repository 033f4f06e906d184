"""Quitting while the search index is still being built (issue 17: at 100,000 entries the
build takes seconds): the build runs where it cannot hold up the exit — a daemon thread —
and a build that is abandoned posts nothing."""

from __future__ import annotations

import threading
from pathlib import Path

from tui_helpers import build_app, until, write_list

from rlhf_reader.tui.state import ReadingList


async def test_quitting_does_not_wait_for_the_index(tmp_path: Path, monkeypatch) -> None:
    started, release = threading.Event(), threading.Event()
    daemon: list[bool] = []
    built: list[object] = []

    def slow_build(rows, new_keys=frozenset()):  # type: ignore[no-untyped-def]
        daemon.append(threading.current_thread().daemon)
        started.set()
        release.wait(60)  # a build much longer than the test: only quitting may end it
        built.append(rows)

    monkeypatch.setattr(ReadingList, "build_index", staticmethod(slow_build))
    app = build_app(write_list(tmp_path), tmp_path / "lib.json")
    try:
        async with app.run_test() as pilot:
            assert await until(pilot, started.is_set)
            await pilot.press("q")
        # The interpreter joins a worker's own (executor) thread at exit, so a build there
        # kept a quit at 100,000 entries waiting for seconds; a daemon thread is not joined.
        assert daemon == [True]
        assert not release.is_set() and built == []
    finally:
        release.set()
