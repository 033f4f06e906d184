"""`add` by DOI, OpenReview or ACL Anthology link, or --title [--url]: offline (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arxiv_server import ArxivServer
from conftest import run_cli

from rlhf_reader.sources.paperlinks import PaperLinkError, from_title, parse_doi, parse_link


def test_parsing_links() -> None:
    assert parse_doi("https://doi.org/10.18653/V1/2023.ACL-long.1") == "10.18653/v1/2023.acl-long.1"
    assert parse_doi("doi: 10.1145/3442188.3445922") == "10.1145/3442188.3445922"
    assert parse_link("10.48550/arXiv.2305.18290") is None  # arXiv's own DOI: an arXiv id
    link = parse_link("https://openreview.net/pdf?id=HPuSIXJaa9")
    assert link is not None and link.key == "openreview.net/forum?id=HPuSIXJaa9"
    acl = parse_link("https://aclanthology.org/2023.findings-acl.5.pdf")
    assert acl is not None
    assert (acl.key, acl.year, acl.venue) == (
        "aclanthology.org/2023.findings-acl.5",
        2023,
        "Findings of ACL",
    )
    old = parse_link("https://www.aclweb.org/anthology/P19-1001/")
    assert old is not None and (old.key, old.year, old.venue) == (
        "aclanthology.org/P19-1001",
        2019,
        "ACL",
    )
    with pytest.raises(PaperLinkError, match="needs \\?id="):
        parse_link("https://openreview.net/forum")
    assert from_title("Über  Titles!").key == "title:uber-titles"
    with pytest.raises(PaperLinkError, match="arXiv link"):
        from_title("T", "https://arxiv.org/abs/2305.18290")


def show(capsys, db: Path, key: str) -> dict:
    code, out, err = run_cli(capsys, db, "show", key, "--json")
    assert code == 0, err
    return json.loads(out)


def test_add_doi_openreview_acl_and_title_offline(
    capsys, db_path: Path, arxiv_server: ArxivServer
) -> None:
    code, out, err = run_cli(
        capsys, db_path, "add", "https://doi.org/10.1145/3442188.3445922",
        "--title", "On the Dangers of Stochastic Parrots", "--year", "2021", "--tag", "ethics",
    )  # fmt: skip
    assert code == 0, err
    assert (
        out == "added doi.org/10.1145/3442188.3445922: On the Dangers of Stochastic Parrots"
        " (My additions)\n"
    )
    parrots = show(capsys, db_path, "doi.org/10.1145/3442188.3445922")
    assert parrots["section"] == ["My additions"] and parrots["tags"] == ["ethics"]
    assert parrots["year"] == 2021
    code, out, _ = run_cli(capsys, db_path, "cite", "Stochastic Parrots")
    assert "doi = {10.1145/3442188.3445922}" in out

    code, out, err = run_cli(capsys, db_path, "add", "https://openreview.net/forum?id=HPuSIXJaa9")
    assert code == 0, err
    assert out == "added openreview.net/forum?id=HPuSIXJaa9: OpenReview HPuSIXJaa9 (My additions)\n"
    code, out, err = run_cli(
        capsys, db_path, "add", "https://aclanthology.org/2023.acl-long.1/", "--title", "A Paper"
    )
    assert code == 0, err
    code, out, _ = run_cli(capsys, db_path, "cite", "aclanthology.org/2023.acl-long.1")
    assert out.startswith("@inproceedings{2023paper,") and "booktitle = {{ACL}}" in out

    code, out, err = run_cli(
        capsys, db_path, "add", "--title", "Notes on Reward Hacking", "--url",
        "https://example.org/reward-hacking",
    )  # fmt: skip
    assert code == 0 and out.startswith("added example.org/reward-hacking: Notes on Reward")
    code, out, err = run_cli(capsys, db_path, "add", "--title", "Only A Title")
    assert code == 0 and out.startswith("added title:only-a-title: Only A Title")
    code, out, err = run_cli(capsys, db_path, "add", "--title", "Only A Title", "--tag", "x")
    assert out == "title:only-a-title is already in My additions; tagged it\n"

    assert arxiv_server.count == 0  # none of it needed the network
    code, out, _ = run_cli(capsys, db_path, "list", "--section", "My additions", "--json")
    assert len(json.loads(out)) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to add"),
        (["--url", "https://example.org/x"], "nothing to add"),
        (["10.1145/x", "--url", "https://e.org"], "--url: only with --title"),
        (["--title", "T", "--url", "ftp://x"], "expected an http(s) link"),
        (["2305.18290", "--title", "T"], "not with an arXiv id"),
        (["--title", "   "], "empty title"),
    ],
)
def test_add_usage_errors(
    capsys, db_path: Path, arxiv_server: ArxivServer, args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, db_path, "add", *args)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
    assert arxiv_server.count == 0
