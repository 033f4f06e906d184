"""Whether a note needs a Markdown renderer, and how it reads when it does not.

The detail pane shows a note as Markdown. Most notes are a few sentences with no Markdown
in them; drawing those as plain text is the same picture without a Markdown widget (whose
update re-parses and re-mounts blocks on every cursor move). ``plain_note`` answers
conservatively: any character or line start that Markdown (markdown-it's "gfm-like" preset,
the one Textual's ``Markdown`` uses, links found in bare text included) could read as syntax
sends the note to the Markdown widget; what is left is paragraphs of words, shown as Markdown
shows them (a paragraph's lines and runs of spaces joined by one space, paragraphs apart by
a blank line). ``tests/test_plainnote.py`` checks this against markdown-it itself.
"""

from __future__ import annotations

from rlhf_reader import lazyre

# Besides letters and digits: punctuation with no meaning in the middle of a line of
# Markdown (``!`` only with ``[``, the quotes with no typographer, ``-``/``+``/``=`` only at a
# line start, which is checked on its own).
_SAFE = frozenset(" \t.,;:?!'\"()-+/%=$€£°…–—\u2018\u2019\u201c\u201d")
_BLANK_LINE_RE = lazyre.compile(r"\n[ \t]*\n")
# A line start that can open a block: list items, setext underlines, thematic breaks,
# ordered items ("1." "2)"), and an indented code block.
_BLOCK_START_RE = lazyre.compile(r"[ ]{0,3}([-+=]|\d+[.)])|[ ]{4}|[ ]*\t")


def plain_note(source: str) -> str | None:
    """The note as plain paragraphs, or None when it may hold Markdown syntax (or is empty).

    ``source`` is the note as shown (already passed through ``textsafe.printable_block``).
    """
    text = source.strip()
    if not text:
        return None
    for char in text:
        if not (char.isalnum() or char in _SAFE or char == "\n"):
            return None
    # Bare links: "example.com", "//host", "http://…" (linkify), and a hard line break.
    if "//" in text or ":/" in text or "  \n" in text or "\t\n" in text:
        return None
    for n, char in enumerate(text[:-1]):
        if char == "." and text[n + 1].isalnum():
            return None
    for line in source.split("\n"):  # as written: an indented first line is code too
        if line.strip() and _BLOCK_START_RE.match(line):
            return None
    paragraphs = []
    for block in _BLANK_LINE_RE.split(text):
        words = block.split()
        if words:
            paragraphs.append(" ".join(words))
    return "\n\n".join(paragraphs)
