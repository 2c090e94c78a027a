"""A segment's arrays checked for every value the search will index with: their kinds when it is
opened, their values before its first look-up.

The index is data that people copy and download, and its checksums can be recomputed: an array of
the right shape may still hold a passage number past the segment, a pointer past its postings or a
NaN length. Each check is a pass over an array at most (the postings only where their dtype does not
already bound them); a failure is IndexDamaged naming the file and what is wrong, so the index is
rebuilt like a damaged one. The passes over the values are not made when the segment is opened
(Segment.validate makes them once, before anything is looked up in it): opening an index touches
little of its arrays, and must stay fast.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .storage import IndexDamaged

CHUNK = 1 << 22  # elements a pass over a large array looks at at once (bounded extra memory)
MAX_LENGTH = 1 << 30  # a passage's length in terms


def integer_arrays(seg) -> dict[str, np.ndarray]:
    """The arrays of Segment ``seg`` that hold whole numbers, by file name."""
    return {"docs": seg.docs, "tf_at": seg.tf_at, "tf_of": seg.tf_of, "indptr": seg.indptr, "maxtf": seg.maxtf,
            "terms_low": seg.terms.low, "terms_start": seg.terms.start, "terms_multi": seg.terms_multi,
            "multi_before": seg.multi_before, "passages": seg.passages,
            **{f"{name}_{part}": array for name, pair in seg.vocabularies.items()
               for part, array in zip(("keys", "df"), pair)}}


def check_kinds(seg, folder: Path) -> None:
    """Raise IndexDamaged unless the arrays of Segment ``seg`` that hold whole numbers do (their
    dtypes only: nothing is read), and its deleted flags are one a passage."""
    for name, array in integer_arrays(seg).items():
        if array.dtype.kind not in "ui":
            raise IndexDamaged(f"index file {folder / (name + '.npy')} is damaged "
                               f"({array.dtype} values where whole numbers are needed)")
    # the multi bits are shifted and counted as uint64 (another integer type, or one of them mixed
    # with those of other segments, makes the shift a TypeError); lengths are numbers
    if seg.terms_multi.dtype != np.uint64:
        raise IndexDamaged(f"index file {folder / 'terms_multi.npy'} is damaged ({seg.terms_multi.dtype}, not uint64)")
    if seg.lengths.dtype.kind not in "uif":
        raise IndexDamaged(f"index file {folder / 'lengths.npy'} is damaged ({seg.lengths.dtype} lengths)")
    if seg.deleted is not None and seg.deleted.shape != (seg.size,):
        raise IndexDamaged(f"index file {folder / 'deleted.npy'} is damaged (not one flag a passage)")


def check_segment(seg, folder: Path) -> None:
    """Raise IndexDamaged unless every offset, id, pointer and length of Segment ``seg`` (whose array
    shapes and kinds agree already) stays within its bounds, is monotone where the search needs it,
    and every float is finite."""

    def fail(name: str, what: str) -> None:
        raise IndexDamaged(f"index file {folder / (name + '.npy')} is damaged ({what})")

    if len(seg.indptr) and (int(seg.indptr[0]) != 0 or not _ascending(seg.indptr)):
        fail("indptr", "postings pointers not ascending from 0")
    if seg.terms.start.ndim != 2 or not _ascending(seg.terms.start.ravel()):
        fail("terms_start", "dictionary runs not ascending")
    if len(seg.maxtf) and int(seg.maxtf.min()) < 1:
        fail("maxtf", "a largest term frequency below 1")
    _check_multi(seg, fail)
    _check_docs(seg, fail)
    if len(seg.tf_at) and (not _ascending(seg.tf_at, strict=True) or int(seg.tf_at[-1]) >= len(seg.docs)):
        fail("tf_at", "exception positions not ascending within the postings")
    lengths = np.asarray(seg.lengths)
    if len(lengths) and not (np.isfinite(lengths).all() and lengths.min() >= 0 and lengths.max() <= MAX_LENGTH):
        fail("lengths", "a passage length not finite or out of range")
    _check_passages(seg, fail)
    for name, (keys, df) in seg.vocabularies.items():
        if len(keys) != len(df):
            fail(f"{name}_df", f"{len(df)} frequencies for {len(keys)} keys")
        if len(keys) and not _ascending(keys):  # (equal keys: two words with one CRC-32)
            fail(f"{name}_keys", "keys not ascending")


def _ascending(a: np.ndarray, strict: bool = False) -> bool:
    """Whether ``a`` (1-d) never decreases (``strict``: always increases), looked at a chunk at a time."""
    a = np.asarray(a)
    for at in range(0, max(len(a) - 1, 0), CHUNK):
        part = a[at:at + CHUNK + 1]
        ok = part[1:] > part[:-1] if strict else part[1:] >= part[:-1]
        if not ok.all():
            return False
    return True


def _ranks(seg, positions: np.ndarray) -> np.ndarray:
    """How many multi terms come before each dictionary position in ``positions``."""
    positions = positions.astype(np.int64)
    words = seg.terms_multi.astype(np.uint64)
    q = positions >> 6
    inside = q < len(words)
    below = np.zeros(len(positions), dtype=np.int64)
    bits = (positions[inside] & 63).astype(np.uint64)
    masked = words[q[inside]] & ((np.uint64(1) << bits) - np.uint64(1))
    below[inside] = np.bitwise_count(masked)
    before = np.where(inside, seg.multi_before[np.minimum(q, max(len(words) - 1, 0))].astype(np.int64)
                      if len(words) else 0, seg.n_multi)
    return before + below


def _check_multi(seg, fail) -> None:
    """The multi bits and the counts before each 64 of them agree, and count the multi terms."""
    words = np.asarray(seg.terms_multi, dtype=np.uint64)
    counts = np.bitwise_count(words).astype(np.int64)
    spare = len(words) * 64 - len(seg.terms.low)
    if spare and len(words) and int(words[-1]) >> (64 - spare):
        fail("terms_multi", "bits set past the dictionary")
    if int(counts.sum()) != seg.n_multi:
        fail("terms_multi", f"{int(counts.sum())} multi terms for {seg.n_multi} postings lists")
    expected = np.cumsum(counts) - counts
    if not np.array_equal(np.asarray(seg.multi_before, dtype=np.int64), expected):
        fail("multi_before", "counts that do not match the multi bits")


def _check_docs(seg, fail) -> None:
    """Every posting's passage number is within its block: checked only in blocks smaller than what
    the postings' dtype can hold (the last block of a segment, as a rule)."""
    sizes = np.diff(seg.blocks)
    limit = np.iinfo(seg.docs.dtype).max + 1 if seg.docs.dtype.kind in "ui" else 0
    first, end = seg.terms.start[:, 0].astype(np.int64), seg.terms.start[:, -1].astype(np.int64)
    if (np.asarray(seg.docs).dtype.kind not in "ui" or (first[1:] != end[:-1]).any()):
        fail("terms_start", "dictionary runs that do not follow each other")
    rank_first, rank_end = _ranks(seg, first), _ranks(seg, end)
    for b in np.flatnonzero(sizes < limit).tolist():
        ranges = ((int(seg.indptr[rank_first[b]]), int(seg.indptr[rank_end[b]])),
                  (seg.single_at + first[b] - rank_first[b], seg.single_at + end[b] - rank_end[b]))
        for lo, hi in ranges:
            if not 0 <= lo <= hi <= len(seg.docs):
                fail("docs", f"block {b}'s postings outside the postings")
            if hi > lo and int(seg.docs[lo:hi].max()) >= sizes[b]:
                fail("docs", f"a passage number past block {b}'s {sizes[b]} passages")


def _check_passages(seg, fail) -> None:
    """Each passage's file is in the segment's list, its character and line ranges in order."""
    passages = np.asarray(seg.passages)
    if not len(passages):
        return
    if passages.ndim != 2 or passages.shape[1] != 5:
        fail("passages", "not five numbers a passage")
    if passages.dtype != np.int32:  # (as written: int32; another dtype is read as int64, whose
        passages = passages.astype(np.int64)  # differences below cannot wrap)
    negative = int(passages.min()) < 0  # (one pass over the whole table: faster than a column's)
    # (a cluster's workers hold segments without their file lists: storage.read_manifest has
    # checked that a segment with passages has files)
    if (negative and int(passages[:, 0].min()) < 0) or (seg.sources and int(passages[:, 0].max()) >= len(seg.sources)):
        fail("passages", "a file number outside the segment's files")
    if negative:
        fail("passages", "a negative character or line")
    spans = passages[:, 2::2] - passages[:, 1:4:2]  # (chars, lines) a passage: of values >= 0, none wraps
    if spans.min() < 0 or (spans[:, 1] > spans[:, 0]).any():
        fail("passages", "a character or line range out of order")
