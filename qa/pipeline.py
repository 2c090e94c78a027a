"""The declared path of a question: expand -> candidates -> rerank -> compose, each stage one small object.

    Question --[expand stages]--> Question --[Candidates]--> list[Candidate]
             --[rerank stages]--> list[Candidate] --[Compose (+ Verdict)]--> Answer

A new stage is a new module whose object has the one method of its kind, and one line in
``api.Index``'s wiring. docs/architecture.md draws the whole picture.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .model import Answer
    from .query import Concept, Query

CANDIDATES_PER_RESULT = 4  # passages ranked per result wanted: the near-duplicates folded away need spares
SPARE_CANDIDATES = 8


def candidate_depth(k: int) -> int:
    """How many passages to rank for ``k`` results."""
    return k * CANDIDATES_PER_RESULT + SPARE_CANDIDATES


@dataclass
class Question:
    """What flows into the candidates stage: the parsed question and what to ask the ranker."""

    query: Query
    k: int  # results wanted
    depth: int  # passages to rank
    weights: dict[str, float]  # the ranker's terms: the query's, expanded by the expand stages
    context: list[Concept] = field(default_factory=list)  # a conversation's earlier concepts, weighed down
    floor: float | None = None  # a lower bound of the depth-th score, when a stage knows one

    def but(self, **changes) -> "Question":
        return replace(self, **changes)


@dataclass
class Candidate:
    """A ranked passage: its id, the score it is ranked by, and each stage's named score."""

    pid: int
    score: float
    scores: dict[str, float] = field(default_factory=dict)  # "lexical" now; a rerank stage adds its own


class Ranker(Protocol):
    """The lexical ranker: qa.search.Searcher here, qa.cluster.searcher.ClusterSearcher on a cluster."""

    n: int
    takes_floor: bool  # whether top_above prunes by its floor (a cluster's ranks as top does)

    def top(self, weights: dict[str, float], k: int) -> list[tuple[int, float]]: ...

    def top_above(self, weights: dict[str, float], k: int, floor: float) -> list[tuple[int, float]]: ...

    def dfs(self, terms: list[str]): ...


class Expand(Protocol):
    """Rewrites the question's weights before ranking (feedback.Feedback)."""

    def expand(self, question: Question) -> Question: ...


class Rerank(Protocol):
    """Re-scores the candidates (best first out); e.g. a semantic stage fusing embeddings' scores."""

    mode: str  # the answer's ``mode`` when this stage ranked it ("semantic")

    def rerank(self, question: Question, candidates: list[Candidate]) -> list[Candidate]: ...

    def ranks(self) -> bool: ...  # after rerank: whether it re-scored (False: it fell back, candidates as they were)


class Verdict(Protocol):
    """Decides whether the best result answers the question (answer.Coverage)."""

    def answerable(self, question: Question, results: list) -> bool: ...

    def closeness(self, question: Question, texts: list[str]) -> list[float] | None: ...

    def states(self, question: Question): ...  # a test of the sentences that state what is asked for, or None


class Composer(Protocol):
    """Candidates -> the Answer: results, near-duplicates folded, the answer line (answer.Compose)."""

    def compose(self, question: Question, candidates: list[Candidate]) -> Answer: ...


class Candidates:
    """The candidates stage: the lexical ranker's best ``depth`` passages for the question's weights."""

    def __init__(self, ranker: Ranker):
        self.ranker = ranker

    def candidates(self, question: Question) -> list[Candidate]:
        weights, depth = question.weights, question.depth
        if question.floor is not None:
            hits = self.ranker.top_above(weights, depth, question.floor)
        else:
            hits = self.ranker.top(weights, depth)
        return [Candidate(pid, score, {"lexical": score}) for pid, score in hits]


class Pipeline:
    """The stages a question walks through, in order."""

    def __init__(self, expand: list[Expand], candidates: Candidates, rerank: list[Rerank], compose: Composer):
        self.expand_stages = expand
        self.candidates_stage = candidates
        self.rerank_stages = rerank
        self.composer = compose

    def rank(self, question: Question) -> list[Candidate]:
        """Expand, rank, rerank: the candidates, best first (none for a question without terms)."""
        return self.ranked(question)[0]

    def ranked(self, question: Question) -> tuple[list[Candidate], str]:
        """The candidates, best first, and the mode that ranked them: the last rerank stage that re-scored them
        ("semantic"), else "lexical" (a question without terms is ranked by nothing: "lexical")."""
        if not question.weights:
            return [], "lexical"
        for stage in self.expand_stages:
            question = stage.expand(question)
        found, mode = self.candidates_stage.candidates(question), "lexical"
        for stage in self.rerank_stages:
            found = stage.rerank(question, found)
            mode = stage.mode if stage.ranks() else mode
        return found, mode

    def answer(self, question: Question) -> Answer:
        found, mode = self.ranked(question)
        answer = self.composer.compose(question, found)
        answer.mode = mode
        return answer
