"""The fast BibTeX reader (library/bibfast.py) reads what bibtexparser reads: the same entries
on generated BibTeX full of the nasty cases, on every .bib of the tests, on our own export;
the import gives the same references, refusals and warnings either way."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import bibtexparser
import pytest
from conftest import TEST_DATA, run_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rlhf_reader.library import bibfast, bibimport
from rlhf_reader.library.bibimport import _from_bibtex
from rlhf_reader.library.merge import ImportFileError

TESTS = Path(__file__).resolve().parent


def by_bibtexparser(text: str) -> list[bibfast.RawEntry]:
    return bibfast.library_entries(bibtexparser.parse_string(text))


class Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def imported(text: str, fast: bool) -> tuple[object, list[str]]:
    """The references (or the refusal) and what bibtexparser logged on the way."""
    handler = Messages()
    logger = logging.getLogger("bibtexparser")
    logger.addHandler(handler)
    try:
        result: object = _from_bibtex(text, "x.bib", fast=fast)
    except ImportFileError as exc:
        result = ("refused", str(exc))
    finally:
        logger.removeHandler(handler)
    return result, handler.lines


def check(text: str) -> str:
    """Every reader of bibfast agrees with bibtexparser; which one read ``text``."""
    expected = by_bibtexparser(text)
    common = bibfast._common(text)
    chunked = bibfast._chunked(text)
    if common is not None:
        assert common == expected
    if chunked is not None:
        assert chunked == expected
    assert imported(text, fast=True) == imported(text, fast=False)
    return "common" if common is not None else "chunked" if chunked is not None else "whole"


# A grammar of BibTeX: mostly what real files hold, with every nasty case mixed in ----------

SPACE = st.sampled_from(["", " ", "  ", "\t", "\n", "\r\n", "\n\n", " \n  ", "\u00a0", "\x0c"])
NASTY = st.sampled_from(
    [
        "{", "}", '"', ",", "=", "@", "\\", "#", "(", ")", "%", "\n", "\r\n", " ", "\t",
        "é", "Ü", "日本", "\u00a0", "\u2028", "\x1c", "İ", "ß", "\\{", "\\}", '\\"', "\\\\",
        '{"}', "@misc{", "\n@misc{", "\n  @article{x,", "@ {CLEF}", "a@b.org", "\\'e", "{\\\"o}",
        "$x_1$", "\\&", " and ", " AND ", "others", "{and}", "~",
    ]
)  # fmt: skip
WORD = st.sampled_from(
    ["a", "Rafael", "Optimization", "2305.18290", "x_1", "k:1/2", "arXiv", "10.1/x", "-", "."]
)
PLAIN = st.lists(st.one_of(WORD, SPACE, NASTY), max_size=4).map("".join)
# What a value of the common shape may hold: no lone brace, no backslash before its end.
BALANCED = st.sampled_from(
    [
        '"', ",", "=", "@", "#", "(", ")", "%", "\n", "\r\n", "é", "日本", "\u00a0", "\\{",
        "\\}", '\\"', "\\\\ ", '{"}', "LeQua @ {CLEF}", "a@b.org", "\\'e", '{\\"o}', "$x_1$",
        "\\&", " and ", "{and}", "~", "@misc{", "\n  @misc{x,", "{}", " {nested {twice}} ",
        "\n@misc{x}", "\n @b{y, t = {z}}", " @c{d}",
    ]
)  # fmt: skip


def braced_content(depth: int = 2, nasty: st.SearchStrategy[str] = NASTY) -> st.SearchStrategy[str]:
    leaf = st.one_of(WORD, SPACE, nasty)
    if depth == 0:
        return st.lists(leaf, max_size=3).map("".join)
    inner = braced_content(depth - 1, nasty).map(lambda s: "{" + s + "}")
    return st.lists(st.one_of(leaf, leaf, inner), max_size=4).map("".join)


QUOTED_CONTENT = st.lists(
    st.one_of(WORD, SPACE, st.sampled_from(["{", "}", '{"}', '\\"', "\\\\", "{a}", ",", "@x"])),
    max_size=5,
).map("".join)
VALUE = st.one_of(
    braced_content().map(lambda s: "{" + s + "}"),
    braced_content().map(lambda s: "{" + s + "}"),
    QUOTED_CONTENT.map(lambda s: '"' + s + '"'),
    st.sampled_from(["2020", "jan", "jul", "2024a", "1e3", "x # y", '{a} # "b"', "jan # {1}"]),
    PLAIN,
)
FIELD_NAME = st.one_of(
    st.sampled_from(
        [
            "title",
            "author",
            "Title",
            "AUTHOR",
            "editor",
            "journal",
            "journaltitle",
            "booktitle",
            "year",
            "date",
            "doi",
            "DOI",
            "eprint",
            "eprinttype",
            "archivePrefix",
            "url",
            "keywords",
            "note",
            "annote",
            "howpublished",
            "month",
            "abstract",
            "",
            "my field",
            "title ",
        ]
    ),
    WORD,
    PLAIN,
)
TITLES = st.sampled_from(
    [
        "{Direct {Preference} Optimization}", "{{KTO}: Model Alignment}", '"Quoted {T}itle"',
        "{Sch{\\\"o}lkopf's \\& {\\'E}mile}", "{Learning to summarize}", "{}",
    ]
)  # fmt: skip


@st.composite
def field(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(PLAIN)  # anything at all
    name = draw(FIELD_NAME)
    value = draw(st.one_of(VALUE, TITLES)) if "title" in name.lower() else draw(VALUE)
    return f"{draw(SPACE)}{name}{draw(SPACE)}={draw(SPACE)}{value}{draw(SPACE)}"


ENTRY_TYPE = st.sampled_from(
    [
        "article", "misc", "Misc", "ARTICLE", "inproceedings", "book", "", "comment",
        "Comment", "preamble", "string", "STRING", "commentary", "strings", "x1", "é",
    ]
)  # fmt: skip
KEY = st.one_of(
    st.sampled_from(["rafailov2023direct", "a", "a", "b", "", "k:1/2", "dup", "x y"]),
    WORD,
    PLAIN,
)


@st.composite
def entry(draw: st.DrawFn) -> str:
    kind = draw(ENTRY_TYPE)
    spaces = draw(st.sampled_from(["", "", " ", "\t"]))
    opening, closing = draw(st.sampled_from([("{", "}")] * 6 + [("(", ")"), ("{", ""), ("{", "")]))
    fields = draw(st.lists(field(), max_size=5))
    body = ",".join(fields)
    if fields and draw(st.booleans()):
        body += "," + draw(SPACE)  # a trailing comma
    key = draw(KEY)
    head = f"@{kind}{spaces}{opening}{key}"
    if not fields and draw(st.booleans()):
        return f"{head}{closing}"
    return f"{head},{body}{draw(SPACE)}{closing}"


BETWEEN = st.one_of(
    SPACE,
    st.sampled_from(
        [
            "\n\n",
            "\r\n\r\n",
            "% a comment\n",
            "Free text, with = and {braces}\n",
            "mail me@home.org\n",
            "@comment{jabref-meta: databaseType:bibtex;}\n",
            '@string{acl = "Proc. of ACL"}\n',
            '@preamble{"\\newcommand{\\noop}[1]{}"}\n',
            "@Comment{ {nested} }\n",
            " junk @misc{x, title={In a line}}\n",
            "}\n",
            "@\n",
        ]
    ),
    PLAIN,
)


@st.composite
def bibtex(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(["", "\n", "% header\n", "\ufeff"]))]
    for item in draw(st.lists(st.one_of(entry(), entry(), entry(), BETWEEN), max_size=6)):
        parts.append(item)
        parts.append(draw(st.sampled_from(["\n\n", "\n", "\r\n", "", " ", "\n\n"])))
    return "".join(parts)


@st.composite
def common_bibtex(draw: st.DrawFn) -> str:
    """Files of the common shape only (the one-pass reader's), with their own nasty parts."""
    entries = []
    for _ in range(draw(st.integers(1, 5))):
        fields = []
        for _ in range(draw(st.integers(1, 5))):
            name = draw(st.sampled_from(["title", "author", "Year", "note", "doi", "keywords"]))
            value = draw(
                st.one_of(
                    braced_content(2, BALANCED).map(lambda s: "{" + s + "}"),
                    st.sampled_from(
                        ["2020", "jan", '"quoted"', '"a {"} b"', "{}", '"{a}"', '"a {"', '"{"}"']
                    ),
                )
            )
            fields.append(f"{draw(SPACE)}{name}{draw(SPACE)}={draw(SPACE)}{value}")
        comma = draw(st.sampled_from([",", ",\n", ""]))
        key = draw(st.sampled_from(["a", "b", "c2020x", "dup", "dup"]))
        kind = draw(st.sampled_from(["article", "Misc", "INPROCEEDINGS", "", "x1", "é"]))
        entries.append(f"@{kind}{{{key},{','.join(fields)}{comma}\n}}")
    return draw(st.sampled_from(["\n", "\n\n", "\r\n", "\n% c\n"])).join(entries) + "\n"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bibtex())
def test_generated_bibtex_reads_as_bibtexparser_reads_it(text: str) -> None:
    event(check(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(common_bibtex())
def test_generated_common_bibtex_reads_as_bibtexparser_reads_it(text: str) -> None:
    event(check(text))


# Named cases: what each reader does with them -------------------------------------------

ZOTERO = (TEST_DATA / "import" / "zotero.bib").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "reader"),
    [
        (ZOTERO, "common"),
        (ZOTERO.replace("\n", "\r\n"), "common"),
        ('@misc{a, title = "A {"} quote", year = 2020}', "common"),
        ("@misc{a, title = {LeQua @ {CLEF}}, note = {me@home.org}}", "common"),
        ("@misc{a, title = {a \\{ b}, x = {\\\\ c}, y = {\\}}}", "common"),
        ("@misc{a, title = {x}}\n@misc{a, title = {y}}", "common"),  # duplicate key: first
        ("@misc{a, title = {x}, title = {y}}\n@misc{b, title={z}}", "common"),  # dropped
        ("@misc{a, Title = {x}, title = {y}}", "common"),
        ("@MISC{a,\n  title = {x},\n}", "common"),
        ("@misc{a, month = jan # {1}}", "chunked"),
        ("@comment{x}\n@misc{a, title = {x}}", "chunked"),
        ("@preamble{{x}}\n@misc{a, title = {x}}", "chunked"),
        ("@misc(a, title = {x})\n@misc{b, title = {y}}", "chunked"),
        ("@misc{a}\n@misc{b, title = {y}}", "chunked"),
        ("@misc{a, title = {x}} @misc{b, title = {y}}\n@misc{c, title = {z}}", "common"),
        ("@misc{a, title = {x}}\n@comment{c} @misc{b, title = {y}}\n@misc{c, t = {z}}", "chunked"),
        ("@misc{a, title = {open\n@misc{b, title = {y}}", "whole"),  # aborted: its warning
        ('@string{x = "y"}\n@misc{a, title = x}', "whole"),
        ("@misc{a, title = {never closed", "whole"),
        ("@misc{a, t = {x}} @misc{b, t = {y}} @comment{z} @misc{c, t = {w}}", "chunked"),
        ("@misc{a, t = {x}} x @misc(b, t = {y}) @misc{a, t = {w}}\n@misc{c, t = {v}}", "chunked"),
        ("@misc{a, title = {x\n@misc{b, t = {y}}}\n", "whole"),  # stops at the line's @
        ("@misc{a, title = {x\n  @b{y}}}\n@misc{c, t = {y}}", "whole"),
        ('@misc{a, title = "a {",x="}', "whole"),
        ('@misc{a, title = "a {", x = {"}}', "common"),
        ("no entry here\n@comment{x}", "whole"),
    ],
)
def test_named_cases(text: str, reader: str) -> None:
    assert check(text) == reader


def test_every_bib_of_the_tests_is_read_the_fast_way() -> None:
    paths = sorted(TESTS.rglob("*.bib"))
    assert len(paths) >= 6
    for path in paths:
        text = path.read_text(encoding="utf-8-sig")
        assert check(text) == "common", path


def test_our_own_export_at_1k(capsys, tmp_path: Path) -> None:
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path, 1000)
    out = tmp_path / "out.bib"
    code, _, err = run_cli(capsys, db, "--list", str(list_path), "export", "--format", "bibtex",
                           "-o", str(out))  # fmt: skip
    assert code == 0, err
    assert check(out.read_text(encoding="utf-8")) == "common"


def test_whole_file_refusals_and_warnings_are_bibtexparsers(capsys, db_path: Path, tmp_path):
    broken = tmp_path / "broken.bib"
    broken.write_text("@misc{a, title = {open\n\n@misc{b, title = {fine}}\n", encoding="utf-8")
    code, out, err = run_cli(capsys, db_path, "import", "--dry-run", str(broken))
    assert code == 0, err
    assert out.splitlines()[-1].startswith("1 references:")
    nothing = tmp_path / "nothing.bib"
    nothing.write_text("@misc{a, title = {open\n\n@misc{b, title}\n", encoding="utf-8")
    code, _, err = run_cli(capsys, db_path, "import", str(nothing))
    assert code == 1
    assert "line 1: not a BibTeX entry" in err


# The shortcuts of the conversion to references: the same as the regex they stand for -----

NAME_PARTS = st.sampled_from(
    ["a", "and", "AND", "And", "Sand", "Anderson", " ", "\t", "\n", "\x1c", " and ", "andand", ","]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAME_PARTS, max_size=12).map("".join))
def test_ascii_names_split_as_the_regex_splits(value: str) -> None:
    expected = [n.strip() for n in bibimport._AND_RE.split(value) if n.strip()]
    assert bibimport._split_names_ascii(value) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", " ", "\n", "\\emph", "{", "}", "$", "\\", "é", "  "])).map(
        "".join
    )
)
def test_text_is_the_regex_and_the_spaces(value: str) -> None:
    expected = " ".join(bibimport._LATEX_RE.sub("", value).split())
    assert bibimport._text(value) == expected


# CSL-JSON: read once (by orjson when it reads the file as json does), the same references -

CSL_ITEM = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=5), st.integers(), st.just(123456789012345678901234)),
     "type": st.sampled_from(["article", "book"])},
    optional={
        "title": st.text(max_size=8),
        "author": st.lists(st.fixed_dictionaries({}, optional={
            "family": st.text(max_size=5), "given": st.text(max_size=5),
            "literal": st.text(max_size=5)}), max_size=2),
        "issued": st.fixed_dictionaries({"date-parts": st.lists(st.lists(
            st.one_of(st.integers(-10, 3000), st.just(10**20), st.floats(allow_nan=False)),
            max_size=3), max_size=1)}),
        "number": st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False)),
        "archive": st.sampled_from(["arXiv", "x"]),
        "DOI": st.sampled_from(["10.48550/arXiv.2305.18290", "10.1/x", ""]),
        "keyword": st.one_of(st.text(max_size=6), st.lists(st.text(max_size=3), max_size=2)),
        "note": st.sampled_from(["arXiv:2402.01306", "a note", ""]),
    },
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(CSL_ITEM, min_size=1, max_size=3),
    st.sampled_from(["{}", '{"items": {}}', "{}\n", "\ufeff{}", " {}"]),
    st.booleans(),
)
def test_csl_json_read_once_as_json_reads_it(items, wrapper: str, nan: bool) -> None:
    import json

    body = json.dumps(items, ensure_ascii=False)
    if nan:
        body = body.replace("[]", "[NaN]", 1)
    text = wrapper.replace("{}", body, 1) if "items" not in wrapper else wrapper.replace("{}", body)
    raw = text.encode("utf-8")
    fmt = bibimport.detect_format(raw)
    if fmt != "csl-json":
        return
    assert bibimport.references_in(raw, "x.json") == (
        "csl-json",
        bibimport.parse_references(raw, fmt, "x.json"),
    )
