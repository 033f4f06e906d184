"""Generate a large awesome-style list for benchmarks: ``python bench/genlist.py N SECTIONS``."""

from __future__ import annotations

import random
import sys

WORDS = (
    "preference reward policy alignment human feedback optimization language model direct "
    "contrastive offline online safe scalable robust learning reinforcement ranking critic "
    "self-play distillation calibration uncertainty ensemble sparse autoencoder theory"
).split()


def make_list(entries: int = 10_000, sections: int = 100, seed: int = 7) -> str:
    """Markdown with ``entries`` arXiv papers spread over ``sections`` sections in 10 groups."""
    rng = random.Random(seed)
    lines = ["# Generated list", "", "A benchmark list.", ""]
    per_section = entries // sections
    number = 0
    for s in range(sections):
        if s % 10 == 0:
            lines += [f"## Group {s // 10}", ""]
        lines += [f"### Section {s}", ""]
        count = per_section if s < sections - 1 else entries - per_section * (sections - 1)
        for _ in range(count):
            number += 1
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize()
            arxiv_id = f"{2000 + number // 10000:04d}.{number % 100000:05d}"
            authors = ", ".join(
                f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
                for _ in range(rng.randint(1, 6))
            )
            year = rng.randint(2019, 2025)
            lines.append(f"- [{title} {number}](https://arxiv.org/abs/{arxiv_id})")
            lines.append(f"  - {authors}. arXiv, {year}.")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    sys.stdout.write(make_list(n, k))
