"""Term -> feature id, exactly as scikit-learn's HashingVectorizer computes it.

The index is built with ``HashingVectorizer(alternate_sign=False)``, which
hashes each term with MurmurHash3 (x86, 32-bit, seed 0) and takes
``abs(h) % n_features``. The query path must not import scikit-learn, so the
hash is written out here (``tests/test_analysis_props.py`` proves the two equal).
"""
from __future__ import annotations

import numpy as np

# 31 bits: at a million passages there are tens of millions of distinct bigrams; in a 2**24 space
# nearly every rare word would share its column with some of them.
HASH_BITS = 31

_M = 0xFFFFFFFF
_SCALAR_TERMS = 24  # up to this many terms, a Python loop hashes them faster than numpy's fixed costs


def murmurhash3_32(data: bytes, seed: int = 0) -> int:
    """Signed 32-bit MurmurHash3_x86_32 of ``data``."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _M
    n = len(data)
    end = n & ~3
    for i in range(0, end, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * c1) & _M
        k = ((k << 15) | (k >> 17)) & _M
        k = (k * c2) & _M
        h ^= k
        h = ((h << 13) | (h >> 19)) & _M
        h = (h * 5 + 0xE6546B64) & _M
    k = 0
    tail = n & 3
    if tail == 3:
        k ^= data[end + 2] << 16
    if tail >= 2:
        k ^= data[end + 1] << 8
    if tail >= 1:
        k ^= data[end]
        k = (k * c1) & _M
        k = ((k << 15) | (k >> 17)) & _M
        k = (k * c2) & _M
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def n_features(hash_bits: int) -> int:
    """Width of the hashed feature space for ``hash_bits`` (scikit-learn allows at most 2**31 - 1)."""
    return min(1 << hash_bits, 2**31 - 1)


def feature_id(term: str, n_features: int) -> int:
    """The column HashingVectorizer gives ``term`` in a space of ``n_features``."""
    h = murmurhash3_32(term.encode("utf-8"))
    if h == -(1 << 31):
        return (2147483647 - (n_features - 1)) % n_features
    return abs(h) % n_features


def feature_ids(terms: list[str], n_features: int) -> np.ndarray:
    """``feature_id`` of many terms at once (int64), MurmurHash3 run on numpy arrays: one pass per
    4-byte block of the longest term, instead of one Python loop per term (for a few terms, the loop)."""
    if len(terms) <= _SCALAR_TERMS:
        return np.array([feature_id(t, n_features) for t in terms], dtype=np.int64)
    return vectorized_feature_ids(terms, n_features)


def vectorized_feature_ids(terms: list[str], n_features: int) -> np.ndarray:
    """feature_ids's numpy MurmurHash3, for any number of terms."""
    n = len(terms)
    if not n:
        return np.zeros(0, dtype=np.int64)
    data = [t.encode("utf-8") for t in terms]
    lens = np.fromiter(map(len, data), dtype=np.int64, count=n)
    blocks = lens // 4
    # the terms with the most 4-byte blocks first, so that those still mixing a block are the first m
    order = np.argsort(-blocks, kind="stable")
    width = (int(blocks[order[0]]) + 1) * 4  # room for every block and the tail
    words = np.array([data[i] for i in order.tolist()], dtype=f"S{width}").view("<u4").reshape(n, width // 4)
    blocks, lens = blocks[order], lens[order]
    h = np.zeros(n, dtype=np.uint32)
    t = np.empty(n, dtype=np.uint32)
    with np.errstate(over="ignore"):
        # each block's k does not depend on h: all of them at once (the tail's too, zero-padded as the
        # scalar code builds it)
        k = words * np.uint32(0xCC9E2D51)
        k = (k << np.uint32(15)) | (k >> np.uint32(17))
        k *= np.uint32(0x1B873593)
        # the rows with a block j: those with more than j blocks
        for j, m in enumerate(np.searchsorted(-blocks, -np.arange(1, int(blocks[0]) + 1), side="right").tolist()):
            hm, tm = h[:m], t[:m]
            hm ^= k[:m, j]
            np.left_shift(hm, np.uint32(13), out=tm)
            hm >>= np.uint32(19)
            hm |= tm
            hm *= np.uint32(5)
            hm += np.uint32(0xE6546B64)
        h = np.where(lens & 3 != 0, h ^ k[np.arange(n), blocks], h)
        h ^= lens.astype(np.uint32)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    out = np.empty(n, dtype=np.int64)
    out[order] = hash_columns(h.astype(np.int64) - (h >= np.uint32(0x80000000)).astype(np.int64) * (1 << 32), n_features)
    return out


def hash_columns(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """FeatureHasher's column of each signed 32-bit hash (int64): ``feature_id``'s rule, on an array."""
    out = np.abs(hashes) % n_features
    out[hashes == -(1 << 31)] = (2147483647 - (n_features - 1)) % n_features
    return out
