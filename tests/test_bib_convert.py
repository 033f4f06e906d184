"""The fast conversions of an import (library/bibimport.py) give what the general ones give.

- ``_plain_bib_reference``: a BibTeX entry whose fields are plain text becomes the same
  :class:`Reference` as through ``_bib_entry_reference`` (decode, split the names, then
  ``_bib_reference``); any other entry is left to the general path (None).
- Every .bib and CSL-JSON file of the tests, and our own 1k exports, import to the same
  references with the fast paths as with the general ones only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rlhf_reader.library import bibimport
from rlhf_reader.library.bibimport import _bib_entry_reference, _plain_bib_reference

TESTS = Path(__file__).resolve().parent

PIECES = [
    "a", "Rafael", "Rafailov, Rafael", "Optimization", " ", "  ", "\n", "\t", "\u00a0", "\u2028",
    "and", " and ", " AND ", " And ", "others", " and others", ",", ";", ", ", ".", ":", "-",
    "é", "Jérémy", "日本", "İ", "ß", "{", "}", "{OpenAI}", "\\'e", "\\&", "$x$", "~",
    "2305.18290", "arXiv:2305.18290", "arXiv preprint arXiv:2305.18290", "abs/2305.18290",
    "https://arxiv.org/abs/2305.18290v2", "https://example.org/p", "10.48550/arXiv.2305.18290",
    "https://doi.org/10.1/x.", "10.1145/3.4", "arxiv", "arXiv", "CoRR", "preprint",
    "Proc. NeurIPS", "2023", "1999", "23", "2023-05-01", "2023-5-1", "read", "_read", "/read",
    "reading", "status:read", "dpo", "safety, dpo", "hep-th/9901001",
]  # fmt: skip
VALUES = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)
NAMES = st.sampled_from(
    [
        "title", "Title", "author", "AUTHOR", "doi", "url", "journal", "journaltitle",
        "booktitle", "eprint", "eprinttype", "archivePrefix", "archiveprefix", "note", "annote",
        "howpublished", "date", "year", "keywords", "abstract", "pages", "file",
    ]
)  # fmt: skip
ITEMS = st.lists(st.tuples(NAMES, VALUES), max_size=12)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["k1", "x:2023"]), st.sampled_from(["misc", "Article"]), ITEMS)
def test_plain_entries_convert_as_the_general_path_converts_them(
    key: str, kind: str, items: list[tuple[str, str]]
) -> None:
    general = _bib_entry_reference(key, kind, items)
    plain = _plain_bib_reference(key, kind, items)
    event("plain" if plain is not None else "general")
    if plain is not None:
        assert plain == general


def test_a_plain_entry_takes_the_fast_path() -> None:
    items = [
        ("title", "Direct Preference Optimization"),
        ("author", "Rafailov, Rafael and Sharma, Archit and others"),
        ("year", "2023"),
        ("eprint", "2305.18290"),
        ("keywords", "dpo, read"),
    ]
    ref = _plain_bib_reference("k", "misc", items)
    assert ref is not None and ref == _bib_entry_reference("k", "misc", items)
    assert ref.authors == ("Rafael Rafailov", "Archit Sharma") and ref.arxiv_id == "2305.18290"
    # LaTeX, braces, a non-ASCII author: the general path.
    for name, value in [("title", "{DPO}"), ("title", "\\'e"), ("author", "Jérémy Scheurer")]:
        assert _plain_bib_reference("k", "misc", [*items, (name, value)]) is None


def general_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bibimport, "_plain_bib_reference", lambda *args: None)


def references(path: Path) -> Any:
    return bibimport.read_references(path)


def test_every_file_of_the_tests_imports_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted([*TESTS.rglob("*.bib"), *TESTS.rglob("*.csl.json")])
    assert len(paths) >= 7
    fast = [references(path) for path in paths]
    with monkeypatch.context() as patch:
        general_only(patch)
        assert [references(path) for path in paths] == fast


def test_our_own_exports_at_1k_import_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path, 1000)
    for fmt in ("bibtex", "csl-json"):
        out = tmp_path / f"out.{fmt}"
        code, _, err = run_cli(capsys, db, "--list", str(list_path), "export", "--format", fmt,
                               "-o", str(out))  # fmt: skip
        assert code == 0, err
        fast = references(out)
        assert len(fast[1]) == 1000
        with monkeypatch.context() as patch:
            general_only(patch)
            assert references(out) == fast
