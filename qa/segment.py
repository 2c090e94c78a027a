"""The segment format: a segment folder's arrays, written (pack_postings, join_blocks) and read (Segment, find_terms).

A segment is an immutable folder of arrays for a group of files: the
postings of each hashed term (passage ids and raw term frequencies, no idf,
so segments can be added and dropped without rewriting the others), the
passage lengths, where each passage stands in its file, and the document
frequency of each folded word (for spelling correction). Its passages are cut
in blocks of at most MAX_BLOCK_PASSAGES, so that a posting's passage takes 16
bits. The index format version (storage.FORMAT) changes whenever these arrays do.

Imports numpy only: the query path reads segments.
"""
from __future__ import annotations

from enum import IntEnum
from pathlib import Path

import numpy as np

from . import storage, validate
from .arrays import popcount, ranges

ARRAYS = ("docs", "tf_at", "tf_of", "indptr", "maxtf", "terms_low", "terms_start", "terms_multi", "multi_before",
          "blocks", "lengths", "passages", "vocab_keys", "vocab_df", "stems_keys", "stems_df")
SEGMENT_BYTES = 96 << 20  # of text per segment at most, in a parallel build
WORK_CHUNK = 1 << 20  # elements of the large arrays processed at a time (temporaries stay small)


class Found(IntEnum):
    """The rows of a term look-up's int64 array (Found, blocks, terms) (Segment.find, find_terms)."""

    FIRST = 0  # where the term's postings in the block start
    END = 1  # where they end
    MAX_TF = 2  # its largest term frequency in the block
    EXCEPTIONS_FIRST = 3  # where its term frequency exceptions (positions in tf_at) start
    EXCEPTIONS_END = 4  # where they end


# ---------------------------------------------------------------------------------------------------
# Writing: the postings as stored, what a term dictionary of tens of millions of rare bigrams costs least as.

def postings_of_entries(entries: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Term -> passages arrays from sorted ``column * n + passage`` entries (one per occurrence).

    Frees ``entries`` (resized to nothing) once read."""
    m = len(entries)
    new = np.empty(m, dtype=bool)
    if m:
        new[0] = True
        np.not_equal(entries[1:], entries[:-1], out=new[1:])
    nnz = int(np.count_nonzero(new))
    columns = np.empty(nnz, dtype=np.uint32)
    docs = np.empty(nnz, dtype=np.uint32)
    tfs = np.empty(nnz, dtype=np.uint8)
    at, last = 0, None  # entries written so far; where the last run seen starts
    for lo in range(0, m, WORK_CHUNK):
        starts = np.flatnonzero(new[lo:lo + WORK_CHUNK]) + lo
        if not len(starts):
            continue
        if last is not None:
            tfs[at - 1] = min(starts[0] - last, 255)
        k = len(starts)
        tfs[at:at + k - 1] = np.minimum(np.diff(starts), 255)
        columns[at:at + k], docs[at:at + k] = np.divmod(entries[starts], n)
        at, last = at + k, starts[-1]
    if last is not None:
        tfs[at - 1] = min(m - last, 255)
    del new
    entries.resize(0, refcheck=False)
    head = np.empty(nnz, dtype=bool)
    if nnz:
        head[0] = True
        np.not_equal(columns[1:], columns[:-1], out=head[1:])
    heads = np.flatnonzero(head)
    del head
    maxtf = np.maximum.reduceat(tfs, heads) if nnz else np.zeros(0, np.uint8)
    indptr = np.empty(len(heads) + 1, dtype=np.uint32 if nnz < 2**32 else np.int64)
    indptr[:-1] = heads
    indptr[-1] = nnz
    return {"terms": columns[heads], "indptr": indptr, "docs": docs, "tfs": tfs, "maxtf": maxtf}



MAX_BLOCK_PASSAGES = 1 << 16  # passage numbers in a block fit in 16 bits
_BUCKET_TERMS = 16  # dictionary terms a bucket of its high-bits table holds, on average


def pack_postings(csc: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The stored form of a block's postings (``terms``, ``indptr``, ``docs``, ``tfs``, ``maxtf``, as
    scikit-learn's CSC matrix has them) over ``n`` passages. Most hashed terms are bigrams found in
    one passage only, so:

    - ``docs``: first the postings of the terms in several passages (the ``is_multi`` ones, with
      ``indptr`` and ``maxtf``), term by term, then those of the terms in one: a single term's
      posting is the one at its rank among them;
    - term frequencies are 1 but at the positions ``tf_at``, where they are ``tf_of``.

    join_blocks turns the (sorted) ``terms`` into a dictionary."""
    terms, indptr, docs, tfs, maxtf = (csc[k] for k in ("terms", "indptr", "docs", "tfs", "maxtf"))
    df = np.diff(indptr.astype(np.int64))
    single = df == 1
    multi = ~single
    in_multi = np.repeat(multi, df)
    at_single = indptr[:-1][single]
    out = {"docs": np.concatenate([docs[in_multi], docs[at_single]])}
    tf = np.concatenate([tfs[in_multi], tfs[at_single]])
    del in_multi
    tf_at = np.flatnonzero(tf > 1)
    out["tf_at"] = tf_at.astype(np.uint32 if len(tf) < 2**32 else np.int64)
    out["tf_of"] = tf[tf_at]
    m_df = df[multi]
    out["indptr"] = np.zeros(len(m_df) + 1, dtype=np.uint32 if len(tf) < 2**32 else np.int64)
    np.cumsum(m_df, out=out["indptr"][1:])
    out["maxtf"] = maxtf[multi]
    out["terms"] = terms
    out["is_multi"] = multi
    return out


def join_blocks(blocks: list[tuple[int, dict]]) -> dict[str, np.ndarray]:
    """The stored arrays of a segment of several blocks (``(passages, pack_postings(...))`` each), so
    that one look-up serves them all: ``docs`` is every block's ``multi`` postings, then every
    block's ``single`` ones, passage numbers counted from the block's first passage; ``blocks`` is
    where each block's passages start; passages are 16-bit when the blocks allow; one dictionary
    holds every block's terms, a block after the
    other, each block's sorted: their low bits in ``terms_low``, a row of ``terms_start`` a block
    (all with the same number of buckets), a bit a term saying whether it is a multi one
    (``terms_multi``, 64 a word) and how many multi terms come before each word (``multi_before``):
    a term's rank among the multi (or the single) ones is its rank in their postings."""
    if not blocks:
        blocks = [(0, pack_postings({"terms": np.zeros(0, np.uint32), "indptr": np.zeros(1, np.uint32),
                                     "docs": np.zeros(0, np.uint32), "tfs": np.zeros(0, np.uint8),
                                     "maxtf": np.zeros(0, np.uint8)}, 0))]
    sizes = [n for n, _ in blocks]
    packed = [p for _, p in blocks]
    multi_n = [int(p["indptr"][-1]) for p in packed]
    single_n = [len(p["docs"]) - m for p, m in zip(packed, multi_n)]
    total = sum(multi_n) + sum(single_n)
    wide = np.uint32 if total < 2**32 else np.int64
    doc_type = np.uint16 if max(sizes) <= 1 << 16 else np.uint32
    out = {"docs": np.concatenate([p["docs"][:m].astype(doc_type) for p, m in zip(packed, multi_n)]
                                  + [p["docs"][m:].astype(doc_type) for p, m in zip(packed, multi_n)])}
    multi_at = np.cumsum([0] + multi_n)
    single_at = sum(multi_n) + np.cumsum([0] + single_n)
    tf_at, tf_of = [], []
    for part in ("multi", "single"):
        for i, (p, m) in enumerate(zip(packed, multi_n)):
            at = p["tf_at"].astype(np.int64)
            keep = at < m if part == "multi" else at >= m
            tf_at.append(at[keep] + (multi_at[i] if part == "multi" else single_at[i] - m))
            tf_of.append(p["tf_of"][keep])
    out["tf_at"] = np.concatenate(tf_at).astype(wide)
    out["tf_of"] = np.concatenate(tf_of).astype(np.uint8)
    out["indptr"] = np.concatenate([p["indptr"][:-1].astype(np.int64) + multi_at[i] for i, p in enumerate(packed)]
                                   + [[multi_at[-1]]]).astype(wide)
    out["maxtf"] = np.concatenate([p["maxtf"] for p in packed]).astype(np.uint8)
    # one dictionary, a row a block, and a bit a term saying whether it is a multi one (with the count
    # of multi terms before every 64 of them)
    h = _high_bits(max(len(p["terms"]) for p in packed))
    lows, starts, at = [], [], 0
    for p in packed:
        low, start = _dictionary(p["terms"], h)
        lows.append(low)
        starts.append(start.astype(np.int64) + at)
        at += len(p["terms"])
    out["terms_low"] = np.concatenate(lows)
    out["terms_start"] = np.stack(starts).astype(np.uint32 if at < 2**32 else np.int64)
    is_multi = np.concatenate([p["is_multi"] for p in packed] + [np.zeros(-at % 64, dtype=bool)])
    out["terms_multi"] = np.packbits(is_multi, bitorder="little").view("<u8")
    counts = is_multi.reshape(-1, 64).sum(axis=1, dtype=np.int64)
    out["multi_before"] = (np.cumsum(counts, dtype=np.int64) - counts).astype(np.uint32 if at < 2**32 else np.int64)
    out["blocks"] = np.cumsum([0] + sizes).astype(np.int64)
    return out


def merge_counts(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One table of sorted distinct keys and summed counts from several such tables."""
    if len(keys) == 1:
        return keys[0], counts[0]
    key = np.concatenate(keys) if keys else np.zeros(0, np.uint32)
    count = np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, np.int64)
    order = np.argsort(key, kind="stable")  # sorted runs: a merge
    key = key[order]
    first = np.empty(len(key), dtype=bool)
    first[:1] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    total = np.add.reduceat(count[order], starts) if len(starts) else count[:0]
    return key[starts], total.astype(np.uint32 if not len(total) or total.max() < 2**32 else np.uint64)


def _high_bits(n: int) -> int:
    """h for a dictionary of ``n`` terms: 2**h buckets of about _BUCKET_TERMS terms."""
    return max(0, n // _BUCKET_TERMS - 1).bit_length()


def _dictionary(keys: np.ndarray, h: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted 31-bit ``keys`` as (their low bits, where each value of their high bits starts): a table
    of 2**h + 1 positions for 2**h high-bit values (by default h = _high_bits(len(keys)))."""
    h = _high_bits(len(keys)) if h is None else h
    shift = 31 - h
    low = (keys & ((1 << shift) - 1)).astype(np.uint16 if shift <= 16 else np.uint32)
    start = np.searchsorted(keys >> shift, np.arange((1 << h) + 1, dtype=np.int64))
    return low, start.astype(np.uint32 if len(keys) < 2**32 else np.int64)




# ---------------------------------------------------------------------------------------------------
# Reading: a segment's arrays, and its terms looked up.


class Segment:
    """One immutable segment's arrays (memory-mapped when large); see pack_postings for their form."""

    def __init__(self, folder: Path, meta: dict, verify: bool):
        self.name = meta["name"]
        self.sources: list[str] = meta["sources"]
        # plain ndarray views of the memory maps: slicing a np.memmap costs a Python object each time
        arrays = {k: np.asarray(storage.read_array(folder, m, verify)) for k, m in meta["arrays"].items()}
        missing = set(ARRAYS) - set(arrays)
        if missing:
            raise storage.IndexDamaged(f"index segment {folder} lacks {', '.join(sorted(missing))}")
        self.docs = arrays["docs"]
        self.tf_at = arrays["tf_at"]
        self.tf_of = arrays["tf_of"]
        self.indptr = arrays["indptr"]
        self.maxtf = arrays["maxtf"]
        self.terms = Dictionary(arrays["terms_low"], arrays["terms_start"], folder)
        self.terms_multi = arrays["terms_multi"]  # a bit a dictionary term: in several passages?
        self.multi_before = arrays["multi_before"]  # multi terms before each 64 of the dictionary
        self.blocks = arrays["blocks"].astype(np.int64)  # where each block's passages start, and the end
        self.n_multi = len(self.maxtf)
        self.lengths = arrays["lengths"]
        self.passages = arrays["passages"]
        self.vocabularies = {name: (arrays[f"{name}_keys"], arrays[f"{name}_df"]) for name in ("vocab", "stems")}
        self.size = int(meta["passages"])
        self.single_at = int(self.indptr[-1]) if len(self.indptr) else 0  # where the singles' postings start
        self.deleted = None
        if meta.get("deleted"):
            flags = storage.read_array(folder, meta["deleted"], verify)
            if flags.dtype.kind not in "biu":
                raise storage.IndexDamaged(f"index file {folder / meta['deleted']['file']} is damaged ({flags.dtype} flags)")
            self.deleted = flags.astype(bool)
        if (len(self.passages) != self.size or len(self.lengths) != self.size
                or len(self.blocks) - 1 != len(self.terms.start)
                or len(self.terms_multi) != -(-len(self.terms.low) // 64) or len(self.multi_before) != len(self.terms_multi)
                or self.blocks[0] != 0 or self.blocks[-1] != self.size or (np.diff(self.blocks) < 0).any()
                or len(self.indptr) != self.n_multi + 1 or self.n_multi > len(self.terms.low)
                or self.single_at + len(self.terms.low) - self.n_multi != len(self.docs)
                or len(self.tf_at) != len(self.tf_of)):
            raise storage.IndexDamaged(f"index segment {folder} is inconsistent")
        validate.check_kinds(self, folder)
        self.folder = folder
        self.validated = False  # the values are checked before the first look-up (validate), not here
        self.live = self.size - (int(self.deleted.sum()) if self.deleted is not None else 0)
        self._tables: Tables | None = None

    def validate(self) -> None:
        """Raise IndexDamaged unless every value the search indexes with is in its bounds
        (validate.check_segment), checked once: opening a segment reads little of its arrays."""
        if not self.validated:
            validate.check_segment(self, self.folder)
            self.validated = True

    def find(self, fids: np.ndarray) -> np.ndarray:
        """(Found, blocks, len(fids)) int64: where the postings and the term frequency exceptions of hashed
        terms ``fids`` start and end in each block, and their largest tf; 0s where a block lacks a term."""
        if self._tables is None:
            self._tables = Tables([self])  # (one segment's: its own arrays, not copies)
        return find_terms([self], fids, self._tables)

    def _exceptions_before(self, positions: np.ndarray) -> np.ndarray:
        """How many term frequency exceptions come before each posting position."""
        # in tf_at's own dtype: a needle of another one would make searchsorted copy the whole array
        return self.tf_at.searchsorted(np.asarray(positions).astype(self.tf_at.dtype, copy=False))

    def tf(self, positions: np.ndarray) -> np.ndarray:
        """Term frequencies (uint8) of the postings at ``positions``."""
        out = np.ones(len(positions), dtype=np.uint8)
        if len(self.tf_at) and len(positions):
            i = self._exceptions_before(positions)
            np.minimum(i, len(self.tf_at) - 1, out=i)
            hit = self.tf_at[i] == positions
            out[hit] = self.tf_of[i[hit]]
        return out

    def tf_runs(self, lo: np.ndarray, counts: np.ndarray, elo: np.ndarray | None = None,
                ehi: np.ndarray | None = None, out: np.ndarray | None = None,
                starts: np.ndarray | None = None) -> np.ndarray:
        """Term frequencies (uint8) of postings ``lo[j]:lo[j] + counts[j]``, run after run, or written
        into ``out`` (of ones) at ``starts[j]`` on; ``elo:ehi``: each run's exceptions, if known."""
        if out is None:
            out = np.ones(int(counts.sum()), dtype=np.uint8)
        if starts is None:
            starts = np.cumsum(counts) - counts
        if len(self.tf_at) and len(out):
            a = self._exceptions_before(lo) if elo is None else elo
            n = (self._exceptions_before(lo + counts) if ehi is None else ehi) - a
            if n.any():
                which = ranges(a, n)
                out_at = np.repeat(starts - lo, n) + self.tf_at[which]
                out[out_at] = self.tf_of[which]
        return out

    def postings(self, fid: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Passages (ascending, numbered in the segment) holding hashed term ``fid``, their term
        frequencies, and the largest one."""
        lo, hi, mx, _, _ = (x[:, 0] for x in self.find(np.array([fid], dtype=np.int64)))
        docs = np.concatenate([self.docs[a:b].astype(np.int64) + base for a, b, base in zip(lo, hi, self.blocks)])
        return docs, self.tf_runs(lo, hi - lo), int(mx.max(initial=0))

    def vocabulary_df(self, keys: np.ndarray, vocabulary: str) -> np.ndarray:
        """Document frequencies of CRC-32 ``keys`` in the ``vocab`` (folded words) or ``stems`` table."""
        self.validate()
        table, df = self.vocabularies[vocabulary]
        if not len(table):
            return np.zeros(len(keys), dtype=np.int64)
        pos = np.searchsorted(table, keys)
        pos[pos == len(table)] = 0
        return np.where(table[pos] == keys, df[pos], 0)


class Dictionary:
    """Sorted runs of hashed terms (join_blocks: each block's) stored as their low bits, one run
    after the other, with a table (a row a run) of where each value of their high bits starts: a
    term is found in one short run of its bucket, in every run at once."""

    def __init__(self, low: np.ndarray, start: np.ndarray, folder: Path):
        buckets = start.shape[1] - 1 if start.ndim == 2 else 0
        if (buckets < 1 or buckets & (buckets - 1) or buckets > 1 << 31 or not len(start)
                or int(start[0, 0]) != 0 or int(start[-1, -1]) != len(low)):
            raise storage.IndexDamaged(f"index segment {folder} is inconsistent")
        self.low, self.start = low, start
        self.shift = 31 - (buckets.bit_length() - 1)
        self.mask = (1 << self.shift) - 1


def find_terms(segments: list[Segment], fids: np.ndarray, tables: Tables) -> np.ndarray:
    """(Found, blocks, len(fids)) int64: Segment.find's of ``fids`` in every block of ``segments``, in
    order (``tables``: their Tables). The dictionaries of all the segments are searched together: a
    segment costs only the gathers from its own big arrays; each segment is validated before its first one."""
    for seg in segments:
        seg.validate()
    k = len(fids)
    seg_blocks = [len(seg.blocks) - 1 for seg in segments]
    n_blocks = sum(seg_blocks)
    out = np.zeros((len(Found), n_blocks * k), dtype=np.int64)
    if not len(out[0]):
        return out.reshape(len(Found), n_blocks, k)
    # each term's bucket in every block: where it starts and ends (the same buckets in segments of
    # the same size)
    sought: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows, keys = [], []
    for seg in segments:
        d = seg.terms
        if d.shift not in sought:
            bucket = fids >> d.shift
            sought[d.shift] = (np.concatenate([bucket, bucket + 1]), fids & d.mask)
        at, key = sought[d.shift]
        rows.append(d.start[:, at])
        keys.append(key)
    bounds = (np.concatenate(rows) if len(rows) > 1 else rows[0]).astype(np.int64)
    first = bounds[:, :k].ravel()
    lens = bounds[:, k:].ravel() - first
    key = np.tile(keys[0], n_blocks) if len(sought) == 1 else np.concatenate(
        [np.tile(x, n) for x, n in zip(keys, seg_blocks)])
    ends = np.cumsum(lens)
    # every term of every bucket looked at, one after the other: a bucket's low bits are distinct,
    # so one at most matches; (block, term) cell after cell, segment after segment
    cells = ranges(first, lens, ends)
    seg_cells = np.cumsum([0] + seg_blocks) * k  # each segment's first (block, term) cell
    cut = np.concatenate([[0], ends])[seg_cells].tolist()
    low = [seg.terms.low[cells[a:b]] for seg, a, b in zip(segments, cut, cut[1:])]
    hit = np.flatnonzero((np.concatenate(low) if len(low) > 1 else low[0]) == np.repeat(key, lens))
    if len(hit):
        where = np.searchsorted(ends, hit, side="right")  # the cells found
        out[:, where] = _describe(segments, cells[hit], np.searchsorted(where, seg_cells).tolist(), tables)
    return out.reshape(len(Found), n_blocks, k)


class Tables:
    """The small per-term arrays of several segments' dictionaries (their multi bits, the multi terms
    before each 64, the multi terms' postings starts and largest tfs) each as one array, so that a
    look-up gathers from all segments at once; ``*_at``: where each segment's part starts."""

    def __init__(self, segments: list[Segment]):
        def joined(name: str) -> tuple[np.ndarray, np.ndarray]:
            parts = [getattr(seg, name) for seg in segments] or [np.zeros(0, np.int64)]
            at = np.cumsum([0] + [len(a) for a in parts[:-1]]).astype(np.int64)
            return (np.concatenate(parts) if len(parts) > 1 else parts[0]), at

        self.multi, self.multi_at = joined("terms_multi")  # multi_before has the same length
        self.before, _ = joined("multi_before")
        self.indptr, self.indptr_at = joined("indptr")
        self.maxtf, self.maxtf_at = joined("maxtf")
        self.single_at = np.array([seg.single_at for seg in segments], dtype=np.int64)


def _describe(segments: list[Segment], p: np.ndarray, cuts: list[int], tables: Tables) -> np.ndarray:
    """(Found, len(p)) int64: Segment.find's figures for the dictionary terms at positions ``p``,
    those of ``segments[i]`` at ``cuts[i]:cuts[i + 1]`` (``tables``: the segments' Tables)."""
    out = np.empty((len(Found), len(p)), dtype=np.int64)
    lo, hi, mx, elo, ehi = out
    seg_of = np.repeat(np.arange(len(segments)), np.diff(cuts))  # each term's segment
    q = p >> 6
    q += tables.multi_at[seg_of]
    word = tables.multi[q]
    rank = tables.before[q].astype(np.int64)
    bit = (p & 63).astype(np.uint64)
    multi = ((word >> bit) & np.uint64(1)).astype(bool)
    # a term's rank among the multi terms: those before its 64, then the bits below its own
    rank += popcount(word & ((np.uint64(1) << bit) - np.uint64(1)))
    np.add(tables.single_at[seg_of], p, out=lo)
    lo -= rank  # a single term's one posting, at its rank among the singles
    np.add(lo, 1, out=hi)
    mx[:] = 1
    many = np.flatnonzero(multi)
    if len(many):
        m = rank[many]
        at = m + tables.indptr_at[seg_of[many]]
        lo[many] = tables.indptr[at]
        hi[many] = tables.indptr[at + 1]
        mx[many] = tables.maxtf[m + tables.maxtf_at[seg_of[many]]]
    # the exceptions of each term, searched for only where there may be some: not for a multi term
    # whose largest term frequency is 1
    elo[:] = 0
    ehi[:] = 0
    search = np.flatnonzero(~multi | (mx > 1))
    s_cuts = np.searchsorted(search, cuts).tolist()
    for seg, a, b in zip(segments, s_cuts, s_cuts[1:]):
        if b > a and len(seg.tf_at):
            at = search[a:b]
            elo[at], ehi[at] = seg._exceptions_before(out[:2, at])
    # a single posting's term frequency: its exception's, or 1
    single = search[~multi[search] & (ehi[search] > elo[search])]
    if len(single):
        s_cuts = np.searchsorted(single, cuts).tolist()
        for seg, a, b in zip(segments, s_cuts, s_cuts[1:]):
            if b > a:
                mx[single[a:b]] = seg.tf_of[elo[single[a:b]]]
    return out
