"""BM25, named once: its query-time weights (Scoring), a term's idf, a passage's length norm (numbers or arrays alike)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scoring:
    """Query-time weights; changing them needs no rebuild."""

    k1: float = 1.6  # how fast repeated occurrences of a term stop adding to the score
    b: float = 0.7  # how strongly long passages are discounted (0: not at all, 1: fully)
    bigram_weight: float = 0.25  # weight of a two-word phrase relative to a single word
    fuzzy_weight: float = 0.7  # weight of a spelling variant relative to the word typed
    feedback_passages: int = 10  # pseudo-relevance feedback: top passages read back, each by 1/rank (0: off)
    feedback_min_corpus: int = 1000  # no feedback below this many passages: 10 would be too large a share
    feedback_terms: int = 30  # terms the feedback adds to the question
    feedback_weight: float = 0.5  # weight of the added terms, the best one scaled to this


def idf(n, df):
    """``ln(1 + (N - df + 0.5) / (df + 0.5))``: how rare a term held by ``df`` of ``n`` passages is."""
    return np.log1p((n - df + 0.5) / (df + 0.5))


def length_norm(k1: float, b: float, length, avglen: float):
    """``k1 (1 - b + b len / avglen)``: the denominator's share that discounts long passages."""
    return k1 * (1 - b + b * length / avglen)


def saturated_tf(tf, k1: float, norm):
    """``tf (k1 + 1) / (tf + norm)``: a term's repeated occurrences add less and less."""
    return tf * (k1 + 1) / (tf + norm)
