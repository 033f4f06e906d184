"""Every export format and citation of every data set, written by one source tree, for `cmp`.

``python bench/export_snapshot.py SRC OUT [NAME...]``: runs ``rlhf-reader export`` (each
format, ``-o``) and ``rlhf-reader cite`` (each format, and the CSL styles apa and ieee) as
whole processes with ``PYTHONPATH=SRC`` on the data sets of ``export_data.make_all`` whose
name matches one of the NAME patterns (fnmatch; all without), writing the files into OUT. The
JSON backup's ``exported_at`` line is dropped (it is the clock). Two jobs at a time.

The cache folder is a new temporary one, so every export is made without the export cache
(``formats/export_cache.py``) — unless ``RLHF_SNAPSHOT_CACHE=DIR`` names one to use and
keep: a second run with the same DIR then exports from the cache the first one wrote.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatch
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from export_data import make_all  # noqa: E402

FORMATS = ("markdown", "bibtex", "csv", "ris", "json", "csl-json")
CITE_FORMATS = ("bibtex", "apa", "markdown", "plain")
DATA = Path(os.environ.get("RLHF_EXPORT_DATA", "/tmp/rlhf-export-data"))


def cite_keys(list_path: Path, count: int = 60) -> list[str]:
    """Keys spread over the list (the first, then every n-th), for ``cite``."""
    from rlhf_reader.lists.catalog import parse

    entries = parse(list_path.read_text(encoding="utf-8")).entries
    step = max(1, len(entries) // count)
    return [e.key for e in entries[::step]][:count]


def main() -> None:
    src, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    parts = sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="rlhf-snap-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "XDG_CACHE_HOME": os.environ.get("RLHF_SNAPSHOT_CACHE") or str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    jobs: list[tuple[list[str], Path | None]] = []
    for name, list_path, db in make_all(DATA):
        if parts and not any(fnmatch(name, p) for p in parts):
            continue
        base = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path), "--db", str(db)]
        for fmt in FORMATS:
            target = out / f"{name}.export.{fmt}"
            jobs.append(([*base, "export", "--format", fmt, "-o", str(target)], None))
        keys = cite_keys(list_path)
        for fmt in CITE_FORMATS:
            jobs.append(([*base, "cite", *keys, "--format", fmt], out / f"{name}.cite.{fmt}"))
        for style in ("apa", "ieee"):
            command = [*base, "cite", *keys[:15], "--style", style]
            jobs.append((command, out / f"{name}.csl.{style}"))

    def run(job: tuple[list[str], Path | None]) -> None:
        command, stdout = job
        proc = subprocess.run(command, env=env, capture_output=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{command[5:]} failed: {proc.stderr.decode(errors='replace')}")
        if stdout is not None:
            stdout.write_bytes(proc.stdout)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, jobs))
    for path in out.glob("*.export.json"):
        text = path.read_bytes()
        path.write_bytes(re.sub(rb'\n  "exported_at": "[^"]*",', b"", text, count=1))
    print(f"{len(jobs)} outputs in {out}")


if __name__ == "__main__":
    main()
