"""Issue 13, the CLI items: ``--search is:new``, ``--help`` texts and "did you mean",
``mark STATUS KEY``, ``tag KEY``, ``note KEY --edit``, ``list --sort`` and ``--json`` fields,
and shell completion. Everything runs through the in-process CLI runner on a real library
file in ``tmp_path``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST, run_cli

from rlhf_reader.library.records import Row
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.tags import TagEdit

ADDED = [
    ("2501.12948", "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via RL"),
    ("2502.00001", "A Paper Added Upstream"),
]
DPO = "2305.18290"


def updated_list(tmp_path: Path) -> Path:
    """The bundled list with two papers added at the top of a section."""
    text = BUNDLED_LIST.read_text(encoding="utf-8")
    added = "".join(f"- [{title}](https://arxiv.org/abs/{key})\n" for key, title in ADDED)
    assert "### Review/Survey\n" in text
    source = tmp_path / "v2.md"
    source.write_text(text.replace("### Review/Survey\n", "### Review/Survey\n" + added))
    return source


# 1. --search is:new ---------------------------------------------------------------------------


def test_list_and_export_search_is_new_find_what_the_update_added(
    capsys: pytest.CaptureFixture[str], db_path: Path, tmp_path: Path
) -> None:
    code, _, err = run_cli(capsys, db_path, "update", "--from", str(updated_list(tmp_path)))
    assert code == 0, err
    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--search", "is:new")
    assert code == 0
    assert sorted(r["key"] for r in json.loads(out)) == sorted(k for k, _ in ADDED)
    code, out, _ = run_cli(capsys, db_path, "list", "--search", "is:new")
    assert code == 0 and all(f"[{key}]" in out for key, _ in ADDED)
    assert out.count("[") == 2
    code, out, _ = run_cli(capsys, db_path, "export", "-f", "json", "--search", "is:new deepseek")
    assert code == 0
    assert [r["key"] for r in json.loads(out)["entries"]] == [ADDED[0][0]]
    # Negated, and after `seen`: the marks are the library's, as in the TUI.
    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--search=-is:new")
    assert not {r["key"] for r in json.loads(out)} & {k for k, _ in ADDED}
    assert run_cli(capsys, db_path, "seen", ADDED[0][0])[0] == 0
    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--search", "is:new")
    assert [r["key"] for r in json.loads(out)] == [ADDED[1][0]]


# 17. list --sort and the --json fields --------------------------------------------------------


def _row(key: str, title: str, year: int | None, **ann: object) -> Row:
    entry = Entry(key=key, title=title, url=f"https://example.org/{key}", section=("S",), year=year)
    return Row(entry, Annotation(key=key, **ann))  # type: ignore[arg-type]


SAMPLE = [
    _row("a", "Zebra", 2021, status=Status.READ, read_at="2026-03-02T10:00:00+00:00"),
    _row("b", "\u00e9lan", None),
    _row("c", '"Apple"', 2019, status=Status.READING),
    _row("d", "mango", 2021, status=Status.READ, read_at="2026-01-05T10:00:00+00:00"),
    _row("e", "Banana", 2023),
]


@pytest.mark.parametrize(
    ("spec", "keys"),
    [
        ("year", "cadeb"),  # ties keep list order; no year last
        ("-year", "eadcb"),  # reversed, ties still in list order, no year still last
        ("title", "cebda"),  # "Apple" without its quote, élan as elan, case ignored
        ("-title", "adbec"),
        ("status", "becad"),  # unread, reading, read
        ("read", "dabce"),  # earliest read first; never read last
        ("-read", "adbce"),
        ("added", "ecabd"),
        ("-added", "acebd"),
        (" YEAR ", "cadeb"),
    ],
)
def test_sort_rows(spec: str, keys: str) -> None:
    from rlhf_reader.sorting import sort_rows

    added = {"e": "2025-01-01", "c": "2025-06-01", "a": "2026-01-01"}
    assert "".join(r.key for r in sort_rows(SAMPLE, spec, added=added)) == keys


def test_parse_sort_names_the_valid_keys() -> None:
    from rlhf_reader.sorting import SORT_CHOICES, SortError, parse_sort

    assert parse_sort("-Year") == ("year", True)
    assert SORT_CHOICES[:2] == ("year", "-year")
    with pytest.raises(SortError, match=r"unknown sort key 'date' \(expected one of: year, -year"):
        parse_sort("date")


def test_list_sort_and_json_fields(
    capsys: pytest.CaptureFixture[str], db_path: Path, tmp_path: Path
) -> None:
    from rlhf_reader.lists import whatsnew
    from rlhf_reader.sorting import added_dates

    assert run_cli(capsys, db_path, "update", "--from", str(updated_list(tmp_path)))[0] == 0
    library = Library.open(db_path)
    library.put_annotations(
        [
            Annotation(DPO, Status.READ, read_at="2026-02-01T09:00:00+00:00"),
            Annotation("2402.01306", Status.READ, read_at="2026-03-01T09:00:00+00:00"),
            Annotation("2305.14718", Status.READING),
        ]
    )
    library.put_addition(
        {"key": "2402.00002", "arxiv_id": "2402.00002", "title": "Mine", "added": "2026-04-01"}
    )
    added = added_dates(whatsnew.new_keys(library), library.additions())
    library.close()
    assert set(added) == {"2402.00002", *(k for k, _ in ADDED)}

    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--sort", "year")
    assert code == 0
    records = json.loads(out)
    years = [r["year"] for r in records]
    known = [y for y in years if y is not None]
    assert known == sorted(known) and years[: len(known)] == known
    assert all(y is None for y in years[len(known) :])

    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--sort=-read")
    records = json.loads(out)
    assert [r["key"] for r in records[:2]] == ["2402.01306", DPO]
    dpo = records[1]
    assert dpo["read_at"] == "2026-02-01T09:00:00+00:00"
    assert dpo["venue"] == "NeurIPS" and dpo["added_at"] is None
    assert records[2]["read_at"] is None

    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--sort", "status")
    statuses = [r["status"] for r in json.loads(out)]
    assert statuses == sorted(statuses, key=["unread", "reading", "read"].index)

    code, out, _ = run_cli(capsys, db_path, "list", "--json", "--sort=-added")
    records = json.loads(out)
    assert {r["key"] for r in records[:3]} == set(added)
    dates = [r["added_at"] for r in records[:3]]
    assert dates == sorted(dates, reverse=True) and dates == [added[r["key"]] for r in records[:3]]
    assert records[3]["added_at"] is None

    # The text output: one flat list, each line naming its section; show --json agrees.
    code, out, _ = run_cli(capsys, db_path, "list", "--sort", "title", "--status", "read")
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("● Direct Preference Optimization")
    assert lines[0].endswith(f"[{DPO}]  (Papers › RLHF for LLMs: Theory / Methods)")
    code, out, _ = run_cli(capsys, db_path, "show", "--json", "2402.00002")
    assert json.loads(out)["added_at"] == "2026-04-01"

    code, _, err = run_cli(capsys, db_path, "list", "--sort", "date")
    assert code == 2
    assert "unknown sort key 'date' (expected one of: year, -year, title" in err
    assert err.count("\n") == 1


# 15. mark STATUS KEY… as well as mark KEY… STATUS ---------------------------------------------

KTO = "2402.01306"


def test_mark_takes_the_status_first_or_last(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    code, out, _ = run_cli(capsys, db_path, "mark", "read", DPO, KTO)
    assert code == 0 and out.count("unread → read") == 2
    code, out, _ = run_cli(capsys, db_path, "mark", "READING", DPO)
    assert code == 0 and out.startswith("◐ read → reading: Direct Preference")
    code, out, _ = run_cli(capsys, db_path, "mark", KTO, "unread")
    assert code == 0 and out.startswith("○ read → unread: KTO")
    library = Library.open(db_path)
    assert (library.annotation(DPO).status, library.annotation(KTO).status) == (
        Status.READING,
        Status.UNREAD,
    )
    library.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("mark", DPO, "done"),
            "mark: no status: neither '2305.18290' nor 'done' is a status "
            "(expected one of: unread, reading, read, before or after the KEYs)",
        ),
        (
            ("mark", "todo", DPO),
            "mark: no status: neither 'todo' nor '2305.18290' is a status "
            "(expected one of: unread, reading, read, before or after the KEYs)",
        ),
        (
            ("mark", DPO, "raed"),
            "mark: unknown status 'raed' (expected one of: unread, reading, read, before or "
            "after the KEYs); did you mean 'read'?",
        ),
        (("mark", "read"), "mark: give one or more KEYs to mark read"),
        (("mark", DPO), "mark: give one or more KEYs and a status (unread, reading, read)"),
    ],
)
def test_mark_without_a_valid_status_lists_the_statuses(
    capsys: pytest.CaptureFixture[str], db_path: Path, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run_cli(capsys, db_path, *argv)
    assert (code, out, err) == (2, "", f"rlhf-reader: error: {message}\n")
    assert not db_path.exists()


# 16. tag KEY prints the tags ------------------------------------------------------------------


def test_tag_with_only_a_key_prints_its_tags(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    code, out, _ = run_cli(capsys, db_path, "tag", DPO)
    assert (code, out) == (
        0,
        "no tags: Direct Preference Optimization: Your Language Model is Secretly a Reward "
        "Model  [2305.18290]\n",
    )
    assert run_cli(capsys, db_path, "tag", DPO, "+dpo", "+to-read")[0] == 0
    before = db_path.read_bytes()
    code, out, _ = run_cli(capsys, db_path, "tag", "--", DPO)
    assert (code, out) == (0, "dpo\nto-read\n")
    assert db_path.read_bytes() == before
    code, out, err = run_cli(capsys, db_path, "tag", "no-such-paper")
    assert code == 1 and out == "" and "no-such-paper" in err


# 14. did you mean ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("mrak", DPO, "read"),
            "unknown command 'mrak'; did you mean 'mark'? (see 'rlhf-reader --help')",
        ),
        (("lst",), "unknown command 'lst'; did you mean 'list'? (see 'rlhf-reader --help')"),
        (("xyzzy",), "unknown command 'xyzzy' (see 'rlhf-reader --help')"),
        (
            ("list", "--sort", "-year"),
            "argument --sort: expected one argument (a value that starts with '-' goes after "
            "'=': --sort=-VALUE) (see 'rlhf-reader list --help')",
        ),
    ],
)
def test_a_mistyped_command_or_choice_suggests_the_near_one(
    capsys: pytest.CaptureFixture[str], db_path: Path, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run_cli(capsys, db_path, *argv)
    assert (code, out, err) == (2, "", f"rlhf-reader: error: {message}\n")


def test_a_mistyped_option_value_suggests_the_near_one(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    code, out, err = run_cli(capsys, db_path, "list", "--status", "raed")
    # argparse's own words (their quoting differs between Python versions), then the hint.
    assert (code, out) == (2, "")
    assert err.startswith("rlhf-reader: error: argument --status: invalid choice: 'raed'")
    assert err.endswith("; did you mean 'read'? (see 'rlhf-reader list --help')\n")
    assert err.count("\n") == 1


# 16. note KEY --edit ---------------------------------------------------------------------------


def editor_script(tmp_path: Path, body: str) -> str:
    """A small editor: a shell script run as ``EDITOR FILE``."""
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def noted(db_path: Path) -> Path:
    library = Library.open(db_path)
    library.set_note(DPO, "first thoughts")
    library.close()
    return db_path


def note_of(db: Path) -> str:
    library = Library.open(db)
    try:
        return library.annotation(DPO).note
    finally:
        library.close()


def test_note_edit_opens_the_editor_on_the_note_and_saves(
    capsys: pytest.CaptureFixture[str], noted: Path, tmp_path: Path, monkeypatch
) -> None:
    seen = tmp_path / "seen.md"
    body = f'cp "$1" {seen}\nprintf "first thoughts\\n\\nsecond thoughts\\n" > "$1"'
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, body))
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = run_cli(capsys, noted, "note", DPO, "--edit")
    assert (code, err) == (0, "")
    assert out == (
        "note replaced (31 characters): Direct Preference Optimization: Your Language Model "
        "is Secretly a Reward Model  [2305.18290]\n"
    )
    assert seen.read_text(encoding="utf-8") == "first thoughts\n"  # what the editor was given
    assert note_of(noted) == "first thoughts\n\nsecond thoughts"
    assert not list(Path(tempfile.gettempdir()).glob("rlhf-reader-2305.18290-*"))  # temp file gone


def test_note_edit_prefers_visual_and_takes_arguments(
    capsys: pytest.CaptureFixture[str], noted: Path, tmp_path: Path, monkeypatch
) -> None:
    script = editor_script(tmp_path, 'printf "%s" "$1" > "$2"')  # writes its first argument
    monkeypatch.setenv("VISUAL", f"{script} 'from visual'")
    monkeypatch.setenv("EDITOR", "false")
    code, _, err = run_cli(capsys, noted, "note", DPO, "--edit")
    assert (code, err) == (0, "")
    assert note_of(noted) == "from visual"


def test_note_edit_unchanged_writes_nothing(
    capsys: pytest.CaptureFixture[str], noted: Path, monkeypatch
) -> None:
    monkeypatch.setenv("EDITOR", "true")
    before = noted.read_bytes()
    code, out, _ = run_cli(capsys, noted, "note", DPO, "--edit")
    assert code == 0 and out.startswith("note unchanged: Direct Preference")
    assert noted.read_bytes() == before


def test_note_edit_never_overwrites_a_note_changed_meanwhile(
    capsys: pytest.CaptureFixture[str], noted: Path, tmp_path: Path, monkeypatch
) -> None:
    import shlex
    import sys

    # While "the editor" runs, another rlhf-reader process changes the note.
    other = f"{shlex.quote(sys.executable)} -m rlhf_reader --db {shlex.quote(str(noted))}"
    body = f'{other} note {DPO} "changed elsewhere" >/dev/null || exit 3\nprintf "mine\\n" > "$1"'
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, body))
    monkeypatch.delenv("VISUAL", raising=False)
    code, out, err = run_cli(capsys, noted, "note", DPO, "--edit")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"rlhf-reader: error: note of {DPO}: the note was changed elsewhere while you edited "
        "it; nothing overwritten. Your text is in "
    )
    kept = sorted(noted.parent.glob(f"note-{DPO}-*.md"))
    assert len(kept) == 1 and f"Your text is in {kept[0]} " in err
    assert f"(to save it: rlhf-reader note {DPO} - < {kept[0]})" in err
    assert kept[0].read_text(encoding="utf-8") == "mine\n"
    assert kept[0].stat().st_mode & 0o777 == 0o600
    assert note_of(noted) == "changed elsewhere"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("exit 1", "exited with status 1; nothing changed"),
        ("printf '\\n\\n' > \"$1\"", "the edited note is empty (--clear removes the note)"),
        ("printf '\\377abc' > \"$1\"", "the edited note is not UTF-8 text (byte 0)"),
    ],
)
def test_note_edit_failures_change_nothing(
    capsys: pytest.CaptureFixture[str], noted: Path, tmp_path: Path, monkeypatch, body, message
) -> None:
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, body))
    before = noted.read_bytes()
    code, out, err = run_cli(capsys, noted, "note", DPO, "--edit")
    assert (code, out) == (1, "") and message in err and err.count("\n") == 1
    assert noted.read_bytes() == before


def test_note_edit_without_an_editor_or_with_text(
    capsys: pytest.CaptureFixture[str], noted: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run_cli(capsys, noted, "note", DPO, "--edit")
    assert code == 1
    assert (
        err
        == "rlhf-reader: error: note: no editor: set $VISUAL or $EDITOR (e.g. export EDITOR=nano)\n"
    )
    monkeypatch.setenv("EDITOR", str(tmp_path / "missing-editor"))
    code, _, err = run_cli(capsys, noted, "note", DPO, "--edit")
    assert code == 1 and "cannot run the editor" in err and "missing-editor" in err
    code, _, err = run_cli(capsys, noted, "note", DPO, "text", "--edit")
    assert code == 2 and "give one of TEXT, --clear or --edit" in err


# 14. every subcommand's --help: a description and examples -----------------------------------


def _subcommands() -> dict[str, object]:
    import argparse

    from rlhf_reader.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_help_has_a_description_and_examples(
    capsys: pytest.CaptureFixture[str], db_path: Path, command: str
) -> None:
    code, out, _ = run_cli(capsys, db_path, command, "--help")
    assert code == 0
    usage, _, rest = out.partition("\n\n")
    assert usage.startswith(f"usage: rlhf-reader {command}")
    description = rest.split("\n\n")[0]
    assert len(description.split()) >= 12 and not description.startswith(
        ("positional arguments:", "options:")
    )
    examples = out.split("\nexamples:\n")[1].splitlines()
    assert examples and all("rlhf-reader " in line for line in examples)
    assert any(f"rlhf-reader {command}" in line for line in examples)
    assert not db_path.exists()  # --help opens nothing


# 18. shell completion ---------------------------------------------------------------------------


def complete(capsys, db: Path, shell: str, *typed: str) -> list[str]:
    """What the hidden helper offers (its directive line first)."""
    code, out, err = run_cli(capsys, db, "completion", shell, "--complete", *typed)
    assert (code, err) == (0, "")
    return out.splitlines()


@pytest.fixture
def tagged(db_path: Path) -> Path:
    library = Library.open(db_path)
    library.change_tags([DPO, KTO], TagEdit.of(add=["dpo", "to-read"]))
    library.change_tags([KTO], TagEdit.of(add=["kto"]))
    library.close()
    return db_path


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("rlhf-reader ", ["values", "list", "show", "check", "locate", "mark", "tag", "note"]),
        ("rlhf-reader ma", ["values", "mark"]),
        ("rlhf-reader co", ["values", "completion"]),
        ("rlhf-reader --", ["values", "--help", "--version", "--list", "--db"]),
        ("rlhf-reader list --s", ["values", "--sort", "--status", "--section", "--search"]),
        ("rlhf-reader list --status r", ["values", "reading", "read"]),
        ("rlhf-reader mark 2305.18290 re", ["values", "reading", "read"]),
        ("rlhf-reader mark un", ["values", "unread"]),
        ("rlhf-reader list --sort ", ["values", "year", "title", "status", "read", "added"]),
        ("rlhf-reader list --sort=-y", ["values", "-year"]),  # bash: after its '=' break
        ("rlhf-reader export -f c", ["values", "csv", "csl-json"]),
        ("rlhf-reader completion ", ["values", "bash", "zsh", "fish"]),
        ("rlhf-reader tag 2305.18290 +", ["values", "+dpo", "+to-read", "+kto"]),
        ("rlhf-reader tag 2402.01306 -t", ["values", "-to-read"]),
        ("rlhf-reader list --tag ", ["values", "dpo", "to-read", "kto"]),
        ("rlhf-reader add 2305.18290 --tag k", ["values", "kto"]),
        ("rlhf-reader list --search tag:t", ["values", "to-read"]),  # bash: after its ':'
        ("rlhf-reader show 2305.1829", ["values", "2305.18290"]),
        ("rlhf-reader cite 2305.18290 2402.0130", ["values", "2402.01306"]),
        ("rlhf-reader import ", ["files"]),
        ("rlhf-reader --db ", ["files"]),
        ("rlhf-reader export -o ", ["files"]),
        ("rlhf-reader note 2305.18290 ", ["values"]),  # the note text: nothing to offer
        ("rlhf-reader frobnicate ", ["values"]),
        ("rlhf-reader update ", ["values", "awesome-rlhf"]),  # the lists the library follows
        ("rlhf-reader lists ", ["values", "add", "remove", "rename"]),
    ],
)
def test_completion_offers(capsys, tagged: Path, line: str, offered: list[str]) -> None:
    got = complete(capsys, tagged, "bash", line)
    assert got[0] == offered[0]
    if len(offered) <= 2 or "--sort" in line or "--status" in line:
        assert got == offered  # exactly these
    else:
        assert [value for value in got[1:] if value in offered] == offered[1:]  # in order


def test_completion_uses_the_library_typed_on_the_line(
    capsys, tagged: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    library = Library.open(other)
    library.change_tags([DPO], TagEdit.of(add=["elsewhere"]))
    library.close()
    line = f"rlhf-reader --db {other} tag {DPO} +"
    assert complete(capsys, tagged, "bash", line) == ["values", "+elsewhere"]
    missing = tmp_path / "missing.json"
    assert complete(capsys, tagged, "bash", f"rlhf-reader --db {missing} list --tag ") == ["values"]
    assert not missing.exists()  # completing never creates a library
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"\xff\xfe not a list")
    got = complete(capsys, tagged, "bash", f"rlhf-reader --list {broken} show 23")
    assert got == ["values"]  # no traceback, no message over the command line


def test_completion_forms_for_zsh_and_fish(capsys, tagged: Path) -> None:
    from rlhf_reader.completion import describe

    words = ["rlhf-reader", "show", "2305.1829"]
    title = describe("Direct Preference Optimization: Your Language Model is Secretly a")
    assert complete(capsys, tagged, "fish", *words) == ["values", f"2305.18290\t{title}"]
    assert complete(capsys, tagged, "zsh", *words) == ["values", f"2305.18290:{title}"]
    # zsh: a ':' in a value is escaped; fish: descriptions of commands and options.
    zsh = complete(capsys, tagged, "zsh", "rlhf-reader", "list", "--search", "is:n")
    assert zsh == ["values", "is\\:new:status"]
    fish = complete(capsys, tagged, "fish", "rlhf-reader", "ma")
    assert fish == ["values", "mark\tset the status of entries: read, reading or unread"]


def test_completion_bash_escapes_keys() -> None:
    from rlhf_reader.completion import Result, render

    result = Result(items=[("youtube.com/watch?v=2M&t=1s", "a talk"), ("bad\x1b[31m", "")])
    assert render(result, "bash", "you") == "values\nyoutube.com/watch\\?v=2M\\&t=1s\n"
    assert render(result, "fish", "") == "values\nyoutube.com/watch?v=2M&t=1s\ta talk\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(capsys, db_path: Path, shell: str) -> None:
    code, out, _ = run_cli(capsys, db_path, "completion", shell)
    assert code == 0 and f"rlhf-reader completion {shell} --complete" in out
    assert {"bash": "complete -F", "zsh": "compdef", "fish": "complete -c rlhf-reader"}[
        shell
    ] in out
    assert not db_path.exists()


def test_bash_script_completes_in_a_real_bash(tmp_path: Path, tagged: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    bash = shutil.which("bash")
    program = Path(sys.executable).parent / "rlhf-reader"
    if bash is None or not program.exists():
        pytest.skip("needs bash and the installed rlhf-reader script")
    script = tmp_path / "rlhf-reader.bash"
    script.write_text(
        subprocess.run(
            [str(program), "completion", "bash"], capture_output=True, text=True, check=True
        ).stdout
    )
    driver = f"""
        source {script}
        complete_line() {{
            COMP_LINE=$1; COMP_POINT=${{#COMP_LINE}}
            read -ra COMP_WORDS <<< "$COMP_LINE"
            [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
            _rlhf_reader_complete
            printf '%s|' "${{COMPREPLY[@]}}"; echo
        }}
        complete_line "rlhf-reader ma"
        complete_line "rlhf-reader --db {tagged} tag {DPO} +to"
        complete_line "rlhf-reader mark read 2402.0130"
        complete_line "rlhf-reader import {tmp_path}/rlhf-reader.ba"
    """
    env = {**os.environ, "PATH": f"{program.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [bash, "--norc", "-c", driver], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "mark|",
        "+to-read|",
        "2402.01306|",
        f"{script}|",
    ]


def test_completion_never_imports_textual(tagged: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from rlhf_reader.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    main(['--db', {str(tagged)!r}, 'completion', 'fish', '--complete',"
        f" 'rlhf-reader', 'show', '2305.1829'])\n"
        "assert '2305.18290' in out.getvalue(), out.getvalue()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


def _installed_script(tmp_path: Path, shell: str) -> tuple[str, Path, dict[str, str]]:
    """(the shell's path, the script saved to a file, an environment finding rlhf-reader)."""
    import os
    import shutil
    import subprocess
    import sys

    found = shutil.which(shell)
    program = Path(sys.executable).parent / "rlhf-reader"
    if found is None or not program.exists():
        pytest.skip(f"needs {shell} and the installed rlhf-reader script")
    script = tmp_path / f"rlhf-reader.{shell}"
    script.write_text(
        subprocess.run(
            [str(program), "completion", shell], capture_output=True, text=True, check=True
        ).stdout
    )
    env = {**os.environ, "PATH": f"{program.parent}{os.pathsep}{os.environ['PATH']}"}
    return found, script, env


def test_fish_script_completes_in_a_real_fish(tmp_path: Path, tagged: Path) -> None:
    import subprocess

    fish, script, env = _installed_script(tmp_path, "fish")
    lines = [
        "rlhf-reader ma",
        f"rlhf-reader --db {tagged} tag {DPO} +to",
        "rlhf-reader list --sort=-ye",
        f"rlhf-reader import {tmp_path}/rlhf-reader.fi",
    ]
    driver = f"source {script}; " + "; ".join(f"complete -C '{line}'" for line in lines)
    result = subprocess.run(
        [fish, "--no-config", "-c", driver], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "mark\tset the status of entries: read, reading or unread",
        "+to-read\ttag",
        "--sort=-year",
        f"{script}",
    ]


def test_zsh_script_hands_the_candidates_to_describe(tmp_path: Path, tagged: Path) -> None:
    """The zsh function with _describe and _files stubbed (the completion system itself
    needs a terminal): what it asks for and what it passes on."""
    import subprocess

    zsh, script, env = _installed_script(tmp_path, "zsh")
    driver = f"""
        source {script}
        _describe() {{ local name=${{@[-1]}}; print -rl -- "${{(@P)name}}" -- }}
        _files() {{ print files }}
        words=(rlhf-reader mark re); CURRENT=3; _rlhf_reader
        words=(rlhf-reader --db {tagged} tag {DPO} +); CURRENT=6; _rlhf_reader
        words=(rlhf-reader list --search is:n); CURRENT=4; _rlhf_reader
        words=(rlhf-reader import ''); CURRENT=3; _rlhf_reader
        words=(rlhf-reader frobnicate ''); CURRENT=3; _rlhf_reader || print none
    """
    result = subprocess.run([zsh, "-f", "-c", driver], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "reading:status",
        "read:status",
        "--",
        "+dpo:tag",
        "+to-read:tag",
        "+kto:tag",
        "--",
        "is\\:new:status",
        "--",
        "files",
        "none",
    ]
