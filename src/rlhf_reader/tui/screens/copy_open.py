"""The main screen's way out: a paper's link to the browser (``o``), its link or citation to
the clipboard (``y``, ``c``, ``C``).

``CopyAndOpen`` is a hidden part the main screen composes beside its other parts. The screen's
``action_*`` methods call it with the paper under the cursor. Nothing here blocks the UI:
the browser is started in a thread (``tui.browser``), a clipboard tool runs in a thread
(``tasks.copy_with_tool``) after the text went to the terminal's clipboard by OSC 52, and a CSL
style is rendered in a thread (``copying.render_citation``; the first one imports citeproc-py).
Their outcomes come back as messages handled here: ``LinkOpened`` (or the offer to copy the
link when no browser took it), ``Copied`` (the first copy by OSC 52 alone also shows the text
to select by hand), ``CitationRendered`` / ``CitationFailed``. In a web browser
(``App.is_web``) a link opens a new tab and the copy goes to the browser's clipboard
(``tui.web``). Opening a paper's link clears its new mark: the part posts ``PaperOpened``
and the screen's write part does it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol, cast

from textual import on
from textual.worker import Worker

from rlhf_reader.tui import browser, messages, tasks, web
from rlhf_reader.tui.screens.part import TaskPart

if TYPE_CHECKING:
    from rlhf_reader.model import Entry
    from rlhf_reader.tui.state import ReadingList


class Host(Protocol):
    """What the part reads of the screen it lives on (all public)."""

    reading: ReadingList


class CopyAndOpen(TaskPart):
    """Opens links in a browser, copies links and citations to the clipboard."""

    DEFAULT_CSS = "CopyAndOpen { display: none; }"

    offered_copy_dialog = False
    """The copied text was shown once to select by hand (after a copy by OSC 52 alone)."""

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    # o: the link to a browser ----------------------------------------------------------

    def open_link(self, entry: Entry) -> None:
        """Open ``entry``'s link (http and https only) in a browser; its new mark goes."""
        if not entry.url.startswith(("http://", "https://")):
            self.say(f"Not opened (only http and https links): {entry.url}", "warning")
            return
        self.post_message(messages.PaperOpened(entry.key))
        if self.app.is_web:
            self.app.open_url(entry.url)  # a new tab
            self.say(web.opening(entry.url))
            return
        browser.open_link(self, entry.url)

    @on(messages.LinkOpened)
    def _link_opened(self, event: messages.LinkOpened) -> None:
        """Say it opened; else offer to copy the link (no browser: over SSH, say)."""
        event.stop()
        url = event.url
        if event.opened:
            self.say(f"Opened {url} in the browser.")
            return

        def answered(choice: str | None) -> None:
            if choice == "copy":
                self.copy_text(url, f"the link {url}")

        self.app.push_screen(browser.offer_copy(event), answered)

    # y, c, C: to the clipboard ---------------------------------------------------------

    def copy_text(self, text: str, what: str) -> None:
        """Send ``text`` to the terminal's clipboard (OSC 52) now, and to a clipboard tool
        (pyperclip) in a thread: the tool may take a while, or hang."""
        self.app.copy_to_clipboard(text)
        if self.app.is_web:  # the browser's clipboard, never the server's tools
            self.post_message(messages.Copied(text, what, by_tool=False))
            return
        work = partial(tasks.copy_with_tool, self.post_message, text, what)
        self.run_worker(
            work, thread=True, group="clipboard", description="copy", exit_on_error=False
        )

    @on(messages.Copied)
    def _copied(self, event: messages.Copied) -> None:
        event.stop()
        if event.by_tool:
            self.say(f"Copied {event.what}.")
            return
        if self.app.is_web:
            self.say(web.copied(event.what))
        else:
            self.say(f"Copied {event.what} to the terminal's clipboard (OSC 52).")
        if not self.offered_copy_dialog:
            from rlhf_reader.tui.screens.copying import CopiedText

            self.offered_copy_dialog = True
            self.app.push_screen(CopiedText(event.what, event.text))

    def copy_link(self, entry: Entry) -> None:
        self.copy_text(entry.url, f"the link {entry.url}")

    def copy_citation(self, entry: Entry, fmt: str) -> None:
        """Copy ``entry``'s citation as ``fmt`` (a ``csl.choices()`` id). A built-in format is
        made at once; a CSL style is rendered in a thread worker."""
        from rlhf_reader.formats.cite import cite_one, describe

        row = self.host.reading.row(entry.key)
        if fmt.startswith("csl:"):
            from rlhf_reader.formats import csl
            from rlhf_reader.tui.screens.copying import render_citation

            label = next((c.label for c in csl.choices() if c.id == fmt), fmt)
            work = partial(render_citation, self.post_message, [row], fmt, label)
            self.run_worker(
                work,
                thread=True,
                group="citation",
                exclusive=True,
                description="citation",
                exit_on_error=False,
            )
            return
        try:
            text = cite_one(row, fmt)
        except Exception as exc:  # a citation bug must not end the app
            self.say(f"No citation ({type(exc).__name__}): {exc}", "error")
            return
        first = text.splitlines()[0] if text else ""
        self.copy_text(text, f"the {describe(fmt)} citation ({first[:60]})")

    def choose_citation(self, entry: Entry) -> None:
        """``C``: the format chooser, then the citation of ``entry`` in that format copied."""
        from rlhf_reader.tui.screens.copying import FormatChooser

        def chosen(fmt: str | None) -> None:
            if fmt:
                self.copy_citation(entry, fmt)

        self.app.push_screen(FormatChooser(), chosen)

    @on(messages.CitationRendered)
    def _citation_rendered(self, event: messages.CitationRendered) -> None:
        event.stop()
        self.copy_text(event.text, event.what)

    @on(messages.CitationFailed)
    def _citation_failed(self, event: messages.CitationFailed) -> None:
        event.stop()
        self.say(event.reason, "error")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug in the clipboard call: a notification, never a traceback."""
        if event.worker.group == "clipboard":
            self.say_failure(event, "clipboard")
