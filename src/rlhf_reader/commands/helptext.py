"""``--help`` texts: every subcommand has a description and examples (shown as written)."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from typing import Any


def described(description: str, *examples: str) -> dict[str, Any]:
    """``add_parser`` keywords: the description wrapped to the terminal (blank lines keep
    paragraphs), then an "examples:" epilog, one command a line, as written."""
    if not examples:
        raise ValueError("every subcommand shows at least one example")
    width = max(40, min(shutil.get_terminal_size().columns - 2, 98))
    paragraphs = [" ".join(p.split()) for p in description.split("\n\n")]
    text = "\n\n".join(textwrap.fill(p, width) for p in paragraphs if p)
    epilog = "examples:\n" + "\n".join(f"  {example}" for example in examples)
    return {
        "description": text,
        "epilog": epilog,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }
