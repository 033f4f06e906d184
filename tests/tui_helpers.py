"""Shared by the TUI tests: a small list, and the app built through the real factory."""

from __future__ import annotations

from pathlib import Path

from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation
from rlhf_reader.tui.app import ReaderApp, make_app
from rlhf_reader.workspace import Workspace

SMALL_LIST = """\
# Test list

A list for the TUI tests.

## Papers

### Surveys

- [A Survey of Reinforcement Learning from Human Feedback](https://arxiv.org/abs/2312.14925)
  - Timo Kaufmann, Paul Weng, Viktor Bengs. arXiv, 2023.
- [Direct Preference Optimization: Your Language Model is Secretly a Reward Model](https://arxiv.org/abs/2305.18290)
  - Rafael Rafailov, Archit Sharma. NeurIPS, 2023.

### Methods

- [Training language models to follow instructions with human feedback](https://arxiv.org/abs/2203.02155)
  - Long Ouyang, Jeff Wu. NeurIPS, 2022.
- [Direct Preference Optimization: Your Language Model is Secretly a Reward Model](https://arxiv.org/abs/2305.18290)
  - Rafael Rafailov, Archit Sharma. NeurIPS, 2023.
- [Constitutional AI: Harmlessness from AI Feedback](https://arxiv.org/abs/2212.08073)
  - Yuntao Bai. arXiv, 2022.

## Blogs

- [Illustrating Reinforcement Learning from Human Feedback](https://huggingface.co/blog/rlhf)
  - Nathan Lambert. Hugging Face blog, 2022.
"""

SURVEY, DPO, INSTRUCT, CAI, BLOG = (
    "2312.14925",
    "2305.18290",
    "2203.02155",
    "2212.08073",
    "huggingface.co/blog/rlhf",
)


def write_list(folder: Path, text: str = SMALL_LIST) -> Path:
    path = folder / "list.md"
    path.write_text(text, encoding="utf-8")
    return path


def build_app(list_path: Path, db_path: Path) -> ReaderApp:
    return make_app(Workspace.open(list_path, db_path))


def app_with_notes(folder: Path, db_path: Path, notes: dict[str, str]) -> ReaderApp:
    """The app on the small list (written in ``folder``) with these notes in the library."""
    library = Library.open(db_path)
    for key, note in notes.items():
        library.set_note(key, note)
    library.close()
    return build_app(write_list(folder), db_path)


def stored(db_path: Path, key: str) -> Annotation:
    """What the library file holds for ``key``, read by a fresh ``Library``."""
    library = Library.open(db_path)
    try:
        return library.annotation(key)
    finally:
        library.close()


def stored_meta(db_path: Path, name: str) -> object:
    library = Library.open(db_path)
    try:
        return library.get_meta(name)
    finally:
        library.close()


async def until(pilot, condition, tries: int = 2000) -> bool:
    """Let the app run until ``condition()`` holds (messages from workers take a few hops);
    the caller asserts the result. Bounded by ``tries`` short pauses, not by a clock."""
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.01)
    return bool(condition())


async def written(pilot, tries: int = 2000) -> bool:
    """Let the app run until the main screen's writes are all acknowledged (the writer runs
    them in its thread, in order); the caller asserts the result when it matters."""
    writes = pilot.app.main_screen.writes
    done = await until(pilot, lambda: not writes.busy, tries)
    await pilot.pause()  # what the acknowledgements posted (notifications, redraws)
    return done


async def exited(app, tries: int = 2000) -> bool:
    """Let the app run until it has exited (a quit waits for the pending writes first)."""
    import asyncio

    for _ in range(tries):
        if app.return_code is not None:
            return True
        await asyncio.sleep(0.01)
    return app.return_code is not None
