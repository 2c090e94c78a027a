"""Experimental query rewrites, applied around an opened qa index (the core untouched).

Used by benchmarks/_sweep.py to measure scoring changes before proposing them
for the core. `wrapper(**options)` returns a function index -> proxy; the
proxy answers `search`, `ask` and `conversation()` like `qa.Index`, with its
query weights rewritten by `parse`.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

OPTIONS = {
    "prf_docs": 0,  # pseudo-relevance feedback: passages read back (0: off)
    "prf_terms": 10,  # expansion terms added
    "prf_beta": 0.5,  # weight of the expansion relative to the question
    "prf_min_passages": 0,  # feedback only in an index of at least this many passages
    "stem_known": 0,  # 1: a word whose stem the corpus holds is never taken for a typo
    "qtf": "sum",  # a word asked n times weighs: "sum" n (qa), "once" 1, "log" 1 + ln n, "sqrt" sqrt n
    "ask": "qa",  # phrases dropped from a question: "qa" (query._ASKING), "more" (also request phrasing:
    # "I am interested in", "articles on", "describe" ...)
    "bigram_span": "any",  # question bigrams join neighbouring words "any" (qa), or only those with no
    # punctuation between them ("clause": none of .?!;:,()) or no sentence end between them ("sentence")
    "idf_pow": 1.0,  # a term's idf raised to this power (weights rescaled; 1: as is)
    "doc_ctx": 0.0,  # a passage also gets this share of its document's other passages' scores
    "fb": "core",  # feedback: "core" (Index.expand as is), "off", "x" (the core's, with the fbx_* options)
    "fbx_weight": "flat",  # "x": each feedback passage counts "flat" (as the core) or by "score" (its share of
    # the top score) or "rank" (1/rank)
    "fbx_pool": 3,  # "x": idf looked up for this many times feedback_terms candidates (0: every word)
    "fbx_min": 1000,  # "x": feedback only on an index of at least this many passages
    "fbx_small": 0,  # "x": below fbx_min, feedback from this many passages instead (0: none)
    "fbx_small_w": 0.0,  # "x": and with this weight (0: the core's)
}

# Request phrasing of long questions ("I am interested in articles on ...", "Describe ..."): the words
# ask for documents, they name no topic.
_REQUEST = re.compile(
    r"\b(?:(?:i'm |i am |we are |i )?(?:also |particularly |especially |primarily )?interested in"
    r"|(?:i'?d|i would) (?:like|prefer)(?: to (?:see|know|find|read))?"
    r"|i (?:want|need|am looking for|'m looking for)|(?:please )?(?:give|show|find|list|describe|discuss|explain)(?: me)?"
    r"|(?:any |all )?(?:articles?|papers?|documents?|publications?|reports?|studies|references?)"
    r"(?= (?:on|about|dealing|which|that|concerning|describing|discussing|related|relating|of|in)\b)"
    r"|(?:dealing|which deals?|that deals?|concerned|concerning) with|related to|relating to|pertaining to"
    r"|e\.g\.|etc\.?|(?:is|are) there|what (?:is|are) (?:known|the)|possibilit(?:y|ies)|examples? of)\b",
    re.IGNORECASE)


def _ask_more(question: str) -> str:
    return _REQUEST.sub(" ", question)


class _ExpandBy:
    """An expand stage (qa.pipeline.Expand) made of a function of the weights."""

    def __init__(self, expand):
        self.function = expand

    def expand(self, question):
        return question.but(weights=self.function(question.weights), floor=None)


class Proxy:
    def __init__(self, index, **opts: Any):
        self._index = index
        self.opts = {**OPTIONS, **opts}
        if self.opts["fb"] != "core" or self.opts["prf_docs"]:
            # the core's answer() calls index.expand (or its pipeline's expand stages): route them through
            # the proposal's feedback
            index.expand = self.expand
            if hasattr(index, "pipeline"):
                index.pipeline.expand_stages = [_ExpandBy(self.expand)]

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    def parse(self, question: str):
        if self.opts["ask"] != "qa":
            question_in = _ask_more(question)
        else:
            question_in = question
        if self.opts["stem_known"]:
            query = self._parse_stem_known(question_in)
        else:
            query = self._index.parse(question_in)
        query.text = question
        if self.opts["bigram_span"] != "any":
            query.weights = self._bounded_bigrams(question_in, query)
        if self.opts["qtf"] != "sum" or self.opts["idf_pow"] != 1.0:
            query.weights = self._reweight(query)
        return query

    def expand(self, weights: dict[str, float]) -> dict[str, float]:
        if self.opts["prf_docs"]:
            if weights and self._index.searcher.n >= self.opts["prf_min_passages"]:
                return self.feedback(weights)
            return weights
        fb = self.opts["fb"]
        if fb == "off":
            return weights
        if fb == "x":
            return self._feedback_x(weights)
        return type(self._index).expand(self._index, weights)

    def search(self, question: str, k: int = 10):
        weights = self._index.expand(self.parse(question).weights)
        searcher = self._index.searcher
        ctx = float(self.opts["doc_ctx"])
        if not ctx:
            return searcher.top(weights, k)
        hits = searcher.top(weights, max(4 * k, 1000))
        by_doc: dict[str, float] = {}
        for pid, score in hits:
            src = searcher.passage(pid)[0]
            by_doc[src] = by_doc.get(src, 0.0) + score
        rescored = [(pid, score + ctx * (by_doc[searcher.passage(pid)[0]] - score)) for pid, score in hits]
        rescored.sort(key=lambda x: (-x[1], x[0]))
        return rescored[:k]

    def ask(self, question: str, k: int = 3):
        return self._index.answer(self.parse(question), k)

    def conversation(self):
        from qa.conversation import Conversation

        return Conversation(self)

    # ---- query weights

    def _bounded_bigrams(self, question: str, query) -> dict[str, float]:
        from qa import analysis
        from qa import query as qmod

        marks = ".?!;:,()" if self.opts["bigram_span"] == "clause" else ".?!;"
        asked = qmod._ASKING.sub(" ", analysis.fold(question))
        kept = [m for m in analysis.TOKEN.finditer(asked) if m.group() not in analysis.STOP_WORDS][:qmod.MAX_TERMS]
        if len(kept) != len(query.concepts):
            return query.weights
        out = dict(query.weights)
        bw = self._index.scoring.bigram_weight
        for (m1, m2), (a, b) in zip(zip(kept, kept[1:]), zip(query.concepts, query.concepts[1:])):
            if any(ch in marks for ch in asked[m1.end():m2.start()]):
                t = f"{a.main} {b.main}"
                out[t] = out.get(t, 0.0) - bw
                if out[t] <= 1e-9:
                    del out[t]
        return out

    def _reweight(self, query) -> dict[str, float]:
        searcher = self._index.searcher
        mode = self.opts["qtf"]
        counts: Counter[str] = Counter()
        for c in query.concepts:
            counts[c.main] += 1
        out: dict[str, float] = {}
        for t, w in query.weights.items():
            if mode != "sum" and " " not in t:
                n = max(counts.get(t, 1), 1)
                f = {"once": 1.0, "log": 1.0 + math.log(n), "sqrt": math.sqrt(n)}[mode]
                w = w * f / n
            p = float(self.opts["idf_pow"])
            if p != 1.0:
                idf = searcher.idf(searcher.df(t))
                if idf > 0:
                    w = w * idf ** (p - 1.0)
            out[t] = w
        return out

    def _feedback_x(self, weights: dict[str, float]) -> dict[str, float]:
        from qa import analysis
        from qa import feedback as answering

        index, searcher, scoring = self._index, self._index.searcher, self._index.scoring
        n, beta = scoring.feedback_passages, scoring.feedback_weight
        n_terms = scoring.feedback_terms
        if searcher.n < self.opts["fbx_min"]:
            n = int(self.opts["fbx_small"])
            beta = float(self.opts["fbx_small_w"]) or beta
        if not n or not weights:
            return weights
        top = searcher.top(weights, n)
        if not top:
            return weights
        k1, b = scoring.k1, scoring.b
        best = top[0][1]
        mass: Counter[str] = Counter()
        for rank, (pid, score) in enumerate(top, start=1):
            share = {"flat": 1.0, "score": score / best, "rank": 1.0 / rank}[self.opts["fbx_weight"]]
            tf = Counter(t for t in analysis.analyze(index.passage_text(pid)) if " " not in t)
            norm = k1 * (1 - b + b * sum(tf.values()) / searcher.avglen)
            for term, count in tf.items():
                mass[term] += share * count * (k1 + 1) / (count + norm)
        pool = int(self.opts["fbx_pool"])
        candidates = [t for t, _ in (mass.most_common(pool * n_terms) if pool else mass.items())]
        return answering.feedback_from(weights, mass, candidates, searcher, n_terms, beta)

    def _parse_stem_known(self, question: str):
        """qa's parse, with spelling variants sought only for words whose stem is unknown."""
        from qa import analysis
        from qa import query as qmod

        searcher = self._index.searcher
        original = qmod.spelling_variants

        def variants(word, df, s, *a, **kw):
            if not df and searcher.df(analysis.stem(word)) > 0:
                return []
            return original(word, df, s, *a, **kw)

        qmod.spelling_variants = variants
        try:
            return self._index.parse(question)
        finally:
            qmod.spelling_variants = original

    # ---- pseudo-relevance feedback (Rocchio on BM25-weighted passage vectors)

    def feedback(self, weights: dict[str, float]) -> dict[str, float]:
        from qa import analysis

        searcher = self._index.searcher
        top = searcher.top(weights, int(self.opts["prf_docs"]))
        if not top:
            return weights
        k1, b = searcher.scoring.k1, searcher.scoring.b
        agg: Counter[str] = Counter()
        for pid, _score in top:
            terms = [t for t in analysis.analyze(self._index.passage_text(pid)) if " " not in t]
            tf = Counter(terms)
            n = sum(tf.values()) or 1
            norm = k1 * (1 - b + b * n / searcher.avglen)
            for t, c in tf.items():
                agg[t] += c * (k1 + 1) / (c + norm)
        scored = {t: v * searcher.idf(searcher.df(t)) / len(top) for t, v in agg.items()}
        best = sorted(scored.items(), key=lambda x: -x[1])[: int(self.opts["prf_terms"])]
        if not best:
            return weights
        top_w = best[0][1]
        out = dict(weights)
        beta = float(self.opts["prf_beta"])
        for t, v in best:
            out[t] = out.get(t, 0.0) + beta * v / top_w
        return out


def wrapper(**opts: Any):
    """index -> a Proxy rewriting its queries with ``opts``, or None when there are none."""
    if not opts:
        return None
    return lambda index: Proxy(index, **opts)
