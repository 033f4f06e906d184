"""Where the list comes from, and fetching a newer version of it.

The bundled list ships with the package. ``rlhf-reader update`` fetches the upstream README
(or any https URL or local file) and saves it beside the library as ``list.md``, with
``list.json`` saying where and when it came from; from then on that copy is the default list.
``update --reset`` removes it and the bundled copy is used again. A list opened with
``--list PATH`` is updated in place (the previous text kept as ``PATH.bak``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rlhf_reader.library import fileio

UPSTREAM_URL = "https://raw.githubusercontent.com/louieworth/awesome-rlhf/main/README.md"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 20.0  # connecting, and each read
DEADLINE_SECONDS = 60.0  # the whole download: a server dripping bytes is cut off
USER_AGENT = "rlhf-reader (+https://pypi.org/project/rlhf-reader/)"


class UpdateError(Exception):
    """The list could not be fetched or saved; the current list stays as it is."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a saved list came from."""

    origin: str
    fetched_at: str
    sha256: str
    size: int


def saved_list_path(db_path: Path) -> Path:
    """The updated copy of the default list, beside the library."""
    return db_path.parent / "list.md"


def provenance_path(list_path: Path) -> Path:
    return list_path.with_suffix(".source.json")


def read_provenance(list_path: Path) -> Provenance | None:
    try:
        data = json.loads(provenance_path(list_path).read_text(encoding="utf-8"))
        return Provenance(**{name: data[name] for name in Provenance.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def fetch(
    origin: str,
    *,
    timeout: float | None = None,
    max_bytes: int | None = None,
    deadline: float | None = None,
) -> bytes:
    """The bytes of an https URL or a local file, at most ``max_bytes`` (default 5 MB).

    A download has a ``timeout`` on connecting and on each read, and an overall
    ``deadline``; a local file must be a regular file (a FIFO would block)."""
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    deadline = DEADLINE_SECONDS if deadline is None else deadline
    lowered = origin.lower()
    if lowered.startswith("https://"):
        return _fetch_https(origin, timeout=timeout, max_bytes=max_bytes, deadline=deadline)
    if "://" in origin:
        scheme = origin.split("://", 1)[0]
        raise UpdateError(f"{origin}: only https URLs or local files are accepted, not {scheme}://")
    path = fileio.expand_user(origin)
    try:
        if path.is_dir():
            raise UpdateError(f"{path}: is a directory, not a Markdown list")
        # A regular file only (a FIFO would wait for a writer forever), read bounded anyway.
        with fileio.open_regular(path) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UpdateError(_too_large(str(path), max_bytes))
        return data
    except FileNotFoundError:
        raise UpdateError(f"{path}: no such file") from None
    except OSError as exc:
        raise UpdateError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _too_large(origin: str, max_bytes: int) -> str:
    return f"{origin}: larger than the {max_bytes / (1024 * 1024):g} MB a list may have"


def _fetch_https(url: str, *, timeout: float, max_bytes: int, deadline: float) -> bytes:
    # Imported here: the CLI imports this module and must start fast.
    import http.client
    import socket
    import ssl
    import threading
    import urllib.error
    import urllib.request
    import weakref

    context = ssl.create_default_context()
    # The download's sockets, so that a watchdog can cut it off at the deadline: the timeout
    # is per read, and a server sending a byte every few seconds would keep it alive for ever.
    sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    class TrackedConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class TrackedHTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(TrackedConnection, req, context=context)

    class NoDowngradeRedirect(urllib.request.HTTPRedirectHandler):
        """Follow redirects only to other https URLs."""

        def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
            if not newurl.lower().startswith("https://"):
                raise UpdateError(f"{req.full_url}: redirected to a non-https URL ({newurl})")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        for sock in list(sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    late = UpdateError(f"{url}: no complete answer within {deadline:g} s")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener(TrackedHTTPSHandler(), NoDowngradeRedirect())
    watchdog = threading.Timer(deadline, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise UpdateError(_too_large(url, max_bytes))
            data = response.read(max_bytes + 1)
            if length and length.isdigit() and len(data) < int(length) <= max_bytes:
                # read(n) returns what came before the server hung up: a cut list would
                # retire every entry past the cut.
                raise UpdateError(
                    f"{url}: the answer was cut short ({len(data):,} of {int(length):,} bytes)"
                )
    except UpdateError:
        if expired.is_set():
            raise late from None
        raise
    except urllib.error.HTTPError as exc:
        raise UpdateError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if expired.is_set():
            raise late from None
        reason = exc.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise UpdateError(f"{url}: no answer within {timeout:g} s") from None
        raise UpdateError(f"{url}: cannot connect: {reason}") from None
    except TimeoutError:
        raise UpdateError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        # HTTPException: the answer was cut short (IncompleteRead) or was not HTTP.
        if expired.is_set():
            raise late from None
        raise UpdateError(f"{url}: {exc or type(exc).__name__}") from None
    finally:
        watchdog.cancel()
    if expired.is_set():
        raise late
    if len(data) > max_bytes:
        raise UpdateError(_too_large(url, max_bytes))
    return data


def save(list_path: Path, data: bytes, provenance: Provenance, *, keep_backup: bool) -> None:
    """Write the list and its provenance atomically; the old list to ``.bak`` if asked."""
    try:
        list_path.parent.mkdir(parents=True, exist_ok=True)
        if keep_backup and list_path.exists():
            fileio.write_atomic(
                list_path.with_name(list_path.name + ".bak"), list_path.read_bytes()
            )
        fileio.write_atomic(list_path, data)
        record = json.dumps(asdict(provenance), indent=2).encode("utf-8")
        fileio.write_atomic(provenance_path(list_path), record)
    except OSError as exc:
        raise UpdateError(f"{list_path}: cannot save: {exc.strerror or exc}") from None


def reset(db_path: Path) -> bool:
    """Forget the updated copy of the default list; True when there was one."""
    return forget(saved_list_path(db_path))


def forget(list_path: Path) -> bool:
    """Delete a saved list with its provenance and its ``.bak``; True when it existed.
    UpdateError naming the file that cannot be removed."""
    existed = list_path.exists()
    backup = list_path.with_name(list_path.name + ".bak")
    for target in (list_path, provenance_path(list_path), backup):
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UpdateError(f"{target}: cannot remove: {exc.strerror or exc}") from None
    return existed


def make_provenance(origin: str, data: bytes, fetched_at: str) -> Provenance:
    return Provenance(
        origin=origin,
        fetched_at=fetched_at,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
