"""Small numpy helpers shared by the segment reader and the ranking: runs of positions, a fast stable sort, bit counts."""
from __future__ import annotations

import numpy as np


def ranges(first: np.ndarray, counts: np.ndarray, ends: np.ndarray | None = None) -> np.ndarray:
    """The positions ``first[j]:first[j] + counts[j]``, run after run, as one int64 array
    (``ends``: ``np.cumsum(counts)``, if known)."""
    if ends is None:
        ends = np.cumsum(counts)
    pos = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    pos += np.repeat(first - (ends - counts), counts)
    return pos


def stable_sort(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(``ids`` sorted, the order that sorts them, equal ids in their order): np.argsort(ids,
    kind="stable")'s, found by sorting each id with its position as one int64 key. Distinct keys need
    no stable sort, and numpy's default sort of int64 is several times faster than its stable one."""
    shift = len(ids).bit_length()
    if not len(ids) or int(ids.max()) >= 1 << (62 - shift):
        order = np.argsort(ids, kind="stable")
        return ids[order], order
    key = ids << shift
    key |= np.arange(len(ids), dtype=np.int64)
    key.sort()
    order = key & ((1 << shift) - 1)
    key >>= shift
    return key, order


def popcount(words: np.ndarray) -> np.ndarray:
    """Set bits of each uint64, as int64."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).astype(np.int64)
    return _BYTE_BITS[words.view(np.uint8).reshape(*words.shape, 8)].sum(axis=-1)


_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)
