"""Shell completion latency: ``python bench/bench_completion.py [--runs N]``.

What a TAB costs: the wall time of the hidden helper the completion scripts call
(``rlhf-reader completion bash --complete LINE``), each run a fresh process, for a
subcommand, an option value, tags, and keys of the bundled list and of a generated
10,000-entry list (bench/genlist.py, parse cache warm). ``python -c pass`` and
``rlhf-reader --version`` are the floor, measured in the same run; runs alternate.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    from genlist import make_list

    program = str(Path(sys.executable).parent / "rlhf-reader")
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.md"
        big.write_text(make_list(10_000, 100), encoding="utf-8")
        db = Path(folder) / "library.json"
        subprocess.run([program, "--db", str(db), "tag", "2305.18290", "+dpo"], check=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "rlhf-reader --version": [program, "--version"],
            "subcommand (`rlhf-reader ma`)": ["rlhf-reader ma"],
            "option value (`list --sort `)": ["rlhf-reader list --sort "],
            "tags (`tag KEY +`)": [f"rlhf-reader --db {db} tag 2305.18290 +"],
            "keys, bundled list (`show 23`)": [f"rlhf-reader --db {db} show 23"],
            "keys, 10,000 entries (`show 20`)": [f"rlhf-reader --list {big} show 20"],
        }
        for line in cases.values():  # warm the parse cache and the page cache
            _run(program, line)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, line in cases.items():
                times[name].append(_run(program, line))
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(
        f"{time.strftime('%Y-%m-%d')}; `{platform.system()} {platform.release()} "
        f"{platform.machine()}`, Python {platform.python_version()}; "
        f"`python bench/bench_completion.py --runs {runs}`; load average at the end {load}."
    )
    print()
    print("| what is completed | median | p90 |")
    print("| --- | --- | --- |")
    for name, values in times.items():
        values.sort()
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"| {name} | {statistics.median(values) * 1000:.0f} ms | {p90 * 1000:.0f} ms |")


def _run(program: str, line: list[str]) -> float:
    argv = line if len(line) > 1 else [program, "completion", "bash", "--complete", line[0]]
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
