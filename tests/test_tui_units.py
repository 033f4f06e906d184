"""The TUI's pure helpers: literal text, the tag input, counts, palette matching, keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from tui_helpers import DPO, SMALL_LIST, SURVEY

from rlhf_reader.commands.screenshot import parse_keys, parse_size
from rlhf_reader.library.progress import count
from rlhf_reader.lists.catalog import parse
from rlhf_reader.model import Annotation, Status
from rlhf_reader.tui.commands import highlighted, is_subsequence
from rlhf_reader.tui.literal import assemble, literal, literal_block
from rlhf_reader.tui.state import ReadingList


@pytest.mark.parametrize(
    "raw", ["[RLHF] x", "[/]", "[@click=app.quit]y[/]", "[b]bold[/b]", "a [link=x]b[/link]"]
)
def test_literal_keeps_markup_like_text(raw: str) -> None:
    text = literal(raw, "bold")
    assert isinstance(text, Text) and text.plain == raw and not text.spans


def test_literal_makes_controls_visible() -> None:
    assert literal("a\x1b[31mb\x07c\x9b").plain == "a\\x1b[31mb\\x07c\\x9b"
    assert literal_block("line\nnext\x1b").plain == "line\nnext\\x1b"
    assert assemble(("[b]", "bold"), "[/]", literal("x")).plain == "[b][/]x"


def test_reading_list_counts_follow_updates() -> None:
    catalog = parse(SMALL_LIST)
    reading = ReadingList.build(catalog, {SURVEY: Annotation(SURVEY, Status.READ)})
    assert (reading.overall.read, reading.overall.total) == (1, 5)
    assert reading.progress[("Papers",)].read == 1
    assert reading.progress[("Papers",)].total == 4  # DPO is listed twice: one paper
    reading.update(Annotation(DPO, Status.READ))
    assert reading.overall.read == 2
    assert reading.progress[("Papers", "Surveys")].read == 2
    assert reading.progress[("Papers", "Methods")].read == 1  # DPO is listed there too
    assert reading.progress[("Papers",)].read == 2  # and counts once above both
    reading.update(Annotation(DPO, Status.READING))
    assert reading.overall.read == 1 and reading.progress[("Papers",)].read == 1
    assert reading.progress[("Papers",)].reading == 1
    assert set(reading.duplicates) == {DPO}
    # the same counts as the one rule computes from scratch
    annotations = {key: row.annotation for key, row in reading.rows.items()}
    for path, keys in reading.section_keys.items():
        assert reading.progress[path] == count(keys, annotations)


def test_reading_list_listings_and_section_keys_are_made_when_asked() -> None:
    """``entries`` and ``section_keys`` are views (nothing per key kept): they answer as the
    dicts they replaced, and follow a row's replacement."""
    catalog = parse(SMALL_LIST)
    reading = ReadingList.build(catalog, {})
    listed: dict[str, list[Any]] = {}
    for entry in catalog.entries:
        listed.setdefault(entry.key, []).append(entry)
    assert dict(reading.entries) == listed and list(reading.entries) == list(listed)
    assert len(reading.entries) == len(listed) and DPO in reading.entries
    assert "nope" not in reading.entries and reading.entries.get("nope") is None
    with pytest.raises(KeyError):
        reading.entries["nope"]
    assert reading.entries[DPO] is reading.duplicates[DPO] and len(reading.entries[DPO]) == 2
    assert reading.entries[SURVEY] == [reading.rows[SURVEY].entry]
    reading.update(Annotation(SURVEY, Status.READ))  # a new row, the same first listing
    assert reading.entries[SURVEY] == listed[SURVEY]
    paths = [section.path for section in catalog.walk()]
    assert list(reading.section_keys) == list(reading.progress) and len(reading.section_keys)
    for path in paths:
        depth = len(path)
        under = {e.key for s in catalog.walk() if s.path[:depth] == path for e in s.entries}
        assert reading.section_keys[path] == frozenset(under), path
        assert path in reading.section_keys
    assert ("nope",) not in reading.section_keys
    assert reading.section_keys.get(("nope",)) is None
    with pytest.raises(KeyError):
        reading.section_keys[("nope",)]


def test_reading_list_filter_and_sections() -> None:
    reading = ReadingList.build(parse(SMALL_LIST), {})
    assert reading.filter("   ") is None
    keys = reading.filter("constitutional")
    assert keys == {"2212.08073"}
    assert reading.matching_sections(keys) == {("Papers",), ("Papers", "Methods")}
    with pytest.raises(ValueError):
        reading.filter("status:nope")


def test_tags_in_use_most_used_first() -> None:
    anns = {
        SURVEY: Annotation(SURVEY, tags=("b", "a")),
        DPO: Annotation(DPO, tags=("a",)),
    }
    assert ReadingList.build(parse(SMALL_LIST), anns).tags_in_use() == ["a", "b"]


def test_palette_matching_is_literal() -> None:
    assert is_subsequence("dpo", "direct preference optimization")
    assert not is_subsequence("xyz", "direct")
    content = highlighted("[b]x[/b]", (1, 3))
    assert content.plain == "[b]x[/b]"


def test_screenshot_arguments() -> None:
    assert parse_keys("j, j,space,slash,text:dp o") == [
        "j",
        "j",
        "space",
        "slash",
        "d",
        "p",
        "space",
        "o",
    ]
    assert parse_size("80x24") == (80, 24)
    from rlhf_reader.cli import CliError

    with pytest.raises(CliError):
        parse_size("80")
    with pytest.raises(CliError):
        parse_size("20x5")


def test_screenshot_refuses_unknown_keys(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from rlhf_reader.cli import main
    from rlhf_reader.commands.screenshot import unknown_keys

    assert unknown_keys(["j", "space", "ctrl+s", "question_mark", "pageup", "U"]) == []
    assert unknown_keys(["pgup", "ctrl+nosuch"]) == ["pgup", "ctrl+nosuch"]
    out = tmp_path / "x.svg"
    args = ["--db", str(tmp_path / "lib.json"), "screenshot", str(out), "--press", "j,nosuchkey"]
    assert main(args) == 2
    assert "--press: unknown key 'nosuchkey'" in capsys.readouterr().err
    assert not out.exists()


def test_every_printable_key_name_is_known() -> None:
    """The key names Textual gives printable characters (what --press and the keymap take)
    are recognised through its public key helpers; a Textual upgrade that renames them, or
    drops those helpers, fails here rather than in the screenshot command."""
    from textual.keys import KEY_NAME_REPLACEMENTS

    from rlhf_reader.commands.screenshot import unknown_keys

    names = ["slash", "question_mark", "full_stop", "comma", "minus", "plus", "colon"]
    names += ["left_square_bracket", "number_sign", "at", "exclamation_mark"]
    names += list(KEY_NAME_REPLACEMENTS.values())
    assert unknown_keys(names) == []


async def test_textual_tree_still_invalidates_through_the_hook() -> None:
    """``tui.compat.BatchedTree`` relies on ``Tree._invalidate`` being what every added node
    calls: if an upgrade renames or bypasses it, this fails (and says where to look)."""
    from textual.app import App, ComposeResult
    from textual.widgets import Tree

    from rlhf_reader.tui.compat import BatchedTree

    assert callable(getattr(Tree, "_invalidate", None)), "Tree._invalidate is gone: see compat.py"
    calls: list[int] = []

    class Counting(BatchedTree[int]):
        def _invalidate(self) -> None:
            if not self._batching:
                calls.append(1)
            super()._invalidate()

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Counting("root")

    app = Host()
    async with app.run_test() as pilot:
        tree = app.query_one(Counting)
        tree.show_root = False
        tree.root.expand()
        tree.root.add_leaf("one")
        assert calls, "TreeNode.add no longer calls Tree._invalidate: see compat.py"
        calls.clear()
        with tree.building():
            for n in range(50):
                tree.root.add_leaf(str(n), data=n)
        await pilot.pause()
        assert tree.last_line == 50  # laid out, all 51 rows there
        assert tree.get_node_at_line(50).data == 49


def test_screenshot_builds_the_search_index_only_when_a_filter_is_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ``/`` among the keys the index thread would only compete with the rendering
    (seconds at 100,000 entries); with it, the filter still finds what it should."""
    from rlhf_reader.cli import main
    from rlhf_reader.tui import tasks

    built: list[int] = []
    real = tasks.build_search_index

    def counting(post: Any, snapshot: dict[str, Any]) -> None:
        built.append(len(snapshot))
        real(post, snapshot)

    monkeypatch.setattr(tasks, "build_search_index", counting)
    db = str(tmp_path / "lib.json")
    plain, filtered = tmp_path / "plain.svg", tmp_path / "filtered.svg"
    assert main(["--db", db, "screenshot", str(plain), "--press", "j,j"]) == 0
    assert built == [] and "Papers" in plain.read_text(encoding="utf-8")
    press = "slash,text:proxy-rlhf,enter"
    assert main(["--db", db, "screenshot", str(filtered), "--press", press]) == 0
    svg = filtered.read_text(encoding="utf-8")
    assert "1&#160;shown" in svg or "1 shown" in svg
    capsys.readouterr()
