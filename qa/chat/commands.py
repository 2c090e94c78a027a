"""The chat's special commands: the one table of their names, help and handlers, and how a typed line parses.

What each command does lives in `actions.py`; the table here says which function runs for which name.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

from . import actions

PREFIX = "/"
MAX_K = 50


@dataclass(frozen=True)
class CommandSpec:
    name: str
    argument: str | None
    summary: str
    handler: Callable  # handler(session, Command); False ends the session

    @property
    def usage(self) -> str:
        return f"{PREFIX}{self.name} {self.argument}" if self.argument else f"{PREFIX}{self.name}"


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("open", "N", "show passage N of the last answer in its document", actions.open_passage),
    CommandSpec("sources", None, "list the documents and how many passages each has", actions.list_sources),
    CommandSpec("k", "N", f"show N passages per answer (1-{MAX_K})", actions.set_k),
    CommandSpec("new", None, "start a new conversation (forget the earlier questions)", actions.new_conversation),
    CommandSpec("help", None, "list the commands and keys", actions.show_help),
    CommandSpec("quit", None, "end the session (Ctrl-D does too)", actions.quit_chat),
)

_BY_NAME = {spec.name: spec for spec in COMMANDS}


@dataclass(frozen=True)
class Command:
    name: str
    number: int | None = None


def spec_for(name: str) -> CommandSpec:
    """The table's entry for command ``name`` (one that ``parse`` returned)."""
    return _BY_NAME[name]


class CommandError(ValueError):
    """A command line that cannot be run; the message is one line for the user."""


def is_command(line: str) -> bool:
    return line.lstrip().startswith(PREFIX)


def parse(line: str) -> Command:
    """Parse a line that starts with `/` into a Command, or raise CommandError."""
    word, *args = line.strip()[len(PREFIX):].split() or [""]
    name = word.lower()
    spec = _BY_NAME.get(name)
    if spec is None:
        raise CommandError(_unknown(word))
    if spec.argument is None:
        if args:
            raise CommandError(f"{spec.usage} takes no argument.")
        return Command(name)
    if len(args) != 1:
        raise CommandError(f"usage: {spec.usage} ({spec.summary}).")
    number = _positive_int(args[0])
    if number is None or (name == "k" and number > MAX_K):
        raise CommandError(f"{spec.usage}: {_NUMBER_RULES[name]}")
    return Command(name, number)


_NUMBER_RULES = {
    "open": f"N is the number of a passage in the last answer, like {PREFIX}open 2.",
    "k": f"N is a whole number from 1 to {MAX_K}.",
}


def _positive_int(text: str) -> int | None:
    # "[2]" is accepted too: that is how passage numbers are printed.
    digits = text.strip("[]")
    if not (digits.isascii() and digits.isdigit()):
        return None
    number = int(digits)
    return number if number >= 1 else None


def _unknown(word: str) -> str:
    if not word:
        return f"Type a command after {PREFIX}, or {PREFIX}help for the list."
    shown = PREFIX + (word if len(word) <= 20 else word[:20] + "…")
    close = difflib.get_close_matches(word.lower(), _BY_NAME, n=1, cutoff=0.6)
    hint = f" Did you mean {PREFIX}{close[0]}?" if close else ""
    return f"Unknown command {shown}.{hint} {PREFIX}help lists the commands."
