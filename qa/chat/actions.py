"""What each chat command does to a session: one function a command, named in the table in `commands.py`."""
from __future__ import annotations

from qa.errors import QAError

from . import render


def open_passage(session, command) -> None:
    """/open N: passage N of the last answer in its document."""
    results = session.last_answer.results if session.last_answer else []
    if not results:
        session.screen.error("There is no passage to open yet: ask a question first.")
        return
    result = next((r for r in results if r.rank == command.number), None)
    if result is None:
        ranks = ", ".join(str(r.rank) for r in results)
        session.screen.error(f"There is no passage {command.number} in the last answer; it has {ranks}.")
        return
    try:
        text = session.index.source_text(result.source)
    except QAError as error:
        session.screen.error(str(error))
        return
    fragments = render.context_fragments(text, result, session.last_answer.terms, session.screen.width)
    session.screen.show_long(fragments, str(result.citation))


def list_sources(session, command) -> None:
    fragments = render.sources_fragments(session.index.sources(), session.screen.width)
    session.screen.show_long(fragments, "sources")


def set_k(session, command) -> None:
    session.k = command.number
    session.screen.say(f"Answers now show up to {session.k} passage{'s' if session.k > 1 else ''}.")


def new_conversation(session, command) -> None:
    session.conversation.reset()
    session.last_answer = None  # /open N names a passage of this conversation's answers only
    session.screen.say("New conversation: earlier questions are forgotten.")


def show_help(session, command) -> None:
    session.screen.show_long(render.help_fragments(session.screen.width), "help")


def quit_chat(session, command) -> bool:
    return False
