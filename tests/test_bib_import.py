"""`rlhf-reader import FILE.bib / FILE.json`: a real .bib written as Zotero and Google Scholar
export them, and Zotero's CSL-JSON, import with the right matches (issue 16)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import TEST_DATA, run_cli

from rlhf_reader.library.bibimport import detect_format, normal_title, read_references
from rlhf_reader.library.merge import ImportFileError
from rlhf_reader.library.store import Library
from rlhf_reader.model import Status

IMPORTS = TEST_DATA / "import"


def show(capsys, db: Path, key: str) -> dict:
    code, out, err = run_cli(capsys, db, "show", key, "--json")
    assert code == 0, err
    return json.loads(out)


def test_formats_are_detected() -> None:
    assert detect_format(b"  @misc{a, title={T}}") == "bibtex"
    assert detect_format(b'[{"id": "x", "type": "article"}]') == "csl-json"
    assert detect_format(b'[{"key": "x", "title": "T"}]') == "json"  # list --json
    assert detect_format(b'{"format": "rlhf-reader-export", "version": 1}') == "json"
    with pytest.raises(ImportFileError, match="expected an rlhf-reader JSON export"):
        detect_format(b"hello")


def test_zotero_bib_reads_ids_tags_and_notes() -> None:
    fmt, refs = read_references(IMPORTS / "zotero.bib")
    assert fmt == "bibtex"
    dpo, kto, ziegler = refs
    assert dpo.arxiv_id == "2305.18290" and dpo.doi == ""  # arXiv's DOI is the arXiv id
    assert dpo.title == (
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    )
    assert dpo.authors[0] == "Rafael Rafailov" and dpo.year == 2024
    assert dpo.keywords == ("Computer Science - Machine Learning", "dpo", "read")
    assert dpo.note.startswith("Comment: The closed-form")  # annote; the arXiv `note` is not
    assert kto.keywords == ("_reading", "kto")
    assert ziegler.arxiv_id is None and ziegler.venue == "Proceedings of a Workshop on Preferences"
    assert ziegler.note == "Read for the reading group on RLHF & preference data."


def test_import_zotero_bib(capsys, db_path: Path) -> None:
    code, out, err = run_cli(
        capsys, db_path, "import", str(IMPORTS / "zotero.bib"), "--status-from-keywords"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("match 2305.18290 by arXiv id (rafailov_direct_2024): +")
    assert lines[1].startswith("match 2402.01306 by arXiv id (ethayarajh_kto_2024)")
    assert lines[2].startswith("add example.org/ziegler-2019: Fine-Tuning Language Models")
    assert lines[-1] == "3 references: 2 matched (2 with changes), 1 added to My additions"

    dpo = show(capsys, db_path, "2305.18290")
    assert dpo["tags"] == ["computer-science---machine-learning", "dpo", "read"]
    assert dpo["status"] == "read"
    assert dpo["note"].startswith("Comment: The closed-form")
    assert show(capsys, db_path, "2402.01306")["status"] == "reading"
    ziegler = show(capsys, db_path, "example.org/ziegler-2019")
    assert ziegler["section"] == ["My additions"]
    assert ziegler["authors"][:2] == ["Daniel M. Ziegler", "Nisan Stiennon"]
    assert ziegler["tags"] == ["classic"] and ziegler["year"] == 2019

    # Its own metadata makes a full citation, offline.
    code, out, _ = run_cli(capsys, db_path, "cite", "example.org/ziegler-2019")
    assert out.startswith("@inproceedings{ziegler2019fine,")
    assert "booktitle = {Proceedings of a Workshop on Preferences}" in out

    # Again: nothing new; the notes are not appended twice.
    code, out, _ = run_cli(capsys, db_path, "import", str(IMPORTS / "zotero.bib"))
    assert out.splitlines()[-1] == (
        "3 references: 3 matched (0 with changes), 0 added to My additions"
    )
    assert show(capsys, db_path, "2305.18290")["note"].count("Comment:") == 1


def test_without_the_option_keywords_do_not_set_the_status(capsys, db_path: Path) -> None:
    code, _, _ = run_cli(capsys, db_path, "import", str(IMPORTS / "zotero.bib"))
    assert code == 0
    assert show(capsys, db_path, "2305.18290")["status"] == "unread"


def test_import_google_scholar_bib(capsys, db_path: Path) -> None:
    library = Library.open(db_path)
    library.set_note("2307.15217", "my own note")
    library.close()
    code, out, err = run_cli(capsys, db_path, "import", str(IMPORTS / "scholar.bib"))
    assert code == 0, err
    lines = out.splitlines()
    # Scholar's "journal = {arXiv preprint arXiv:ID}" gives the arXiv id.
    assert lines[0].startswith("match 2402.01306 by arXiv id (ethayarajh2024kto)")
    # No id at all: Scholar lower-cases titles; the normalised title still matches.
    assert lines[1].startswith("match 2307.15217 by title (casper2023open)")
    assert lines[2].startswith("add title:learning-to-summarize-with-human-feedback:")
    assert show(capsys, db_path, "2307.15217")["note"] == "my own note"  # untouched
    added = show(capsys, db_path, "title:learning-to-summarize-with-human-feedback")
    assert added["authors"][-1] == "Paul F Christiano"


def test_import_zotero_csl_json(capsys, db_path: Path) -> None:
    path = IMPORTS / "zotero.csl.json"
    code, out, err = run_cli(capsys, db_path, "import", str(path), "--status-from-keywords")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("match 2404.09656 by arXiv id")
    assert lines[1].startswith("add doi.org/10.5555/jas.2025.001: Rewards From Nowhere")
    ref = show(capsys, db_path, "2404.09656")
    assert ref["tags"] == ["tdpo", "reading"] and ref["status"] == "reading"
    assert ref["note"] == "Trust-region DPO: the reference policy is updated."
    code, out, _ = run_cli(capsys, db_path, "cite", "doi.org/10.5555/jas.2025.001")
    assert out.startswith("@article{smith2025rewards,")
    assert "journal = {Journal of Alignment Studies}" in out
    assert "doi = {10.5555/jas.2025.001}" in out


def test_doi_match_and_dry_run(capsys, db_path: Path, tmp_path: Path) -> None:
    csl = IMPORTS / "zotero.csl.json"
    run_cli(capsys, db_path, "import", str(csl))
    before = db_path.read_bytes()
    again = tmp_path / "again.bib"
    again.write_text(
        "@article{x, title = {Another Title Entirely}, doi = {https://doi.org/10.5555/JAS.2025.001},"
        " keywords = {second}}\n",
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, db_path, "import", str(again), "--dry-run")
    assert code == 0
    assert out.splitlines()[0] == ("would match doi.org/10.5555/jas.2025.001 by DOI (x): +second")
    assert out.rstrip().endswith("(dry run: nothing written)")
    assert db_path.read_bytes() == before


def test_bad_files_are_refused_in_one_line(capsys, db_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("just words\n", encoding="utf-8")
    code, out, err = run_cli(capsys, db_path, "import", str(bad))
    assert code == 1 and out == ""
    assert err.startswith("rlhf-reader: error: import refused, library unchanged: ")
    assert "expected an rlhf-reader JSON export, CSL-JSON, or BibTeX" in err
    assert not db_path.exists()
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": 1', encoding="utf-8")
    code, _, err = run_cli(capsys, db_path, "import", str(broken))
    assert code == 1 and err.count("\n") == 1 and "not JSON" in err


def test_normal_title() -> None:
    assert (
        normal_title("{KTO}: Model Alignment — as Prospect?") == "kto model alignment as prospect"
    )
    assert normal_title("Über Ünïcode") == "uber unicode"


def test_status_keyword_spellings() -> None:
    from rlhf_reader.library.bibimport import Reference, _status

    assert _status(Reference("a", "T", keywords=("/read",))) is Status.READ
    assert _status(Reference("a", "T", keywords=("status:reading",))) is Status.READING
    assert _status(Reference("a", "T", keywords=("to-read",))) is None


def test_scholar_bib_latex_and_names_are_decoded() -> None:
    _, refs = read_references(IMPORTS / "scholar.bib")
    kto, casper, stiennon = refs
    assert kto.arxiv_id == "2402.01306" and kto.venue == ""  # "arXiv preprint …" is no venue
    assert casper.authors[4] == "Jérémy Scheurer" and len(casper.authors) == 5  # "others" out
    assert casper.venue == "Transactions on Machine Learning Research"
    assert stiennon.venue == "Advances in Neural Information Processing Systems"
    assert stiennon.authors[0] == "Nisan Stiennon" and stiennon.year == 2020


def test_odd_values_never_crash(capsys, db_path: Path, tmp_path: Path) -> None:
    csl = tmp_path / "odd.json"
    csl.write_text(
        json.dumps(
            [
                {"id": "a", "type": "book", "title": "Odd \x1b[31mDates",
                 "issued": {"date-parts": [["spring", "x"]]}, "author": ["not a dict"],
                 "keyword": ["bad tag!", "fine"]},
                {"id": "b", "type": "book", "issued": {"date-parts": "2024"}},
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    code, out, err = run_cli(capsys, db_path, "import", str(csl))
    assert code == 0
    assert "\x1b" not in out and "b: no title, skipped" in err
    bib = tmp_path / "mixed.bib"
    bib.write_text("@misc{ok, title={Fine Title}, year={20x4}}\n@misc{broken, title={x\n", "utf-8")
    code, out, err = run_cli(capsys, db_path, "import", str(bib), "--dry-run")
    assert code == 0 and "would add title:fine-title: Fine Title" in out
    # Digits int() does not read (superscripts): no year or date, no traceback.
    bib.write_text("@misc{s, title={Superscript Year}, year={\u00b2\u00b2\u00b2\u00b2}}\n", "utf-8")
    csl.write_text(json.dumps([{"id": "c", "type": "book", "title": "Superscript Date",
                                "issued": {"date-parts": [["2024", "\u00b2", "1"]]}}]))  # fmt: skip
    for path in (bib, csl):
        assert run_cli(capsys, db_path, "import", str(path), "--dry-run")[0] == 0
    assert read_references(bib)[1][0].year is None
    (ref,) = read_references(csl)[1]
    assert (ref.year, ref.date) == (2024, "")


# The fast paths of name splitting and title matching (issue 17: 100,000 titles) give what
# the general code gives: the character loop for names, NFKD and combining marks for titles.
_NAME_PARTS = ["and", "AND", "And", "aNd", " ", "  ", "\t", "\n", "\x1c", "A.", "Smith", ",", "o"]


def test_fast_name_split_is_the_character_loop() -> None:
    from rlhf_reader.library.bibimport import _split_names, _split_names_braced

    rng = random.Random(17)
    for _ in range(3000):
        value = "".join(rng.choice(_NAME_PARTS) for _ in range(rng.randint(0, 14)))
        assert _split_names(value) == _split_names_braced(value), repr(value)


def _reference_normal_title(text: str) -> str:
    """normal_title as it was before its ASCII fast path."""
    import re
    import unicodedata

    from rlhf_reader.library.bibimport import _LATEX_RE

    text = unicodedata.normalize("NFKD", _LATEX_RE.sub("", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"[^\W_]+", text))


def test_fast_title_matching_is_the_general_one() -> None:
    rng = random.Random(17)
    ascii_chars = [chr(c) for c in range(128)]
    mixed = [*"aZ_-{}\\'\" é ñİßK\u0301 ﬁ1²", "\\'e", '{\\"o}']
    for _ in range(3000):
        pool = ascii_chars if rng.random() < 0.5 else mixed
        title = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        assert normal_title(title) == _reference_normal_title(title), repr(title)
