"""Several lists in one library (issue 14): the registry, one annotation per paper across
lists, per-list updates and what's-new marks, and a library made before lists existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST, TEST_DATA
from conftest import run_cli as cli
from https_server import HttpsServer, Served

from rlhf_reader.library.store import Library
from rlhf_reader.lists import listsource, registry, whatsnew

OPENDILAB = TEST_DATA / "opendilab_awesome-RLHF_README.md"
RRHF = "2304.05302"  # in both RLHF lists


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "library.json"


@pytest.fixture
def two_lists(db: Path, tmp_path: Path, capsys) -> Path:
    source = tmp_path / "opendilab.md"
    source.write_bytes(OPENDILAB.read_bytes())
    code, out, err = cli(capsys, db, "lists", "add", "opendilab", str(source))
    assert code == 0, err
    assert out.startswith("added opendilab: ")
    return source


def as_json(capsys, db: Path, *args: str) -> object:
    code, out, err = cli(capsys, db, *args)
    assert code == 0, err
    return json.loads(out)


def test_the_bundled_list_is_registered_from_the_start(db: Path, capsys) -> None:
    code, out, _ = cli(capsys, db, "lists")
    assert code == 0
    first = out.splitlines()[1]
    assert first.startswith("* awesome-rlhf") and "95" in first and "shipped" in first
    assert "1 list; 95 distinct papers, 0 read" in out


def test_a_paper_read_in_one_list_is_read_in_the_other(db: Path, two_lists: Path, capsys) -> None:
    _, out, _ = cli(capsys, db, "lists")
    assert "opendilab" in out and str(two_lists) in out
    assert cli(capsys, db, "mark", RRHF, "read")[0] == 0  # through the bundled list
    rows = as_json(capsys, db, "--list", "opendilab", "list", "--json")
    assert isinstance(rows, list)
    (rrhf,) = [r for r in rows if r["key"] == RRHF]
    assert rrhf["status"] == "read"
    stats = as_json(capsys, db, "--list", "opendilab", "stats", "--json")
    assert isinstance(stats, dict) and stats["overall"]["read"] == 1

    shown = as_json(capsys, db, "show", RRHF, "--json")
    assert isinstance(shown, dict)
    assert [a["list"] for a in shown["also_in"]] == ["opendilab"]
    _, out, _ = cli(capsys, db, "show", RRHF)
    assert "also in  opendilab › " in out
    _, out, _ = cli(capsys, db, "--list", "opendilab", "show", RRHF)
    assert "also in  awesome-rlhf › " in out


def test_all_lists_count_each_paper_once(db: Path, two_lists: Path, capsys) -> None:
    cli(capsys, db, "mark", RRHF, "read")
    rows = as_json(capsys, db, "list", "--all-lists", "--json")
    assert isinstance(rows, list)
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys))
    (rrhf,) = [r for r in rows if r["key"] == RRHF]
    assert rrhf["lists"] == ["awesome-rlhf", "opendilab"]
    stats = as_json(capsys, db, "stats", "--all-lists", "--json")
    assert isinstance(stats, dict)
    assert stats["overall"]["total"] == len(set(keys)) and stats["overall"]["read"] == 1
    per_list = {s["title"]: s for s in stats["sections"] if s["level"] == 1}
    assert per_list["awesome-rlhf"]["total"] == 95 and per_list["awesome-rlhf"]["read"] == 1
    assert per_list["opendilab"]["read"] == 1
    # a paper in both lists makes the overall smaller than the sum
    assert (
        stats["overall"]["total"]
        < per_list["awesome-rlhf"]["total"] + per_list["opendilab"]["total"]
    )


def test_removing_a_list_keeps_every_annotation(db: Path, two_lists: Path, capsys) -> None:
    cli(capsys, db, "--list", "opendilab", "tag", RRHF, "+both")
    before = Library.open(db).annotations()
    saved = db.parent / "lists" / "opendilab.md"
    assert saved.is_file()
    code, out, _ = cli(capsys, db, "lists", "remove", "opendilab")
    assert code == 0 and "every annotation stays" in out
    assert Library.open(db).annotations() == before
    assert not saved.exists()
    code, _, err = cli(capsys, db, "--list", "opendilab", "list")
    assert code == 1 and "opendilab" in err


def test_rename_moves_the_file_and_the_marks(db: Path, two_lists: Path, capsys) -> None:
    lib = Library.open(db)
    lib.set_meta("whats_new:opendilab", {RRHF: "2026-11-30"})
    code, out, _ = cli(capsys, db, "lists", "rename", "opendilab", "odl")
    assert code == 0 and "renamed opendilab to odl" in out
    assert whatsnew.new_keys(Library.open(db), "odl") == {RRHF: "2026-11-30"}
    assert whatsnew.new_keys(Library.open(db), "opendilab") == {}
    assert cli(capsys, db, "--list", "odl", "seen", "--all")[0] == 0
    assert whatsnew.new_keys(Library.open(db), "odl") == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("lists", "add", "Bad Name!", "x.md"), "list name 'Bad Name!'"),
        (("lists", "add", "awesome-rlhf", "x.md"), "registered already"),
        (("lists", "remove", "awesome-rlhf"), "bundled list"),
        (("lists", "rename", "nope", "other"), "no list named 'nope'"),
        (("lists", "add", "x", "/nonexistent/list.md"), "no such file"),
        (("lists", "add", "x", "http://example.org/list.md"), "only https"),
    ],
)
def test_refusals_are_one_line(db: Path, capsys, args: tuple[str, ...], message: str) -> None:
    code, _, err = cli(capsys, db, *args)
    assert code == 1 and message in err and err.count("\n") == 1
    assert Library.open(db).get_meta(registry.META) in (None, {})


def test_a_file_that_is_no_list_is_not_added(db: Path, tmp_path: Path, capsys) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Just a note\n\nNo links here.\n")
    code, _, err = cli(capsys, db, "lists", "add", "note", str(note))
    assert code == 1 and "no entries found" in err
    assert "note" not in registry.registered(Library.open(db), db)


def test_add_over_https_and_update_all_reports_per_list(
    db: Path, https_server: HttpsServer, capsys
) -> None:
    text = OPENDILAB.read_text(encoding="utf-8")
    https_server.routes["/odl.md"] = Served(body=text.encode())
    url = f"{https_server.url}/odl.md"
    assert cli(capsys, db, "lists", "add", "opendilab", url)[0] == 0
    # upstream adds a paper; the bundled list's source (upstream) is unreachable in tests
    added = "- [A Paper Added To opendilab](https://arxiv.org/abs/2509.00001)\n"
    marker = "## Papers\n"
    assert marker in text
    https_server.routes["/odl.md"] = Served(body=text.replace(marker, marker + added, 1).encode())
    bundled_before = listsource.saved_list_path(db).exists()
    code, out, err = cli(capsys, db, "update", "--all")
    assert code == 1
    assert "== awesome-rlhf" in out and "== opendilab" in out
    assert "rlhf-reader: error: awesome-rlhf: " in err
    assert "1 of 2 lists updated; 1 failed" in out
    assert listsource.saved_list_path(db).exists() == bundled_before  # left as it was
    # the new paper is new in opendilab, not in the bundled list
    lib = Library.open(db)
    assert "2509.00001" in whatsnew.new_keys(lib, "opendilab")
    assert "2509.00001" not in whatsnew.new_keys(lib)


def test_update_one_list_by_name(db: Path, two_lists: Path, capsys) -> None:
    two_lists.write_text(
        two_lists.read_text(encoding="utf-8")
        + "\n## Extra\n\n- [New](https://arxiv.org/abs/2509.00002)\n"
    )
    code, _, err = cli(capsys, db, "update", "opendilab")
    assert code == 0, err
    assert "2509.00002" in whatsnew.new_keys(Library.open(db), "opendilab")
    saved = db.parent / "lists" / "opendilab.md"
    assert "2509.00002" in saved.read_text(encoding="utf-8")


def test_a_library_made_before_lists_opens_unchanged(db: Path, tmp_path: Path, capsys) -> None:
    # An old library: annotations, new marks, and a list saved by 'update' beside it.
    lib = Library.open(db)
    lib.set_status(["2305.18290"], "read")
    lib.set_meta("whats_new", {"2305.18290": "2026-10-01"})
    saved = listsource.saved_list_path(db)
    saved.write_bytes(
        BUNDLED_LIST.read_bytes().replace(b"# Awesome RLHF", b"# Awesome RLHF (saved)", 1)
    )
    before = db.read_bytes()
    code, out, _ = cli(capsys, db, "lists")
    assert code == 0 and out.splitlines()[1].startswith("* awesome-rlhf")
    code, out, _ = cli(capsys, db, "locate")
    assert str(saved) in out
    assert as_json(capsys, db, "stats", "--json")["overall"]["read"] == 1  # type: ignore[index]
    as_json(capsys, db, "list", "--json")
    assert db.read_bytes() == before  # reading changed nothing
    assert registry.registered(Library.open(db), db)["awesome-rlhf"].path == saved
