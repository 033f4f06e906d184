"""The list parser: the two real lists pinned exactly, and small hand-written Markdown."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rlhf_reader.lists.catalog import CatalogError, load, parse, parse_bytes, parse_details
from rlhf_reader.model import Catalog, Entry

TESTS = Path(__file__).resolve().parent
TEST_DATA = TESTS / "data"
BUNDLED_LIST = TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"
OPENDILAB = TEST_DATA / "opendilab_awesome-RLHF_README.md"
HOSTILE = TEST_DATA / "hostile.md"


def section_counts(catalog: Catalog) -> dict[tuple[str, ...], int]:
    """Every section that holds entries directly, with how many."""
    return {s.path: len(s.entries) for s in catalog.walk() if s.entries}


def by_title(catalog: Catalog, start: str) -> list[Entry]:
    return [e for e in catalog.entries if e.title.startswith(start)]


# --- the bundled list ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load(BUNDLED_LIST)


def test_bundled_title_and_sections(bundled: Catalog) -> None:
    assert bundled.title == "awesome-rlhf"
    assert section_counts(bundled) == {
        ("Papers", "Review/Survey"): 6,
        ("Papers", "RLHF for LLMs: Theory / Methods"): 73,
        ("Papers", "RLHF for Other Domains"): 8,
        ("Papers", "Datasets"): 2,
        ("Blogs/Talks/Reports", "Blogs"): 4,
        ("Blogs/Talks/Reports", "Talks"): 3,
        ("Blogs/Talks/Reports", "Reports"): 2,
        ("Open Source Software/Implementations",): 2,
    }
    assert len(bundled.entries) == 100
    # The tree: three top sections (the ToC heading and the preamble are not among them).
    assert [s.title for s in bundled.sections] == [
        "Papers",
        "Blogs/Talks/Reports",
        "Open Source Software/Implementations",
    ]
    assert [s.level for s in bundled.walk()] == [2, 3, 3, 3, 3, 2, 3, 3, 3, 2]


def test_bundled_arxiv_links(bundled: Catalog) -> None:
    ids = [e.arxiv_id for e in bundled.entries if e.arxiv_id]
    assert len(ids) == 90
    assert len(set(ids)) == 85
    # Every arXiv entry is keyed by its bare id, whatever form the link takes.
    assert all(e.key == e.arxiv_id for e in bundled.entries if e.arxiv_id)
    forms = {e.line: (e.url, e.key) for e in bundled.entries}
    assert forms[59] == ("https://arxiv.org/pdf/2403.12017.pdf", "2403.12017")
    assert forms[95] == ("https://arxiv.org/abs/2312.00886v2", "2312.00886")
    assert forms[111] == ("http://arxiv.org/abs/2310.12036", "2310.12036")
    # Entries that do not link to arXiv are keyed by their normalised URL.
    assert forms[228] == ("https://huggingface.co/blog/rlhf", "huggingface.co/blog/rlhf")
    assert forms[236][1] == "youtube.com/watch?v=2MBJOuVq380&t=2641s"
    assert forms[251][1] == "github.com/huggingface/trl/tree/main"


def test_bundled_duplicates(bundled: Catalog) -> None:
    dups = bundled.duplicates()
    assert {key: [e.line for e in entries] for key, entries in dups.items()} == {
        "2305.14718": [53, 137],
        "2403.05534": [61, 63],
        "2310.08164": [89, 97],
        "2310.12036": [111, 131],
        "2309.10202": [127, 167],
    }
    # Two of them are listed under different titles (the list's own errors).
    different = {key for key, entries in dups.items() if len({e.title for e in entries}) > 1}
    assert different == {"2305.14718", "2403.05534"}
    assert [e.title for e in dups["2403.05534"]] == [
        "Easy-to-Hard Generalization: Scalable Alignment Beyond Human Supervision",
        "Bayesian Preference Elicitation with Language Models",
    ]


def test_bundled_unindented_author_lines_attach(bundled: Catalog) -> None:
    first, second = by_title(bundled, "A General Theoretical Paradigm")
    assert first.line == 111
    assert first.authors.startswith("Mohammad Gheshlaghi Azar, Mark Rowland")
    assert first.authors.endswith("R´emi Munos")
    assert (first.venue, first.year) == ("arXiv", 2023)
    assert second.line == 131 and second.authors.endswith("Rémi Munos")
    (talk,) = by_title(bundled, "Reinforcement Learning from Human Feedback: From Zero")
    assert talk.title == "Reinforcement Learning from Human Feedback: From Zero to chatGPT"
    assert (talk.authors, talk.venue, talk.year) == ("Nathan Lambert", "Hugging Face", 2022)
    assert talk.details == "Nathan Lambert, Hugging Face, 2022."
    # The next entries are entries in their own right, with their own authors.
    entries = bundled.entries
    after = entries[entries.index(first) + 1]
    assert after.title.startswith("COPF") and after.authors.startswith("Han Zhang")
    after = entries[entries.index(talk) + 1]
    assert after.title.endswith("Progress and Challenges") and after.authors == "John Schulman"


def test_bundled_titles_as_written(bundled: Catalog) -> None:
    (kwise,) = by_title(bundled, "Principled Reinforcement Learning with Human Feedback")
    assert kwise.title == (
        "Principled Reinforcement Learning with Human Feedback from Pairwise or $K$-wise "
        "Comparisons"
    )  # `$K$` kept; the list's trailing "." after the link is not part of the title
    (lunch,) = by_title(bundled, "Leftover-Lunch")
    assert lunch.title == (
        "Leftover-Lunch: Advantage-based Offline Reinforcement Learning for Language Models"
    )
    assert not any(e.title.endswith(".") for e in bundled.entries)


def test_bundled_details(bundled: Catalog) -> None:
    (dpo,) = by_title(bundled, "Direct Preference Optimization: Your Language Model")
    assert dpo.author_list[:2] == ["Rafael Rafailov", "Archit Sharma"]
    assert (dpo.venue, dpo.year) == ("NeurIPS", 2023)
    (negating,) = by_title(bundled, "Negating Negatives")  # "… Ning Gu. arXiv 2024."
    assert negating.authors.endswith("Ning Gu") and (negating.venue, negating.year) == (
        "arXiv",
        2024,
    )
    (blog,) = by_title(bundled, "Reinforcement Learning for Language Models")
    assert (blog.authors, blog.venue, blog.year) == ("Yoav Goldberg", "", 2023)  # "April 2023"
    (trl,) = by_title(bundled, "trl")
    # A software entry's description is kept as details, not taken for authors.
    assert trl.details == "Train transformer language models with reinforcement learning."
    assert (trl.authors, trl.year) == ("", None)


def test_bundled_preamble_and_toc_yield_nothing(bundled: Catalog) -> None:
    urls = {e.url for e in bundled.entries}
    assert "https://louieworth.github.io/" not in urls  # "Maintained by" in the preamble
    assert not any("#" in e.url and "louieworth/awesome-rlhf" in e.url for e in bundled.entries)
    assert "Table of Contents" not in {s.title for s in bundled.walk()}
    assert min(e.line for e in bundled.entries) == 37


# --- the opendilab list: another house style ----------------------------------------------


@pytest.fixture(scope="module")
def opendilab() -> Catalog:
    return load(OPENDILAB)


def test_opendilab_counts(opendilab: Catalog) -> None:
    assert opendilab.title == "Awesome RLHF (RL with Human Feedback)"
    assert len(opendilab.entries) == 170
    totals = {s.title: sum(1 for _ in s.all_entries()) for s in opendilab.sections}
    assert totals == {"Papers": 124, "Codebases": 16, "Dataset": 11, "Blogs": 16, "Books": 3}
    assert section_counts(opendilab) == {
        ("Papers", "2025"): 16,
        ("Papers", "2024"): 44,
        ("Papers", "2023"): 38,
        ("Papers", "2022"): 14,
        ("Papers", "2021"): 5,
        ("Papers", "2020 and before"): 7,
        ("Codebases",): 16,
        ("Dataset",): 11,
        ("Blogs",): 16,
        ("Books",): 3,
    }


def test_opendilab_no_template_or_malformed_entries(opendilab: Catalog) -> None:
    titles = {e.title for e in opendilab.entries}
    assert "title" not in titles  # "- [title](paper link)" inside the code fences
    assert not any(
        e.url in ("paper link", "codebase link", "dataset link") for e in opendilab.entries
    )
    # "-[Safe-RLHF](…)" has no space after the dash: not a list item in CommonMark.
    assert "Safe-RLHF" not in titles
    # The overview bullets ("- `Game Playing`: …") and relative links are not entries.
    assert not any(e.url.endswith(".md") for e in opendilab.entries)


def test_opendilab_source_tags_and_odd_urls(opendilab: Catalog) -> None:
    blogs = [e for e in opendilab.entries if e.section == ("Blogs",)]
    assert blogs[0].source == "OpenAI"
    assert blogs[0].title == "ChatGPT: Optimizing Language Models for Dialogue"
    assert [e.source for e in blogs].count("ZhiHu") == 3
    wandb = next(e for e in blogs if e.source == "W&B Fully Connected")
    assert wandb.title == "Understanding Reinforcement Learning from Human Feedback (RLHF)"
    (overview,) = [e for e in blogs if e.title == "Overview of RL(HF)+LLM"]
    assert overview.url == (
        "https://github.com/wwxFromTju/wwxFromTju.github.io/blob/master/slide/"
        "RL(HF)%2BLLM%E7%9A%84%E7%89%87%E9%9D%A2%E8%84%89%E7%BB%9C.JPG"
    )
    assert "通向AGI之路\uff1a大型语言模型 (LLM) 技术精要" in {e.title for e in blogs}
    assert all(e.source is None for e in opendilab.entries if e.section != ("Blogs",))


def test_opendilab_years_and_sub_bullets(opendilab: Catalog) -> None:
    papers = [e for e in opendilab.entries if e.section[0] == "Papers"]
    for entry in papers:
        expected = None if entry.section[1] == "2020 and before" else int(entry.section[1])
        assert entry.year == expected, entry.title
    (wimhf,) = by_title(opendilab, "What's In My Human Feedback?")
    assert wimhf.authors == "Rajiv Movva, Smitha Milli, Sewon Min, Emma Pierson"
    assert wimhf.extra[0].startswith("Keyword: Sparse Autoencoders")
    assert [(link.text, link.url) for link in wimhf.links] == [
        ("Code: Official", "https://github.com/rmovva/wimhf")
    ]
    (summarize,) = by_title(opendilab, "Learning to summarize from human feedback")
    assert [link.text for link in summarize.links] == [
        "Code: official",
        "Dataset: TL;DR",
        "Dataset: CNN/DM",
    ]


# --- small Markdown: headings --------------------------------------------------------------


def test_single_h1_is_the_title_and_h2_h3_make_a_tree() -> None:
    catalog = parse(
        "# My list\n\nIntro [link](https://x.example).\n\n## A\n\n### A1\n\n- [One](https://a/1)\n"
        "\n## B ##\n\n- [Two](https://a/2)\n"
    )
    assert catalog.title == "My list"
    assert section_counts(catalog) == {("A", "A1"): 1, ("B",): 1}
    assert [s.title for s in catalog.sections] == ["A", "B"]


def test_setext_headings_and_trailing_hashes() -> None:
    catalog = parse(
        "Title\n=====\n\nPapers\n------\n\n- [One](https://a/1)\n\n### Sub ###\n\n"
        "- [Two](https://a/2)\n\n#### Deep #####   \n- [Three](https://a/3)\n"
    )
    assert catalog.title == "Title"
    assert section_counts(catalog) == {
        ("Papers",): 1,
        ("Papers", "Sub"): 1,
        ("Papers", "Sub", "Deep"): 1,
    }


def test_several_h1_headings_are_sections() -> None:
    catalog = parse("# Papers\n- [One](https://a/1)\n# Blogs\n## Old\n- [Two](https://a/2)\n")
    assert section_counts(catalog) == {("Papers",): 1, ("Blogs", "Old"): 1}
    assert catalog.title == "Reading list"
    assert parse("# A\n- [x](https://a/1)\n# B\n", "/lists/my-list.md").title == "my-list"


def test_headings_without_entries_and_empty_headings_are_dropped() -> None:
    catalog = parse(
        "# T\n## Empty\n\nText only.\n\n## Full\n### Nothing here\n### Sub\n- [One](https://a/1)\n"
        "##\n- [Two](https://a/2)\n## Trailing\n"
    )
    assert section_counts(catalog) == {("Full", "Sub"): 2}
    assert [s.title for s in catalog.walk()] == ["Full", "Sub"]


def test_a_list_with_no_entries_has_no_sections() -> None:
    assert parse("# Nothing\n\nJust text.\n\n## Section\n\nMore text.\n").sections == []


# --- small Markdown: what is and is not an entry --------------------------------------------


def test_preamble_toc_fences_and_comments_yield_no_entries() -> None:
    text = """# List
- [Preamble link](https://pre.example)

## Contents
- [Papers](#papers)

## Papers
```
- [title](paper link)
```
~~~markdown
- [Tilde fence](https://fence.example)
~~~
<!--
- [Commented out](https://comment.example)
-->
- [Real](https://real.example) <!-- - [Inline comment](https://inline.example) -->
- [Self link](https://github.com/me/list#papers)
"""
    catalog = parse(text)
    assert [(e.title, e.url) for e in catalog.entries] == [("Real", "https://real.example")]
    (entry,) = catalog.entries
    assert entry.links == ()


def test_link_title_is_plain_text_as_written() -> None:
    catalog = parse(
        "## S\n- [**Bold** and `code` and $x_1$ and *em*.](https://a/1)\n"
        "- [  Spaced\n  over   lines ](https://a/2)\n- [Dots...](https://a/3)\n"
        "- [![img](https://img/x.png) Picture](https://a/4)\n- [A &amp; B](https://a/5)\n"
    )
    assert [e.title for e in catalog.entries] == [
        "**Bold** and `code` and $x_1$ and *em*",
        "Spaced over lines",
        "Dots...",
        "img Picture",
        "A &amp; B",  # entities as written: list text round-trips exactly (issue 12)
    ]


def test_items_not_starting_with_a_link_are_not_entries() -> None:
    catalog = parse(
        "## S\n- Text then [link](https://a/1)\n- [Not a link] just text\n- [](https://a/empty)\n"
        "- [Bad](javascript:alert(1))\n1. [Numbered](https://a/2)\n* [Star](https://a/3)\n"
    )
    assert [e.title for e in catalog.entries] == ["Numbered", "Star"]


def test_url_with_parentheses_is_kept_whole() -> None:
    (entry,) = parse("## S\n- [Wiki](https://en.wikipedia.org/wiki/Go_(game)).\n").entries
    assert entry.url == "https://en.wikipedia.org/wiki/Go_(game)"
    assert entry.key == "en.wikipedia.org/wiki/Go_(game)"


def test_source_tag_before_the_link() -> None:
    (entry,) = parse("## Blogs\n- [OpenAI] [ChatGPT](https://openai.com/blog/chatgpt)\n").entries
    assert (entry.source, entry.title, entry.key) == (
        "OpenAI",
        "ChatGPT",
        "openai.com/blog/chatgpt",
    )


def test_extra_links_on_the_line_and_in_sub_bullets() -> None:
    text = (
        "## S\n"
        "- [Paper](https://arxiv.org/abs/2305.18290) [[code](https://github.com/x/y)] "
        "[slides](https://s.example/1)\n"
        "  - Ann Author, Bob Builder. ICML, 2023.\n"
        "  - Code: [official](https://github.com/x/z), [fork](https://github.com/w/z)\n"
        "  - Keyword: alignment\n"
    )
    (entry,) = parse(text).entries
    assert (entry.key, entry.arxiv_id) == ("2305.18290", "2305.18290")
    assert [(link.text, link.url) for link in entry.links] == [
        ("code", "https://github.com/x/y"),
        ("slides", "https://s.example/1"),
        ("Code: official", "https://github.com/x/z"),
        ("Code: fork", "https://github.com/w/z"),
    ]
    assert entry.author_list == ["Ann Author", "Bob Builder"]
    assert (entry.venue, entry.year) == ("ICML", 2023)
    assert entry.extra == (
        "Code: official, fork",
        "Keyword: alignment",
    )


def test_nested_entries_under_plain_bullets_are_found() -> None:
    text = "## S\n- Group heading bullet\n  - [Inner](https://a/1)\n    - Ann, 2020.\n"
    (entry,) = parse(text).entries
    assert (entry.title, entry.authors, entry.year) == ("Inner", "Ann", 2020)


def test_loose_details_bullet_only_right_after_an_entry_without_details() -> None:
    text = (
        "## S\n- [One](https://a/1)\n- Ann Author, 2021.\n- [Two](https://a/2)\n"
        "  - Bob Builder, 2022.\n- Not details of Two, 2023.\n- [Three](https://a/3)\n"
        "- [Broken] title](https://a/x)\n"
    )
    one, two, three = parse(text).entries
    assert (one.authors, one.year) == ("Ann Author", 2021)
    assert (two.authors, two.year) == ("Bob Builder", 2022)
    assert (three.authors, three.details) == ("", "")
    assert [e.line for e in (one, two, three)] == [2, 4, 7]


# --- small Markdown: bytes and whitespace ----------------------------------------------------

PLAIN = "# T\n\n## S\n\n- [One](https://a/1)\n  - Ann, 2020.\n- [Two](https://a/2)\n"


def entries_summary(catalog: Catalog) -> list[tuple[str, str, int, str]]:
    return [(e.title, e.url, e.line, e.authors) for e in catalog.entries]


@pytest.mark.parametrize(
    "variant",
    [
        PLAIN.replace("\n", "\r\n"),
        "\ufeff" + PLAIN,
        PLAIN.replace("\n", "\r"),
        PLAIN.rstrip("\n"),
        PLAIN.replace("  - Ann", "\t- Ann"),
    ],
    ids=["crlf", "bom", "cr", "no-final-newline", "tab-indent"],
)
def test_line_endings_bom_tabs_and_missing_final_newline(variant: str) -> None:
    assert entries_summary(parse(variant)) == entries_summary(parse(PLAIN))
    assert entries_summary(parse_bytes(variant.encode("utf-8"))) == entries_summary(parse(PLAIN))


def test_entry_lines_and_sections() -> None:
    catalog = parse(PLAIN)
    assert [(e.line, e.section, e.section_path) for e in catalog.entries] == [
        (5, ("S",), "S"),
        (7, ("S",), "S"),
    ]


def test_not_utf8_names_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes("## S\n- [Caf\u00e9](https://a/1)\n".encode("latin-1"))
    with pytest.raises(CatalogError) as err:
        load(path)
    message = str(err.value)
    assert str(path) in message
    assert "not UTF-8" in message and "offset 11" in message and "0xe9" in message


def test_missing_file_directory_and_no_entries(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no such file") as err:
        load(tmp_path / "nope.md")
    assert str(tmp_path / "nope.md") in str(err.value)
    with pytest.raises(CatalogError, match=r"is a directory"):
        load(tmp_path)
    empty = tmp_path / "empty.md"
    empty.write_text("# Title\n\nNo list here.\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"no entries found") as err:
        load(empty)
    assert str(empty) in str(err.value)


# --- details lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nathan Lambert, Hugging Face, 2022.", ("Nathan Lambert", "Hugging Face", 2022)),
        ("A One, B Two, and C Three. ICLR, 2024.", ("A One, B Two, and C Three", "ICLR", 2024)),
        ("Shitong Duan, Ning Gu. arXiv 2024.", ("Shitong Duan, Ning Gu", "arXiv", 2024)),
        ("Meta, 2023.", ("Meta", "", 2023)),
        ("Chip Huyen, 2023.", ("Chip Huyen", "", 2023)),
        (
            "Samuel Bowman, New York University, 2023",
            ("Samuel Bowman", "New York University", 2023),
        ),
        ("Yoav Goldberg, April 2023.", ("Yoav Goldberg", "", 2023)),
        (
            "Tianlin Liu, Leandro von Werra. Hugging Face blog, 2023.",
            ("Tianlin Liu, Leandro von Werra", "Hugging Face blog", 2023),
        ),
        ("Gen Li, Yuling Yan", ("Gen Li, Yuling Yan", "", None)),
        ("Microsoft", ("Microsoft", "", None)),
        ("Train transformer language models with reinforcement learning.", ("", "", None)),
        ("  Ann   Author.  NeurIPS (2021)  ", ("Ann Author", "NeurIPS", 2021)),
    ],
)
def test_parse_details(text: str, expected: tuple[str, str, int | None]) -> None:
    assert parse_details(text) == expected


# --- the hostile list -------------------------------------------------------------------------


def test_hostile_list_parses_literally() -> None:
    raw = HOSTILE.read_bytes()
    assert b"\r\n" in raw and b"\x1b[" in raw and b"\x07" in raw and "\u009b".encode() in raw
    catalog = load(HOSTILE)
    assert catalog.title == "Hostile [b]list[/b]"
    assert len(catalog.entries) == 12
    titles = [e.title for e in catalog.entries]
    assert titles[:4] == [
        "[RLHF] x",
        "[/]",
        "[@click=app.quit]y[/]",
        "[link=https://evil.example]Click[/link]",
    ]
    assert catalog.entries[3].source == "RLHF"
    assert "Red \x1b[31mALERT\x1b[0m title" in titles
    assert "Bell \x07 ringing" in titles
    assert "C1 \u009b31m control sequence introducer" in titles
    assert "Mixed \x1b]0;owned\x07 title" in titles
    assert catalog.sections[1].title == "Terminal escapes \x1b[31mred\x1b[0m"
    long = [t for t in titles if len(t) == 5000]
    assert len(long) == 1 and long[0].startswith("Long title") and long[0].endswith("Z")
    rtl = next(e for e in catalog.entries if e.url.endswith("/rtl/hebrew-arabic"))
    assert rtl.title == "למידת חיזוק ממשוב אנושי — التعلم المعزز"
    assert (rtl.authors, rtl.venue, rtl.year) == ("דנה כהן, محمد علي", "ACL", 2024)
    arxiv = next(e for e in catalog.entries if e.arxiv_id)
    assert arxiv.key == "2401.00001"


def test_hostile_list_links_that_are_not_entries() -> None:
    catalog = load(HOSTILE)
    for entry in catalog.entries:
        assert entry.url.startswith("https://"), entry.url
        assert "\r" not in entry.title and "\r" not in entry.url
    assert [s.title for s in catalog.sections][-1] == "Last"
    assert catalog.entries[-1].title == "Plain last entry"


# --- the fast paths give what markdown-it's tokens give ---------------------------------------


def signature(catalog: Catalog) -> tuple[object, ...]:
    return (
        catalog.title,
        [(s.path, s.level, s.line) for s in catalog.walk()],
        [dataclasses.astuple(e) for e in catalog.entries],
    )


def test_fast_heads_match_the_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from genlist import make_list
    finally:
        sys.path.pop(0)
    paths = [BUNDLED_LIST, OPENDILAB, HOSTILE, *sorted((TEST_DATA / "lists").glob("*.md"))]
    texts = [path.read_text(encoding="utf-8") for path in paths]
    texts.append(make_list(500, 10))
    fast = [signature(parse(text)) for text in texts]
    monkeypatch.setattr("rlhf_reader.lists.catalog._FAST_HEADS", False)
    assert [signature(parse(text)) for text in texts] == fast


def test_block_rules_switched_on_when_the_text_needs_them() -> None:
    text = (
        "# T\n## S\n> - [Quoted](https://q.example)\n\n- [Ref][r]\n- [Ref2]\n\n"
        "[r]: https://r.example\n[Ref2]: <https://r2.example>\n\n"
        "- [A](https://a.example)\n\n* * *\n\n- [B](https://b.example)\n"
    )
    catalog = parse(text)
    assert [(e.title, e.url) for e in catalog.entries] == [
        ("Quoted", "https://q.example"),
        ("Ref", "https://r.example"),
        ("Ref2", "https://r2.example"),
        ("A", "https://a.example"),
        ("B", "https://b.example"),
    ]
    # "* * *" is a thematic break, not an empty nested list swallowing B's list.
    assert catalog.entries[-1].line == 15


def test_escapes_and_entities_in_titles_and_tags() -> None:
    text = "## S\n- [Open\\&amp;AI] [A \\[x\\] &amp; `c  d` \\*](https://a.example)\n"
    (entry,) = parse(text).entries
    # Escapes lose their backslash; entities stay as written (issue 12: exact round trip).
    assert (entry.source, entry.title) == ("Open&amp;AI", "A [x] &amp; `c d` *")


def test_a_list_without_section_headings_is_one_section() -> None:
    catalog = parse(
        "# Reading\n\nSome intro.\n\n- [One](https://a.example/1)\n  - Ann, 2020.\n"
        "- [Two](https://a.example/2)\n"
    )
    assert section_counts(catalog) == {("Reading",): 2}
    assert parse("- [One](https://a.example/1)\n", "/x/my-links.md").sections[0].path == (
        "my-links",
    )
    # With a content heading, the bullets before it are the preamble and not entries.
    catalog = parse("# R\n- [Pre](https://a.example/0)\n## S\n- [One](https://a.example/1)\n")
    assert [e.title for e in catalog.entries] == ["One"]
    # A table of contents is not a content heading, and its links are not entries.
    catalog = parse("# R\n- [One](https://a.example/1)\n## Contents\n- [R](#r)\n")
    assert [e.title for e in catalog.entries] == ["One"]
