"""``rlhf-reader list / show / check / locate``, the global options and the error contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlhf_reader import __version__
from rlhf_reader.cli import main

TESTS = Path(__file__).resolve().parent
HOSTILE = TESTS / "data" / "hostile.md"
OPENDILAB = TESTS / "data" / "opendilab_awesome-RLHF_README.md"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\x00", "\r")


# The fields of `list --json` and `show --json`, in order (DESIGN.md's CLI contract).
RECORD_FIELDS = [
    "key",
    "title",
    "url",
    "arxiv_id",
    "authors",
    "year",
    "section",
    "status",
    "tags",
    "note",
    "read_at",
    "venue",
    "added_at",
]


def run(
    capsys: pytest.CaptureFixture[str], *args: str, db: Path | None = None
) -> tuple[int, str, str]:
    """Run the CLI in-process with a temporary library; (exit code, stdout, stderr)."""
    argv = ["--db", str(db)] if db is not None else []
    try:
        code = main([*argv, *args])
    except SystemExit as exc:  # argparse: --version, --help and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str, *needles: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rlhf-reader: error: ")
    for needle in needles:
        assert needle in lines[0]


# --- list -------------------------------------------------------------------------------------


def test_list_groups_by_section(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, err = run(capsys, "list", db=db_path)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    headings = [line for line in lines if line and not line.startswith("  ")]
    assert headings == [
        "Papers › Review/Survey",
        "Papers › RLHF for LLMs: Theory / Methods",
        "Papers › RLHF for Other Domains",
        "Papers › Datasets",
        "Blogs/Talks/Reports › Blogs",
        "Blogs/Talks/Reports › Talks",
        "Blogs/Talks/Reports › Reports",
        "Open Source Software/Implementations",
    ]
    entry_lines = [line for line in lines if line.startswith("  ")]
    assert len(entry_lines) == 100
    assert lines.count("") == 7  # a blank line between groups
    assert entry_lines[0] == (
        "  ○ Foundational Challenges in Assuring Alignment and Safety of Large Language Models"
        " — Usman Anwar et al., 2024  [2404.09932]"
    )
    assert (
        "  ○ Reinforcement Learning from Human Feedback: From Zero to chatGPT — Nathan Lambert,"
        " 2022  [youtube.com/watch?v=2MBJOuVq380&t=2641s]" in entry_lines
    )
    assert "  ○ trl  [github.com/huggingface/trl/tree/main]" in entry_lines


def test_list_json_fields(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = run(capsys, "list", "--json", db=db_path)
    assert code == 0
    records = json.loads(out)
    assert isinstance(records, list) and len(records) == 100
    for record in records:
        assert list(record) == RECORD_FIELDS
        assert (record["status"], record["tags"], record["note"]) == ("unread", [], "")
    dpo = next(r for r in records if r["key"] == "2305.18290")
    assert (
        dpo["title"]
        == "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    )
    assert dpo["url"] == "http://arxiv.org/abs/2305.18290"
    assert dpo["arxiv_id"] == "2305.18290"
    assert dpo["authors"][:2] == ["Rafael Rafailov", "Archit Sharma"]
    assert dpo["year"] == 2023
    assert dpo["section"] == ["Papers", "RLHF for LLMs: Theory / Methods"]
    trl = next(r for r in records if r["title"] == "trl")
    assert (trl["arxiv_id"], trl["authors"], trl["year"]) == (None, [], None)


def test_list_section_and_search(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = run(capsys, "list", "--json", "--section", "reports › TALKS", db=db_path)
    assert code == 0
    talks = json.loads(out)
    assert [r["section"] for r in talks] == [["Blogs/Talks/Reports", "Talks"]] * 3
    code, out, _ = run(capsys, "list", "--json", "--section", "Papers", db=db_path)
    assert len(json.loads(out)) == 89
    code, out, _ = run(capsys, "list", "--json", "--search", '"From Zero to chatGPT"', db=db_path)
    assert [r["title"] for r in json.loads(out)] == [
        "Reinforcement Learning from Human Feedback: From Zero to chatGPT"
    ]
    code, out, _ = run(capsys, "list", "--section", "Review", "--search", '"alignment"', db=db_path)
    assert code == 0
    assert out.splitlines()[0] == "Papers › Review/Survey"
    assert all("Alignment" in line or "alignment" in line for line in out.splitlines()[1:])
    code, out, _ = run(capsys, "list", "--json", "--status", "UNREAD", db=db_path)  # as mark
    assert code == 0 and len(json.loads(out)) > 0


def test_list_nothing_matches(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = run(capsys, "list", "--section", "no such section", db=db_path)
    assert (code, out) == (0, "no entries match\n")
    code, out, _ = run(capsys, "list", "--json", "--section", "no such section", db=db_path)
    assert (code, json.loads(out)) == (0, [])


def test_list_bad_search_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    code, out, err = run(capsys, "list", "--search", "year:abc", db=db_path)
    assert (code, out) == (2, "")
    assert_one_error_line(err, "year:abc")


# --- show -------------------------------------------------------------------------------------


def test_show_text(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, err = run(capsys, "show", "arXiv:2305.18290v2", db=db_path)
    assert (code, err) == (0, "")
    fields = dict(line.strip().split("  ", 1) for line in out.splitlines())
    assert fields["title"] == (
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    )
    assert fields["authors"].startswith("Rafael Rafailov, Archit Sharma")
    assert (fields["year"], fields["venue"], fields["key"], fields["arxiv"]) == (
        "2023",
        "NeurIPS",
        "2305.18290",
        "2305.18290",
    )
    assert fields["section"] == "Papers › RLHF for LLMs: Theory / Methods"
    assert fields["url"] == "http://arxiv.org/abs/2305.18290"
    assert fields["status"] == "unread"


def test_show_duplicate_warns(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = run(capsys, "show", "2310.12036", db=db_path)
    assert code == 0
    assert "warning  listed 2 times (lines 111, 131)" in out


def test_show_cached_arxiv_metadata(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    from rlhf_reader.library.store import Library

    library = Library.open(db_path)
    library.put_metadata(
        {
            "2403.05534": {
                "arxiv_id": "2403.05534",
                "title": "Bayesian Preference Elicitation with Language Models",
                "authors": ["Kunal Handa", "Yarin Gal"],
                "abstract": "We use $\\pi$ and [@click=app.quit]x[/] \x1b[31m literally.",
                "published": "2024-03-08T17:00:00Z",
                "updated": "2024-03-09T17:00:00Z",
                "categories": ["cs.CL", "cs.AI"],
                "doi": "10.1/x",
                "fetched_at": "2026-11-26T10:00:00Z",
            }
        }
    )
    library.close()
    code, out, _ = run(capsys, "show", "Easy-to-Hard Generalization", db=db_path)
    assert code == 0
    assert "published  2024-03-08" in out and "categories  cs.CL cs.AI" in out
    assert "warning  listed 2 times (lines 61, 63)" in out
    assert "warning  the link points at «Bayesian Preference Elicitation with" in out
    assert "We use $\\pi$ and [@click=app.quit]x[/] \\x1b[31m literally." in out
    assert "\x1b" not in out


def test_show_json(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = run(capsys, "show", "illustrating reinforcement", "--json", db=db_path)
    assert code == 0
    record = json.loads(out)
    assert record["key"] == "huggingface.co/blog/rlhf"
    assert record["authors"] == ["Nathan Lambert"]
    assert set(record) == {*RECORD_FIELDS, "also_in"}
    assert record["also_in"] == []  # no other list registered


def test_show_ambiguous_and_missing(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, err = run(capsys, "show", "stabilizing", db=db_path)
    # One paper listed twice is not ambiguous.
    assert code == 0 and "2309.10202" in out
    code, out, err = run(capsys, "show", "Preference Optimization", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, "matches", "2305.18290 (Direct Preference Optimization")
    code, out, err = run(capsys, "show", "no paper has this title", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, "no entry matches")


# --- check and locate -------------------------------------------------------------------------


def test_check_reports_duplicates(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, err = run(capsys, "check", db=db_path)
    assert (code, err) == (0, "")
    assert out.count("duplicate: ") == 5
    assert "duplicate: 2403.05534 is listed 2 times, under different titles:" in out
    assert "duplicate: 2305.14718 is listed 2 times, under different titles:" in out
    assert "duplicate: 2310.12036 is listed 2 times, with the same title:" in out
    assert (
        "  line 61: Easy-to-Hard Generalization: Scalable Alignment Beyond Human Supervision"
        " (Papers › RLHF for LLMs: Theory / Methods)" in out
    )
    assert "  line 63: Bayesian Preference Elicitation with Language Models" in out
    assert "  line 137: Improving Language Models with Advantage-based Offline Policy" in out
    assert "100 entries checked" in out


def test_check_another_list(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, _ = run(capsys, "--list", str(OPENDILAB), "check", db=db_path)
    assert code == 0
    assert "duplicate: 2503.00897 is listed 2 times, under different titles:" in out
    assert "170 entries checked" in out


def test_locate_and_global_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "lib" / "mine.json"
    code, out, _ = run(capsys, "--db", str(db), "--list", str(HOSTILE), "locate")
    assert code == 0
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["library"] == str(db)
    assert lines["list"] == str(HOSTILE)
    assert lines["bundled"].endswith(os.path.join("rlhf_reader", "data", "awesome-rlhf.md"))
    assert Path(lines["bundled"]).is_file()
    assert lines["cache"] == os.path.join(os.environ["XDG_CACHE_HOME"], "rlhf-reader", "catalogs")

    env_db = tmp_path / "env.json"
    monkeypatch.setenv("RLHF_READER_DB", str(env_db))
    monkeypatch.setenv("RLHF_READER_LIST", str(OPENDILAB))
    code, out, _ = run(capsys, "locate")
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert (lines["library"], lines["list"]) == (str(env_db), str(OPENDILAB))
    code, out, _ = run(capsys, "list", "--json")
    assert len(json.loads(out)) == 170
    # The options win over the environment.
    code, out, _ = run(capsys, "--db", str(db), "--list", str(HOSTILE), "locate")
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert (lines["library"], lines["list"]) == (str(db), str(HOSTILE))


def test_locate_default_library_is_in_the_user_data_dir(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(capsys, "locate")
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["library"] == os.path.join(
        os.environ["XDG_DATA_HOME"], "rlhf-reader", "library.json"
    )


# --- errors -----------------------------------------------------------------------------------


def test_bad_list_files(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path) -> None:
    missing = tmp_path / "missing.md"
    code, out, err = run(capsys, "--list", str(missing), "list", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, str(missing), "no such file")

    code, out, err = run(capsys, "--list", str(tmp_path), "list", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, str(tmp_path), "is a directory")

    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes(b"## S\n- [Caf\xe9](https://a/1)\n")
    code, out, err = run(capsys, "--list", str(latin1), "show", "x", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, str(latin1), "not UTF-8", "offset 11")

    empty = tmp_path / "empty.md"
    empty.write_text("# Nothing\n\nJust prose.\n", encoding="utf-8")
    code, out, err = run(capsys, "--list", str(empty), "check", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, str(empty), "no entries found")


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["list", "--bogus"],
        ["--nope"],
        ["show"],
        ["list", "--status", "done"],
        # An empty path ("$UNSET") never falls back to the default library or list.
        ["--db", "", "mark", "2305.18290", "read"],
        ["--list=", "list"],
        ["export", "-o", ""],
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], db_path: Path, argv: list[str]) -> None:
    code, out, err = run(capsys, *argv, db=db_path)
    assert (code, out) == (2, "")
    assert_one_error_line(err)


# --- a hostile list cannot drive the terminal -------------------------------------------------


def test_hostile_list_output_has_no_raw_controls(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    outputs: list[str] = []
    base = ["--list", str(HOSTILE)]
    for args in (["list"], ["list", "--json"], ["check"], ["locate"]):
        code, out, err = run(capsys, *base, *args, db=db_path)
        assert code == 0, err
        outputs += [out, err]
    code, out, _ = run(capsys, *base, "list", "--json", db=db_path)
    records = json.loads(out)
    assert len(records) == 12
    assert records[4]["title"] == "Red \x1b[31mALERT\x1b[0m title"  # JSON keeps data exact
    for record in records:
        for flag in ([], ["--json"]):
            code, out, err = run(capsys, *base, "show", record["url"], *flag, db=db_path)
            assert code == 0, err
            outputs += [out, err]
    code, out, err = run(capsys, *base, "show", "Terminal", db=db_path)  # no match: error path
    outputs += [out, err]
    for text in outputs:
        for control in RAW_CONTROLS:
            assert control not in text
    joined = "".join(outputs)
    assert "Red \\x1b[31mALERT\\x1b[0m title" in joined  # made visible, not dropped
    assert "[@click=app.quit]y[/]" in joined and "[RLHF] x" in joined
    assert "Bell \\x07 ringing" in joined and "C1 \\x9b31m" in joined


def test_hostile_values_in_arguments_are_made_visible(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    code, _, err = run(capsys, "show", "\x1b[2Jnothing\x07", db=db_path)
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    assert_one_error_line(err, "\\x1b[2Jnothing\\x07")


# --- version ----------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"rlhf-reader {__version__}\n")


def test_python_m_version(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rlhf_reader", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"rlhf-reader {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "tui_only"),
    [
        ([], True),
        (["--db", "x.json"], True),
        (["--list=a.md", "--db", "x.json"], True),
        (["--db"], False),
        (["list"], False),
        (["--db", "x.json", "show", "kto"], False),
        (["--help"], False),
        (["--version"], False),
    ],
)
def test_opening_the_tui_parses_only_global_options(argv: list[str], tui_only: bool) -> None:
    from rlhf_reader.cli import _only_global_options

    assert _only_global_options(argv) is tui_only


def test_ctrl_c_while_the_commands_load_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rlhf_reader.cli as cli_module

    def interrupted(commands: bool = True) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "build_parser", interrupted)
    code, out, err = run(capsys, "list")
    assert (code, out, err) == (130, "", "rlhf-reader: error: interrupted\n")


def test_endless_list_file_is_refused_not_read_into_memory(
    capsys: pytest.CaptureFixture[str], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.lists import catalog

    monkeypatch.setattr(catalog, "MAX_LIST_BYTES", 10_000)
    code, out, err = run(capsys, "--list", "/dev/zero", "list", db=db_path)
    assert (code, out) == (1, "")
    assert_one_error_line(err, "/dev/zero", "not a regular file (a character device)")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_stdout_is_one_line(tmp_path: Path, db_path: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "rlhf_reader", "--db", str(db_path), "list", "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HOME": str(tmp_path)},
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr == "rlhf-reader: error: cannot write the output: No space left on device\n"
