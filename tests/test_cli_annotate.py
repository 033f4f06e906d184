"""``mark``, ``tag``, ``note``, ``stats`` and the ``list`` filters, through ``cli.main``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rlhf_reader import cli
from rlhf_reader.library.store import MAX_NOTE_BYTES, Library
from rlhf_reader.model import Status

LIST = """\
# Test list

## Papers

### Methods
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
  - Rafael Rafailov, Archit Sharma. NeurIPS, 2023.
- [KTO: Model Alignment as Prospect Theoretic Optimization](https://arxiv.org/abs/2402.01306)
  - Kawin Ethayarajh, Winnie Xu. arXiv, 2024.
- [Evil \x1bc Red\x07 Title](https://arxiv.org/abs/2401.00001)
  - Mallory. arXiv, 2024.

### Surveys
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290v2)
  - Rafael Rafailov. NeurIPS, 2023.
- [AI Alignment: A Comprehensive Survey](https://arxiv.org/abs/2310.19852)
  - Jiaming Ji. arXiv, 2024.

## Blogs
- [Illustrating RLHF](https://huggingface.co/blog/rlhf)
"""

DPO, KTO, EVIL, SURVEY, BLOG = (
    "2305.18290",
    "2402.01306",
    "2401.00001",
    "2310.19852",
    "huggingface.co/blog/rlhf",
)


@pytest.fixture
def run(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]):
    list_path = tmp_path / "list.md"
    list_path.write_text(LIST, encoding="utf-8")

    def invoke(*argv: str) -> tuple[int, str, str]:
        try:
            code = cli.main(["--list", str(list_path), "--db", str(db_path), *argv])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def lib(db_path: Path) -> Library:
    return Library.open(db_path)


# mark ---------------------------------------------------------------------------------------


def test_mark_several_keys_in_any_form(run, db_path: Path) -> None:
    code, out, err = run("mark", DPO, "https://arxiv.org/pdf/2402.01306v2", "read")
    assert (code, err) == (0, "")
    assert "● unread → read: Direct Preference Optimization  [2305.18290]" in out
    assert "[2402.01306]" in out
    anns = lib(db_path).annotations()
    assert anns[DPO].status is Status.READ and anns[DPO].read_at
    assert anns[KTO].status is Status.READ

    code, out, _ = run("mark", "prospect theoretic", "READING")
    assert code == 0 and "◐ read → reading: KTO" in out
    assert lib(db_path).annotation(KTO).read_at is None

    code, out, _ = run("mark", DPO, "read")
    assert code == 0 and out.startswith("● already read: Direct Preference")


def test_mark_bad_status_is_a_usage_error(run, db_path: Path) -> None:
    code, _, err = run("mark", DPO, "done")
    assert code == 2 and "'done'" in err and "expected one of: unread, reading, read" in err
    assert not db_path.exists()


def test_mark_with_one_unknown_key_writes_nothing(run, db_path: Path) -> None:
    run("mark", SURVEY, "reading")
    before = db_path.read_bytes()
    code, out, err = run("mark", DPO, "no-such-paper-anywhere", "read")
    assert code == 1 and out == ""
    assert err.startswith("rlhf-reader: error: ") and "no-such-paper-anywhere" in err
    assert db_path.read_bytes() == before


def test_titles_are_made_safe_to_print(run) -> None:
    code, out, _ = run("mark", EVIL, "read")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil \\x1bc Red\\x07 Title" in out


def test_bad_library_is_an_error_and_untouched(run, db_path: Path) -> None:
    db_path.write_bytes(b'{"annotations": {"1": ')
    code, out, err = run("mark", DPO, "read")
    assert code == 1 and out == ""
    assert str(db_path) in err and "not JSON" in err and err.count("\n") == 1
    assert db_path.read_bytes() == b'{"annotations": {"1": '


# tag ----------------------------------------------------------------------------------------


def test_tag_add_remove_and_to_read_is_a_tag(run, db_path: Path) -> None:
    code, out, err = run("tag", DPO, KTO, "+RL", "to-read", "+Reward Models")
    assert (code, err) == (0, "")
    assert "+rl +to-read +reward-models: Direct Preference Optimization" in out
    assert lib(db_path).annotation(KTO).tags == ("rl", "to-read", "reward-models")

    code, out, _ = run("tag", DPO, "-to-read")
    assert code == 0 and "-to-read" in out and "tags: rl, reward-models" in out
    assert lib(db_path).annotation(DPO).tags == ("rl", "reward-models")

    code, out, _ = run("tag", DPO, "--", "-rl")  # `--` is accepted and ignored
    assert code == 0 and lib(db_path).annotation(DPO).tags == ("reward-models",)

    code, out, _ = run("tag", DPO, "survey")  # no +/-: the last word is the tag
    assert code == 0 and lib(db_path).annotation(DPO).tags == ("reward-models", "survey")

    code, out, _ = run("tag", DPO, "+survey", "-absent")
    assert code == 0 and "no change" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("tag",), 2, "KEY"),
        (("tag", "+x"), 2, "KEY"),
        (("tag", DPO, "+a,b"), 1, "comma"),
        (("tag", DPO, "+ok", "+" + "x" * 41), 1, "longer than 40"),
        (("tag", DPO, "+"), 1, "needs a tag after it"),
        (("tag", DPO, "+x", "-X"), 1, "both added and removed"),
        (("tag", DPO, "nope-not-a-paper", "+x"), 1, "nope-not-a-paper"),
    ],
)
def test_tag_errors_write_nothing(run, db_path: Path, argv, code: int, message: str) -> None:
    run("tag", KTO, "+keep")
    before = db_path.read_bytes()
    got, out, err = run(*argv)
    assert got == code and out == ""
    assert err.startswith("rlhf-reader: error: ") and message in err
    assert db_path.read_bytes() == before


# note ---------------------------------------------------------------------------------------


def test_note_set_show_replace_clear(run, db_path: Path) -> None:
    code, out, _ = run("note", DPO, "Read **section 4**.")
    assert code == 0 and out.startswith("note saved (19 characters): Direct Preference")
    code, out, _ = run("note", DPO)
    assert (code, out) == (0, "Read **section 4**.\n")
    code, out, _ = run("note", DPO, "--", "-starts with a dash")
    assert code == 0 and "note replaced" in out
    assert lib(db_path).annotation(DPO).note == "-starts with a dash"
    code, out, _ = run("note", DPO, "--clear")
    assert code == 0 and out.startswith("note cleared")
    assert lib(db_path).annotation(DPO).note == ""
    code, out, _ = run("note", DPO)
    assert code == 0 and out.startswith("no note")


def test_note_from_stdin(run, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "# Ünïcode\n\n- line \x1b two\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = run("note", KTO, "-")
    assert code == 0 and "note saved" in out
    assert lib(db_path).annotation(KTO).note == text
    code, out, _ = run("note", KTO)
    assert "\x1b" not in out and "line \\x1b two" in out and "\n- line" in out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"\xff\xfe bad", "not UTF-8"),
        (b"x" * (MAX_NOTE_BYTES + 1), "larger than"),
        (b"", "stdin is empty"),  # a script's empty stdin must not wipe the note
        (b"\n", "stdin is empty"),
    ],
)
def test_bad_note_from_stdin_writes_nothing(
    run, db_path: Path, monkeypatch: pytest.MonkeyPatch, stdin: bytes, message: str
) -> None:
    run("note", KTO, "old")
    before = db_path.read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code, _, err = run("note", KTO, "-")
    assert code == 1 and message in err
    assert db_path.read_bytes() == before


def test_empty_note_text_is_refused_and_a_bom_is_dropped(
    run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("note", KTO, "keep me")
    code, _, err = run("note", KTO, "")
    assert code == 1 and "TEXT is empty" in err and "--clear" in err
    assert lib(db_path).annotation(KTO).note == "keep me"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbfnew")))
    assert run("note", KTO, "-")[0] == 0
    assert lib(db_path).annotation(KTO).note == "new"


def test_note_from_a_closed_stdin_writes_nothing(
    run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("note", KTO, "keep me")
    monkeypatch.setattr("sys.stdin", None)  # what Python gives a process started with <&-
    code, _, err = run("note", KTO, "-")
    assert code == 1 and "stdin is closed" in err
    assert lib(db_path).annotation(KTO).note == "keep me"


def test_note_text_and_clear_together_is_a_usage_error(run) -> None:
    code, _, err = run("note", DPO, "text", "--clear")
    assert code == 2 and "give one of TEXT, --clear or --edit" in err


# stats and list filters -----------------------------------------------------------------------


def test_stats_json_counts_duplicates_once_overall(run) -> None:
    run("mark", DPO, BLOG, "read")
    run("mark", KTO, "reading")
    run("tag", DPO, KTO, "+rl")
    code, out, _ = run("stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats["overall"] == {"total": 5, "read": 2, "reading": 1, "unread": 2}
    assert stats["listed"] == 6 and stats["duplicates"] == 1
    by_path = {tuple(s["path"]): s for s in stats["sections"]}
    assert by_path[("Papers",)]["total"] == 4  # DPO under Methods and Surveys counts once
    assert {k: by_path[("Papers", "Methods")][k] for k in ("total", "read", "reading")} == {
        "total": 3,
        "read": 1,
        "reading": 1,
    }
    assert by_path[("Papers", "Surveys")]["read"] == 1
    assert by_path[("Blogs",)] == {
        "title": "Blogs",
        "path": ["Blogs"],
        "level": 2,
        "total": 1,
        "read": 1,
        "reading": 0,
        "unread": 0,
    }
    assert stats["tags"] == {"rl": 2}


def test_stats_text(run) -> None:
    run("mark", DPO, "read")
    code, out, _ = run("stats")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["total", "read", "reading", "unread", "done"]
    assert lines[1].split() == ["all", "entries", "5", "1", "0", "4", "20%"]
    assert "1 repeat listing" in out
    assert any(line.split()[:2] == ["Methods", "3"] for line in lines)


def test_list_filters_and_json_carry_the_library(run) -> None:
    run("mark", DPO, SURVEY, "read")
    run("tag", SURVEY, "+to-read")
    run("note", SURVEY, "good overview")
    code, out, _ = run("list", "--status", "read", "--json")
    records = json.loads(out)
    assert code == 0 and {r["key"] for r in records} == {DPO, SURVEY}
    code, out, _ = run("list", "--tag", "to-read", "--json")
    (record,) = json.loads(out)
    assert record["key"] == SURVEY
    assert (record["status"], record["tags"], record["note"]) == (
        "read",
        ["to-read"],
        "good overview",
    )
    code, out, _ = run("list", "--status", "unread")
    assert code == 0 and "KTO" in out and "Direct Preference" not in out
    code, out, _ = run("show", SURVEY)
    assert "read (read " in out and "to-read" in out and "good overview" in out


def test_stats_json_escapes_c1_and_bidi_in_section_titles(run, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        "# T\n\n## Sec \u009b31m \u202eevil\n\n- [A](https://example.org/a)\n", encoding="utf-8"
    )
    code, out, _ = run("--list", str(hostile), "stats", "--json")  # the later --list wins
    assert code == 0
    assert "\u009b" not in out and "\u202e" not in out
    assert json.loads(out)["sections"][0]["title"] == "Sec \u009b31m \u202eevil"
