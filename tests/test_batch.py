"""Questions answered together (Index.ask_many, `qa ask` reading stdin) get exactly the answers they
get one at a time, and a script that writes a question and waits for its answer is never kept
waiting for a batch to fill."""
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
    """A corpus of about 1,500 passages: enough for the feedback step to be on."""
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
    index = qa.build_index(corpus, root / "index", warn=lambda m: None)
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
    one = qa.open_index(corpus, index, update=False)
    singly = [one.ask(q, 4).to_dict() for q in asked]
    many = qa.open_index(corpus, index, update=False)
    together = [a.to_dict() for a in many.ask_many(asked, 4)]
    assert together == singly
    assert sum(1 for a in singly if a["results"]) > 30
    assert many.ask_many([], 3) == []
    assert [a.to_dict() for a in many.ask_many(asked[:5], 4)] == singly[:5]  # looked up already: the same


def test_stdin_batches_equal_one_question_a_process(big):
    corpus, index = big
    asked = questions(12)
    cmd = [sys.executable, "-m", "qa", "ask", "--json", "-k", "3", "--corpus", str(corpus), "--index", str(index)]
    piped = subprocess.run(cmd + ["-j", "2"], input="\n".join(asked) + "\n", capture_output=True, text=True,
                           cwd=REPO, timeout=120)
    assert piped.returncode == 0, piped.stderr
    one_by_one = [json.loads(subprocess.run(cmd + [q], capture_output=True, text=True, cwd=REPO,
                                            timeout=120).stdout) for q in asked[:4]]
    assert [json.loads(line) for line in piped.stdout.splitlines()][:4] == one_by_one


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_script_gets_each_answer_before_asking_the_next(big, jobs):
    corpus, index = big
    proc = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--json", "-j", jobs, "--corpus", str(corpus),
                             "--index", str(index)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ, NO_COLOR="1"))
    try:
        for q in questions(3)[:3]:
            proc.stdin.write(q + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, f"no answer to {q!r} while the script waits for it"
            assert json.loads(proc.stdout.readline())["question"] == q
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
