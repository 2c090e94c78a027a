"""The declared pipeline: stages plug in by wiring, named scores flow through, feedback keeps its ranking."""
import pytest

from dataclasses import replace

import qa
from qa.answer import Compose, Coverage
from qa.pipeline import Candidate, Candidates, Pipeline, Question, candidate_depth
from qa.search import Scoring

from conftest import SEEDS


class Reversed:
    """A rerank stage: the candidates worst first, each with a named score of its own."""

    mode = "flipped"

    def ranks(self):
        return True

    def rerank(self, question, candidates):
        flipped = list(reversed(candidates))
        return [Candidate(c.pid, float(i), {**c.scores, "flipped": float(i)}) for i, c in enumerate(flipped)]


class Never:
    """A verdict that answers nothing."""

    def answerable(self, question, results):
        return False


def _wired(index, rerank=(), verdict=None):
    return Pipeline(expand=[index.feedback], candidates=Candidates(index.searcher), rerank=list(rerank),
                    compose=Compose(index.documents, verdict or Coverage()))


def _question(index, text, k=3):
    query = index.parse(text)
    return Question(query, k, candidate_depth(k), query.weights)


@pytest.fixture(scope="module")
def lexical_index(tmp_path_factory):
    """The seeds' index without the semantic stage: these tests wire the lexical stages by hand."""
    return qa.build_index(SEEDS, tmp_path_factory.mktemp("pipeline") / "index", warn=lambda m: None, semantic=False)


def test_the_wired_pipeline_answers_as_index_ask(lexical_index):
    question = _question(lexical_index, "When did Russia annex Crimea?")
    got = _wired(lexical_index).answer(question).to_dict()
    assert got == lexical_index.ask("When did Russia annex Crimea?").to_dict()
    assert got["answer"] is not None


def test_candidates_carry_their_lexical_score(lexical_index):
    question = _question(lexical_index, "What did Peskov say about Qatar?", k=5)
    found = _wired(lexical_index).rank(question.but(depth=5))
    assert [(c.pid, c.score) for c in found] == lexical_index.search("What did Peskov say about Qatar?", 5)
    assert all(c.scores == {"lexical": c.score} for c in found)


def test_a_rerank_stage_is_one_more_entry_and_changes_the_order(lexical_index):
    question = _question(lexical_index, "What did Peskov say about Qatar?", k=3)
    plain = _wired(lexical_index).rank(question)
    flipped = _wired(lexical_index, rerank=[Reversed()]).rank(question)
    assert [c.pid for c in flipped] == [c.pid for c in reversed(plain)]
    assert flipped[0].scores["lexical"] == plain[-1].score
    answer = _wired(lexical_index, rerank=[Reversed()]).answer(question)
    assert answer.results[0].passage_id == plain[-1].pid
    assert answer.mode == "flipped" and _wired(lexical_index).answer(question).mode == "lexical"


def test_the_verdict_decides_the_answer_line_not_the_results(lexical_index):
    question = _question(lexical_index, "When did Russia annex Crimea?")
    answer = _wired(lexical_index, verdict=Never()).answer(question)
    assert answer.answer is None and answer.results
    assert [r.passage_id for r in answer.results] == \
        [r.passage_id for r in lexical_index.ask("When did Russia annex Crimea?").results]


def test_feedback_floor_ranks_as_the_expanded_question_does(seeds_copy, tmp_path):
    scoring = replace(Scoring(), feedback_min_corpus=1)  # the seeds are too few passages for feedback by default
    with qa.open_index(seeds_copy, tmp_path / "ix", scoring=scoring, warn=lambda m: None, semantic=False) as index:
        question = _question(index, "Who mediates between Russia and Ukraine?", k=3)
        expanded = index.feedback.expand(question)
        assert expanded.floor is not None and set(question.weights) < set(expanded.weights)
        want = index.searcher.top(expanded.weights, question.depth)
        assert [(c.pid, c.score) for c in index.pipeline.rank(question)] == want
        many = index.ask_many(["Who mediates between Russia and Ukraine?", "What did Peskov say about Qatar?"])
        assert [a.to_dict() for a in many] == [index.ask(q).to_dict() for q in
                                                ("Who mediates between Russia and Ukraine?",
                                                 "What did Peskov say about Qatar?")]
