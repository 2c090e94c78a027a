"""The command line as a user runs it: a subprocess, real files, real exit codes."""
import json
import re

from conftest import DEV_QUESTIONS, SEEDS, json_lines, run_qa

CITATION = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt:\d+(?:-\d+)?\b")


def test_ask_prints_answer_line_and_cited_passages(tmp_path):
    # a new index folder: the first question builds the index (the other tests ask a copy of a built one)
    out = run_qa("ask", "Who is the Kremlin spokesman?", "--index", tmp_path, env={"COLUMNS": ""})
    assert out.returncode == 0, out.stderr
    assert 70 < max(map(len, out.stdout.splitlines())) <= 80  # piped, no width told: 80 columns, as in the README
    assert "Peskov" in out.stdout or "spokesman" in out.stdout
    assert re.search(r"^\[1\] ", out.stdout, re.M) and re.search(r"^\[3\] ", out.stdout, re.M)
    assert len(CITATION.findall(out.stdout)) >= 4
    assert "\x1b[" not in out.stdout  # not a terminal: no colour


def test_json_contract(seeds_index_copy):
    out = run_qa("ask", "--json", "-k", "4", "When did Russia annex Crimea?", "--index", seeds_index_copy)
    assert out.returncode == 0
    [obj] = json_lines(out.stdout)
    assert obj["question"] == "When did Russia annex Crimea?"
    assert set(obj["answer"]) == {"text", "source", "line_start", "line_end"}
    assert len(obj["results"]) == 4
    assert [r["rank"] for r in obj["results"]] == [1, 2, 3, 4]
    for r in obj["results"]:
        lines = (SEEDS / r["source"]).read_text(encoding="utf-8").splitlines()
        assert r["text"] in "\n".join(lines[r["line_start"] - 1:r["line_end"]])
        assert {"rank", "score", "source", "line_start", "line_end", "text"} <= set(r)
    ans = obj["answer"]
    file_lines = (SEEDS / ans["source"]).read_text(encoding="utf-8").splitlines()
    assert ans["text"] in "\n".join(file_lines[ans["line_start"] - 1:ans["line_end"]])


def test_questions_from_stdin_one_per_line(seeds_index_copy):
    out = run_qa("ask", "--json", "--index", seeds_index_copy,
                 input="nuclear doctrine\n\nWhat is the population of Kherson?\nATACMS\n")
    assert out.returncode == 0
    objs = json_lines(out.stdout)
    assert [o["question"] for o in objs] == ["nuclear doctrine", "What is the population of Kherson?", "ATACMS"]
    assert objs[1]["answer"] is None and len(objs[1]["results"]) == 3
    assert objs[0]["answer"] and objs[2]["answer"]


def test_parallel_answers_equal_one_at_a_time_in_order(seeds_index_copy):
    questions = [json.loads(line)["question"] for line in DEV_QUESTIONS.open()]
    stdin = "\n".join(questions) + "\n"
    one = run_qa("ask", "--json", "-k", "5", "-j", "1", "--index", seeds_index_copy, input=stdin)
    many = run_qa("ask", "--json", "-k", "5", "-j", "3", "--index", seeds_index_copy, input=stdin)
    assert many.returncode == one.returncode == 0, many.stderr
    assert many.stdout == one.stdout
    assert [o["question"] for o in json_lines(many.stdout)] == questions
    text = run_qa("ask", "-j", "2", "--index", seeds_index_copy, input="nuclear doctrine\nATACMS\n")
    assert text.stdout.startswith("? nuclear doctrine\n") and "\n? ATACMS\n" in text.stdout


def test_parallel_long_question_is_cut_with_a_notice(seeds_index_copy):
    out = run_qa("ask", "-j", "2", "--json", "--index", seeds_index_copy, input="ATACMS\n" + "nuclear " * 2000 + "\n")
    assert out.returncode == 0 and len(json_lines(out.stdout)) == 2
    assert out.stderr.strip().endswith("qa: question cut to its first 10000 characters")
    assert "Traceback" not in out.stderr


def test_chat_mode_follows_up(seeds_index_copy):
    out = run_qa("ask", "--json", "--chat", "--index", seeds_index_copy,
                 input="What did Peskov say about Qatar?\nWhy was it praised?\n")
    second = json_lines(out.stdout)[1]
    assert any("mediat" in r["text"] for r in second["results"])


def test_chat_mode_counts_what_the_conversation_is_about(seeds_index_copy):
    """"How many were shot down?" leaves out what it counts: the drones of the question before."""
    out = run_qa("ask", "--json", "--chat", "--lexical", "-k", "1", "--index", seeds_index_copy,
                 input="How many drones did Russia launch?\nHow many were shot down?\nHow much was the last US aid?\n")
    asked = [line["query"] for line in json_lines(out.stdout)]
    assert asked[1] == "How many were shot down? [after: How many drones did Russia launch?]"
    assert "22 were shot down" in json_lines(out.stdout)[1]["answer"]["text"]
    assert asked[2] == "How much was the last US aid?"  # names what it asks about


def test_chat_mode_asks_a_new_topic_alone_though_it_says_this_there_or_his(seeds_index_copy):
    questions = ["When did Russia annex Crimea?", "This year, what did Biden approve?",
                 "Is there any chance of a ceasefire?", "Who has Trump named as his special envoy?",
                 "My uncle says the Kremlin wants talks while its troops attack Kharkiv; why would it say that?",
                 "Why was it praised?"]
    out = run_qa("ask", "--json", "--chat", "--lexical", "--index", seeds_index_copy, input="\n".join(questions) + "\n")
    asked = [line["query"] for line in json_lines(out.stdout)]
    assert asked[:5] == questions[:5]  # the fifth names its own topic before its "it" and "that"
    assert asked[5] == f"Why was it praised? [after: {questions[4]}]"
    biden = json_lines(out.stdout)[1]["answer"]
    assert "long-range" in biden["text"] and "Crimea" not in biden["text"]


def test_exit_1_when_nothing_relevant(seeds_index_copy):
    out = run_qa("ask", "What is the population of Kherson?", "--index", seeds_index_copy)
    assert out.returncode == 1
    assert "closest matches" in out.stdout


def test_usage_errors_are_one_line_exit_2(tmp_path):
    for args in (["ask", "-k", "zero", "x"], ["ask", "--nope", "x"], ["frobnicate"],
                 ["ask", "x", "--corpus", tmp_path / "missing"]):
        out = run_qa(*args)
        assert out.returncode == 2, args
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "Traceback" not in out.stderr


def test_an_unknown_option_points_at_the_help_of_its_command():
    for args, says in ((["ask", "--nope", "x"], "(see 'qa ask --help')"), (["chat", "--json"], "(see 'qa chat --help')"),
                       (["sources", "--cluster", "local:2"], "(see 'qa sources --help')"),
                       (["ask", "-x"], "goes after '--': qa ask -- -x (see 'qa ask --help')")):
        out = run_qa(*args, input="")
        assert out.returncode == 2 and out.stderr.startswith("qa: unrecognized arguments: ") and out.stdout == ""
        assert out.stderr.rstrip("\n").endswith(says) and out.stderr.count("\n") == 1, out.stderr


def test_the_chat_names_its_own_bound_on_k():
    for k in ("0", "51"):
        out = run_qa("chat", "-k", k, input="")
        assert out.returncode == 2 and "must be between 1 and 50 in the chat" in out.stderr, out.stderr


def test_color_only_when_asked_or_on_terminal(seeds_index_copy):
    out = run_qa("ask", "--color", "always", "nuclear doctrine", "--index", seeds_index_copy)
    assert "\x1b[" in out.stdout
    out = run_qa("ask", "--color", "auto", "nuclear doctrine", "--index", seeds_index_copy, env={"NO_COLOR": "1"})
    assert "\x1b[" not in out.stdout


def test_index_command_and_other_corpus(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "notes.md").write_text("The lighthouse keeper on Skerryvore logged every passing ship in a "
                                     "leather-bound journal for thirty years.\n", encoding="utf-8")
    out = run_qa("index", "--corpus", corpus, "--index", tmp_path / "idx")
    assert out.returncode == 0 and "indexed 1 document (1 md), 1 passage -> " in out.stdout
    out = run_qa("ask", "--json", "lighthouse journal", "--corpus", corpus, "--index", tmp_path / "idx")
    obj = json_lines(out.stdout)[0]
    assert obj["results"][0]["source"] == "notes.md" and obj["results"][0]["line_start"] == 1


def test_default_index_location_for_another_corpus(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Glaciers in the Alps lost a tenth of their volume in two summers, "
                                  "scientists reported.\n", encoding="utf-8")
    out = run_qa("ask", "glaciers Alps", "--corpus", corpus, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert out.returncode == 0, out.stderr
    assert list((tmp_path / "cache" / "qa").glob("docs-*/manifest.json"))


def test_edit_triggers_rebuild_note(seeds_copy, tmp_path):
    idx = tmp_path / "idx"
    run_qa("index", "--corpus", seeds_copy, "--index", idx)
    f = seeds_copy / "000_ba940200d1e312e2.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("Qatar", "Oman"), encoding="utf-8")
    out = run_qa("ask", "--json", "Oman mediator", "--corpus", seeds_copy, "--index", idx)
    assert "changed" in out.stderr
    assert any("Oman" in r["text"] for r in json_lines(out.stdout)[0]["results"])


def test_sources_lists_documents(seeds_index_copy):
    out = run_qa("sources", "--json", "--index", seeds_index_copy)
    rows = json_lines(out.stdout)
    assert len(rows) == 5 and all(r["passages"] > 0 for r in rows)


def test_stdin_lines_end_at_a_lone_cr_and_invisible_lines_are_blank(seeds_index_copy):
    """Questions saved by an old Mac editor (CR), files joined by cat (a BOM starting a later line), a line holding
    only a zero-width space or a BOM (blank, skipped)."""
    piped = "Who is Peskov?\rWhen did Russia annex Crimea?\r\ufeffWhat is NATO?\n\u200b\n\ufeff\n"
    out = run_qa("ask", "--json", "--lexical", "-k", "1", "--index", seeds_index_copy, input=piped)
    assert [a["question"] for a in json_lines(out.stdout)] == [
        "Who is Peskov?", "When did Russia annex Crimea?", "What is NATO?"]


def test_a_question_argument_that_is_not_utf8_reads_as_replacement_characters(seeds_index_copy):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "--lexical", "--index", str(seeds_index_copy),
                           b"Caf\xe9 Peskov"], capture_output=True, env=env, timeout=120)
    assert done.returncode in (0, 1) and done.stderr == b""
    assert json.loads(done.stdout)["question"] == "Caf\ufffd Peskov"  # as on stdin; JSON holds no lone surrogate
