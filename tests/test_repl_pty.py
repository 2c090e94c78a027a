"""`python repl.py` driven through a real pseudo-terminal, as a person would use it."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

import qa
from qa.semantic import installed as semantic_installed

REPO = Path(__file__).resolve().parent.parent
REPL = str(REPO / "repl.py")
QUESTIONS = {q["id"]: q for q in map(json.loads, (REPO / "tests/data/seed_questions_dev.jsonl").read_text().splitlines())}
CITATION = re.compile(r"\d{3}_[0-9a-f]{16}\.txt:\d+")
TIMEOUT = 30
PROMPT = "qa>"

_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
# SGR parameters that set a colour (foreground, background, 256 or RGB).
_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


class Terminal:
    """A child in a pty, its output kept raw; searched as plain text (escapes out, whitespace collapsed).

    prompt_toolkit asks where the cursor is (CPR) before it draws the bottom
    toolbar, as any terminal would be asked; this one answers "top left".
    Positions (`since`) are offsets in the raw output.
    """

    def __init__(self, args: list[str], env: dict, rows: int = 50, columns: int = 100):
        self.child = pexpect.spawn(sys.executable, [REPL, *args], cwd=str(REPO), env=env, dimensions=(rows, columns),
                                   encoding="utf-8", codec_errors="replace", timeout=TIMEOUT)
        self.raw = ""

    def text(self, since: int = 0) -> str:
        return _plain(self.raw[since:])

    def mark(self) -> int:
        while self._read(0.05):
            pass
        return len(self.raw)

    def wait_for(self, *needles: str | re.Pattern, since: int = 0, then: str | None = None) -> str:
        """Read until every needle is in the output after `since` (and `then` after the first of them)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            seen = self.text(since)
            ends = [_end(needle, seen) for needle in needles]
            if None not in ends and (then is None or then in seen[min(ends, default=0):]):
                return seen
            if time.monotonic() > deadline or not self.child.isalive() and not self._read(0.1):
                raise AssertionError(f"never saw {needles!r} then {then!r}; the screen said: ...{seen[-1500:]!r}")
            self._read(0.1)

    def _read(self, timeout: float) -> bool:
        try:
            chunk = self.child.read_nonblocking(65536, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            return False
        self.raw += chunk
        for _ in range(chunk.count("\x1b[6n")):
            self.child.send("\x1b[1;1R")
        return True

    def ask(self, line: str, *needles) -> str:
        """Type a line and Enter; wait for the needles, then for the next prompt.

        Only at the prompt is the terminal in raw mode; before, it would take
        Ctrl-R or Ctrl-D for itself.
        """
        since = self.mark()
        self.child.send(line + "\r")
        return self.wait_for(*needles, since=since, then=PROMPT)

    def press(self, keys: str, *needles) -> str:
        """Send keys (no Enter) and wait for the needles."""
        since = self.mark()
        self.child.send(keys)
        return self.wait_for(*needles, since=since)

    def end(self) -> int:
        """Ctrl-D; the exit status."""
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF)
        self.raw += self.child.before or ""
        self.child.close()
        return self.child.exitstatus


def _plain(raw: str) -> str:
    plain = _ESCAPE.sub(lambda m: " " if m.group().endswith("C") else "", raw)
    return re.sub(r"\s+", " ", plain.replace("\x08", ""))


def _end(needle: str | re.Pattern, text: str) -> int | None:
    if isinstance(needle, re.Pattern):
        match = needle.search(text)
        return match.end() if match else None
    at = text.find(needle)
    return at + len(needle) if at >= 0 else None


def _gold(question_id: str) -> re.Pattern:
    return re.compile("|".join(map(re.escape, QUESTIONS[question_id]["gold"])))


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("index")
    qa.open_index(None, path, warn=lambda message: None)
    return path


@pytest.fixture
def env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "PROMPT_TOOLKIT_COLOR_DEPTH")}
    env.update(HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color")
    return env


@pytest.fixture
def run(index_dir, env):
    started = []

    def start(*args, rows=50, columns=100, **extra_env):
        terminal = Terminal(["--index", str(index_dir), *args], {**env, **extra_env}, rows, columns)
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.child.close(force=True)


def test_a_conversation(run, env):
    term = run()
    term.wait_for(PROMPT, re.compile(r"corpus seeds \d+ documents · \d+ passages · k=3"))

    answer = term.ask(QUESTIONS["d001"]["question"], _gold("d001"), CITATION, "[3]")
    assert "[1]" in answer and "[2]" in answer
    followup = term.ask("Why was it praised?", _gold("d002"), CITATION)
    assert "Nothing in the documents" not in followup

    opened = term.ask("/open 1", "passage [1]", "┃")
    assert CITATION.search(opened)

    pasted = term.ask("\x1b[200~/k 2\n/k 4\x1b[201~", "up to 2 passages.", "up to 4 passages.")  # each line in turn
    assert "up to 2 passages. qa> /k 4 Answers now show up to 4" in pasted  # the second shown as if typed
    term.ask("/k 5", "Answers now show up to 5 passages.")
    term.wait_for("k=5")  # in the toolbar
    term.ask("/k x", "/k N: N is a whole number from 1 to 50.")
    term.ask("/open 99", "There is no passage 99 in the last answer")
    term.ask("/frobnicate", "Unknown command /frobnicate. /help lists the commands.")

    since = term.mark()
    term.press("half a thought", "thought")
    term.press("\x03", PROMPT)  # Ctrl-C: the line is dropped, the session goes on
    term.ask("/new", "New conversation")
    cancelled = term.text(since)
    assert "Nothing in the documents" not in cancelled and "[1]" not in cancelled

    term.press("/so", "list the documents")  # the completion menu, with each command's summary
    term.press("\t", "urces")  # the only completion taken: only what it adds is drawn
    term.press("\t")  # a second Tab keeps it
    listed = term.ask("", re.compile(r"\d+ documents, \d+ passages"))
    assert "000_ba940200d1e312e2.txt" in listed

    assert term.end() == 0
    everything = term.text()
    assert "Traceback" not in everything
    assert "Indexing the documents" not in everything  # the index existed: no bar, the prompt at once
    assert _COLOUR.search(term.raw), "a terminal gets colour"
    history = (Path(env["XDG_STATE_HOME"]) / "qa" / "history").read_text()
    assert "+What did Peskov say about Qatar?" in history and "+Why was it praised?" in history
    assert "\n+/k 2\n\n" in history and "\n+/k 4\n" in history  # the pasted lines: one history entry each


def test_history_suggests_and_searches_without_colour_under_no_color(run, env):
    history = Path(env["XDG_STATE_HOME"]) / "qa" / "history"
    history.parent.mkdir(parents=True)
    history.write_text("\n# earlier\n+What did Peskov say about Qatar?\n\n# earlier\n+Who speaks for the Kremlin?\n")
    term = run(NO_COLOR="1")
    term.wait_for(PROMPT)

    term.press("What did Pe", "skov say about Qatar?")  # the grey suggestion from history
    term.press("\x1b[C", "Qatar?")  # Right takes it
    term.ask("", _gold("d001"), CITATION)

    term.press("\x12", "reverse-i-search")  # Ctrl-R
    term.press("Kreml", "Who speaks for the Kremlin?")
    term.press("\r", PROMPT)
    term.ask("", _gold("d003"), CITATION)

    assert term.end() == 0
    assert not _COLOUR.search(term.raw), "NO_COLOR: no colour codes at all"


def test_tall_output_goes_through_a_pager(run):
    term = run(rows=16, columns=60)
    term.wait_for(PROMPT)
    term.ask(QUESTIONS["d001"]["question"], _gold("d001"))

    since = term.mark()
    term.child.send("/open 1\r")
    status = re.compile(r"lines (\d+)-\d+ of \d+ · q quits")
    paged = term.wait_for(status, "┃ Peskov told Izvestia", since=since)  # opens at the passage
    assert int(status.search(paged).group(1)) > 1
    since = term.mark()
    term.press("q", PROMPT, "k=3")  # back at the prompt, toolbar and all
    # the paged text leaves its header in the scrollback
    assert re.search(r"passage \[1\] \(\d+ lines, shown in the pager\) qa>", term.text(since))

    since = term.mark()
    term.child.send("/help\r")
    term.wait_for("q quits", "Commands", since=since)
    term.press("q", PROMPT)
    assert term.end() == 0


def test_a_dumb_terminal_gets_tall_text_printed_not_paged(run):
    term = run(rows=16, columns=60, TERM="dumb")
    term.wait_for(PROMPT)
    term.ask("/help", "Commands", "Ctrl-D")  # all of it, printed: no pager to quit
    assert term.end() == 0
    assert "q quits" not in term.text() and "\x1b[?1049h" not in term.raw  # no alternate screen
    # a plain prompt: no cursor movement, no erasing, no bracketed paste, which an editor's buffer shows as junk
    assert not re.search(r"\x1b\[\d*[ABJK]|\x1b\[\?2004h", term.raw), repr(term.raw[:300])


def test_the_toolbar_fits_a_narrow_terminal(run):
    term = run(columns=40)
    # at 100 columns: "corpus seeds  5 documents · N passages · k=3  /help · Ctrl-D quits"; here what fits, uncut
    term.wait_for(PROMPT, re.compile(r"corpus seeds \d+ docs · k=3 /help"))
    assert term.end() == 0


def test_text_from_documents_cannot_drive_the_terminal(env, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text(
        "Harmless first line about nothing.\n"
        "The Qatar mediator said\x1b]0;PWNED-TITLE\x07 that the \x1b[2Jtalks\x1b[31m went well\x07.\n"
        "Another line about the weather.\n")
    term = Terminal(["--corpus", str(corpus), "--index", str(tmp_path / "index")], env)
    try:
        term.wait_for(PROMPT)
        term.ask("What did the Qatar mediator say?", "talks went well", "evil.txt:2")
        term.ask("/open 1", "passage [1]", "┃")
        assert term.end() == 0
    finally:
        term.child.close(force=True)
    for sequence in ("\x1b]0;", "PWNED-TITLE", "\x1b[2J", "\x1b[31m", "\x07"):
        assert sequence not in term.raw  # the text is shown, its escape sequences are not


def test_a_build_shows_prompt_toolkits_progress_bar(env, tmp_path):
    script = ("import sys, qa.chat.startup as s; s.DELAY = 0; from qa.chat import main; "
              f"sys.exit(main(['--index', {str(tmp_path / 'fresh')!r}]))")
    child = pexpect.spawn(sys.executable, ["-c", script], cwd=str(REPO), env=env, dimensions=(24, 80),
                          encoding="utf-8", timeout=TIMEOUT)
    child.expect("qa: indexing ")  # the core's notice
    child.expect("Indexing the documents")
    child.expect(r"files.*\d+/ *5 ")  # the files read, counted as files
    if semantic_installed():
        child.expect(r"embedding passages.*45/ *45")  # then the passages embedded, counted as passages
    child.expect("qa>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_file_edited_during_the_chat_is_cited_as_it_now_is(env, tmp_path):
    """The chat, opened with its start-up bar, asked about a file edited meanwhile: the index is updated (a note),
    the answer cites the file's new lines, and the chat goes on (its start-up bar drawn again hung it)."""
    import shutil
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    script = ("import sys, qa.chat.startup as s; s.DELAY = 0; from qa.chat import main; "
              f"sys.exit(main(['--corpus', {str(corpus)!r}, '--index', {str(tmp_path / 'index')!r}, '--lexical']))")
    terminal = Terminal([], env, 40, 100)
    terminal.child.close(force=True)
    terminal.child = pexpect.spawn(sys.executable, ["-c", script], cwd=str(REPO), env=env, dimensions=(40, 100),
                                   encoding="utf-8", codec_errors="replace", timeout=TIMEOUT)
    terminal.wait_for("Indexing the documents", PROMPT)
    terminal.ask("Who is the Kremlin spokesman?", "002_cf0f16a4fca10365.txt:1")
    edited = corpus / "002_cf0f16a4fca10365.txt"
    edited.write_text("A new first line about the harbour.\n" + edited.read_text(encoding="utf-8"), encoding="utf-8")
    seen = terminal.ask("Who is the Kremlin spokesman?", "updating the index", "002_cf0f16a4fca10365.txt:1-3 A new first line")
    assert "Indexing the documents" not in seen
    assert terminal.ask("/k 2", "2 passages")
    assert terminal.end() == 0


@pytest.mark.parametrize("args, says", [
    (["--corpus", "/nonexistent/corpus"], "qa: corpus folder not found: /nonexistent/corpus"),
    (["--corpus", REPL], "qa: corpus is not a folder: "),
    (["--index", REPL], "qa: index path is not a folder: "),
    (["-k", "0"], "repl.py: argument -k: must be a whole number from 1 to 50"),
])
def test_a_broken_start_is_one_line_and_status_2(args, says, env):
    done = subprocess.run([sys.executable, REPL, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=TIMEOUT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(says) and done.stderr.count("\n") == 1, done.stderr


def test_chat_on_a_cluster_answers_and_follows_up(run):
    pytest.importorskip("dask.distributed", reason="needs pip install 'qa[cluster]'")
    term = run("--cluster", "local:2")
    term.wait_for(PROMPT)
    term.ask(QUESTIONS[next(iter(QUESTIONS))]["question"], CITATION)
    term.ask("/k 5", "5")
    term.ask("Who is the Kremlin spokesman?", "Peskov", CITATION)
    term.ask("what did he say about negotiations?", CITATION)
    assert term.end() == 0
