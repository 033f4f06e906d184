"""Several lists in the TUI (issue 14): ``L`` switches lists, "All lists" marks the papers
listed in several, the cursor and open sections are kept per list, ``list:NAME`` filters (in
the TUI and the CLI alike), and the dashboard shows every list's progress."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST, TEST_DATA, run_cli
from rich.console import Console
from textual.widgets import OptionList, Static
from tui_helpers import stored, stored_meta, until

from rlhf_reader.library.records import Row
from rlhf_reader.library.store import Library
from rlhf_reader.lists import registry
from rlhf_reader.lists.catalog import load
from rlhf_reader.lists.views import AllLists
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.query import QueryError, SearchIndex, parse, select
from rlhf_reader.tui.actions import STATE_NAME
from rlhf_reader.tui.app import ReaderApp, make_app
from rlhf_reader.tui.screens.dashboard import Dashboard
from rlhf_reader.tui.screens.lists import ListChooser
from rlhf_reader.tui.state import ALL_VIEW, SHARED_GLYPH
from rlhf_reader.workspace import Workspace

SIZE = (120, 36)
OPENDILAB = TEST_DATA / "opendilab_awesome-RLHF_README.md"
RRHF = "2304.05302"  # in both RLHF lists


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A library following the bundled list and opendilab's (registered as ``lists add``
    leaves it: saved beside the library with its provenance)."""
    path = tmp_path / "data" / "library.json"
    path.parent.mkdir(parents=True)
    library = Library.open(path)
    try:
        registry.add(library, path, "opendilab", OPENDILAB.read_bytes(), str(OPENDILAB), "now")
    finally:
        library.close()
    return path


def keys_of(path: Path) -> set[str]:
    return {entry.key for entry in load(path).entries}


BUNDLED_KEYS = keys_of(BUNDLED_LIST)
OPENDILAB_KEYS = keys_of(OPENDILAB)
SHARED = BUNDLED_KEYS & OPENDILAB_KEYS


def first_section(path: Path, key: str) -> str:
    return " › ".join(next(e.section for e in load(path).entries if e.key == key))


def detail_text(app: ReaderApp) -> str:
    return app.main_screen.detail.query_one("#detail-text", Static).content.plain


def open_app(db: Path) -> ReaderApp:
    return make_app(Workspace.open(None, db))  # the default list, as `rlhf-reader` opens


def labels(app: ReaderApp, key: str) -> list[str]:
    nodes = app.main_screen.catalog_tree._entry_nodes.get(key, [])
    return [str(node.label) for node in nodes]


def cursor_key(app: ReaderApp) -> str | None:
    entry = app.main_screen.catalog_tree.current_entry
    return entry.key if entry else None


async def choose(app: ReaderApp, pilot, choice: str, key: str = "") -> None:
    """``L``, then the option ``choice`` (a list name or ALL_VIEW): highlighted and enter, or
    by its ``key`` (a digit, ``a``)."""
    await pilot.press("L")
    assert await until(pilot, lambda: isinstance(app.screen, ListChooser))
    if key:
        await pilot.press(key)
    else:
        options = app.screen.query_one(OptionList)  # (no need to wait for the counts)
        options.highlighted = options.get_option_index(choice)
        await pilot.press("enter")
    main = app.main_screen

    def switched() -> bool:
        workspace = main.workspace
        if choice == ALL_VIEW:
            return isinstance(workspace, AllLists)
        return workspace.list_name == choice and not isinstance(workspace, AllLists)

    assert await until(pilot, switched)
    await pilot.pause()


def notes(app: ReaderApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def chooser_lines(app: ReaderApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_L_switches_lists_and_a_paper_read_in_one_is_read_in_the_other(db: Path) -> None:
    app = open_app(db)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main_screen
        tree = main.catalog_tree
        assert main.workspace.list_name == "awesome-rlhf"
        # the bundled list: cursor on a paper only it lists, its section open
        only_bundled = next(
            e.key for e in main.reading.catalog.entries if e.key not in OPENDILAB_KEYS
        )
        assert tree.select_key(only_bundled)

        # the chooser: every list with its progress, the list shown marked, All lists last
        await pilot.press("L")
        assert await until(pilot, lambda: isinstance(app.screen, ListChooser))
        chooser = app.screen
        assert isinstance(chooser, ListChooser)
        assert await until(pilot, lambda: chooser.counted is not None)
        lines = chooser_lines(app)
        assert lines[0].startswith("▸ 1  awesome-rlhf") and f"0/{len(BUNDLED_KEYS)}" in lines[0]
        assert lines[1].startswith("  2  opendilab") and f"0/{len(OPENDILAB_KEYS)}" in lines[1]
        everything = len(BUNDLED_KEYS | OPENDILAB_KEYS)
        assert lines[2].startswith("  a  All lists") and f"0/{everything}" in lines[2]
        await pilot.press("escape")
        assert await until(pilot, lambda: app.screen is main)

        # opendilab: mark RRHF read there
        await choose(app, pilot, "opendilab")
        assert main.reading.catalog.entries[0].key in OPENDILAB_KEYS
        assert main.reading.overall.total >= len(OPENDILAB_KEYS)
        assert tree.select_key(RRHF)
        await pilot.press("space")
        assert await until(pilot, lambda: not main.writes.busy)
        assert stored(db, RRHF).status is Status.READ
        assert labels(app, RRHF)[0].startswith("●")

        # back to the bundled list: RRHF is read there too, the cursor where it was left
        await choose(app, pilot, "awesome-rlhf", key="1")
        assert main.reading.status(RRHF) is Status.READ
        assert main.reading.overall.read == 1
        assert cursor_key(app) == only_bundled
        assert tree.select_key(RRHF)
        assert labels(app, RRHF)[0].startswith("●")
        assert SHARED_GLYPH not in labels(app, RRHF)[0]  # one list shown: no mark
        assert tree.select_key(only_bundled)  # left here
        await pilot.press("L")
        assert await until(pilot, lambda: isinstance(app.screen, ListChooser))
        chooser = app.screen
        assert isinstance(chooser, ListChooser)
        assert await until(pilot, lambda: chooser.counted is not None)
        assert f"1/{len(OPENDILAB_KEYS)}" in chooser_lines(app)[1]  # counted once per list
        await pilot.press("escape")

        # and opendilab again: its own cursor, on RRHF
        await choose(app, pilot, "opendilab")
        assert cursor_key(app) == RRHF

        # All lists: each list a top-level node, the shared papers marked
        await choose(app, pilot, ALL_VIEW, key="a")
        assert main.reading.catalog.title == "All lists"
        roots = [node.data.path for node in tree.root.children if node.data is not None]
        assert roots[:2] == [("awesome-rlhf",), ("opendilab",)]
        assert main.reading.shared == frozenset(SHARED)
        assert main.reading.overall.total == everything  # a paper counts once
        assert main.reading.overall.read == 1
        listings = main.reading.entries[RRHF]
        assert [e.section[0] for e in listings] == ["awesome-rlhf", "opendilab"]
        for listing in listings:  # open both sections
            assert tree.select_key(RRHF, listing)
        shown = labels(app, RRHF)
        assert len(shown) == 2 and all(SHARED_GLYPH in label for label in shown)
        assert tree.select_key(only_bundled)
        assert all(SHARED_GLYPH not in label for label in labels(app, only_bundled))
        assert tree.select_key(RRHF, listings[0])
        await pilot.pause()
        detail = detail_text(app)
        assert "listed twice" not in detail  # two lists listing it is not a mistake
        assert f"Also in  opendilab › {first_section(OPENDILAB, RRHF)}\n" in detail
        await pilot.press("space")  # unread again, from the All lists view
        assert all(label.startswith("○") for label in labels(app, RRHF))  # shown at once
        assert await until(pilot, lambda: not main.writes.busy)
        assert stored(db, RRHF).status is Status.UNREAD
        assert all(label.startswith("○") for label in labels(app, RRHF))
        await pilot.press("q")

    state = stored_meta(db, STATE_NAME)
    assert isinstance(state, dict)
    views = state["views"]
    assert views["awesome-rlhf"]["cursor"] == only_bundled
    assert views["opendilab"]["cursor"] == RRHF
    assert views[ALL_VIEW]["cursor"] == RRHF
    assert state["list"] == ALL_VIEW and state["cursor"] == RRHF

    # Next time the bundled list opens where it was left, not where All lists was.
    again = open_app(db)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert cursor_key(again) == only_bundled


async def test_list_filter_dashboard_and_an_old_state(db: Path) -> None:
    # A view saved before lists existed: no "list", no "views".
    top = load(BUNDLED_LIST).sections[0]
    old_cursor = next(e.key for e in load(BUNDLED_LIST).entries if e.key not in OPENDILAB_KEYS)
    library = Library.open(db)
    try:
        library.set_meta(STATE_NAME, {"cursor": old_cursor, "expanded": [[top.title]]})
        library.set_status([RRHF], Status.READ)
        # and a third list whose file went missing
        broken = registry.add(library, db, "broken", OPENDILAB.read_bytes(), "x", "now")
        broken.path.unlink()
    finally:
        library.close()

    app = open_app(db)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        main = app.main_screen
        assert cursor_key(app) == old_cursor  # opens unchanged
        assert main.catalog_tree._section_nodes[(top.title,)].is_expanded

        # list:NAME in the filter, once the lists' keys are read (in a worker)
        assert await until(pilot, lambda: main.reading.lists is not None)
        # and the detail pane says where else a paper is listed
        assert main.catalog_tree.select_key(RRHF)
        await pilot.pause()
        assert f"Also in  opendilab › {first_section(OPENDILAB, RRHF)}\n" in detail_text(app)
        assert main.catalog_tree.select_key(old_cursor)
        await pilot.pause()
        assert "Also in" not in detail_text(app)
        await pilot.press("slash")
        bar = main.filtering.bar
        assert bar is not None
        bar.input.value = "list:opendilab"  # at once: typing it key by key is slow
        assert await until(pilot, lambda: main.catalog_tree.shown_keys == SHARED)
        bar.input.value = "-list:opendilab"
        assert await until(pilot, lambda: main.catalog_tree.shown_keys == BUNDLED_KEYS - SHARED)
        bar.input.value = "list:nosuch"
        error = bar.query_one("#filter-error", Static)
        assert await until(pilot, lambda: "no list named 'nosuch'" in str(error.render()))
        assert "(lists: awesome-rlhf, opendilab)" in str(error.render())
        await pilot.press("escape")

        # the dashboard: every list's progress, and all of them together
        await pilot.press("p")
        assert await until(pilot, lambda: isinstance(app.screen, Dashboard))
        dashboard = app.screen
        assert isinstance(dashboard, Dashboard)
        assert await until(pilot, lambda: dashboard.lists is not None)
        await pilot.pause()
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(dashboard.query_one("#lists", Static).content)
        text = console.export_text()
        words = " ".join(text.split())  # the reason below the bars wraps
        assert "▸ awesome-rlhf" in text and f"1/{len(BUNDLED_KEYS)}" in text
        assert "opendilab" in text and f"1/{len(OPENDILAB_KEYS)}" in text
        assert f"1/{len(BUNDLED_KEYS | OPENDILAB_KEYS)}" in text
        assert "broken: cannot read: " in words and "no such file" in words
        await pilot.press("escape")

        # the broken list in the chooser: said so; chosen, a notification, the list stays
        await pilot.press("L")
        assert await until(pilot, lambda: isinstance(app.screen, ListChooser))
        chooser = app.screen
        assert isinstance(chooser, ListChooser)
        assert await until(pilot, lambda: chooser.counted is not None)
        (line,) = [line for line in chooser_lines(app) if "broken" in line]
        assert "cannot read: " in line and "no such file" in line
        options = chooser.query_one(OptionList)
        options.highlighted = options.get_option_index("broken")
        await pilot.press("enter")
        assert await until(pilot, lambda: any("List not opened" in n for n in notes(app)))
        assert main.workspace.list_name == "awesome-rlhf"
        assert app.screen is main and app.is_running


def test_list_search_in_the_cli(db: Path, capsys) -> None:
    code, out, err = run_cli(capsys, db, "list", "--search", "list:opendilab", "--json")
    assert code == 0, err
    assert {row["key"] for row in json.loads(out)} == SHARED

    code, out, err = run_cli(
        capsys, db, "list", "--all-lists", "--search", "list:opendilab -list:awesome-rlhf", "--json"
    )
    assert code == 0, err
    assert {row["key"] for row in json.loads(out)} == OPENDILAB_KEYS - BUNDLED_KEYS

    code, out, err = run_cli(capsys, db, "list", "--search", "list:nosuch")
    assert code == 2 and out == ""
    assert err.strip() == (
        "rlhf-reader: error: --search: bad term 'list:nosuch': no list named 'nosuch' "
        "(lists: awesome-rlhf, opendilab)"
    )
    code, _, err = run_cli(capsys, db, "export", "--format", "json", "--search", "list:")
    assert code == 2 and "needs a value (e.g. list:awesome-rlhf)" in err


# the filter language's list:NAME --------------------------------------------------------------

LISTS = {"awesome-rlhf": frozenset({"a", "b"}), "opendilab": frozenset({"b", "c"})}


def make_rows() -> list[Row]:
    def row(key: str, title: str, status: Status = Status.UNREAD) -> Row:
        entry = Entry(key=key, title=title, url=f"https://x.example/{key}", section=("S",))
        return Row(entry, Annotation(key=key, status=status), None)

    # "b" listed twice, "d" in no list (an addition)
    return [
        row("a", "Alpha"),
        row("b", "Beta", Status.READ),
        row("c", "Gamma"),
        row("b", "Beta", Status.READ),
        row("d", "Delta"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list:opendilab", ["b", "c"]),
        ("list:OpenDILab", ["b", "c"]),
        ('list:"awesome-rlhf"', ["a", "b"]),
        ("-list:awesome-rlhf", ["c", "d"]),
        ("list:awesome-rlhf list:opendilab", ["b"]),
        ("list:opendilab -list:awesome-rlhf", ["c"]),
        ("list:opendilab status:unread", ["c"]),
        ("list:awesome-rlhf gamma", []),
    ],
)
def test_list_term_row_by_row_and_through_the_index(text: str, expected: list[str]) -> None:
    rows = make_rows()
    by_rows = list(dict.fromkeys(r.key for r in rows if parse(text).matches(r, list_keys=LISTS)))
    assert by_rows == expected
    assert SearchIndex(rows, list_keys=LISTS).filter(text) == expected
    assert [r.key for r in select(rows, search=text, list_keys=LISTS)] == [
        r.key for r in rows if r.key in expected
    ]
    index = SearchIndex(rows)  # the lists arrive later (read in a thread)
    index.set_list_keys(LISTS)
    assert index.filter(text) == expected


def test_a_list_term_names_a_known_list() -> None:
    rows = make_rows()
    assert parse("list:opendilab -list:x").list_names == {"opendilab", "x"}
    with pytest.raises(QueryError, match=r"needs a value \(e.g. list:awesome-rlhf\)"):
        parse("list:")
    message = r"bad term 'list:nope': no list named 'nope' \(lists: awesome-rlhf, opendilab\)"
    with pytest.raises(QueryError, match=message):
        select(rows, search="list:nope", list_keys=LISTS)
    with pytest.raises(QueryError, match=message):
        select([], search="list:nope", list_keys=LISTS)  # even with nothing to match
    with pytest.raises(QueryError, match=message):
        SearchIndex(rows, list_keys=LISTS).filter("list:nope")
    with pytest.raises(QueryError, match=message):
        parse("list:nope").matches(rows[0], list_keys=LISTS)
    with pytest.raises(QueryError, match="the registered lists are not known here"):
        SearchIndex(rows).filter("list:opendilab")
    # a row whose key changed status keeps its list membership in the index
    index = SearchIndex(rows, list_keys=LISTS)
    index.update(Row(rows[2].entry, Annotation(key="c", status=Status.READ), None))
    assert index.filter("list:opendilab status:read") == ["b", "c"]


def test_list_names_complete_after_list_colon(db: Path, capsys) -> None:
    code, out, err = run_cli(
        capsys, db, "completion", "bash", "--complete", "rlhf-reader list --search list:o"
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == ["values", "opendilab"]  # bash: after its ':'


def test_new_marks_are_seen_per_list_or_in_every_list_from_all_lists(db: Path) -> None:
    from rlhf_reader.lists.views import mark_seen
    from rlhf_reader.lists.whatsnew import meta_names, new_keys

    only_bundled = sorted(BUNDLED_KEYS - OPENDILAB_KEYS)[0]
    library = Library.open(db)
    try:
        library.set_meta(meta_names("awesome-rlhf")[0], {only_bundled: "2026-11-02T00:00:00Z"})
        library.set_meta(meta_names("opendilab")[0], {RRHF: "2026-11-01T00:00:00Z"})
    finally:
        library.close()

    opendilab = Workspace.open(registry.lists_folder(db) / "opendilab.md", db)
    assert opendilab.list_name == "opendilab" and set(opendilab.new_keys()) == {RRHF}
    everything = AllLists(None, db)
    assert everything.new_keys() == {
        only_bundled: "2026-11-02T00:00:00Z",
        RRHF: "2026-11-01T00:00:00Z",
    }
    assert mark_seen(opendilab, [RRHF, only_bundled]) == 1  # its own list's mark only
    assert new_keys(opendilab.library, "awesome-rlhf") == {only_bundled: "2026-11-02T00:00:00Z"}
    assert mark_seen(everything, None) == 1  # N in All lists: every list's marks
    assert everything.new_keys() == {}
    opendilab.library.close()
    everything.library.close()


def test_all_lists_view_says_where_else_and_listed_twice_within_one_list() -> None:
    from rlhf_reader.model import Catalog, Section
    from rlhf_reader.tui.state import ReadingList

    def entry(section: tuple[str, ...]) -> Entry:
        return Entry(key="k", title="K", url="https://x.example/k", section=section)

    a1, a2, b1 = entry(("a", "One")), entry(("a", "Two")), entry(("b", "Only"))
    catalog = Catalog(
        title="All lists",
        sections=[
            Section(
                "a",
                1,
                ("a",),
                children=[
                    Section("One", 2, ("a", "One"), entries=[a1]),
                    Section("Two", 2, ("a", "Two"), entries=[a2]),
                ],
            ),
            Section("b", 1, ("b",), children=[Section("Only", 2, ("b", "Only"), entries=[b1])]),
        ],
    )
    reading = ReadingList.build(catalog, {})
    reading.shared = frozenset({"k"})
    assert reading.listings(a1) == [a1, a2]  # listed twice in list a: that is a's own doing
    assert reading.listings(b1) == [b1]
    assert reading.also_in(a2) == ["b › Only"]
    assert reading.also_in(b1) == ["a › One"]  # each other list once, its first listing
    one_list = ReadingList.build(catalog, {})
    one_list.list_name = "a"
    one_list.where = {"k": [("a", ("One",)), ("b", ("Only",))]}
    assert one_list.also_in(a1) == ["b › Only"]
