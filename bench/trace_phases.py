"""Run the CLI with the wall and CPU time of chosen functions printed to stderr, per process:
``TRACE=module:qualname,… python bench/trace_phases.py ARGS…`` (ARGS as for ``rlhf-reader``).

Each traced call prints ``[pid] start-end name cpu S`` (seconds since this script started;
the CPU time of this process during the call); at the end the parent prints ``[pid] end T cpu
S`` (its whole CPU time). A forked child prints its own lines (a job of ``parallel``). Used
for the import at 100k (bench/RESULTS.md, bibread): the parent's CPU time is the critical
path of a read in parts when the parent does not wait for its child, e.g.

    TRACE=rlhf_reader.parallel:map_pulled,rlhf_reader.library.bibimport:_bib_part \\
        python bench/trace_phases.py --list L --db D import export.bib

A function looked up by its module at each call (not one imported by name elsewhere) is
traced; a classmethod is traced as it is called on its class.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import time
from typing import Any

START = time.perf_counter()


def trace(module_name: str, qualname: str) -> None:
    owner: Any = importlib.import_module(module_name)
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    function = getattr(owner, name)

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            print(
                f"[{os.getpid()}] {wall - START:6.2f}-{time.perf_counter() - START:6.2f} "
                f"{qualname} cpu {time.process_time() - cpu:.2f}",
                file=sys.stderr,
            )

    if isinstance(owner, type) and isinstance(owner.__dict__.get(name), classmethod):
        setattr(owner, name, staticmethod(timed))  # (called on the class, already bound)
    else:
        setattr(owner, name, timed)


def main() -> int:
    for spec in os.environ.get("TRACE", "").split(","):
        if spec.strip():
            module_name, qualname = spec.strip().split(":")
            trace(module_name, qualname)
    from rlhf_reader import cli

    code = cli.main()  # (sys.argv: as the console script, the whole process)
    print(f"[{os.getpid()}] end {time.perf_counter() - START:.2f} cpu {time.process_time():.2f}",
          file=sys.stderr)  # fmt: skip
    return code


if __name__ == "__main__":
    sys.exit(main())
