"""`qa chat` / `python repl.py`: the prompt loop around a ChatSession."""
from __future__ import annotations

import argparse
import os
import sys

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory

from qa import stdio
from qa.render import empty_corpus_warning, sanitize
from qa.errors import QAError

from . import startup
from .commands import MAX_K
from .completer import ChatCompleter
from .history import open_history
from .keys import chat_keys
from .pager import page
from .screen import Screen
from .session import DEFAULT_K, ChatSession
from .style import chat_style
from .toolbar import bottom_toolbar

PROMPT = [("class:prompt", "qa> ")]


def main(argv: list[str] | None = None, prog: str = "qa chat") -> int:
    """The chat from command-line arguments (``python repl.py``)."""
    stdio.make_safe()
    args = _parser(prog).parse_args(argv)
    return run(corpus=args.corpus, index=args.index, k=args.k, cluster=args.cluster,
               semantic=False if args.lexical else None, model=args.model)


def run(corpus=None, index=None, k: int = DEFAULT_K, cluster=None, semantic: bool | None = None, model=None) -> int:
    """Chat with the documents of ``corpus`` (default: the seeds) until the user quits; the exit status."""
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    # A dumb terminal (TERM=dumb: an editor's shell buffer) can draw neither prompt_toolkit's prompt nor its pager:
    # it gets a plain "qa> " read line by line, and tall text printed.
    dumb = os.environ.get("TERM") == "dumb"
    interactive = terminal and not dumb
    screen = Screen(chat_style(), interactive=interactive, pager=page)
    try:
        opened = startup.open_index(corpus, index, show_progress=sys.stdout.isatty(),
                                    warn=lambda message: screen.warn(f"qa: {message}"), cluster=cluster,
                                    semantic=semantic, model=model)
    except QAError as error:
        screen.error(f"qa: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        screen.error("qa: interrupted")
        return 130
    except Exception as error:  # the last line of defence, as in qa.cli: one line, never a traceback
        screen.error(f"qa: internal error: {type(error).__name__}: {error}")
        return 3
    if not opened.passage_count:
        screen.warn(f"qa: {empty_corpus_warning(opened.corpus)}")
    session = ChatSession(opened, screen, k=k)
    try:
        return _run_prompt(session) if interactive else _run_lines(session, "qa> " if terminal else "")
    finally:
        opened.close()


def _run_prompt(session: ChatSession) -> int:
    prompt = make_prompt(session)
    while True:
        try:
            line = prompt.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        for n, pasted in enumerate(line.splitlines() or [line]):  # several lines pasted at once: each in turn,
            if n:  # as if typed, its prompt line shown before its answer
                session.screen.show(PROMPT + [("", sanitize(pasted))])
            if not _handle(session, pasted):
                return 0


def make_prompt(session: ChatSession) -> PromptSession:
    """The prompt with history, grey suggestions, command completion and the toolbar."""
    return PromptSession(
        PROMPT,
        history=open_history(warn=session.screen.warn),
        auto_suggest=AutoSuggestFromHistory(),
        completer=ChatCompleter(lambda: session.last_answer.results if session.last_answer else []),
        complete_while_typing=True,
        key_bindings=chat_keys(),
        bottom_toolbar=bottom_toolbar(session),
        style=session.screen.style,
        output=session.screen.output,
        include_default_pygments_style=False,
    )


def _run_lines(session: ChatSession, prompt: str = "") -> int:
    """Without a terminal (input piped in): one question or command per line, no prompt; on a dumb terminal, each
    line read after a plain ``prompt``."""
    def prompted():
        while True:
            sys.stdout.write(prompt)
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                return
            yield line
    try:
        for line in stdio.lines(prompted() if prompt else sys.stdin):
            if not _handle(session, line):
                break
    except BrokenPipeError:  # the reader went away (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _handle(session: ChatSession, line: str) -> bool:
    try:
        return session.handle(line)
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        session.screen.error("Cancelled.")
    except Exception as error:  # a bug must not end the conversation with a traceback
        session.screen.error(f"qa: unexpected {type(error).__name__}: {error}")
    return True


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line, not argparse's usage block."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Talk to your documents: ask, follow up, open the passages.")
    parser.add_argument("--corpus", metavar="DIR", help="folder of documents (default: the bundled seeds/)")
    parser.add_argument("--index", metavar="DIR", help="where the index is kept (default: chosen by the corpus)")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="answer on a Dask cluster: tcp://HOST:PORT of its scheduler, or local:N")
    parser.add_argument("--lexical", action="store_true", help="TF-IDF only: no sentence-embedding stage")
    parser.add_argument("--model", metavar="DIR", help="a sentence-transformers ONNX folder for the semantic stage")
    parser.add_argument("-k", type=_k, default=DEFAULT_K, metavar="N",
                        help=f"passages per answer, 1-{MAX_K} (default {DEFAULT_K})")
    return parser


def _k(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_K}")
    return k
