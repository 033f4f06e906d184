"""``rlhf-reader fetch / add`` and the title check, against the local fake arXiv API."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from arxiv_server import ARXIV_DATA, ArxivServer
from conftest import run_cli as run

from rlhf_reader.library.additions import SECTION_TITLE, addition_record, with_additions
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import parse

BUNDLED = ARXIV_DATA / "bundled.xml"
RECORDED_ZERO = ARXIV_DATA / "arxivpy_2026_id_2104.12255v1.xml"
SMALL_LIST = """# A small list

## Papers

- [Direct Preference Optimization: Your Language Model is Secretly a Reward Model](\
https://arxiv.org/abs/2305.18290). Rafael Rafailov, Archit Sharma. NeurIPS, 2023.
- [A paper arXiv never heard of](https://arxiv.org/abs/2401.99999). Nobody. arXiv, 2024.
- [Llama 2: Open Foundation and Fine-Tuned Chat Models](\
https://arxiv.org/pdf/2307.09288v2.pdf). Hugo Touvron. arXiv, 2023.

## Blogs

- [Illustrating RLHF](https://huggingface.co/blog/rlhf)
"""


@pytest.fixture
def small_list(tmp_path: Path) -> Path:
    path = tmp_path / "list.md"
    path.write_text(SMALL_LIST, encoding="utf-8")
    return path


def serve_own_paper(server: ArxivServer, tmp_path: Path) -> None:
    """Answer 2401.00001 with the generated DPO entry under that id."""
    path = tmp_path / "own.xml"
    path.write_bytes(BUNDLED.read_bytes().replace(b"2305.18290", b"2401.00001"))
    server.add_papers(path)


def cached(db: Path) -> dict[str, dict]:
    library = Library.open(db)
    try:
        return library.all_metadata()
    finally:
        library.close()


# fetch ------------------------------------------------------------------------------------


def test_fetch_bundled_list_in_one_request_then_from_cache(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    arxiv_server.add_papers(BUNDLED)
    code, out, err = run(capsys, db_path, "fetch")
    assert (code, out, err) == (0, "fetched 85, cached 0, not found 0, failed 0\n", "")
    assert arxiv_server.count == 1
    cache = cached(db_path)
    assert len(cache) == 85
    assert cache["2403.05534"]["title"] == "Bayesian Preference Elicitation with Language Models"

    code, out, _ = run(capsys, db_path, "fetch")
    assert (code, out) == (0, "fetched 0, cached 85, not found 0, failed 0\n")
    assert arxiv_server.count == 1  # offline from the cache

    code, out, _ = run(capsys, db_path, "fetch", "--force")
    assert (code, out) == (0, "fetched 85, cached 0, not found 0, failed 0\n")
    assert arxiv_server.count == 2


def test_fetch_named_keys_only(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer, small_list: Path
) -> None:
    arxiv_server.add_papers(BUNDLED)
    code, out, err = run(
        capsys, db_path, "--list", str(small_list), "fetch", "arXiv:2307.09288v1", "Illustrating"
    )
    assert code == 0
    assert out == "fetched 1, cached 0, not found 0, failed 0\n"
    assert "huggingface.co/blog/rlhf: not an arXiv paper, skipped" in err
    assert arxiv_server.ids_asked() == [["2307.09288"]]
    assert set(cached(db_path)) == {"2307.09288"}


def test_fetch_not_found_is_a_warning(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer, small_list: Path
) -> None:
    arxiv_server.add_papers(BUNDLED)
    code, out, err = run(capsys, db_path, "--list", str(small_list), "fetch")
    assert code == 0
    assert out == "fetched 2, cached 0, not found 1, failed 0\n"
    assert "2401.99999 (A paper arXiv never heard of): not found on arXiv" in err
    assert set(cached(db_path)) == {"2305.18290", "2307.09288"}


def test_fetch_failure_exits_1_and_keeps_the_cache(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer, small_list: Path
) -> None:
    arxiv_server.add_papers(BUNDLED)
    assert run(capsys, db_path, "--list", str(small_list), "fetch", "2305.18290")[0] == 0
    before = cached(db_path)
    arxiv_server.reply(b"down for maintenance", status=503, times=None)
    code, out, err = run(capsys, db_path, "--list", str(small_list), "fetch", "--force")
    assert code == 1
    assert out == "fetched 0, cached 0, not found 0, failed 3\n"
    assert err == (
        "rlhf-reader: error: 3 ids (2305.18290, 2401.99999, 2307.09288): "
        "arXiv answered HTTP 503 (after 3 tries)\n"
    )
    assert arxiv_server.count == 1 + 3  # the first fetch, then one try and two retries
    assert cached(db_path) == before


def test_fetch_malformed_answer(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer, small_list: Path
) -> None:
    arxiv_server.reply(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>Trunc")
    code, out, err = run(capsys, db_path, "--list", str(small_list), "fetch")
    assert code == 1
    assert out == "fetched 0, cached 0, not found 0, failed 3\n"
    assert "arXiv sent malformed XML" in err
    assert "Traceback" not in err
    assert cached(db_path) == {}


def test_fetch_connection_refused(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    small_list: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    from rlhf_reader.sources import arxiv_meta

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/query"
    monkeypatch.setenv("RLHF_READER_ARXIV_URL", url)
    fetcher = arxiv_meta.ArxivFetcher(arxiv_meta.FetchSettings(url=url, interval=0, retries=0))
    arxiv_meta.set_shared_fetcher(fetcher)
    try:
        code, out, err = run(capsys, db_path, "--list", str(small_list), "fetch")
    finally:
        arxiv_meta.set_shared_fetcher(None)
    assert code == 1
    assert "cannot connect to arXiv (connection refused)" in err
    assert out.endswith("failed 3\n")


def test_progress_line_only_on_a_tty(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    arxiv_server: ArxivServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arxiv_server.add_papers(BUNDLED)
    code, _, err = run(capsys, db_path, "fetch", "2305.18290")
    assert code == 0 and "\r" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsys, db_path, "fetch", "--force")
    assert code == 0
    assert err == "\rfetching arXiv metadata: 0/85 ids\rfetching arXiv metadata: 85/85 ids\n"


def test_title_zero_is_stored_and_shown(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    arxiv_server.serve(RECORDED_ZERO, id_list="2104.12255")
    code, out, err = run(capsys, db_path, "add", "2104.12255")
    assert (code, err) == (0, "")
    assert out == "added 2104.12255: 0 (My additions)\n"
    assert cached(db_path)["2104.12255"]["title"] == "0"


# check ------------------------------------------------------------------------------------


def test_check_reports_the_wrong_link_once_fetched(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    code, out, _ = run(capsys, db_path, "check")
    assert code == 0 and "title mismatch" not in out
    arxiv_server.add_papers(BUNDLED)
    assert run(capsys, db_path, "fetch")[0] == 0
    code, out, _ = run(capsys, db_path, "check")
    assert code == 0
    mismatches = [line for line in out.splitlines() if line.startswith("title mismatch")]
    assert (
        "title mismatch: line 61: «Easy-to-Hard Generalization: Scalable Alignment Beyond Human "
        "Supervision»: the link points at «Bayesian Preference Elicitation with Language Models»"
    ) in mismatches
    assert not any("«Bayesian" in line.split(": the link")[0] for line in mismatches)
    assert not any("Leftover-Lunch" in line for line in mismatches)
    # 2305.14718 is also listed (line 137) under its first version's title.
    assert len(mismatches) == 2 and "line 137:" in mismatches[1]


def test_check_shows_hostile_fetched_titles_literally(
    capsys: pytest.CaptureFixture[str], db_path: Path, small_list: Path
) -> None:
    library = Library.open(db_path)
    library.put_metadata({"2305.18290": {"arxiv_id": "2305.18290", "title": "Evil\x1b[2J [b]x"}})
    library.close()
    code, out, _ = run(capsys, db_path, "--list", str(small_list), "check")
    assert code == 0
    assert "the link points at «Evil\\x1b[2J [b]x»" in out
    assert "\x1b" not in out


# add --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "2401.00001",
        "arXiv:2401.00001v2",
        "https://arxiv.org/abs/2401.00001v1",
        "arxiv.org/pdf/2401.00001.pdf",
    ],
)
def test_add_accepts_ids_and_urls(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    arxiv_server: ArxivServer,
    typed: str,
    tmp_path: Path,
) -> None:
    serve_own_paper(arxiv_server, tmp_path)
    code, out, err = run(capsys, db_path, "add", typed)
    assert (code, err) == (0, "")
    assert out.startswith("added 2401.00001: Direct Preference Optimization")
    library = Library.open(db_path)
    [record] = library.additions()
    assert record["key"] == record["arxiv_id"] == "2401.00001"
    assert record["url"] == "https://arxiv.org/abs/2401.00001"
    assert record["authors"][0] == "Rafael Rafailov"
    assert isinstance(record["year"], int) and record["added"].endswith("Z")
    assert library.metadata("2401.00001") is not None


@pytest.mark.parametrize(
    "typed",
    ["foo", "2305", "https://example.org/abs/2305.18290", "doi:10.1/xyz", "arxiv.org/list/cs.CL"],
)
def test_add_refuses_anything_else(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer, typed: str
) -> None:
    code, out, err = run(capsys, db_path, "add", typed)
    assert code == 2 and out == ""
    assert err.startswith("rlhf-reader: error: ") and "is not an arXiv id or arXiv URL" in err
    assert len(err.splitlines()) == 1
    assert arxiv_server.count == 0


def test_added_paper_is_like_a_list_entry(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer, tmp_path: Path
) -> None:
    serve_own_paper(arxiv_server, tmp_path)
    code, out, _ = run(capsys, db_path, "add", "2401.00001", "--tag", "Mine", "--tag", "dpo")
    assert code == 0

    code, out, _ = run(capsys, db_path, "list")
    assert out.splitlines()[-2:] == [
        SECTION_TITLE,
        "  ○ Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
        " — Rafael Rafailov et al., 2023  [2401.00001]",
    ]
    code, out, _ = run(capsys, db_path, "list", "--json", "--tag", "mine")
    [record] = json.loads(out)
    assert record["section"] == [SECTION_TITLE]
    assert record["tags"] == ["mine", "dpo"] and record["arxiv_id"] == "2401.00001"

    code, out, _ = run(capsys, db_path, "show", "arXiv:2401.00001v1")
    assert code == 0 and "section  My additions" in out

    assert run(capsys, db_path, "mark", "2401.00001", "read")[0] == 0
    code, out, _ = run(capsys, db_path, "list", "--json", "--status", "read")
    assert [r["key"] for r in json.loads(out)] == ["2401.00001"]

    code, out, _ = run(capsys, db_path, "cite", "2401.00001")
    assert code == 0 and "2401.00001" in out and "Rafailov" in out

    code, out, _ = run(capsys, db_path, "export", "--format", "json")
    assert code == 0 and "2401.00001" in out


def test_add_uses_the_cache(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    library = Library.open(db_path)
    library.put_metadata(
        {
            "2402.00002": {
                "key": "2402.00002",
                "arxiv_id": "2402.00002",
                "title": "A Cached Paper",
                "authors": ["Ada Lovelace"],
                "published": "2024-02-01T00:00:00Z",
            }
        }
    )
    library.close()
    code, out, _ = run(capsys, db_path, "add", "2402.00002")
    assert (code, out) == (0, "added 2402.00002: A Cached Paper (My additions)\n")
    assert arxiv_server.count == 0


def test_add_uses_a_cached_record_without_or_with_another_arxiv_id(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    # Imported cache records need not carry arxiv_id (KeyError before) or the same one.
    library = Library.open(db_path)
    library.put_metadata(
        {"2402.00003": {"title": "No id"}, "2402.00004": {"arxiv_id": "2402.9", "title": "Odd"}}
    )
    library.close()
    assert run(capsys, db_path, "add", "2402.00003")[:2] == (
        0,
        "added 2402.00003: No id (My additions)\n",
    )
    assert run(capsys, db_path, "add", "2402.00004")[0] == 0
    keys = {a["key"] for a in Library.open(db_path).additions()}
    assert keys == {"2402.00003", "2402.00004"}
    assert arxiv_server.count == 0


def test_add_a_listed_paper_only_tags_it(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    code, out, _ = run(capsys, db_path, "add", "https://arxiv.org/abs/2305.18290v3")
    assert code == 0 and "2305.18290 is already in the list (line" in out
    assert "nothing to add" in out
    code, out, _ = run(capsys, db_path, "add", "2305.18290", "--tag", "dpo")
    assert code == 0 and out.rstrip().endswith("tagged it")
    library = Library.open(db_path)
    assert library.additions() == []
    assert library.annotation("2305.18290").tags == ("dpo",)
    assert arxiv_server.count == 0


def test_add_twice_says_so(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    arxiv_server.serve(RECORDED_ZERO, id_list="2104.12255")
    assert run(capsys, db_path, "add", "2104.12255")[0] == 0
    code, out, _ = run(capsys, db_path, "add", "2104.12255v1", "--tag", "crypto")
    assert (code, out) == (0, "2104.12255 is already in My additions; tagged it\n")
    assert arxiv_server.count == 1


def test_add_not_found_or_failing_adds_nothing(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    code, out, err = run(capsys, db_path, "add", "2401.99999")
    assert code == 1 and out == ""
    assert err == "rlhf-reader: error: 2401.99999: not found on arXiv; nothing added\n"
    arxiv_server.reply(b"", status=502, times=None)
    code, out, err = run(capsys, db_path, "add", "2401.99998")
    assert code == 1
    assert err.endswith("arXiv answered HTTP 502 (after 3 tries); nothing added\n")
    library = Library.open(db_path)
    assert library.additions() == [] and library.all_metadata() == {}


def test_add_bad_tag_is_refused_before_fetching(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    code, _, err = run(capsys, db_path, "add", "2401.00001", "--tag", "a,b")
    assert code == 2 and "contains a comma" in err
    assert arxiv_server.count == 0


# the additions section (pure) -------------------------------------------------------------


def test_with_additions_appends_a_section_and_skips_listed_keys() -> None:
    catalog = parse(SMALL_LIST)
    records = [
        addition_record(
            {"arxiv_id": "2402.00002", "title": "B", "published": "2024-02-01T00:00:00Z"},
            "2026-02-01T00:00:00Z",
        ),
        addition_record({"arxiv_id": "2401.00001", "title": "A"}, "2026-01-01T00:00:00Z"),
        addition_record({"arxiv_id": "2305.18290", "title": "DPO"}, "2026-01-02T00:00:00Z"),
        {"key": "broken"},
    ]
    merged = with_additions(catalog, records)
    assert [s.title for s in merged.sections] == ["Papers", "Blogs", SECTION_TITLE]
    mine = merged.sections[-1]
    assert [(e.key, e.title, e.year) for e in mine.entries] == [
        ("2401.00001", "A", None),
        ("2402.00002", "B", 2024),
    ]
    assert mine.entries[0].url == "https://arxiv.org/abs/2401.00001"
    assert mine.level == catalog.sections[0].level
    assert len(catalog.sections) == 2  # the input is not changed
    assert with_additions(catalog, []) is catalog


@pytest.mark.parametrize("url", ["garbage", "ftp://127.0.0.1/api", "http://127.0.0.1:99999/"])
def test_fetch_with_a_mistyped_api_address_names_it(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    small_list: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
) -> None:
    from rlhf_reader.sources import arxiv_meta

    monkeypatch.setenv("RLHF_READER_ARXIV_URL", url)  # refused before any connection
    arxiv_meta.set_shared_fetcher(
        arxiv_meta.ArxivFetcher(arxiv_meta.FetchSettings(url=url, interval=0, retries=0))
    )
    try:
        code, out, err = run(capsys, db_path, "--list", str(small_list), "fetch")
    finally:
        arxiv_meta.set_shared_fetcher(None)
    assert code == 1 and out.endswith("failed 3\n")
    assert "not an http(s) URL (check RLHF_READER_ARXIV_URL)" in err and url in err
