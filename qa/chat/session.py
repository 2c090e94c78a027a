"""One chat with an index: the conversation, k, the last answer, and what each line typed does."""
from __future__ import annotations

from qa.errors import QAError
from qa.model import Answer

from . import commands, render
from .commands import Command, CommandError
from .screen import Screen

DEFAULT_K = 3


class ChatSession:
    def __init__(self, index, screen: Screen, k: int = DEFAULT_K) -> None:
        self.index = index
        self.screen = screen
        self.k = k
        self.conversation = index.conversation()
        self.last_answer: Answer | None = None

    def handle(self, line: str) -> bool:
        """Answer a question or run a command; False when the session should end."""
        line = line.strip()
        if not line:
            return True
        if not commands.is_command(line):
            self.ask(line)
            return True
        try:
            command = commands.parse(line)
        except CommandError as error:
            self.screen.error(str(error))
            return True
        return getattr(self, f"_{command.name}")(command) is not False

    def ask(self, question: str) -> None:
        try:
            answer = self.conversation.ask(question, k=self.k)
        except QAError as error:
            self.screen.error(str(error))
            return
        self.last_answer = answer
        self.screen.show(render.answer_fragments(answer, self.screen.width) + [("", "\n")])

    def _open(self, command: Command) -> None:
        results = self.last_answer.results if self.last_answer else []
        if not results:
            self.screen.error("There is no passage to open yet: ask a question first.")
            return
        result = next((r for r in results if r.rank == command.number), None)
        if result is None:
            ranks = ", ".join(str(r.rank) for r in results)
            self.screen.error(f"There is no passage {command.number} in the last answer; it has {ranks}.")
            return
        try:
            text = self.index.source_text(result.source)
        except QAError as error:
            self.screen.error(str(error))
            return
        fragments = render.context_fragments(text, result, self.last_answer.terms, self.screen.width)
        self.screen.show_long(fragments, str(result.citation))

    def _sources(self, command: Command) -> None:
        fragments = render.sources_fragments(self.index.sources(), self.screen.width)
        self.screen.show_long(fragments, "sources")

    def _k(self, command: Command) -> None:
        self.k = command.number
        self.screen.say(f"Answers now show up to {self.k} passage{'s' if self.k > 1 else ''}.")

    def _new(self, command: Command) -> None:
        self.conversation.reset()
        self.last_answer = None  # /open N names a passage of this conversation's answers only
        self.screen.say("New conversation: earlier questions are forgotten.")

    def _help(self, command: Command) -> None:
        self.screen.show_long(render.help_fragments(self.screen.width), "help")

    def _quit(self, command: Command) -> bool:
        return False
