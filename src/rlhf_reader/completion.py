"""Shell completion for bash, zsh and fish: the scripts, and what to offer for a command line.

``rlhf-reader completion SHELL`` prints a small script. On TAB the script calls
``rlhf-reader completion SHELL --complete …`` with the command line so far; that prints a
directive line (``values`` or ``files``) and then one candidate a line, in the shell's own
form (zsh ``value:description``, fish ``value<TAB>description``, bash the bare value,
escaped). The logic is here, once, and pure: which subcommand, which option, which
positional is being typed, and the candidates — subcommands, options, statuses, sort
orders, tags in use and entry keys. Keys and tags come from a :class:`Sources` the caller
opens only when they are needed. No Textual, no parser of our own for the command line
beyond :func:`split_line`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh", "fish")

# What a value is completed with ("kinds"); anything else completes nothing.
KEY, TAG, FILE, KEY_OR_STATUS, TAG_EDIT, QUERY, LIST_NAME = (
    "key",
    "tag",
    "file",
    "key-or-status",
    "tag-edit",
    "query",
    "list-name",
)
STATUSES = ("unread", "reading", "read")


@dataclass(frozen=True, slots=True)
class Option:
    names: tuple[str, ...]
    help: str = ""
    takes_value: bool = False
    kind: str = ""  # a kind above, or "" (free text)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Positional:
    kind: str = ""
    choices: tuple[str, ...] = ()
    repeats: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str = ""
    options: tuple[Option, ...] = ()
    positionals: tuple[Positional, ...] = ()


@dataclass(frozen=True, slots=True)
class Spec:
    """The command line's shape: global options and subcommands (built from the parser)."""

    options: tuple[Option, ...]
    commands: tuple[Command, ...]


@dataclass
class Sources:
    """Where keys and tags come from, given the ``--list``/``--db`` typed on the line (None:
    the defaults). Called only when a key or tag is to be completed."""

    keys: Callable[[str | None, str | None], list[tuple[str, str]]]
    tags: Callable[[str | None, str | None], list[str]]
    lists: Callable[[str | None, str | None], list[tuple[str, str]]] = lambda _l, _d: []


@dataclass
class Result:
    directive: str = "values"  # or "files"
    items: list[tuple[str, str]] = field(default_factory=list)  # (value, description)


def split_line(line: str) -> list[str]:
    """The words of a command line up to the cursor, the last one being the word under
    completion (``""`` after a space). An unclosed quote is closed for the split."""
    for closing in ("", '"', "'"):
        try:
            words = shlex.split(line + closing)
            break
        except ValueError:
            continue
    else:  # pragma: no cover - closing a quote always parses
        words = line.split()
    if not line or (line[-1].isspace() and not _open_quote(line)):
        words.append("")
    return words


def _open_quote(line: str) -> bool:
    try:
        shlex.split(line)
    except ValueError:
        return True
    return False


def _find(options: Sequence[Option], name: str) -> Option | None:
    return next((o for o in options if name in o.names), None)


def complete(spec: Spec, words: Sequence[str], sources: Sources) -> Result:
    """What to offer for ``words`` (the words after the program name; the last is the one
    being typed, possibly empty)."""
    words = list(words) or [""]
    current, before = words[-1], words[:-1]
    where: dict[str, str | None] = {"--list": None, "--db": None}
    command: Command | None = None
    positional_index = 0
    tag_started = False
    pending: Option | None = None  # an option whose value comes next
    only_positionals = False
    for word in before:
        options = command.options if command else spec.options
        if pending is not None:
            if pending.names[0] in where and command is None:
                where[pending.names[0]] = word
            pending = None
            continue
        if word == "--" and not only_positionals:
            only_positionals = True
            continue
        if word.startswith("-") and len(word) > 1 and not only_positionals:
            if command is not None and command.name == "tag":
                tag_started = True
                continue
            name, eq, value = word.partition("=")
            option = _find(options, name)
            if option is not None and option.takes_value:
                if eq:
                    if name in where and command is None:
                        where[name] = value
                else:
                    pending = option
            continue
        if command is None:
            command = next((c for c in spec.commands if c.name == word), None)
            if command is None:
                return Result()  # not one of ours: nothing to offer
            continue
        if command.name == "tag" and word.startswith("+"):
            tag_started = True
        positional_index += 1
    lookup = _Lookup(sources, where["--list"], where["--db"])
    options = command.options if command else spec.options
    if pending is not None:
        return _values(pending, current, lookup, separate=True)
    if current.startswith("--") and "=" in current:
        name, _, value = current.partition("=")
        option = _find(options, name)
        if option is None or not option.takes_value:
            return Result()
        result = _values(option, value, lookup, separate=False)
        result.items = [(f"{name}={v}", d) for v, d in result.items]
        return result
    if command is None:
        if current.startswith("-"):
            return _options(spec.options, current)
        return _filter([(c.name, c.help) for c in spec.commands], current)
    if command.name == "tag":
        return _tag_word(current, tag_started, lookup, command)
    if current.startswith("-") and not only_positionals:
        return _options(command.options, current)
    positional = _positional_at(command, positional_index)
    if positional is None:
        return Result()
    return _kind(positional.kind, positional.choices, current, lookup)


def _positional_at(command: Command, index: int) -> Positional | None:
    for positional in command.positionals:
        if positional.repeats or index == 0:
            return positional
        index -= 1
    return None


class _Lookup:
    """Keys and tags, fetched once and only when asked for."""

    def __init__(self, sources: Sources, list_arg: str | None, db_arg: str | None) -> None:
        self._sources, self._list, self._db = sources, list_arg, db_arg
        self._keys: list[tuple[str, str]] | None = None
        self._tags: list[str] | None = None

    def keys(self) -> list[tuple[str, str]]:
        if self._keys is None:
            self._keys = self._sources.keys(self._list, self._db)
        return self._keys

    def tags(self) -> list[str]:
        if self._tags is None:
            self._tags = self._sources.tags(self._list, self._db)
        return self._tags

    def lists(self) -> list[tuple[str, str]]:
        return self._sources.lists(self._list, self._db)


def _filter(items: list[tuple[str, str]], prefix: str, directive: str = "values") -> Result:
    return Result(directive, [(v, d) for v, d in items if v.startswith(prefix)])


def _options(options: Sequence[Option], current: str) -> Result:
    items = [(name, o.help) for o in options for name in o.names if name.startswith("--")]
    if not current.startswith("--"):
        items += [(name, o.help) for o in options for name in o.names if len(name) == 2]
    return _filter(items, current)


def _values(option: Option, current: str, lookup: _Lookup, *, separate: bool) -> Result:
    result = _kind(option.kind, option.choices, current, lookup)
    if separate:
        # `--sort -year` reads "-year" as an option: such values need `--sort=-year`.
        result.items = [(v, d) for v, d in result.items if not v.startswith("-")]
    return result


def _kind(kind: str, choices: Sequence[str], current: str, lookup: _Lookup) -> Result:
    if choices:
        return _filter([(c, "") for c in choices], current)
    if kind == FILE:
        return Result("files")
    if kind == KEY:
        return _filter(lookup.keys(), current)
    if kind == KEY_OR_STATUS:
        return _filter([(s, "status") for s in STATUSES] + lookup.keys(), current)
    if kind == TAG:
        return _filter([(t, "tag") for t in lookup.tags()], current)
    if kind == LIST_NAME:
        return _filter(lookup.lists(), current)
    if kind == QUERY:
        terms = [(f"is:{s}", "status") for s in ("new", *STATUSES)]
        terms += [(f"tag:{t}", "tag") for t in lookup.tags()]
        if current.lower().startswith("list:"):  # read the registry only when asked
            terms += [(f"list:{name}", "list") for name, _ in lookup.lists()]
        return _filter(terms, current)
    return Result()


def _tag_word(current: str, started: bool, lookup: _Lookup, command: Command) -> Result:
    """``tag KEY... +A -B``: keys until the first +/-, then +TAG / -TAG (and bare tags)."""
    if current[:1] in ("+", "-") and not current.startswith("--"):
        sign = current[0]
        return _filter([(sign + t, "tag") for t in lookup.tags()], current)
    if current.startswith("--"):
        return _options(command.options, current)
    if started:
        return _filter([(t, "tag") for t in lookup.tags()], current)
    return _filter(lookup.keys(), current)


# --- output for each shell ----------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BASH_SAFE_RE = re.compile(r"[^A-Za-z0-9_@%+=:,./~-]")


def describe(text: str, width: int = 60) -> str:
    """A description made safe for a completion menu: one line, no control characters."""
    line = " ".join(_CONTROL_RE.sub(" ", text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def render(result: Result, shell: str, current: str) -> str:
    """The helper's output: the directive, then the candidates in ``shell``'s form."""
    lines = [result.directive]
    for value, description in result.items:
        if _CONTROL_RE.search(value):
            continue  # never offer what cannot be typed (or would reach the terminal raw)
        about = describe(description)
        if shell == "fish":
            lines.append(f"{value}\t{about}" if about else value)
        elif shell == "zsh":
            escaped = value.replace("\\", "\\\\").replace(":", "\\:")
            lines.append(f"{escaped}:{about}" if about else escaped)
        else:
            lines.append(_bash_word(value, current))
    return "\n".join(lines) + "\n"


def _bash_word(value: str, current: str) -> str:
    """What bash puts in place of its current word: bash splits words at ``=`` and ``:``
    too (COMP_WORDBREAKS), so only the part after the last of them; special characters
    escaped unless the word was begun with a quote."""
    cut = max(current.rfind("="), current.rfind(":")) + 1
    part = value[cut:] if value.startswith(current[:cut]) else value
    return _BASH_SAFE_RE.sub(lambda m: "\\" + m.group(), part)


PROG = "rlhf-reader"

_BASH = """\
# bash completion for rlhf-reader; load it with:
#   source <(rlhf-reader completion bash)      (e.g. in ~/.bashrc)
_rlhf_reader_complete() {
    local line=${COMP_LINE:0:COMP_POINT} cur=${COMP_WORDS[COMP_CWORD]} reply
    reply=$(command rlhf-reader completion bash --complete "$line" 2>/dev/null) || return 0
    local directive=${reply%%$'\\n'*}
    if [[ $directive == files ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ $reply == *$'\\n'* ]]; then
        mapfile -t COMPREPLY <<< "${reply#*$'\\n'}"
        compopt -o nosort 2>/dev/null
    else
        COMPREPLY=()
    fi
}
complete -F _rlhf_reader_complete rlhf-reader
"""

_ZSH = """\
#compdef rlhf-reader
# zsh completion for rlhf-reader; load it with (after compinit, e.g. in ~/.zshrc):
#   source <(rlhf-reader completion zsh)
# or save it as _rlhf-reader in a folder of your $fpath.
_rlhf_reader() {
    local -a reply candidates
    reply=("${(@f)$(command rlhf-reader completion zsh --complete "${(@)words[1,CURRENT]}" \\
        2>/dev/null)}")
    if [[ ${reply[1]} == files ]]; then
        _files
        return
    fi
    candidates=("${(@)reply[2,-1]}")
    (( ${#candidates} )) && _describe -V -t rlhf-reader 'rlhf-reader' candidates
}
if (( $+functions[compdef] )); then
    compdef _rlhf_reader rlhf-reader
fi
"""

_FISH = """\
# fish completion for rlhf-reader; load it with:
#   rlhf-reader completion fish | source
# or save it as ~/.config/fish/completions/rlhf-reader.fish
function __rlhf_reader_complete
    set -l reply (command rlhf-reader completion fish --complete \\
        (commandline -opc) (commandline -ct) 2>/dev/null)
    if test "$reply[1]" = files
        __fish_complete_path (commandline -ct)
        return
    end
    set -e reply[1]
    printf '%s\\n' $reply
end
complete -c rlhf-reader -f -k -a '(__rlhf_reader_complete)'
"""


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    return {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}[shell]
