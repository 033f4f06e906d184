# ruff: noqa: E501  (snippets are one document a line)
"""The line-based fast path gives the catalog markdown-it gives, or steps aside.

Every list in the tests, tricky hand-written snippets and seeded random documents are parsed
both ways (``catalog._FAST_BLOCKS`` on and off) and must give the same catalog: title,
sections, every field of every entry, unread lines and skipped parts.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from pathlib import Path

import pytest

from rlhf_reader.lists import catalog, fastpath
from rlhf_reader.model import Catalog

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
BUNDLED = TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"


def signature(parsed: Catalog) -> tuple[object, ...]:
    return (
        parsed.title,
        [(s.path, s.level, s.line, len(s.entries)) for s in parsed.walk()],
        [dataclasses.astuple(e) for e in parsed.entries],
        parsed.unread,
        parsed.skipped,
    )


def both_ways(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    fast = signature(catalog.parse(text))
    monkeypatch.setattr(catalog, "_FAST_BLOCKS", False)
    slow = signature(catalog.parse(text))
    monkeypatch.setattr(catalog, "_FAST_BLOCKS", True)
    return fast, slow


def generated(entries: int) -> str:
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from genlist import make_list
    finally:
        sys.path.pop(0)
    return str(make_list(entries, 10))


LIST_FILES = {
    "bundled": BUNDLED,
    "opendilab": DATA / "opendilab_awesome-RLHF_README.md",
    "hostile": DATA / "hostile.md",
    **{path.name.split("_")[0]: path for path in sorted((DATA / "lists").glob("*_README.md"))},
}
# The lists the fast path reads itself; the others use Markdown it leaves to markdown-it
# (block quotes in Hannibal046 and floodsung, a footnote definition in Hannibal046).
FAST = {"bundled", "opendilab", "hostile", "Magnetic2014", "WooooDyy", "dair-ai", "terryum"}


@pytest.mark.parametrize("name", list(LIST_FILES))
def test_same_catalog_on_every_list(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = LIST_FILES[name].read_text(encoding="utf-8")
    fast, slow = both_ways(text, monkeypatch)
    assert fast == slow
    plain = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    assert (fastpath.tokens(plain) is not None) == (name in FAST)


def test_same_catalog_on_the_generated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    text = generated(2000)
    assert fastpath.tokens(text) is not None
    fast, slow = both_ways(text, monkeypatch)
    assert fast == slow


SNIPPETS = [
    # lazy continuation lines, items interrupted or not
    "## S\n- [A](https://a/1)\ncontinued lazily\n- [B](https://a/2)\n",
    "## S\n- [A](https://a/1)\n2. not an item here\n- [B](https://a/2)\n",
    "## S\nText para\n2. not a list\n1. a list\n- [A](https://a/1)\n",
    "## S\n1. **T.** Ann. [[pdf]](https://a/p.pdf)\n2. **U.** Bob. [[pdf]](https://a/q.pdf)\n",
    "## S\n- [A](https://a/1)\n\n  - Ann, 2020.\n\n  More text of A.\n\n- [B](https://a/2)\n",
    "## S\n- [A](https://a/1)\n    - deep child\n   - [C](https://a/3)\n - [D](https://a/4)\n",
    "## S\n10. [A](https://a/1)\n    - Ann, 2020.\n11. [B](https://a/2)\n",
    "## S\n-  [Two spaces](https://a/1)\n-     [Five spaces](https://a/2)\n",
    "## S\n- [A](https://a/1)\n-\n- [B](https://a/2)\n",
    "## S\n- # heading in item\n- > quote\n- ```\n  code\n  ```\n",
    # headings
    "# T #\n## S ##\n- [A](https://a/1)\n### #\n#### C#\n- [B](https://a/2)\n#######\n",
    "Title\n=====\n\nSub\n---\n- [A](https://a/1)\n",
    "## S\n- [A](https://a/1)\n---\n- [B](https://a/2)\n\n***\n- [C](https://a/3)\n",
    # tables
    "## S\n| Paper | Links |\n|---|---|\n| 1) T  d | [Paper](https://arxiv.org/abs/2401.00001) |\nno pipe row\n| x \\| y | [pdf](https://a/p.pdf) | extra |\n\n- [A](https://a/1)\n",
    "## S\n| a | b |\n| --- |\n| 1 | [x](https://a/1) |\n",
    "## S\n| a |\n|:-:|\n| [A](https://a/1) |\n## T\n| b |\n| - |\n| [B](https://a/2) |\n- [C](https://a/3)\n",
    "## S\nintro\n| a | b |\n|---|---|\n| 1 | [x](https://a/1) |\n",
    "# R\n\n| a |\n---\n=====\n| 3) Row  d | [Paper](https://arxiv.org/abs/2403.00003) |\n",
    "# R\n\n| a |\n-\n| [A](https://a/1) |\n\n| b |\n- |\n| [B](https://a/2) |\n",
    # HTML and fences
    "## S\n<details>\n<summary>G</summary>\n\n- [A](https://a/1)\n\n</details>\n- [B](https://a/2)\n",
    "## S\n<!-- a\n- [Hidden](https://a/0)\n-->\n- [A](https://a/1)\n<!-- one line --> tail\n",
    "## S\n<div>\n- [in html](https://a/0)\n</div>\n\n<span>x</span>\n- [A](https://a/1)\n",
    "## S\ntext\n<span>x</span>\n- [A](https://a/1)\n",
    "## S\n```\n- [fenced](https://a/0)\n```\n- [A](https://a/1)\n~~~~\n- [B](https://a/2)\n~~~\nstill fenced\n",
    "## S\n``` a`b\n- [A](https://a/1)\n",
    "## S\n- [A](https://a/1)\n\n      indented code\n- [B](https://a/2)\n",
    "## S\n    code at top\n- [A](https://a/1)\n",
    # references, quotes, tabs: markdown-it reads them
    "## S\n- [A][r]\n\n[r]: https://a/1\n",
    "## S\n> - [Q](https://a/1)\n- [A](https://a/2)\n",
    "## S\n-\t[Tab](https://a/1)\n",
    # paragraphs that are entries, badges, bold lines
    '# T\n\nprose\n\n**[1]** Ann. "**Title**." Venue (2015). [[pdf]](https://a/p.pdf)\n\n*2022*\n\n- [A](https://a/1)\n',
    "# A\n- [x](https://a/1)\n# B\n- [y](https://a/2)\n",
    '# Roadmap\n\nprose\n\n- point\n\n# 1 Part\n\n**[0]** A. "T." (2015). [[pdf]](https://a/p.pdf)\n',
    "- [No heading](https://a/1)\n  - Ann, 2021.\n",
    "",
    "\n\n\n",
    "## S\n- [A](https://a/1)  \n  hard break\n",
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_same_catalog_on_tricky_snippets(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = both_ways(text, monkeypatch)
    assert fast == slow


LINE_KINDS = [
    "- [Title {n}](https://arxiv.org/abs/2401.{n:05d})",
    "  - Ann Author, Bob Builder. ICLR, 2023.",
    "    - [Deep {n}](https://a.example/{n})",
    "1. **Bold {n}.** Ann et al. arXiv 2023. [[Paper](https://arxiv.org/abs/2402.{n:05d})]",
    "2. [Numbered {n}](https://a.example/n{n})",
    "- [2023/06] **Dated {n}.** *Ann et al. ICML.* [[paper](https://a.example/d{n})]",
    "- Text title {n} (2016), A. Author [[pdf]](https://a.example/t{n}.pdf)",
    "## Section {n}",
    "### Sub {n} ###",
    "",
    "",
    "plain text line {n}",
    "  lazy indented text {n}",
    "*2021*",
    "**Group {n}**",
    "| Paper | Links |",
    "| --- | --- |",
    "| {n}) Row title  a description | [Paper](https://arxiv.org/abs/2403.{n:05d}) |",
    "<details><summary>Fold {n}</summary>",
    "</details>",
    "<!-- comment {n} -->",
    "```",
    "---",
    "* * *",
    "- [TOC](#section-{n})",
    '**[{n}]** Ann. "**Ref {n}**." Venue (2015). [[pdf]](https://a.example/r{n}.pdf)',
    "- https://arxiv.org/abs/2404.{n:05d}",
    "+ [Plus {n}](https://a.example/p{n})",
    "      six spaces {n}",
    "- [Note {n}](N{n}.md) [arxiv](https://arxiv.org/abs/2405.{n:05d})",
    "| a |",
    "=====",
    "   - [three](https://a.example/3{n})",
    "1) [paren](https://a.example/p{n})",
    "<span>{n}</span>",
    "text | with pipe",
    "- [A](https://a.example/{n}) - a description",
]


def test_same_catalog_on_random_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20261201)
    fast_count = 0
    for number in range(300):
        lines = ["# Random list", ""]
        for n in range(rng.randint(5, 40)):
            lines.append(rng.choice(LINE_KINDS).format(n=n))
        text = "\n".join(lines) + "\n"
        fast_count += fastpath.tokens(text) is not None
        fast, slow = both_ways(text, monkeypatch)
        assert fast == slow, f"document {number}:\n{text}"
    assert fast_count > 50  # the fast path is exercised, not only its fallback
