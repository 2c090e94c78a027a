"""Tab completion: command names after `/`, and the passage numbers of the last answer after `/open `."""
from __future__ import annotations

from typing import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from qa.model import Result
from qa.render import cite_line

from .commands import COMMANDS, PREFIX


class ChatCompleter(Completer):
    def __init__(self, last_results: Callable[[], list[Result]]) -> None:
        self.last_results = last_results

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor.lstrip()
        if not text.startswith(PREFIX):
            return
        name, space, argument = text.partition(" ")
        if not space:
            for spec in COMMANDS:
                word = PREFIX + spec.name
                if word.startswith(name.lower()):
                    yield Completion(word + (" " if spec.argument else ""), -len(name),
                                     display=spec.usage, display_meta=spec.summary)
        elif name.lower() == PREFIX + "open" and " " not in argument.strip():
            typed = argument.strip()
            for result in self.last_results():
                if str(result.rank).startswith(typed):
                    yield Completion(str(result.rank), -len(typed), display=f"[{result.rank}]",
                                     display_meta=cite_line(result.citation))
