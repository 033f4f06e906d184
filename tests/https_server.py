"""A local https server on 127.0.0.1 for update tests (CLI and TUI): fixture ``https_server``.

Its certificate comes from a throwaway CA (trustme) that the client trusts through
``SSL_CERT_FILE``. Add answers to ``server.routes[path] = Served(body=...)`` (``drip=``
sends the body a byte at a time, for deadline tests); every request path is appended to
``server.hits``; anything unrouted is a 404.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme


@dataclass
class Served:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    content_type: str = "text/markdown; charset=utf-8"
    drip: float = 0.0  # seconds between bytes of the body (at most DRIP_LIMIT in all)


DRIP_LIMIT = 10.0


@dataclass
class HttpsServer:
    url: str
    routes: dict[str, Served] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def https_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpsServer]:
    """An https server on 127.0.0.1 whose certificate the client trusts via SSL_CERT_FILE."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    routes: dict[str, Served] = {}
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            served = routes.get(self.path, Served(status=404, body=b"not found"))
            if served.delay:
                time.sleep(served.delay)
            try:
                self.send_response(served.status)
                self.send_header("Content-Type", served.content_type)
                self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                if not served.drip:
                    self.wfile.write(served.body)
                    return
                end = time.monotonic() + DRIP_LIMIT
                for byte in served.body:  # no read waits long; only a deadline ends it
                    if time.monotonic() > end:
                        self.close_connection = True
                        return
                    time.sleep(served.drip)
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpsServer(url=f"https://127.0.0.1:{server.server_port}", routes=routes, hits=hits)
    finally:
        server.shutdown()
        server.server_close()
