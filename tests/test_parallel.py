"""parallel.map_parts: the same results as running every part here, whatever the children do."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rlhf_reader import parallel

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _square_sum(part: list[int]) -> tuple[int, int]:
    return sum(n * n for n in part), os.getpid()


def test_parts_run_in_children_with_the_same_results(two_cores: None) -> None:
    items = list(range(1000))
    parts = parallel.split(items, 3)
    assert [len(p) for p in parts] == [334, 333, 333]
    assert [n for part in parts for n in part] == items
    got = parallel.map_parts(_square_sum, parts)
    assert [total for total, _ in got] == [sum(n * n for n in p) for p in parts]
    pids = [pid for _, pid in got]
    assert pids[0] == os.getpid()
    assert os.getpid() not in pids[1:] and len(set(pids)) == 3
    assert _no_children_left()


def test_one_process_when_told_or_when_threads_run(
    two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = parallel.split(list(range(10)), 2)
    monkeypatch.setenv(parallel.ENV, "1")
    assert parallel.processes() == 1
    assert {pid for _, pid in parallel.map_parts(_square_sum, parts)} == {os.getpid()}
    monkeypatch.setenv(parallel.ENV, "2")
    assert parallel.processes() == 2
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.processes() == 1  # a fork would copy another thread's locks
        assert {pid for _, pid in parallel.map_parts(_square_sum, parts)} == {os.getpid()}
    finally:
        stop.set()
        thread.join()
    monkeypatch.setattr(parallel, "_cores", lambda: 1)
    assert parallel.processes() == 1


def test_a_failing_child_costs_only_time(two_cores: None) -> None:
    parent = os.getpid()

    def fails_in_child(part: list[int]) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child")
        return sum(part)

    def unmarshalable(part: list[int]) -> object:
        return (sum(part), object()) if os.getpid() != parent else (sum(part), None)

    def killed(part: list[int]) -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return len(part)

    parts = parallel.split(list(range(100)), 2)
    assert parallel.map_parts(fails_in_child, parts) == [sum(p) for p in parts]
    assert [r[0] for r in parallel.map_parts(unmarshalable, parts)] == [sum(p) for p in parts]  # type: ignore[index]
    assert parallel.map_parts(killed, parts) == [50, 50]
    assert _no_children_left()


def test_an_error_in_the_parent_leaves_no_child(two_cores: None) -> None:
    def boom(part: list[int]) -> int:
        if part[0] == 0:
            raise ValueError("bad part")
        return 1

    with pytest.raises(ValueError, match="bad part"):
        parallel.map_parts(boom, parallel.split(list(range(100)), 2))
    assert _no_children_left()


def test_no_grandchildren(two_cores: None) -> None:
    def nested(part: list[int]) -> int:
        return parallel.processes()

    assert parallel.map_parts(nested, parallel.split(list(range(4)), 2)) == [2, 1]


def test_buffered_output_is_written_once(tmp_path: Path) -> None:
    script = (
        "import sys; from rlhf_reader import parallel\n"
        "parallel._cores = lambda: 2\n"
        "print('before', end='')\n"
        "sys.stderr.write('err')\n"
        "print(parallel.map_parts(len, [[1], [2, 3]]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop(parallel.ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "before[1, 2]\n"
    assert done.stderr == "err"
