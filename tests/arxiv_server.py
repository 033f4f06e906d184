"""A fake arXiv API on 127.0.0.1, for tests: recorded Atom answers, faults, a request count.

Use the ``arxiv_server`` fixture (registered for the whole suite in ``conftest.py``)::

    def test_something(arxiv_server):
        arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")   # answer any id_list from these
        ...run code that fetches...
        assert arxiv_server.count == 1

Without it, an autouse fixture points ``$RLHF_READER_ARXIV_URL`` at a closed port on
127.0.0.1 (``OFFLINE_URL``) for every test, so nothing can reach the real arXiv.

The fixture starts a server in a thread, points ``$RLHF_READER_ARXIV_URL`` at it and installs a
fast shared fetcher (``rlhf_reader.sources.arxiv_meta.set_shared_fetcher``: no spacing between
requests, 2 s timeout, 2 retries without backoff), so CLI and TUI code that calls
``fetch_metadata()`` talks to it without sleeping. Tests that need other numbers build their
own ``ArxivFetcher(FetchSettings(url=arxiv_server.url, …))``.

``ArxivServer`` API
-------------------
``url``
    ``http://127.0.0.1:PORT/api/query`` (the client appends ``?search_query=…&id_list=…``).
``add_papers(path)``
    every ``<entry>`` of an Atom file becomes answerable by its versionless id; an ``id_list``
    request is then answered like arXiv does: the entries it names in request order, ids it
    does not know dropped silently, ``totalResults`` = entries returned.
``serve(body, *, id_list=None, search_query=None, status=200)``
    a permanent answer for one exact request: ``id_list`` as a string or list (order does not
    matter), or a ``search_query``; ``body`` is bytes, str or a Path.
``reply(body=b"", *, status=200, delay=0.0, times=1, id_list=None, search_query=None)``
    a scripted answer, used ``times`` times (None: forever) before the permanent ones; with
    neither ``id_list`` nor ``search_query`` it matches any request. ``delay`` stalls the
    answer that many seconds (a timeout for the client); stalls end when the server stops.
    ``drip`` sends the whole answer (status line, headers, body) one byte every ``drip``
    seconds — no read ever times out, only a deadline on the whole request ends it; a drip
    stops after ``DRIP_LIMIT`` seconds (the connection is then closed) or when the server
    stops, so a client without a deadline fails a test instead of hanging it.
``requests``
    the query parameters of every request received, in order (one value per name);
``count``
    ``len(requests)``; ``ids_asked()`` the id lists asked, as lists; ``connections``
    the distinct client (host, port) pairs seen, to check that one connection is reused.

Anything not matched gets an empty feed (``totalResults`` 0), which is what arXiv sends for
an unknown id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ATOM = "http://www.w3.org/2005/Atom"
ARXIV_DATA = Path(__file__).resolve().parent / "data" / "arxiv"
OFFLINE_URL = "http://127.0.0.1:9/api/query"  # the discard port: nothing listens
DRIP_LIMIT = 10.0  # seconds a dripping answer may last at most

_FEED_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
    "  <id>https://arxiv.org/api/local-test</id>\n"
    "  <title>arXiv Query: local test server</title>\n"
    "  <updated>2026-04-12T22:09:26Z</updated>\n"
    "  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
    "  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
    "  <opensearch:startIndex>0</opensearch:startIndex>\n"
)


def _bytes(body: bytes | str | Path) -> bytes:
    if isinstance(body, Path):
        return body.read_bytes()
    return body.encode("utf-8") if isinstance(body, str) else body


def _bare(arxiv_id: str) -> str:
    head, _, tail = arxiv_id.rpartition("v")
    return head if head and tail.isdigit() else arxiv_id


def _key(id_list: str | list[str] | None, search_query: str | None) -> tuple[str, str] | None:
    if id_list is not None:
        ids = id_list.split(",") if isinstance(id_list, str) else list(id_list)
        return ("id_list", ",".join(sorted(i.strip() for i in ids if i.strip())))
    if search_query is not None:
        return ("search_query", search_query)
    return None


@dataclass
class _Reply:
    body: bytes
    status: int = 200
    delay: float = 0.0
    times: int | None = 1
    drip: float = 0.0


class ArxivServer:
    """See the module docstring."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.connections: set[tuple[str, int]] = set()
        self._scripted: list[tuple[tuple[str, str] | None, _Reply]] = []
        self._fixed: dict[tuple[str, str], _Reply] = {}
        self._papers: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # set-up -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def start(self) -> ArxivServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def add_papers(self, path: Path) -> list[str]:
        """Make every entry of the Atom file at ``path`` answerable; their ids."""
        from lxml import etree

        root = etree.fromstring(path.read_bytes())
        added = []
        for entry in root.iterfind(f"{{{ATOM}}}entry"):
            entry_id = entry.findtext(f"{{{ATOM}}}id") or ""
            bare = _bare(entry_id.split("arxiv.org/abs/")[-1])
            self._papers[bare] = etree.tostring(entry, encoding="utf-8")
            added.append(bare)
        return added

    def serve(
        self,
        body: bytes | str | Path,
        *,
        id_list: str | list[str] | None = None,
        search_query: str | None = None,
        status: int = 200,
    ) -> None:
        key = _key(id_list, search_query)
        if key is None:
            raise ValueError("serve() needs id_list or search_query")
        self._fixed[key] = _Reply(_bytes(body), status, times=None)

    def reply(
        self,
        body: bytes | str | Path = b"",
        *,
        status: int = 200,
        delay: float = 0.0,
        times: int | None = 1,
        id_list: str | list[str] | None = None,
        search_query: str | None = None,
        drip: float = 0.0,
    ) -> None:
        reply = _Reply(_bytes(body), status, delay, times, drip)
        with self._lock:
            self._scripted.append((_key(id_list, search_query), reply))

    # what happened ------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.requests)

    def ids_asked(self) -> list[list[str]]:
        return [r["id_list"].split(",") for r in self.requests if r.get("id_list")]

    # answering ----------------------------------------------------------------------------

    def _answer(self, params: dict[str, str]) -> _Reply:
        key = _key(params.get("id_list") or None, params.get("search_query"))
        with self._lock:
            for index, (wanted, reply) in enumerate(self._scripted):
                if wanted is None or wanted == key:
                    if reply.times is not None:
                        reply.times -= 1
                        if reply.times <= 0:
                            del self._scripted[index]
                    return reply
        if key in self._fixed:
            return self._fixed[key]
        ids = [i for i in (params.get("id_list") or "").split(",") if i]
        entries = [self._papers[_bare(i)] for i in ids if _bare(i) in self._papers]
        head = _FEED_HEAD.format(per_page=params.get("max_results", "100"), total=len(entries))
        body = head.encode() + b"\n".join(entries) + b"\n</feed>\n"
        return _Reply(body)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
                params = {name: values[-1] for name, values in query.items()}
                with server._lock:
                    server.requests.append(params)
                    server.connections.add(self.client_address[:2])
                reply = server._answer(params)
                if reply.delay and server._stop.wait(reply.delay):
                    self.close_connection = True
                    return
                if reply.drip:
                    self._drip(reply)
                    return
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    self.close_connection = True

            def _drip(self, reply: _Reply) -> None:
                head = (
                    f"HTTP/1.1 {reply.status} Answer\r\n"
                    "Content-Type: application/atom+xml; charset=utf-8\r\n"
                    f"Content-Length: {len(reply.body)}\r\n\r\n"
                ).encode()
                self.close_connection = True
                end = time.monotonic() + DRIP_LIMIT
                try:
                    for byte in head + reply.body:
                        if server._stop.wait(reply.drip) or time.monotonic() > end:
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except OSError:  # the client hung up (its deadline)
                    return

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler


@pytest.fixture(autouse=True)
def _arxiv_offline(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test: arXiv is a closed local port unless the test asks for ``arxiv_server``,
    so no test can reach the real arXiv by accident (a fetch fails: connection refused)."""
    from rlhf_reader.sources import arxiv_meta

    monkeypatch.setenv(arxiv_meta.URL_ENV, OFFLINE_URL)
    settings = arxiv_meta.FetchSettings(url=OFFLINE_URL, interval=0.0, retries=0, backoff=0.0)
    fetcher = arxiv_meta.ArxivFetcher(settings)
    arxiv_meta.set_shared_fetcher(fetcher)  # fails at once, without retries
    yield
    arxiv_meta.set_shared_fetcher(None)
    fetcher.close()


@pytest.fixture
def arxiv_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArxivServer]:
    """A running :class:`ArxivServer`, the env var and a fast shared fetcher pointing at it."""
    from rlhf_reader.sources import arxiv_meta

    server = ArxivServer().start()
    monkeypatch.setenv(arxiv_meta.URL_ENV, server.url)
    fetcher = arxiv_meta.ArxivFetcher(
        arxiv_meta.FetchSettings(url=server.url, interval=0.0, timeout=2.0, retries=2, backoff=0.0)
    )
    arxiv_meta.set_shared_fetcher(fetcher)
    try:
        yield server
    finally:
        arxiv_meta.set_shared_fetcher(None)
        fetcher.close()
        server.stop()
