"""``list``'s listing from the tables (``browse._list_entries``: no row per entry unless the
query has words) against the listing from a row per entry it replaced (``browse.list_rows``,
still what ``--all-lists`` uses): the same exit code, stdout and stderr for a table of
filters, orders, queries and --json, on a generated list with a library (statuses, tags,
notes with escapes, dates read, arXiv records with abstracts and authors, an addition, a
queue) and on the hostile and opendilab lists."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rlhf_reader.cli import main
from rlhf_reader.commands import browse
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Status

TESTS = Path(__file__).resolve().parent
WORDS = (
    "reward preference policy alignment human feedback optimization language model direct "
    "self-play x-ray naïve Über critic safe offline dpo rlhf"
).split()
NOTES = ["", "plain note", "escape \x1b[31m red", "bidi \u202eevil\u202c", "multi\nline", "dpo!"]

ARGS = [
    ["--json"],
    ["--status", "read"],
    ["--status", "unread", "--json"],
    ["--tag", "dpo"],
    ["--tag", "to-read", "--json"],
    ["--section", "part 1"],
    ["--section", "zz-nothing"],
    ["--section", "zz-nothing", "--json"],
    *(["--sort=" + order] for order in ("year", "-year", "title", "-title", "status", "-status")),
    *(["--sort=" + order] for order in ("read", "-read", "added", "-added")),
    ["--sort=-year", "--json"],
    ["--sort=read", "--json", "--status", "read"],
    ["--search", "dpo"],
    ["--search", "preference", "--json"],
    ["--search", "prefrence"],
    ["--search", "optimzation -tag:dpo"],
    ["--search", "selfplay"],
    ["--search", "xray"],
    ["--search", '"reward model"'],
    ["--search", "abstract:critic"],
    ["--search", 'abstract:"safe offline"', "--sort=title"],
    ["--search", "tag:to* status:r"],
    ["--search", "-status:unread year:>=2022", "--json"],
    ["--search", "year:2020..2023 section:part"],
    ["--search", "-year:2024"],
    ["--search", "is:queued"],
    ["--search", "-is:queued"],
    ["--search", "has:pdf"],
    ["--search", "is:new"],
    ["--search", "list:nosuch"],
    ["--search", "year:abc"],
    ["--search", "2401.0000"],
    ["--search", "arXiv:2401.00003"],
    ["--status", "reading", "--tag", "rl", "--search", "policy", "--sort=-read"],
]


def make_list(path: Path, count: int, rng: random.Random) -> None:
    lines = ["# Generated", ""]
    for i in range(count):
        if i % 10 == 0:
            lines += [f"## Part {i // 10}", ""]
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize()
        if i % 17 == 5:
            title = "Σ sigma and a bell \x07 " + title
        names = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}" for _ in range(3)]
        authors = ", ".join(names[: rng.randint(0, 3)])
        year = rng.choice([", 2019", ", 2021", ", 2023", ", 2024", ""])
        key = f"2401.{i:05d}" if i % 9 else f"2401.{i - 1:05d}"  # a key listed twice
        lines.append(f"- [{title}](https://arxiv.org/abs/{key})")
        if authors or year:
            lines.append(f"  - {authors}. arXiv{year}.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_library(db: Path, list_path: Path, rng: random.Random) -> None:
    entries = load(list_path).entries
    library = Library.open(db)
    keys = list(dict.fromkeys(e.key for e in entries))
    annotations = []
    for n, key in enumerate(keys):
        if n % 5 == 4:
            continue  # no annotation: an unread row with nothing recorded
        status = list(Status)[n % 3]
        tags = tuple(rng.sample(["dpo", "to-read", "rl", "Survey"], rng.randint(0, 2)))
        read_at = f"2026-01-{n % 28 + 1:02d}T00:00:00Z" if status is Status.READ else None
        note = NOTES[n % len(NOTES)]
        annotations.append(Annotation(key, status, tags, note, "", "", read_at))
    library.put_annotations(annotations)
    records = {}
    for n, key in enumerate(keys[::4]):
        record: dict[str, object] = {"abstract": " ".join(rng.choices(WORDS, k=8))}
        if n % 2:
            record["authors"] = ["Ada Lovelace", "Alan Turing"]
        if n % 3:
            record["published"] = "2022-05-01T00:00:00Z"
        records[key] = record
    library.put_metadata(records)
    library.close()


def outputs(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("listing")
    rng = random.Random(5)
    list_path, db = folder / "list.md", folder / "library.json"
    make_list(list_path, 120, rng)
    make_library(db, list_path, rng)
    return list_path, db


def compare(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    list_path: Path,
    db: Path,
    args: list[str],
) -> None:
    argv = ["--list", str(list_path), "--db", str(db), "list", *args]
    got = outputs(capsys, argv)
    with monkeypatch.context() as patched:
        patched.setattr(browse, "_list_entries", browse.list_rows)
        expected = outputs(capsys, argv)
    assert got == expected, args


def test_the_listing_from_the_tables_prints_what_the_rows_print(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, generated: tuple
) -> None:
    list_path, db = generated
    base = ["--list", str(list_path), "--db", str(db)]
    assert main([*base, "add", "--title", "My own dpo paper", "--year", "2022"]) == 0
    assert main([*base, "queue", "add", "2401.00002", "2401.00004"]) == 0
    capsys.readouterr()
    for args in ARGS:
        compare(capsys, monkeypatch, list_path, db, args)


@pytest.mark.parametrize("name", ["hostile.md", "opendilab_awesome-RLHF_README.md"])
def test_the_same_on_real_lists(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
) -> None:
    list_path = tmp_path / name
    list_path.write_bytes((TESTS / "data" / name).read_bytes())
    db = tmp_path / "library.json"
    make_library(db, list_path, random.Random(name))
    for args in ARGS[::2]:
        compare(capsys, monkeypatch, list_path, db, args)
