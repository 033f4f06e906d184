"""``rlhf-reader serve`` in a real headless browser: Chromium (Debian's ``chromium``
package) driven over its DevTools protocol, through the helpers of
``scripts/browser_screenshot.py``. Skipped where no Chromium is installed.

The page loads and draws the app; ``o`` opens the paper in a new tab; ``space`` marks it
read in the library file; ``y`` puts its link on the browser's clipboard; ``e`` then
``ctrl+s`` makes the export arrive as a download in the browser's download folder."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from test_serve import browser_helpers, status_in_file
from tui_helpers import SURVEY, write_list

from rlhf_reader.model import Status

helpers = browser_helpers()
CHROMIUM = helpers.find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed (Debian: apt-get install chromium); the browser test needs it",
)


async def until(condition: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_in_a_real_browser(tmp_path: Path) -> None:
    list_path = write_list(tmp_path)
    db = tmp_path / "library.json"
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    async def drive(url: str) -> dict[str, Any]:
        async with helpers.browser_on(url, tmp_path / "profile", CHROMIUM) as page:
            browser = page.browser
            await browser.send(
                "Browser.setDownloadBehavior",
                {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True},
            )
            await browser.send(
                "Browser.grantPermissions",
                {"origin": url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
            )
            await browser.send("Target.setDiscoverTargets", {"discover": True})
            first_screen = helpers.strip_escapes(await page.screen_text())

            await page.press("o")
            tab = await browser.wait_for_event(
                "Target.targetInfoChanged",
                lambda p: "2312.14925" in p["targetInfo"].get("url", ""),
            )

            await page.press("space")
            await until(lambda: status_in_file(db, SURVEY) is Status.READ, "the paper read")

            await page.press("y")
            await page.wait_for_text("Copied: the link")  # the first-copy dialog
            clipboard = await page.evaluate("navigator.clipboard.readText()")
            # Closing it with escape: a terminal tells an escape key from the start of an
            # escape sequence by the pause after it; "e" at once would arrive as alt+e.
            await page.press("escape")
            await asyncio.sleep(0.5)

            await page.press("e")
            await page.wait_for_text("Export the reading list")
            await page.press("ctrl+s")
            exported = await until(
                lambda: [p for p in downloads.glob("reading-list.md") if p.stat().st_size],
                "the download",
            )
            return {
                "first": first_screen,
                "tab": tab["targetInfo"]["url"],
                "clipboard": clipboard,
                "export": exported[0].read_text(encoding="utf-8"),
            }

    with helpers.Served("--list", str(list_path), "--db", str(db)) as served:
        seen = asyncio.run(drive(served.url))
        code, _, err = served.interrupt()
    assert "Test list" in seen["first"] and "0/5 read" in seen["first"]
    assert seen["tab"] == "https://arxiv.org/abs/2312.14925"
    assert seen["clipboard"] == "https://arxiv.org/abs/2312.14925"
    assert "# Test list" in seen["export"]
    assert "- [x] [A Survey of Reinforcement Learning from Human Feedback]" in seen["export"]
    assert list(downloads.iterdir()) == [downloads / "reading-list.md"]  # nothing partial
    assert not (tmp_path / "reading-list.md").exists()  # nothing written on the server
    assert code == 0 and "Traceback" not in err
