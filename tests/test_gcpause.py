"""gcpause: nested and overlapping pauses leave the collector as they found it."""

from __future__ import annotations

import gc
import threading

from rlhf_reader.gcpause import paused


def test_pauses_nest_and_overlap_across_threads() -> None:
    assert gc.isenabled()
    entered, release = threading.Event(), threading.Event()

    def worker() -> None:
        with paused():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    with paused():
        assert not gc.isenabled()
        thread.start()
        assert entered.wait(5)
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()  # the worker's pause still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    try:
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_cli_gives_the_collector_back(capsys, db_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import run_cli

    code, _out, err = run_cli(capsys, db_path, "stats")
    assert code == 0, err
    assert gc.isenabled()


def test_a_keeping_pause_freezes_what_was_made() -> None:
    before = gc.get_freeze_count()
    with paused(keep=True):
        made = [{"row": i} for i in range(1000)]
        with paused(keep=True):  # an inner pause does not freeze: the outermost one does
            assert gc.get_freeze_count() == before
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(made)
