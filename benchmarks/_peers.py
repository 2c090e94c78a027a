"""The baselines: bm25s (Lucene BM25) and rank_bm25 (BM25Okapi).

Both see the same tokens: bm25s's tokenizer (lowercase, \\w\\w+ tokens, English
stop words) with PyStemmer's English stemmer.
"""
from __future__ import annotations

import sys
from typing import Sequence

INSTALL_HINT = "pip install -e '.[bench]'"


class MissingPeers(RuntimeError):
    pass


def require_peers() -> None:
    missing = []
    for mod in ("bm25s", "rank_bm25", "Stemmer"):
        try:
            __import__(mod)
        except ImportError:
            missing.append({"Stemmer": "PyStemmer"}.get(mod, mod))
    if missing:
        raise MissingPeers(
            f"the baselines need {', '.join(missing)}: {INSTALL_HINT} (or run with --no-peers)"
        )


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str], return_ids: bool = True):
    import bm25s

    return bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=_stemmer(),
        return_ids=return_ids,
        show_progress=False,
    )


class BM25s:
    """bm25s, method="lucene", k1=1.5, b=0.75."""

    name = "bm25s"

    def __init__(self, texts: Sequence[str], k1: float = 1.5, b: float = 0.75):
        import bm25s

        self.n = len(texts)
        self.model = bm25s.BM25(method="lucene", k1=k1, b=b)
        self.model.index(tokenize(texts), show_progress=False)

    def search(self, queries: Sequence[str], k: int = 100) -> list[list[tuple[int, float]]]:
        """Top k (document index, score) per query; documents that match no query term are left out."""
        k = min(k, self.n)
        if not queries or k == 0:
            return [[] for _ in queries]
        qtok = tokenize(queries)
        docs, scores = self.model.retrieve(qtok, k=k, show_progress=False, n_threads=1)
        out = []
        for row_d, row_s in zip(docs, scores):
            out.append([(int(d), float(s)) for d, s in zip(row_d, row_s) if s > 0])
        return out


class RankBM25:
    """rank_bm25.BM25Okapi with its defaults (k1=1.5, b=0.75, epsilon=0.25) on the same tokens."""

    name = "rank_bm25"

    def __init__(self, texts: Sequence[str]):
        from rank_bm25 import BM25Okapi

        import numpy as np

        self._np = np
        toks = tokenize(texts, return_ids=False)
        # BM25Okapi divides by the mean length: keep it defined on an all-empty corpus.
        self.n = len(toks)
        self.model = BM25Okapi([t if t else [""] for t in toks]) if toks else None

    def search(self, queries: Sequence[str], k: int = 100) -> list[list[tuple[int, float]]]:
        np = self._np
        k = min(k, self.n)
        out = []
        for qt in tokenize(queries, return_ids=False) if queries else []:
            if self.model is None or not qt or k == 0:
                out.append([])
                continue
            scores = self.model.get_scores(qt)
            top = np.argsort(-scores, kind="stable")[:k]
            out.append([(int(d), float(scores[d])) for d in top if scores[d] > 0])
        return out


if __name__ == "__main__":  # pragma: no cover - quick manual check
    require_peers()
    print(BM25s(["a cat sat", "dogs bark loudly"]).search(["cats"], 5), file=sys.stderr)
