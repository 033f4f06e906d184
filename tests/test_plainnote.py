"""``plain_note`` against markdown-it itself: a note it calls plain renders, in Textual's
Markdown widget, as exactly the paragraphs it returns; the rest goes to the widget."""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt

from rlhf_reader.plainnote import plain_note
from rlhf_reader.textsafe import printable_block

PARSER = MarkdownIt("gfm-like")  # what textual.widgets.Markdown uses by default


def as_markdown_shows(source: str) -> list[str] | None:
    """The paragraphs Textual's Markdown draws for ``source`` (text tokens with runs of white
    space folded, soft breaks as spaces), or None when anything but plain paragraphs is
    parsed (a heading, list, link, emphasis, code…)."""
    paragraphs: list[str] = []
    for token in PARSER.parse(source):
        if token.type in ("paragraph_open", "paragraph_close"):
            continue
        if token.type != "inline" or token.children is None:
            return None
        text = ""
        for child in token.children:
            if child.type == "text":
                text += re.sub(r"\s+", " ", child.content)
            elif child.type == "softbreak":
                text += " "
            else:
                return None
        paragraphs.append(text)
    return paragraphs


PLAIN = [
    "Reward hacking shows up after 2k steps.",
    "Two lines\nof one paragraph.",
    "First paragraph.\n\nSecond one, after a blank line.\n\n\n\nThird.",
    "  Leading and trailing space  \n",
    "Odd   spacing\tinside, kept as one space.",
    "Quotes 'single' \"double\" and (parens); 50% - not a list - 3 + 4 = 7!",
    "Ünïcode wörds, ελληνικά, 日本語 and the dash — and ellipsis…",
    "A question? An answer: yes.",
    "Ends with a number 1.",
    "Compare with section 3. It helps.",
]

MARKDOWN = [
    "# Heading",
    "**bold** claim",
    "*em* and _em_",
    "`code`",
    "- a list\n- of items",
    "+ a list",
    "1. first\n2. second",
    "Intro\n1) item",
    "Title\n===",
    "Title\n---",
    "> quoted",
    "see [the paper](https://arxiv.org/abs/1)",
    "see https://arxiv.org/abs/2305.18290",
    "see arxiv.org",
    "mail me at someone@example.com",
    "a <b>tag</b>",
    "an &amp; entity",
    "an escape \\* here",
    "| a | b |\n| - | - |\n| 1 | 2 |",
    "~~struck~~",
    "para\n\n    indented code",
    "line with a hard  \nbreak",
    "\ttabbed code",
    "![image](x.png)",
    "e.g. this",
    printable_block("an ESC \x1b[31m here"),
]


@pytest.mark.parametrize("note", PLAIN)
def test_plain_notes_read_as_markdown_draws_them(note: str) -> None:
    plain = plain_note(note)
    assert plain is not None
    assert plain.split("\n\n") == as_markdown_shows(note)


@pytest.mark.parametrize("note", MARKDOWN)
def test_notes_with_markdown_syntax_go_to_the_widget(note: str) -> None:
    assert plain_note(note) is None


def test_empty_notes_have_nothing_to_show() -> None:
    assert plain_note("") is None
    assert plain_note(" \n\t\n ") is None


def test_random_notes_never_disagree_with_markdown() -> None:
    """Whenever ``plain_note`` answers, markdown-it agrees, over notes made of words and of
    every character that could start or hold Markdown syntax."""
    pieces = [
        "word", "Word", "42", "1.", "2)", " ", "  ", "\n", "\n\n", "\t", "    ", ".", ",", "-",
        "+", "=", "*", "_", "#", ">", "[", "]", "(", ")", "!", "`", "~", "|", "<", "&", "\\",
        ":", "/", "@", "x.io", "'", '"', "—", "é", "%",
    ]  # fmt: skip
    rng = random.Random(17)
    answered = 0
    for _ in range(4000):
        note = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        plain = plain_note(note)
        if plain is None:
            continue
        answered += 1
        assert plain.split("\n\n") == as_markdown_shows(note), repr(note)
    assert answered > 300  # the check above ran on many plain notes
