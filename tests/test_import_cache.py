"""The references of an imported .bib / CSL-JSON file, kept between runs (import_cache):
a second import of the same bytes prints and writes exactly what the first did, without
reading the file again; other bytes, other code, a damaged cache or a file whose reading
printed warnings are read again."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import TEST_DATA, run_cli

from rlhf_reader.library import bibimport, import_cache
from rlhf_reader.library.bibimport import Reference, read_references

TESTS = Path(__file__).resolve().parent


def cache_files() -> list[Path]:
    import platformdirs

    folder = Path(platformdirs.user_cache_dir("rlhf-reader")) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("the file was read again")

    monkeypatch.setattr(bibimport, "_references", fail)


@pytest.mark.parametrize("name", ["zotero.bib", "scholar.bib", "zotero.csl.json"])
def test_a_second_read_of_the_same_bytes_gives_the_same_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / name
    shutil.copyfile(TEST_DATA / "import" / name, path)
    first = read_references(path)
    if name.endswith(".bib"):  # LaTeX in it: pylatexenc may print, so it is not kept
        assert not cache_files()
        path.write_text(TEST_DATA.joinpath("cite", "dpo.bib").read_text(encoding="utf-8"))
        first = read_references(path)
    assert len(cache_files()) == 1
    with monkeypatch.context() as patch:
        no_reading(patch)
        again = read_references(path)
    assert again == first
    assert all(type(ref) is Reference for ref in again[1])
    # Other bytes: read again (and kept in place of the old ones).
    path.write_bytes(path.read_bytes() + b"\n")
    assert read_references(path) == first
    assert len(cache_files()) == 1


def test_a_damaged_or_foreign_cache_is_read_past(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "z.csl.json"
    shutil.copyfile(TEST_DATA / "import" / "zotero.csl.json", path)
    first = read_references(path)
    (kept,) = cache_files()
    blob = kept.read_bytes()
    for damaged in (blob[:-5], blob.replace(b"rlhf-reader-import", b"something-else", 1), b""):
        kept.write_bytes(damaged)
        assert read_references(path) == first
    # Another version of the code: the kept file names another key.
    monkeypatch.setattr(import_cache, "code_version", lambda: "other")
    calls: list[int] = []
    real = bibimport._references
    monkeypatch.setattr(bibimport, "_references", lambda *a: calls.append(1) or real(*a))
    assert read_references(path) == first and calls == [1]


def test_a_file_whose_reading_printed_is_not_kept(
    capsys: pytest.CaptureFixture[str], db_path: Path, tmp_path: Path
) -> None:
    latex = tmp_path / "latex.bib"
    latex.write_text("@misc{a, title = {Caf\\'e}, year = {2024}}\n", encoding="utf-8")
    comment = tmp_path / "comment.bib"
    comment.write_text("@comment{x}\n@misc{b, title = {Plain}}\n", encoding="utf-8")
    for path in (latex, comment):
        first = run_cli(capsys, db_path, "import", "--dry-run", str(path))
        assert first[0] == 0
        assert not cache_files()
        assert run_cli(capsys, db_path, "import", "--dry-run", str(path)) == first


def test_import_twice_prints_and_writes_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path / "scale", 1000)
    for fmt in ("bibtex", "csl-json"):
        out = tmp_path / f"out.{fmt}"
        assert run_cli(capsys, db, "--list", str(list_path), "export", "--format", fmt,
                       "-o", str(out))[0] == 0  # fmt: skip
        results = []
        for run in range(2):
            work = tmp_path / f"{fmt}-{run}.json"
            shutil.copyfile(db, work)
            results.append(run_cli(capsys, work, "--list", str(list_path), "import",
                                   "--status-from-keywords", str(out)))  # fmt: skip
            results.append(work.read_bytes())
        assert results[0][0] == 0
        assert results[0] == results[2] and results[1] == results[3]
    assert len(cache_files()) == 2


def test_only_the_files_imported_last_are_kept(tmp_path: Path) -> None:
    source = TEST_DATA.joinpath("cite", "dpo.bib").read_text(encoding="utf-8")
    paths = []
    for n in range(import_cache.KEEP + 3):
        path = tmp_path / f"f{n}.bib"
        path.write_text(source, encoding="utf-8")
        read_references(path)
        paths.append(path)
    assert len(cache_files()) == import_cache.KEEP
    # The last one is still kept: read again without reading the file.
    kept = import_cache.load(import_cache.file_key(paths[-1].read_bytes()), str(paths[-1]))
    assert kept is not None and kept == read_references(paths[-1])


def test_many_references_are_kept_by_a_detached_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    from rlhf_reader import parallel

    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(bibimport, "DETACHED_STORE_ROWS", 0)
    parent, stored_here = os.getpid(), []
    real = import_cache.store

    def store(*args: object) -> None:
        if os.getpid() == parent:
            stored_here.append(args)
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(import_cache, "store", store)
    path = tmp_path / "dpo.bib"
    shutil.copyfile(TEST_DATA / "cite" / "dpo.bib", path)
    first = read_references(path)
    assert stored_here == []
    deadline = time.monotonic() + 30
    while not cache_files() and time.monotonic() < deadline:
        time.sleep(0.02)  # written by the detached process
    with monkeypatch.context() as patch:
        no_reading(patch)
        assert read_references(path) == first
