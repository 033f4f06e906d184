"""``o`` in a terminal: the link to the reader's browser, and what to say when there is none.

Where a browser window can open (macOS, Windows, a ``DISPLAY`` or ``WAYLAND_DISPLAY``),
``webbrowser.open`` runs in a worker thread (it may start a program, or ask
``xdg-settings`` first). Without one (over SSH, a console), ``webbrowser`` would only find
terminal browsers (lynx, w3m…) and start them beside the app, on the same terminal: the
link is not handed to them, unless the reader named a browser in ``$BROWSER``; that one
gets the terminal while the app is suspended (``App.suspend``), as ``$EDITOR`` does.

The outcome is a ``messages.LinkOpened``: opened only when a browser took the link. When
none did, the main screen's ``CopyAndOpen`` part says so and offers to copy the link instead
(it reaches the reader's own clipboard by OSC 52). In a web browser (``App.is_web``) the
app's ``open_url`` opens a tab instead (``tui.web``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message

from rlhf_reader.tui import messages

if TYPE_CHECKING:
    from textual.widget import Widget

    from rlhf_reader.tui.screens.confirm import ChoiceDialog

NO_DISPLAY = "no graphical display here: DISPLAY is not set, and $BROWSER names no browser"


def graphical(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> bool:
    """Can a browser window open here: macOS, Windows, or an X11 / Wayland display."""
    env = os.environ if env is None else env
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def open_link(part: Widget, url: str) -> None:
    """Hand ``url`` to a browser as the machine allows; ``part`` gets ``LinkOpened``."""
    if graphical():
        work = partial(open_in_browser, part.post_message, url)
        part.run_worker(
            work, thread=True, group="browser", description="browser", exit_on_error=False
        )
        return
    if not os.environ.get("BROWSER", "").strip():
        part.post_message(messages.LinkOpened(url, False, NO_DISPLAY))
        return
    from textual.app import SuspendNotSupported

    posted: list[Message] = []
    try:
        with part.app.suspend():  # the reader's terminal browser gets the terminal
            open_in_browser(posted.append, url)  # catches everything: the app resumes
    except SuspendNotSupported:
        posted.append(messages.LinkOpened(url, False, "the terminal cannot be handed over"))
    for message in posted:
        part.post_message(message)


def open_in_browser(post: Callable[[Message], object], url: str) -> None:
    """Hand ``url`` to the browser (in a worker thread); post ``LinkOpened``."""
    try:
        import webbrowser  # only when a link is opened: ~2 ms less at every start

        opened = webbrowser.open(url)
    except Exception as exc:  # webbrowser.Error, OSError from a browser that will not start
        post(messages.LinkOpened(url, False, f"{type(exc).__name__}: {exc}"))
        return
    post(messages.LinkOpened(url, bool(opened), "" if opened else "no browser was found"))


def offer_copy(event: messages.LinkOpened) -> ChoiceDialog:
    """No browser took the link: say so, and offer to copy it (dismissed with "copy")."""
    from rlhf_reader.tui.screens.confirm import Answer, ChoiceDialog  # only when needed

    question = (
        f"No browser could be opened for {event.url} ({event.problem}). Copy the link instead?"
    )
    answers = [Answer("copy", "Copy link", "y"), Answer("cancel", "Cancel", "n")]
    return ChoiceDialog(question, answers, cancel="cancel", focus="copy")
