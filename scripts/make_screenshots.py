"""Regenerate screenshots/*.svg: ``python scripts/make_screenshots.py``.

Builds a demo library in a temporary folder (a few papers read or being read, tags, a
Markdown note, the view of last time) over the bundled list, then renders each view with
``rlhf-reader screenshot`` (headless, through the same ``make_app`` factory as the app).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rlhf_reader.cli import main
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "screenshots"
STAMP = "2026-01-15T09:30:00Z"


def weeks_ago(weeks: float) -> str:
    """A read date relative to today, so the dashboard's last 26 weeks show the demo reads."""
    when = datetime.now(timezone.utc) - timedelta(weeks=weeks)
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


NOTE = """\
## Takeaways

- Aligns with **binary** desirable / undesirable labels, no preference *pairs*
- Loss from prospect theory: losses weigh more than gains
- Matches DPO from 1B to 30B parameters

> Try on our support-chat logs: thumbs up / down is all we have.
"""

DEMO: list[Annotation] = [
    Annotation("2404.09932", Status.READ, ("survey", "safety"), "", STAMP, STAMP, weeks_ago(9)),
    Annotation("2310.19852", Status.READ, ("survey",), "", STAMP, STAMP, weeks_ago(6)),
    Annotation(
        "2307.15217", Status.READ, ("survey", "open-problems"), "", STAMP, STAMP, weeks_ago(6)
    ),
    Annotation("2307.12966", Status.READING, ("survey",), "", STAMP, STAMP),
    Annotation("2402.01306", Status.READING, ("dpo-family", "to-present"), NOTE, STAMP, STAMP),
    Annotation("2402.10571", Status.READ, ("dpo-family",), "", STAMP, STAMP, weeks_ago(2)),
    Annotation("2401.10020", Status.READ, ("self-play",), "", STAMP, STAMP, weeks_ago(0.2)),
    Annotation("2312.00886", Status.UNREAD, ("self-play", "theory"), "", STAMP, STAMP),
]

VIEWS = {
    # name: (size, keys pressed); the theme is textual-dark unless THEMES names another
    "main": ("120x36", ""),
    "filter": ("120x36", "slash,text:prefrence -reward"),
    "note": ("120x36", "n,ctrl+end,enter,text:- Ablate the loss weights"),
    "help": ("120x36", "question_mark"),
    "narrow": ("80x24", ""),
    "dashboard": ("120x36", "p"),
    "export": ("120x36", "e"),
    "theme-dark": ("120x36", ""),
    "theme-light": ("120x36", ""),
}
THEMES = {"theme-dark": "nord", "theme-light": "solarized-light"}


def build_library(path: Path) -> None:
    library = Library.open(path)
    library.put_annotations(DEMO)
    library.close()
    set_view(path, "textual-dark")


def set_view(path: Path, theme: str) -> None:
    """The view the app restores: the cursor, open sections and ``theme``."""
    library = Library.open(path)
    library.set_meta(
        "tui_state",
        {
            "cursor": "2402.01306",
            "expanded": [
                ["Papers"],
                ["Papers", "Review/Survey"],
                ["Papers", "RLHF for LLMs: Theory / Methods"],
            ],
            "theme": theme,
        },
    )
    library.close()


def run() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "library.json"
        build_library(db)
        for name, (size, keys) in VIEWS.items():
            set_view(db, THEMES.get(name, "textual-dark"))
            args = ["--db", str(db), "screenshot", str(OUT / f"{name}.svg"), "--size", size]
            code = main([*args, "--press", keys] if keys else args)
            if code:
                return code
    return 0


if __name__ == "__main__":
    sys.exit(run())
