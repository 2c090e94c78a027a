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
# Words that point back at an earlier turn. Some only in some places: "his" and "they" find their person in the
# question itself when it names one before them ("Who has Trump named as his envoy?"); "there" is no place in "Is
# there...?"; "this year" is now; "one" is a number unless it is "which one", "the other one"; "that" after a
# word of substance and before more is a conjunction.
_POINTING = frozenset("it it's him them that this those these such then".split())
_OWN_FIRST = frozenset("he she they his her hers its their theirs".split())
_BE = frozenset("is are was were be been being will would could can may might must should has have had".split())
_NOW = frozenset("year week month morning afternoon evening night time summer winter spring autumn weekend "
                 "season century decade".split())
_ONE_AFTER = frozenset("which the that this other same each last first different another".split())
# a request with nothing of its own but these asks for more of what the conversation is about: "show me an example"
_MORE_OF_IT = frozenset("""show give tell see example examples sample samples snippet code listing more detail details
explain elaborate another different else again instead please""".split())
# a pointing word after this many of the question's own words the corpus knows finds what it points at among them:
# "...Russian troops keep attacking, so how can they say it?" has its own topic (follow-ups name at most two things)
OWN_TOPIC = 3


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
        tokens = [t.strip(".,!;:\"'") for t in analysis.fold(question).replace("?", " ").split()]
        known = [c for c in query.concepts if c.idf < self.index.searcher.idf(0)]
        if not known:
            return True  # "Why?", "Any figures?": nothing of its own to search for
        named = {c.word for c in known}
        if named <= _MORE_OF_IT:
            return True
        if any(_points_back(tokens, i, named) for i in range(len(tokens))):
            return True
        if _counts_what_was_named(tokens):
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


def _counts_what_was_named(tokens: list[str]) -> bool:
    """"How many were shot down?": a count whose thing is left out (a verb right after "how many") counts what the
    conversation is about. Not "how much": "How much was the aid?" names its own."""
    return len(tokens) > 2 and tokens[:2] == ["how", "many"] and (tokens[2] in _BE or tokens[2] in ("did", "do", "does"))


def _points_back(tokens: list[str], i: int, named: set[str]) -> bool:
    """Whether tokens[i] refers to something outside the question (named: the question's words the corpus knows)."""
    word = tokens[i]
    before = tokens[i - 1] if i else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if word in ("this", "these") and after in _NOW:
        return False
    if word == "that" and after and before and before not in analysis.STOP_WORDS:
        return False  # "I read that Russia...": a conjunction, not "that claim" or "Who said that?"
    if word in _POINTING:
        return len(named.intersection(tokens[:i])) < OWN_TOPIC
    if word in _OWN_FIRST:
        return not named.intersection(tokens[:i])
    if word == "there":
        return before not in _BE and after not in _BE
    if word in ("one", "ones"):
        return before in _ONE_AFTER
    return False
