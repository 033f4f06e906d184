"""The clipboard: pyperclip quietly, OSC 52 on a terminal, a clear failure otherwise."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path

import pyperclip
import pytest
from conftest import run_cli as cli

from rlhf_reader import clipboard


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def no_mechanism(text: str) -> None:
    raise pyperclip.PyperclipException("Pyperclip could not find a copy/paste mechanism")


def noisy_tool(text: str) -> None:
    """What pyperclip's xclip mechanism does when the display is gone: a child that prints
    on stderr and exits 1, plus a Python-level print and a warning for good measure."""
    print("pyperclip says hello")
    print("and on stderr", file=sys.stderr)
    import warnings

    warnings.warn("a clipboard warning", stacklevel=1)
    child = pyperclip.subprocess.Popen(
        ["sh", "-c", "echo 'Error: cannot open display' >&2; echo out; exit 1"],
        stdin=pyperclip.subprocess.PIPE,
        close_fds=True,
    )
    child.communicate(input=text.encode())


def test_copy_uses_pyperclip(no_real_clipboard: list[str]) -> None:
    result = clipboard.copy("hello ünï")
    assert result == clipboard.CopyResult(True, "pyperclip", "copied to the clipboard")
    assert no_real_clipboard == ["hello ünï"]
    assert clipboard.try_pyperclip("again") is True
    assert no_real_clipboard[-1] == "again"


def test_osc52_when_pyperclip_has_no_mechanism(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyperclip, "copy", no_mechanism)
    terminal = FakeTerminal()
    result = clipboard.copy("ça\nva", terminal)
    assert result.ok and result.method == "osc52"
    payload = base64.b64encode("ça\nva".encode()).decode()
    assert terminal.getvalue() == f"\x1b]52;c;{payload}\x07"
    assert clipboard.osc52_sequence("") == "\x1b]52;c;\x07"


def test_failure_when_no_mechanism_and_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyperclip, "copy", no_mechanism)
    pipe = io.StringIO()
    result = clipboard.copy("x", pipe)
    assert not result.ok and result.method == ""
    assert "could not find a copy/paste mechanism" in result.message
    assert "not a terminal" in result.message
    assert pipe.getvalue() == ""
    assert clipboard.try_pyperclip("x") is False


def test_nothing_a_clipboard_tool_prints_reaches_the_screen(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pyperclip, "copy", noisy_tool)
    real_subprocess = pyperclip.subprocess
    ok, reason = clipboard.pyperclip_copy("text")
    assert not ok and reason == "sh exited with status 1"
    assert clipboard.try_pyperclip("text") is False
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # file-descriptor level: children included
    assert pyperclip.subprocess is real_subprocess  # put back


def test_a_tool_that_works_quietly_counts(monkeypatch, capfd) -> None:
    def quiet_tool(text: str) -> None:
        child = pyperclip.subprocess.Popen(["sh", "-c", "cat >/dev/null; echo chatter >&2"],
                                           stdin=pyperclip.subprocess.PIPE)  # fmt: skip
        child.communicate(input=text.encode())

    monkeypatch.setattr(pyperclip, "copy", quiet_tool)
    assert clipboard.try_pyperclip("text") is True
    assert capfd.readouterr() == ("", "")


def test_clipboard_module_does_not_import_textual() -> None:
    code = "import sys, rlhf_reader.clipboard; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# the CLI ----------------------------------------------------------------------------------------


def test_cli_cite_prints_and_copies(capsys, tmp_path: Path, no_real_clipboard) -> None:
    code, out, err = cli(capsys, tmp_path / "l.json", "cite", "2305.18290", "KTO", "--copy")
    assert code == 0
    assert out.startswith("@inproceedings{rafailov2023direct,")  # the list says NeurIPS
    assert "@misc{ethayarajh2024kto," in out
    assert no_real_clipboard == [out.rstrip("\n")]
    assert err == "rlhf-reader: 2 citations (bibtex): copied to the clipboard\n"


def test_cli_cite_formats(capsys, tmp_path: Path) -> None:
    code, out, _ = cli(capsys, tmp_path / "l.json", "cite", "2305.18290", "-f", "markdown")
    assert code == 0 and out.startswith("[Direct Preference Optimization")
    code, out, _ = cli(
        capsys, tmp_path / "l.json", "cite", "huggingface.co/blog/rlhf", "-f", "plain"
    )
    assert out.startswith("Illustrating Reinforcement Learning from Human Feedback (RLHF). Nathan")
    code, out, err = cli(capsys, tmp_path / "l.json", "cite", "2305.18290", "no-such-paper-xyz")
    assert code == 1 and out == "" and "no-such-paper-xyz" in err


def test_cli_cite_copy_failure_still_prints(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pyperclip, "copy", no_mechanism)
    code, out, err = cli(capsys, tmp_path / "l.json", "cite", "2305.18290", "--copy", "-f", "apa")
    assert code == 1
    assert out.startswith("Rafailov, R., Sharma, A.")
    assert "\x1b" not in out  # captured stdout is not a terminal: no OSC 52
    assert err.startswith("rlhf-reader: error: 1 citation (apa): could not copy to the clipboard")
    assert len(err.splitlines()) == 1
