"""Copy dialogs: the citation format chooser (``C``) and the copied text to select by hand;
the thread side of a CSL citation (``render_citation``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from rlhf_reader.formats import csl
from rlhf_reader.textsafe import printable_block
from rlhf_reader.tui import messages, web
from rlhf_reader.tui.actions import VIM_KEYS
from rlhf_reader.tui.widgets.vimkeys import VimKeys

if TYPE_CHECKING:
    from rlhf_reader.library.records import Row
    from rlhf_reader.tui.tasks import Post

DIGITS = "123456789"


class FormatChooser(VimKeys, ModalScreen[str | None]):
    """The citation formats, then the CSL styles (a digit picks one of the first nine, or
    arrows or j/k/g/G and enter); dismissed with the choice's id (``csl.cite_as``)."""

    DEFAULT_CSS = """
    FormatChooser { align: center middle; }
    FormatChooser > Vertical {
        width: 44; height: auto; border: thick $accent; background: $surface;
    }
    FormatChooser OptionList { height: auto; border: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        *VIM_KEYS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.choices = csl.choices()

    def compose(self) -> ComposeResult:
        options = []
        for n, choice in enumerate(self.choices):
            number = DIGITS[n] if n < len(DIGITS) else " "
            options.append(Option(Text(f"{number}  {choice.label}"), id=choice.id))
        with Vertical() as box:
            box.border_title = "Copy citation as"
            box.border_subtitle = "enter copies · esc cancels"
            yield OptionList(*options, id="formats")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        char = event.character
        if char and len(char) == 1 and char in DIGITS and DIGITS.index(char) < len(self.choices):
            event.stop()
            self.dismiss(self.choices[DIGITS.index(char)].id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def render_citation(post: Post, rows: Sequence[Row], choice: str, label: str) -> None:
    """``C`` with a CSL style (in a thread worker): the citation as ``CitationRendered``, or
    why there is none as ``CitationFailed``; the main screen's ``CopyAndOpen`` copies it."""
    try:
        text = csl.cite_as(rows, choice)
    except csl.StyleError as exc:
        post(messages.CitationFailed(f"No {label} citation: {exc}"))
        return
    except Exception as exc:  # a citation bug must not end the app
        post(messages.CitationFailed(f"No {label} citation ({type(exc).__name__}): {exc}"))
        return
    first = text.splitlines()[0] if text else ""
    post(messages.CitationRendered(text, f"the {label} citation ({first[:60]})"))


class CopiedText(ModalScreen[None]):
    """The copied text, selected in a read-only editor, for when no clipboard tool works."""

    DEFAULT_CSS = """
    CopiedText { align: center middle; }
    CopiedText > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    CopiedText TextArea { height: auto; max-height: 16; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="dialog.close"),
    ]

    EXPLAIN = (
        "No clipboard tool was found (xclip, xsel, wl-copy, pbcopy…). The text was sent to "
        "the terminal's clipboard (OSC 52), which works in most terminals, also over SSH. "
        "If yours does not allow it, select the text below with the mouse (it is already "
        "selected) and copy it with the terminal. This window opens once per session."
    )

    def __init__(self, what: str, text: str) -> None:
        super().__init__()
        self.what = what
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Copied: {self.what}"
            box.border_subtitle = "esc closes"
            explain = web.COPY_EXPLAIN if self.app.is_web else self.EXPLAIN
            yield Static(Text(explain), markup=False)
            area = TextArea(printable_block(self.text), read_only=True, id="copied-text")
            area.cursor_blink = False
            area.show_line_numbers = False
            yield area

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.select_all()

    def action_close(self) -> None:
        self.dismiss(None)
