"""Papers' PDFs on disk: download (arXiv or a direct PDF link), find, open with the viewer.

Where: ``pdfs/`` beside the library file (:func:`pdf_folder`), one file per key
(:func:`pdf_filename`: ``2305.18290.pdf``, ``hep-th_9901001.pdf``, other links a readable
name plus a hash). Whether a key has a PDF is one ``listdir`` (:func:`pdf_keys`), cheap
enough to hand to the filter index (``has:pdf``) after every download.

How a download behaves (:class:`Downloader`):

* **Which URL.** An arXiv entry: ``https://arxiv.org/pdf/ID``, or the template in
  ``$RLHF_READER_PDF_URL`` (``{id}`` is replaced, e.g. ``https://mirror.example/pdf/{id}``).
  Any other entry: its link (or one of its further links) when that is a direct PDF
  (the path ends in ``.pdf``, or is ``/pdf`` with a query, as OpenReview's). Otherwise
  :class:`PdfError` says there is no PDF to download.
* **Already on disk:** no request at all (unless ``force``).
* **Only a PDF is kept.** The answer must be HTTP 200 and its bytes must start with
  ``%PDF-``: an HTML error page, a login wall, a 503 are refused with a message naming the
  URL and what came instead, and nothing is saved. At most ``max_bytes`` (100 MB).
* **Atomic.** The bytes go to a hidden temp file in ``pdfs/`` (``.NAME.XXXX.part``), are
  fsynced and renamed over the final name; on any error, timeout or cancel the temp file is
  removed, so there is never a partial PDF under the final name (nor a ``.part`` left).
* **An overall deadline per request** (``timeout``, default 120 s; ``$RLHF_READER_PDF_TIMEOUT``):
  connecting, redirects, headers and the whole body, not each read. A watchdog closes the
  connection at the deadline, so a server that stalls (or trickles a byte at a time) ends in
  :class:`PdfError` ("no complete answer within N s") on time.
* **Cancellable.** A :class:`Cancel` is checked between chunks and during the wait between
  downloads; ``Cancel.cancel()`` (from another thread: the TUI's esc) also closes the
  connection at once, so a blocked read ends too. Cancelling raises :class:`Cancelled`.
* **Polite.** Downloads from one host are spaced by ``interval`` seconds (3 s, arXiv's
  rule; ``$RLHF_READER_PDF_INTERVAL``), counted from the end of the previous request; only
  real requests count (a PDF already on disk costs no wait). Redirects are followed (at most
  5; never from https to http).

Nothing here touches the library or prints: the front ends decide what to say. Safe to call
from a worker thread; one :class:`Downloader` should be used by one thread at a time (the
TUI keeps one per app for the spacing, and runs it in ``@work(thread=True, group="pdf")``)::

    cancel = Cancel(check=lambda: worker.is_cancelled)   # esc: worker.cancel(); cancel.cancel()
    result = downloader.download(entry, progress=on_bytes, cancel=cancel)   # PdfResult
    # PdfError → notify(str(exc)); Cancelled → "download cancelled"

:func:`open_pdf` opens a file with the system viewer (``$RLHF_READER_PDF_VIEWER``, else
``open`` on macOS, ``os.startfile`` on Windows, ``xdg-open`` elsewhere) and returns None, or a
message saying why it could not (which includes the path).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from rlhf_reader.library import fileio
from rlhf_reader.sources.pdffiles import pdf_filename

if TYPE_CHECKING:
    import http.client

    from rlhf_reader.model import Entry

DEFAULT_URL = "https://arxiv.org/pdf/{id}"
URL_ENV = "RLHF_READER_PDF_URL"
TIMEOUT_ENV = "RLHF_READER_PDF_TIMEOUT"
INTERVAL_ENV = "RLHF_READER_PDF_INTERVAL"
VIEWER_ENV = "RLHF_READER_PDF_VIEWER"
MAX_BYTES = 100 * 1024 * 1024
DEFAULT_TIMEOUT = 120.0
DEFAULT_INTERVAL = 3.0  # arXiv: at least 3 s between requests
CHUNK = 64 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "rlhf-reader (+https://pypi.org/project/rlhf-reader/)"
MAGIC = b"%PDF-"

Progress = Callable[[int, int | None], None]
"""``progress(bytes_so_far, total_or_None)``, after every chunk."""


FAILURES_IN_A_ROW = 3
"""``download_all`` asks a host nothing more after this many failures from it in a row."""


class PdfError(Exception):
    """No PDF was saved; the message names the paper or URL and what went wrong."""


class Cancelled(PdfError):
    """The download was cancelled; nothing was saved."""


# --- which URL --------------------------------------------------------------------------------


def url_template() -> str:
    return os.environ.get(URL_ENV, "").strip() or DEFAULT_URL


def is_direct_pdf(url: str) -> bool:
    """A link that points at a PDF file itself: ``….pdf``, or ``…/pdf?id=…`` (OpenReview)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    path = parts.path.lower().rstrip("/")
    return path.endswith(".pdf") or (path.endswith("/pdf") and bool(parts.query))


def source_url(entry: Entry, template: str | None = None) -> str | None:
    """Where the entry's PDF is downloaded from, or None when it has none."""
    if entry.arxiv_id:
        return (template or url_template()).replace("{id}", entry.arxiv_id)
    for url in (entry.url, *(link.url for link in entry.links)):
        if is_direct_pdf(url):
            return url.strip()
    return None


# --- settings and cancelling ------------------------------------------------------------------


def _env_seconds(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise PdfError(f"${name}: not a number of seconds: {text!r}") from None
    if not 0 <= value <= 24 * 3600:
        raise PdfError(f"${name}: {text} s is out of range (0 to 86400)")
    return value


@dataclass(frozen=True, slots=True)
class PdfSettings:
    template: str = DEFAULT_URL
    timeout: float = DEFAULT_TIMEOUT  # the whole request: connect, redirects, headers, body
    interval: float = DEFAULT_INTERVAL  # between two requests to the same host
    max_bytes: int = MAX_BYTES

    @classmethod
    def from_env(cls, **overrides: Any) -> PdfSettings:
        """The defaults, with ``$RLHF_READER_PDF_URL``/``_TIMEOUT``/``_INTERVAL`` applied;
        PdfError naming a bad variable."""
        base = cls(
            template=url_template(),
            timeout=_env_seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT),
            interval=_env_seconds(INTERVAL_ENV, DEFAULT_INTERVAL),
        )
        if "{id}" not in base.template:
            raise PdfError(f"${URL_ENV}: {base.template!r} has no {{id}} to put the arXiv id in")
        return replace(base, **overrides)


class Cancel:
    """Cancels a download from any thread: :meth:`cancel` sets the flag and closes the
    connection in use. ``check`` is polled too (e.g. ``lambda: worker.is_cancelled``)."""

    def __init__(self, check: Callable[[], bool] | None = None) -> None:
        self._event = threading.Event()
        self._check = check
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if self._check is not None and self._check():
            self._event.set()
            return True
        return False

    def cancel(self) -> None:
        self._event.set()
        with self._lock:
            for sock in self._sockets:
                _shut(sock)

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless cancelled first; True when cancelled."""
        end = time.monotonic() + seconds
        while not self.cancelled:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self._event.wait(min(left, 0.1))
        return True

    def _attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self.cancelled:
            _shut(sock)

    def _detach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# --- downloading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PdfResult:
    key: str
    path: Path
    downloaded: bool  # False: it was on disk already, no request made
    size: int
    url: str | None = None


class Downloader:
    """Downloads PDFs into ``folder``; remembers when it last asked each host (spacing)."""

    def __init__(
        self,
        folder: Path,
        settings: PdfSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = Path(folder)
        self.settings = settings or PdfSettings.from_env()
        self.requests = 0  # HTTP requests sent (redirects count), for tests and reports
        self._clock = clock
        self._last: dict[str, float] = {}

    def path(self, key: str) -> Path:
        return self.folder / pdf_filename(key)

    def existing(self, key: str) -> Path | None:
        path = self.path(key)
        return path if path.is_file() else None

    def download(
        self,
        entry: Entry,
        *,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
        force: bool = False,
    ) -> PdfResult:
        """The entry's PDF on disk, downloaded first when missing (or ``force``).

        PdfError (nothing saved) when the entry has no PDF link, the server refuses, the
        answer is not a PDF, too large or late; :class:`Cancelled` when cancelled.
        """
        path = self.path(entry.key)
        if not force and path.is_file():
            return PdfResult(entry.key, path, False, path.stat().st_size)
        url = source_url(entry, self.settings.template)
        if url is None:
            raise PdfError(
                f"{entry.key}: no PDF to download (not an arXiv paper, and its link is not "
                "a PDF file)"
            )
        cancel = cancel or Cancel()
        size = self.fetch(url, path, progress=progress, cancel=cancel)
        return PdfResult(entry.key, path, True, size, url)

    def fetch(
        self, url: str, dest: Path, *, progress: Progress | None = None, cancel: Cancel
    ) -> int:
        """Save the PDF at ``url`` as ``dest`` (atomically); its size. See the module doc."""
        host = (urlsplit(url).hostname or "").lower()
        wait = self._last.get(host, -1e9) + self.settings.interval - self._clock()
        if wait > 0 and cancel.wait(wait):
            raise Cancelled(f"{url}: download cancelled; nothing saved")
        if cancel.cancelled:
            raise Cancelled(f"{url}: download cancelled; nothing saved")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise PdfError(f"{self.folder}: cannot create: {exc.strerror or exc}") from None
        try:
            return _Request(self, url, dest, progress, cancel).run()
        finally:
            self._last[host] = self._clock()


class _Request:
    """One download: redirects, the deadline watchdog, the temp file."""

    def __init__(
        self,
        owner: Downloader,
        url: str,
        dest: Path,
        progress: Progress | None,
        cancel: Cancel,
    ) -> None:
        self.owner = owner
        self.url = url
        self.dest = dest
        self.progress = progress
        self.cancel = cancel
        self.settings = owner.settings
        self.deadline = time.monotonic() + self.settings.timeout
        self.timed_out = threading.Event()
        self.conn: http.client.HTTPConnection | None = None
        # The connection's socket: http.client drops conn.sock once a closing answer's
        # headers are read, but the answer's body still comes through it.
        self.sock: socket.socket | None = None

    def run(self) -> int:
        import http.client

        watchdog = threading.Timer(self.settings.timeout, self._expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._run()
        except (OSError, http.client.HTTPException, _HttpError) as exc:
            raise self._failure(exc) from None
        finally:
            watchdog.cancel()
            self._close()

    def _expire(self) -> None:
        self.timed_out.set()
        sock = self.sock
        if sock is not None:
            _shut(sock)

    def _failure(self, exc: BaseException) -> PdfError:
        if self.cancel.cancelled:
            return Cancelled(f"{self.url}: download cancelled; nothing saved")
        if self.timed_out.is_set() or isinstance(exc, TimeoutError):
            return PdfError(
                f"{self.url}: no complete answer within {self.settings.timeout:g} s; nothing saved"
            )
        if isinstance(exc, _HttpError):
            return PdfError(f"{self.url}: {exc}; nothing saved")
        if not isinstance(exc, OSError):  # http.client: a broken answer
            return PdfError(f"{self.url}: a broken HTTP answer ({exc!r}); nothing saved")
        if isinstance(exc, ConnectionRefusedError):
            return PdfError(f"{self.url}: cannot connect (connection refused); nothing saved")
        if isinstance(exc, socket.gaierror):
            return PdfError(f"{self.url}: cannot connect (unknown host); nothing saved")
        return PdfError(f"{self.url}: {exc.strerror or exc}; nothing saved")  # type: ignore[union-attr]

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0 or self.timed_out.is_set():
            raise TimeoutError
        return left

    def _close(self) -> None:
        conn, self.conn = self.conn, None
        sock, self.sock = self.sock, None
        if sock is not None:
            self.cancel._detach(sock)
        if conn is not None:
            conn.close()

    def _open(self, url: str) -> http.client.HTTPResponse:
        import http.client
        import ssl

        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise _HttpError(f"not an http(s) URL: {url}")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn: http.client.HTTPConnection
        if scheme == "https":
            context = ssl.create_default_context()
            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self._left(), context=context
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self._left())
        self.conn = conn
        conn.connect()
        assert conn.sock is not None
        self.sock = conn.sock
        self.cancel._attach(conn.sock)
        if self.timed_out.is_set():
            raise TimeoutError
        conn.request(
            "GET",
            target,
            headers={"User-Agent": USER_AGENT, "Accept": "application/pdf"},
        )
        self.owner.requests += 1
        self.sock.settimeout(self._left())
        return conn.getresponse()

    def _run(self) -> int:
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            if self.cancel.cancelled:
                raise _HttpError("cancelled")
            response = self._open(url)
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise _HttpError(f"HTTP {response.status} redirect without a Location")
                new = urljoin(url, location)
                if url.lower().startswith("https:") and not new.lower().startswith("https:"):
                    raise _HttpError(f"redirected to a non-https URL ({new})")
                self._close()
                url = new
                continue
            if response.status != 200:
                raise _HttpError(
                    f"the server answered HTTP {response.status} {response.reason}".rstrip()
                )
            return self._save(url, response)
        raise _HttpError(f"more than {MAX_REDIRECTS} redirects")

    def _save(self, url: str, response: http.client.HTTPResponse) -> int:
        limit = self.settings.max_bytes
        length_header = response.getheader("Content-Length") or ""
        total = int(length_header) if length_header.isdigit() else None
        if total is not None and total > limit:
            raise _HttpError(f"the PDF is larger than the {_mb(limit)} allowed ({_mb(total)})")
        kind = (response.getheader("Content-Type") or "").split(";")[0].strip()
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.dest.name}.", suffix=".part", dir=self.dest.parent
        )
        done = 0
        try:
            with os.fdopen(fd, "wb") as out:
                head = b""
                while True:
                    if self.cancel.cancelled:
                        raise _HttpError("cancelled")
                    assert self.sock is not None
                    self.sock.settimeout(self._left())
                    chunk = response.read1(CHUNK)
                    if not chunk:
                        break
                    done += len(chunk)
                    if done > limit:
                        raise _HttpError(f"the PDF is larger than the {_mb(limit)} allowed")
                    if len(head) < len(MAGIC):
                        head += chunk[: len(MAGIC)]
                        if len(head) >= len(MAGIC) and not head.startswith(MAGIC):
                            raise _HttpError(_not_a_pdf(head + chunk, kind))
                    out.write(chunk)
                    if self.progress is not None:
                        self.progress(done, total)
                    self._left()
                if self.cancel.cancelled:
                    raise _HttpError("cancelled")
                self._left()  # a connection closed by the watchdog looks like the end
                if total is not None and done < total:
                    raise _HttpError(f"the connection closed after {done} of {total} bytes")
                if not head.startswith(MAGIC):
                    raise _HttpError(_not_a_pdf(head, kind) if head else "the answer was empty")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fileio.fsync_dir(self.dest.parent)
        return done


class _HttpError(Exception):
    """What the server did wrong; becomes a PdfError naming the URL."""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _not_a_pdf(start: bytes, kind: str) -> str:
    text = start[:200].decode("utf-8", "replace").lower()
    what = kind or "no Content-Type"
    if "<html" in text or "<!doctype" in text or kind.startswith("text/html"):
        return f"the answer is a web page ({what}), not a PDF (an error page or a login wall)"
    return f"the answer is not a PDF ({what}; it does not start with %PDF-)"


def download_all(
    downloader: Downloader,
    entries: Iterable[Entry],
    *,
    cancel: Cancel | None = None,
    on_start: Callable[[int, int, Entry], None] | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[tuple[Entry, PdfResult | PdfError]]:
    """Each entry's PDF in turn (spaced per host), a failure not stopping the rest; stops
    at a cancel (what was done stays, the one in flight is dropped). ``on_start(i, n,
    entry)`` before each. Returns each entry with its result or error, in order."""
    cancel = cancel or Cancel()
    todo = list(entries)
    results: list[tuple[Entry, PdfResult | PdfError]] = []
    failing: dict[str, int] = {}  # host -> downloads from it that failed in a row
    for index, entry in enumerate(todo):
        if cancel.cancelled:
            break
        host = urlsplit(source_url(entry, downloader.settings.template) or "").hostname or ""
        if failing.get(host, 0) >= FAILURES_IN_A_ROW:
            # A server that is down or silent would cost every paper its full deadline.
            results.append(
                (
                    entry,
                    PdfError(
                        f"not asked: {FAILURES_IN_A_ROW} downloads in a row from {host} failed"
                    ),
                )
            )
            continue
        if on_start is not None:
            on_start(index, len(todo), entry)
        try:
            result = downloader.download(entry, progress=progress, cancel=cancel, force=force)
            results.append((entry, result))
            failing[host] = 0
        except Cancelled:
            break
        except PdfError as exc:
            results.append((entry, exc))
            failing[host] = failing.get(host, 0) + 1
    return results


# --- opening ----------------------------------------------------------------------------------


def viewer_command() -> list[str] | None:
    """The command that opens a file with the system viewer, or None when there is none."""
    configured = os.environ.get(VIEWER_ENV, "").strip()
    if configured:
        return shlex.split(configured)
    if sys.platform == "darwin":
        return ["open"]
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return []
    found = shutil.which("xdg-open")
    return [found] if found else None


def open_pdf(path: Path, *, wait: float = 1.0) -> str | None:
    """Open ``path`` with the system viewer; None, or a message saying why not (with the
    path). Waits up to ``wait`` s for the launcher (``xdg-open`` returns at once) to report
    a failure; a viewer that keeps running is left running."""
    command = viewer_command()
    if command is None:
        return f"no PDF viewer found (xdg-open is not installed); the PDF is at {path}"
    if not command:  # pragma: no cover - Windows only
        try:
            os.startfile(str(path))  # type: ignore[attr-defined]
        except OSError as exc:
            return f"cannot open the PDF ({exc.strerror or exc}); it is at {path}"
        return None
    try:
        child = subprocess.Popen(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        return f"cannot run {command[0]} ({exc.strerror or exc}); the PDF is at {path}"
    try:
        code = child.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        return None
    if code != 0:
        name = Path(command[0]).name
        return f"{name} could not open the PDF (exit status {code}); it is at {path}"
    return None
