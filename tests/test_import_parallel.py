"""A big BibTeX or CSL-JSON import is read in parts on several cores (bibimport,
``parallel.map_parts``): the same references, refusals, warnings, output and library as
read in one process, wherever the cuts fall; a part that fails in its process is read again
here. The size thresholds are lowered so that small files are read in parts."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import TEST_DATA, run_cli
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_bib_fast import BALANCED, bibtex, braced_content, common_bibtex

from rlhf_reader import parallel
from rlhf_reader.library import bibfast, bibimport, import_cache, store
from rlhf_reader.library.merge import ImportFileError

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file read in parts (as many as the test's cores, at least 2), never from the
    import cache."""
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 4)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_ITEMS", 1)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(import_cache, "load", lambda *args: None)


def one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.ENV, "1")


def read(raw: bytes, name: str = "x.bib") -> object:
    """What the import reads in ``raw``: (format, references, whether kept) or the refusal."""
    kept: list[object] = []
    real = import_cache.store
    import_cache.store = lambda *args: kept.append(args[3])  # type: ignore[assignment]
    try:
        return (*bibimport.references_in(raw, name), kept)
    except ImportFileError as exc:
        return ("refused", str(exc))
    finally:
        import_cache.store = real  # type: ignore[assignment]


def both_ways(monkeypatch: pytest.MonkeyPatch, raw: bytes, name: str = "x.bib") -> object:
    """``raw`` read in parts and in one process: the same; what was read."""
    parts = read(raw, name)
    with monkeypatch.context() as patch:
        one_process(patch)
        whole = read(raw, name)
    assert parts == whole
    return parts


# The cuts of bibfast: every part read alone, joined, is the one pass over the whole file --


def by_parts(text: str, cuts: list[int]) -> list[bibfast.RawEntry] | None:
    """What bibimport joins of the parts (without the conversion): None if a part is not
    read, a key of a part before dropped, and no entry at all is None (the whole file's)."""
    found: list[bibfast.RawEntry] = []
    seen: set[str] = set()
    for start, stop in zip([0, *cuts], [*cuts, len(text)], strict=True):
        part = bibfast.read_part(text, start, stop)
        if part is None:
            return None
        keys = [entry[0] for entry in part]
        assert len(set(keys)) == len(keys)  # a part drops its own repeated keys
        found.extend(entry for entry in part if entry[0] not in seen)
        seen.update(keys)
    return found or None


def every_cut(text: str) -> list[int]:
    return [m.end() for m in bibfast._CUT_RE.finditer(text)]


def check_cuts(text: str) -> str:
    whole = bibfast._common(text)
    cuts = every_cut(text)
    outcomes = set()
    for chosen in [[cut] for cut in cuts] + [cuts]:
        parts = by_parts(text, chosen)
        if parts is not None:
            assert parts == whole  # never another result: at worst the file is read whole
        outcomes.add(parts is not None)
    if not cuts:
        return "no cut"
    return "parts" if outcomes == {True} else "whole" if outcomes == {False} else "some"


# Files of the common shape with line-start @ in values, text between the entries, … around
# every possible cut.
AT_LINE_START = st.sampled_from(
    ["\n@misc{x}", "\n@misc{x, t = {y}}", "\n@b{y, t = {z}}", "\n@{", "\n@ {z, a = {b}}"]
)
BETWEEN = st.sampled_from(
    ["\n", "\n\n", "\r\n", "% comment\n", "junk = {x\n", "a = b\n", "}\n", "@\n", " x @ y\n"]
)


@st.composite
def cut_files(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(["a", "b", "dup", "dup", "k:1"]))
        fields = []
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.integers(0, 12)):
                value = draw(st.sampled_from(["{Plain}", "{a {b} c}", "2020", '"q"', "{}"]))
            else:
                value = draw(
                    st.one_of(
                        braced_content(2, BALANCED).map(lambda s: "{" + s + "}"),
                        braced_content(1, AT_LINE_START).map(lambda s: "{" + s + "}"),
                        st.just('"x\n@misc{y, t={z}}"'),
                    )
                )
            name = draw(st.sampled_from(["title", "note", "year", "title"]))
            fields.append(f"\n  {name} = {value}")
        body = ",".join(fields)
        parts.append(f"@{draw(st.sampled_from(['misc', 'Article', '']))}{{{key},{body}\n}}")
        parts.append(draw(BETWEEN) if draw(st.integers(0, 7)) == 0 else "\n\n")
    return "".join(parts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut_files())
def test_cut_files_read_in_parts_as_in_one_pass(text: str) -> None:
    event(check_cuts(text))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(bibtex(), common_bibtex()))
def test_any_bibtex_read_in_parts_as_in_one_pass(text: str) -> None:
    event(check_cuts(text))


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("@misc{a, t = {x}}\n@misc{b, t = {y}}\n", "parts"),
        ("@misc{a, t = {x}}\n@misc{a, t = {y}}\n", "parts"),  # the key of a part before
        ("@misc{a, t = {x}, t = {z}}\n@misc{a, t = {y}}\n", "parts"),  # dropped, so kept
        ("@misc{a, t = {x\n@misc{b, t = {y}}}\n", "whole"),  # a cut inside a value
        ("@misc{a, t = {x}}\njunk = {x\n@misc{b, t = {y}}}}\n", "whole"),  # …or text between
        ("@misc{a, t = {x}}\n% a = b\n@misc{b, t = {y}}\n", "whole"),  # `=` between: whole
        ("@misc{a, t = {x}}\n% comment\n@misc{b, t = {y}}\n", "parts"),
        ('@misc{a, t = "x\n@misc{b, t = {y}}"}\n', "whole"),
        ("@misc{a, t = {x}}\n@comment{b, t = {y}}\n", "whole"),
        ("@misc{a, t = {x}}\n@misc{b}\n", "whole"),
        ("@misc{a, t = {x}}\n@misc{b, t = {y}\n", "whole"),  # never closed
        ("@misc{a, t = {x}}\n@misc{b, t = y\n@misc{c, t = {z}}\n", "whole"),
    ],
)
def test_named_cuts(text: str, outcome: str) -> None:
    assert check_cuts(text) == outcome


def test_our_own_export_is_cut_anywhere(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path, 300)
    out = tmp_path / "out.bib"
    assert run_cli(capsys, db, "--list", str(list_path), "export", "--format", "bibtex",
                   "-o", str(out))[0] == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    cuts = every_cut(text)
    assert len(cuts) == 299
    assert by_parts(text, cuts) == bibfast._common(text) is not None
    assert bibfast.cuts(text, 3) == [
        next(cut for cut in cuts if cut > len(text) * i // 3) for i in (1, 2)
    ]


# The whole import, in processes: the same as in one ------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.one_of(bibtex(), common_bibtex(), cut_files()))
def test_generated_bibtex_imports_the_same_in_processes(
    in_parts: None, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    both_ways(monkeypatch, text.encode("utf-8"))


MACROS = """@string{acl = "Proc. of ACL"}

@misc{a, title = {First}, booktitle = acl}

@misc{b, title = {Second}, journal = acl}

@misc{c, title = {Third}, booktitle = acl # { 2024}}
"""
LATEX = (
    "".join(
        f"@misc{{k{i}, title = {{Caf\\'e {i}}}, author = {{J{{\\'e}}r{{\\'e}}my Doe}}, "
        f"keywords = {{ok, not a tag!}}}}\n\n"
        f"@misc{{p{i}, title = {{Plain {i}}}, year = {{2024}}}}\n\n"
        for i in range(6)
    )
    + "@misc{k0, title = {Again}}\n\n@misc{p5, title = {And again}}\n"
)


@pytest.mark.parametrize(
    "text",
    [
        MACROS,  # @string used in the parts after it: read whole
        "@misc{a, title = {x}}\n\n@comment{jabref-meta: x;}\n\n@misc{b, title = {y}}\n",
        "@misc{a, title = {LeQua @ {CLEF}}, note = {me@home.org}}\n\n@misc{b, title = {y}}\n",
        "@misc{a, title = {open\n\n@misc{b, title = {fine}}\n\n@misc{c, title = {z}}\n",
        "@misc{a, title = {open\n\n@misc{b, title}\n",  # no entry: the refusal with its line
        "@misc{a, title = {x}}\n\n@misc{b, title = {never closed\n",
        LATEX,  # LaTeX, keys again in later parts, keywords that are no tag
        "junk\n\n@misc{a, title = {x}}\n\n@preamble{{x}}\n\n@misc{b, title = {y}}\n",
    ],
)
def test_named_files_import_the_same_in_processes(
    in_parts: None, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    both_ways(monkeypatch, text.encode("utf-8"))


def test_every_bib_and_csl_of_the_tests_imports_the_same_in_processes(
    in_parts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = Path("/work/shared/testdata")
    paths = sorted([*TESTS.rglob("*.bib"), *TESTS.rglob("*.csl.json")])
    if shared.is_dir():
        paths += sorted([*shared.rglob("*.bib"), *shared.rglob("*.csl.json")])
    assert len(paths) >= 7
    for path in paths:
        both_ways(monkeypatch, path.read_bytes(), path.name)


def csl_file(items: list[object], indent: int | str = 2) -> bytes:
    return json.dumps(items, indent=indent, ensure_ascii=False).encode("utf-8")


CSL = [
    {"id": "a", "type": "article", "title": "First", "DOI": "10.48550/arXiv.2305.18290"},
    {"id": "", "type": "article", "title": "No id", "author": [{"family": "X"}, {"given": "Y"}]},
    {"id": 0, "type": "book", "title": "Zero", "issued": {"date-parts": [[2024, 5, 1]]}},
    {"id": "d", "type": "article", "title": "Fourth", "keyword": ["dpo", "not a tag!"]},
    {"id": None, "type": "article", "title": "None"},
    {"id": "f", "type": "article", "title": "Sixth", "note": "arXiv:2402.01306"},
]


@pytest.mark.parametrize(
    "raw",
    [
        csl_file(CSL),
        csl_file(CSL, "\t"),
        csl_file(CSL).replace(b"\n", b"\r\n"),
        csl_file(CSL, 0),
        json.dumps(CSL).encode(),  # on one line: read whole
        json.dumps({"items": CSL}, indent=2).encode(),
        csl_file([*CSL, {"type": "article"}]),  # not a CSL item: read whole ("json")
        csl_file([*CSL, 5]),
        csl_file([*CSL, {"id": "n", "type": "article", "number": 12345678901234567890123}]),
        csl_file([*CSL, {"id": "n", "type": "article", "number": 1e400}]),
        csl_file(CSL).replace(b'"Fourth"', b'"Fourth\\ud800"'),  # a lone surrogate: json
        csl_file(CSL).replace(b'"Sixth"', b"NaN"),
        csl_file(CSL).replace(b'"Sixth"', b'"Sixth"]'),  # broken: the same message
        csl_file(CSL).replace(b'"Zero"', b'"\xff"'),  # not UTF-8
        b"\xef\xbb\xbf" + csl_file(CSL),
        csl_file(
            [
                {
                    "id": "x",
                    "type": "article",
                    "author": [{"family": "A"}, {"family": "B"}, {"family": "C"}],
                }
            ]
            * 5
        ),
    ],
)
def test_csl_json_imports_the_same_in_processes(
    in_parts: None, monkeypatch: pytest.MonkeyPatch, raw: bytes
) -> None:
    both_ways(monkeypatch, raw, "x.json")


def test_a_csl_list_is_cut_between_its_items(in_parts: None) -> None:
    raw = csl_file(CSL * 50)
    calls: list[tuple[int, int]] = []
    real = bibimport._csl_piece

    def piece(raw: bytes, bounds: tuple[int, int]) -> object:
        calls.append(bounds)
        return real(raw, bounds)

    bibimport._csl_piece = piece  # type: ignore[assignment]
    try:
        rows = bibimport._csl_by_parts(raw)
    finally:
        bibimport._csl_piece = real  # type: ignore[assignment]
    assert rows is not None and len(rows) == 300
    assert rows == bibimport._csl_part(CSL * 50, "", (0, 300))
    assert rows[241][0] == "item 241"  # an item without an id: named by its place
    # (the parts this process took: each cut at the comma after an item, the rest of the
    # file's parts taken by children)
    assert len(calls) <= bibimport.PIECES_PER_PROCESS * 4
    assert all(raw[at - 1 : at + 1] == b"}," for cut in calls for at in cut if at >= 0)
    assert bibimport._csl_by_parts(json.dumps(CSL * 50).encode()) is None  # one line


@pytest.mark.parametrize("name", ["zotero.bib", "zotero.csl.json"])
def test_a_part_failing_in_its_process_is_read_again_here(
    in_parts: None, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    raw = (TEST_DATA / "import" / name).read_bytes()
    if name.endswith(".json"):
        raw = csl_file(json.loads(raw) * 3)
    else:
        raw = TEST_DATA.joinpath("cite", "dpo.bib").read_bytes() + b"\n" + raw
    expected = both_ways(monkeypatch, raw, name)
    here = os.getpid()
    for module, function in ((bibfast, "read_part"), (bibimport, "_csl_piece")):
        real = getattr(module, function)

        def fails_in_child(*args: object, real: object = real, **kwargs: object) -> object:
            if os.getpid() != here:
                os._exit(3)
            return real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(module, function, fails_in_child)
    assert read(raw, name) == expected


def test_the_cli_prints_and_writes_the_same_in_processes(
    in_parts: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:  # fmt: skip
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path / "scale", 200)
    # Both runs write the same moment (a second boundary between them changed the bytes).
    monkeypatch.setattr(store, "now_iso", lambda: "2026-12-02T12:00:00Z")
    files = {}
    for fmt in ("bibtex", "csl-json"):
        out = tmp_path / f"out.{fmt}"
        assert run_cli(capsys, db, "--list", str(list_path), "export", "--format", fmt,
                       "-o", str(out))[0] == 0  # fmt: skip
        files[fmt] = out
    latex = tmp_path / "latex.bib"
    latex.write_text(LATEX + files["bibtex"].read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "broken.bib"
    broken.write_text("@misc{a, title = {open\n\n@misc{b, title}\n", encoding="utf-8")
    for path in (*files.values(), latex, broken):
        for args in (["--dry-run"], ["--status-from-keywords"], []):
            results = []
            for processes in ("2", "1"):
                monkeypatch.setenv(parallel.ENV, processes)
                work = tmp_path / f"work-{processes}.json"
                shutil.copyfile(db, work)
                results.append(
                    (
                        run_cli(capsys, work, "--list", str(list_path), "import", *args, str(path)),
                        work.read_bytes(),
                    )
                )
            assert results[0] == results[1], (path, args)
