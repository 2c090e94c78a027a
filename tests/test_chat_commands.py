"""The chat's special commands: parsing, what each does in a session, completion, history."""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.plain_text import PlainTextOutput

import qa
from qa.chat import commands
from qa.chat.commands import MAX_K, Command, CommandError, parse
from qa.chat.completer import ChatCompleter
from qa.chat.history import history_path, open_history
from qa.chat.screen import Screen
from qa.chat.startup import BuildProgress
from qa.chat.session import ChatSession
from qa.chat.style import chat_style

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


# ---------------------------------------------------------------- parsing

@pytest.mark.parametrize("line, command", [
    ("/open 2", Command("open", 2)),
    ("  /open   [3]  ", Command("open", 3)),
    ("/OPEN 1", Command("open", 1)),
    ("/k 5", Command("k", 5)),
    (f"/k {MAX_K}", Command("k", MAX_K)),
    ("/sources", Command("sources")),
    ("/new", Command("new")),
    ("/help", Command("help")),
    ("/quit", Command("quit")),
])
def test_parses_commands(line, command):
    assert commands.is_command(line)
    assert parse(line) == command


@pytest.mark.parametrize("line, says", [
    ("/k x", f"/k N: N is a whole number from 1 to {MAX_K}."),
    ("/k 0", "/k N: N is a whole number from 1"),
    ("/k -2", "/k N: N is a whole number from 1"),
    (f"/k {MAX_K + 1}", f"from 1 to {MAX_K}"),
    ("/k", "usage: /k N"),
    ("/k 1 2", "usage: /k N"),
    ("/open", "usage: /open N"),
    ("/open 1.5", "/open N: N is the number of a passage in the last answer, like /open 2."),
    ("/open ٣", "/open N: N is the number of a passage"),
    ("/open 0", "/open N: N is the number of a passage"),
    ("/sources all", "/sources takes no argument"),
    ("/frobnicate", "Unknown command /frobnicate. /help lists the commands."),
    ("/opne 1", "Did you mean /open?"),
    ("/", "Type a command after /"),
])
def test_bad_commands_get_one_line(line, says):
    with pytest.raises(CommandError) as raised:
        parse(line)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message


def test_questions_are_not_commands():
    assert not commands.is_command("What did Peskov say about Qatar?")
    assert not commands.is_command("")


def test_every_command_has_a_handler_and_help():
    for spec in commands.COMMANDS:
        assert spec.summary
        assert callable(spec.handler)


# ---------------------------------------------------------------- a session on the real index

class Captured:
    """A Screen whose output and errors are plain text in memory, and whose pager records what it got."""

    def __init__(self, pager=True):
        self.out, self.err = io.StringIO(), io.StringIO()
        self.paged: list[str] = []
        self.screen = Screen(chat_style(), output=PlainTextOutput(self.out), errors=PlainTextOutput(self.err),
                             pager=self._page if pager else None)

    def _page(self, fragments, title, style, output):
        self.paged.append(title)

    def take(self) -> tuple[str, str]:
        out, err = self.out.getvalue(), self.err.getvalue()
        for buffer in (self.out, self.err):
            buffer.seek(0)
            buffer.truncate()
        return out, err


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return qa.open_index(SEEDS, tmp_path_factory.mktemp("index"), warn=lambda message: None)


@pytest.fixture
def chat(index):
    captured = Captured()
    return ChatSession(index, captured.screen), captured


def test_a_question_is_answered_with_citations(chat):
    session, captured = chat
    assert session.handle("What did Peskov say about Qatar?")
    out, err = captured.take()
    assert err == ""
    assert "[1] 0" in out and "[3] 0" in out and "[4]" not in out
    assert session.last_answer is not None and session.last_answer.answered


def test_k_sets_how_many_passages_are_shown(chat):
    session, captured = chat
    session.handle("/k 5")
    assert session.k == 5
    assert "up to 5 passages" in captured.take()[0]
    session.handle("Who speaks for the Kremlin?")
    out, _ = captured.take()
    assert "[5] " in out and "[6]" not in out


def test_bad_arguments_get_a_line_on_stderr_and_change_nothing(chat):
    session, captured = chat
    for line in ("/k x", "/k 0", "/open 1", "/wat"):
        assert session.handle(line)
        out, err = captured.take()
        assert out == ""
        assert err.count("\n") == 1, err
    assert session.k == 3
    assert "ask a question first" in _after(session, "/open 1", captured)[1]
    session.handle("What did Peskov say about Qatar?")
    captured.take()
    _, err = _after(session, "/open 99", captured)
    assert err == "There is no passage 99 in the last answer; it has 1, 2, 3.\n"


def test_open_shows_the_passage_in_its_document(chat):
    session, captured = chat
    session.handle("What did Peskov say about Qatar?")
    captured.take()
    first = session.last_answer.results[0]
    session.screen.pager = None
    out, err = _after(session, "/open 1", captured)
    assert err == ""
    assert out.startswith(f"{first.citation}  passage [1]\n")
    assert f"{first.line_start} ┃ " in out
    assert f"{first.line_start - 1} │ " in out


def test_open_pages_what_is_taller_than_the_screen(chat):
    session, captured = chat
    session.handle("What did Peskov say about Qatar?")
    captured.take()
    session.screen.output.get_size = lambda: type("Size", (), {"rows": 5, "columns": 80})()
    session.handle("/open 2")
    citation = str(session.last_answer.results[1].citation)
    assert captured.paged == [citation]
    # the pager's text leaves its header in the scrollback, then a blank line before the prompt
    out = captured.take()[0]
    assert out.startswith(f"{citation}  passage [2]  (") and out.endswith(" lines, shown in the pager)\n\n")
    assert out.count("\n") == 2


def test_open_and_sources_end_with_a_blank_line_before_the_prompt(chat):
    session, captured = chat
    session.handle("What did Peskov say about Qatar?")
    captured.take()
    session.screen.pager = None
    for line in ("/open 1", "/sources"):
        out, _ = _after(session, line, captured)
        assert out.endswith("\n\n") and not out.endswith("\n\n\n")


def test_after_new_open_has_no_old_answer_to_open(chat):
    session, captured = chat
    session.handle("What did Peskov say about Qatar?")
    session.handle("/new")
    captured.take()
    out, err = _after(session, "/open 1", captured)
    assert out == "" and err == "There is no passage to open yet: ask a question first.\n"


def test_sources_lists_documents_and_passage_counts(chat, index):
    session, captured = chat
    out, _ = _after(session, "/sources", captured)
    lines = out.splitlines()
    assert lines[0] == f"{index.document_count} documents, {index.passage_count} passages"
    for (source, count), line in zip(index.sources(), lines[1:]):
        assert line.split() == [str(count), source]


def test_new_forgets_the_conversation(chat):
    session, captured = chat
    session.handle("What did Peskov say about Qatar?")
    assert session.conversation.turns
    out, _ = _after(session, "/new", captured)
    assert "New conversation" in out
    assert not session.conversation.turns


def test_help_lists_every_command(chat):
    session, captured = chat
    out, _ = _after(session, "/help", captured)
    for spec in commands.COMMANDS:
        assert spec.usage in out
    assert "Ctrl-R" in out


def test_quit_ends_and_blank_lines_do_nothing(chat):
    session, captured = chat
    assert session.handle("   ")
    assert captured.take() == ("", "")
    assert session.handle("/quit") is False


def _after(session, line, captured):
    session.handle(line)
    return captured.take()


# ---------------------------------------------------------------- completion

def _completions(text, results=()):
    completer = ChatCompleter(lambda: list(results))
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent(completion_requested=True))]


def test_completes_command_names():
    assert _completions("/") == ["/open ", "/sources", "/k ", "/new", "/help", "/quit"]
    assert _completions("/s") == ["/sources"]
    assert _completions("/O") == ["/open "]
    assert _completions("/x") == []
    assert _completions("What") == []


def test_completes_passage_numbers_of_the_last_answer(index):
    answer = index.ask("What did Peskov say about Qatar?", k=3)
    assert _completions("/open ", answer.results) == ["1", "2", "3"]
    assert _completions("/open 2", answer.results) == ["2"]
    assert _completions("/open ") == []
    assert _completions("/k ", answer.results) == []


# ---------------------------------------------------------------- history

def test_history_lives_in_the_xdg_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert history_path() == tmp_path / "state" / "qa" / "history"
    history = open_history()
    assert isinstance(history, FileHistory)
    history.store_string("What did Peskov say about Qatar?")
    assert "+What did Peskov say about Qatar?" in history_path().read_text()
    assert history_path().stat().st_mode & 0o077 == 0


def test_history_defaults_to_local_state_and_ignores_a_relative_xdg_path(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert history_path() == tmp_path / ".local" / "state" / "qa" / "history"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    assert history_path() == tmp_path / ".local" / "state" / "qa" / "history"


def test_history_falls_back_to_memory_when_the_state_dir_is_unwritable(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    said = []
    assert isinstance(open_history(warn=said.append), InMemoryHistory)
    assert said == [f"qa: no question history is kept: {blocker}/qa/history: Not a directory"]


def test_a_read_only_history_is_offered_but_not_added_to(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    (tmp_path / "qa").mkdir()
    history_path().write_text("\n# earlier\n+Who speaks for the Kremlin?\n")
    real_open = os.open

    def read_only(path, flags, *args):  # as a file the user cannot write (chmod, chattr +i; root may write any)
        if flags & os.O_RDWR and str(path) == str(history_path()):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    said = []
    history = open_history(warn=said.append)
    assert list(history.load_history_strings()) == ["Who speaks for the Kremlin?"]
    history.store_string("a private question")
    assert "private" not in history_path().read_text()
    assert said == [f"qa: the question history {history_path()} is read-only (Permission denied): this chat's "
                    "questions are not added to it"]


def test_history_keeps_going_when_the_file_becomes_unwritable(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    history = open_history()
    shutil.rmtree(tmp_path / "qa")
    history.store_string("still here")  # no exception


# ---------------------------------------------------------------- start-up

def test_the_progress_bar_waits_a_moment_and_holds_warnings_while_shown():
    now = [0.0]
    printed = []
    with create_pipe_input() as pipe:
        with BuildProgress(printed.append, delay=0.3, clock=lambda: now[0], output=DummyOutput(), input=pipe) as progress:
            progress.warn("indexing seeds")
            progress(1, 10)
            assert progress.bar is None and printed == ["indexing seeds"]  # a quick start shows nothing
            now[0] = 0.5
            progress(4, 10)
            assert progress.bar is not None
            progress.warn("skipped a.bin")
            progress(10, 10)
            assert printed == ["indexing seeds"]
        assert printed == ["indexing seeds", "skipped a.bin"]
        assert progress.bar is None


def test_the_bar_moves_page_by_page_inside_a_pdf_and_counts_whole_files():
    from prompt_toolkit.formatted_text import to_plain_text

    from qa.chat.startup import WholeFiles

    with create_pipe_input() as pipe:
        with BuildProgress(print, delay=0, output=DummyOutput(), input=pipe) as progress:
            progress(0.25, 2)  # a quarter into the first file's pages
            counter = progress.bar.counters[0]
            assert counter.percentage == 12.5
            assert to_plain_text(WholeFiles().format(progress.bar, counter, 20)).strip() == "0/  2"
            assert any(isinstance(f, WholeFiles) for f in progress.bar.formatters)
            progress(1.5, 2)
            assert counter.percentage == 75.0
            assert to_plain_text(WholeFiles().format(progress.bar, counter, 20)).strip() == "1/  2"


def test_no_bar_without_a_terminal():
    with BuildProgress(print, enabled=False, delay=0) as progress:
        progress(1, 2)
        assert progress.bar is None


def test_what_a_paged_text_leaves_behind_fits_the_screen(monkeypatch):
    """After the pager, one line stays in the scrollback: the text's first line and how tall it was, cut to the
    screen's width (wider, the terminal broke it in the middle of a word)."""
    captured = Captured()
    monkeypatch.setattr(type(captured.screen), "width", property(lambda self: 40))
    monkeypatch.setattr(type(captured.screen), "height", property(lambda self: 10))
    first = "000_ba940200d1e312e2.txt:6-7 (The Kremlin rules out talks) passage [1]"
    captured.screen.show_long([("", first + "\n" + "\n".join(f"line {n}" for n in range(30)))], "000:6-7")
    out, _ = captured.take()
    left = [line for line in out.splitlines() if line]
    assert left == ["000_ba940200d1e312e2.txt:6-7 (The Kreml…", "(31 lines, shown in the pager)"]
    assert captured.paged == ["000:6-7"]
    captured.screen.show_long([("", "help\n" + "\n".join(f"line {n}" for n in range(30)))], "help")
    assert captured.take()[0].splitlines()[0] == "help  (31 lines, shown in the pager)"  # fits: one line


def test_a_chat_on_a_folder_with_nothing_to_search_says_so(tmp_path):
    import subprocess
    import sys
    (tmp_path / "empty").mkdir()
    repl = Path(__file__).resolve().parent.parent / "repl.py"
    done = subprocess.run([sys.executable, str(repl), "--corpus", str(tmp_path / "empty"), "--index",
                           str(tmp_path / "index"), "--lexical"], input="Who is Peskov?\n", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert "qa: warning: no text to search in " in done.stderr and "Traceback" not in done.stderr
