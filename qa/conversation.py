"""Follow-up questions: a question that leans on the previous turn is asked with that turn's terms added.

"Why was it praised?" after "What did Peskov say about Qatar?" is asked as
itself plus the earlier question's terms at a lower weight. A question that
names a new topic of its own is asked alone. ``/new`` (``reset``) forgets.
The chat and ``qa ask --chat`` both go through this class.
"""
from __future__ import annotations

from dataclasses import replace

from . import analysis
from .model import Answer
from .query import Query

CONTEXT_WEIGHT = 0.4  # weight of the previous turn's terms in a follow-up
_ANAPHORA = frozenset("it its it's they them their theirs that this those these he him his she her hers "
                      "there then such one ones".split())


class Conversation:
    """A sequence of questions where each may follow up on the ones before."""

    def __init__(self, index):
        self.index = index
        self.turns: list[Query] = []

    def reset(self) -> None:
        self.turns.clear()

    def is_followup(self, question: str, query: Query) -> bool:
        if not self.turns:
            return False
        tokens = analysis.fold(question).replace("?", " ").split()
        known = [c for c in query.concepts if c.idf < self.index.searcher.idf(0)]
        if not known:
            return True  # "Why?", "Any figures?": nothing of its own to search for
        if any(t.strip(".,!;:\"'") in _ANAPHORA for t in tokens):
            return True
        return analysis.fold(question).lstrip().startswith(("and ", "but ", "also ", "what about", "how about"))

    def ask(self, question: str, k: int = 3) -> Answer:
        query = self.index.parse(question)
        context = []
        if self.is_followup(question, query):
            previous = self.turns[-1]
            weights = dict(query.weights)
            for term, w in previous.weights.items():
                weights[term] = weights.get(term, 0.0) + CONTEXT_WEIGHT * w
            context = [replace(c, idf=c.idf * CONTEXT_WEIGHT) for c in previous.concepts
                       if c.word not in {q.word for q in query.concepts}]
            query = Query(f"{question} [after: {previous.text}]", query.concepts, weights)
        answer = self.index.answer(query, k, context)
        answer.question = question
        self.turns.append(Query(query.text, query.concepts + context, query.weights))
        return answer
