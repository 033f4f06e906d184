"""``rlhf-reader serve``: the command, its safety rules, a real server answering a websocket
client on 127.0.0.1, and the app's browser behaviour (downloads, tabs, the browser's
clipboard) through Pilot with the app told it runs on the web."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import shlex
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO, run_cli
from textual.widgets import Input, Select, Static
from tui_helpers import SURVEY, build_app, stored, write_list

from rlhf_reader.commands import serve
from rlhf_reader.model import Status
from rlhf_reader.tui.app import ReaderApp
from rlhf_reader.tui.screens.copying import CopiedText
from rlhf_reader.tui.screens.export import ExportDialog

SIZE = (120, 36)
# A folder name the shell would take apart if the served command were not quoted.
ODD_FOLDER = "my list's folder; $HOME & `echo x` (1)"


def browser_helpers() -> ModuleType:
    """scripts/browser_screenshot.py: the serve process and the browser helpers."""
    pytest.importorskip("textual_serve", reason="the 'serve' extra is not installed")
    path = REPO / "scripts" / "browser_screenshot.py"
    spec = importlib.util.spec_from_file_location("browser_screenshot", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


def odd_files(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / ODD_FOLDER
    folder.mkdir()
    return write_list(folder), folder / "my library.json"


def wait_until(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def status_in_file(db: Path, key: str) -> Status | None:
    if not db.exists():
        return None
    try:
        return stored(db, key).status
    except Exception:  # the file is being replaced right now: ask again
        return None


# the rules, without a server ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("localhost", True),
        ("LocalHost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
        ("localhost.example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("request_host", "public", "allowed"),
    [
        ("127.0.0.1:8000", False, True),
        ("localhost:8000", False, True),
        ("[::1]:8000", False, True),
        ("localhost", False, True),
        ("evil.example:8000", False, False),  # a name resolved to 127.0.0.1 by a web page
        ("127.0.0.1.nip.io:8000", False, False),
        ("", False, False),
        (None, False, False),
        ("laptop.local:8000", True, True),
    ],
)
def test_host_header_rule(request_host: str | None, public: bool, allowed: bool) -> None:
    assert serve.host_allowed(request_host, "127.0.0.1", public) is allowed


def test_origin_rule() -> None:
    assert serve.origin_allowed("http://127.0.0.1:8000", "http", "127.0.0.1:8000")
    assert serve.origin_allowed(None, "http", "127.0.0.1:8000")  # not a page: no Origin
    assert not serve.origin_allowed("http://evil.example", "http", "127.0.0.1:8000")
    assert not serve.origin_allowed("https://127.0.0.1:8000", "http", "127.0.0.1:8000")


def test_app_command_is_quoted_for_the_shell(tmp_path: Path) -> None:
    list_path, db = odd_files(tmp_path)
    python = str(tmp_path / "a python" / "bin" / "python3")
    command = serve.app_command(list_path, db, python=python, windows=False)
    assert shlex.split(command) == [
        "exec",
        python,
        "-m",
        "rlhf_reader",
        "--list",
        str(list_path),
        "--db",
        str(db),
    ]
    # No list named: the app resolves the default list itself, as the terminal app does.
    assert "--list" not in serve.app_command(None, db, python=python, windows=False)
    windows = serve.app_command(
        Path("/my lists/a.md"), Path("/lib.json"), python="C:/py/python.exe", windows=True
    )
    assert windows == 'C:/py/python.exe -m rlhf_reader --list "/my lists/a.md" --db /lib.json'


def test_urls() -> None:
    assert serve.page_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert serve.page_url("::1", 8080) == "http://[::1]:8080"
    assert serve.local_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert serve.local_url("::", 8000) == "http://[::1]:8000"


def test_a_public_host_needs_public(capsys, db_path: Path) -> None:
    code, out, err = run_cli(capsys, db_path, "serve", "--host", "0.0.0.0")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "not a loopback address" in err and "--public" in err
    assert not db_path.exists()  # refused before anything was opened


def test_bad_port_is_a_usage_error(capsys, db_path: Path) -> None:
    code, _, err = run_cli(capsys, db_path, "serve", "--port", "70000")
    assert code == 2
    assert "between 1 and 65535" in err


def test_without_textual_serve_it_says_how_to_install(
    capsys, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails
    code, out, err = run_cli(capsys, db_path, "serve")
    assert code == 1
    assert out == ""
    assert err == (
        "rlhf-reader: error: serve needs textual-serve; install it with: "
        "pip install 'rlhf-reader[serve]'\n"
    )


def test_a_bad_list_fails_before_serving(capsys, db_path: Path, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, db_path, "--list", str(tmp_path / "nope.md"), "serve")
    assert code == 1
    assert out == "" and "nope.md" in err and err.count("\n") == 1


def test_public_prints_the_warning_and_serves_the_resolved_files(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--public on a non-loopback address: the warning, the banner, and the command each
    browser tab runs names the same list and library (the server itself is stood in for:
    a test does not listen beyond 127.0.0.1)."""
    pytest.importorskip("textual_serve", reason="the 'serve' extra is not installed")
    list_path, db = odd_files(tmp_path)
    made: dict[str, Any] = {}

    class Stand:
        def serve(self) -> None:
            made["served"] = True

    def make_server(command: str, **options: Any) -> Stand:
        made.update(options, command=command)
        return Stand()

    monkeypatch.setattr(serve, "make_server", make_server)
    code, _, err = run_cli(
        capsys, db, "--list", str(list_path), "serve", "--host", "192.0.2.7", "--public"
    )
    assert code == 0, err
    assert made["served"] and made["public"] is True and made["host"] == "192.0.2.7"
    assert "anyone who can reach port 8000 can read and change the library" in err
    assert str(db) in err
    assert "rlhf-reader: stopped" in err
    assert made["announce"][-1] == "open http://192.0.2.7:8000 (ctrl+C stops)"
    words = shlex.split(made["command"])
    assert words[words.index("--list") + 1] == str(list_path)
    assert words[words.index("--db") + 1] == str(db)


def test_open_starts_the_local_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("textual_serve", reason="the 'serve' extra is not installed")
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    server = serve.make_server(
        "true", host="127.0.0.1", port=8123, public=False, open_url="http://127.0.0.1:8123"
    )
    asyncio.run(server.on_startup(None))  # the executor is joined when the loop closes
    assert opened == ["http://127.0.0.1:8123"]


# a real server on 127.0.0.1 -----------------------------------------------------------------


async def read_until(ws: Any, text: str) -> str:
    """Terminal output from the app until ``text`` appears (escape sequences removed)."""
    import aiohttp

    strip = browser_helpers().strip_escapes
    received = ""
    while text not in strip(received):
        message = await ws.receive(timeout=60)
        if message.type == aiohttp.WSMsgType.BINARY:
            received += message.data.decode("utf-8", "replace")
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            raise AssertionError(f"the socket closed before {text!r}: {strip(received)!r}")
    return strip(received)


def test_serve_answers_the_page_and_the_websocket(tmp_path: Path) -> None:
    """The page, then a websocket client that speaks like textual-serve's page: the app's
    first screen arrives, a space marks the paper under the cursor read in the library file
    (the served app got the same --list and --db, through a folder name full of shell
    characters), and ctrl+C stops the server and its app cleanly."""
    helpers = browser_helpers()
    import aiohttp

    list_path, db = odd_files(tmp_path)
    with helpers.Served("--list", str(list_path), "--db", str(db)) as served:
        assert served.banner[-1] == f"open {served.url} (ctrl+C stops)"
        assert str(db) in served.banner[0]

        closed = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

        async def client() -> tuple[str, Any]:
            async with aiohttp.ClientSession() as session:
                async with session.get(served.url + "/") as page:
                    assert page.status == 200
                    html = await page.text()
                assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in html
                async with session.ws_connect(
                    f"{served.url}/ws?width=120&height=36", headers={"Origin": served.url}
                ) as ws:
                    await ws.send_json(["resize", {"width": 120, "height": 36}])
                    first = await read_until(ws, "A Survey of Reinforcement Learning")
                    await ws.send_json(["ping", "x"])
                    await ws.send_json(["stdin", " "])
                    await asyncio.to_thread(
                        wait_until,
                        lambda: status_in_file(db, SURVEY) is Status.READ,
                        "the space to reach the library file",
                    )
                    code = await asyncio.to_thread(served.interrupt)
                    texts = []
                    while (message := await ws.receive(timeout=30)).type not in closed:
                        if message.type == aiohttp.WSMsgType.TEXT:
                            texts.append(message.data)
                    return first, (code, texts)

        first, ((code, out, err), texts) = asyncio.run(client())
    assert "Test list" in first and "0/5 read" in first
    assert texts == ['["pong", "x"]']  # and then the server closed the socket
    assert code == 0
    assert err.endswith("rlhf-reader: stopped\n")
    assert "Traceback" not in out + err
    assert stored(db, SURVEY).status is Status.READ


def test_serve_refuses_other_names_and_other_sites(tmp_path: Path) -> None:
    helpers = browser_helpers()
    import aiohttp

    db = tmp_path / "library.json"
    with helpers.Served("--list", str(write_list(tmp_path)), "--db", str(db)) as served:

        async def client() -> list[int]:
            async with aiohttp.ClientSession() as session:
                statuses = []
                # A page whose own host name resolves to 127.0.0.1 (DNS rebinding).
                async with session.get(
                    served.url + "/", headers={"Host": f"evil.example:{served.port}"}
                ) as page:
                    statuses.append(page.status)
                # A page of another site opening the websocket.
                try:
                    await session.ws_connect(
                        served.url + "/ws", headers={"Origin": "http://evil.example"}
                    )
                except aiohttp.WSServerHandshakeError as exc:
                    statuses.append(exc.status)
                return statuses

        assert asyncio.run(client()) == [421, 403]
        code, _, err = served.interrupt()
    assert code == 0 and "Traceback" not in err
    assert not db.exists() or json.loads(db.read_text())["annotations"] == {}


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    helpers = browser_helpers()
    import subprocess

    db = tmp_path / "library.json"
    with helpers.Served("--db", str(db)) as served:
        port = str(served.port)
        result = subprocess.run(
            [sys.executable, "-m", "rlhf_reader", "--db", str(db), "serve", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"rlhf-reader: error: cannot listen on 127.0.0.1:{served.port}")
    assert result.stderr.count("\n") == 1


# the app in a browser, through Pilot ------------------------------------------------------


@pytest.fixture
def on_the_web(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The app believes it runs under textual-serve; what it delivers is recorded."""
    delivered: list[dict[str, Any]] = []
    monkeypatch.setattr(ReaderApp, "is_web", property(lambda self: True))

    def deliver_binary(self: ReaderApp, file: io.BytesIO, **options: Any) -> str:
        delivered.append({"data": file.read(), **options})
        return "key"

    monkeypatch.setattr(ReaderApp, "deliver_binary", deliver_binary)
    return delivered


def messages(app: ReaderApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_web_export_is_a_download(
    on_the_web: list[dict[str, Any]],
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("space", "e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        labels = [str(label.content) for label in dialog.query("Label")]
        assert "File name" in labels and not any("current folder" in t for t in labels)
        dialog.query_one(Select).value = "bibtex"
        await pilot.pause()
        path = dialog.query_one("#export-path", Input)
        path.value = "   "
        await pilot.press("ctrl+s")
        error = dialog.query_one("#export-error", Static)
        assert error.display and "Give a file name" in str(error.content)
        path.value = "no/such/folder/mine.bib"  # only the name counts: the browser saves it
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # asked now: a notification goes after a few seconds, which a loaded machine can take
        assert any("your browser downloads mine.bib" in m for m in messages(app))
        await pilot.press("e")
        app.screen.query_one("#export-path", Input).value = 'my "list"; v2 é.md'
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert [d["save_filename"] for d in on_the_web] == ["mine.bib", "my__list___v2__.md"]
    assert on_the_web[0]["mime_type"] == "application/x-bibtex; charset=utf-8"
    text = on_the_web[0]["data"].decode("utf-8")
    assert text.count("@") == 5 and "2312.14925" in text
    assert not list(tmp_path.glob("*.bib")) and not (tmp_path / "no").exists()


async def test_web_copy_uses_the_browser_clipboard(
    on_the_web: list[dict[str, Any]], tmp_path: Path, db_path: Path, no_real_clipboard: list[str]
) -> None:
    app = build_app(write_list(tmp_path), db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == "https://arxiv.org/abs/2312.14925"
        assert no_real_clipboard == []  # never the server's clipboard
        assert any("to the browser's clipboard" in m for m in messages(app))
        dialog = app.screen
        assert isinstance(dialog, CopiedText)
        explain = str(dialog.query_one(Static).content)
        assert "browser" in explain
        assert "OSC 52" not in explain and "terminal" not in explain
        await pilot.press("escape")
        await pilot.press("y")  # once per session
        await pilot.pause()
        assert not isinstance(app.screen, CopiedText)


async def test_web_o_opens_a_tab(
    on_the_web: list[dict[str, Any]], tmp_path: Path, db_path: Path
) -> None:
    app = build_app(write_list(tmp_path), db_path)
    opened: list[tuple[str, bool]] = []
    app.open_url = lambda url, new_tab=True: opened.append((url, new_tab))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("o")
    assert opened == [("https://arxiv.org/abs/2312.14925", True)]
    assert any("in a new tab" in m for m in messages(app))


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except FileNotFoundError:  # a thread that ended between the listing and the read
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_tab_that_leaves_takes_its_app_along(tmp_path: Path) -> None:
    """One app process per browser connection, and none left behind when it closes."""
    helpers = browser_helpers()
    import aiohttp

    db = tmp_path / "library.json"
    with helpers.Served("--list", str(write_list(tmp_path)), "--db", str(db)) as served:
        pid = served.process.pid
        assert children(pid) == set()

        async def visit() -> set[int]:
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(f"{served.url}/ws?width=100&height=30") as ws:
                    await ws.send_json(["resize", {"width": 100, "height": 30}])
                    await read_until(ws, "Test list")
                    return children(pid)

        during = asyncio.run(visit())
        assert len(during) == 1
        wait_until(lambda: children(pid) == set(), "the app process to end")
        code, _, err = served.interrupt()
    assert code == 0 and "Traceback" not in err
