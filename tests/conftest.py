"""Shared fixtures. Every test runs with its own HOME, data, config and cache folders, so
nothing can touch the user's real library, and with the real clipboard switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUNDLED_LIST = REPO / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"
TEST_DATA = Path(__file__).resolve().parent / "data"

# The fake arXiv API (fixture `arxiv_server`), for every test module.
pytest_plugins = ["arxiv_server", "https_server", "pdf_server"]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name, sub in (
        ("HOME", ""),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    for name in (
        "RLHF_READER_LIST",
        "RLHF_READER_DB",
        "RLHF_READER_ARXIV_URL",
        "DISPLAY",
        "WAYLAND_DISPLAY",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def no_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    """`update` without --from goes to upstream: in tests, a closed port on 127.0.0.1."""
    from rlhf_reader.lists import listsource

    monkeypatch.setattr(listsource, "UPSTREAM_URL", "https://127.0.0.1:9/awesome-rlhf/README.md")


@pytest.fixture(autouse=True)
def no_real_clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pyperclip writes into this list instead of the machine's clipboard."""
    copied: list[str] = []
    try:
        import pyperclip
    except ImportError:  # pragma: no cover - pyperclip is a dependency
        return copied
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    monkeypatch.setattr(pyperclip, "paste", lambda: copied[-1] if copied else "")
    return copied


@pytest.fixture(autouse=True)
def no_real_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``webbrowser.open`` records the link here (and says a browser took it) instead of
    starting one; a test that wants no browser patches it again."""
    import webbrowser

    opened: list[str] = []

    def record(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", record)
    return opened


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.json"


def run_cli(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """Run ``rlhf-reader --db DB ARGS…`` in-process: (exit code, stdout, stderr)."""
    from rlhf_reader.cli import main

    try:
        code = main(["--db", str(db), *args])
    except SystemExit as exc:  # argparse: --help and usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
