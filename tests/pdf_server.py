"""A local http server on 127.0.0.1 serving PDFs (and what is not one), for tests.

Fixture ``pdf_server``: ``server.routes[path] = Answer(...)``; every request path is appended
to ``server.hits``; anything unrouted is a 404. It points ``$RLHF_READER_PDF_URL`` at
``{server.url}/pdf/{id}``, with no spacing between downloads (``$RLHF_READER_PDF_INTERVAL``
0) and a short overall deadline (``$RLHF_READER_PDF_TIMEOUT`` 2 s) so a stall ends quickly.

``Answer(stall=True)`` never answers (until the server stops); ``Answer(body=…,
stall_after=n)`` sends the headers and the first ``n`` bytes, then stalls; ``Answer(body=…,
trickle=s)`` sends the body a byte at a time, ``s`` seconds apart (every read gets data, but
the whole takes long).

Without the fixture, an autouse fixture points ``$RLHF_READER_PDF_URL`` at a closed port, so
no test can download from the real arXiv.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TINY_PDF = Path(__file__).resolve().parent / "data" / "pdf" / "tiny.pdf"
OFFLINE_TEMPLATE = "http://127.0.0.1:9/pdf/{id}"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/pdf"
    stall: bool = False
    stall_after: int | None = None
    trickle: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class PdfServer:
    url: str
    routes: dict[str, Answer]
    hits: list[str]

    def serve_pdf(self, path: str, body: bytes | None = None) -> bytes:
        data = TINY_PDF.read_bytes() if body is None else body
        self.routes[path] = Answer(body=data)
        return data


@pytest.fixture(autouse=True)
def _pdf_offline(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RLHF_READER_PDF_TIMEOUT", "RLHF_READER_PDF_INTERVAL", "RLHF_READER_PDF_VIEWER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RLHF_READER_PDF_URL", OFFLINE_TEMPLATE)


@pytest.fixture
def pdf_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PdfServer]:
    routes: dict[str, Answer] = {}
    hits: list[str] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            answer = routes.get(self.path, Answer(status=404, body=b"not found"))
            if answer.stall:
                stop.wait()
                return
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if answer.stall_after is not None:
                    self.wfile.write(answer.body[: answer.stall_after])
                    self.wfile.flush()
                    stop.wait()
                    return
                if answer.trickle:
                    for byte in answer.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        if stop.wait(answer.trickle):
                            return
                    return
                self.wfile.write(answer.body)
            except OSError:
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("RLHF_READER_PDF_URL", f"{url}/pdf/{{id}}")
    monkeypatch.setenv("RLHF_READER_PDF_INTERVAL", "0")
    monkeypatch.setenv("RLHF_READER_PDF_TIMEOUT", "2")
    try:
        yield PdfServer(url=url, routes=routes, hits=hits)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
