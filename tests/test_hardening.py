"""Issue 12, the reliability pass: one section per finding, each test failing on the code
before the fix. The fetch deadline is in ``test_hardening_fetch.py``, the CLI fuzz test in
``test_cli_fuzz.py``."""

from __future__ import annotations

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
