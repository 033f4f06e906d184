"""Issue 12, item 5: a fetch never hangs. Each request has an overall deadline (a server that
drips one byte at a time is cut off), and a multi-batch fetch stops after repeated failures
instead of trying every batch. Against the local fake arXiv (127.0.0.1) only."""

from __future__ import annotations

from pathlib import Path

import pytest
from arxiv_server import ARXIV_DATA, ArxivServer
from conftest import run_cli

from rlhf_reader.sources import arxiv_meta
from rlhf_reader.sources.arxiv_meta import ArxivFetcher, FetchSettings

DPO = "2305.18290"


def paper_feed() -> bytes:
    """A real one-paper answer (a few KB: minutes at the drip rate used below)."""
    server = ArxivServer()
    server.add_papers(ARXIV_DATA / "bundled.xml")
    try:
        return server._answer({"id_list": DPO, "max_results": "1"}).body
    finally:
        server._httpd.server_close()


def fast(server: ArxivServer, **overrides: float) -> ArxivFetcher:
    settings = {"interval": 0.0, "timeout": 2.0, "retries": 0, "backoff": 0.0, **overrides}
    return ArxivFetcher(FetchSettings(url=server.url, **settings))  # type: ignore[arg-type]


def test_a_dripping_answer_is_cut_off_at_the_deadline(arxiv_server: ArxivServer) -> None:
    body = paper_feed()
    assert len(body) > 1_000
    # One byte every 0.05 s: no read waits anywhere near the 2 s timeout; the whole answer
    # would take over a minute (the server gives up after DRIP_LIMIT, 10 s).
    arxiv_server.reply(body, drip=0.05)
    fetcher = fast(arxiv_server, deadline=1.0)
    try:
        report = fetcher.fetch([DPO])
    finally:
        fetcher.close()
    assert report.failed == {DPO: "no complete answer from arXiv within 1 s"}
    assert not report.records and arxiv_server.count == 1


def test_a_missed_deadline_is_retried_then_the_next_answer_is_used(
    arxiv_server: ArxivServer,
) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    arxiv_server.reply(paper_feed(), drip=0.05)  # the first try drips, the second is normal
    fetcher = fast(arxiv_server, deadline=1.0, retries=1)
    try:
        report = fetcher.fetch([DPO])
    finally:
        fetcher.close()
    assert list(report.records) == [DPO] and report.ok
    assert arxiv_server.count == 2


def test_fetch_command_against_a_dripping_server_ends_with_an_error(
    capsys: pytest.CaptureFixture[str], db_path: Path, arxiv_server: ArxivServer
) -> None:
    arxiv_server.reply(paper_feed(), drip=0.05, times=None)
    fetcher = fast(arxiv_server, deadline=0.5)
    arxiv_meta.set_shared_fetcher(fetcher)
    try:
        code, out, err = run_cli(capsys, db_path, "fetch", DPO)
    finally:
        fetcher.close()
    assert code == 1
    assert out == "fetched 0, cached 0, not found 0, failed 1\n"
    assert err.startswith("rlhf-reader: error: 2305.18290 (Direct Preference Optimization")
    assert err.endswith(": no complete answer from arXiv within 0.5 s\n")


def test_a_multi_batch_fetch_stops_after_repeated_failures(arxiv_server: ArxivServer) -> None:
    arxiv_server.reply(b"busy", status=503, times=None)
    ids = [f"2301.{n:05d}" for n in range(5)]
    fetcher = fast(arxiv_server, batch_size=1, retries=1)
    seen: list[tuple[int, int]] = []
    try:
        report = fetcher.fetch(ids, progress=lambda done, total: seen.append((done, total)))
    finally:
        fetcher.close()
    # Two batches of two tries each, not five batches (ten requests).
    assert arxiv_server.count == 4 and report.requests == 4
    assert set(report.failed) == set(ids)
    asked_reason = "arXiv answered HTTP 503 (after 2 tries)"
    assert [report.failed[i] for i in ids[:2]] == [asked_reason] * 2
    for arxiv_id in ids[2:]:
        assert report.failed[arxiv_id] == "not asked after 2 failed batches in a row"
    assert seen[-1] == (5, 5)  # every id settled: the progress bar completes


def test_a_silent_server_is_given_up_on_after_two_batches(arxiv_server: ArxivServer) -> None:
    arxiv_server.reply(b"", delay=30, times=None)  # accepts, never answers
    ids = [f"2301.{n:05d}" for n in range(250)]
    fetcher = fast(arxiv_server, timeout=0.2)
    try:
        report = fetcher.fetch(ids)
    finally:
        fetcher.close()
    assert arxiv_server.count == 2  # 3 batches of 100 would be 3; 10,000 ids 100
    assert len(report.failed) == 250


def test_one_bad_batch_between_good_ones_does_not_stop_the_fetch(
    arxiv_server: ArxivServer,
) -> None:
    arxiv_server.add_papers(ARXIV_DATA / "bundled.xml")
    arxiv_server.reply(b"busy", status=503)  # only the first request
    fetcher = fast(arxiv_server, batch_size=1)
    try:
        report = fetcher.fetch(["2301.00001", DPO, "2307.09288"])
    finally:
        fetcher.close()
    assert arxiv_server.count == 3
    assert list(report.failed) == ["2301.00001"]
    assert set(report.records) == {DPO, "2307.09288"}


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="give_up_after"):
        FetchSettings(give_up_after=0)
    with pytest.raises(ValueError, match="deadline"):
        FetchSettings(deadline=0)


# update --from https: the same deadline ---------------------------------------------------


def test_update_from_a_dripping_https_server_is_cut_off_at_the_deadline(
    https_server, capsys: pytest.CaptureFixture[str], db_path: Path, monkeypatch
) -> None:
    from https_server import Served

    from rlhf_reader.lists import listsource

    body = ("# A list\n\n## Papers\n\n" + "- [Paper](https://example.com/p)\n" * 100).encode()
    https_server.routes["/README.md"] = Served(body=body, drip=0.02)  # 3,000 bytes: 60 s
    monkeypatch.setattr(listsource, "DEADLINE_SECONDS", 1.0)
    url = f"{https_server.url}/README.md"
    code, out, err = run_cli(capsys, db_path, "update", "--from", url)
    assert (code, out) == (1, "")
    assert err == (
        f"rlhf-reader: error: {url}: no complete answer within 1 s; the current list stays\n"
    )
    assert not listsource.saved_list_path(db_path).exists()


def test_update_from_https_still_downloads_a_normal_answer(
    https_server, capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    from https_server import Served

    from rlhf_reader.lists import listsource

    body = b"# A list\n\n## Papers\n\n- [Paper](https://example.com/p)\n"
    https_server.routes["/README.md"] = Served(body=body)
    code, _, err = run_cli(capsys, db_path, "update", "--from", f"{https_server.url}/README.md")
    assert code == 0, err
    assert listsource.saved_list_path(db_path).read_bytes() == body


def test_update_from_https_answer_cut_short_is_refused_not_saved(
    https_server, capsys: pytest.CaptureFixture[str], db_path: Path, monkeypatch
) -> None:
    import https_server as server_module
    from https_server import Served

    body = ("# A list\n\n## Papers\n\n" + "- [Paper](https://example.com/p)\n" * 100).encode()
    https_server.routes["/README.md"] = Served(body=body, drip=0.01)
    monkeypatch.setattr(server_module, "DRIP_LIMIT", 0.3)  # the server hangs up mid-answer
    url = f"{https_server.url}/README.md"
    code, out, err = run_cli(capsys, db_path, "update", "--from", url)
    assert (code, out) == (1, "")
    assert err.startswith(f"rlhf-reader: error: {url}: the answer was cut short (")
    assert err.endswith(f" of {len(body):,} bytes); the current list stays\n")
    assert err.count("\n") == 1
