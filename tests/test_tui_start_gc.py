"""The cyclic collector is paused while the window starts and back at its first frame, with
what the start made frozen and the youngest generation collected less often while the window
runs (``tui.app.run``; issue 17, the bundled list's time until idle and the cursor's moves)."""

from __future__ import annotations

import gc
from contextlib import ExitStack
from pathlib import Path

import pytest

from rlhf_reader.gcpause import paused
from rlhf_reader.tui.app import YOUNG_COLLECTED_AFTER, ReaderApp, run
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.workspace import Workspace
from tests.tui_helpers import build_app, write_list


async def test_the_pause_begun_before_the_start_ends_at_the_first_frame(
    tmp_path: Path, db_path: Path
) -> None:
    app = build_app(write_list(tmp_path), db_path)
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    app.start_pause = ExitStack()
    app.start_pause.enter_context(paused())  # as run() and the CLI do
    try:
        assert not gc.isenabled()
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > frozen  # the screen's objects: frozen
            assert gc.get_threshold() == (YOUNG_COLLECTED_AFTER, *thresholds[1:])
            tree = app.main_screen.catalog_tree
            line = tree.cursor_line
            await pilot.press("down")  # the window works as before
            assert tree.cursor_line == line + 1
        assert app.start_pause is None
    finally:
        app.end_start_pause(freeze=False)
        gc.set_threshold(*thresholds)
    assert gc.isenabled()


async def test_without_a_pause_the_first_frame_leaves_the_collector_on(
    tmp_path: Path, db_path: Path
) -> None:
    app = build_app(write_list(tmp_path), db_path)  # tests and the screenshot: no pause
    thresholds = gc.get_threshold()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        assert gc.get_threshold() == thresholds
        assert app.start_pause is None
        app.end_start_pause(freeze=False)  # as run() does at the end: nothing to end
        assert gc.isenabled()


def test_run_pauses_the_collector_until_the_first_frame(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bool] = {}
    ready = ReaderApp.on_ready

    def on_ready(self: ReaderApp) -> None:
        seen["before"] = gc.isenabled()
        ready(self)
        seen["after"] = gc.isenabled()
        seen["young"] = gc.get_threshold()[0] == YOUNG_COLLECTED_AFTER
        self.exit()

    def compose(self: MainScreen):  # type: ignore[no-untyped-def]
        seen["compose"] = gc.isenabled()
        return original_compose(self)

    original_compose = MainScreen.compose
    monkeypatch.setattr(ReaderApp, "on_ready", on_ready)
    monkeypatch.setattr(MainScreen, "compose", compose)
    workspace = Workspace.open(write_list(tmp_path), db_path)
    thresholds = gc.get_threshold()
    assert run(workspace, headless=True) == 0
    assert seen == {"compose": False, "before": False, "after": True, "young": True}
    assert gc.isenabled()
    assert gc.get_threshold() == thresholds  # as they were once the window is closed


def test_run_turns_the_collector_back_on_when_the_start_fails(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: ReaderApp):  # type: ignore[no-untyped-def]
        raise RuntimeError("no screen")

    monkeypatch.setattr(ReaderApp, "get_default_screen", broken)
    workspace = Workspace.open(write_list(tmp_path), db_path)
    frozen = gc.get_freeze_count()
    run(workspace, headless=True)
    assert gc.isenabled()
    assert gc.get_freeze_count() <= frozen  # nothing frozen for a start that failed
