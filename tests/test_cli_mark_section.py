"""``mark --section TEXT STATUS``: every paper of the matching sections, in one write."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlhf_reader import cli
from rlhf_reader.library.store import Library
from rlhf_reader.model import Status

LIST = """\
# Test list

## Papers

### 2023
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
  - Rafael Rafailov. NeurIPS, 2023.
- [Constitutional AI](https://arxiv.org/abs/2212.08073)

### 2022
- [Training language models to follow instructions](https://arxiv.org/abs/2203.02155)
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290v2)

## Blogs
- [Illustrating RLHF](https://huggingface.co/blog/rlhf)
"""
DPO, CAI, INSTRUCT, BLOG = "2305.18290", "2212.08073", "2203.02155", "huggingface.co/blog/rlhf"


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


def statuses(db_path: Path) -> dict[str, Status]:
    library = Library.open(db_path)
    try:
        return {key: library.annotation(key).status for key in (DPO, CAI, INSTRUCT, BLOG)}
    finally:
        library.close()


def test_mark_a_section_read_and_unread(run, db_path: Path) -> None:
    code, out, err = run("mark", "--section", "Papers › 2023", "read")
    assert (code, err) == (0, "")
    assert "● unread → read: Direct Preference Optimization  [2305.18290]" in out
    assert "2 of 2 marked read." in out
    assert statuses(db_path) == {
        DPO: Status.READ,
        CAI: Status.READ,
        INSTRUCT: Status.UNREAD,
        BLOG: Status.UNREAD,
    }

    # "papers" matches both sub-sections; DPO (listed in both) counts once; a KEY may join.
    code, out, err = run("mark", "unread", BLOG, "--section", "papers")
    assert code == 0, err
    assert "2 of 4 marked unread." in out
    assert out.count("[2305.18290]") == 1
    assert set(statuses(db_path).values()) == {Status.UNREAD}


def test_mark_section_errors_name_the_problem(run, db_path: Path) -> None:
    code, _, err = run("mark", "--section", "nothing like it", "read")
    assert code == 1
    assert err.startswith("rlhf-reader: error: mark: --section 'nothing like it'")
    code, _, err = run("mark", "--section", "2023", "done")
    assert code == 2 and "expected one of: unread, reading, read" in err
    assert set(statuses(db_path).values()) == {Status.UNREAD}  # nothing written
