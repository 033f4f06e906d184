"""arXiv metadata: batched fetches with the ``arxiv`` package, the cache, wrong-link checks.

How a fetch behaves (arXiv's API rules: one connection, at least 3 s between requests):

* ids are asked in batches of at most 100 with ``Search(id_list=batch,
  max_results=len(batch))``, so n ids cost ⌈n/100⌉ requests;
* every request has an HTTP timeout (connect, and each read) and an overall deadline: a
  server that drips a byte at a time is cut off when the deadline passes (a watchdog shuts
  the socket down), so a request never takes longer than ``deadline`` seconds;
* a 5xx answer, a timeout, a missed deadline or a dropped connection is retried a bounded
  number of times with exponential backoff (a refused connection or an unknown host is not:
  offline, retrying would only make the reader wait);
* a multi-batch fetch stops once ``give_up_after`` batches in a row have failed that way
  (after their retries): the ids not asked yet are reported as failed, "not asked", instead
  of trying every batch of a 10,000-entry list against a server that is down;
* an HTTP 400 answer (arXiv's error feed, shaped like a paper titled "Error") is never taken
  for a paper: the id it names is dropped from the batch and the rest is asked again;
* malformed XML fails its batch only; an id missing from the answer is "not found on arXiv";
* nothing here writes to the library: the caller stores ``FetchReport.records`` (or the
  records passed to ``on_records`` after each batch), so a failure cannot corrupt the cache.

The front ends use :func:`plan_fetch` to skip cached ids and :func:`fetch_metadata` (any
thread) to ask for the rest. The endpoint comes from ``$RLHF_READER_ARXIV_URL`` (the query
string is appended). In a Textual thread worker (the library is written from the UI thread)::

    @work(thread=True, exclusive=True, group="arxiv", exit_on_error=False)
    def fetch_worker(self, ids: list[str]) -> FetchReport:
        to_fetch, cached = plan_fetch(ids, library.metadata_keys(), force=False)
        worker = get_current_worker()
        call = self.app.call_from_thread
        return fetch_metadata(
            to_fetch,
            progress=lambda done, total: call(self.show_progress, done, total),
            should_cancel=lambda: worker.is_cancelled,
            on_records=lambda records: call(library.put_metadata, records),
        )
    # then report.summary() for the notification; report.failed / not_found per id.

Adding a paper: ``additions.parse_paper(text)`` (AddError with the message),
``additions.already_there(id, list_catalog, library.additions())``, the fetch above for one
id (or ``library.metadata(id)``), then ``additions.store_addition(library, record, now, tags)``
on the UI thread. :func:`title_mismatch` gives the detail pane its warning.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rlhf_reader.keys import parse_arxiv_id
from rlhf_reader.model import Catalog, Entry

if TYPE_CHECKING:
    import arxiv
    import requests

DEFAULT_URL = "https://export.arxiv.org/api/query"
URL_ENV = "RLHF_READER_ARXIV_URL"
MAX_BATCH = 100

Progress = Callable[[int, int], None]
"""``progress(done, total)``: ids settled so far (fetched, not found or failed) of all asked."""
CancelCheck = Callable[[], bool]
RecordsSink = Callable[[dict[str, dict[str, Any]]], None]


def endpoint_url() -> str:
    return os.environ.get(URL_ENV, "").strip() or DEFAULT_URL


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How politely and how patiently to talk to arXiv. Tests shrink the numbers."""

    url: str = DEFAULT_URL
    interval: float = 3.0  # seconds between the end of one request and the next
    timeout: float = 30.0  # connect, and each read
    deadline: float = 60.0  # the whole request: connect, send, headers and body
    retries: int = 3  # extra tries after a 5xx, a timeout or a dropped connection
    backoff: float = 3.0  # first wait before a retry; doubles each time
    batch_size: int = MAX_BATCH
    give_up_after: int = 2  # batches in a row failing (after retries) that end the fetch

    @classmethod
    def from_env(cls, **overrides: Any) -> FetchSettings:
        return replace(cls(url=endpoint_url()), **overrides)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, not {self.batch_size}")
        if self.give_up_after < 1:
            raise ValueError(f"give_up_after must be at least 1, not {self.give_up_after}")
        if not self.deadline > 0:
            raise ValueError(f"deadline must be positive, not {self.deadline}")


# errors a request can end in ------------------------------------------------------------


class FetchError(Exception):
    """A request that did not give us a usable feed; ``transient`` ones are retried."""

    transient = False


class ServerError(FetchError):
    transient = True

    def __init__(self, status: int) -> None:
        super().__init__(f"arXiv answered HTTP {status}")
        self.status = status


class BadRequest(FetchError):
    """HTTP 4xx; ``message`` is what arXiv's error feed says (``incorrect id format for X``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"arXiv answered with an error (HTTP {status}: {message})")
        self.status = status
        self.message = message


class DeadlineExceeded(FetchError):
    """The answer was not complete within the request's overall deadline."""

    transient = True

    def __init__(self, deadline: float) -> None:
        super().__init__(f"no complete answer from arXiv within {deadline:g} s")


class MalformedFeed(FetchError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"arXiv sent malformed XML ({detail})")


_ATOM = "{http://www.w3.org/2005/Atom}"


def _parse_strict(content: bytes) -> Any:
    """The root element of ``content``; MalformedFeed unless it is a well-formed Atom feed.

    The arxiv package parses with ``recover=True`` and would quietly return part of a
    truncated feed; we want to know.
    """
    from lxml import etree

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise MalformedFeed(str(exc).splitlines()[0] if str(exc) else "not XML") from None
    if root is None or root.tag != f"{_ATOM}feed":
        raise MalformedFeed("not an Atom feed")
    return root


def _error_entry(root: Any) -> str | None:
    """The message of arXiv's error entry (id ``…/api/errors#…``, titled "Error"), if any."""
    for entry in root.iter(f"{_ATOM}entry"):
        if "/api/errors" in (entry.findtext(f"{_ATOM}id") or ""):
            summary = entry.findtext(f"{_ATOM}summary") or entry.findtext(f"{_ATOM}title")
            return " ".join((summary or "").split()) or "unspecified error"
    return None


def _check_answer(status: int, content: bytes) -> None:
    """Raise the FetchError an answer amounts to; return for a usable feed."""
    if status >= 500:
        raise ServerError(status)
    if status != 200:
        try:
            message = _error_entry(_parse_strict(content)) or "no error message"
        except MalformedFeed:
            message = "no error feed"
        raise BadRequest(status, message)
    error = _error_entry(_parse_strict(content))
    if error is not None:
        raise BadRequest(status, error)


def _make_session(settings: FetchSettings, sleep: Callable[[float], None]) -> requests.Session:
    import socket
    import weakref

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    # Every socket this session opens, so that the deadline watchdog can cut it off: the
    # HTTP timeout is per read, and a byte every few seconds would keep a request alive.
    sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    class TrackedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            sockets.add(sock)
            return sock

    class TrackedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            sockets.add(sock)
            return sock

    class TrackedHTTPPool(HTTPConnectionPool):
        ConnectionCls = TrackedHTTPConnection

    class TrackedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = TrackedHTTPSConnection

    pools = {"http": TrackedHTTPPool, "https": TrackedHTTPSPool}

    class TrackedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = dict(pools)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            if not proxy.lower().startswith("socks"):  # SOCKS has its own pool classes
                manager.pool_classes_by_scheme = dict(pools)
            return manager

    def cut_off() -> None:
        for sock in list(sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    class ArxivSession(requests.Session):
        """One pooled connection, a timeout, an overall deadline and the request spacing on
        every request; a non-200 answer or a broken feed becomes a :class:`FetchError`."""

        def __init__(self) -> None:
            super().__init__()
            adapter = TrackedAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
            self.mount("http://", adapter)
            self.mount("https://", adapter)
            self.requests_sent = 0
            self._last: float | None = None

        def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
            kwargs["timeout"] = settings.timeout
            if self._last is not None:
                wait = self._last + settings.interval - time.monotonic()
                if wait > 0:
                    sleep(wait)
            self.requests_sent += 1
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                cut_off()

            # Not streamed: the body is read inside super().request, under the watchdog.
            watchdog = threading.Timer(settings.deadline, expire)
            watchdog.daemon = True
            watchdog.start()
            try:
                response = super().request(method, url, *args, **kwargs)
            except Exception:
                if expired.is_set():
                    raise DeadlineExceeded(settings.deadline) from None
                raise
            finally:
                watchdog.cancel()
                self._last = time.monotonic()
            if expired.is_set():  # cut off as the answer completed: do not trust it
                raise DeadlineExceeded(settings.deadline)
            _check_answer(response.status_code, response.content)
            return response

    return ArxivSession()


# records --------------------------------------------------------------------------------

_VERSION_RE = re.compile(r"v(\d+)$")
_LOOSE_ID_RE = re.compile(
    r"(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE
)


def canonical_id(text: str) -> str | None:
    """The versionless id to ask arXiv for: what ``keys.parse_arxiv_id`` accepts, or anything
    shaped like an id (``0808.05394``); arXiv itself decides whether it exists."""
    bare = parse_arxiv_id(text)
    if bare is None:
        match = _LOOSE_ID_RE.fullmatch(text.strip())
        bare = match.group(1) if match else None
    return bare


def _iso(value: datetime | None) -> str | None:
    if value is None or value.year < 1900:
        return None
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _now_iso() -> str:
    return _iso(datetime.now(timezone.utc)) or ""


def record_from_result(result: arxiv.Result, fetched_at: str | None = None) -> dict[str, Any]:
    """The cache record (shared metadata schema) of one parsed arXiv entry."""
    short = result.get_short_id()
    match = _VERSION_RE.search(short)
    bare = canonical_id(short) or short
    return {
        "key": bare,
        "arxiv_id": bare,
        "version": f"v{match.group(1)}" if match else None,
        "title": " ".join(result.title.split()),
        "authors": [a.name.strip() for a in result.authors if a.name and a.name.strip()],
        "abstract": (result.summary or "").strip(),
        "published": _iso(result.published),
        "updated": _iso(result.updated),
        "primary_category": result.primary_category or None,
        "categories": list(result.categories),
        "doi": result.doi or None,
        "journal_ref": result.journal_ref or None,
        "comment": result.comment or None,
        "pdf_url": result.pdf_url or None,
        "fetched_at": fetched_at or _now_iso(),
    }


def _is_paper(result: arxiv.Result) -> bool:
    """False for arXiv's error entries (``…/api/errors#…``, titled "Error")."""
    return "arxiv.org/abs/" in result.entry_id and "/api/errors" not in result.entry_id


# the report -----------------------------------------------------------------------------


@dataclass(slots=True)
class FetchReport:
    """What a fetch did. ``records`` maps arXiv id → cache record; ``failed`` id → reason."""

    asked: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    requests: int = 0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True unless something failed (an id arXiv does not know is not a failure)."""
        return not self.failed

    def summary(self) -> str:
        text = (
            f"fetched {len(self.records)}, cached {len(self.cached)}, "
            f"not found {len(self.not_found)}, failed {len(self.failed)}"
        )
        return text + (" (cancelled)" if self.cancelled else "")


def plan_fetch(
    ids: Iterable[str], cache: Container[str], force: bool = False
) -> tuple[list[str], list[str]]:
    """Split ids (any accepted spelling) into (to fetch, already cached: in ``cache``, the
    keys of the cached records), keeping order."""
    to_fetch: list[str] = []
    cached: list[str] = []
    seen: set[str] = set()  # (not the lists: that was quadratic, 75 s for 100,000 ids)
    for raw in ids:
        bare = canonical_id(raw) or raw
        if bare in seen:
            continue
        seen.add(bare)
        (cached if bare in cache and not force else to_fetch).append(bare)
    return to_fetch, cached


# the fetcher ----------------------------------------------------------------------------


class ArxivFetcher:
    """One ``arxiv.Client`` with a polite, patient session. Thread-safe (one fetch at a time)."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        import arxiv

        self.settings = settings or FetchSettings.from_env()
        self._sleep_impl = sleep or time.sleep
        self._cancel: CancelCheck = lambda: False
        self._lock = threading.Lock()
        self.session = _make_session(self.settings, self._sleep)
        # The client's own delay and retries are off: the session spaces requests (also
        # across failed ones, which the client would not count) and fetch() retries.
        self.client = arxiv.Client(
            page_size=self.settings.batch_size, delay_seconds=0.0, num_retries=0
        )
        self.client._session = self.session
        url = self.settings.url.replace("{", "{{").replace("}", "}}")
        self.client.query_url_format = url + ("&" if "?" in url else "?") + "{}"

    @property
    def requests_sent(self) -> int:
        return int(getattr(self.session, "requests_sent", 0))

    def close(self) -> None:
        self.session.close()

    def _sleep(self, seconds: float) -> None:
        """Sleep in short slices; a cancel is noticed within 0.1 s and ends the fetch."""
        left = seconds
        while left > 0:
            if self._cancel():
                raise _Cancelled
            step = min(left, 0.1)
            self._sleep_impl(step)
            left -= step

    def fetch(
        self,
        ids: Sequence[str],
        *,
        progress: Progress | None = None,
        should_cancel: CancelCheck | None = None,
        on_records: RecordsSink | None = None,
    ) -> FetchReport:
        """Ask arXiv for ``ids`` (no cache involved); see :func:`fetch_metadata`."""
        with self._lock:
            self._cancel = should_cancel or (lambda: False)
            try:
                return self._fetch(ids, progress, on_records)
            finally:
                self._cancel = lambda: False

    def _fetch(
        self, ids: Sequence[str], progress: Progress | None, on_records: RecordsSink | None
    ) -> FetchReport:
        report = FetchReport()
        wanted: list[str] = []
        for raw in ids:
            bare = canonical_id(raw)
            if bare is None:
                report.failed[raw] = f"{raw!r} is not an arXiv id"
            elif bare not in wanted:
                wanted.append(bare)
        report.asked = wanted
        total, done = len(wanted), 0
        start = self.requests_sent
        size = self.settings.batch_size
        failed_in_a_row = 0
        for first in range(0, total, size):
            if self._cancel():
                report.cancelled = True
                break
            batch = wanted[first : first + size]
            try:
                records, failure = self._fetch_batch(batch, report)
            except _Cancelled:
                # Stopped while waiting: this batch's ids stay unsettled (and uncached).
                report.cancelled = True
                break
            if records:
                report.records.update(records)
                if on_records is not None:
                    on_records(records)
            done += len(batch)
            failed_in_a_row = failed_in_a_row + 1 if failure else 0
            give_up = failed_in_a_row >= self.settings.give_up_after and done < total
            if give_up:
                # arXiv is down or unreachable: do not try every remaining batch.
                batches = (
                    "a failed batch"
                    if failed_in_a_row == 1
                    else (f"{failed_in_a_row} failed batches in a row")
                )
                self._fail(wanted[done:], f"not asked after {batches}", report)
                done = total
            if progress is not None:
                progress(done, total)
            if give_up:
                break
        report.requests = self.requests_sent - start
        return report

    def _fetch_batch(
        self, batch: list[str], report: FetchReport
    ) -> tuple[dict[str, dict[str, Any]], str | None]:
        """The batch's records, and the reason when the batch failed on the way to arXiv
        (down, unreachable, too slow: what makes the next batch likely to fail too)."""
        import requests

        pending = list(batch)
        attempt = 0
        while pending:
            try:
                results = self._request(pending)
            except BadRequest as exc:
                bad = _named_id(exc.message, pending)
                if bad is not None and len(pending) > 1:
                    report.failed[bad] = str(exc)
                    pending.remove(bad)
                    continue
                self._fail(pending, str(exc), report)
                return {}, None
            except (FetchError, requests.exceptions.RequestException) as exc:
                transient = _is_transient(exc)
                reason = _describe(exc, self.settings.timeout)
                if transient and attempt < self.settings.retries:
                    self._sleep(self.settings.backoff * 2**attempt)
                    attempt += 1
                    continue
                tries = f" (after {attempt + 1} tries)" if attempt else ""
                self._fail(pending, reason + tries, report)
                # A malformed answer is this batch's problem; anything else is the road.
                return {}, None if isinstance(exc, MalformedFeed) else reason
            return self._settle(pending, results, report), None
        return {}, None

    def _request(self, ids: list[str]) -> list[arxiv.Result]:
        import arxiv

        search = arxiv.Search(id_list=ids, max_results=len(ids))
        self.client.page_size = len(ids)  # one page: the URL asks for exactly the batch
        got: list[arxiv.Result] = []
        try:
            got.extend(self.client.results(search))
        except arxiv.UnexpectedEmptyPageError:
            # Only possible on a second page, which an id list should never need.
            if not got:
                raise
        return got

    def _settle(
        self, pending: list[str], results: list[arxiv.Result], report: FetchReport
    ) -> dict[str, dict[str, Any]]:
        fetched_at = _now_iso()
        records: dict[str, dict[str, Any]] = {}
        for result in results:
            if not _is_paper(result):
                summary = " ".join((result.summary or "").split()) or result.title
                report.messages.append(f"arXiv answered with an error entry: {summary}")
                continue
            record = record_from_result(result, fetched_at)
            if record["arxiv_id"] in pending:
                records[record["arxiv_id"]] = record
        for bare in pending:
            if bare not in records:
                report.not_found.append(bare)
        return records

    def _fail(self, ids: list[str], reason: str, report: FetchReport) -> None:
        for bare in ids:
            report.failed[bare] = reason


class _Cancelled(Exception):
    """``should_cancel()`` said stop while the fetcher was waiting."""


def _named_id(message: str, ids: list[str]) -> str | None:
    """The id of ``ids`` that arXiv's error message names (``incorrect id format for X``)."""
    match = re.search(r"\bfor\s+(\S+)\s*$", message)
    if match:
        named = match.group(1)
        for bare in ids:
            if bare == named or canonical_id(named) == bare:
                return bare
    return None


def _is_transient(exc: Exception) -> bool:
    """Worth another try: a 5xx, a timeout, a connection dropped mid-answer. Not a refused
    connection or an unknown host (offline: retrying would only make the reader wait)."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, FetchError):
        return exc.transient
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)
        return not isinstance(reason, NewConnectionError)
    return False


def _describe(exc: Exception, timeout: float) -> str:
    import requests

    if isinstance(exc, FetchError):
        return str(exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer from arXiv within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return "cannot connect to arXiv (connection refused)"
        if "timed out" in text.lower():
            return f"no answer from arXiv within {timeout:g} s"
        return "cannot connect to arXiv (network error)"
    bad_url = (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    )
    if isinstance(exc, bad_url):  # a mistyped RLHF_READER_ARXIV_URL
        return f"the arXiv API address is not an http(s) URL (check {URL_ENV}): {exc}"
    return f"request failed ({type(exc).__name__})"


_shared: ArxivFetcher | None = None
_shared_lock = threading.Lock()


def shared_fetcher() -> ArxivFetcher:
    """The process's one fetcher (and so one connection and one request clock)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.settings.url != endpoint_url():
            _shared = ArxivFetcher(FetchSettings.from_env())
        return _shared


def set_shared_fetcher(fetcher: ArxivFetcher | None) -> None:
    """Install ``fetcher`` as the process's fetcher (tests, or other settings); None resets."""
    global _shared
    with _shared_lock:
        _shared = fetcher


def fetch_metadata(
    ids: Sequence[str],
    *,
    fetcher: ArxivFetcher | None = None,
    progress: Progress | None = None,
    should_cancel: CancelCheck | None = None,
    on_records: RecordsSink | None = None,
) -> FetchReport:
    """Fetch arXiv metadata for ``ids`` (any accepted spelling; no cache lookup).

    Blocking, fit for a thread worker: ``progress(done, total)`` after each batch,
    ``should_cancel()`` checked before each batch and during waits, ``on_records(records)``
    with each batch's records as soon as they arrive (store them from the UI thread).
    Never raises for network or arXiv trouble: it is all in the report.
    """
    return (fetcher or shared_fetcher()).fetch(
        ids, progress=progress, should_cancel=should_cancel, on_records=on_records
    )


# wrong links ----------------------------------------------------------------------------

_LATEX_ACCENT_RE = re.compile(r"\\[`'^\"~=.uvHc]\s*\{?\s*([A-Za-z])\s*\}?")
_LATEX_ARG_RE = re.compile(r"\\[A-Za-z]+\*?\s*\{([^{}]*)\}")
_LATEX_CMD_RE = re.compile(r"\\[A-Za-z]+\*?|\\.")
_NON_WORD_RE = re.compile(r"[\W_]+", re.UNICODE)


def normalize_title(title: str) -> str:
    """Lower-case words only: no LaTeX (``$K$``, ``\\textbf{…}``), accents or punctuation."""
    text = _LATEX_ACCENT_RE.sub(r"\1", title)
    previous = None
    while previous != text:
        previous, text = text, _LATEX_ARG_RE.sub(r"\1", text)
    text = _LATEX_CMD_RE.sub(" ", text).replace("$", "").replace("{", "").replace("}", "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_NON_WORD_RE.sub(" ", text).split())


def titles_match(listed: str, fetched: str) -> bool:
    """Whether a list's title and arXiv's title name the same paper.

    Equal once normalised; or one is the other without its subtitle (at least two words);
    or they differ by a typo or two (similarity ≥ 0.9). Nothing to compare counts as a match.
    """
    a, b = normalize_title(listed), normalize_title(fetched)
    if not a or not b or a == b:
        return True
    short, long = sorted((a, b), key=len)
    if long.startswith(short + " ") and len(short.split()) >= 2:
        return True
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


def title_mismatch(entry: Entry, record: Mapping[str, Any] | None) -> str | None:
    """arXiv's title when the entry's link points at a paper with another title, else None
    (also when nothing is cached, or for an addition, whose title came from arXiv).

    For the detail pane: ``the link points at «{title_mismatch(entry, record)}»``."""
    from rlhf_reader.library.additions import is_addition

    if not entry.arxiv_id or not record or is_addition(entry):
        return None
    fetched = record.get("title")
    if isinstance(fetched, str) and not titles_match(entry.title, fetched):
        return " ".join(fetched.split())
    return None


def title_mismatches(
    catalog: Catalog, metadata: Mapping[str, Mapping[str, Any]]
) -> list[tuple[Entry, str]]:
    """Entries of the list whose link points at a paper with another title, in list order:
    ``(entry, fetched title)``. Entries without cached metadata are not judged."""
    found = []
    for entry in catalog.entries:
        fetched = title_mismatch(entry, metadata.get(entry.key))
        if fetched is not None:
            found.append((entry, fetched))
    return found
