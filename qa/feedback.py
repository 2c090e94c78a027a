"""The feedback stage: Rocchio's pseudo-relevance feedback expands a question by its first pass's best passages."""
from __future__ import annotations

from itertools import chain

import numpy as np

from . import analysis
from . import scoring as bm25
from .pipeline import Question


def feedback(weights: dict[str, float], texts: list[str], searcher, n_terms: int, beta: float) -> dict[str, float]:
    """``weights`` plus the ``n_terms`` words weighing most (saturated tf x idf) in ``texts``, the
    heaviest scaled to ``beta``: Rocchio's query expansion over the top passages, best first; the
    passage at rank r counts 1/r, so the best ones lead and the tail only adds what they agree on."""
    return feedback_from(weights, *feedback_candidates(texts, searcher, n_terms), searcher, n_terms, beta)


def feedback_candidates(texts: list[str], searcher, n_terms: int):
    """(each candidate's weight in ``texts``, the candidates): the ``3 n_terms`` words weighing most
    in the passages themselves, whose idf feedback_from looks up (a few lookups, not hundreds)."""
    k1, b = searcher.scoring.k1, searcher.scoring.b
    per_text = [analysis.words(text) for text in texts]
    distinct = list(dict.fromkeys(chain.from_iterable(per_text)))
    stop = analysis.STOP_WORDS
    # each stem (the unigrams of analysis.analyze) numbered by its first occurrence, text after text
    # (that of its first word: the words are in that order); a stop word is -1
    ids: dict[str, int] = {}
    word_id = {w: -1 if s in stop else ids.setdefault(s, len(ids)) for w, s in zip(distinct, analysis.stems(distinct))}
    mass = np.zeros(len(ids))
    for rank, ws in enumerate(per_text, start=1):
        row = np.fromiter(map(word_id.__getitem__, ws), dtype=np.int64, count=len(ws))
        row = row[row >= 0]
        tf = np.bincount(row, minlength=len(ids)).astype(np.float64)
        norm = bm25.length_norm(k1, b, len(row), searcher.avglen)
        mass += bm25.saturated_tf(tf, k1, norm) / rank  # (0 where a text lacks the word)
    terms = list(ids)
    best = np.argsort(-mass, kind="stable")[:3 * n_terms].tolist()  # ties: the first seen first
    return {terms[i]: float(mass[i]) for i in best}, [terms[i] for i in best]


def feedback_from(weights: dict[str, float], mass, candidates: list[str], searcher, n_terms: int,
                  beta: float) -> dict[str, float]:
    """feedback's last step, from feedback_candidates'."""
    idfs = bm25.idf(searcher.n, searcher.dfs(candidates)) if candidates else []
    scored = sorted(((mass[t] * float(i), t) for t, i in zip(candidates, idfs)), reverse=True)[:n_terms]
    if not scored or scored[0][0] <= 0:
        return weights
    top = scored[0][0]
    out = dict(weights)
    for value, term in scored:
        out[term] = out.get(term, 0.0) + beta * value / top
    return out


class Feedback:
    """An expand stage: the question's weights plus its first pass's feedback terms, and that first
    pass's depth-th score as a floor for the ranker (feedback only adds weight)."""

    def __init__(self, ranker, documents, settings):
        """``settings``: a scoring.Scoring (feedback_passages, feedback_min_corpus, feedback_terms, feedback_weight)."""
        self.ranker = ranker
        self.documents = documents
        self.settings = settings
        self.prepared: dict[int, tuple] = {}  # id(weights) -> a first pass and feedback made for ask_many

    def is_on(self, weights: dict[str, float]) -> bool:
        n = self.settings.feedback_passages
        return bool(n and weights and self.ranker.n >= self.settings.feedback_min_corpus)

    def expand(self, question: Question) -> Question:
        if not question.weights:
            return question
        # a ranker that scores elsewhere (a cluster's) takes no floor: its first pass is only the feedback's
        depth = question.depth if self.ranker.takes_floor else 0
        expanded, first = self.expanded(question.weights, depth)
        floor = first[depth - 1][1] if self.ranker.takes_floor and len(first) >= depth else None
        return question.but(weights=expanded, floor=floor)

    def expanded(self, weights: dict[str, float], k: int) -> tuple[dict[str, float], list[tuple[int, float]]]:
        """(the expanded weights, the ``k`` best passages for ``weights`` themselves: the first pass)."""
        n = self.settings.feedback_passages
        if not self.is_on(weights):
            return weights, []
        prepared = self.prepared.get(id(weights))
        if prepared is not None and prepared[0] is weights and prepared[1] == max(n, k):
            return prepared[2], prepared[3]
        top = self.ranker.top(weights, max(n, k))
        if not top:
            return weights, top
        texts = [self.documents.passage_text(pid) for pid, _ in top[:n]]
        return feedback(weights, texts, self.ranker, self.settings.feedback_terms,
                        self.settings.feedback_weight), top

    def prepare(self, many: list[dict[str, float]], k: int) -> None:
        """expanded(weights, k) for each of ``many``, their feedback terms looked up together (ask_many)."""
        n = self.settings.feedback_passages
        staged = []
        for weights in many:
            if weights and self.is_on(weights) and id(weights) not in self.prepared:
                top = self.ranker.top(weights, max(n, k))
                texts = [self.documents.passage_text(pid) for pid, _ in top[:n]]
                staged.append((weights, top, *feedback_candidates(texts, self.ranker, self.settings.feedback_terms)))
        self.ranker.dfs(list(dict.fromkeys(t for *_, candidates in staged for t in candidates)))
        for weights, top, mass, candidates in staged:
            expanded = feedback_from(weights, mass, candidates, self.ranker, self.settings.feedback_terms,
                                     self.settings.feedback_weight) if top else weights
            self.prepared[id(weights)] = (weights, max(n, k), expanded, top)

    def forget(self) -> None:
        self.prepared.clear()
