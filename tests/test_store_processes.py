"""The store across real processes: SIGKILL at random moments, and concurrent writers.

The kill test runs a small script in a child process. To keep 100 rounds fast, that script
is a "zygote": it imports the store once and forks one writer per round; the writer opens
the library, writes as fast as it can and appends each key to a report file once the write
call has returned. The test SIGKILLs the writer after a random delay and then checks that
the library parses and holds every reported change.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tinydb import TinyDB

from rlhf_reader.library.store import Library
from rlhf_reader.model import Status
from rlhf_reader.tags import TagEdit

ZYGOTE = r"""
import os, sys, time
from rlhf_reader.model import Status
from rlhf_reader.library.store import Library
from rlhf_reader.tags import TagEdit

db = sys.argv[1]
for line in sys.stdin:
    command, *rest = line.split()
    if command == "reap":
        os.waitpid(int(rest[0]), 0)
        print("reaped", flush=True)
        continue
    round_, report = rest
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            lib = Library.open(db)
            deadline = time.monotonic() + 30
            i = 0
            while time.monotonic() < deadline:  # never outlive a test that died
                key = f"r{round_}-{i}"
                if i % 3 == 0:
                    lib.set_status([key], Status.READ)
                elif i % 3 == 1:
                    lib.change_tags([key], TagEdit.of(add=[f"t{i}"]))
                else:
                    lib.set_note(key, f"note {key}")
                os.write(fd, f"{key}\n".encode())
                i += 1
        finally:
            os._exit(0)
    print(pid, flush=True)
"""

WRITER = r"""
import os, sys, time
from rlhf_reader.model import Status
from rlhf_reader.library.store import Library
from rlhf_reader.tags import TagEdit

db, name, go = sys.argv[1], sys.argv[2], sys.argv[3]
lib = Library.open(db)
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(200):
    lib.set_status([f"{name}{i}"], Status.READ if i % 2 else Status.READING)
    if i % 4 == 0:
        lib.change_tags(["shared"], TagEdit.of(add=[f"{name}{i}"]))
print("done", flush=True)
"""


def check_reported(lib: Library, keys: list[str]) -> None:
    annotations = lib.annotations()
    for key in keys:
        i = int(key.rsplit("-", 1)[1])
        ann = annotations.get(key)
        assert ann is not None, f"{key} was reported written but is missing"
        if i % 3 == 0:
            assert ann.status is Status.READ, key
        elif i % 3 == 1:
            assert f"t{i}" in ann.tags, key
        else:
            assert ann.note == f"note {key}", key


def _wait_for_a_line(report: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if report.exists() and b"\n" in report.read_bytes():
            return
        time.sleep(0.002)
    raise AssertionError(f"{report.name}: the writer acknowledged no write in 30 s")


def test_sigkill_at_random_moments_never_loses_a_reported_write(tmp_path: Path) -> None:
    db = tmp_path / "lib" / "library.json"
    script = tmp_path / "zygote.py"
    script.write_text(ZYGOTE)
    rng = random.Random(1234)
    zygote = subprocess.Popen(
        [sys.executable, str(script), str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert zygote.stdin and zygote.stdout
    reported_total = torn = 0
    waited_for: list[int] = []
    try:
        for round_ in range(100):
            report = tmp_path / f"report-{round_}.txt"
            zygote.stdin.write(f"fork {round_} {report}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            # Even rounds kill at a random moment (early ones may catch it creating the
            # file); odd rounds first wait, however loaded the machine is, until the writer
            # acknowledged a write, so the test never depends on how many writes happened.
            if round_ % 2:
                waited_for.append(round_)
                _wait_for_a_line(report, deadline=time.monotonic() + 30)
            time.sleep(rng.uniform(0, 0.06))
            os.kill(pid, signal.SIGKILL)
            zygote.stdin.write(f"reap {pid}\n")
            zygote.stdin.flush()
            assert zygote.stdout.readline().strip() == "reaped"

            keys = report.read_text().split() if report.exists() else []
            reported_total += len(keys)
            if not db.exists():
                assert not keys  # killed before the library was ever written
                continue
            torn += bool(list(db.parent.glob(".library.json.*.tmp")))
            json.loads(db.read_bytes())  # always a complete JSON file
            lib = Library.open(db)  # also removes temp files the kill left behind
            check_reported(lib, keys)
            assert not list(db.parent.glob(".library.json.*.tmp"))
            bak = db.with_name("library.json.bak")
            if bak.exists():
                json.loads(bak.read_bytes())
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=10)
    print(f"{reported_total} writes reported, {torn} kills left a temp file")
    # the writers really wrote between the kills: at least one write in each odd round
    assert reported_total >= len(waited_for) == 50
    assert TinyDB(db).table("annotations")  # stock TinyDB still opens it


def test_two_processes_lose_none_of_each_others_updates(tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    Library.open(db)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(db), name, str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    go.touch()
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out.strip() == "done"
    annotations = Library.open(db).annotations()
    for name in ("a", "b"):
        for i in range(200):
            expected = Status.READ if i % 2 else Status.READING
            assert annotations[f"{name}{i}"].status is expected, f"{name}{i}"
    expected_tags = {f"{name}{i}" for name in "ab" for i in range(0, 200, 4)}
    assert set(annotations["shared"].tags) == expected_tags
    assert len(annotations) == 401


def test_exclusive_holds_other_processes_off_until_it_ends(tmp_path: Path) -> None:
    """An import plans and writes inside ``exclusive()``: a write from another process waits
    for it, so neither overwrites the other."""
    path = tmp_path / "library.json"
    lib = Library.open(path)
    lib.set_status(["first"], Status.READ)
    writer = (
        "import sys; from rlhf_reader.library.store import Library;"
        " from rlhf_reader.model import Status;"
        "Library.open(sys.argv[1]).set_status(['other'], Status.READING); print('done')"
    )
    with lib.exclusive():
        before = lib.annotations()
        child = subprocess.Popen(
            [sys.executable, "-c", writer, str(path)], stdout=subprocess.PIPE, text=True
        )
        time.sleep(1.0)
        assert child.poll() is None  # waiting for the lock
        assert "other" not in before
        lib.change_tags(["first"], TagEdit.of(add=["kept"]))
    out, _ = child.communicate(timeout=30)
    assert out.strip() == "done"
    final = Library.open(path).annotations()
    assert final["first"].tags == ("kept",) and final["other"].status is Status.READING


def test_process_lock_is_reentrant_and_times_out(tmp_path: Path) -> None:
    from rlhf_reader.library.fileio import ProcessLock

    path = tmp_path / "x.lock"
    mine = ProcessLock(path, timeout=0.2)
    mine.acquire()
    mine.acquire()  # re-entrant
    holder = (
        "import sys, time; from rlhf_reader.library.fileio import ProcessLock;"
        "lock = ProcessLock(sys.argv[1], timeout=0.3)\n"
        "try:\n lock.acquire(); print('got')\nexcept Exception as e:\n print(type(e).__name__)"
    )
    probe = [sys.executable, "-c", holder, str(path)]
    assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "LockTimeout"
    mine.release()
    assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "LockTimeout"
    mine.release()  # the outer acquire: now free
    assert subprocess.run(probe, capture_output=True, text=True).stdout.strip() == "got"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    try:
        ProcessLock(tmp_path / "missing" / "x.lock", timeout=0.1).acquire()
    except OSError:
        pass
    else:
        raise AssertionError("a lock file in a missing folder must fail")
