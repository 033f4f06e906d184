"""Write ``bundled.xml``: an arXiv API answer (Atom, the format of the recorded files here)
for the 85 distinct arXiv ids of the bundled list, as one ``id_list`` request returns them.

Generated, not recorded: titles are the list's (first occurrence), except 2403.05534, whose
real title is "Bayesian Preference Elicitation with Language Models" (the list also files
"Easy-to-Hard Generalization…" under that link), and 2305.14718, which arXiv spells
"Leftover Lunch: …" where the list has "Leftover-Lunch: …" (same title once normalised).
Authors come from the list; abstracts are made up, some with ``$…$`` and ``[brackets]``.
Deterministic: run ``python tests/data/arxiv/make_bundled.py`` after changing the list.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "src"))

from rlhf_reader.lists.catalog import load  # noqa: E402

REAL_TITLES = {
    "2403.05534": "Bayesian Preference Elicitation with Language Models",
    "2305.14718": "Leftover Lunch: Advantage-based Offline Reinforcement Learning for Language "
    "Models",
}
REAL_AUTHORS = {
    "2403.05534": [
        "Kunal Handa",
        "Yarin Gal",
        "Ellie Pavlick",
        "Noah Goodman",
        "Jacob Andreas",
        "Alex Tamkin",
        "Belinda Z. Li",
    ],
}
CATEGORIES = [["cs.CL", "cs.AI"], ["cs.LG", "cs.CL"], ["cs.AI", "cs.LG", "stat.ML"], ["cs.CL"]]
ABSTRACTS = [
    "We study {topic}. Our method improves the win rate against the SFT baseline by 12% on "
    "held-out prompts and is robust to reward over-optimisation.",
    "We analyse {topic} and prove a regret bound of $O(\\sqrt{{T}})$ for $K$-wise "
    "comparisons, where $K \\geq 2$. Code is available [here].",
    "Reinforcement learning from human feedback [RLHF] is the standard recipe for aligning "
    "language models. We revisit {topic} and find that a simpler objective suffices.",
    "This paper presents {topic}. Experiments on [Anthropic HH] and [TL;DR] show gains of "
    "$+3.1$ points over PPO with $\\beta = 0.1$.",
]
COMMENTS = [None, "Accepted at NeurIPS 2023", None, "30 pages, 7 figures [v2: fixed typos]"]


def entry_xml(index: int, arxiv_id: str, title: str, authors: list[str]) -> str:
    year, month = 2000 + int(arxiv_id[:2]), int(arxiv_id[2:4])
    day = 1 + index % 27
    version = 1 + index % 3
    published = f"{year}-{month:02d}-{day:02d}T{(index * 7) % 24:02d}:{(index * 13) % 60:02d}:00Z"
    updated_month = min(month + version - 1, 12)
    updated = f"{year}-{updated_month:02d}-{day:02d}T12:00:00Z"
    categories = CATEGORIES[index % len(CATEGORIES)]
    topic = title[0].lower() + title[1:]
    abstract = ABSTRACTS[index % len(ABSTRACTS)].format(topic=topic)
    comment = COMMENTS[index % len(COMMENTS)]
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{arxiv_id}v{version}</id>",
        f"    <title>{escape(title)}</title>",
        f"    <updated>{updated}</updated>",
        f'    <link href="https://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" '
        'type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{arxiv_id}v{version}" rel="related" '
        'type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(abstract)}</summary>",
    ]
    lines += [
        f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
        for c in categories
    ]
    lines.append(f"    <published>{published}</published>")
    if comment:
        lines.append(f"    <arxiv:comment>{escape(comment)}</arxiv:comment>")
    if index % 5 == 0:
        lines.append(f"    <arxiv:doi>10.48550/arXiv.{arxiv_id}</arxiv:doi>")
        lines.append(f"    <arxiv:journal_ref>Proc. Test Conf. {year}</arxiv:journal_ref>")
    lines.append(f'    <arxiv:primary_category term="{categories[0]}"/>')
    for name in authors or ["Anonymous Author"]:
        lines += ["    <author>", f"      <name>{escape(name)}</name>", "    </author>"]
    lines.append("  </entry>")
    return "\n".join(lines)


def main() -> None:
    catalog = load(REPO / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md")
    papers: dict[str, tuple[str, list[str]]] = {}
    for entry in catalog.entries:
        if entry.arxiv_id and entry.arxiv_id not in papers:
            title = REAL_TITLES.get(entry.arxiv_id, entry.title)
            authors = REAL_AUTHORS.get(entry.arxiv_id, entry.author_list)
            papers[entry.arxiv_id] = (title, authors)
    ids = ",".join(papers)
    head = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        "  <id>https://arxiv.org/api/generated-bundled-list</id>",
        f"  <title>arXiv Query: search_query=&amp;id_list={ids}&amp;start=0&amp;"
        f"max_results={len(papers)}</title>",
        "  <updated>2026-04-12T22:09:26Z</updated>",
        f"  <opensearch:itemsPerPage>{len(papers)}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{len(papers)}</opensearch:totalResults>",
        "  <opensearch:startIndex>0</opensearch:startIndex>",
    ]
    body = [entry_xml(i, arxiv_id, *paper) for i, (arxiv_id, paper) in enumerate(papers.items())]
    out = HERE / "bundled.xml"
    out.write_text("\n".join([*head, *body, "</feed>", ""]), encoding="utf-8")
    print(f"wrote {out} ({len(papers)} entries)")


if __name__ == "__main__":
    main()
