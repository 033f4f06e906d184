"""Issue 12 for the parser: no silent truncation (deep nesting), exact text (NBSP, entities),
and a list that cannot be read says what it holds and which lines were not read."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlhf_reader.cli import main
from rlhf_reader.lists.catalog import MAX_NESTING, CatalogError, load, parse

LISTS = Path(__file__).resolve().parent / "data" / "lists"


def nested(levels: int) -> str:
    text = "# L\n\n## A\n\n"
    for depth in range(levels):
        text += "  " * depth + f"- level {depth}\n"
    text += (
        "  " * levels + "- [Deep](https://a.example/deep)\n\n- [After](https://a.example/after)\n"
    )
    return text + "\n## B\n\n- [Later](https://a.example/later)\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("levels", [9, 12, 30, 55, 57, 58])
def test_deep_nesting_reads_the_whole_list(levels: int) -> None:
    catalog = parse(nested(levels))
    assert [e.title for e in catalog.entries] == ["Deep", "After", "Later"]
    assert [s.title for s in catalog.sections] == ["A", "B"]
    assert catalog.skipped == ()


@pytest.mark.parametrize("levels", [59, 60, 200])
def test_just_past_the_limit(levels: int) -> None:
    catalog = parse(nested(levels))
    assert [e.title for e in catalog.entries] == ["After", "Later"]  # each once
    assert len(catalog.skipped) == 1


def test_nesting_past_the_limit_is_skipped_said_and_the_rest_read(tmp_path: Path) -> None:
    levels = MAX_NESTING  # far deeper than the limit
    catalog = parse(nested(levels))
    assert [e.title for e in catalog.entries] == ["After", "Later"]
    (note,) = catalog.skipped
    assert note.startswith("lines ") and note.endswith("deep; skipped")
    first, last = (int(n) for n in note.split(":")[0].removeprefix("lines ").split("-"))
    assert 5 < first <= last <= levels + 6
    # The note survives the parse cache, and the CLI says it on load and in check.
    path = tmp_path / "deep.md"
    path.write_text(nested(levels), encoding="utf-8")
    assert load(path).skipped == catalog.skipped
    assert load(path).skipped == catalog.skipped  # from the cache this time


def test_check_and_load_say_what_was_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "deep.md"
    path.write_text(nested(MAX_NESTING), encoding="utf-8")
    db = str(tmp_path / "library.json")
    code, out, err = run(capsys, "--db", db, "--list", str(path), "check")
    assert code == 0
    assert "skipped: lines " in out
    assert "2 entries checked, 1 warning(s)" in out
    assert err.startswith("rlhf-reader: warning: ") and "deep; skipped" in err
    code, out, err = run(capsys, "--db", db, "--list", str(path), "list")
    assert code == 0 and "After" in out and "Later" in out
    assert "deep; skipped" in err


def test_check_reports_lines_that_look_like_papers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "list.md"
    path.write_text(
        "# L\n\n## Papers\n\n- See the DPO paper at arxiv.org/abs/2305.18290 too\n"
        "- [Read](https://arxiv.org/abs/2305.18290)\n  - Ann Lee, 2023.\n"
        "- **Broken link** [[pdf]] (https://a.example/x.pdf)\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "--db", str(tmp_path / "l.json"), "--list", str(path), "check")
    assert code == 0
    assert "not read: line 5 looks like a paper but is not an entry: See the DPO paper" in out
    assert "not read: line 8 " in out
    assert "1 entries checked, 2 warning(s)" in out
    terryum = load(LISTS / "terryum_awesome-deep-learning-papers_README.md")
    assert [line for line, _ in terryum.unread] == [356]


def test_no_entries_says_what_the_file_holds_and_which_shapes_are_read(tmp_path: Path) -> None:
    path = tmp_path / "prose.md"
    path.write_text(
        "# Notes\n\n## One\n\nSee [a](https://a.example) and [b](https://b.example).\n\n"
        "- a point\n- another\n\n| x | y |\n|---|---|\n| 1 | 2 |\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as err:
        load(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: no entries found (it has 2 headings, 2 links, ")
    assert "2 table rows, 2 list items)" in message
    assert "'- [Title](url)'" in message and "'- **Title.** Authors. [[paper](url)]'" in message


# --- exact text ---------------------------------------------------------------------------


NBSP = "\u00a0"


def test_nbsp_and_entities_round_trip(tmp_path: Path) -> None:
    text = (
        f"# My{NBSP}list\n\n## Papers{NBSP}2024\n\n"
        f"- [GPT{NBSP}4 Technical Report](https://arxiv.org/abs/2303.08774)\n"
        f"  - OpenAI{NBSP}Team, 2023.\n"
        f"- **Fast{NBSP}Title.** Ann{NBSP}Lee et al. arXiv 2023. [[pdf]](https://a.example/p.pdf)\n"
        "- [Tom &amp; Jerry &copy; &#169; \\*](https://a.example/tj)\n"
        f"- [Two  spaces and\ttab{NBSP}kept](https://a.example/ws)\n"
    )
    catalog = parse(text)
    assert catalog.title == f"My{NBSP}list"
    assert catalog.sections[0].title == f"Papers{NBSP}2024"
    gpt, fast, tom, spaces = catalog.entries
    assert gpt.title == f"GPT{NBSP}4 Technical Report"  # the fast path
    assert gpt.authors == f"OpenAI{NBSP}Team"
    assert fast.title == f"Fast{NBSP}Title" and fast.authors == f"Ann{NBSP}Lee et al."
    # Entities stay as written; a backslash escape is Markdown and goes.
    assert tom.title == "Tom &amp; Jerry &copy; &#169; *"
    # ASCII white space folds (as Markdown renders it); NBSP does not.
    assert spaces.title == f"Two spaces and tab{NBSP}kept"
    path = tmp_path / "nbsp.md"
    path.write_text(text, encoding="utf-8")
    assert load(path) == load(path) == parse(text, str(path))  # parsed, then from the cache


def test_a_readme_with_several_h1s_is_not_titled_readme(tmp_path: Path) -> None:
    text = "# Papers\n- [One](https://a/1)\n# Blogs\n- [Two](https://a/2)\n"
    assert parse(text, str(tmp_path / "lists" / "README.md")).title == "Papers"
    assert parse("- [One](https://a/1)\n", str(tmp_path / "my-list" / "README.md")).title == (
        "my-list"
    )
    assert parse(text, str(tmp_path / "notes.md")).title == "notes"


def test_an_update_to_a_list_with_a_skipped_part_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The entries of the skipped part would look removed and be retired: refuse the update.
    path = tmp_path / "list.md"
    path.write_text(nested(3), encoding="utf-8")
    newer = tmp_path / "newer.md"
    newer.write_text(nested(MAX_NESTING), encoding="utf-8")
    db = str(tmp_path / "library.json")
    code, _, err = run(capsys, "--db", db, "--list", str(path), "update", "--from", str(newer))
    assert code == 1
    assert "part of the new list could not be read" in err and "the current list stays" in err
    assert path.read_text(encoding="utf-8") == nested(3)
