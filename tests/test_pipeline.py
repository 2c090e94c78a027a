"""The declared pipeline: stages plug in by wiring, named scores flow through, feedback keeps its ranking."""
from dataclasses import replace

import qa
from qa.answer import Compose, Coverage
from qa.pipeline import Candidate, Candidates, Pipeline, Question, candidate_depth
from qa.search import Scoring


class Reversed:
    """A rerank stage: the candidates worst first, each with a named score of its own."""

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


def test_the_wired_pipeline_answers_as_index_ask(seeds_index):
    question = _question(seeds_index, "When did Russia annex Crimea?")
    got = _wired(seeds_index).answer(question).to_dict()
    assert got == seeds_index.ask("When did Russia annex Crimea?").to_dict()
    assert got["answer"] is not None


def test_candidates_carry_their_lexical_score(seeds_index):
    question = _question(seeds_index, "What did Peskov say about Qatar?", k=5)
    found = _wired(seeds_index).rank(question.but(depth=5))
    assert [(c.pid, c.score) for c in found] == seeds_index.search("What did Peskov say about Qatar?", 5)
    assert all(c.scores == {"lexical": c.score} for c in found)


def test_a_rerank_stage_is_one_more_entry_and_changes_the_order(seeds_index):
    question = _question(seeds_index, "What did Peskov say about Qatar?", k=3)
    plain = _wired(seeds_index).rank(question)
    flipped = _wired(seeds_index, rerank=[Reversed()]).rank(question)
    assert [c.pid for c in flipped] == [c.pid for c in reversed(plain)]
    assert flipped[0].scores["lexical"] == plain[-1].score
    answer = _wired(seeds_index, rerank=[Reversed()]).answer(question)
    assert answer.results[0].passage_id == plain[-1].pid


def test_the_verdict_decides_the_answer_line_not_the_results(seeds_index):
    question = _question(seeds_index, "When did Russia annex Crimea?")
    answer = _wired(seeds_index, verdict=Never()).answer(question)
    assert answer.answer is None and answer.results
    assert [r.passage_id for r in answer.results] == \
        [r.passage_id for r in seeds_index.ask("When did Russia annex Crimea?").results]


def test_feedback_floor_ranks_as_the_expanded_question_does(seeds_copy, tmp_path):
    scoring = replace(Scoring(), feedback_min_corpus=1)  # the seeds are too few passages for feedback by default
    with qa.open_index(seeds_copy, tmp_path / "ix", scoring=scoring, warn=lambda m: None) as index:
        question = _question(index, "Who mediates between Russia and Ukraine?", k=3)
        expanded = index.feedback.expand(question)
        assert expanded.floor is not None and set(question.weights) < set(expanded.weights)
        want = index.searcher.top(expanded.weights, question.depth)
        assert [(c.pid, c.score) for c in index.pipeline.rank(question)] == want
        many = index.ask_many(["Who mediates between Russia and Ukraine?", "What did Peskov say about Qatar?"])
        assert [a.to_dict() for a in many] == [index.ask(q).to_dict() for q in
                                                ("Who mediates between Russia and Ukraine?",
                                                 "What did Peskov say about Qatar?")]
