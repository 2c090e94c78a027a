"""One chat with an index: the conversation, k, the last answer, and what each line typed does."""
from __future__ import annotations

from qa.errors import QAError
from qa.model import Answer

from . import commands, render
from .commands import CommandError
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
        return commands.spec_for(command.name).handler(self, command) is not False

    def ask(self, question: str) -> None:
        try:
            answer = self.conversation.ask(question, k=self.k)
        except QAError as error:
            self.screen.error(str(error))
            return
        self.last_answer = answer
        self.screen.show(render.answer_fragments(answer, self.screen.width) + [("", "\n")])
