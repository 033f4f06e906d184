"""Exports that arrive whole in Zotero, BibTeX, pandoc and CSL processors (issue 16).

Every export is parsed by its real consumer (bibtexparser, rispy, citeproc-py; pandoc when
installed) and the fields asserted for two papers: DPO, published at NeurIPS 2023, and a plain
arXiv preprint. Where each field lands in Zotero is written beside the assertions, as read in
zotero/translators: BibTeX.js (lastUpdated 2019-09-17) and RIS.js (lastUpdated 2023-07-28).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date

import bibtexparser
import pytest
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from rlhf_reader.formats.export import export
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry, Status

TODAY = date(2025, 3, 14)
DPO_TITLE = "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"


def dpo() -> Row:
    """DPO as the list gives it (venue NeurIPS 2023), with arXiv metadata and the reader's
    tags and note."""
    entry = Entry(
        key="2305.18290",
        title=DPO_TITLE,
        url="http://arxiv.org/abs/2305.18290",
        section=("Papers",),
        arxiv_id="2305.18290",
        authors="Rafael Rafailov, Archit Sharma, Eric Mitchell",
        year=2023,
        venue="NeurIPS 2023",
    )
    meta = {
        "key": "2305.18290",
        "title": DPO_TITLE,
        "authors": ["Rafael Rafailov", "Archit Sharma", "Eric Mitchell"],
        "published": "2023-05-29T17:57:46Z",
        "primary_category": "cs.LG",
        "doi": None,
        "journal_ref": None,
        "abstract": "While large-scale unsupervised language models ...",
    }
    ann = Annotation(
        key="2305.18290", status=Status.READ, tags=("dpo", "alignment"), note="Key paper."
    )
    return Row(entry, ann, meta)


def preprint() -> Row:
    """A preprint no venue knows: the list says arXiv."""
    entry = Entry(
        key="2402.01306",
        title="KTO: Model Alignment as Prospect Theoretic Optimization",
        url="https://arxiv.org/abs/2402.01306",
        section=("Papers",),
        arxiv_id="2402.01306",
        authors="Kawin Ethayarajh, Winnie Xu",
        year=2024,
        venue="arXiv",
    )
    meta = {
        "key": "2402.01306",
        "title": "KTO: Model Alignment as Prospect Theoretic Optimization",
        "authors": ["Kawin Ethayarajh", "Winnie Xu"],
        "published": "2024-02-02T10:53:36Z",
        "primary_category": "cs.LG",
        "doi": None,
        "journal_ref": None,
    }
    return Row(entry, Annotation(key="2402.01306", tags=("kto",)), meta)


def journal_paper() -> Row:
    """Published in a journal, as arXiv's journal_ref and DOI say."""
    entry = Entry(
        key="1706.03741",
        title="Deep reinforcement learning from human preferences",
        url="https://arxiv.org/abs/1706.03741",
        section=("Papers",),
        arxiv_id="1706.03741",
        authors="Paul Christiano, Jan Leike",
        year=2017,
    )
    meta = {
        "key": "1706.03741",
        "authors": ["Paul Christiano", "Jan Leike"],
        "published": "2017-06-12T17:23:59Z",
        "doi": "10.1000/jmlr.1",
        "journal_ref": "Journal of Machine Learning Research 18 (2017)",
    }
    return Row(entry, Annotation(key="1706.03741"), meta)


def bib_entries(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    return {
        e.key: {"@type": e.entry_type, **{f.key: f.value for f in e.fields}}
        for e in library.entries
    }


def test_bibtex_fields_for_zotero_and_biblatex() -> None:
    entries = bib_entries(export([dpo(), preprint(), journal_paper()], "bibtex", today=TODAY))
    d = entries["rafailov2023direct"]
    # @inproceedings → Zotero "Conference Paper"; booktitle → Proceedings Title.
    assert d["@type"] == "inproceedings"
    assert d["booktitle"] == "{NeurIPS}"  # the year is the year field, not repeated here
    assert d["year"] == "2023"
    # eprint + eprinttype = arxiv → Zotero Extra "arXiv: 2305.18290" (BibTeX.js eprintIds);
    # archivePrefix + primaryClass are arXiv's own fields, read by biber and natbib styles.
    assert (d["eprint"], d["eprinttype"]) == ("2305.18290", "arxiv")
    assert (d["archivePrefix"], d["primaryClass"]) == ("arXiv", "cs.LG")
    # doi → DOI (no published DOI known: arXiv's DataCite DOI); url → URL.
    assert d["doi"] == "10.48550/arXiv.2305.18290"
    assert d["url"] == "https://arxiv.org/abs/2305.18290"
    # keywords → tags (split on "," or ";").
    assert d["keywords"] == "dpo, alignment"

    p = entries["ethayarajh2024kto"]
    # @misc → Zotero "Book" in this BibTeX.js; its DOI then goes to Extra as "DOI: …",
    # next to "arXiv: 2402.01306": nothing is lost.
    assert p["@type"] == "misc" and "booktitle" not in p and "journal" not in p
    assert (p["eprint"], p["eprinttype"], p["archivePrefix"]) == ("2402.01306", "arxiv", "arXiv")
    assert p["doi"] == "10.48550/arXiv.2402.01306"
    assert p["keywords"] == "kto"

    j = entries["christiano2017deep"]
    # @article → Journal Article; journal → Publication; the published DOI wins.
    assert j["@type"] == "article"
    assert j["journal"] == "Journal of Machine Learning Research 18"
    assert j["doi"] == "10.1000/jmlr.1"
    assert j["eprint"] == "1706.03741"


def test_citations_leave_the_readers_tags_out() -> None:
    from rlhf_reader.formats.cite import cite

    assert "keywords" not in cite([dpo()], "bibtex")


def test_ris_fields_for_zotero() -> None:
    text = export([dpo(), preprint(), journal_paper()], "ris", today=TODAY)
    records = {r["id"]: r for r in rispy.loads(text, skip_unknown_tags=False)}
    d = records["rafailov2023direct"]
    # TY CONF → conferencePaper; T2 → Conference Name; DO → DOI; UR → URL; KW → tags;
    # N1 → a note; M2 → Extra ("arXiv: …", the line Zotero writes for arXiv ids).
    assert d["type_of_reference"] == "CONF"
    assert d["secondary_title"] == "NeurIPS"
    assert d["title"] == DPO_TITLE
    assert d["authors"][:2] == ["Rafailov, Rafael", "Sharma, Archit"]
    assert d["year"] == "2023" and d["date"] == "2023/05/29"
    assert d["doi"] == "10.48550/arXiv.2305.18290"
    assert d["urls"] == ["https://arxiv.org/abs/2305.18290"]
    assert d["keywords"] == ["dpo", "alignment"]
    assert d["notes"] == ["Key paper."]
    assert d["unknown_tag"]["M2"] == ["arXiv: 2305.18290"]

    p = records["ethayarajh2024kto"]
    # RIS.js has no preprint type (UNPB would become a journal article): RPRT → Report, with
    # PB → Institution "arXiv", SN → Report Number, M3 → Report Type "Preprint"; its DOI
    # lands in DOI or, where the type has none, in Extra as "DOI: …".
    assert p["type_of_reference"] == "RPRT"
    assert p["publisher"] == "arXiv"
    assert p["issn"] == "arXiv:2402.01306"
    assert p["type_of_work"] == "Preprint"
    assert p["doi"] == "10.48550/arXiv.2402.01306"
    assert p["keywords"] == ["kto"]
    assert "UNPB" not in text and "M1  -" not in text  # M1 would land in Issue

    j = records["christiano2017deep"]
    # TY JOUR → journalArticle; T2 → Publication.
    assert j["type_of_reference"] == "JOUR"
    assert j["secondary_title"] == "Journal of Machine Learning Research 18"
    assert j["doi"] == "10.1000/jmlr.1"


def test_csl_json_fields() -> None:
    items = {
        i["id"]: i for i in json.loads(export([dpo(), preprint(), journal_paper()], "csl-json"))
    }
    d = items["rafailov2023direct"]
    assert d["type"] == "paper-conference" and d["container-title"] == "NeurIPS"
    assert d["DOI"] == "10.48550/arXiv.2305.18290"
    assert d["archive"] == "arXiv" and d["archive_location"] == "arXiv:2305.18290"
    assert d["keyword"] == "dpo, alignment" and d["note"] == "Key paper."
    assert d["issued"] == {"date-parts": [[2023, 5, 29]]}
    p = items["ethayarajh2024kto"]
    # CSL "article" is the preprint type (Zotero: Preprint; number → Archive ID,
    # publisher → Repository).
    assert p["type"] == "article" and p["number"] == "2402.01306" and p["publisher"] == "arXiv"
    assert p["DOI"] == "10.48550/arXiv.2402.01306" and p["keyword"] == "kto"
    j = items["christiano2017deep"]
    assert j["type"] == "article-journal" and j["DOI"] == "10.1000/jmlr.1"

    # citeproc-py renders them: DOI, venue and arXiv number reach the reference.
    source = CiteProcJSON(list(items.values()))
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for key in items:
        bibliography.register(Citation([CitationItem(key)]))
    text = "\n".join(str(e) for e in bibliography.bibliography())
    assert "NeurIPS" in text and "10.48550/arXiv.2305.18290" in text
    assert "Journal of Machine Learning Research" in text


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("fmt", ["bibtex", "csl-json"])
def test_pandoc_reads_doi_venue_and_tags(tmp_path, fmt: str) -> None:
    suffix = ".bib" if fmt == "bibtex" else ".json"
    path = tmp_path / f"refs{suffix}"
    path.write_text(export([dpo(), preprint()], fmt, today=TODAY), encoding="utf-8")
    source = "biblatex" if fmt == "bibtex" else "csljson"
    out = subprocess.run(
        ["pandoc", "-f", source, "-t", "csljson", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    items = {i["id"]: i for i in json.loads(out)}
    d = items["rafailov2023direct"]
    assert d["DOI"] == "10.48550/arXiv.2305.18290"
    assert d["container-title"] == "NeurIPS"
    assert "dpo" in d.get("keyword", "")
    assert items["ethayarajh2024kto"]["DOI"] == "10.48550/arXiv.2402.01306"
