"""Documents holding every family of escape sequence, printed through every output path at a real
pseudo-terminal (the chat's answers, /open, /sources, the pager; `qa ask` plain and highlighted, its
citations and heading paths; `qa sources` with titles): nothing of a sequence reaches the screen, and
JSON keeps the file's exact text."""
from __future__ import annotations

import json
import sys

import pexpect
import pytest

from conftest import REPO, run_qa
from test_repl_pty import PROMPT, Terminal

# each family, its payload a marker that must never be seen; "kremlin" inside some payloads, so a
# highlight cuts through them
FAMILIES = {
    "csi": "\x1b[2J\x1b[31;1mCSIMARK\x1b[0m",  # only the parameters go: CSIMARK is text
    "csi-8bit": "\u009b2J\u009b31m",
    "osc-bel": "\x1b]0;OSCBELMARK kremlin\x07",
    "osc-st": "\x1b]52;c;OSCSTMARK==\x1b\\",
    "osc-8bit": "\u009d0;OSCEIGHTMARK kremlin\u009c",
    "dcs": "\x1bPq#0;DCSMARK\x1b\\",
    "dcs-8bit": "\u0090q#0;DCSEIGHTMARK\u009c",
    "apc": "\x1b_APCMARK kremlin\x1b\\",
    "pm": "\x1b^PMMARK\x1b\\",
    "sos": "\x1bXSOSMARK\x1b\\",
    "c1": "\u0085\u0084\u008e\u009a",
    "bidi": "\u202eBIDI\u202c\u2066\u2069",
    "esc": "\x1bc\x1b(0\x1b7",
}
MARKS = ["OSCBELMARK", "OSCSTMARK", "OSCEIGHTMARK", "DCSMARK", "DCSEIGHTMARK", "APCMARK", "PMMARK", "SOSMARK",
         "2J", "31m", "31;1m", "q#0"]
QUESTION = "What did the Kremlin spokesman say about the talks?"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("escapes") / "corpus"
    root.mkdir()
    for name, sequence in FAMILIES.items():
        lines = ["Filler line about the weather and the harbour.\n"] * 3
        lines.append(f"The Kremlin spokesman {sequence} said the talks {sequence} went well, {name} edition.\n")
        lines += ["More filler about the river and the bridge.\n"] * 40  # tall: /open goes through the pager
        (root / f"{name}.txt").write_text("".join(lines), encoding="utf-8")
    (root / "heading.md").write_text(f"# Talks {FAMILIES['osc-bel']} {FAMILIES['csi']} news\n\n"
                                     "The Kremlin spokesman said the talks went well, heading edition.\n")
    return root


def assert_inert(screen: str) -> None:
    ours = screen
    for mark in MARKS:
        assert mark not in _without_our_codes(ours), mark
    assert not any("\u0080" <= c <= "\u009f" or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                   for c in screen)
    for start in ("\x1b]", "\x1bP", "\x1b_", "\x1b^", "\x1bX", "\x1bc", "\x1b(0", "\x1b[2J"):
        assert start not in screen, repr(start)


def _without_our_codes(screen: str) -> str:
    import re
    return re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()=>78][0-9A-Za-z]?", "", screen)


def _pty(args: list[str], tmp_path) -> str:
    env = {"TERM": "xterm-256color", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    child = pexpect.spawn(sys.executable, ["-m", "qa", *args], cwd=str(REPO), env=env, dimensions=(30, 100),
                          encoding="utf-8", codec_errors="replace", timeout=60)
    out = child.read()
    child.close()
    assert child.exitstatus in (0, 1), out
    return out


def test_qa_ask_and_sources_at_a_terminal_show_no_sequence(corpus, tmp_path):
    index = tmp_path / "index"
    plain = _pty(["ask", "--corpus", str(corpus), "--index", str(index), "-k", "20", QUESTION], tmp_path)
    coloured = _pty(["ask", "--color", "always", "--corpus", str(corpus), "--index", str(index), "-k", "20",
                     QUESTION], tmp_path)
    heading = _pty(["ask", "--color", "always", "--corpus", str(corpus), "--index", str(index),
                    "heading edition talks"], tmp_path)
    sources = _pty(["sources", "--corpus", str(corpus), "--index", str(index)], tmp_path)
    assert "heading.md" in heading and "Talks" in heading and "\x1b[1;33m" in coloured
    assert all(f"{name}.txt" in sources for name in FAMILIES)
    assert sum(f"{name} edition" in plain for name in FAMILIES) >= len(FAMILIES) // 2  # (the rest: "also in")
    for screen in (plain, coloured, heading, sources):
        assert_inert(screen)


def test_json_keeps_the_exact_text(corpus, tmp_path):
    run = run_qa("ask", "--json", "--corpus", corpus, "--index", tmp_path / "index", "-k", "20", QUESTION)
    assert run.returncode == 0, run.stderr
    texts = {r["source"]: r["text"] for r in json.loads(run.stdout)["results"]}
    for name, sequence in FAMILIES.items():
        if f"{name}.txt" in texts:
            assert sequence in texts[f"{name}.txt"]


def test_the_chat_answers_open_sources_and_pager_show_no_sequence(corpus, tmp_path):
    env = {"TERM": "xterm-256color", "HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "PATH": "/usr/bin:/bin"}
    term = Terminal(["--corpus", str(corpus), "--index", str(tmp_path / "index")], env, rows=16, columns=80)
    try:
        term.wait_for(PROMPT)
        term.ask(QUESTION, "edition")
        since = term.mark()
        term.child.send("/sources\r")
        term.wait_for("heading.md", "q quits", since=since)  # through the pager
        term.press("q", PROMPT)
        term.ask("/open 1", "edition")
        term.ask("heading edition talks", "heading.md")
        since = term.mark()
        term.child.send("/open 1\r")
        term.wait_for("Kremlin", since=since)
        if "q quits" in term.text(since):
            term.press("q", PROMPT)
        term.mark()  # everything it printed
    finally:
        term.child.close(force=True)
    assert_inert(term.raw)
