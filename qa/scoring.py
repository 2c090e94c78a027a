"""BM25's arithmetic, named once: a term's idf and a passage's length norm (numbers or numpy arrays alike)."""
from __future__ import annotations

import numpy as np


def idf(n, df):
    """``ln(1 + (N - df + 0.5) / (df + 0.5))``: how rare a term held by ``df`` of ``n`` passages is."""
    return np.log1p((n - df + 0.5) / (df + 0.5))


def length_norm(k1: float, b: float, length, avglen: float):
    """``k1 (1 - b + b len / avglen)``: the denominator's share that discounts long passages."""
    return k1 * (1 - b + b * length / avglen)


def saturated_tf(tf, k1: float, norm):
    """``tf (k1 + 1) / (tf + norm)``: a term's repeated occurrences add less and less."""
    return tf * (k1 + 1) / (tf + norm)
