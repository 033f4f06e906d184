"""Layout snapshots (pytest-textual-snapshot) at 120x36 and 80x24.

Regenerate after an intended change: ``pytest tests/test_snapshots.py --snapshot-update``.
Nothing here depends on the clock: annotations are stored with fixed timestamps, cursors
do not blink in headless mode, and the state comes from a fresh library in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_helpers import CAI, DPO, SURVEY, build_app, write_list

from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status

WIDE, NARROW = (120, 36), (80, 24)
STAMP = "2026-01-15T09:30:00Z"


def demo_library(db: Path, theme: str | None = None) -> None:
    library = Library.open(db)
    library.put_annotations(
        [
            Annotation(SURVEY, Status.READ, ("survey",), "", STAMP, STAMP, STAMP),
            Annotation(
                DPO,
                Status.READING,
                ("dpo", "to-present"),
                "## Why it matters\n\n- no reward model\n- **closed form** policy",
                STAMP,
                STAMP,
            ),
            Annotation(CAI, Status.UNREAD, ("safety",), "", STAMP, STAMP),
        ]
    )
    if theme:
        library.set_meta("tui_state", {"theme": theme})
    library.close()


@pytest.fixture
def app(tmp_path: Path):
    db = tmp_path / "library.json"
    demo_library(db)
    return build_app(write_list(tmp_path), db)


def test_main_view_wide(snap_compare, app) -> None:
    assert snap_compare(app, press=["j"], terminal_size=WIDE)


def test_main_view_narrow(snap_compare, app) -> None:
    assert snap_compare(app, press=["j"], terminal_size=NARROW)


def test_filter_active(snap_compare, app) -> None:
    assert snap_compare(app, press=["slash", *"tag:dpo"], terminal_size=WIDE)


def test_note_editor(snap_compare, app) -> None:
    assert snap_compare(app, press=["j", "n", "end", "enter", *"- new"], terminal_size=WIDE)


def test_help_narrow(snap_compare, app) -> None:
    assert snap_compare(app, press=["question_mark"], terminal_size=NARROW)


@pytest.mark.parametrize("theme", ["textual-light", "solarized-light"])
def test_light_themes_colour_every_part(snap_compare, tmp_path: Path, theme: str) -> None:
    """Tree glyphs, tags, the header's bar and the detail pane take the theme's colours."""
    db = tmp_path / "library.json"
    demo_library(db, theme)
    app = build_app(write_list(tmp_path), db)
    assert snap_compare(app, press=["j"], terminal_size=WIDE)
