"""``rlhf-reader update``: fetching a newer list over https (a local server with a test CA)
or from a file, the diff, annotations surviving, "new" marks, and every refusal."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST
from https_server import HttpsServer, Served

from rlhf_reader.cli import main
from rlhf_reader.library.store import Library
from rlhf_reader.lists import listsource, whatsnew
from rlhf_reader.lists.catalog import parse
from rlhf_reader.lists.listdiff import diff
from rlhf_reader.model import Status
from rlhf_reader.tags import TagEdit

BUNDLED = BUNDLED_LIST.read_text(encoding="utf-8")

# Edits of the bundled list, as upstream might make them.
RENAMED_OLD = "Self-Rewarding Language Models"
RENAMED_NEW = "Self-Rewarding Language Models (v2)"
REMOVED_LINE = "- [OpenRLHF](https://github.com/OpenLLMAI/OpenRLHF)"
MOVED_LINE = "- [GPT-4 Technical Report](https://arxiv.org/abs/2303.08774)"
ADDED = [
    ("2501.12948", "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via RL"),
    ("2502.00001", "A Paper Added Upstream"),
]
DUPLICATE_LINE = "- [Direct Preference Optimization (again)](https://arxiv.org/abs/2305.18290)"


def edited_list() -> str:
    text = BUNDLED.replace(f"[{RENAMED_OLD}]", f"[{RENAMED_NEW}]")
    assert REMOVED_LINE in text and MOVED_LINE in text
    text = text.replace(REMOVED_LINE + "\n", "")
    text = text.replace(MOVED_LINE + "\n", "")
    added = "".join(f"- [{title}](https://arxiv.org/abs/{key})\n" for key, title in ADDED)
    text = text.replace("### Review/Survey\n", "### Review/Survey\n" + added + MOVED_LINE + "\n")
    text = text.replace("### Datasets\n", "### Datasets\n" + DUPLICATE_LINE + "\n")
    return text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def annotated_db(db_path: Path) -> Path:
    """A library with annotations on entries that the edit renames, removes and moves."""
    library = Library.open(db_path)
    library.set_status(["2401.10020"], Status.READ)  # renamed upstream
    library.set_note("github.com/OpenLLMAI/OpenRLHF", "we use this at work")  # removed
    library.change_tags(["2303.08774"], TagEdit.of(add=["report"]))  # moved
    library.set_status(["2305.18290"], Status.READING)  # gets a duplicate
    library.close()
    return db_path


def annotations_of(db_path: Path) -> dict[str, dict]:
    library = Library.open(db_path)
    try:
        return {key: ann.to_dict() for key, ann in library.annotations().items()}
    finally:
        library.close()


def test_diff_of_edited_list() -> None:
    result = diff(parse(BUNDLED), parse(edited_list()))
    assert sorted(e.key for e in result.added) == sorted(key for key, _ in ADDED)
    assert [e.key for e in result.removed] == ["github.com/OpenLLMAI/OpenRLHF"]
    changes = {c.key: c.fields for c in result.changed}
    assert changes == {"2401.10020": ("title",), "2303.08774": ("section",)}
    assert result.relisted == {"2305.18290": (1, 2)}
    assert result.summary() == "2 added, 1 removed, 2 changed, 1 now listed more than once"


def test_diff_of_same_list_is_empty() -> None:
    assert diff(parse(BUNDLED), parse(BUNDLED)).is_empty


def test_update_over_https_keeps_every_annotation(
    https_server: HttpsServer, annotated_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = edited_list().encode()
    https_server.routes["/README.md"] = Served(body=body)
    before = annotations_of(annotated_db)
    url = f"{https_server.url}/README.md"

    code, out, err = run(capsys, "--db", str(annotated_db), "update", "--from", url)

    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "2 added, 1 removed, 2 changed, 1 now listed more than once"
    assert f"+ {ADDED[0][1]}  [{ADDED[0][0]}] (Papers › Review/Survey)" in out
    assert "- OpenRLHF  [github.com/OpenLLMAI/OpenRLHF]" in out
    assert f"    title: {RENAMED_OLD} → {RENAMED_NEW}" in out
    assert "    section: Blogs/Talks/Reports › Reports → Papers › Review/Survey" in out
    saved = annotated_db.parent / "list.md"
    assert saved.read_bytes() == body
    provenance = json.loads((annotated_db.parent / "list.source.json").read_text())
    assert provenance["origin"] == url and provenance["size"] == len(body)
    assert annotations_of(annotated_db) == before

    # The saved list is now the default list; the new entries are marked new.
    code, out, _ = run(capsys, "--db", str(annotated_db), "locate")
    assert f"list     {saved}" in out
    library = Library.open(annotated_db)
    assert set(whatsnew.new_keys(library)) == {key for key, _ in ADDED}
    library.close()

    # The removed entry's note is still shown, under "No longer in the list".
    code, out, _ = run(capsys, "--db", str(annotated_db), "list", "--json")
    records = json.loads(out)
    gone = [r for r in records if r["section"] == [whatsnew.RETIRED_SECTION]]
    assert [(r["key"], r["title"], r["note"]) for r in gone] == [
        ("github.com/OpenLLMAI/OpenRLHF", "OpenRLHF", "we use this at work")
    ]
    renamed = next(r for r in records if r["key"] == "2401.10020")
    assert (renamed["title"], renamed["status"]) == (RENAMED_NEW, "read")

    # A second update with no --from goes back to where the list came from.
    https_server.hits.clear()
    code, out, _ = run(capsys, "--db", str(annotated_db), "update", "--dry-run")
    assert code == 0 and https_server.hits == ["/README.md"]
    assert out.splitlines()[0] == "0 added, 0 removed, 0 changed"


def test_seen_clears_new_marks(tmp_path: Path, db_path: Path, capsys) -> None:
    source = tmp_path / "v2.md"
    source.write_text(edited_list(), encoding="utf-8")
    assert run(capsys, "--db", str(db_path), "update", "--from", str(source))[0] == 0
    code, out, _ = run(capsys, "--db", str(db_path), "seen", ADDED[0][0])
    assert (code, out) == (0, "1 entry no longer marked new\n")
    code, out, _ = run(capsys, "--db", str(db_path), "seen", "--all")
    assert (code, out) == (0, "1 entry no longer marked new\n")
    code, _, err = run(capsys, "--db", str(db_path), "seen")
    assert code == 2 and err == "rlhf-reader: error: give KEY... or --all\n"
    code, _, err = run(capsys, "--db", str(db_path), "seen", "--all", ADDED[0][0])
    assert code == 2 and err == "rlhf-reader: error: give KEY... or --all, not both\n"


def test_dry_run_saves_nothing(tmp_path: Path, annotated_db: Path, capsys) -> None:
    source = tmp_path / "v2.md"
    source.write_text(edited_list(), encoding="utf-8")
    before = annotated_db.read_bytes()
    args = ("--db", str(annotated_db), "update", "--from", str(source), "--dry-run")
    code, out, _ = run(capsys, *args)
    assert code == 0 and out.rstrip().endswith("dry run: nothing saved")
    assert not (annotated_db.parent / "list.md").exists()
    assert annotated_db.read_bytes() == before


def test_reset_goes_back_to_bundled_list(tmp_path: Path, db_path: Path, capsys) -> None:
    source = tmp_path / "v2.md"
    source.write_text(edited_list(), encoding="utf-8")
    assert run(capsys, "--db", str(db_path), "update", "--from", str(source))[0] == 0
    code, out, _ = run(capsys, "--db", str(db_path), "update", "--reset")
    assert (code, out) == (0, "back to the bundled list\n")
    assert not (db_path.parent / "list.md").exists()
    _, out, _ = run(capsys, "--db", str(db_path), "locate")
    assert f"list     {BUNDLED_LIST}" in out


def test_explicit_list_is_updated_in_place(tmp_path: Path, db_path: Path, capsys) -> None:
    mine = tmp_path / "mine.md"
    mine.write_text(BUNDLED, encoding="utf-8")
    source = tmp_path / "upstream.md"
    source.write_text(edited_list(), encoding="utf-8")
    base = ("--db", str(db_path), "--list", str(mine), "update")
    code, _, err = run(capsys, *base)
    assert code == 1 and "no source recorded for this list" in err
    assert run(capsys, *base, "--from", str(source))[0] == 0
    assert mine.read_text(encoding="utf-8") == edited_list()
    assert (tmp_path / "mine.md.bak").read_text(encoding="utf-8") == BUNDLED
    # The origin is recorded beside the list and used next time.
    code, out, _ = run(capsys, *base, "--dry-run")
    assert code == 0 and out.startswith("0 added")


def test_a_symlinked_list_is_updated_through_the_link(
    tmp_path: Path, db_path: Path, capsys
) -> None:
    # The list lives elsewhere (a git checkout) and is linked: the link must stay a link.
    real = tmp_path / "checkout" / "README.md"
    real.parent.mkdir()
    real.write_text(BUNDLED, encoding="utf-8")
    link = tmp_path / "mine.md"
    link.symlink_to(real)
    source = tmp_path / "upstream.md"
    source.write_text(edited_list(), encoding="utf-8")
    argv = ("--db", str(db_path), "--list", str(link), "update", "--from", str(source))
    assert run(capsys, *argv)[0] == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8") == edited_list()


@pytest.mark.parametrize(
    ("served", "message"),
    [
        (Served(status=500, body=b"oops"), "the server answered HTTP 500"),
        (Served(status=404, body=b"nope"), "the server answered HTTP 404"),
        (Served(body=b"<html><body>Hello</body></html>"), "no entries found"),
        (Served(body=b"\xff\xfe not utf-8"), "not UTF-8"),
        (Served(body=b"x" * (listsource.MAX_BYTES + 1)), "larger than the 5 MB"),
    ],
)
def test_refusals_leave_the_current_list(
    https_server: HttpsServer, annotated_db: Path, served: Served, message: str, capsys
) -> None:
    https_server.routes["/list.md"] = served
    before = annotated_db.read_bytes()
    url = f"{https_server.url}/list.md"
    code, out, err = run(capsys, "--db", str(annotated_db), "update", "--from", url)
    assert code == 1 and out == ""
    assert err.startswith("rlhf-reader: error: ") and message in err
    assert err.rstrip().endswith("the current list stays") and err.count("\n") == 1
    assert not (annotated_db.parent / "list.md").exists()
    assert annotated_db.read_bytes() == before


def test_timeout(https_server: HttpsServer, monkeypatch, db_path: Path, capsys) -> None:
    https_server.routes["/slow.md"] = Served(body=BUNDLED.encode(), delay=3)
    monkeypatch.setattr(listsource, "TIMEOUT_SECONDS", 0.5)
    url = f"{https_server.url}/slow.md"
    code, _, err = run(capsys, "--db", str(db_path), "update", "--from", url)
    assert code == 1 and "no answer within 0.5 s" in err


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("http://example.org/README.md", "only https URLs or local files are accepted, not http"),
        ("ftp://example.org/README.md", "only https URLs or local files are accepted, not ftp"),
        ("/no/such/list.md", "/no/such/list.md: no such file"),
    ],
)
def test_refused_origins(origin: str, message: str, db_path: Path, capsys) -> None:
    code, _, err = run(capsys, "--db", str(db_path), "update", "--from", origin)
    assert code == 1 and message in err


def test_connection_refused(db_path: Path, capsys) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"https://127.0.0.1:{port}/x"
    code, _, err = run(capsys, "--db", str(db_path), "update", "--from", url)
    assert code == 1 and "cannot connect" in err


def test_local_source_is_read_only_up_to_the_cap(db_path: Path, capsys) -> None:
    """/dev/zero reports size 0 and never ends: refused before a byte is read (issue 12)."""
    code, _, err = run(capsys, "--db", str(db_path), "update", "--from", "/dev/zero")
    assert code == 1 and "/dev/zero: cannot read: not a regular file (a character device)" in err


def test_odd_whats_new_settings_do_not_break_commands(db_path: Path, capsys) -> None:
    library = Library.open(db_path)
    library.set_meta(whatsnew.RETIRED_META, {"a": 5, "b": "x", "c": None})
    library.set_meta(whatsnew.NEW_META, ["not", "a", "mapping"])
    library.close()
    code, out, err = run(capsys, "--db", str(db_path), "list", "--json")
    assert (code, err) == (0, "") and len(json.loads(out)) == 100


def test_reset_is_refused_with_dry_run_or_an_explicit_list(tmp_path, db_path, capsys) -> None:
    code, _, err = run(capsys, "--db", str(db_path), "update", "--reset", "--dry-run")
    assert code == 2 and "--reset and --dry-run do not go together" in err
    mine = tmp_path / "mine.md"
    mine.write_text(BUNDLED, encoding="utf-8")
    code, _, err = run(capsys, "--db", str(db_path), "--list", str(mine), "update", "--reset")
    assert code == 2 and "--reset applies to the default list" in err


def test_default_update_goes_upstream_which_tests_replace(db_path: Path, capsys) -> None:
    code, _, err = run(capsys, "--db", str(db_path), "update", "--dry-run")
    assert code == 1 and "https://127.0.0.1:9/awesome-rlhf/README.md: cannot connect" in err
