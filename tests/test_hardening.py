"""Issue 12, the reliability pass: one section per finding, each test failing on the code
before the fix. The fetch deadline is in ``test_hardening_fetch.py``, the CLI fuzz test in
``test_cli_fuzz.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

LIST_WITH_ODD_AUTHORS = """# Odd authors

## Papers

- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
  - =Alice Smith, @Bob Jones, Carol White. NeurIPS, 2023.
- [Other Paper](https://example.com/other)
  - Dan Brown, =cmd Eve. ICML, 2022.
"""


@pytest.fixture
def odd_list(tmp_path: Path) -> Path:
    path = tmp_path / "odd.md"
    path.write_text(LIST_WITH_ODD_AUTHORS, encoding="utf-8")
    return path


def one_error_line(err: str, *needles: str) -> None:
    """``err`` is exactly one ``rlhf-reader: error: …`` line holding every needle."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rlhf-reader: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)
    assert "Traceback" not in err


# 2. authors whose names start with = or @ -------------------------------------------------


def test_authors_starting_with_equals_or_at_stay_in_bibtex(
    capsys: pytest.CaptureFixture[str], db_path: Path, odd_list: Path
) -> None:
    import bibtexparser

    code, out, _ = run_cli(capsys, db_path, "--list", str(odd_list), "cite", "2305.18290")
    assert code == 0
    library = bibtexparser.parse_string(out)
    (entry,) = library.entries
    authors = entry.fields_dict["author"].value
    assert authors == "Smith, =Alice and Jones, @Bob and White, Carol"


def test_authors_starting_with_equals_or_at_stay_in_ris(
    capsys: pytest.CaptureFixture[str], db_path: Path, odd_list: Path
) -> None:
    code, out, _ = run_cli(capsys, db_path, "--list", str(odd_list), "export", "-f", "ris")
    assert code == 0
    authors = [line[6:] for line in out.splitlines() if line.startswith("AU  - ")]
    assert authors == ["Smith, =Alice", "Jones, @Bob", "White, Carol", "Brown, Dan", "Eve, =cmd"]


def test_a_description_in_the_author_place_is_still_not_taken_for_names() -> None:
    from rlhf_reader.formats.cite import looks_like_names

    assert looks_like_names(["=Alice Smith", "@bob"])
    assert not looks_like_names(["pip install trl==0.7"])
    assert not looks_like_names(["mail bob@example.com"])


# 13. fetch failures say "error:" -----------------------------------------------------------


def test_fetch_failure_lines_start_with_error(
    capsys: pytest.CaptureFixture[str], db_path: Path, odd_list: Path
) -> None:
    # No arxiv_server fixture: arXiv is a closed port on 127.0.0.1, the fetch fails at once.
    code, out, err = run_cli(capsys, db_path, "--list", str(odd_list), "fetch")
    assert code == 1
    assert out == "fetched 0, cached 0, not found 0, failed 1\n"
    one_error_line(err, "2305.18290 (Direct Preference Optimization)", "connection refused")


# 6. --db / ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["list"], ["stats"], ["show", "dpo"], ["cite", "dpo"], ["mark", "dpo", "read"], ["fetch"]],
)
def test_root_folder_as_library_is_one_error_line(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run_cli(capsys, Path("/"), *argv)
    assert (code, out) == (1, "")
    one_error_line(err, "/: is a folder, not a library file")


def test_root_folder_as_library_in_the_store_and_export_guard(tmp_path: Path) -> None:
    from rlhf_reader.formats.export import refuse_library_target
    from rlhf_reader.library.store import Library, LibraryError

    with pytest.raises(LibraryError, match="is a folder"):
        Library.open("/")
    refuse_library_target(tmp_path / "out.md", "/")  # nothing to refuse, and no ValueError


# 4. a FIFO (or any file that is not regular) is refused, never waited on --------------------
# Each case would block forever in open() on the code before the fix; the tests run the CLI
# in a child process with a timeout so that a regression fails instead of hanging the suite.


def cli_child(tmp_path: Path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONIOENCODING": "utf-8"}
    try:
        return subprocess.run(
            [sys.executable, "-m", "rlhf_reader", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"rlhf-reader {' '.join(argv)} did not end within {timeout} s")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["--db", "{fifo}", "list"], ["pipe: not a library file: a named pipe"]),
        (["--db", "{db}", "--list", "{fifo}", "list"], ["pipe: cannot read", "a named pipe"]),
        (["--db", "{db}", "--list", "{fifo}", "check"], ["pipe: cannot read", "a named pipe"]),
        (["--db", "{db}", "import", "{fifo}"], ["import refused", "a named pipe"]),
        (["--db", "{db}", "update", "--from", "{fifo}"], ["a named pipe", "current list stays"]),
    ],
)
def test_a_fifo_is_refused_at_once(
    tmp_path: Path, fifo: Path, argv: list[str], needles: list[str]
) -> None:
    db = tmp_path / "library.json"
    args = [a.format(fifo=fifo, db=db) for a in argv]
    result = cli_child(tmp_path, *args, timeout=30)
    assert (result.returncode, result.stdout) == (1, "")
    one_error_line(result.stderr, *needles)
    assert not Path(f"{fifo}.lock").exists() and not Path(f"{fifo}.bak").exists()


def test_open_regular_refuses_pipes_and_devices_and_reads_files(tmp_path: Path, fifo: Path) -> None:
    from rlhf_reader.library.fileio import NotARegularFile, open_regular

    with pytest.raises(NotARegularFile, match=r"not a regular file \(a named pipe\)"):
        open_regular(fifo)
    if Path("/dev/null").exists():
        with pytest.raises(NotARegularFile, match="a character device"):
            open_regular("/dev/null")
    with pytest.raises(IsADirectoryError):
        open_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "missing")
    plain = tmp_path / "plain.md"
    plain.write_bytes(b"# hello\n")
    with open_regular(plain) as handle:
        assert handle.read() == b"# hello\n"


# 7. a stdout that cannot encode the text ----------------------------------------------------


def run_on_stdout(
    monkeypatch: pytest.MonkeyPatch, encoding: str, db: Path, *argv: str
) -> tuple[int, bytes]:
    """Run the CLI in-process with stdout encoding ``encoding`` (strict, as Python gives
    ``PYTHONIOENCODING=ascii``): (exit code, the bytes written)."""
    import io

    from rlhf_reader.cli import main

    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding=encoding, errors="strict", write_through=True)
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        code = main(["--db", str(db), *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    stdout.flush()
    return code, raw.getvalue()


KEY = "2404.09932"  # in the bundled list, with "Günther" and "Ó hÉigeartaigh" among its authors


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["list"], b"Papers > Review/Survey"),
        (["list", "--section", "Review"], b"\n  o Foundational Challenges"),
        (["stats"], b"all entries"),
        (["show", KEY], b"Mario Gunther"),
        (["cite", KEY], b"Gunther, Mario"),
        (["cite", "--format", "apa", KEY], b"Gunther, M."),
        (["export"], b"Mario Gunther"),
        (["export", "--format", "ris"], b"AU  - Gunther, Mario"),
        (["--help"], b"(abstracts, authors...)"),
    ],
)
def test_an_ascii_stdout_gets_look_alikes_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, argv: list[str], expected: bytes
) -> None:
    code, out = run_on_stdout(monkeypatch, "ascii", db_path, *argv)
    assert code == 0
    assert out.isascii()
    assert expected in out


@pytest.mark.parametrize(
    "argv", [["export", "--format", "json"], ["export", "--format", "csl-json"], ["list", "--json"]]
)
def test_json_on_an_ascii_stdout_is_escaped_and_loses_nothing(
    monkeypatch: pytest.MonkeyPatch, db_path: Path, argv: list[str]
) -> None:
    import json

    code, ascii_out = run_on_stdout(monkeypatch, "ascii", db_path, *argv)
    assert code == 0 and ascii_out.isascii()
    code, utf8_out = run_on_stdout(monkeypatch, "utf-8", db_path, *argv)
    assert code == 0 and not utf8_out.isascii()
    ascii_data, utf8_data = json.loads(ascii_out), json.loads(utf8_out)
    for data in (ascii_data, utf8_data):
        if isinstance(data, dict):
            data.pop("exported_at", None)
    assert ascii_data == utf8_data


def test_latin1_stdout_keeps_what_it_can_encode(
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    code, out = run_on_stdout(monkeypatch, "latin-1", db_path, "show", KEY)
    assert code == 0
    text = out.decode("latin-1")
    assert "Mario Günther" in text and "Ó hÉigeartaigh" in text


def test_ascii_environment_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONIOENCODING": "ascii"}
    db = tmp_path / "library.json"
    result = subprocess.run(
        [sys.executable, "-m", "rlhf_reader", "--db", str(db), "list"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert b"Papers > Review/Survey" in result.stdout and result.stdout.isascii()


def test_look_alikes() -> None:
    from rlhf_reader.textsafe import ascii_json, ascii_look_alike

    assert [ascii_look_alike(c) for c in "›—é…○●ł中"] == [">", "-", "e", "...", "o", "*", "l", "?"]
    assert ascii_json('{"t": "a\u203ab\U0001f600"}') == '{"t": "a\\u203ab\\ud83d\\ude00"}'


# 8. a closed stdout -------------------------------------------------------------------------

EVERY_COMMAND = [
    ["list"],
    ["show", KEY],
    ["check"],
    ["locate"],
    ["mark", KEY, "read"],
    ["tag", KEY, "+x"],
    ["note", KEY, "hello"],
    ["stats"],
    ["update", "--reset"],
    ["seen"],
    ["fetch", KEY],
    ["add", "2305.18290"],
    ["cite", KEY],
    ["export"],
    ["export", "-o", "out.md"],
    ["import", "missing.json"],
    ["--version"],
    [],
]


@pytest.mark.parametrize("argv", EVERY_COMMAND, ids=lambda argv: " ".join(argv) or "tui")
def test_closed_stdout_is_exit_1_with_a_message_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
) -> None:
    from rlhf_reader import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_open_tui", lambda ctx: 0)  # never a real TUI in-process
    db = tmp_path / "library.json"
    monkeypatch.setattr(sys, "stdout", None)  # what Python gives a process started with >&-
    code = cli.main(["--db", str(db), *argv])
    err = capsys.readouterr().err
    assert code == 1
    one_error_line(err, "stdout is closed")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no library, no export


@pytest.mark.parametrize("argv", [["cite", KEY], ["export"], ["list"], ["stats"]])
def test_closed_stdout_end_to_end(tmp_path: Path, argv: list[str]) -> None:
    db = tmp_path / "library.json"
    command = [sys.executable, "-m", "rlhf_reader", "--db", str(db), *argv]
    result = subprocess.run(
        ["sh", "-c", '"$@" >&-', "sh", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    one_error_line(result.stderr, "stdout is closed")


# 9. CSV formula injection -------------------------------------------------------------------

FORMULA_LIST = """# Formulas

## Papers

- [=HYPERLINK("http://evil.example","click")](https://example.com/a)
  - @Bob Jones, Carol White. ICML, 2022.
- [+1 trick](https://example.com/b)
  - Dan Brown. ICML, 2022.
- [Plain title](https://example.com/c)
  - Eve Black. ICML, 2022.
"""


@pytest.fixture
def formula_db(tmp_path: Path) -> tuple[Path, Path]:
    from rlhf_reader.library.store import Library
    from rlhf_reader.tags import TagEdit

    listed = tmp_path / "formulas.md"
    listed.write_text(FORMULA_LIST, encoding="utf-8")
    db = tmp_path / "library.json"
    library = Library.open(db)
    from rlhf_reader.lists.catalog import load

    keys = [entry.key for entry in load(listed).entries]
    library.change_tags([keys[0]], TagEdit.of(add=["=cmd", "@sum"]))
    library.set_note(keys[1], "-2+3\n=SUM(A1:A9)")
    library.set_note(keys[2], "\tindented")
    library.close()
    return listed, db


def read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, formula_db: tuple[Path, Path]
) -> None:
    listed, db = formula_db
    out = tmp_path / "list.csv"
    code, _, err = run_cli(capsys, db, "--list", str(listed), "export", "-o", str(out))
    assert code == 0, err
    first, second, third = read_csv(out)
    assert first["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert first["authors"] == "'@Bob Jones; Carol White"
    assert first["tags"] == "'=cmd; @sum"
    assert second["title"] == "'+1 trick"
    assert second["note"] == "'-2+3\n=SUM(A1:A9)"
    assert third["note"] == "'\tindented"
    assert third["title"] == "Plain title"  # untouched when harmless
    formula = ("=", "+", "-", "@", "\t", "\r")
    for record in (first, second, third):
        assert not any(value.startswith(formula) for value in record.values())


def test_csv_raw_writes_the_values_exactly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, formula_db: tuple[Path, Path]
) -> None:
    listed, db = formula_db
    out = tmp_path / "raw.csv"
    argv = ["--list", str(listed), "export", "--csv-raw", "-o", str(out)]
    code, _, err = run_cli(capsys, db, *argv)
    assert code == 0, err
    first, second, third = read_csv(out)
    assert first["title"] == '=HYPERLINK("http://evil.example","click")'
    assert first["tags"] == "=cmd; @sum"
    assert second["note"] == "-2+3\n=SUM(A1:A9)"
    assert third["note"] == "\tindented"


def test_csv_raw_is_for_csv_only(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, out, err = run_cli(capsys, db_path, "export", "--format", "ris", "--csv-raw")
    assert (code, out) == (2, "")
    one_error_line(err, "--csv-raw: only for CSV")


# 10. exports are private unless asked -------------------------------------------------------


def mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_export_to_a_new_file_is_0600_whatever_the_umask(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    out = tmp_path / "notes.md"
    old = os.umask(0o022)
    try:
        code, _, err = run_cli(capsys, db_path, "export", "-o", str(out))
    finally:
        os.umask(old)
    assert code == 0, err
    assert mode_of(out) == 0o600


def test_export_mode_option_and_a_replaced_file_keeps_its_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_path: Path
) -> None:
    shared = tmp_path / "shared.csv"
    assert run_cli(capsys, db_path, "export", "-o", str(shared), "--mode", "644")[0] == 0
    assert mode_of(shared) == 0o644
    kept = tmp_path / "kept.md"
    kept.write_text("old")
    kept.chmod(0o640)
    assert run_cli(capsys, db_path, "export", "-o", str(kept))[0] == 0
    assert mode_of(kept) == 0o640 and kept.read_text() != "old"
    assert run_cli(capsys, db_path, "export", "-o", str(kept), "--mode", "0600")[0] == 0
    assert mode_of(kept) == 0o600


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--mode", "9"], "expected octal permission bits like 600, not '9'"),
        (["--mode", "1777"], "not '1777'"),
        (["--mode", "600"], "--mode: only with -o FILE"),
    ],
)
def test_export_mode_usage_errors(
    capsys: pytest.CaptureFixture[str], db_path: Path, argv: list[str], needle: str
) -> None:
    code, out, err = run_cli(capsys, db_path, "export", *argv)
    assert (code, out) == (2, "")
    one_error_line(err, needle)


def test_tui_export_helper_is_private_too(tmp_path: Path) -> None:
    from rlhf_reader.formats.export import write_export

    path, count = write_export(tmp_path / "x.bib", [], "bibtex")
    assert count == 0 and mode_of(path) == 0o600


# 11. a library file over the size cap -------------------------------------------------------


def test_an_oversized_library_file_is_refused_unread(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    from rlhf_reader.library import store

    monkeypatch.setattr(store, "MAX_LIBRARY_BYTES", 10_000)
    padding = "x" * 20_000
    db_path.write_text('{"meta": {"1": {"name": "pad", "value": "' + padding + '"}}}')
    before = db_path.read_bytes()
    for argv in (["list"], ["mark", KEY, "read"]):
        code, out, err = run_cli(capsys, db_path, *argv)
        assert (code, out) == (1, "")
        one_error_line(err, str(db_path), f"the file is {len(before):,} bytes", "10,000")
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}.bak").exists()


def test_a_write_past_the_cap_is_refused_and_the_file_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    from rlhf_reader.library import store

    assert run_cli(capsys, db_path, "mark", KEY, "read")[0] == 0
    before = db_path.read_bytes()
    monkeypatch.setattr(store, "MAX_LIBRARY_BYTES", 10_000)
    code, out, err = run_cli(capsys, db_path, "note", KEY, "n" * 20_000)
    assert (code, out) == (1, "")
    one_error_line(err, "would make the library", "nothing was written")
    assert db_path.read_bytes() == before
    assert run_cli(capsys, db_path, "show", KEY)[0] == 0  # still opens


# 12. a read-only library --------------------------------------------------------------------


def test_a_read_only_library_is_read_but_never_replaced(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    assert run_cli(capsys, db_path, "mark", KEY, "read")[0] == 0
    db_path.chmod(0o400)
    before, inode = db_path.read_bytes(), db_path.stat().st_ino
    backup = Path(f"{db_path}.bak")
    backup_before = backup.read_bytes() if backup.exists() else None
    for argv in (["mark", KEY, "unread"], ["tag", KEY, "+x"], ["note", KEY, "hello"]):
        code, out, err = run_cli(capsys, db_path, *argv)
        assert (code, out) == (1, "")
        one_error_line(err, str(db_path), "is read-only (mode 0400)", "nothing was written")
    assert db_path.read_bytes() == before
    assert db_path.stat().st_ino == inode and mode_of(db_path) == 0o400
    assert (backup.read_bytes() if backup.exists() else None) == backup_before
    code, out, err = run_cli(capsys, db_path, "list", "--status", "read")
    assert code == 0 and KEY in out and err == ""


def test_a_read_only_old_library_is_migrated_in_memory_only(db_path: Path) -> None:
    from rlhf_reader.library.store import Library, LibraryError

    db_path.write_text('{"annotations": {"1": {"key": "k", "status": "read"}}}')
    db_path.chmod(0o444)
    before = db_path.read_bytes()
    library = Library.open(db_path)
    assert library.read_only
    assert library.annotation("k").status.value == "read"
    with pytest.raises(LibraryError, match="read-only"):
        library.set_status(["k"], "unread")
    library.close()
    assert db_path.read_bytes() == before
    db_path.chmod(0o644)
    assert not Library.open(db_path).read_only


def test_export_into_a_fifo_nobody_reads_is_refused_not_waited_on(
    tmp_path: Path, fifo: Path
) -> None:
    db = tmp_path / "library.json"
    result = cli_child(tmp_path, "--db", str(db), "export", "-o", str(fifo), timeout=30)
    assert (result.returncode, result.stdout) == (1, "")
    one_error_line(result.stderr, "pipe: a named pipe with no reader; nothing written")
    assert fifo.is_fifo()


# found by the fuzz test: ~unknownuser ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["import", "~no-such-user-here/x.json"], "~no-such-user-here/x.json: no such file"),
        (["export", "-o", "~no-such-user-here/x.md"], "~no-such-user-here does not exist"),
        (["update", "--from", "~no-such-user-here/l.md"], "~no-such-user-here/l.md: no such"),
        (["--list", "~no-such-user-here/l.md", "list"], "~no-such-user-here/l.md: no such"),
    ],
)
def test_an_unknown_user_after_a_tilde_is_a_path_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, tmp_path / "library.json", *argv)
    assert (code, out) == (1, "")
    one_error_line(err, needle)


def test_an_unknown_user_in_the_library_path(tmp_path: Path, monkeypatch) -> None:
    from rlhf_reader.library.store import Library

    monkeypatch.chdir(tmp_path)
    library = Library.open("~no-such-user-here/lib.json")  # as a shell leaves it: relative
    library.close()
    assert (tmp_path / "~no-such-user-here" / "lib.json").is_file()
