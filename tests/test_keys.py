"""Stable keys: arXiv ids from every URL form, URL normalisation, resolving what users type."""

from __future__ import annotations

import pytest

from rlhf_reader.keys import (
    ResolveError,
    arxiv_id_from_url,
    entry_key,
    normalize_url,
    parse_arxiv_id,
    resolve,
)
from rlhf_reader.model import Entry


@pytest.mark.parametrize(
    ("url", "arxiv_id"),
    [
        ("https://arxiv.org/abs/2305.18290", "2305.18290"),
        ("http://arxiv.org/abs/2305.18290", "2305.18290"),
        ("https://arxiv.org/abs/2305.18290v3", "2305.18290"),
        ("https://arxiv.org/pdf/2305.18290", "2305.18290"),
        ("https://arxiv.org/pdf/2305.18290.pdf", "2305.18290"),
        ("https://arxiv.org/pdf/2305.18290v2.pdf", "2305.18290"),
        ("https://arxiv.org/pdf/2305.18290v2", "2305.18290"),
        ("https://arxiv.org/html/2305.18290v1", "2305.18290"),
        ("https://export.arxiv.org/abs/2305.18290", "2305.18290"),
        ("http://export.arxiv.org/pdf/2305.18290v1", "2305.18290"),
        ("https://www.arxiv.org/abs/2305.18290", "2305.18290"),
        ("https://ARXIV.ORG/abs/2305.18290", "2305.18290"),
        ("https://arxiv.org/abs/2305.18290/", "2305.18290"),
        ("https://arxiv.org/abs/2305.18290?context=cs.LG", "2305.18290"),
        ("https://arxiv.org/abs/2305.18290#related", "2305.18290"),
        ("  https://arxiv.org/abs/2305.18290  ", "2305.18290"),
        ("https://arxiv.org/abs/1501.00001", "1501.00001"),
        ("https://arxiv.org/abs/0704.0001", "0704.0001"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
        ("https://arxiv.org/pdf/HEP-TH/9901001v2.pdf", "hep-th/9901001"),
        ("https://arxiv.org/abs/math.GT/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/math.gt/0309136v1", "math.GT/0309136"),
    ],
)
def test_arxiv_url_forms(url: str, arxiv_id: str) -> None:
    assert arxiv_id_from_url(url) == arxiv_id
    assert entry_key(url) == arxiv_id


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org.evil.example/abs/2305.18290",
        "https://notarxiv.org/abs/2305.18290",
        "https://arxiv.org@evil.example/abs/2305.18290",
        "https://evil.example/arxiv.org/abs/2305.18290",
        "https://evil.example/abs/2305.18290",
        "ftp://arxiv.org/abs/2305.18290",
        "javascript:arxiv.org/abs/2305.18290",
        "https://arxiv.org/list/cs.LG/recent",
        "https://arxiv.org/abs/2305.18290/extra",
        "https://arxiv.org/",
        "https://[broken",
    ],
)
def test_not_arxiv(url: str) -> None:
    assert arxiv_id_from_url(url) is None


def test_look_alike_hosts_are_keyed_by_url() -> None:
    assert entry_key("https://arxiv.org.evil.example/abs/2305.18290") == (
        "arxiv.org.evil.example/abs/2305.18290"
    )
    assert entry_key("https://notarxiv.org/abs/2305.18290") == "notarxiv.org/abs/2305.18290"


@pytest.mark.parametrize(
    ("text", "arxiv_id"),
    [
        ("2305.18290", "2305.18290"),
        ("2305.18290v2", "2305.18290"),
        ("arXiv:2305.18290", "2305.18290"),
        ("ARXIV:2305.18290v12", "2305.18290"),
        (" arxiv:hep-th/9901001v2 ", "hep-th/9901001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("arxiv.org/abs/2305.18290", "2305.18290"),
        ("export.arxiv.org/pdf/2305.18290v1.pdf", "2305.18290"),
        ("https://arxiv.org/pdf/2305.18290v2.pdf", "2305.18290"),
        ("12345.67890", None),
        ("DPO", None),
        ("https://example.org/2305.18290", None),
        ("", None),
    ],
)
def test_parse_arxiv_id(text: str, arxiv_id: str | None) -> None:
    assert parse_arxiv_id(text) == arxiv_id


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://huggingface.co/blog/rlhf", "huggingface.co/blog/rlhf"),
        ("http://huggingface.co/blog/rlhf", "huggingface.co/blog/rlhf"),
        ("HTTPS://HuggingFace.CO/blog/rlhf", "huggingface.co/blog/rlhf"),
        ("https://www.huggingface.co/blog/rlhf", "huggingface.co/blog/rlhf"),
        ("https://huggingface.co/blog/rlhf/", "huggingface.co/blog/rlhf"),
        ("https://huggingface.co/blog/rlhf#further-reading", "huggingface.co/blog/rlhf"),
        ("https://www.Example.org/a/b/?q=1#frag", "example.org/a/b?q=1"),
        ("https://example.org/Case/Kept", "example.org/Case/Kept"),
        (
            "https://youtube.com/watch?v=2MBJOuVq380&t=2641s",
            "youtube.com/watch?v=2MBJOuVq380&t=2641s",
        ),
        ("https://example.org", "example.org"),
        ("https://example.org/", "example.org"),
        ("https://example.org:443/x", "example.org/x"),
        ("http://example.org:8080/x", "example.org:8080/x"),
        ("https://user:secret@example.org/x", "example.org/x"),
        ("https://en.wikipedia.org/wiki/Go_(game)", "en.wikipedia.org/wiki/Go_(game)"),
        ("relative/path#part", "relative/path"),
    ],
)
def test_normalize_url(url: str, key: str) -> None:
    assert normalize_url(url) == key
    assert entry_key(url) == key


# --- resolving what a user typed ----------------------------------------------------------


def make(key_url: str, title: str) -> Entry:
    return Entry(
        key=entry_key(key_url),
        title=title,
        url=key_url,
        section=("S",),
        arxiv_id=arxiv_id_from_url(key_url),
    )


ENTRIES = [
    make("https://arxiv.org/abs/2305.18290", "Direct Preference Optimization"),
    make("https://arxiv.org/abs/2310.12036", "A General Theoretical Paradigm"),
    make("https://arxiv.org/abs/2310.12036v2", "A General Theoretical Paradigm"),
    make("https://huggingface.co/blog/rlhf", "Illustrating RLHF"),
    make("https://github.com/huggingface/trl", "trl"),
    make("https://arxiv.org/abs/2402.00001", "Control Theory for RLHF"),
    make("https://arxiv.org/abs/hep-th/9901001", "Old Physics"),
]


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("2305.18290", "Direct Preference Optimization"),
        ("2305.18290v4", "Direct Preference Optimization"),
        ("arXiv:2305.18290", "Direct Preference Optimization"),
        ("https://arxiv.org/pdf/2305.18290v1.pdf", "Direct Preference Optimization"),
        ("http://export.arxiv.org/abs/2305.18290", "Direct Preference Optimization"),
        ("arxiv.org/abs/2305.18290", "Direct Preference Optimization"),
        ("hep-th/9901001v3", "Old Physics"),
        ("huggingface.co/blog/rlhf", "Illustrating RLHF"),
        ("https://www.huggingface.co/blog/rlhf/#top", "Illustrating RLHF"),
        ("github.com/huggingface/trl", "trl"),
        ("preference OPTIM", "Direct Preference Optimization"),
        ("  illustrating   rlhf ", "Illustrating RLHF"),
        ("theoretical", "A General Theoretical Paradigm"),  # one paper listed twice
        ("TRL", "trl"),  # an exact title wins over titles that contain it
    ],
)
def test_resolve(typed: str, title: str) -> None:
    assert resolve(ENTRIES, typed).title == title


def test_resolve_ambiguous_lists_candidates() -> None:
    with pytest.raises(ResolveError) as err:
        resolve(ENTRIES, "rlhf")
    message = str(err.value)
    assert "'rlhf' matches 2 entries" in message
    assert "2402.00001 (Control Theory for RLHF)" in message
    assert "huggingface.co/blog/rlhf (Illustrating RLHF)" in message


def test_resolve_ambiguous_shows_at_most_eight() -> None:
    many = [make(f"https://example.org/{n}", f"Paper number {n}") for n in range(11)]
    with pytest.raises(ResolveError, match=r"matches 11 entries: .*; and 3 more$"):
        resolve(many, "paper number")


@pytest.mark.parametrize("typed", ["nothing like this", "2401.99999", "https://example.org/x"])
def test_resolve_no_match(typed: str) -> None:
    with pytest.raises(ResolveError, match=r"no entry matches"):
        resolve(ENTRIES, typed)


def test_resolve_empty() -> None:
    with pytest.raises(ResolveError, match="empty key"):
        resolve(ENTRIES, "   ")
