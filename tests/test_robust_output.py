"""Documents and file names holding escape sequences and control characters never reach the terminal
as such: text output drops them (file names show them as visible ``\\x1b`` escapes), JSON keeps every
character exactly but escaped, so ``json.loads`` gives the file's text back.
"""
import json
import os

import pytest
from hypothesis import given, settings, strategies as st

from qa import render
from qa.model import Answer, AnswerLine, Citation, Result
from conftest import json_lines, run_qa

HOSTILE = (
    "The zebra migration \x1b[31mstarts\x1b[0m in the Serengeti \x1b[2J\x1b[H every year when the rains come.\x07\n"
    "Window title \x1b]0;pwned\x07 and a link \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ as the zebra herds "
    "cross the river.\n"
    "A carriage\rreturn hides the zebra text, and \x9b31m an 8-bit CSI, back\x08\x08spaces, a \u202eright to left "
    "override\u202c, a DEL\x7f, a form\x0cfeed, a vertical\x0btab, \x1bP device control \x1b\\ and a\u2028line "
    "separator near the zebra.\n"
)
OURS = ["\x1b[1;33m", "\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[36m"]  # the only codes qa itself prints
UNSAFE = set("\x1b\x07\r\x08\x00\x9b\x7f\x0c\x0b\u202e\u202c\u2028\x90")


def without_our_codes(text: str) -> str:
    for code in OURS:
        text = text.replace(code, "")
    return text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    root = base / "corpus"
    root.mkdir()
    (root / "zebra.txt").write_bytes(HOSTILE.encode("utf-8"))
    (root / "evil\x1b[31mname\x07.txt").write_text("The zebra crossing of the evil name holds the zebra herds of "
                                                    "the wide plains.\n")
    (root / "binary\x1b]0;pwned\x07.txt").write_bytes(b"\x00\x01\x02" * 100)
    index = base / "index"
    r = run_qa("index", "--corpus", root, "--index", index)
    assert r.returncode == 0, r.stderr
    return root, index, r


@pytest.mark.parametrize("color", ["always", "never"])
def test_text_output_has_no_control_characters_from_documents_or_names(hostile, color):
    root, index, _ = hostile
    r = run_qa("ask", "--color", color, "-k", 5, "--corpus", root, "--index", index, "zebra herds river")
    assert r.returncode in (0, 1), r.stderr
    shown = without_our_codes(r.stdout)
    assert not UNSAFE & set(shown), sorted(UNSAFE & set(shown))
    assert "pwned" not in shown and "evil.example" not in shown  # OSC payloads go with their sequences
    assert "evil\\x1b[31mname\\x07.txt" in shown  # the name is still recognisable
    assert "zebra" in shown and "Serengeti" in shown


def test_stdin_questions_in_text_mode_are_shown_clean(hostile):
    root, index, _ = hostile
    r = run_qa("ask", "--color", "always", "--corpus", root, "--index", index,
               input="zebra \x1b]0;pwned\x07herds\nzebra\rriver\n")
    assert r.returncode in (0, 1)
    assert not UNSAFE & set(without_our_codes(r.stdout))


def test_json_keeps_the_exact_text_escaped(hostile):
    root, index, _ = hostile
    r = run_qa("ask", "--json", "-k", 5, "--corpus", root, "--index", index, "zebra herds river \x1b[2J")
    assert r.returncode in (0, 1)
    raw = r.stdout
    assert not UNSAFE & set(raw)  # every control, bidi and separator character is a \\u escape
    [answer] = json_lines(raw)
    assert answer["question"] == "zebra herds river \x1b[2J"
    by_source = {res["source"]: res for res in answer["results"]}
    top = by_source["zebra.txt"]
    assert top["text"] == HOSTILE[top["char_start"]:top["char_end"]]
    assert "\x1b]0;pwned\x07" in HOSTILE[top["char_start"]:top["char_end"]] or top["line_start"] != 2
    assert "evil\x1b[31mname\x07.txt" in by_source


def test_sources_show_hostile_names_escaped_in_text_and_exact_in_json(hostile):
    root, index, _ = hostile
    r = run_qa("sources", "--corpus", root, "--index", index)
    assert r.returncode == 0 and not UNSAFE & set(r.stdout) and "evil\\x1b[31mname\\x07.txt" in r.stdout
    r = run_qa("sources", "--json", "--corpus", root, "--index", index)
    assert not UNSAFE & set(r.stdout)
    assert {d["source"] for d in json_lines(r.stdout)} == {"zebra.txt", "evil\x1b[31mname\x07.txt"}


def test_warnings_about_hostile_names_are_one_escaped_line(hostile):
    _, _, r = hostile
    [line] = [ln for ln in r.stderr.splitlines() if "binary" in ln]
    assert line == "qa: skipped binary\\x1b]0;pwned\\x07.txt: binary file"
    assert not UNSAFE & set(r.stderr)


def test_error_messages_with_hostile_paths_are_one_escaped_line(tmp_path):
    r = run_qa("ask", "--corpus", tmp_path / "no\x1b[2Jsuch\nfolder", "zebra")
    assert r.returncode == 2
    assert r.stderr == f"qa: corpus folder not found: {tmp_path}/no\\x1b[2Jsuch\\nfolder\n"


# ---------------------------------------------------------------- properties of the renderer


SAFE_LAYOUT = set("\n\t")
ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=300)  # surrogates included


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_sanitize_leaves_no_control_characters(text):
    clean = render.sanitize(text)
    assert not {c for c in clean if c not in SAFE_LAYOUT and (ord(c) < 32 or 0x7f <= ord(c) <= 0x9f)}
    assert not {c for c in clean if 0xD800 <= ord(c) <= 0xDFFF}
    clean.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_one_line_is_one_printable_line(text):
    shown = render.one_line(text)
    assert "\n" not in shown and not UNSAFE & set(shown)
    shown.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_json_dumps_round_trips_exactly_and_is_plain_utf8(text):
    line = render.json_dumps({"text": text})
    assert json.loads(line) == {"text": text}
    assert "\n" not in line and not UNSAFE & set(line)
    line.encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT, source=ANY_TEXT, color=st.booleans())
def test_rendered_answers_hold_only_our_own_escape_codes(text, source, color):
    result = Result(rank=1, score=1.0, source=source, line_start=1, line_end=2, text=text, char_start=0,
                    char_end=len(text), passage_id=0, also_in=[Citation(source, 3, 3)])
    answer = Answer(question="q", answer=AnswerLine(text, source, 1, 1), results=[result], terms=["zebra"])
    out = render.render_answer(answer, color=color, width=60)
    assert not UNSAFE & set(without_our_codes(out))
    out.encode("utf-8")


def test_reader_that_goes_away_ends_qa_quietly(hostile, tmp_path):
    # `qa ask ... | head -1`: no "Exception ignored ... BrokenPipeError", exit 0
    import subprocess
    import sys
    root, index, _ = hostile
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    script = (f"{sys.executable} -m qa ask --json --corpus '{root}' --index '{index}' | head -c 1 >/dev/null; "
              "exit ${PIPESTATUS[0]}")
    r = subprocess.run(["bash", "-c", script], input="zebra\n" * 3000, capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.parametrize("output, says", [(">/dev/full", "qa: cannot write the output: No space left on device\n"),
                                          (">&-", "qa: standard output is closed: there is nowhere to print the "
                                                  "answers\n")])
def test_output_that_cannot_be_written_is_one_line_and_exit_2(hostile, output, says):
    """A full disk or a closed stdout is the environment's problem, told in one line (exit 2), not "an internal
    error" (exit 3, for qa's own bugs)."""
    import subprocess
    import sys
    root, index, _ = hostile
    if output == ">/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    script = f"{sys.executable} -m qa ask --corpus '{root}' --index '{index}' zebra {output}"
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stderr) == (2, says)
