"""Stable entry keys, and resolving what a user typed to one entry.

An arXiv link's key is the bare id without version (``2305.18290``, ``hep-th/9901001``);
any other link's key is the normalised URL (no scheme, lower-case host, no ``www.``, no
fragment, no trailing slash, query kept). Annotations are stored by key, so they survive
edits of the list's titles and sections.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from rlhf_reader import lazyre
from rlhf_reader.model import Entry

ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?P<version>v\d+)?"
_BARE_ID_RE = lazyre.compile(rf"^(?:arxiv:)?{_ID}$", re.IGNORECASE)
_PATH_RE = lazyre.compile(rf"^/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?$", re.IGNORECASE)


# The usual spelling, read in one step: https://arxiv.org/abs/ID (no user, port, escapes).
_PLAIN_ARXIV_URL_RE = lazyre.compile(
    rf"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ID}(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)


class ResolveError(LookupError):
    """A typed key that matches no entry, or more than one."""


def arxiv_id_from_url(url: str) -> str | None:
    """The versionless arXiv id an arXiv abs/pdf URL points at, else None.

    Only the real arXiv hosts count: ``arxiv.org.evil.example`` or ``notarxiv.org`` do not.
    """
    if "arxiv.org" not in url.lower():
        return None  # most links: no need to split them
    plain = _PLAIN_ARXIV_URL_RE.match(url)
    if plain is not None:
        return _canonical_id(plain.group("id"))
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https", ""):
        return None
    host = (parts.hostname or "").lower()
    if host not in ARXIV_HOSTS:
        return None
    match = _PATH_RE.match(unquote(parts.path))
    return _canonical_id(match.group("id")) if match else None


def parse_arxiv_id(text: str) -> str | None:
    """A versionless arXiv id from ``2305.18290``, ``arXiv:2305.18290v2`` or an arXiv URL."""
    text = text.strip()
    match = _BARE_ID_RE.match(text)
    if match:
        return _canonical_id(match.group("id"))
    if "://" in text or text.lower().startswith(tuple(ARXIV_HOSTS)):
        return arxiv_id_from_url(text if "://" in text else "https://" + text)
    return None


def _canonical_id(raw: str) -> str:
    """arXiv's own spelling: ``hep-th/9901001``, ``math.GT/0309136``, ``2305.18290``."""
    if "/" in raw:
        archive, number = raw.split("/", 1)
        name, dot, subject = archive.partition(".")
        return f"{name.lower()}{dot}{subject.upper()}/{number}"
    return raw


def normalize_url(url: str) -> str:
    """``https://www.Example.org/a/b/?q=1#frag`` → ``example.org/a/b?q=1``."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.netloc:
        # A relative link or a bare word: keep it as written, less fragment and slash.
        return url.split("#", 1)[0].rstrip("/") or url
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if host.startswith("www."):
        host = host[4:]
    for default_port in (":80", ":443"):
        if host.endswith(default_port):
            host = host[: -len(default_port)]
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def entry_key(url: str) -> str:
    """The stable key of the entry that links to ``url``."""
    return arxiv_id_from_url(url) or normalize_url(url)


def keys_named(typed: str) -> set[str]:
    """The keys ``typed`` may name exactly (as a key, an arXiv id or a URL): ``resolve``
    gives the first listed entry with one of them before trying title fragments."""
    text = typed.strip()
    if not text:
        return set()
    wanted = {text, text.lower()}
    arxiv_id = parse_arxiv_id(text)
    if arxiv_id:
        wanted.add(arxiv_id)
    if "://" in text or "." in text:
        wanted.add(entry_key(text if "://" in text else "https://" + text))
    return wanted


def resolve(entries: Iterable[Entry], typed: str) -> Entry:
    """The one entry that ``typed`` names: a key, an arXiv id or URL, or a title fragment.

    Raises ``ResolveError`` with a message that lists candidates when the text is ambiguous.
    """
    entries = list(entries)
    text = typed.strip()
    if not text:
        raise ResolveError("empty key")
    wanted = keys_named(text)
    by_key = [entry for entry in entries if entry.key in wanted]
    if by_key:
        return by_key[0]
    fragment = " ".join(text.lower().split())
    matches: dict[str, Entry] = {}
    exact: dict[str, Entry] = {}
    for entry in entries:
        title = " ".join(entry.title.lower().split())
        if fragment in title:
            matches.setdefault(entry.key, entry)
            if fragment == title:
                exact.setdefault(entry.key, entry)
    if len(matches) == 1:
        return next(iter(matches.values()))
    if len(exact) == 1:
        # "trl" names the entry titled "trl", though "Control…" contains it too.
        return next(iter(exact.values()))
    if not matches:
        raise ResolveError(
            f"no entry matches {typed!r} (give a key, an arXiv id or URL, or part of a title)"
        )
    shown = sorted(matches.values(), key=lambda e: e.title.lower())
    listing = "; ".join(f"{e.key} ({e.title})" for e in shown[:8])
    more = f"; and {len(shown) - 8} more" if len(shown) > 8 else ""
    raise ResolveError(f"{typed!r} matches {len(shown)} entries: {listing}{more}")
