"""Hostile indexes (checksums recomputed, so only validation can catch them): each known attack through
the real command line, and seeded random mutations of every array opened through the Python API."""
from __future__ import annotations

import random
import shutil
import sys

import pytest

import qa
from qa.errors import QAError

from conftest import REPO, SEEDS, json_lines, run_qa

sys.path.insert(0, str(REPO / "benchmarks"))
import fuzz_index  # noqa: E402

QUESTION = fuzz_index.QUESTION
MUTATIONS = 60
HARMLESS = {"passage offset past the end", "huge places"}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A corpus copy, its index, and the answers (and peak memory) of a fresh build and a plain open."""
    work = tmp_path_factory.mktemp("hostile")
    corpus = work / "corpus"
    shutil.copytree(SEEDS, corpus)
    build = fuzz_index.run_qa(corpus, work / "clean", 60)
    opened = fuzz_index.run_qa(corpus, work / "clean", 60)
    assert build["code"] == opened["code"] == 0, build["stderr"] + opened["stderr"]
    fresh = fuzz_index.answers(opened["stdout"])
    assert fresh[1], "the question must find something"
    opened["rss_kb"] = max(build["rss_kb"], opened["rss_kb"])
    return corpus, work / "clean", opened, fresh


@pytest.fixture(scope="module")
def clean_lexical(clean, tmp_path_factory):
    """The answers and peak memory of a lexical build and a plain lexical open of the same corpus: without the
    model's ~300 MB a bloated array shows in the peak, and no rebuild re-embeds the passages."""
    corpus, clean_index, _, _ = clean
    fuzz_index.FLAGS[:] = ["--lexical"]
    try:
        build = fuzz_index.run_qa(corpus, tmp_path_factory.mktemp("hostile-lexical") / "idx", 60)
        opened = fuzz_index.run_qa(corpus, clean_index, 60)
    finally:
        fuzz_index.FLAGS[:] = []
    assert build["code"] == opened["code"] == 0, build["stderr"] + opened["stderr"]
    fresh = fuzz_index.answers(opened["stdout"])
    assert fresh[1] and fresh == fuzz_index.answers(build["stdout"])
    opened["rss_kb"] = max(build["rss_kb"], opened["rss_kb"])
    return opened, fresh


def assert_attack_rebuilt_or_harmless(corpus, clean_index, tmp_path, attack, opened, fresh):
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index, symlinks=True)
    fuzz_index.ATTACKS[attack](index)
    run = fuzz_index.run_qa(corpus, index, 60)
    verdict, why = fuzz_index.check(attack, run, opened, fresh, 60)
    # an offset past a file's end only shortens a quote (answers equal a fresh build's): harmless
    assert verdict == ("harmless" if attack in HARMLESS else "rebuilt"), (verdict, why, run["stderr"])
    if verdict == "rebuilt":
        message = [line for line in run["stderr"].splitlines() if "rebuilding" in line]
        assert len(message) == 1 and str(index) in message[0]  # one line, naming the file


@pytest.mark.parametrize("attack", list(fuzz_index.ATTACKS))
def test_known_attack_is_rebuilt_not_crashed_hung_or_bloated(clean, clean_lexical, tmp_path, attack, monkeypatch):
    """Through `qa ask --lexical`: the attacks are on the lexical arrays and the manifest."""
    corpus, clean_index, _, _ = clean
    monkeypatch.setattr(fuzz_index, "FLAGS", ["--lexical"])
    assert_attack_rebuilt_or_harmless(corpus, clean_index, tmp_path, attack, *clean_lexical)


@pytest.mark.parametrize("attack", ["passage id 65535", "manifest a FIFO", "passage offset past the end"])
def test_known_attack_on_the_default_semantic_path(clean, tmp_path, attack):
    corpus, clean_index, opened, fresh = clean
    assert_attack_rebuilt_or_harmless(corpus, clean_index, tmp_path, attack, opened, fresh)


def test_hostile_index_without_its_corpus_exits_2(clean, tmp_path):
    _, clean_index, _, _ = clean
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index)
    fuzz_index.ATTACKS["passage id 65535"](index)
    run = fuzz_index.run_qa(tmp_path / "gone", index, 60)
    assert run["code"] == 2, run["stderr"]
    assert len(run["stderr"].strip().splitlines()) == 1 and "Traceback" not in run["stderr"]


def test_random_mutations_of_every_array_are_rebuilt_or_harmless(clean, tmp_path):
    """The semantic stage (a rebuild then embeds every passage again: ~2 s each) is on where its vectors are
    mutated and for every tenth mutation of another array; the lexical arrays' other mutations are read with
    it off, since their checks do not depend on it."""
    corpus, clean_index, _, _ = clean
    fresh = {}
    for semantic in (None, False):
        with qa.open_index(corpus, clean_index, semantic=semantic) as idx:
            fresh[semantic] = [r.to_dict() for r in idx.ask(QUESTION, 5).results]
    files = [p.relative_to(clean_index) for p in fuzz_index.array_files(clean_index)]
    assert any(f.name.startswith("vectors-") for f in files)
    rng = random.Random(18)
    outcomes = {"rebuilt": 0, "other": 0}
    for i in range(MUTATIONS):
        index = tmp_path / f"m{i}"
        shutil.copytree(clean_index, index)
        target = files[i % len(files)]
        semantic = None if target.name.startswith("vectors-") or i % 10 == 0 else False
        what = fuzz_index.mutate(index, index / target, rng)
        messages: list[str] = []
        try:
            with qa.open_index(corpus, index, warn=messages.append, semantic=semantic) as idx:
                results = [r.to_dict() for r in idx.ask(QUESTION, 5).results]
        except QAError as exc:  # a one-line refusal is allowed; anything else fails the test
            pytest.fail(f"{what}: refused although the corpus is there: {exc}")
        if any("rebuilding" in m for m in messages):
            outcomes["rebuilt"] += 1
            assert results == fresh[semantic], what
        else:
            outcomes["other"] += 1
        shutil.rmtree(index)
    assert outcomes["rebuilt"] >= MUTATIONS // 2, outcomes


def test_opening_reads_no_values_the_first_question_rebuilds_a_hostile_index(clean, tmp_path):
    """Values are checked lazily, before the first question ranks: that question gets the rebuild
    (one note naming the file) and a fresh build's answers; later questions no further note."""
    corpus, clean_index, _, _ = clean
    with qa.open_index(corpus, clean_index, semantic=False) as idx:
        fresh = [r.to_dict() for r in idx.ask(QUESTION, 5).results]
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index)
    fuzz_index.ATTACKS["passage id 65535"](index)
    messages: list[str] = []
    with qa.open_index(corpus, index, warn=messages.append, semantic=False) as idx:
        assert messages == []  # opened as it is: nothing read yet
        first = [r.to_dict() for r in idx.ask(QUESTION, 5).results]
        assert len(messages) == 1 and "rebuilding" in messages[0] and "docs.npy" in messages[0], messages
        assert first == fresh
        assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == fresh
        assert len(messages) == 1


def test_a_passage_read_before_any_question_is_checked_first(clean, tmp_path):
    corpus, clean_index, _, _ = clean
    with qa.open_index(corpus, clean_index, semantic=False) as idx:
        fresh = (idx.passage_source(0), idx.passage_text(0))
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index)
    fuzz_index.ATTACKS["source number past the file list"](index)
    messages: list[str] = []
    with qa.open_index(corpus, index, warn=messages.append, semantic=False) as idx:
        assert (idx.passage_source(0), idx.passage_text(0)) == fresh
    assert len(messages) == 1 and "passages.npy" in messages[0], messages


def test_a_hostile_index_opened_read_only_refuses_the_question_in_one_line(clean, tmp_path):
    corpus, clean_index, _, _ = clean
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index)
    fuzz_index.ATTACKS["length NaN"](index)
    with qa.open_index(corpus, index, update=False, semantic=False) as idx:
        with pytest.raises(QAError, match=r"lengths\.npy is damaged") as caught:
            idx.ask(QUESTION)
    assert "\n" not in str(caught.value)


def test_a_conversation_on_a_hostile_index_goes_on_after_the_rebuild(clean, tmp_path):
    """The chat asks through a Conversation holding the Index: the rebuild replaces what it holds."""
    corpus, clean_index, _, _ = clean
    with qa.open_index(corpus, clean_index, semantic=False) as idx:
        fresh = idx.conversation().ask(QUESTION).to_dict()
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index)
    fuzz_index.ATTACKS["multi_before 2^31"](index)
    messages: list[str] = []
    with qa.open_index(corpus, index, warn=messages.append, semantic=False) as idx:
        conversation = idx.conversation()
        assert conversation.ask(QUESTION).to_dict() == fresh
        assert conversation.ask(QUESTION).to_dict() == fresh
    assert len(messages) == 1 and "multi_before.npy" in messages[0], messages


def test_parallel_batch_on_a_hostile_index_rebuilds_once_before_forking(clean, tmp_path):
    """Questions from stdin answered by forked processes: the index is checked (and rebuilt) in the
    parent, not in each worker."""
    corpus, clean_index, _, _ = clean
    questions = f"{QUESTION}\nWhat did the Kremlin say?\n" * 40  # batches of 32: both workers get some
    fresh = run_qa("ask", "--json", "--lexical", "-j", "2", "--corpus", corpus, "--index", clean_index, input=questions)
    index = tmp_path / "idx"
    shutil.copytree(clean_index, index)
    fuzz_index.ATTACKS["huge tf_at"](index)
    run = run_qa("ask", "--json", "--lexical", "-j", "2", "--corpus", corpus, "--index", index, input=questions)
    assert run.returncode == fresh.returncode == 0, run.stderr
    assert [line for line in run.stderr.splitlines() if line.strip()] == [
        line for line in run.stderr.splitlines() if "rebuilding" in line and "tf_at.npy" in line], run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert json_lines(run.stdout) == json_lines(fresh.stdout)
