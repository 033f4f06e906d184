"""``o`` in a terminal: the link to the reader's browser, and what to say when there is none.

``webbrowser.open`` runs in a worker thread (it may start a program, or ask
``xdg-settings`` first) and reports with ``messages.LinkOpened``: True only when a browser
took the link. Over SSH, or on a machine without a desktop, there is often none: the
screen then says so and offers to copy the link instead (the link reaches the reader's own
clipboard by OSC 52). In a web browser (``App.is_web``) the app's ``open_url`` opens a tab
instead (``tui.web``).
"""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from rlhf_reader.tui import messages

if TYPE_CHECKING:
    from rlhf_reader.tui.screens.confirm import ChoiceDialog


def open_in_browser(post: Callable[[Message], object], url: str) -> None:
    """Hand ``url`` to the browser (in a worker thread); post ``LinkOpened``."""
    try:
        opened = webbrowser.open(url)
    except Exception as exc:  # webbrowser.Error, OSError from a browser that will not start
        post(messages.LinkOpened(url, False, f"{type(exc).__name__}: {exc}"))
        return
    post(messages.LinkOpened(url, bool(opened), "" if opened else "no browser was found"))


def offer_copy(event: messages.LinkOpened) -> ChoiceDialog:
    """No browser took the link: say so, and offer to copy it (dismissed with "copy")."""
    from rlhf_reader.tui.screens.confirm import Answer, ChoiceDialog  # only when needed

    question = (
        f"No browser could be opened for {event.url} ({event.problem}; over SSH there is "
        "usually none). Copy the link instead?"
    )
    answers = [Answer("copy", "Copy link", "y"), Answer("cancel", "Cancel", "n")]
    return ChoiceDialog(question, answers, cancel="cancel", focus="copy")
