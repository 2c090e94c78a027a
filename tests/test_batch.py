"""Questions answered together (Index.ask_many, `qa ask` reading stdin) get exactly the answers they
get one at a time, and a script that writes a question and waits for its answer is never kept
waiting for a batch to fill.

The big corpus is about the lexical batching (postings looked up together, the feedback step on): it is
indexed and asked with the semantic stage off, since embedding its 3,300 passages took most of the suite's
time; the default (semantic) path is held to the same equality on the seeds."""
from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys

import pytest

import qa
from conftest import REPO

WORDS = ("harbour tower market valley river bridge castle forest meadow village mountain lantern orchard "
         "quarry glacier canyon lighthouse monastery vineyard windmill").split()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A corpus of about 3,300 passages, indexed lexically: enough for the feedback step to be on."""
    root = tmp_path_factory.mktemp("batch")
    corpus = root / "corpus"
    corpus.mkdir()
    rng = random.Random(7)
    for f in range(100):
        paras = []
        for _ in range(40):
            words = [rng.choice(WORDS[: rng.randint(4, len(WORDS))]) for _ in range(rng.randint(30, 70))]
            paras.append("The " + " ".join(words) + ".")
        (corpus / f"f{f:03d}.txt").write_text("\n\n".join(paras), encoding="utf-8")
    index = qa.build_index(corpus, root / "index", warn=lambda m: None, semantic=False)
    assert index.passage_count >= index.scoring.feedback_min_corpus
    return corpus, root / "index"


def questions(n: int) -> list[str]:
    rng = random.Random(3)
    out = []
    for _ in range(n):
        words = rng.sample(WORDS, rng.randint(1, 4))
        if rng.random() < 0.2:  # a typo, answered through a spelling variant
            w = words[0]
            words[0] = w[:2] + w[3:]
        out.append("where is the " + " ".join(words) + "?")
    return out + ["the of and", "zzzz qqqq", out[0]]  # stop words only, unknown words, a repeat


def test_ask_many_equals_ask(big):
    corpus, index = big
    asked = questions(40)
    one = qa.open_index(corpus, index, update=False, semantic=False)
    singly = [one.ask(q, 4).to_dict() for q in asked]
    many = qa.open_index(corpus, index, update=False, semantic=False)
    together = [a.to_dict() for a in many.ask_many(asked, 4)]
    assert together == singly
    assert sum(1 for a in singly if a["results"]) > 30
    assert many.ask_many([], 3) == []
    assert [a.to_dict() for a in many.ask_many(asked[:5], 4)] == singly[:5]  # looked up already: the same


def test_ask_many_equals_ask_on_the_default_semantic_path(seeds_index):
    asked = ["Who speaks for the Kremlin?", "What did Peskov say about Qatar?", "zzzz qqqq", "the of and",
             "What does Russia want before agreeing to a ceasefire?", "Who speaks for the Kremlin?"]
    one = qa.open_index(seeds_index.corpus, seeds_index.path, update=False)
    singly = [one.ask(q, 4).to_dict() for q in asked]
    assert singly[0]["mode"] == "semantic"  # the stage is on (a question nothing matches is answered lexically)
    many = qa.open_index(seeds_index.corpus, seeds_index.path, update=False)
    assert [a.to_dict() for a in many.ask_many(asked, 4)] == singly
    assert sum(1 for a in singly if a["results"]) >= 4


def test_stdin_batches_equal_one_question_a_process(big):
    corpus, index = big
    asked = questions(12)
    cmd = [sys.executable, "-m", "qa", "ask", "--json", "--lexical", "-k", "3", "--corpus", str(corpus), "--index",
           str(index)]
    piped = subprocess.run(cmd + ["-j", "2"], input="\n".join(asked) + "\n", capture_output=True, text=True,
                           cwd=REPO, timeout=120)
    assert piped.returncode == 0, piped.stderr
    one_by_one = [json.loads(subprocess.run(cmd + [q], capture_output=True, text=True, cwd=REPO,
                                            timeout=120).stdout) for q in asked[:4]]
    assert [json.loads(line) for line in piped.stdout.splitlines()][:4] == one_by_one


def assert_each_answer_comes_before_the_next_question(corpus, index, jobs, flags, asked):
    proc = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--json", *flags, "-j", jobs, "--corpus", str(corpus),
                             "--index", str(index)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ, NO_COLOR="1"))
    try:
        for q in asked:
            proc.stdin.write(q + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, f"no answer to {q!r} while the script waits for it"
            assert json.loads(proc.stdout.readline())["question"] == q
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_script_gets_each_answer_before_asking_the_next(big, jobs):
    corpus, index = big
    assert_each_answer_comes_before_the_next_question(corpus, index, jobs, ["--lexical"], questions(3)[:3])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_script_gets_each_semantic_answer_before_asking_the_next(seeds_index, jobs):
    asked = ["Who speaks for the Kremlin?", "What did Peskov say about Qatar?", "Who speaks for the Kremlin?"]
    assert_each_answer_comes_before_the_next_question(seeds_index.corpus, seeds_index.path, jobs, [], asked)
