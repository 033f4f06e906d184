"""What changes when the app runs in a web browser (``rlhf-reader serve``, ``App.is_web``).

The app process then runs on the server, not where the reader sits: an export is handed to
the browser as a download (``App.deliver_binary``) instead of being written into the server's
folder, a link opens in a new browser tab (``App.open_url`` does that under the web driver)
and a copy goes to the browser's clipboard (``App.copy_to_clipboard``: textual-serve's page
hands it to ``navigator.clipboard``), never to the server's clipboard tools.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

    from rlhf_reader.library.records import Row

COPY_EXPLAIN = (
    "The text was handed to this browser's clipboard. Browsers allow that on https:// pages "
    "and on this computer's own address (localhost, 127.0.0.1); a plain http:// page from "
    "another machine may be refused without a word. If nothing was copied, the text is "
    "below: select it with the mouse while holding Shift and copy it with the browser's "
    "right-click menu. This window opens once per session."
)

# What the browser is told the download is; charset: every export is UTF-8 text.
MIME_TYPES = {
    "markdown": "text/markdown",
    "bibtex": "application/x-bibtex",
    "csv": "text/csv",
    "ris": "application/x-research-info-systems",
    "json": "application/json",
    "csl-json": "application/json",
}


def copied(what: str) -> str:
    """The notification after a copy in the browser."""
    return f"Copied {what} to the browser's clipboard."


def opening(url: str) -> str:
    """The notification when ``o`` opens a link in a new browser tab."""
    return f"Opening {url} in a new tab (if nothing opens, allow pop-ups for this page)"


def download_name(text: str) -> tuple[Path | None, str | None]:
    """The export dialog's file field, in a browser: only a file name (the browser chooses
    the folder), made safe for an HTTP header; the name, or why not."""
    name = PurePath(text.strip().replace("\\", "/")).name
    # textual-serve puts the name into the Content-Disposition header unquoted: keep it to
    # letters, digits, dot, dash and underscore, so every browser reads the same name.
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")
    if not name.strip("._-"):
        return None, "Give a file name."
    return Path(name), None


def deliver_export(
    app: App[Any],
    rows: Iterable[Row],
    fmt: str,
    name: str,
    *,
    title: str,
    additions: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """Render the export and hand it to the browser as a download called ``name``; the
    notification to show. Call from a worker thread: the rendering may take a while, the
    hand-over runs on the app's thread. ``ExportError`` / ``ValueError`` as ``export``."""
    from rlhf_reader.formats.export import export

    rows = list(rows)
    data = export(rows, fmt, title=title, additions=additions).encode("utf-8")
    mime = f"{MIME_TYPES.get(fmt, 'text/plain')}; charset=utf-8"
    app.call_from_thread(app.deliver_binary, io.BytesIO(data), save_filename=name, mime_type=mime)
    count = len({row.key for row in rows})
    noun = "entry" if count == 1 else "entries"
    return f"Exported {count} {noun} as {fmt}: your browser downloads {name}"
