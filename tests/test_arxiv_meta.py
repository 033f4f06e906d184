"""arxiv_meta against the local fake arXiv API: batching, retries, timeouts, faults, titles."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from arxiv_server import ARXIV_DATA, ArxivServer

from rlhf_reader.library import additions
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import load
from rlhf_reader.sources import arxiv_meta
from rlhf_reader.sources.arxiv_meta import (
    ArxivFetcher,
    FetchSettings,
    fetch_metadata,
    normalize_title,
    plan_fetch,
    title_mismatch,
    title_mismatches,
    titles_match,
)

BUNDLED_LIST = Path(__file__).resolve().parent.parent / "src/rlhf_reader/data/awesome-rlhf.md"
RECORDED_PAIR = ARXIV_DATA / "arxivpy_2026_id_0808.05394_1707.08567.xml"
RECORDED_ZERO = ARXIV_DATA / "arxivpy_2026_id_2104.12255v1.xml"
RECORDED_EMPTY = ARXIV_DATA / "arxivpy_2026_id_0000.0000_empty.xml"
RECORDED_400 = ARXIV_DATA / "arxivpy_2026_id_abc_http400_error.xml"
RECORDED_2016 = ARXIV_DATA / "arxivpy_2016_id_list_1111.2011v2.xml"
SEARCH_2016 = ARXIV_DATA / "arxivpy_2016_search_au_del_maestro.xml"


def fetcher_for(server: ArxivServer, **settings: float) -> ArxivFetcher:
    base = {"interval": 0.0, "timeout": 2.0, "retries": 2, "backoff": 0.0}
    return ArxivFetcher(FetchSettings(url=server.url, **{**base, **settings}))


def bundled_ids() -> list[str]:
    ids = [e.arxiv_id for e in load(BUNDLED_LIST).entries if e.arxiv_id]
    return list(dict.fromkeys(ids))


# batching ---------------------------------------------------------------------------------


def test_bundled_list_costs_one_request(arxiv_server: ArxivServer) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    ids = bundled_ids()
    assert len(ids) == 85
    report = fetch_metadata(ids)
    assert arxiv_server.count == 1
    assert report.requests == 1
    assert sorted(arxiv_server.ids_asked()[0]) == sorted(ids)
    assert arxiv_server.requests[0]["max_results"] == "85"
    assert set(report.records) == set(ids)
    assert report.ok and not report.not_found and not report.failed
    assert report.summary() == "fetched 85, cached 0, not found 0, failed 0"


def test_n_ids_cost_ceil_n_over_100_requests_on_one_connection(
    arxiv_server: ArxivServer,
) -> None:
    ids = [f"2301.{n:05d}" for n in range(250)]
    progress: list[tuple[int, int]] = []
    report = fetch_metadata(ids, progress=lambda done, total: progress.append((done, total)))
    assert arxiv_server.count == 3
    assert [len(batch) for batch in arxiv_server.ids_asked()] == [100, 100, 50]
    assert [r["max_results"] for r in arxiv_server.requests] == ["100", "100", "50"]
    assert progress == [(100, 250), (200, 250), (250, 250)]
    assert len(arxiv_server.connections) == 1  # one kept-alive connection
    assert len(report.not_found) == 250 and report.ok


def test_requests_are_spaced_by_the_interval(arxiv_server: ArxivServer) -> None:
    waits: list[float] = []
    fetcher = ArxivFetcher(
        FetchSettings(url=arxiv_server.url, interval=3.0, retries=0), sleep=waits.append
    )
    fetcher.fetch([f"2301.{n:05d}" for n in range(150)])
    assert arxiv_server.count == 2
    # The second request waited (in 0.1 s slices) for what was left of the 3 s.
    assert 2.5 < sum(waits) <= 3.0


def test_production_defaults_are_polite() -> None:
    settings = FetchSettings()
    assert settings.url == "https://export.arxiv.org/api/query"
    assert settings.interval >= 3.0 and settings.batch_size == 100
    assert 0 < settings.timeout <= 60 and 0 < settings.retries <= 5
    with pytest.raises(ValueError):
        FetchSettings(batch_size=101)


def test_endpoint_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RLHF_READER_ARXIV_URL")
    assert arxiv_meta.endpoint_url() == "https://export.arxiv.org/api/query"
    monkeypatch.setenv("RLHF_READER_ARXIV_URL", "http://127.0.0.1:9/mirror/api?key=x")
    fetcher = ArxivFetcher()
    assert fetcher.settings.url == "http://127.0.0.1:9/mirror/api?key=x"
    assert fetcher.client.query_url_format == "http://127.0.0.1:9/mirror/api?key=x&{}"
    fetcher.close()


def test_tests_are_offline_by_default() -> None:
    report = fetch_metadata(["2305.18290"])
    assert arxiv_meta.shared_fetcher().settings.url.startswith("http://127.0.0.1:")
    assert report.failed["2305.18290"].startswith("cannot connect to arXiv")


# records ------------------------------------------------------------------------------------


def test_record_fields_follow_the_shared_schema(arxiv_server: ArxivServer) -> None:
    arxiv_server.serve(RECORDED_2016, id_list="1111.2011")
    report = fetch_metadata(["arXiv:1111.2011v2"])
    record = report.records["1111.2011"]
    assert set(record) == {
        "key",
        "arxiv_id",
        "version",
        "title",
        "authors",
        "abstract",
        "published",
        "updated",
        "primary_category",
        "categories",
        "doi",
        "journal_ref",
        "comment",
        "pdf_url",
        "fetched_at",
    }
    assert record["key"] == record["arxiv_id"] == "1111.2011"
    assert record["version"] == "v2"
    assert "\n" not in record["title"] and "  " not in record["title"]  # wrapped title joined
    assert record["doi"] and record["journal_ref"] and record["comment"]
    assert record["published"].endswith("Z") and record["fetched_at"].endswith("Z")
    assert all(isinstance(a, str) for a in record["authors"])


def test_title_zero_is_a_real_title(arxiv_server: ArxivServer) -> None:
    arxiv_server.serve(RECORDED_ZERO, id_list="2104.12255")
    report = fetch_metadata(["2104.12255"])
    assert report.records["2104.12255"]["title"] == "0"
    assert report.records["2104.12255"]["authors"] == ["Quan Thoi Minh Nguyen"]


def test_dropped_id_is_not_found_and_the_rest_kept(arxiv_server: ArxivServer) -> None:
    arxiv_server.serve(RECORDED_PAIR, id_list="0808.05394,1707.08567")
    report = fetch_metadata(["0808.05394", "1707.08567"])
    assert list(report.records) == ["1707.08567"]
    assert "Dirk Wübben" in report.records["1707.08567"]["authors"]
    assert report.not_found == ["0808.05394"]
    assert report.ok  # not found is a warning, not a failure


def test_empty_result_is_not_found(arxiv_server: ArxivServer) -> None:
    arxiv_server.serve(RECORDED_EMPTY, id_list="0000.0000")
    report = fetch_metadata(["0000.0000"])
    assert report.not_found == ["0000.0000"] and not report.records and report.ok


def test_old_style_ids_round_trip(arxiv_server: ArxivServer) -> None:
    ids = arxiv_server.add_papers(SEARCH_2016)
    assert "cond-mat/0412498" in ids
    report = fetch_metadata(["cond-mat/0412498"])
    assert report.records["cond-mat/0412498"]["key"] == "cond-mat/0412498"


# faults --------------------------------------------------------------------------------------


def test_http_400_error_feed_is_never_a_paper(arxiv_server: ArxivServer) -> None:
    arxiv_server.reply(RECORDED_400, status=400, times=None)
    report = fetch_metadata(["2305.18290"])
    assert not report.records
    assert "incorrect id format for abc" in report.failed["2305.18290"]
    assert arxiv_server.count == 1  # a 400 is not retried


def test_http_400_naming_one_id_drops_it_and_asks_again(arxiv_server: ArxivServer) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    error = RECORDED_400.read_text().replace("for abc", "for 2305.18290")
    arxiv_server.reply(error, status=400)
    report = fetch_metadata(["2305.18290", "2307.09288"])
    assert "incorrect id format for 2305.18290" in report.failed["2305.18290"]
    assert list(report.records) == ["2307.09288"]
    assert arxiv_server.ids_asked() == [["2305.18290", "2307.09288"], ["2307.09288"]]


def test_error_entry_in_a_200_answer_is_not_stored(arxiv_server: ArxivServer) -> None:
    arxiv_server.serve(RECORDED_400, id_list="2305.18290")
    report = fetch_metadata(["2305.18290"])
    assert not report.records and not report.not_found
    assert "incorrect id format for abc" in report.failed["2305.18290"]


def test_503_is_retried_then_succeeds(arxiv_server: ArxivServer) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    arxiv_server.reply(b"busy", status=503)
    report = fetch_metadata(["2305.18290"])
    assert arxiv_server.count == 2
    assert list(report.records) == ["2305.18290"] and report.ok


def test_503_gives_up_after_bounded_retries_with_backoff(arxiv_server: ArxivServer) -> None:
    arxiv_server.reply(b"busy", status=503, times=None)
    waits: list[float] = []
    fetcher = ArxivFetcher(
        FetchSettings(url=arxiv_server.url, interval=0.0, retries=2, backoff=0.2),
        sleep=waits.append,
    )
    report = fetcher.fetch(["2305.18290", "2307.09288"])
    assert arxiv_server.count == 3  # one try and two retries
    assert report.failed == {
        "2305.18290": "arXiv answered HTTP 503 (after 3 tries)",
        "2307.09288": "arXiv answered HTTP 503 (after 3 tries)",
    }
    assert sum(waits) == pytest.approx(0.2 + 0.4, abs=0.11)  # exponential backoff
    assert not report.ok and report.summary().endswith("failed 2")


def test_timeout_is_retried_and_reported(arxiv_server: ArxivServer) -> None:
    arxiv_server.reply(b"", delay=30, times=None)
    fetcher = fetcher_for(arxiv_server, timeout=0.2, retries=1)
    report = fetcher.fetch(["2305.18290"])
    assert arxiv_server.count == 2
    assert report.failed["2305.18290"] == "no answer from arXiv within 0.2 s (after 2 tries)"


def test_connection_refused_is_not_retried(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fetcher = ArxivFetcher(
        FetchSettings(url=f"http://127.0.0.1:{port}/api/query", interval=0, retries=1, backoff=0)
    )
    report = fetcher.fetch(["2305.18290"])
    assert report.failed["2305.18290"].startswith("cannot connect to arXiv")
    assert report.requests == 1  # offline: no retry, no waiting


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry><id>http://arx",
        b"<html><body>Service temporarily unavailable</body></html>",
        b"",
    ],
)
def test_malformed_xml_fails_its_batch_only(arxiv_server: ArxivServer, body: bytes) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    fetcher = fetcher_for(arxiv_server)
    first = [f"2301.{n:05d}" for n in range(99)] + ["2305.18290"]
    arxiv_server.reply(body)  # the first batch gets the broken answer
    report = fetcher.fetch([*first, "2307.09288"])
    assert arxiv_server.count == 2
    assert report.failed["2305.18290"].startswith("arXiv sent malformed XML")
    assert list(report.records) == ["2307.09288"]
    assert len(report.failed) == 100


def test_invalid_ids_fail_without_a_request(arxiv_server: ArxivServer) -> None:
    report = fetch_metadata(["abc", "https://example.org/paper"])
    assert arxiv_server.count == 0
    assert set(report.failed) == {"abc", "https://example.org/paper"}


def test_cancel_stops_between_batches(arxiv_server: ArxivServer) -> None:
    seen: list[int] = []
    stored: list[dict] = []
    report = fetch_metadata(
        [f"2301.{n:05d}" for n in range(300)],
        progress=lambda done, total: seen.append(done),
        should_cancel=lambda: len(seen) >= 1,
        on_records=stored.append,
    )
    assert arxiv_server.count == 1 and report.cancelled
    assert report.summary().endswith("(cancelled)")


def test_cancel_during_a_backoff_wait_leaves_the_batch_unsettled(
    arxiv_server: ArxivServer,
) -> None:
    arxiv_server.reply(b"busy", status=503, times=None)
    fetcher = fetcher_for(arxiv_server, retries=3, backoff=60.0)
    report = fetcher.fetch(["2305.18290"], should_cancel=lambda: arxiv_server.count >= 1)
    assert arxiv_server.count == 1  # no retry after the cancel, and no 60 s wait
    assert report.cancelled and not report.failed and not report.records


def test_on_records_gets_each_batch_as_it_arrives(arxiv_server: ArxivServer) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    ids = bundled_ids()
    batches: list[dict] = []
    fetcher = fetcher_for(arxiv_server)
    fetcher.settings = FetchSettings(url=arxiv_server.url, interval=0.0, batch_size=40)
    fetcher = ArxivFetcher(fetcher.settings)
    report = fetcher.fetch(ids, on_records=batches.append)
    assert [len(b) for b in batches] == [40, 40, 5]
    assert report.requests == 3 and len(report.records) == 85


def test_fetch_from_a_worker_thread(arxiv_server: ArxivServer) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(r=fetch_metadata(["2305.18290"])))
    thread.start()
    thread.join(10)
    assert list(out["r"].records) == ["2305.18290"]


# cache ----------------------------------------------------------------------------------------


def test_plan_skips_cached_unless_forced() -> None:
    cache = {"2305.18290": {"title": "DPO"}}
    assert plan_fetch(["2305.18290", "arXiv:2307.09288v2", "2307.09288"], cache) == (
        ["2307.09288"],
        ["2305.18290"],
    )
    assert plan_fetch(["2305.18290"], cache, force=True) == (["2305.18290"], [])


def test_records_go_into_the_library_cache(arxiv_server: ArxivServer, db_path: Path) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    library = Library.open(db_path)
    report = fetch_metadata(bundled_ids()[:3], on_records=library.put_metadata)
    library.close()
    cache = Library.open(db_path).all_metadata()
    assert set(cache) == set(report.records)
    assert cache["2404.09932"]["title"].startswith("Foundational Challenges")
    assert cache["2404.09932"]["categories"] == ["cs.CL", "cs.AI"]


# titles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "fetched"),
    [
        (
            "Leftover-Lunch: Advantage-based Offline RL",
            "Leftover Lunch: Advantage-based Offline RL",
        ),
        ("Pairwise or $K$-wise Comparisons", "Pairwise or K-wise comparisons"),
        ("\\textbf{Direct} Preference Optimization", "Direct preference optimization."),
        ("Résumé of Naïve RLHF", "Resume of Naive RLHF"),
        ("R\\'esum\\'e of RLHF", "Résumé of RLHF"),
        ("  Spaces\tand\nlines  ", "Spaces and lines"),
        ("Constitutional AI", "Constitutional AI: Harmlessness from AI Feedback"),
        (
            "Training langauge models to follow instructions",
            "Training language models to follow instructions",
        ),
        ("0", "0"),
    ],
)
def test_titles_that_match(listed: str, fetched: str) -> None:
    assert titles_match(listed, fetched)


@pytest.mark.parametrize(
    ("listed", "fetched"),
    [
        (
            "Easy-to-Hard Generalization: Scalable Alignment Beyond Human Supervision",
            "Bayesian Preference Elicitation with Language Models",
        ),
        ("Llama 2", "Llama 3"),
        ("0", "1"),
        ("RLHF", "RLHF Workflow: From Reward Modeling to Online RLHF"),
    ],
)
def test_titles_that_do_not_match(listed: str, fetched: str) -> None:
    assert not titles_match(listed, fetched)


def test_normalize_title() -> None:
    assert normalize_title("  The $\\mathcal{O}(n)$ \\emph{Über}-Model [v2]! ") == (
        "the o n uber model v2"
    )


def test_bundled_list_mismatch_is_easy_to_hard(arxiv_server: ArxivServer) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    catalog = load(BUNDLED_LIST)
    report = fetch_metadata(bundled_ids())
    found = [(e.line, e.title, t) for e, t in title_mismatches(catalog, report.records)]
    assert (
        61,
        "Easy-to-Hard Generalization: Scalable Alignment Beyond Human Supervision",
        "Bayesian Preference Elicitation with Language Models",
    ) in found
    assert not [f for f in found if f[1].startswith("Bayesian")]
    assert not [f for f in found if f[1].startswith("Leftover-Lunch")]
    # The other real finding: line 137 gives 2305.14718 the title of its first version.
    assert {f[0] for f in found} == {61, 137}


def test_title_mismatch_for_one_entry() -> None:
    entry = next(e for e in load(BUNDLED_LIST).entries if e.line == 61)
    bayesian = {"title": "Bayesian Preference Elicitation\n  with Language Models"}
    assert title_mismatch(entry, bayesian) == "Bayesian Preference Elicitation with Language Models"
    assert title_mismatch(entry, {"title": entry.title.upper()}) is None
    assert title_mismatch(entry, None) is None
    assert title_mismatch(entry, {"title": None}) is None


def test_additions_are_not_judged() -> None:
    record = {
        "key": "2410.00001",
        "arxiv_id": "2410.00001",
        "title": "A Paper of My Own",
        "added": "2026-01-01T00:00:00Z",
    }
    catalog = additions.with_additions(load(BUNDLED_LIST), [record])
    assert not title_mismatches(catalog, {"2410.00001": {"title": "Something else"}})
