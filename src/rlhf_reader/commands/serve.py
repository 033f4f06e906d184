"""``serve``: the reader in a web browser, through textual-serve (the ``serve`` extra).

textual-serve starts one app process per browser connection by running a shell command; the
command here is this interpreter running ``rlhf_reader`` with the list and the library that
``serve`` itself resolved, each quoted for the shell, so every browser tab opens the same files.

Safe by default: it listens on loopback only, and a page or socket reached under another host
name is refused (a web page in the same browser cannot use DNS tricks to reach the library),
as is a websocket opened by a page from another origin. Any other ``--host`` needs
``--public``: then anyone who can reach the port can read and change the library.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlhf_reader.commands.helptext import described

if TYPE_CHECKING:
    from rlhf_reader.cli import Context

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INSTALL_HINT = "serve needs textual-serve; install it with: pip install 'rlhf-reader[serve]'"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
APP_EXIT_TIMEOUT = 10.0  # seconds an app process gets to quit when its browser leaves


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="open the reader in a web browser (needs the 'serve' extra)",
        **described(
            "Serve the reader to a web browser through textual-serve: every browser tab runs "
            "the app on the same list and library. Listens on 127.0.0.1 unless --host and "
            "--public say otherwise. Ctrl+C stops it.",
            "rlhf-reader serve --open",
            "rlhf-reader --list opendilab serve --port 8080",
            "rlhf-reader serve --host 0.0.0.0 --public   # anyone who can reach it can edit",
        ),
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on ({DEFAULT_HOST}); anything but loopback needs --public",
    )
    p.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help=f"the port ({DEFAULT_PORT})"
    )
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument(
        "--public",
        action="store_true",
        help="allow a --host other than loopback: anyone who can reach the port can read and "
        "change the library",
    )
    p.set_defaults(handler=run_serve)


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not between 1 and 65535")
    return port


def _bare(host: str) -> str:
    """``[::1]`` → ``::1``; a name or an IPv4 address as it is, lower-cased."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback address (``127.0.0.0/8``, ``::1``)."""
    bare = _bare(host)
    if bare in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it goes into a URL: an IPv6 address in brackets."""
    bare = _bare(host)
    return f"[{bare}]" if ":" in bare else bare


def page_url(host: str, port: int) -> str:
    """The URL to print: for a wildcard address, this machine's name."""
    bare = _bare(host)
    shown = socket.gethostname() if bare in WILDCARD_HOSTS else bare
    return f"http://{url_host(shown)}:{port}"


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine opens (``--open``): loopback for a wildcard."""
    bare = _bare(host)
    if bare in WILDCARD_HOSTS:
        bare = "::1" if bare == "::" else "127.0.0.1"
    return f"http://{url_host(bare)}:{port}"


def app_command(
    list_path: Path | None, db_path: Path, python: str | None = None, windows: bool | None = None
) -> str:
    """The shell command textual-serve runs per browser connection: this interpreter with
    ``-m rlhf_reader``, ``--list`` (when the reader named one) and ``--db``, quoted for the
    shell that runs it (``/bin/sh``, or ``cmd.exe`` on Windows)."""
    words = [python or sys.executable, "-m", "rlhf_reader"]
    if list_path is not None:
        words += ["--list", str(list_path.absolute())]
    words += ["--db", str(db_path.absolute())]
    if sys.platform == "win32" if windows is None else windows:
        return subprocess.list2cmdline(words)
    return "exec " + shlex.join(words)  # the shell becomes the app: one process to stop


def host_allowed(request_host: str | None, bind_host: str, public: bool) -> bool:
    """Whether a request naming ``request_host`` (its Host header) is served. With
    ``--public`` any name is; otherwise only loopback names and the address listened on,
    so a page that got a name of its own resolved to 127.0.0.1 cannot reach the library."""
    if public:
        return True
    if not request_host:
        return False
    name = request_host.strip()
    if name.startswith("["):
        name = name[: name.find("]") + 1] if "]" in name else name
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    return is_loopback(name) or _bare(name) == _bare(bind_host)


def origin_allowed(origin: str | None, scheme: str, request_host: str | None) -> bool:
    """A websocket opened by a page of this server (or by a client that is no page, which
    sends no Origin); a page of another site opening it is refused."""
    if origin is None:
        return True
    return origin.rstrip("/").lower() == f"{scheme}://{request_host or ''}".lower()


def run_serve(ctx: Context) -> int:
    from rlhf_reader.cli import CliError
    from rlhf_reader.textsafe import printable

    args = ctx.args
    host: str = args.host.strip()
    if not host:
        raise CliError("--host: empty address", code=2)
    if not is_loopback(host) and not args.public:
        raise CliError(
            f"--host {host} is not a loopback address: anyone who can reach it could read "
            "and change the library; add --public if that is what you want",
            code=2,
        )
    try:
        from textual_serve.server import Server  # noqa: F401
    except ImportError:
        raise CliError(INSTALL_HINT) from None

    # Read both files now: a bad list or library is one error here, not one per browser tab.
    ctx.catalog  # noqa: B018
    library_path = ctx.library.path
    command = app_command(ctx.list_path if ctx.explicit_list else None, Path(library_path))
    err = sys.stderr
    if not is_loopback(host):
        warning = (
            f"rlhf-reader: warning: listening on {host}: anyone who can reach port "
            f"{args.port} can read and change the library {library_path}"
        )
        print(printable(warning), file=err, flush=True)
    server = make_server(
        command,
        host=host,
        port=args.port,
        public=bool(args.public),
        announce=[
            printable(f"rlhf-reader: serving {ctx.list_path.name} and the library {library_path}"),
            printable(f"open {page_url(host, args.port)} (ctrl+C stops)"),
        ],
        open_url=local_url(host, args.port) if args.open else None,
    )
    try:
        server.serve()
    except OSError as exc:
        raise CliError(
            f"cannot listen on {url_host(host)}:{args.port}: {exc.strerror or exc}"
        ) from None
    err.write("rlhf-reader: stopped\n")
    err.flush()
    return 0


def make_server(
    command: str,
    *,
    host: str,
    port: int,
    public: bool,
    announce: Sequence[str] = (),
    open_url: str | None = None,
) -> Any:
    """textual-serve's ``Server``, made safe by default and quiet (see the module doc)."""
    import asyncio
    import logging
    import weakref

    import aiohttp_jinja2
    from aiohttp import WSCloseCode, WSMsgType, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    log = logging.getLogger("rlhf-reader.serve")

    class ReaderServer(Server):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(command, host=_bare(host), port=port, title="rlhf-reader")
            self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

        def initialize_logging(self) -> None:
            # Warnings only (no access log, no banner); textual-serve's INFO lines are noise.
            logging.basicConfig(level="WARNING", format="rlhf-reader serve: %(message)s")

        def _check_host(self, request: web.Request) -> None:
            if not host_allowed(request.host, host, public):
                raise web.HTTPMisdirectedRequest(
                    text=f"This server answers to {url_host(host)} only.\n"
                )

        def _base_url(self, request: web.Request) -> str:
            return f"{request.scheme}://{request.host}"

        async def on_startup(self, app: web.Application) -> None:
            for line in announce:
                print(line, flush=True)
            if open_url:
                import webbrowser

                loop = asyncio.get_running_loop()
                loop.run_in_executor(None, webbrowser.open, open_url)

        async def on_shutdown(self, app: web.Application) -> None:
            # Close every browser's socket: each handler then stops its app process, and
            # the server does not wait for browsers to leave.
            for websocket in list(self.sockets):
                await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            """The page, with its URLs under the name the browser used (so a page opened
            as http://laptop.local:8000 talks to ws://laptop.local:8000/ws)."""
            self._check_host(request)
            base = self._base_url(request)
            websocket = "wss" if request.scheme == "https" else "ws"
            try:
                font_size = int(request.query.get("fontsize", "16"))
            except ValueError:
                font_size = 16
            return {
                "font_size": font_size,
                "app_websocket_url": f"{websocket}://{request.host}/ws",
                "config": {"static": {"url": f"{base}/static/"}},
                "application": {"name": "rlhf-reader"},
            }

        async def handle_download(self, request: web.Request) -> web.StreamResponse:
            self._check_host(request)
            response: web.StreamResponse = await super().handle_download(request)
            return response

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            self._check_host(request)
            if not origin_allowed(request.headers.get("Origin"), request.scheme, request.host):
                raise web.HTTPForbidden(text="A page of another site cannot open this app.\n")
            websocket = web.WebSocketResponse(heartbeat=15)

            def size(name: str, default: int) -> int:
                try:
                    return max(1, min(int(request.query.get(name, default)), 1000))
                except ValueError:
                    return default

            async def close() -> None:
                await websocket.close()

            await websocket.prepare(request)
            self.sockets.add(websocket)
            service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=False,
            )
            try:
                await service.start(size("width", 80), size("height", 24))
                try:
                    await self.relay(websocket, service)
                finally:
                    await service.stop()
                    await self.reap(service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # one browser's failure must not stop the server
                log.warning("a browser session failed: %s", error)
            return websocket

        async def reap(self, service: AppService) -> None:
            """Wait for the app process to end after its "quit"; kill it if it hangs."""
            process = getattr(service, "_process", None)
            if process is None or process.returncode is not None:
                return
            try:
                await asyncio.wait_for(process.wait(), APP_EXIT_TIMEOUT)
            except asyncio.TimeoutError:
                log.warning("an app process did not quit; killing it (pid %s)", process.pid)
                process.kill()
                await process.wait()

        async def relay(self, websocket: web.WebSocketResponse, service: AppService) -> None:
            """What the browser sends, to its app process (textual-serve's protocol)."""
            async for message in websocket:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    envelope = message.json()
                    kind, data = envelope[0], envelope[1]
                    if kind == "stdin":
                        await service.send_bytes(str(data).encode("utf-8"))
                    elif kind == "resize":
                        await service.set_terminal_size(int(data["width"]), int(data["height"]))
                    elif kind == "ping":
                        await websocket.send_json(["pong", data])
                    elif kind == "blur":
                        await service.blur()
                    elif kind == "focus":
                        await service.focus()
                except (ValueError, TypeError, KeyError, IndexError):
                    continue  # a malformed message is dropped, not a reason to hang up

    return ReaderServer()
