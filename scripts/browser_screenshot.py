"""The reader in a real browser: headless Chromium driven over the DevTools protocol.

    .venv/bin/python scripts/browser_screenshot.py [screenshots/browser.png]

starts ``rlhf-reader serve`` on a free loopback port (a throw-away library under a temporary
folder, the bundled list), opens the page in headless Chromium (Debian: ``apt-get install
chromium``), marks the first paper read, moves down to the second, and saves a PNG of the
page. Needs the ``serve`` extra; no other dependency: the DevTools protocol is spoken over a
websocket with aiohttp, which textual-serve already brings.

``tests/test_serve_browser.py`` drives the browser through the same helpers (:class:`Served`,
:class:`Chromium`, :class:`Page`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 60.0  # seconds any one wait may take before it fails

# Installed before the page's own script: every byte the app sends to the page is also
# decoded into window.__screen, so a test can wait for text to appear on the terminal
# (xterm.js draws on a canvas; the DOM holds no text).
RECORD_SCREEN = """
(() => {
  const Native = window.WebSocket;
  window.__screen = "";
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const decoder = new TextDecoder();
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") {
          const text = decoder.decode(event.data, { stream: true });
          window.__screen = (window.__screen + text).slice(-500000);
        }
      });
    }
  };
})();
"""

# Key name -> what Chromium's Input.dispatchKeyEvent needs to type it.
KEYS: dict[str, dict[str, Any]] = {
    "space": {"key": " ", "code": "Space", "text": " ", "windowsVirtualKeyCode": 32},
    "down": {"key": "ArrowDown", "code": "ArrowDown", "windowsVirtualKeyCode": 40},
    "up": {"key": "ArrowUp", "code": "ArrowUp", "windowsVirtualKeyCode": 38},
    "enter": {"key": "Enter", "code": "Enter", "text": "\r", "windowsVirtualKeyCode": 13},
    "escape": {"key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27},
    "tab": {"key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9},
}


def key_event(name: str) -> dict[str, Any]:
    """``"e"``, ``"space"``, ``"ctrl+s"`` → the fields of a keyDown event."""
    modifiers = 0
    if name.startswith("ctrl+"):
        modifiers, name = 2, name[5:]
    if name in KEYS:
        event = dict(KEYS[name])
    elif len(name) == 1:
        upper = name.upper()
        code = f"Key{upper}" if name.isalpha() else f"Digit{name}" if name.isdigit() else ""
        event = {"key": name, "code": code, "text": name, "windowsVirtualKeyCode": ord(upper)}
    else:
        raise ValueError(f"unknown key {name!r}")
    if modifiers:
        event.pop("text", None)
        event["modifiers"] = modifiers
    return event


def drain(stream: Any) -> None:
    for _ in stream:
        pass


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``rlhf-reader serve`` in a process of its own (its own process group, so a ctrl+C can
    be sent to it and its app processes alone); always stopped on leaving the block."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "rlhf_reader", *args, "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=os.name == "posix",
        )
        self.banner: list[str] = []

    def __enter__(self) -> Served:
        try:
            self.wait_until_listening()
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def wait_until_listening(self) -> None:
        """Read the banner (the line with the URL), then wait for the port to answer."""
        assert self.process.stdout is not None
        for _ in range(2):
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"serve ended: {self.output()}")
            self.banner.append(line.rstrip("\n"))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise TimeoutError(f"serve is not listening on {self.port}")

    def interrupt(self, timeout: float = TIMEOUT) -> tuple[int, str, str]:
        """ctrl+C as a terminal sends it (to the whole group); exit code, stdout, stderr."""
        if os.name == "posix":
            os.killpg(self.process.pid, signal.SIGINT)
        else:  # pragma: no cover
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    def output(self) -> str:
        with contextlib.suppress(Exception):
            out, err = self.process.communicate(timeout=5)
            return f"{out}\n{err}"
        return ""

    def kill(self) -> None:
        if self.process.poll() is None:
            if os.name == "posix":
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
            else:  # pragma: no cover
                self.process.kill()
        with contextlib.suppress(Exception):
            self.process.communicate(timeout=10)


class Chromium:
    """Headless Chromium with a DevTools websocket; every request goes to 127.0.0.1 only
    (any other host name fails to resolve, so the page's web font is not fetched)."""

    def __init__(self, binary: str, profile: Path, size: tuple[int, int] = (1280, 800)) -> None:
        self.binary, self.profile, self.size = binary, profile, size
        self.process: subprocess.Popen[str] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Chromium:
        width, height = self.size
        args = [
            self.binary,
            "--headless=new",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            url = await asyncio.wait_for(asyncio.to_thread(self._devtools_url), TIMEOUT)
            self.session = aiohttp.ClientSession()
            self.socket = await self.session.ws_connect(url, max_msg_size=0)
            self.reader = asyncio.create_task(self._read())
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _devtools_url(self) -> str:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                # Keep draining stderr, or Chromium blocks once the pipe is full.
                threading.Thread(target=drain, args=(self.process.stderr,), daemon=True).start()
                return found.group(1)
        raise RuntimeError("Chromium ended before its DevTools port opened")

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        if self.socket is not None:
            await self.socket.close()
        if self.session is not None:
            await self.session.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                await asyncio.to_thread(self.process.wait, 10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)

    async def _read(self) -> None:
        assert self.socket is not None
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self.pending.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                if "error" in data:
                    future.set_exception(RuntimeError(f"DevTools: {data['error']}"))
                else:
                    future.set_result(data.get("result", {}))
            elif "method" in data:
                self.events.append(data)

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        assert self.socket is not None
        ident = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self.socket.send_str(json.dumps(message))
        return await asyncio.wait_for(future, TIMEOUT)

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.send("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_SCREEN})
        width, height = self.size
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        await page.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        return page

    async def wait_for_event(self, method: str, test: Any = None) -> dict[str, Any]:
        """The first event ``method`` (already received or to come) that ``test`` accepts."""
        seen = 0
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for event in self.events[seen:]:
                if event["method"] == method and (test is None or test(event["params"])):
                    return event["params"]
            seen = len(self.events)
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no {method} event")


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser, self.session = browser, session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, self.session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def open(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})

    async def screen_text(self) -> str:
        return str(await self.evaluate("window.__screen || ''"))

    async def wait_for_text(self, text: str) -> None:
        """Until ``text`` has been drawn on the terminal (escape sequences taken out)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if text in strip_escapes(await self.screen_text()):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{text!r} never appeared on the page")

    async def focus_terminal(self) -> None:
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")

    async def press(self, *names: str) -> None:
        for name in names:
            event = key_event(name)
            down = "keyDown" if "text" in event else "rawKeyDown"
            await self.send("Input.dispatchKeyEvent", {"type": down, **event})
            up = {k: v for k, v in event.items() if k != "text"}
            await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **up})

    async def screenshot(self) -> bytes:
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(shot["data"])


def strip_escapes(text: str) -> str:
    """Terminal output without its control sequences (CSI, OSC, single escapes)."""
    text = re.sub(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", "", text)
    text = re.sub(r"\x1b\[[0-9;?<>=$ ]*[@-~]", "", text)
    return re.sub(r"\x1b.", "", text)


@contextlib.contextmanager
def library_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rlhf-reader-browser-") as folder:
        yield Path(folder)


@contextlib.asynccontextmanager
async def browser_on(url: str, profile: Path, binary: str | None = None) -> AsyncIterator[Page]:
    """A page of headless Chromium showing ``url``, once the app's first screen is drawn."""
    binary = binary or find_chromium()
    if binary is None:
        raise RuntimeError("no Chromium found (Debian: apt-get install chromium)")
    async with Chromium(binary, profile) as browser:
        page = await browser.new_page()
        await page.open(url)
        await page.wait_for_text("read")
        await page.focus_terminal()
        yield page


async def shoot(out: Path, keys: Sequence[str]) -> None:
    with library_folder() as folder:
        env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data")}
        env.pop("RLHF_READER_LIST", None)
        db = folder / "library.json"
        with Served("--db", str(db), env=env) as served:
            async with browser_on(served.url, folder / "chromium") as page:
                await page.press(*keys)
                # Wait for the app to have drawn what the keys did: the header's count.
                await page.wait_for_text("1/")
                await asyncio.sleep(1.0)  # the notification's slide-in, for the picture only
                out.write_bytes(await page.screenshot())
    print(f"wrote {out}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Path(argv[0] if argv else REPO / "screenshots" / "browser.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(out, ["space", "down"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
