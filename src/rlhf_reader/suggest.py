"""Near misses: "did you mean 'mark'?" for a mistyped command or choice. Pure, no I/O."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Mapping

_INVALID = ": invalid choice: "
_EXPECTED_ONE = ": expected one argument"


def did_you_mean(typed: str, choices: Iterable[str]) -> str | None:
    """The one choice closest to ``typed`` (difflib's ratio ≥ 0.6, or a unique prefix)."""
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(typed, names, n=1, cutoff=0.6)
    if close:
        return close[0]
    starting = [name for name in names if typed and name.startswith(typed)]
    return starting[0] if len(starting) == 1 else None


def explain(message: str, choices_of: Mapping[str, Iterable[str]]) -> str:
    """argparse's error ``message``, made helpful where it can be.

    ``choices_of`` maps an argument's name as argparse writes it in errors (``COMMAND``,
    ``--status``) to its choices. An invalid command becomes "unknown command 'mrak'; did
    you mean 'mark'?"; an invalid choice of an option gets the near one; a value that
    starts with '-' (``--sort -year``) is told to go after '='.
    """
    if message.startswith("argument ") and _INVALID in message:
        name, _, rest = message[len("argument ") :].partition(_INVALID)
        value = _typed_value(rest)
        choices = choices_of.get(name)
        if value is not None and choices is not None:
            hint = did_you_mean(value, choices)
            suggestion = f"; did you mean {hint!r}?" if hint else ""
            if name == "COMMAND":
                return f"unknown command {value!r}{suggestion}"
            return f"{message}{suggestion}"
    if message.startswith("argument --") and message.endswith(_EXPECTED_ONE):
        option = message[len("argument ") : -len(_EXPECTED_ONE)].split("/")[-1]
        return f"{message} (a value that starts with '-' goes after '=': {option}=-VALUE)"
    return message


def _typed_value(rest: str) -> str | None:
    """The repr'd value at the start of ``rest`` (``'mrak' (choose from …)``)."""
    text, sep, _ = rest.rpartition(" (choose from ")
    try:
        value = ast.literal_eval(text if sep else rest)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None
