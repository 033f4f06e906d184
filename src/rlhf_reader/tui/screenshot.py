"""The palette's "save: screenshot (SVG)": where the file goes, and what is said after.

Textual's own command saves into the Downloads folder and, when that fails, says only
"Failed to save screenshot". Here the file goes into the Downloads folder when there is one,
else into the current folder (over SSH there is often no Downloads folder); the
notification names the file, and when the file could not be written, the reason too. The
SVG is written by Textual's delivery (``App.deliver_text``, in a thread; in a browser it is
a download) and the outcome comes back as ``DeliveryComplete`` / ``DeliveryFailed``.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.events import DeliveryComplete, DeliveryFailed

DELIVERY_NAME = "rlhf-reader-screenshot"
"""The ``name`` of our deliveries (Textual's own handlers answer only to "screenshot")."""


def screenshot_folder() -> Path:
    """The Downloads folder if there is one (a file of that name is tried, and fails with
    its reason), else the current folder."""
    from platformdirs import user_downloads_path

    downloads = user_downloads_path()
    return downloads if downloads.exists() else Path.cwd()


def screenshot_name(folder: Path, now: datetime | None = None) -> str:
    """``rlhf-reader-2026-12-01_22-35-14.svg``, numbered when that name is taken."""
    stem = f"rlhf-reader-{(now or datetime.now()):%Y-%m-%d_%H-%M-%S}"
    name = f"{stem}.svg"
    number = 1
    while (folder / name).exists() and number < 100:
        name = f"{stem}-{number}.svg"
        number += 1
    return name


class Screenshots:
    """Saves screenshots of ``app`` and turns each delivery's outcome into one sentence."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.pending: dict[str, Path] = {}
        """Delivery key → the file it writes."""

    def save(self) -> None:
        """An SVG of the screen as it is now, written in the background (a download in a
        browser); the outcome comes back as a delivery event."""
        app = self.app
        try:
            folder = screenshot_folder()
            name = screenshot_name(folder)
        except OSError as exc:  # the current folder is gone
            self.say(f"Screenshot not saved: {exc.strerror or exc}", "error")
            return
        svg = app.export_screenshot()
        key = app.deliver_text(
            io.StringIO(svg),
            save_directory=folder,
            save_filename=name,
            open_method="browser",
            mime_type="image/svg+xml",
            name=DELIVERY_NAME,
        )
        if key is not None:
            self.pending[key] = folder / name

    def delivered(self, event: DeliveryComplete) -> None:
        if event.name != DELIVERY_NAME:
            return
        path = event.path or self.pending.get(event.key)
        self.pending.pop(event.key, None)
        if self.app.is_web or path is None:
            self.say("Screenshot handed to your browser as a download.")
        else:
            self.say(f"Screenshot saved to {path}")

    def failed(self, event: DeliveryFailed) -> None:
        if event.name != DELIVERY_NAME:
            return
        path = self.pending.pop(event.key, None)
        error = event.exception
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        where = f" to {path}" if path is not None else ""
        self.say(f"Screenshot not saved{where}: {reason}", "error")

    def say(self, message: str, severity: str = "information") -> None:
        from rlhf_reader.textsafe import printable

        self.app.notify(
            printable(message),
            title="Screenshot",
            severity=severity,  # type: ignore[arg-type]
            markup=False,
            timeout=10,
        )
