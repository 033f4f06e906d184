"""PDFs on disk: downloads from a local server (a real PDF, an HTML page, a 503, a stall, a
cancel), file names, opening, and the ``pdf`` and ``show`` commands."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest
from conftest import run_cli
from https_server import HttpsServer, Served
from pdf_server import TINY_PDF, Answer, PdfServer

from rlhf_reader.model import Entry, Link
from rlhf_reader.sources import pdf
from rlhf_reader.sources.pdf import (
    Cancel,
    Cancelled,
    Downloader,
    PdfError,
    PdfSettings,
    download_all,
    is_direct_pdf,
    source_url,
)
from rlhf_reader.sources.pdffiles import pdf_filename, pdf_keys

LIST = """\
# Test list

## Papers
- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
  - Rafael Rafailov. NeurIPS, 2023.
- [KTO: Model Alignment as Prospect Theoretic Optimization](https://arxiv.org/abs/2402.01306)
  - Kawin Ethayarajh. arXiv, 2024.

## Other
- [A Workshop Paper](http://127.0.0.1:9/papers/workshop.pdf)
- [Illustrating RLHF](https://huggingface.co/blog/rlhf)
"""
DPO, KTO = "2305.18290", "2402.01306"


def arxiv_entry(arxiv_id: str = DPO) -> Entry:
    return Entry(
        key=arxiv_id,
        title="A paper",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        section=("Papers",),
        arxiv_id=arxiv_id,
    )


def settings(server: PdfServer, **changes: float) -> PdfSettings:
    base = PdfSettings(template=f"{server.url}/pdf/{{id}}", timeout=2.0, interval=0.0)
    return PdfSettings(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


def leftovers(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


# --- names and URLs -----------------------------------------------------------------------------


def test_file_names_are_safe_and_distinct() -> None:
    assert pdf_filename("2305.18290") == "2305.18290.pdf"
    assert pdf_filename("hep-th/9901001") == "hep-th_9901001.pdf"
    a = pdf_filename("example.com/papers/a.pdf")
    b = pdf_filename("example.com/papers/a_pdf")
    assert a != b and "/" not in a and a.endswith(".pdf") and a.startswith("example.com_papers")
    assert "/" not in pdf_filename("../../etc/passwd") and not pdf_filename("..").startswith(".")


def test_which_links_are_pdfs() -> None:
    assert is_direct_pdf("https://example.org/files/paper.PDF")
    assert is_direct_pdf("https://openreview.net/pdf?id=abc")
    assert not is_direct_pdf("https://openreview.net/forum?id=abc")
    assert not is_direct_pdf("https://huggingface.co/blog/rlhf")
    assert not is_direct_pdf("ftp://example.org/paper.pdf")
    assert source_url(arxiv_entry(), "https://mirror.example/p/{id}") == (
        "https://mirror.example/p/2305.18290"
    )
    blog = Entry(key="b", title="t", url="https://example.org/post", section=("S",))
    assert source_url(blog) is None
    linked = Entry(
        key="b", title="t", url="https://example.org/post", section=("S",),
        links=(Link("pdf", "https://example.org/post.pdf"),),
    )  # fmt: skip
    assert source_url(linked) == "https://example.org/post.pdf"


def test_the_default_is_arxiv_and_a_bad_template_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pdf.URL_ENV)
    assert PdfSettings.from_env().template == "https://arxiv.org/pdf/{id}"
    assert PdfSettings.from_env().interval == 3.0
    monkeypatch.setenv(pdf.URL_ENV, "https://mirror.example/pdf/")
    with pytest.raises(PdfError, match=r"RLHF_READER_PDF_URL.*no \{id\}"):
        PdfSettings.from_env()
    monkeypatch.setenv(pdf.URL_ENV, "https://mirror.example/{id}")
    monkeypatch.setenv(pdf.TIMEOUT_ENV, "soon")
    with pytest.raises(PdfError, match="RLHF_READER_PDF_TIMEOUT"):
        PdfSettings.from_env()


def test_pdf_keys_is_one_listing(tmp_path: Path) -> None:
    (tmp_path / "2305.18290.pdf").write_bytes(b"%PDF-")
    (tmp_path / "hep-th_9901001.pdf").write_bytes(b"%PDF-")
    keys = ["2305.18290", "hep-th/9901001", "2402.01306"]
    assert pdf_keys(tmp_path, keys) == {"2305.18290", "hep-th/9901001"}
    assert pdf_keys(tmp_path / "missing", keys) == frozenset()


# --- downloading --------------------------------------------------------------------------------


def test_a_pdf_is_saved_once(pdf_server: PdfServer, tmp_path: Path) -> None:
    body = pdf_server.serve_pdf(f"/pdf/{DPO}")
    folder = tmp_path / "pdfs"
    downloader = Downloader(folder, settings(pdf_server))
    seen: list[tuple[int, int | None]] = []
    result = downloader.download(arxiv_entry(), progress=lambda d, t: seen.append((d, t)))
    assert result.downloaded and result.path == folder / "2305.18290.pdf"
    assert result.path.read_bytes() == body
    assert seen[-1] == (len(body), len(body))
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert leftovers(folder) == ["2305.18290.pdf"]
    again = Downloader(folder, settings(pdf_server)).download(arxiv_entry())
    assert not again.downloaded and again.path == result.path
    assert pdf_server.hits == [f"/pdf/{DPO}"]  # the second time, no request


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (
            Answer(body=b"<!DOCTYPE html><html>Please log in</html>", content_type="text/html"),
            r"a web page \(text/html\), not a PDF \(an error page or a login wall\)",
        ),
        (Answer(body=b"PK\x03\x04 zip", content_type="application/pdf"), "does not start with"),
        (Answer(status=503, body=b"busy", content_type="text/plain"), "HTTP 503"),
        (Answer(status=404, body=b"gone", content_type="text/plain"), "HTTP 404"),
        (Answer(body=b""), "empty"),
        (Answer(body=b"%PDF-1.4 short", headers={"X": "y"}, stall_after=None), None),
    ],
    ids=["html-200", "not-pdf", "503", "404", "empty", "ok"],
)
def test_only_a_pdf_is_kept(
    pdf_server: PdfServer, tmp_path: Path, answer: Answer, says: str | None
) -> None:
    pdf_server.routes[f"/pdf/{DPO}"] = answer
    folder = tmp_path / "pdfs"
    downloader = Downloader(folder, settings(pdf_server))
    if says is None:
        assert downloader.download(arxiv_entry()).path.read_bytes() == answer.body
        return
    with pytest.raises(PdfError, match=says) as caught:
        downloader.download(arxiv_entry())
    assert f"/pdf/{DPO}" in str(caught.value) and "nothing saved" in str(caught.value)
    assert leftovers(folder) == []


def test_a_stall_times_out_and_leaves_nothing(pdf_server: PdfServer, tmp_path: Path) -> None:
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(stall=True)
    pdf_server.routes[f"/pdf/{KTO}"] = Answer(body=TINY_PDF.read_bytes(), stall_after=100)
    folder = tmp_path / "pdfs"
    downloader = Downloader(folder, settings(pdf_server, timeout=0.5))
    for arxiv_id in (DPO, KTO):  # no headers; headers and part of the body
        with pytest.raises(PdfError, match=r"no complete answer within 0\.5 s"):
            downloader.download(arxiv_entry(arxiv_id))
    assert leftovers(folder) == []


def test_the_deadline_is_for_the_whole_request_not_each_read(
    pdf_server: PdfServer, tmp_path: Path
) -> None:
    """A server that sends a byte every 50 ms never lets one read wait long, but the whole
    PDF would take 30 s: the 0.5 s deadline ends it."""
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(body=TINY_PDF.read_bytes(), trickle=0.05)
    downloader = Downloader(tmp_path, settings(pdf_server, timeout=0.5))
    with pytest.raises(PdfError, match=r"no complete answer within 0\.5 s"):
        downloader.download(arxiv_entry())
    assert leftovers(tmp_path) == []


def test_https_checks_the_certificate(
    https_server: HttpsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """arXiv is https: the server's certificate is checked (here the test CA, trusted via
    SSL_CERT_FILE); without that trust, nothing is downloaded."""
    https_server.routes[f"/pdf/{DPO}"] = Served(
        body=TINY_PDF.read_bytes(), content_type="application/pdf"
    )
    https = PdfSettings(template=f"{https_server.url}/pdf/{{id}}", timeout=5.0, interval=0.0)
    result = Downloader(tmp_path / "pdfs", https).download(arxiv_entry())
    assert result.downloaded and result.path.read_bytes() == TINY_PDF.read_bytes()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))
    with pytest.raises(PdfError, match="certificate verify failed"):
        Downloader(tmp_path / "pdfs", https).download(arxiv_entry(), force=True)
    assert leftovers(tmp_path / "pdfs") == ["2305.18290.pdf"]


def test_a_redirect_from_https_to_http_is_refused(
    https_server: HttpsServer, pdf_server: PdfServer, tmp_path: Path
) -> None:
    pdf_server.serve_pdf("/plain.pdf")
    https_server.routes[f"/pdf/{DPO}"] = Served(
        status=302, headers={"Location": f"{pdf_server.url}/plain.pdf"}
    )
    https = PdfSettings(template=f"{https_server.url}/pdf/{{id}}", timeout=5.0, interval=0.0)
    with pytest.raises(PdfError, match="redirected to a non-https URL"):
        Downloader(tmp_path / "pdfs", https).download(arxiv_entry())
    assert pdf_server.hits == [] and leftovers(tmp_path / "pdfs") == []


def test_too_large_is_refused(pdf_server: PdfServer, tmp_path: Path) -> None:
    pdf_server.serve_pdf(f"/pdf/{DPO}")
    downloader = Downloader(tmp_path, settings(pdf_server, max_bytes=100))
    with pytest.raises(PdfError, match="larger than"):
        downloader.download(arxiv_entry())
    assert leftovers(tmp_path) == []


def test_cancel_between_chunks_leaves_no_partial_file(
    pdf_server: PdfServer, tmp_path: Path
) -> None:
    body = b"%PDF-1.4\n" + b"x" * (pdf.CHUNK * 4)
    pdf_server.serve_pdf(f"/pdf/{DPO}", body)
    cancel = Cancel()
    downloader = Downloader(tmp_path, settings(pdf_server))
    with pytest.raises(Cancelled, match="cancelled; nothing saved"):
        downloader.download(arxiv_entry(), cancel=cancel, progress=lambda d, t: cancel.cancel())
    assert leftovers(tmp_path) == []


def test_cancel_wakes_a_blocked_read(pdf_server: PdfServer, tmp_path: Path) -> None:
    """The server sends part of the body and stalls: cancelling from another thread (the
    TUI's esc) ends the blocked read at once, long before the 30 s deadline."""
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(body=TINY_PDF.read_bytes(), stall_after=50)
    cancel = Cancel()
    downloader = Downloader(tmp_path, settings(pdf_server, timeout=30.0))

    def started(done: int, total: int | None) -> None:
        threading.Thread(target=cancel.cancel).start()

    with pytest.raises(Cancelled):
        downloader.download(arxiv_entry(), cancel=cancel, progress=started)
    assert leftovers(tmp_path) == []


def test_a_check_callback_cancels(pdf_server: PdfServer, tmp_path: Path) -> None:
    pdf_server.serve_pdf(f"/pdf/{DPO}")
    downloader = Downloader(tmp_path, settings(pdf_server))
    with pytest.raises(Cancelled):
        downloader.download(arxiv_entry(), cancel=Cancel(check=lambda: True))
    assert pdf_server.hits == [] and leftovers(tmp_path) == []


def test_redirects_are_followed(pdf_server: PdfServer, tmp_path: Path) -> None:
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(status=301, headers={"Location": "/real.pdf"})
    pdf_server.serve_pdf("/real.pdf")
    result = Downloader(tmp_path, settings(pdf_server)).download(arxiv_entry())
    assert result.path.read_bytes() == TINY_PDF.read_bytes()
    assert pdf_server.hits == [f"/pdf/{DPO}", "/real.pdf"]


def test_a_refused_connection_is_one_message(tmp_path: Path) -> None:
    offline = PdfSettings(template="http://127.0.0.1:9/pdf/{id}", interval=0.0)
    downloader = Downloader(tmp_path, offline)
    with pytest.raises(PdfError, match="cannot connect"):
        downloader.download(arxiv_entry())


def test_a_direct_pdf_link(pdf_server: PdfServer, tmp_path: Path) -> None:
    pdf_server.serve_pdf("/papers/workshop.pdf")
    url = f"{pdf_server.url}/papers/workshop.pdf"
    entry = Entry(key=url.split("://")[1], title="W", url=url, section=("Other",))
    result = Downloader(tmp_path, settings(pdf_server)).download(entry)
    assert result.downloaded and result.url == url
    blog = Entry(key="huggingface.co/blog/rlhf", title="B", url="https://x.org/b", section=("S",))
    with pytest.raises(PdfError, match="no PDF to download"):
        Downloader(tmp_path, settings(pdf_server)).download(blog)


def test_downloads_to_one_host_are_spaced(pdf_server: PdfServer, tmp_path: Path) -> None:
    """The wait before a request is the interval since the last request to that host (a
    fake clock: no sleeping); a PDF on disk costs no wait."""
    for arxiv_id in (DPO, KTO):
        pdf_server.serve_pdf(f"/pdf/{arxiv_id}")
    now = [100.0]
    waits: list[float] = []

    class Clocked(Cancel):
        def wait(self, seconds: float) -> bool:
            waits.append(round(seconds, 3))
            now[0] += seconds
            return False

    downloader = Downloader(tmp_path, settings(pdf_server, interval=3.0), clock=lambda: now[0])
    cancel = Clocked()
    entries = [arxiv_entry(DPO), arxiv_entry(DPO), arxiv_entry(KTO)]
    results = download_all(downloader, entries, cancel=cancel)
    assert [r.downloaded for _, r in results] == [True, False, True]  # type: ignore[union-attr]
    assert waits == [3.0]
    now[0] += 10
    downloader.download(arxiv_entry(DPO), force=True, cancel=cancel)
    assert waits == [3.0]  # 10 s later: no wait


def test_download_all_goes_on_after_a_failure(pdf_server: PdfServer, tmp_path: Path) -> None:
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(status=503, body=b"busy")
    pdf_server.serve_pdf(f"/pdf/{KTO}")
    results = download_all(
        Downloader(tmp_path, settings(pdf_server)), [arxiv_entry(DPO), arxiv_entry(KTO)]
    )
    assert isinstance(results[0][1], PdfError) and not isinstance(results[1][1], PdfError)


def test_download_all_stops_asking_a_failing_host(tmp_path: Path) -> None:
    # A server that is down would cost each paper of 'pdf --all' its whole deadline.
    offline = PdfSettings(template="http://127.0.0.1:9/pdf/{id}", interval=0.0)
    downloader = Downloader(tmp_path, offline)
    ids = [f"2401.{n:05d}" for n in range(1, 8)]
    results = download_all(downloader, [arxiv_entry(i) for i in ids])
    assert len(results) == len(ids) and all(isinstance(r, PdfError) for _, r in results)
    messages = [str(r) for _, r in results]
    assert all("cannot connect" in m for m in messages[: pdf.FAILURES_IN_A_ROW])
    assert all(
        m == f"not asked: {pdf.FAILURES_IN_A_ROW} downloads in a row from 127.0.0.1 failed"
        for m in messages[pdf.FAILURES_IN_A_ROW :]
    )


# --- opening ------------------------------------------------------------------------------------


def test_open_without_a_viewer_says_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path))
    message = pdf.open_pdf(tmp_path / "x.pdf")
    assert message is not None and "no PDF viewer" in message and str(tmp_path / "x.pdf") in message


def test_open_runs_the_viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "opened.txt"
    viewer = tmp_path / "viewer"
    viewer.write_text(f'#!/bin/sh\nprintf %s "$1" > {record}\n')
    viewer.chmod(0o755)
    monkeypatch.setenv(pdf.VIEWER_ENV, str(viewer))
    assert pdf.open_pdf(tmp_path / "a b.pdf") is None
    assert record.read_text() == str(tmp_path / "a b.pdf")
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setenv(pdf.VIEWER_ENV, str(failing))
    message = pdf.open_pdf(tmp_path / "a.pdf")
    assert message is not None and "exit status 3" in message


# --- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def listed(tmp_path: Path) -> Path:
    path = tmp_path / "list.md"
    path.write_text(LIST, encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], db: Path, listed: Path, *args: str):
    return run_cli(capsys, db, "--list", str(listed), *args)


def test_cli_pdf_saves_once_and_show_gives_the_path(
    capsys: pytest.CaptureFixture[str], db_path: Path, listed: Path, pdf_server: PdfServer
) -> None:
    pdf_server.serve_pdf(f"/pdf/{DPO}")
    folder = db_path.parent / "pdfs"
    code, out, err = cli(capsys, db_path, listed, "pdf", DPO)
    assert (code, err) == (0, "")
    assert out.startswith(f"saved {DPO}: {folder / '2305.18290.pdf'}")
    code, out, _ = cli(capsys, db_path, listed, "pdf", "direct preference", "--path")
    assert (code, out) == (0, f"{folder / '2305.18290.pdf'}\n")
    assert pdf_server.hits == [f"/pdf/{DPO}"]  # the second `pdf`: no request

    code, out, _ = cli(capsys, db_path, listed, "show", DPO)
    assert f"pdf  {folder / '2305.18290.pdf'}" in out
    code, out, _ = cli(capsys, db_path, listed, "show", DPO, "--json")
    assert json.loads(out)["pdf"] == str(folder / "2305.18290.pdf")
    code, out, _ = cli(capsys, db_path, listed, "show", KTO, "--json")
    assert json.loads(out)["pdf"] is None


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Answer(body=b"<html>sign in</html>", content_type="text/html"), "web page"),
        (Answer(status=503, body=b"busy", content_type="text/plain"), "HTTP 503"),
        (Answer(stall=True), "no complete answer within 2 s"),
    ],
    ids=["html", "503", "stall"],
)
def test_cli_pdf_refusals(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    listed: Path,
    pdf_server: PdfServer,
    answer: Answer,
    says: str,
) -> None:
    pdf_server.routes[f"/pdf/{DPO}"] = answer
    code, out, err = cli(capsys, db_path, listed, "pdf", DPO)
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and says in err and "nothing saved" in err
    assert leftovers(db_path.parent / "pdfs") == []


def test_cli_pdf_all_in_a_section(
    capsys: pytest.CaptureFixture[str], db_path: Path, listed: Path, pdf_server: PdfServer
) -> None:
    pdf_server.serve_pdf(f"/pdf/{DPO}")
    pdf_server.routes[f"/pdf/{KTO}"] = Answer(status=503, body=b"busy")
    code, out, err = cli(capsys, db_path, listed, "pdf", "--all", "--section", "papers")
    assert code == 1
    assert out.splitlines()[-1] == "1 downloaded, 0 already on disk, 1 failed"
    assert f"rlhf-reader: error: {KTO}" in err and "HTTP 503" in err
    pdf_server.serve_pdf(f"/pdf/{KTO}")
    code, out, err = cli(capsys, db_path, listed, "pdf", "--all", "--section", "papers")
    assert code == 0 and out.splitlines()[-1] == "1 downloaded, 1 already on disk, 0 failed"
    assert sorted(pdf_server.hits) == sorted([f"/pdf/{DPO}", f"/pdf/{KTO}", f"/pdf/{KTO}"])


def test_cli_pdf_all_skips_entries_without_a_pdf(
    capsys: pytest.CaptureFixture[str], db_path: Path, listed: Path, pdf_server: PdfServer
) -> None:
    code, _out, err = cli(capsys, db_path, listed, "pdf", "--all", "--section", "other")
    # the workshop PDF points at a closed port; the blog has no PDF link
    assert code == 1 and "1 entries have no PDF link" in err and "cannot connect" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["pdf"],
        ["pdf", DPO, "--all"],
        ["pdf", DPO, "--section", "x"],
        ["pdf", "--all", "--open"],
    ],
)
def test_cli_pdf_usage_errors(
    capsys: pytest.CaptureFixture[str], db_path: Path, listed: Path, argv: list[str]
) -> None:
    code, _out, err = cli(capsys, db_path, listed, *argv)
    assert code == 2 and err.startswith("rlhf-reader: error: pdf:") and len(err.splitlines()) == 1


def test_cli_pdf_open(
    capsys: pytest.CaptureFixture[str],
    db_path: Path,
    listed: Path,
    pdf_server: PdfServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    pdf_server.serve_pdf(f"/pdf/{DPO}")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    code, out, err = cli(capsys, db_path, listed, "pdf", DPO, "--open")
    path = db_path.parent / "pdfs" / "2305.18290.pdf"
    assert code == 1 and path.is_file() and out.startswith(f"saved {DPO}")
    assert "no PDF viewer found" in err and str(path) in err
    record = tmp_path / "opened.txt"
    viewer = tmp_path / "viewer"
    viewer.write_text(f'#!/bin/sh\nprintf %s "$1" > {record}\n')
    viewer.chmod(0o755)
    monkeypatch.setenv(pdf.VIEWER_ENV, str(viewer))
    code, _out, err = cli(capsys, db_path, listed, "pdf", DPO, "--open")
    assert (code, err) == (0, "") and record.read_text() == str(path)
