"""Switching lists in the TUI (``L``): what runs in the worker, what on the UI thread.

``python bench/bench_lists.py [ENTRIES]``: a library following the bundled list, opendilab's
(``tests/data``) and a generated list of ENTRIES (default 10,000) papers. For each target
(a list, or All lists) it times, median of 5, with the parsed-list cache cold for the first
run only (``~/.cache`` of a temporary HOME):

- the worker's part, as ``screens.lists.open_list`` does it: the ``Workspace`` /
  ``AllLists`` read (list parsed, library read, reader's sections built), its
  ``ReadingList`` built, and ``keys_by_list`` + ``listings_by_key`` (``list:NAME``, "Also
  in");
- the UI thread's part: the main screen's ``ListOpened`` handler, timed in the real app
  (``run_test``), switching through ``L`` between the three, 5 rounds;
- ``progress_by_list`` (the chooser's and the dashboard's worker).
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
HOME = Path(tempfile.mkdtemp())
os.environ["XDG_CACHE_HOME"] = str(HOME / "cache")  # a cold cache, not the user's

from genlist import make_list  # noqa: E402

from rlhf_reader.library.store import Library  # noqa: E402
from rlhf_reader.lists import registry  # noqa: E402
from rlhf_reader.lists.views import (  # noqa: E402
    AllLists,
    keys_by_list,
    listings_by_key,
    progress_by_list,
)
from rlhf_reader.tui.state import ReadingList  # noqa: E402
from rlhf_reader.workspace import Workspace  # noqa: E402

OPENDILAB = ROOT / "tests" / "data" / "opendilab_awesome-RLHF_README.md"
RUNS = 5


def timed(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    db = HOME / "data" / "library.json"
    db.parent.mkdir(parents=True)
    library = Library.open(db)
    registry.add(library, db, "opendilab", OPENDILAB.read_bytes(), str(OPENDILAB), "now")
    big = make_list(entries, 100).encode()
    registry.add(library, db, "generated", big, "bench/genlist.py", "now")
    library.close()

    folder = registry.lists_folder(db)
    targets: list[tuple[str, Callable[[], Workspace]]] = [
        ("opendilab (170 entries)", lambda: Workspace(folder / "opendilab.md", db)),
        (f"generated ({entries:,} entries)", lambda: Workspace(folder / "generated.md", db)),
        ("All lists", lambda: AllLists(None, db)),
    ]
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("| switch to | worker: read the list, make the view | worker: the lists' keys |")
    print("| --- | --- | --- |")
    for label, make in targets:
        reads, keys, cold = [], [], None
        for run in range(RUNS):
            workspace = make()
            ms, _ = timed(lambda w=workspace: ReadingList.of(w))
            ms_keys, _ = timed(lambda w=workspace: (keys_by_list(w), listings_by_key(w)))
            if run == 0:
                cold = (ms, ms_keys)
            reads.append(ms)
            keys.append(ms_keys)
            workspace.library.close()
        assert cold is not None
        print(
            f"| {label} | {statistics.median(reads):.0f} ms (first, cache cold: {cold[0]:.0f} ms) "
            f"| {statistics.median(keys):.0f} ms (first: {cold[1]:.0f} ms) |"
        )
    workspace = Workspace(None, db)
    workspace.catalog  # noqa: B018
    ms_progress = statistics.median(timed(lambda: progress_by_list(workspace))[0] for _ in "12345")
    ms_where = statistics.median(timed(lambda: listings_by_key(workspace))[0] for _ in "12345")
    print(f"\nprogress_by_list (3 lists): {ms_progress:.0f} ms; listings_by_key: {ms_where:.0f} ms")
    handler = asyncio.run(ui_thread(db))
    print("\nUI thread, the ListOpened handler (median of 5 switches each):")
    for name, values in handler.items():
        print(f"- to {name}: {statistics.median(values):.1f} ms (max {max(values):.1f} ms)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


async def ui_thread(db: Path) -> dict[str, list[float]]:
    """Switch with ``L`` in the real app; the handler's time on the UI thread."""
    from rlhf_reader.lists.views import AllLists
    from rlhf_reader.tui import messages
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.tui.screens.lists import ListChooser
    from rlhf_reader.tui.screens.main import MainScreen
    from rlhf_reader.tui.state import ALL_VIEW

    took: dict[str, list[float]] = {}
    handlers = MainScreen._decorated_handlers[messages.ListOpened]  # a bench may peek
    (handler, selectors) = handlers[0]

    def measured(self: MainScreen, event: messages.ListOpened) -> None:
        start = time.perf_counter()
        handler(self, event)
        name = "All lists" if isinstance(event.workspace, AllLists) else event.workspace.list_name
        took.setdefault(str(name), []).append((time.perf_counter() - start) * 1000)

    handlers[0] = (measured, selectors)
    app = make_app(Workspace.open(None, db))
    async with app.run_test(size=(120, 36)) as pilot:
        main = app.main_screen
        for _ in range(RUNS):
            for choice in ("opendilab", "generated", ALL_VIEW, "awesome-rlhf"):
                await pilot.press("L")
                while not isinstance(app.screen, ListChooser):
                    await pilot.pause(0.01)
                options = app.screen.query_one("OptionList")
                options.highlighted = options.get_option_index(choice)  # type: ignore[attr-defined]
                seen = main.workspace
                await pilot.press("enter")
                while main.workspace is seen:
                    await pilot.pause(0.01)
    handlers[0] = (handler, selectors)
    return took


if __name__ == "__main__":
    main()
