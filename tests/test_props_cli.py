"""Property tests over the command line: any question gives exit 0 or 1 and one JSON object with the
contract's fields (README, "Scripting contract"), whose passages are the files' own text at the cited
lines. Many examples run ``qa.cli.main`` in-process; a few run the real process with stdin batches.
"""
import json
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from qa import cli
from conftest import REPO, SEEDS

TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
CORPUS_WORDS = sorted({w for t in TEXTS.values() for w in re.findall(r"\w+", t)})
TOP_KEYS = {"question", "answer", "results", "query", "mode"}
ANSWER_KEYS = {"text", "source", "line_start", "line_end"}
RESULT_KEYS = {"rank", "score", "source", "line_start", "line_end", "text", "char_start", "char_end",
               "passage_id", "also_in", "lexical_score", "semantic_score"}

any_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120)
corpus_question = st.lists(st.sampled_from(CORPUS_WORDS), min_size=1, max_size=12).map(" ".join)
mixed = st.lists(st.one_of(st.sampled_from(CORPUS_WORDS), any_text,
                           st.sampled_from(["\x1b[31m", "?", "😀", "\u202e", "\x00", "ж" * 300, "..."])),
                 min_size=1, max_size=8).map(" ".join)
QUESTIONS = st.one_of(corpus_question, any_text, mixed).filter(lambda q: q.strip())


def line_of(text: str, offset: int) -> int:
    return 1 + len(re.findall(r"\r\n|\r|\n", text[:offset]))


def check_contract(answer: dict, question: str, k: int) -> None:
    assert set(answer) == TOP_KEYS
    assert answer["question"] == question
    assert isinstance(answer["query"], str)
    results = answer["results"]
    assert isinstance(results, list) and len(results) <= k
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    assert all(a["score"] >= b["score"] for a, b in zip(results, results[1:]))
    assert answer["mode"] in ("semantic", "lexical")
    for r in results:
        assert set(r) == RESULT_KEYS
        assert isinstance(r["lexical_score"], float)
        assert (r["semantic_score"] is None) == (answer["mode"] == "lexical")
        text = TEXTS[r["source"]]
        assert r["text"] == text[r["char_start"]:r["char_end"]]
        assert (r["line_start"], r["line_end"]) == (line_of(text, r["char_start"]), line_of(text, r["char_end"]))
        for other in r["also_in"]:
            assert set(other) == {"source", "line_start", "line_end"} and other["source"] in TEXTS
    if answer["answer"] is not None:
        a = answer["answer"]
        assert set(a) == ANSWER_KEYS and results and a["source"] == results[0]["source"]
        assert a["text"] in results[0]["text"]
        assert results[0]["line_start"] <= a["line_start"] <= a["line_end"] <= results[0]["line_end"]


@pytest.fixture(scope="module")
def model_loaded_once():
    """The real semantic model loaded once for the module's in-process examples, as a long-lived process (the chat,
    a cluster worker) keeps it: creating its ONNX session was four fifths of each example's time."""
    from qa.semantic import embedder
    real, loaded = embedder.Embedder, {}

    def load_once(folder=None, int8=False):
        if (folder, int8) not in loaded:
            loaded[(folder, int8)] = real(folder, int8)
        return loaded[(folder, int8)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedder, "Embedder", load_once)
        yield


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS, k=st.integers(1, 12))
def test_any_question_gives_exit_0_or_1_and_the_contract_json_in_process(seeds_index, model_loaded_once, capsys,
                                                                         question, k):
    code = cli.main(["ask", "--json", "-k", str(k), "--corpus", str(SEEDS), "--index", str(seeds_index.path),
                     "--", question])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err
    lines = out.splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    check_contract(answer, question[:cli.MAX_QUESTION_CHARS], k)
    assert code == (0 if answer["answer"] is not None else 1)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(st.sampled_from(" \t\u3000\u2003\n"), max_size=5))
def test_blank_question_is_exit_2_with_one_line(seeds_index, capsys, question):
    code = cli.main(["ask", "--json", "--corpus", str(SEEDS), "--index", str(seeds_index.path), "--", question])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err == "qa: empty question\n"


one_line_question = QUESTIONS.map(lambda q: re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", q)) \
    .filter(lambda q: q.strip())


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(questions=st.lists(one_line_question, min_size=1, max_size=6), k=st.integers(1, 5))
def test_real_process_answers_a_batch_of_any_questions_by_the_contract(seeds_index, questions, k):
    r = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "-k", str(k), "--corpus", str(SEEDS),
                        "--index", str(seeds_index.path)], input="\n".join(questions) + "\n", capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    answers = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(answers) == len(questions)
    for answer, question in zip(answers, questions):
        check_contract(answer, question.strip()[:cli.MAX_QUESTION_CHARS], k)
    assert r.returncode == (0 if any(a["answer"] for a in answers) else 1)
