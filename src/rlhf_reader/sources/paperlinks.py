"""What ``add`` accepts besides an arXiv id: a DOI, an OpenReview or ACL Anthology link, or a
title (with a link). Pure: no network — the record is made from what the text itself says.

- DOI: ``10.1234/abc``, ``doi:10.1234/abc``, ``https://doi.org/10.1234/abc`` → key
  ``doi.org/10.1234/abc`` (lower case: DOIs are case-insensitive), link ``https://doi.org/…``.
  arXiv's own DOIs (``10.48550/arXiv.ID``) are arXiv ids.
- OpenReview: ``https://openreview.net/forum?id=X`` or ``…/pdf?id=X`` → the forum page.
- ACL Anthology: ``https://aclanthology.org/2023.acl-long.1/`` (or ``.pdf``, or an old
  ``P19-1001`` id, or the aclweb.org address) → the paper page; the id gives the year and,
  for new-style ids, the venue (``ACL``, ``EMNLP``, ``Findings of ACL``…).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from rlhf_reader.keys import entry_key, parse_arxiv_id

_DOI_RE = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
_ARXIV_DOI_RE = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ACL_NEW_RE = re.compile(r"^(\d{4})\.([a-z0-9]+)-?([a-z0-9]*)\.(\d+)$", re.IGNORECASE)
_ACL_OLD_RE = re.compile(r"^([A-Z])(\d{2})-(\d{4})$")
_ACL_HOSTS = ("aclanthology.org", "www.aclanthology.org", "aclweb.org", "www.aclweb.org")
_ACL_OLD_VENUES = {"P": "ACL", "D": "EMNLP", "N": "NAACL", "E": "EACL", "C": "COLING"}
EXAMPLES = (
    "an arXiv id or URL, a DOI (10.1234/abc), an OpenReview or ACL Anthology link, "
    "or --title TEXT [--url URL]"
)


class PaperLinkError(ValueError):
    """Text that names no paper this module knows; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class PaperLink:
    """A paper named by a link: its key, link, and what the link itself tells."""

    key: str
    url: str
    kind: str  # "doi", "openreview", "acl", "url" or "title"
    doi: str = ""
    year: int | None = None
    venue: str = ""
    label: str = ""  # a stand-in title when none is given

    def record(self, title: str, added: str, year: int | None = None) -> dict[str, object]:
        """The ``additions`` record for this paper."""
        return {
            "key": self.key,
            "arxiv_id": None,
            "title": " ".join(title.split()) or self.label,
            "url": self.url,
            "authors": [],
            "year": year or self.year,
            "venue": self.venue,
            "doi": self.doi or None,
            "added": added,
        }


def parse_doi(text: str) -> str | None:
    """The DOI in ``text`` (bare, ``doi:`` or a doi.org link), lower case; else None."""
    match = _DOI_RE.match(text.strip())
    return match.group(1).rstrip(".,;").lower() if match else None


def parse_link(text: str) -> PaperLink | None:
    """A DOI, OpenReview or ACL Anthology paper; None for anything else (an arXiv id too)."""
    text = text.strip()
    doi = parse_doi(text)
    if doi is not None:
        if _ARXIV_DOI_RE.match(doi):
            return None  # an arXiv id in disguise: the caller's arXiv path takes it
        url = f"https://doi.org/{doi}"
        return PaperLink(key=entry_key(url), url=url, kind="doi", doi=doi, label=f"DOI {doi}")
    if "://" not in text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host in ("openreview.net", "www.openreview.net"):
        ident = (parse_qs(parts.query).get("id") or [""])[0].strip()
        if not ident or not re.fullmatch(r"[\w\-]+", ident):
            raise PaperLinkError(f"{text}: an OpenReview link needs ?id=PAPER_ID")
        url = f"https://openreview.net/forum?id={ident}"
        return PaperLink(
            key=entry_key(url), url=url, kind="openreview", label=f"OpenReview {ident}"
        )
    if host in _ACL_HOSTS:
        path = parts.path.strip("/")
        path = path.removeprefix("anthology/").removesuffix(".pdf").strip("/")
        ident = path.rsplit("/", 1)[-1]
        year, venue = _acl_year_venue(ident)
        if year is None:
            raise PaperLinkError(f"{text}: not an ACL Anthology paper id (e.g. 2023.acl-long.1)")
        url = f"https://aclanthology.org/{ident}/"
        return PaperLink(
            key=entry_key(url), url=url, kind="acl", year=year, venue=venue,
            label=f"ACL Anthology {ident}",
        )  # fmt: skip
    return None


def _acl_year_venue(ident: str) -> tuple[int | None, str]:
    new = _ACL_NEW_RE.match(ident)
    if new:
        year, first, second = int(new.group(1)), new.group(2), new.group(3)
        if first.lower() == "findings":
            return year, f"Findings of {second.upper()}" if second else "Findings"
        return year, first.upper()
    old = _ACL_OLD_RE.match(ident)
    if old:
        year = 2000 + int(old.group(2)) if int(old.group(2)) < 50 else 1900 + int(old.group(2))
        return year, _ACL_OLD_VENUES.get(old.group(1), "")
    return None, ""


def from_title(title: str, url: str = "") -> PaperLink:
    """A paper named by its title, with an optional http(s) link (an arXiv link is refused:
    add it by its id so that its metadata is fetched)."""
    title = " ".join(title.split())
    if not title:
        raise PaperLinkError("--title: empty title")
    url = url.strip()
    if url:
        if parse_arxiv_id(url):
            raise PaperLinkError(f"{url}: an arXiv link; add it by its arXiv id instead")
        link = parse_link(url)
        if link is not None:
            return link
        if not url.startswith(("http://", "https://")):
            raise PaperLinkError(f"--url {url!r}: expected an http(s) link")
        return PaperLink(key=entry_key(url), url=url, kind="url", label=title)
    return PaperLink(key=title_key(title), url="", kind="title", label=title)


def title_key(title: str) -> str:
    """``title:direct-preference-optimization`` (accents, case and punctuation dropped): the
    key of a paper known only by its title."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return "title:" + "-".join(re.findall(r"[^\W_]+", text))[:120]
