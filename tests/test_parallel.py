"""parallel.map_parts: the same results as running every part here, whatever the children do."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

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


# detach --------------------------------------------------------------------------------

WAIT = 30.0  # seconds a detached job waits for the test's go-ahead before giving up


def _wait_for(path: Path) -> bool:
    """Whether ``path`` appears (polled; a detached process writes it)."""
    import time

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.02)
    return False


DETACHING = """
import os, sys, time
from pathlib import Path
from typing import Any
from rlhf_reader import parallel
parallel._cores = lambda: 2
folder = Path(sys.argv[1])
held = open(folder / "lock", "w")
if sys.argv[2] == "lock":
    import fcntl
    fcntl.flock(held.fileno(), fcntl.LOCK_EX)

def job():
    deadline = time.monotonic() + float(sys.argv[3])
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    word = "done" if (folder / "go").exists() else "timeout"
    (folder / "tmp").write_text(f"{word} {os.getpid()} {os.getsid(0)}")
    os.replace(folder / "tmp", folder / "result")

print("detached", parallel.detach(job), flush=True)
print("printed after")
"""


@pytest.mark.parametrize("lock", ["lock", "nolock"])
def test_a_detached_job_outlives_its_process_and_holds_nothing(tmp_path: Path, lock: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop(parallel.ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", DETACHING, str(tmp_path), lock, str(WAIT)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=WAIT / 2,  # a pipe held by the job would keep this waiting until WAIT
    )
    assert done.stdout == "detached True\nprinted after\n"  # once each, nothing from the job
    assert not (tmp_path / "result").exists()  # the job is still waiting
    if lock == "lock":  # the lock ended with the process that took it
        import fcntl

        with open(tmp_path / "lock", "w") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    (tmp_path / "go").touch()
    assert _wait_for(tmp_path / "result")
    word, pid, sid = (tmp_path / "result").read_text().split()
    assert word == "done"
    assert int(sid) == int(pid) or int(sid) != os.getsid(0)  # a session of its own


def test_no_detaching_with_one_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(parallel.ENV, "1")
    ran: list[int] = []
    assert parallel.detach(lambda: ran.append(1)) is False
    assert ran == []  # the caller runs it


def test_a_big_lists_cache_is_written_by_a_detached_process(
    two_cores: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rlhf_reader.lists import catalog, catalog_cache

    source = SRC / "rlhf_reader" / "data" / "awesome-rlhf.md"
    path = tmp_path / "list.md"
    path.write_bytes(source.read_bytes())
    parent = os.getpid()
    writers: list[int] = []
    real = catalog_cache.write

    def write(*args: object) -> None:
        if os.getpid() == parent:
            writers.append(parent)
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_cache, "write", write)
    monkeypatch.setattr(catalog, "DETACHED_WRITE_BYTES", 1000)
    first = catalog.load(path)
    assert writers == []  # not written here
    cached = catalog_cache.cache_path(path.read_bytes(), str(path))
    assert _wait_for(catalog_cache.marshal_path(cached))
    again = catalog_cache.read(path.read_bytes(), str(path))
    assert again == first
    monkeypatch.setattr(catalog, "DETACHED_WRITE_BYTES", 10**9)  # small: written here
    other = tmp_path / "other.md"
    other.write_bytes(source.read_bytes() + b"\n")
    catalog.load(other)
    assert writers == [parent]


def _big(part: list[int]) -> bytes:
    return bytes([part[0] % 256]) * (20 << 20)  # far more than a pipe holds


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "temporary file"])
def test_a_big_result_comes_back_whole(
    two_cores: None, monkeypatch: pytest.MonkeyPatch, memfd: bool
) -> None:
    if not memfd:

        def no_memfd(*args: object) -> int:
            raise OSError("no memfd here")

        monkeypatch.setattr(os, "memfd_create", no_memfd, raising=False)
    got = parallel.map_parts(_big, [[1], [2], [3]])
    assert [len(b) for b in got] == [20 << 20] * 3
    assert [b[:1] + b[-1:] for b in got] == [b"\x01\x01", b"\x02\x02", b"\x03\x03"]
    assert _no_children_left()


def _pid() -> int:
    return os.getpid()


def test_then_runs_in_the_last_child_after_its_part(two_cores: None) -> None:
    parts = parallel.split(list(range(100)), 3)
    got, later = parallel.map_parts_then(_square_sum, parts, _pid)
    assert [total for total, _ in got] == [sum(n * n for n in p) for p in parts]
    assert later.result() == got[-1][1] != os.getpid()  # the last part's child
    assert later.result() == os.getpid()  # (asked again: run here)
    assert _no_children_left()


def test_then_runs_here_with_one_process_or_a_failed_child(
    two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = parallel.split(list(range(10)), 2)
    monkeypatch.setenv(parallel.ENV, "1")
    got, later = parallel.map_parts_then(_square_sum, parts, _pid)
    assert {pid for _, pid in got} == {os.getpid()}
    assert later.result() == os.getpid()
    monkeypatch.delenv(parallel.ENV)

    def dies_in_child(part: list[int]) -> int:
        if parallel._in_child:
            os.kill(os.getpid(), 9)
        return sum(part)

    got, later = parallel.map_parts_then(dies_in_child, parts, _pid)
    assert got == [sum(p) for p in parts]
    assert later.result() == os.getpid()  # the child never got to it

    def then_dies() -> int:
        if parallel._in_child:
            os.kill(os.getpid(), 9)
        return os.getpid()

    got, later = parallel.map_parts_then(_square_sum, parts, then_dies)
    assert got[1][1] != os.getpid()
    assert later.result() == os.getpid()
    assert _no_children_left()


def test_a_later_never_asked_leaves_no_child(two_cores: None) -> None:
    parts = parallel.split(list(range(10)), 2)
    _got, later = parallel.map_parts_then(_square_sum, parts, _pid)
    later.close()
    assert _no_children_left()

    def boom(part: list[int]) -> int:
        if not parallel._in_child:
            raise RuntimeError("parent")
        return 0

    with pytest.raises(RuntimeError):
        parallel.map_parts_then(boom, parts, _pid)
    assert _no_children_left()


def _counted_up(part: list[int]) -> Any:
    return (n * n for n in part)  # an iterator: its items come back as a list


def _shaped(part: list[int]) -> Any:
    """Results of each shape: a list (sent item by item), an empty one, a tuple, a dict."""
    return [[], [(1, b"x" * 70_000, "a\nb")], (part, os.getpid()), {"n": part}][part[0] % 4]


def test_iterators_and_lists_come_back_whole(two_cores: None) -> None:
    parts = parallel.split(list(range(40)), 2)
    assert parallel.map_parts(_counted_up, parts) == [[n * n for n in p] for p in parts]
    for start in range(4):
        parts = [[start], [start + 1], [start + 2]]
        got = parallel.map_parts(_shaped, parts)
        here = [_shaped(p) for p in parts]
        assert [g if type(g) is not tuple else g[0] for g in got] == [
            h if type(h) is not tuple else h[0] for h in here
        ]
    assert _no_children_left()
