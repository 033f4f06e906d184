"""Every action on the main screen, once: key, footer text, palette name and help text.

The screen's bindings, the command palette's actions and the help screen are generated
from ``ACTIONS``; a binding's id is ``group.name`` (the group picks the help heading, and
users remap keys by id with ``App.set_keymap``). No screen is imported here.
"""

from __future__ import annotations

from textual.binding import Binding

from rlhf_reader.valueclass import Value

STATE_NAME = "tui_state"
"""The library ``meta`` entry holding the view of last time (cursor, open sections, theme)."""


class Action(Value):
    """One user action: its binding (id ``group.name``), palette name and help text."""

    id: str
    keys: str
    action: str
    footer: str
    command: str
    help: str
    show: bool = True

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def binding(self) -> Binding:
        return Binding(
            self.keys, self.action, self.footer, show=self.show, id=self.id, tooltip=self.help
        )


ACTIONS: tuple[Action, ...] = (
    Action(
        "status.toggle-read",
        "space",
        "toggle_read",
        "Read",
        "toggle: read / unread",
        "Mark the paper read, or unread again",
    ),
    Action(
        "status.reading",
        "i",
        "mark_reading",
        "Reading",
        "mark: reading",
        "Mark the paper as being read",
    ),
    Action(
        "edit.tags",
        "t",
        "edit_tags",
        "Tags",
        "edit: tags",
        "Change the tags: +tag or tag adds, -tag removes; tags not named stay",
    ),
    Action(
        "edit.note",
        "n",
        "edit_note",
        "Note",
        "edit: note",
        "Edit the Markdown note (ctrl+s saves, ctrl+o edits it in $EDITOR, esc with changes "
        "asks: save, drop or keep editing)",
    ),
    Action(
        "open.link",
        "o",
        "open_link",
        "Open",
        "open: link in browser",
        "Open the paper's link in the browser (http and https only); with no browser, "
        "offers to copy the link",
    ),
    Action(
        "find.filter",
        "slash",
        "filter",
        "Filter",
        "filter: papers",
        "Filter: words, tag:x, status:unread, section:text, year:2024, list:NAME, -word; "
        "esc clears",
    ),
    Action(
        "find.clear",
        "escape",
        "clear_filter",
        "Clear",
        "clear: filter",
        "Cancel a running fetch or update; clear the filter and go back; from the detail "
        "pane, back to the tree",
        show=False,
    ),
    Action(
        "app.help", "question_mark", "help", "Help", "show: keys", "Every key, grouped by purpose"
    ),
    Action(
        "app.quit",
        "q",
        "app.quit",
        "Quit",
        "quit: app",
        "Quit (asks first when a note has unsaved changes)",
    ),
    Action(
        "copy.link",
        "y",
        "copy_link",
        "Copy link",
        "copy: link",
        "Copy the paper's link to the clipboard",
        show=False,
    ),
    Action(
        "copy.bibtex",
        "c",
        "copy_bibtex",
        "Cite",
        "copy: BibTeX citation",
        "Copy the paper's BibTeX entry to the clipboard",
    ),
    Action(
        "copy.choose",
        "C",
        "copy_citation",
        "Cite as",
        "copy: citation as…",
        "Choose a citation format (BibTeX, APA 7, Markdown, plain, CSL: IEEE, ACM…), copy it",
        show=False,
    ),
    Action(
        "copy.export",
        "e",
        "export",
        "Export",
        "export: reading list",
        "Export the list or the filtered entries (Markdown, BibTeX, CSV, RIS, JSON, CSL-JSON)",
    ),
    Action(
        "arxiv.fetch",
        "f",
        "fetch",
        "Fetch",
        "fetch: arXiv metadata",
        "Fetch arXiv metadata: the paper (again), or a section's uncached papers; esc cancels",
    ),
    Action(
        "arxiv.fetch-all",
        "F",
        "fetch_all",
        "Fetch all",
        "fetch: arXiv metadata for the whole list",
        "Fetch arXiv metadata for every uncached paper of the list; esc cancels",
        show=False,
    ),
    Action(
        "arxiv.add",
        "a",
        "add_paper",
        "Add",
        "add: paper by arXiv id",
        "Add a paper by arXiv id or link to My additions",
        show=False,
    ),
    Action(
        "list.update",
        "U",
        "update_list",
        "Update",
        "update: list from upstream",
        "Fetch the newest version of the list, show what changed, mark new entries",
        show=False,
    ),
    Action(
        "list.seen",
        "N",
        "mark_all_seen",
        "All seen",
        "mark: all new entries seen",
        "Clear every 'new' mark (a paper's own clears when you open it)",
        show=False,
    ),
    Action(
        "read.download",
        "d",
        "download_pdf",
        "PDF",
        "download: PDF of the paper",
        "Download the paper's PDF into pdfs/ beside the library (arXiv, or a link to a PDF "
        "file); only a real PDF is kept; esc cancels",
        show=False,
    ),
    Action(
        "read.open-pdf",
        "O",
        "open_pdf",
        "Open PDF",
        "open: PDF in the viewer",
        "Open the paper's PDF with the system viewer, downloading it first when missing",
        show=False,
    ),
    Action(
        "read.queue",
        "exclamation_mark",
        "toggle_queue",
        "Queue",
        "toggle: on the reading queue",
        "Put the paper on the reading queue (the section at the top), or take it off; "
        "marking it read takes it off too",
        show=False,
    ),
    Action(
        "read.queue-up",
        "ctrl+up",
        "queue_move('up')",
        "Queue up",
        "move: up the reading queue",
        "Move the paper one place up the reading queue",
        show=False,
    ),
    Action(
        "read.queue-down",
        "ctrl+down",
        "queue_move('down')",
        "Queue down",
        "move: down the reading queue",
        "Move the paper one place down the reading queue",
        show=False,
    ),
    Action(
        "list.sort",
        "s",
        "sort",
        "Sort",
        "sort: inside sections",
        "Order inside sections: list order, year ↓, title, status, date read ↓ (the same "
        "rules as list --sort); the header shows it",
        show=False,
    ),
    Action(
        "list.choose",
        "L",
        "choose_list",
        "Lists",
        "switch: list",
        "Pick one of your lists (each with its progress) or All lists, where ≡ marks a "
        "paper listed in several; each list keeps its own cursor and open sections",
        show=False,
    ),
    Action(
        "status.section",
        "m",
        "mark_section",
        "Section",
        "mark: section read / unread",
        "Mark a whole section read or unread (the one under the cursor, or the paper's); "
        "asks first, saying how many papers change. Space on a section does the same",
        show=False,
    ),
    Action(
        "status.undo",
        "u",
        "undo",
        "Undo",
        "undo: last change",
        "Undo this window's last change (status and date read, tags, note, a section mark); "
        "what another window or the CLI changed since is left as it is",
        show=False,
    ),
    Action(
        "scroll.authors",
        "A",
        "all_authors",
        "Authors",
        "toggle: all authors",
        "Show every author in the detail pane, or only the first ones again",
        show=False,
    ),
    Action(
        "list.progress",
        "p",
        "progress",
        "Progress",
        "show: progress dashboard",
        "Progress overall and per section, and papers read per week",
    ),
)

VIM_KEYS: tuple[Binding, ...] = (
    Binding(
        "j",
        "vim('down')",
        "Down",
        show=False,
        id="scroll.down",
        tooltip="Down: scroll the detail pane or the help, next choice in a list (as ↓)",
    ),
    Binding(
        "k",
        "vim('up')",
        "Up",
        show=False,
        id="scroll.up",
        tooltip="Up: scroll the detail pane or the help, previous choice in a list (as ↑)",
    ),
    Binding(
        "g",
        "vim('first')",
        "Top",
        show=False,
        id="scroll.top",
        tooltip="The top of the detail pane or the help, the first choice in a list (as home)",
    ),
    Binding(
        "G",
        "vim('last')",
        "Bottom",
        show=False,
        id="scroll.bottom",
        tooltip="The end of the detail pane or the help, the last choice in a list (as end)",
    ),
)
"""j/k/g/G where the arrows and home/end work: the detail pane, the help screen and every
chooser (``tui.widgets.vimkeys.VimKeys`` runs them). The tree has its own (``move.*``)."""
