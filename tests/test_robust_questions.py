"""Hostile and odd questions: each is answered (exit 0), found wanting (exit 1) or refused with one line
(exit 2); never a traceback, never a hang, and ``--json`` always gives the question back (exactly, but for
bytes that are not UTF-8: U+FFFD).

Most cases run ``qa.cli.main`` in-process (fast); the stdin and size cases run the real command line.
"""
import json

import pytest

from qa import cli, stdio
from conftest import SEEDS, json_lines, run_qa

CASES = {
    "stop words only": "the of and is it was what who",
    "punctuation only": "?!.,;:…—()[]{}'\"",
    "one letter": "a",
    "one digit": "7",
    "one CJK character": "宫",
    "emoji": "😀🎉🚀 👍🏽",
    "Cyrillic": "Кто такой Песков?",
    "CJK": "克里姆林宫发言人是谁",
    "Arabic, right to left": "من هو المتحدث باسم الكرملين",
    "combining marks": "Pe\u0301skov" + "\u0301" * 50,
    "zero-width and bidi marks": "Pes\u200bkov \u202eQatar\u202c",
    "escape sequences": "\x1b[2J\x1b[31mPeskov\x1b[0m \x1b]0;pwned\x07 Qatar",
    "control characters": "Peskov\x00\x01\x08\x7f\x9b Qatar\x0c",
    "a file path": "/etc/passwd",
    "a relative path": "../../../../etc/shadow",
    "a corpus file's own path": "seeds/000_ba940200d1e312e2.txt",
    "format strings": "%s %n %x {0} {question} ${HOME} $(rm -rf /) `id`",
    "regex metacharacters": "(((((a*)*)*)*)*$^[\\",
    "a long word": "a" * 5000,
    "many long words": " ".join(["zelenskyyzelenskyy" * 10] * 100),
    "a thousand short words": " ".join(["Peskov", "Qatar", "said"] * 334),
    "lone surrogates": "Peskov \udcff\udcfe",
    "a JSON document": '{"question": "x", "results": [1, 2]}',
}


def ask_in_process(capsys, index_dir, question, *flags):
    code = cli.main(["ask", *flags, "--corpus", str(SEEDS), "--index", str(index_dir), "--", question])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", list(CASES))
def test_odd_question_gives_valid_json_and_exit_0_or_1(seeds_index, capsys, name):
    question = CASES[name]
    code, out, err = ask_in_process(capsys, seeds_index.path, question, "--json")
    assert code in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err
    out.encode("utf-8")  # valid UTF-8, lone surrogates included (they are \\u escapes)
    [answer] = json_lines(out)
    # an argument's bytes that are not UTF-8 (lone surrogates to Python) read as U+FFFD, as on stdin
    assert answer["question"] == stdio.argument_text(question)[:cli.MAX_QUESTION_CHARS]
    assert set(answer) == {"question", "answer", "results", "query", "mode"}
    for r in answer["results"]:
        assert r["text"] in (SEEDS / r["source"]).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(CASES))
def test_odd_question_in_text_mode_prints_no_control_characters(seeds_index, capsys, name):
    code, out, err = ask_in_process(capsys, seeds_index.path, CASES[name], "--color", "never")
    assert code in (0, 1), err
    assert not any(c in out for c in "\x1b\x07\x00\r\x08\x9b\u202e"), repr(out[:200])


@pytest.mark.parametrize("question", ["", "   ", "\t \u3000 "])
def test_empty_or_blank_question_is_refused_in_one_line(seeds_index, capsys, question):
    code, out, err = ask_in_process(capsys, seeds_index.path, question)
    assert code == 2 and out == "" and err == "qa: empty question\n"


def test_question_that_looks_like_a_flag_is_a_usage_error(seeds_index):
    r = run_qa("ask", "--corpus", SEEDS, "--index", seeds_index.path, "-x")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "unrecognized arguments" in r.stderr


def test_a_path_question_reads_no_file(seeds_index, capsys):
    code, out, err = ask_in_process(capsys, seeds_index.path, "/etc/passwd root", "--json", "-k", "10")
    assert "root:x:0:0" not in out and code in (0, 1)


def test_stdin_batch_of_odd_questions_answers_each_non_blank_line(seeds_index):
    questions = [q for q in CASES.values() if "\x0c" not in q and "\udcff" not in q]  # one question a line
    lines = ["", "   "] + questions + ["Who is the Kremlin spokesman?", ""]
    r = run_qa("ask", "--json", "--corpus", SEEDS, "--index", seeds_index.path, input="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    answers = json_lines(r.stdout)
    expected = [q.strip()[:cli.MAX_QUESTION_CHARS] for q in questions] + ["Who is the Kremlin spokesman?"]
    assert [a["question"] for a in answers] == expected
    assert answers[-1]["answer"] is not None


def test_stdin_that_is_not_utf8_is_read_with_replacement_characters(seeds_index):
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "--corpus", str(SEEDS), "--index",
                        str(seeds_index.path)], input=b"Peskov \xff\xfe Qatar\n\xc3\n", capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    answers = [json.loads(line) for line in r.stdout.decode("utf-8").splitlines()]
    assert [a["question"] for a in answers] == ["Peskov \ufffd\ufffd Qatar", "\ufffd"]


def test_a_byte_order_mark_before_piped_lines_is_dropped_by_ask_and_chat(seeds_index):
    bom = "\ufeff"
    r = run_qa("ask", "--json", "--lexical", "--corpus", SEEDS, "--index", seeds_index.path,
               input=bom + "Peskov Qatar\n")
    assert [a["question"] for a in json_lines(r.stdout)] == ["Peskov Qatar"]
    r = run_qa("chat", "--lexical", "--corpus", SEEDS, "--index", seeds_index.path, input=bom + "/k 1\n")
    assert r.stdout.strip() == "Answers now show up to 1 passage." and r.returncode == 0, r.stderr


def test_text_mode_echo_of_stdin_questions_is_sanitized(seeds_index):
    r = run_qa("ask", "--color", "always", "--corpus", SEEDS, "--index", seeds_index.path,
               input="\x1b]0;pwned\x07Peskov \x1b[2J Qatar\n")
    assert r.returncode in (0, 1)
    assert "? Peskov  Qatar" in r.stdout and "pwned" not in r.stdout and "\x07" not in r.stdout
    assert "\x1b[2J" not in r.stdout and "\x1b]" not in r.stdout


@pytest.mark.parametrize("kind", ["words", "one word", "no words"])
def test_one_megabyte_question_is_cut_and_answered_in_bounded_time(seeds_index, kind):
    question = {"words": " ".join(["Peskov", "Qatar", "Kremlin", "spokesman"] * 30000),
                "one word": "ж" * 1_000_000,
                "no words": "?! " * 350_000}[kind][:1_000_000]
    # the timeout detects a hang only (a 10,000-letter word once took 35 s and 10 GB)
    r = run_qa("ask", "--json", "--corpus", SEEDS, "--index", seeds_index.path, input=question + "\n", timeout=60)
    assert r.returncode in (0, 1), r.stderr
    assert r.stderr == f"qa: question cut to its first {cli.MAX_QUESTION_CHARS} characters\n"
    [answer] = json_lines(r.stdout)
    # an argument's bytes that are not UTF-8 (lone surrogates to Python) read as U+FFFD, as on stdin
    assert answer["question"] == stdio.argument_text(question)[:cli.MAX_QUESTION_CHARS].strip()


def test_api_takes_a_long_question_without_the_cli_cut(seeds_index):
    answer = seeds_index.ask("Peskov " + "q" * 200_000 + " Qatar")
    assert answer.question.startswith("Peskov") and len(answer.question) > 200_000
