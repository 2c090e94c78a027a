"""Experimental query rewrites, applied around an opened qa index (the core untouched).

Used by benchmarks/_sweep.py to measure scoring changes before proposing them
for the core. `wrapper(**options)` returns a function index -> proxy; the
proxy answers `search`, `ask` and `conversation()` like `qa.Index`, with its
query weights rewritten by `parse`.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Any

OPTIONS = {
    "prf_docs": 0,  # pseudo-relevance feedback: passages read back (0: off)
    "prf_terms": 10,  # expansion terms added
    "prf_beta": 0.5,  # weight of the expansion relative to the question
    "prf_min_passages": 0,  # feedback only in an index of at least this many passages
    "stem_known": 0,  # 1: a word whose stem the corpus holds is never taken for a typo
    "keep": "qa",  # build time: "qa" (boilerplate removal as is), "nonempty" (a document never
    # loses all its lines), "title" (nonempty, and an opening line followed by a blank line stays),
    # "all" (no boilerplate removal)
}
BUILD_OPTIONS = ("keep",)


class Proxy:
    def __init__(self, index, **opts: Any):
        self._index = index
        self.opts = {**OPTIONS, **opts}

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    def parse(self, question: str):
        if self.opts["stem_known"]:
            query = self._parse_stem_known(question)
        else:
            query = self._index.parse(question)
        if self.opts["prf_docs"] and query.weights \
                and self._index.searcher.n >= self.opts["prf_min_passages"]:
            query.weights = self.feedback(query.weights)
        return query

    def search(self, question: str, k: int = 10):
        return self._index.searcher.top(self.parse(question).weights, k)

    def ask(self, question: str, k: int = 3):
        return self._index.answer(self.parse(question), k)

    def conversation(self):
        from qa.conversation import Conversation

        return Conversation(self)

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
    query_opts = {k: v for k, v in opts.items() if k not in BUILD_OPTIONS}
    if not query_opts:
        return None
    return lambda index: Proxy(index, **query_opts)


@contextmanager
def build_patch(**opts: Any):
    """Build-time proposals: qa.corpus.keep_lines replaced while an index is opened or built."""
    keep = opts.get("keep", "qa")
    if keep == "qa":
        yield
        return
    from qa import corpus

    original = corpus.keep_lines

    def nonblank(lines):
        return [ln for ln in lines if not ln.blank]

    def patched(lines, common=frozenset()):
        if keep == "all":
            return nonblank(lines)
        kept = original(lines, common)
        if not kept:
            return nonblank(lines)
        if keep == "title":
            content = nonblank(lines)
            first = content[0] if content else None
            if first is not None and first not in kept and len(content) > 1 \
                    and content[1].number > first.last + 1:
                kept = [first] + kept
        return kept

    if keep not in ("all", "nonempty", "title"):
        raise ValueError(f"keep={keep!r}: want qa, nonempty, title or all")
    corpus.keep_lines = patched
    try:
        yield
    finally:
        corpus.keep_lines = original
