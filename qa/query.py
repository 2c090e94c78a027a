"""Question -> weighted terms: the analyzer, plus spelling variants found in the corpus's own words.

A word the corpus does not hold ("Peskof", "embasy") is replaced by the
corpus words one edit away from it; a rare spelling ("Zelensky") also
brings in a much more common one ("Zelenskyy"). Each word of the question
is a *concept* with one or more stems; bigrams join neighbouring concepts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import analysis
from .search import Scoring, Searcher

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_TERMS = 64  # words of a question beyond this are ignored (a pasted page stays fast)
RARE = 3  # a known word this rare may be a misspelling of a far more common one


@dataclass
class Concept:
    word: str  # the folded word as typed
    stems: dict[str, float]  # stem -> weight (1 for the word itself, less for variants)
    idf: float = 0.0  # idf of the best-matching stem; the highest possible when none matches

    @property
    def main(self) -> str:
        return max(self.stems, key=self.stems.get)


@dataclass
class Query:
    text: str
    concepts: list[Concept]
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def terms(self) -> list[str]:
        """The stems a passage is highlighted for."""
        return sorted({s for c in self.concepts for s in c.stems})


def edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts) - {word}


def spelling_variants(word: str, df: int, searcher: Searcher, limit: int = 3) -> list[tuple[str, int]]:
    """Stems of the corpus words one edit from ``word`` worth adding, with their df, most frequent first:
    any when ``word`` is unknown, only far more common ones otherwise."""
    if len(word) < 4 or len(word) > 30 or not word.isalpha() or (df and (len(word) < 6 or df > RARE)):
        return []
    # typos rarely touch the first letter, and in a short word rarely the last one either
    candidates = sorted(c for c in edits1(word) if c[:1] == word[:1] and (len(word) > 4 or c[-1:] == word[-1:]))
    dfs = searcher.word_df(candidates)
    floor = 1 if df == 0 else max(3, 4 * df)
    found = {analysis.stem(c): int(n) for c, n in zip(candidates, dfs)
             if n >= floor and c not in analysis.STOP_WORDS}
    if not found and df == 0 and len(analysis.stem(word)) >= 5:
        # "embasy" is two edits from "embassies" but one from its stem "embassi"
        own = analysis.stem(word)
        stems = sorted(c for c in edits1(own) if c[:1] == own[:1])
        found = {c: int(n) for c, n in zip(stems, searcher.word_df(stems, "stems")) if n >= 1}
    ranked = sorted(found.items(), key=lambda x: (-x[1], x[0]))
    return ranked[:limit]


# Words that ask for the kind of answer ("how long", "so far"), not for a topic.
_ASKING = re.compile(r"\b(?:how (?:long|much|many|far|often|old|big|large|soon)|so far|going on|tell me"
                     r"|do you know|i (?:want|would like) to know|can you|says?|said|tells?|told)\b")


def _words(question: str) -> list[str]:
    asked = _ASKING.sub(" ", analysis.fold(question))
    return [w for w in analysis.words(asked) if w not in analysis.STOP_WORDS][:MAX_TERMS]


def likely_terms(question: str) -> list[str]:
    """The index terms parse looks up for ``question`` when its words are spelled right: their stems
    and the pairs of neighbours (for a batch of questions to look them up together)."""
    return analysis.ngrams([analysis.stem(w) for w in _words(question)])


def parse(question: str, searcher: Searcher, scoring: Scoring) -> Query:
    words = _words(question)
    concepts: list[Concept] = []
    if words:
        word_dfs = searcher.word_df(words).tolist()
        own_stems = [analysis.stem(w) for w in words]
        # "testing" is no typo where the corpus says "tested": a word the corpus lacks counts its stem's
        unknown = [i for i, df in enumerate(word_dfs) if not df]
        if unknown:
            for i, df in zip(unknown, searcher.word_df([own_stems[i] for i in unknown], "stems").tolist()):
                word_dfs[i] = df
        for word, df, own in zip(words, word_dfs, own_stems):
            stems: dict[str, float] = {}
            variants = spelling_variants(word, int(df), searcher) if searcher.n else []
            if df > 0 or not variants:
                stems[own] = 1.0
            for i, (variant_stem, _) in enumerate(variants):
                weight = 1.0 if df == 0 and i == 0 else scoring.fuzzy_weight
                stems.setdefault(variant_stem, weight)
            concepts.append(Concept(word, stems))
    for c, df in zip(concepts, searcher.dfs([c.main for c in concepts]).tolist()):
        c.idf = searcher.idf(df)
    weights: dict[str, float] = {}
    for c in concepts:
        for s, w in c.stems.items():
            weights[s] = weights.get(s, 0.0) + w
    for a, b in zip(concepts, concepts[1:]):
        bigram = f"{a.main} {b.main}"
        weights[bigram] = weights.get(bigram, 0.0) + scoring.bigram_weight
    return Query(question, concepts, weights)
