"""Citations: names, keys, escaping, the four formats (golden files) and bibtexparser v2."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser import middlewares as mw

from rlhf_reader.formats.cite import (
    FORMATS,
    Name,
    apa_authors,
    base_key,
    bib_escape,
    bib_title,
    cite,
    cite_one,
    parse_name,
    unique_keys,
    work_of,
)
from rlhf_reader.library.records import Row, rows
from rlhf_reader.lists.catalog import load, parse
from rlhf_reader.model import Annotation, Entry, Status

TEST_DATA = Path(__file__).resolve().parent / "data"
BUNDLED_LIST = Path(__file__).resolve().parent.parent / "src/rlhf_reader/data/awesome-rlhf.md"
GOLDEN = TEST_DATA / "cite"
TODAY = date(2025, 3, 14)
DPO_META = {
    "key": "2305.18290",
    "arxiv_id": "2305.18290",
    "version": "v3",
    "title": "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
    "authors": [
        "Rafael Rafailov",
        "Archit Sharma",
        "Eric Mitchell",
        "Stefano Ermon",
        "Christopher D. Manning",
        "Chelsea Finn",
    ],
    "abstract": "While large-scale unsupervised language models ...",
    "published": "2023-05-29T17:57:46Z",
    "updated": "2024-07-29T22:26:36Z",
    "primary_category": "cs.LG",
    "categories": ["cs.LG", "cs.AI", "cs.CL"],
    "doi": None,
    "journal_ref": None,
    "comment": None,
    "pdf_url": "https://arxiv.org/pdf/2305.18290v3",
    "fetched_at": "2025-03-01T10:00:00Z",
}


def entry(**fields: object) -> Entry:
    base: dict[str, object] = {
        "key": "example.org/x",
        "title": "A Title",
        "url": "https://example.org/x",
        "section": ("Papers",),
    }
    base.update(fields)
    return Entry(**base)  # type: ignore[arg-type]


def row(meta: dict | None = None, ann: Annotation | None = None, **fields: object) -> Row:
    e = entry(**fields)
    return Row(e, ann or Annotation(key=e.key), meta)


def dpo_row(with_meta: bool = True) -> Row:
    return row(
        DPO_META if with_meta else None,
        key="2305.18290",
        title="Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
        url="https://arxiv.org/pdf/2305.18290.pdf",
        arxiv_id="2305.18290",
        authors="Rafael Rafailov, Archit Sharma, Eric Mitchell, Stefano Ermon, "
        "Christopher D. Manning, Chelsea Finn",
        year=2024,  # the list says the NeurIPS year; arXiv metadata says 2023
        venue="NeurIPS",
    )


def blog_row() -> Row:
    return row(
        None,
        Annotation(
            key="huggingface.co/blog/rlhf", status=Status.READ, read_at="2024-02-03T10:00:00Z"
        ),
        key="huggingface.co/blog/rlhf",
        title="Illustrating Reinforcement Learning from Human Feedback (RLHF)",
        url="https://huggingface.co/blog/rlhf",
        authors="Nathan Lambert, Louis Castricato, Leandro von Werra, Alex Havrilla",
        year=2022,
        venue="Hugging Face blog",
    )


def corporate_row() -> Row:
    return row(
        None,
        key="2303.08774",
        title="GPT-4 Technical Report",
        url="https://arxiv.org/abs/2303.08774",
        arxiv_id="2303.08774",
        authors="OpenAI",
        year=2023,
    )


def hostile_row() -> Row:
    return row(
        None,
        key="example.org/hostile",
        title="Costs & {Benefits} of 100% $x_1$ #RL ~ ^ \\ in Ünïcode\x1b[31m\x07",
        url="https://example.org/hostile?a=1&b=%20#frag",
        authors="Jörg von der Müller Jr., Zoë O'Brien et al.",
        year=2021,
        venue="Workshop on A_B",
    )


GOLDEN_ROWS = {
    "dpo": dpo_row,
    "blog": blog_row,
    "corporate": corporate_row,
    "hostile": hostile_row,
}
SUFFIX = {"bibtex": "bib", "apa": "apa.txt", "markdown": "md", "plain": "txt"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(GOLDEN_ROWS))
def test_golden_citations(name: str, fmt: str) -> None:
    """Golden files: regenerate with RLHF_READER_REGOLD=1 and review the diff by eye."""
    text = cite([GOLDEN_ROWS[name]()], fmt, today=TODAY)
    path = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if os.environ.get("RLHF_READER_REGOLD"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_dpo_bibtex_is_arxiv_style() -> None:
    text = cite([dpo_row()], "bibtex")
    # The list says NeurIPS: published, so @inproceedings, with the eprint fields kept.
    assert text.startswith("@inproceedings{rafailov2023direct,\n")
    for line in (
        "  booktitle = {{NeurIPS}},",
        "  eprinttype = {arxiv},",
        "  doi = {10.48550/arXiv.2305.18290},",
        "  author = {Rafailov, Rafael and Sharma, Archit and Mitchell, Eric and Ermon, Stefano "
        "and Manning, Christopher D. and Finn, Chelsea},",
        "  year = {2023},",
        "  eprint = {2305.18290},",
        "  archivePrefix = {arXiv},",
        "  primaryClass = {cs.LG},",
        "  url = {https://arxiv.org/abs/2305.18290},",
    ):
        assert line in text.splitlines()


def test_without_metadata_the_list_data_is_used() -> None:
    text = cite([dpo_row(with_meta=False)], "bibtex")
    assert "@inproceedings{rafailov2024direct," in text
    assert "primaryClass" not in text
    assert "  year = {2024}," in text


def test_doi_when_known() -> None:
    meta = {**DPO_META, "doi": "10.1000/xyz_1"}
    text = cite([row(meta, key="2305.18290", arxiv_id="2305.18290")], "bibtex")
    assert "  doi = {10.1000/xyz_1}," in text
    assert "https://doi.org/10.1000/xyz_1" in cite([row(meta, arxiv_id="2305.18290")], "apa")


def test_web_entries_are_online_with_urldate() -> None:
    text = cite([blog_row()], "bibtex", today=TODAY)
    assert text.startswith("@online{lambert2022illustrating,")
    assert "  urldate = {2024-02-03}," in text  # the day it was read
    assert "  note = {Hugging Face blog}," in text
    unread = row(None, title="Talk", url="https://youtube.com/watch?v=1", authors="A B", year=2020)
    assert "  urldate = {2025-03-14}," in cite([unread], "bibtex", today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rafael Rafailov", Name(given="Rafael", family="Rafailov")),
        ("Christopher D. Manning", Name(given="Christopher D.", family="Manning")),
        ("Leandro von Werra", Name(given="Leandro", family="Werra", particle="von")),
        ("Ronan Le Bras", Name(given="Ronan", family="Bras", particle="Le")),
        ("Jörg von der Müller Jr.", Name("Jörg", "Müller", "von der", "Jr.")),
        ("Seán Ó hÉigeartaigh", Name(given="Seán", family="hÉigeartaigh", particle="Ó")),
        ("OpenAI", Name(literal="OpenAI")),
        ("  Hao   Sun ", Name(given="Hao", family="Sun")),
        ("", Name()),
    ],
)
def test_parse_name(text: str, expected: Name) -> None:
    assert parse_name(text) == expected


def test_et_al_and_descriptions() -> None:
    w = work_of(row(None, authors="Jane Doe et al.", year=2020))
    assert [n.full for n in w.names] == ["Jane Doe"] and w.et_al
    assert "author = {Doe, Jane and others}" in cite(
        [row(None, authors="Jane Doe, et al.")], "bibtex"
    )
    # Software entries: the list's "details" line is a description, not authors.
    w = work_of(row(None, authors="Train transformer language models with reinforcement learning"))
    assert w.names == ()


@pytest.mark.parametrize(
    ("title", "authors", "year", "key"),
    [
        ("Direct Preference Optimization", "Rafael Rafailov", 2023, "rafailov2023direct"),
        ("The N Implementation Details of RLHF", "Tianlin Liu", 2023, "liu2023implementation"),
        ("A Survey on the Alignment of LLMs", "Zoë Ünal", 2024, "unal2024survey"),
        ("On the Dangers", "Leandro von Werra", None, "werradangers"),
        ("GPT-4 Technical Report", "OpenAI", 2023, "openai2023gpt"),
        ("Łódź: “Quoted” Title", "Erdem B\u0131y\u0131k", 2022, "biyik2022lodz"),
        ("trl", "", None, "trl"),
        ("The", "", None, "the"),
        ("", "", None, "entry"),
    ],
)
def test_citation_keys(title: str, authors: str, year: int | None, key: str) -> None:
    assert base_key(work_of(row(None, title=title, authors=authors, year=year))) == key


def test_keys_unique_within_one_export() -> None:
    works = [
        work_of(row(None, key=f"k{i}", title="Reward Models", authors="Jane Doe", year=2023))
        for i in range(30)
    ]
    keys = unique_keys(works)
    assert keys[:4] == ["doe2023reward", "doe2023rewarda", "doe2023rewardb", "doe2023rewardc"]
    assert keys[26] == "doe2023rewardz" and keys[27] == "doe2023rewardaa"
    assert len(set(keys)) == 30


def test_one_citation_per_distinct_key() -> None:
    twice = [dpo_row(), dpo_row()]
    assert cite(twice, "bibtex").count("@inproceedings{") == 1
    assert cite_one(dpo_row(), "markdown").count("\n") == 0


def test_bib_escape() -> None:
    assert bib_escape("a & b % c # d _ e $ f") == r"a \& b \% c \# d \_ e \$ f"
    assert bib_escape("x~y^z\\w") == r"x\textasciitilde{}y\textasciicircum{}z\textbackslash{}w"
    assert bib_escape("{ok}") == r"\{ok\}"
    # Unbalanced braces must not unbalance the BibTeX field.
    assert bib_escape("a } b {") == r"a \textbraceright{} b \textbraceleft{}"
    assert bib_escape("Ünïcode — 強化学習") == "Ünïcode — 強化学習"


def test_title_capitalisation_is_protected() -> None:
    assert bib_title("Proxy-RLHF: Aligning LLMs with PanGu-Coder2 and GPT-4") == (
        "{Proxy-RLHF}: Aligning {LLMs} with {PanGu-Coder2} and {GPT-4}"
    )
    assert bib_title("Learning (RLHF) in A World") == "Learning ({RLHF}) in A World"


def test_apa_author_lists() -> None:
    names = [parse_name(f"Given{i} Family{i}") for i in range(25)]
    assert apa_authors(names[:1]) == "Family0, G."
    assert apa_authors(names[:2]) == "Family0, G., & Family1, G."
    many = apa_authors(names)
    assert many.startswith("Family0, G., Family1, G.,")
    assert many.endswith("Family18, G., . . . Family24, G.")
    assert apa_authors([parse_name("Jean-Luc Noah A. Picard")]) == "Picard, J.-L. N. A."


def test_apa_arxiv_and_undated() -> None:
    assert cite([dpo_row()], "apa") == (
        "Rafailov, R., Sharma, A., Mitchell, E., Ermon, S., Manning, C. D., & Finn, C. (2023). "
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model "
        "(arXiv:2305.18290). arXiv. https://doi.org/10.48550/arXiv.2305.18290\n"
    )
    software = row(None, title="trl", url="https://github.com/huggingface/trl")
    assert cite([software], "apa") == "trl. (n.d.). https://github.com/huggingface/trl\n"


def test_markdown_and_plain() -> None:
    assert cite([dpo_row()], "markdown") == (
        "[Direct Preference Optimization: Your Language Model is Secretly a Reward Model]"
        "(https://arxiv.org/abs/2305.18290) — Rafael Rafailov et al. (2023)\n"
    )
    odd = row(None, title="[RLHF] a\\b", url="https://e.org/a (b)", authors="A B, C D", year=1)
    assert (
        cite([odd], "markdown")
        == r"[\[RLHF\] a\\b](<https://e.org/a%20(b)>) — A B and C D (1)" + "\n"
    )
    assert cite([corporate_row()], "plain") == (
        "GPT-4 Technical Report. OpenAI. 2023. https://arxiv.org/abs/2303.08774\n"
    )


def test_no_raw_control_characters_in_any_format() -> None:
    for fmt in FORMATS:
        text = cite([hostile_row()], fmt)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), fmt
        assert "x1b" in text


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown citation format 'mla'"):
        cite([dpo_row()], "mla")


# real consumer: bibtexparser v2 ----------------------------------------------------------------


def parse_bib(text: str) -> bibtexparser.Library:
    return bibtexparser.parse_string(text)


def test_bundled_list_bibtex_parses_with_bibtexparser() -> None:
    catalog = load(BUNDLED_LIST)
    all_rows = rows(catalog, {}, {})
    lib = parse_bib(cite(all_rows, "bibtex"))
    distinct_keys = {e.key for e in catalog.entries}
    assert lib.failed_blocks == []
    assert len(lib.entries) == len(distinct_keys)
    assert len({e.key for e in lib.entries}) == len(lib.entries)
    by_title = {}
    for bib in lib.entries:
        fields = bib.fields_dict
        assert fields["title"].value and fields["url"].value.startswith("http")
        by_title[fields["url"].value] = bib
    first: dict[str, Entry] = {}
    for e in catalog.entries:
        first.setdefault(e.key, e)
    for e in first.values():
        url = f"https://arxiv.org/abs/{e.arxiv_id}" if e.arxiv_id else e.url
        bib = by_title[url]
        fields = bib.fields_dict
        if e.arxiv_id:
            published = e.venue not in ("", "arXiv")
            assert bib.entry_type == ("inproceedings" if published else "misc")
            assert fields["eprinttype"].value == "arxiv"
            assert fields["eprint"].value == e.arxiv_id
            assert fields["archivePrefix"].value == "arXiv"
        elif e.venue in ("NeurIPS", "ICLR"):  # a conference paper without an arXiv link
            assert bib.entry_type == "inproceedings"
            assert fields["booktitle"].value == "{" + e.venue + "}"
        else:
            assert bib.entry_type == "online"
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["urldate"].value)
        if e.year:
            assert fields["year"].value == str(e.year)
    dpo = next(b for b in lib.entries if b.key == "rafailov2023direct")
    assert dpo.fields_dict["author"].value.startswith("Rafailov, Rafael and Sharma, Archit")


def test_bibtex_decodes_back_to_the_data() -> None:
    """bibtexparser's LaTeX decoding gives back the original text of a hostile title."""
    title = "Costs & Benefits of 100% x_1 #RL in Ünïcode"
    text = cite([row(None, title=title, authors="Zoë O'Brien, OpenAI", year=2021)], "bibtex")
    lib = bibtexparser.parse_string(
        text,
        append_middleware=[
            mw.LatexDecodingMiddleware(),
            mw.SeparateCoAuthors(),
            mw.SplitNameParts(),
        ],
    )
    assert lib.failed_blocks == []
    (bib,) = lib.entries
    assert bib.fields_dict["title"].value == title
    authors = bib.fields_dict["author"].value
    assert authors[0].last == ["O'Brien"] and authors[0].first == ["Zoë"]
    assert authors[1].last == ["OpenAI"]


def test_hostile_list_bibtex_parses() -> None:
    catalog = parse(Path(TEST_DATA / "hostile.md").read_text(encoding="utf-8"))
    lib = parse_bib(cite(rows(catalog, {}, {}), "bibtex"))
    assert lib.failed_blocks == []
    assert len(lib.entries) == len({e.key for e in catalog.entries})


def test_helpers_for_the_tui() -> None:
    from rlhf_reader.formats.cite import describe, link

    assert link(dpo_row()) == "https://arxiv.org/pdf/2305.18290.pdf"
    assert [describe(f) for f in FORMATS] == ["BibTeX", "APA 7", "Markdown", "plain text"]
