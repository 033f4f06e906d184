"""The titles in an import's report: for a few changed papers looked up by key in the list's
parse cache (no catalog built), for many read from the whole list — the same lines either
way, a key's first listing when the list names it twice, the list's parse notes said once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from rlhf_reader.commands import cite
from rlhf_reader.lists import catalog_cache

LIST = """# Papers

## Optimisation

- [First Title of the Paper](https://arxiv.org/abs/2305.18290)
- [Another Paper](https://arxiv.org/abs/2402.01306)

## Again

- [Second Title of the Paper](https://arxiv.org/abs/2305.18290)
- [A Third](https://arxiv.org/abs/2310.19852)
"""


def _import(
    capsys: pytest.CaptureFixture[str], root: Path, listed: Path
) -> list[tuple[int, str, str]]:
    """b marks two papers, exports; a imports it (dry run, for real); every output."""
    a, b, backup = root / "a.json", root / "b.json", root / "backup.json"
    root.mkdir()
    outs = [run_cli(capsys, a, "--list", str(listed), "mark", "2310.19852", "read")]
    outs.append(run_cli(capsys, b, "--list", str(listed), "mark", "2305.18290", "reading"))
    outs.append(run_cli(capsys, b, "--list", str(listed), "mark", "2402.01306", "read"))
    outs.append(run_cli(capsys, b, "--list", str(listed), "export", "--format", "json",
                        "-o", str(backup)))  # fmt: skip
    outs.append(run_cli(capsys, a, "--list", str(listed), "import", str(backup), "--dry-run"))
    outs.append(run_cli(capsys, a, "--list", str(listed), "import", str(backup)))
    return [(c, o.replace(str(root), "ROOT"), e.replace(str(root), "ROOT")) for c, o, e in outs]


@pytest.mark.parametrize("skipped", [False, True])
def test_titles_by_key_are_those_of_the_whole_list(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    skipped: bool,
) -> None:
    listed = tmp_path / "list.md"
    deep = "".join("  " * depth + f"- level {depth}\n" for depth in range(200))
    listed.write_text(LIST + ("\n## Deep\n\n" + deep if skipped else ""), encoding="utf-8")
    looked_up: list[int] = []
    real = catalog_cache.find_each

    def counted(path: Path, keys: object) -> object:
        looked_up.append(1)
        return real(path, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_cache, "find_each", counted)
    by_key = _import(capsys, tmp_path / "by-key", listed)
    assert looked_up
    monkeypatch.setattr(cite, "_FEW_TITLES", 0)  # the whole list, read beside the write
    whole = _import(capsys, tmp_path / "whole", listed)
    assert by_key == whole
    dry, done = by_key[-2], by_key[-1]
    assert "added annotation 2305.18290  (First Title of the Paper)" in done[1]
    assert "(Another Paper)" in done[1] and "would be added annotation" in dry[1]
    assert done[1].endswith("annotations: 2 added\n")
    said = [err for _, _, err in by_key if "deep; skipped" in err]
    assert len(said) == (len(by_key) if skipped else 0)  # once by each command
    assert all(err.count("deep; skipped") == 1 for err in said)


def test_a_list_not_cached_gives_the_titles_from_the_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = tmp_path / "list.md"
    listed.write_text(LIST, encoding="utf-8")
    monkeypatch.setattr(catalog_cache, "find_each", lambda path, keys: None)
    done = _import(capsys, tmp_path / "run", listed)[-1]
    assert "2305.18290  (First Title of the Paper)" in done[1]
