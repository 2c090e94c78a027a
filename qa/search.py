"""Ranked passages: the whole scoring core as a few array operations over the postings.

score(q, p) = sum over the question's terms t of  w_t * idf(t) * tf'(t, p)

with a saturated, length-normalized term frequency (BM25's)
``tf' = tf (k1 + 1) / (tf + k1 (1 - b + b len(p) / avglen))`` and
``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``. Both statistics are computed
here, at query time, from raw counts, so adding or dropping a segment never
rewrites the others. A question touches only the postings of its own terms.

Imports numpy only: no scikit-learn on the query path.
"""
from __future__ import annotations

import zlib

import numpy as np

from . import scoring as bm25
from .arrays import ranges as _ranges, stable_sort as _stable_sort
from .hashing import feature_ids
from .passages import PassageLookups, PassageTable, shard_totals
from .scoring import Scoring
from .segment import Segment, Tables as _Tables, find_terms


_EMPTY_IDS = np.zeros(0, np.int64)
_EMPTY_SCORES = np.zeros(0, np.float32)
_EMPTY_SUMS = np.zeros(0, np.float64)


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th largest of ``scores`` (0 when there are fewer than k)."""
    if len(scores) < k:
        return 0.0
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


# Where each question term's postings are, cached across questions (an opened index does not change):
# term -> (array, column) into an int64 array (segment.Found, blocks, terms) of Segment.find's.
_INFO_CACHE_BYTES = 32 << 20
# A bound or a floor compared with scores (float32 contributions summed in float64) is given this much
# slack, so that rounding never drops a passage that belongs in the top k.
_SLACK = 1e-4
PREFETCH_WORDS = 32  # a word list this short is a question's words: its stems and index terms are looked up with them
# below this many postings a block and term left, reading the terms left costs less than a check of
# the k-th score and the look-ups it would lead to
_SCAN_REST = 48
# a term's postings in a block with deleted passages: up to this many a run of them, read them all
# to count the deleted ones; above it, search for the runs' bounds
_READ_DEAD = 32


class _Plan:
    """A question's weighted terms, rarest first, with where their postings are in each block."""

    __slots__ = ("terms", "df", "scale", "bound", "lo", "hi", "elo", "ehi")

    def __init__(self, terms, df, scale, bound, lo, hi, elo, ehi):
        self.terms, self.df, self.scale, self.bound, self.lo, self.hi = terms, df, scale, bound, lo, hi
        self.elo, self.ehi = elo, ehi  # each term's term frequency exceptions in each block


class Searcher(PassageLookups):
    """Scores questions' terms against a list of segments.

    Passages are numbered internally one after the other, block by block of each segment in turn
    (``_base``), so that a question's postings from every block are scored and merged as one array;
    ``offsets`` map them to passage ids at the end."""

    takes_floor = True  # top_above prunes by its floor (pipeline.Ranker)

    def __init__(self, segments: list[Segment], n_features: int, scoring: Scoring = Scoring(),
                 offsets: list[int] | None = None, totals: tuple[int, float] | None = None):
        """``offsets``: each segment's first passage id (default: numbered from 0 in order);
        ``totals``: (live passages, their summed length) of the whole index when these segments are
        only a shard of it, so that scores are those of the whole."""
        self.segments = segments
        self.n_features = n_features
        self.scoring = scoring
        base = np.cumsum([0] + [s.size for s in segments]).astype(np.int64)
        self.offsets = np.array(offsets if offsets is not None else base[:-1], dtype=np.int64)
        self.table = PassageTable(segments, self.offsets)
        self.live, self.total_len = shard_totals(segments)
        self.n, total_len = totals if totals is not None else (self.live, self.total_len)
        self.avglen = total_len / self.n if self.n and total_len > 0 else 1.0
        k1, b = scoring.k1, scoring.b
        # the blocks of all segments, in order: their segment, where they start in it and in all
        self._unit_seg = np.array([i for i, seg in enumerate(segments) for _ in range(len(seg.blocks) - 1)],
                                  dtype=np.int64)
        self._unit_at = np.array([a for seg in segments for a in seg.blocks[:-1]], dtype=np.int64)
        self._tables: _Tables | None = None  # made at the first look-up: opening (and updating) stays fast
        self._seg_first_unit = np.cumsum([0] + [len(seg.blocks) - 1 for seg in segments[:-1]]).astype(np.int64)
        self._base = np.concatenate([base[self._unit_seg] + self._unit_at, base[-1:]])
        shift = self.offsets - base[:-1]
        self._shift = None if not shift.any() else shift[self._unit_seg]
        # one array of every passage's length norm (inf: deleted)
        self._gnorm = np.empty(int(base[-1]), dtype=np.float32)
        for i, s in enumerate(segments):
            norm = self._gnorm[base[i]:base[i + 1]]
            norm[:] = bm25.length_norm(k1, b, np.asarray(s.lengths, dtype=np.float32), self.avglen
                                               ).astype(np.float32)
            if s.deleted is not None:
                norm[s.deleted] = np.inf
        mins = [self._gnorm[x:y].min(initial=np.inf) for x, y in zip(self._base[:-1], self._base[1:])]
        self._norm_min_arr = np.array([float(m) if np.isfinite(m) else 1.0 for m in mins], dtype=np.float64)
        # the blocks with deleted passages, each with where its runs of them start and end (block-local)
        self._deleted: list[tuple[int, np.ndarray]] = []
        for u, i in enumerate(self._unit_seg.tolist()):
            if segments[i].deleted is not None:
                at = int(self._unit_at[u])
                dead = segments[i].deleted[at:at + int(self._base[u + 1] - self._base[u])]
                self._deleted.append((u, np.flatnonzero(np.diff(dead.astype(np.int8), prepend=0, append=0))))
        self._fid_cache: dict[str, int] = {}
        self._df_cache: dict[str, int] = {}
        self._info_cache: dict[str, tuple[np.ndarray, int]] = {}
        self._info_bytes = 0

    def fids(self, terms: list[str]) -> np.ndarray:
        """``fid`` of many terms (int64), the ones not seen before hashed together."""
        cache = self._fid_cache
        if len(cache) > 1_000_000:
            cache.clear()
        new = [t for t in dict.fromkeys(terms) if t not in cache]
        if new:
            cache.update(zip(new, feature_ids(new, self.n_features).tolist()))
        return np.fromiter(map(cache.__getitem__, terms), dtype=np.int64, count=len(terms))

    # ---- where the postings are

    def _infos(self, terms: list[str]) -> np.ndarray:
        """(5, blocks, len(terms)) int64: Segment.find's for each term in each block of every segment;
        one look-up per segment for all the terms not looked up before."""
        cache = self._info_cache
        if self._info_bytes > _INFO_CACHE_BYTES:
            cache.clear()
            self._info_bytes = 0
        # this call's entries held here: another thread may clear the cache meanwhile (a cluster worker's)
        entries = {t: cache.get(t) for t in terms}
        missing = [t for t, e in entries.items() if e is None]
        if missing:
            block = find_terms(self.segments, self.fids(missing), self.tables())
            self._info_bytes += block.nbytes
            for j, t in enumerate(missing):
                entries[t] = cache[t] = (block, j)
        if len(terms) == 1:
            block, j = entries[terms[0]]
            return block[:, :, j:j + 1]
        return np.stack([block[:, :, j] for block, j in (entries[t] for t in terms)], axis=2)

    def tables(self) -> _Tables:
        """The segments' joined look-up tables, made now if not yet (before forking workers, so that
        they share them)."""
        if self._tables is None:
            self._tables = _Tables(self.segments)
        return self._tables

    # ---- statistics

    def df(self, term: str) -> int:
        """How many live passages hold ``term`` (cached: an opened index does not change)."""
        return int(self.dfs([term])[0])

    def dfs(self, terms: list[str]) -> np.ndarray:
        """Document frequencies (live passages) of many terms at once (one look-up per segment)."""
        if not terms:
            return np.zeros(0, dtype=np.int64)
        cache = self._df_cache
        if len(cache) > 1_000_000:
            cache.clear()
        known = {t: cache.get(t) for t in terms}
        missing = [t for t, n in known.items() if n is None]
        if missing:
            lo, hi = self._infos(missing)[:2]
            counts = hi - lo
            total = counts.sum(axis=0)
            for u, bounds in self._deleted:  # passages deleted since their segment was written do not count
                terms_here = np.flatnonzero(counts[u])
                if len(terms_here) and len(bounds):
                    total[terms_here] -= self._dead_counts(u, bounds, lo[u, terms_here], counts[u, terms_here])
            for t, n in zip(missing, total.tolist()):
                known[t] = cache[t] = n
        return np.array([known[t] for t in terms], dtype=np.int64)

    def _dead_counts(self, u: int, bounds: np.ndarray, lo: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """How many of the postings ``lo[j]:lo[j] + counts[j]`` of block ``u`` are of deleted passages
        (``bounds``: where the block's runs of them start and end): a term's few postings are read,
        a term's many are searched for the runs' bounds."""
        seg, at = self.segments[self._unit_seg[u]], int(self._unit_at[u])
        out = np.zeros(len(lo), dtype=np.int64)
        few = np.flatnonzero(counts <= _READ_DEAD * len(bounds))
        if len(few):
            c = counts[few]
            dead = seg.deleted[at:][seg.docs[_ranges(lo[few], c)]].astype(np.int64)
            out[few] = np.add.reduceat(dead, np.cumsum(c) - c)
        top = np.iinfo(seg.docs.dtype).max
        needles = np.minimum(bounds, top).astype(seg.docs.dtype)
        past = bounds > top  # the end of a run at the block's end: past every posting
        for j in np.flatnonzero(counts > _READ_DEAD * len(bounds)).tolist():
            a, n = int(lo[j]), int(counts[j])
            pos = seg.docs[a:a + n].searchsorted(needles)
            pos[past] = n
            out[j] = int((pos[1::2] - pos[::2]).sum())
        return out

    def idf(self, df: int) -> float:
        return float(bm25.idf(self.n, df))

    def word_df(self, words: list[str], vocabulary: str = "vocab") -> np.ndarray:
        """How many passages hold each folded word (``vocab``) or stem (``stems``); 0 for unknown ones.

        Counted over all segments, deleted passages included: it only ranks spelling candidates.
        """
        keys = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words))
        total = np.zeros(len(words), dtype=np.int64)
        for seg in self.segments:
            total += seg.vocabulary_df(keys, vocabulary)
        if vocabulary == "vocab" and 0 < len(words) <= PREFETCH_WORDS:
            # a question's words (not a word's spelling candidates, which are hundreds): what parsing
            # it asks next, found in the same binary searches: the stems' document frequencies, and
            # the postings of the index terms they make (each stem, each pair of neighbours)
            from . import analysis
            self.dfs(analysis.ngrams([analysis.stem(w) for w in words]))
        return total

    # ---- scoring

    def _plan(self, weights: dict[str, float], dfs: dict[str, int] | None) -> _Plan | None:
        """Each weighted term with its postings, its contribution scale and an upper bound of it."""
        terms = [t for t, w in weights.items() if w > 0]
        if not terms:
            return None
        info = self._infos(terms)
        raw = (info[1] - info[0]).sum(axis=0)
        if dfs is not None:
            df = np.array([dfs[t] if n else 0 for t, n in zip(terms, raw.tolist())], dtype=np.int64)
        elif self._deleted:
            df = np.where(raw > 0, self.dfs(terms), 0)
        else:
            df = raw
        keep = np.flatnonzero((raw > 0) & (df > 0))
        if not len(keep):
            return None
        df_list = df.tolist()
        keep = sorted(keep.tolist(), key=lambda j: (df_list[j], terms[j]))
        lo, hi, mx, elo, ehi = info[:, :, keep]
        df = df[keep]
        w = np.array([weights[terms[j]] for j in keep], dtype=np.float64)
        scale = w * bm25.idf(self.n, df) * (self.scoring.k1 + 1)
        mxf = mx.astype(np.float64)
        per_block = np.divide(scale * mxf, mxf + self._norm_min_arr[:, None], out=np.zeros(mx.shape), where=mx > 0)
        bound = per_block.max(axis=0) if len(self._unit_seg) else np.zeros(len(keep))
        return _Plan([terms[j] for j in keep], df, scale, bound, lo, hi, elo, ehi)

    def top(self, weights: dict[str, float], k: int, dfs: dict[str, int] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best (passage id, score) pairs, best first; only passages scoring above 0.

        ``dfs``: the document frequency of each term in the whole index, when these segments are a shard.

        Exact, but lazy (MaxScore): terms are taken rarest first until the
        terms left could not lift a passage none of the taken ones holds
        above the k-th score found so far; the terms left are then only
        looked up for the passages already found, never scanned whole.
        """
        return self.top_above(weights, k, 0.0, dfs)

    def top_above(self, weights: dict[str, float], k: int, floor: float,
                  dfs: dict[str, int] | None = None) -> list[tuple[int, float]]:
        """``top(weights, k, dfs)``, told that the k-th best score is at least ``floor`` (as when
        ``weights`` only add to those of a question whose k best passages scored that much): the
        same result, found with fewer terms scanned and fewer passages looked up."""
        plan = self._plan(weights, dfs)
        if plan is None:
            return []
        floor = max(0.0, floor) * (1 - _SLACK)
        bounds = plan.bound.tolist()
        n_terms = len(bounds)
        remaining = sum(bounds)
        taken_bound = 0.0
        taken, found = n_terms, None
        chunks: list = []
        done = 0
        next_check = 1
        postings = (plan.hi - plan.lo).sum(axis=0).tolist()
        total = sum(postings)
        scanned = 0
        for i, bound in enumerate(bounds, start=1):
            remaining -= bound
            taken_bound += bound
            scanned += postings[i - 1]
            if total - scanned <= _SCAN_REST * (n_terms - i) * len(self._unit_seg):
                break  # the terms left are all read
            # the k-th score found can be no more than taken_bound: only then is it worth computing,
            # and then at 1, 2, 4, 8... terms taken, so a long question costs a few checks, not one a
            # term; and before a term with more postings than all those taken (a check costs no more
            # than what it may spare)
            if i < n_terms and remaining < max(taken_bound, floor) and (
                    i >= next_check or remaining < floor or postings[i] > 2 * scanned + 1000):
                next_check = 2 * i
                if remaining < floor:
                    taken = i
                    break
                chunks.append(self._postings(plan, done, i))
                done = i
                found = self._merge(chunks)
                if remaining < _kth(found[1], k):
                    taken = i
                    break
                found = None
        if found is None or done != taken:
            chunks.append(self._postings(plan, done, taken))
            found = self._merge(chunks)
        ids, scores = found
        if taken < n_terms and len(ids):
            rest = sum(bounds[taken:])
            threshold = max(floor, _kth(scores, k))
            if threshold > 0:
                # a passage that all the terms left could not lift to the k-th score found is out
                keep = (scores.astype(np.float64) + rest) * (1 + _SLACK) >= threshold
                if not keep.all():
                    ids, scores = ids[keep], scores[keep]
            if len(ids):
                scores = self._lookup(plan, taken, ids, scores)
        return self._best(ids, scores, k)

    def _postings(self, plan: _Plan, start: int, stop: int):
        """(internal passage ids, contributions) of plan terms ``start:stop``: block by block, and in a
        block term by term, each term's in passage order (a passage's contributions in plan order)."""
        lens = plan.hi[:, start:stop] - plan.lo[:, start:stop]
        unit_idx, term_idx = np.nonzero(lens)  # block-major
        if not len(unit_idx):
            return _EMPTY_IDS, _EMPTY_SCORES
        counts = lens[unit_idx, term_idx]
        ends = np.cumsum(counts)
        first = plan.lo[unit_idx, term_idx + start]
        pos = _ranges(first, counts, ends)  # the postings' positions in their segment's arrays, pair after pair
        parts = self._segment_runs(unit_idx)
        docs = [seg.docs[pos[int(ends[r0] - counts[r0]):int(ends[r1 - 1])]] for seg, r0, r1 in parts]
        ids = (np.concatenate(docs) if len(docs) > 1 else docs[0]).astype(np.int64)
        ids += np.repeat(self._base[unit_idx], counts)
        scale = np.repeat(plan.scale[start:stop].astype(np.float32)[term_idx], counts)
        # the pairs with a term frequency above 1 somewhere: the only ones to read
        elo = plan.elo[unit_idx, term_idx + start]
        ehi = plan.ehi[unit_idx, term_idx + start]
        some = np.flatnonzero(ehi > elo)
        if not len(some):
            return ids, scale / (1 + self._gnorm[ids])  # tf 1 everywhere: scale * tf / (tf + norm)
        tf = np.ones(len(pos), dtype=np.uint8)
        cuts = np.searchsorted(some, [r0 for _, r0, _ in parts] + [len(unit_idx)]).tolist()
        for (seg, _, _), a, b in zip(parts, cuts, cuts[1:]):
            if b > a:
                at = some[a:b]
                seg.tf_runs(first[at], counts[at], elo[at], ehi[at], out=tf, starts=ends[at] - counts[at])
        tf = tf.astype(np.float32)
        return ids, scale * tf / (tf + self._gnorm[ids])

    def _segment_runs(self, unit_idx: np.ndarray) -> list[tuple[Segment, int, int]]:
        """(segment, start, end) of each run of the (ascending) blocks ``unit_idx`` that are one
        segment's (a segment's blocks are next to each other)."""
        cuts = np.searchsorted(unit_idx, self._seg_first_unit).tolist() + [len(unit_idx)]
        return [(seg, a, b) for seg, a, b in zip(self.segments, cuts, cuts[1:]) if b > a]

    def _merge(self, chunks) -> tuple[np.ndarray, np.ndarray]:
        """The passages (ascending) holding any of the terms in ``chunks`` and their scores: each one's
        contributions (float32) summed in float64 in plan order, as _lookup goes on adding them, so
        that a passage's score does not depend on which terms were read and which looked up."""
        ids = np.concatenate([c[0] for c in chunks]) if len(chunks) > 1 else chunks[0][0]
        contrib = np.concatenate([c[1] for c in chunks]) if len(chunks) > 1 else chunks[0][1]
        if not len(ids):
            return _EMPTY_IDS, _EMPTY_SUMS
        if len(ids) > len(self._gnorm) // 2:
            dense = np.bincount(ids, weights=contrib, minlength=len(self._gnorm))
            out = np.flatnonzero(dense)
            return out, dense[out]
        # ids are runs in passage order (one a term and block): a stable sort merges them, and keeps
        # a passage's contributions in plan order, summed in that order as before
        ids, order = _stable_sort(ids)
        first = np.empty(len(ids), dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        group = np.cumsum(first)
        group -= 1
        out = ids[first]
        return out, np.bincount(group, weights=contrib[order], minlength=len(out))

    def _lookup(self, plan: _Plan, taken: int, ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """``scores`` of passages ``ids`` plus the contributions of plan terms ``taken:``, added one
        term after the other (binary searches of the passages in each term's postings)."""
        n_rest = len(plan.terms) - taken
        lo, hi = plan.lo[:, taken:], plan.hi[:, taken:]
        cuts = np.searchsorted(ids, self._base)
        per_unit = np.diff(cuts)
        # the (block, term) pairs to search, block-major: a term's postings, the block's passages
        unit_idx, term_idx = np.nonzero((hi > lo) & (per_unit > 0)[:, None])
        if not len(unit_idx):
            return scores
        first, last = lo[unit_idx, term_idx], hi[unit_idx, term_idx]
        n = per_unit[unit_idx]
        ends = np.cumsum(n)
        cand = _ranges(cuts[unit_idx], n, ends)  # the passages sought, pair after pair (indices into ids)
        local = ids[cand] - np.repeat(self._base[unit_idx], n)
        has_exceptions = plan.ehi[unit_idx, term_idx + taken] > plan.elo[unit_idx, term_idx + taken]
        hits, tfs = [], []
        for seg, r0, r1 in self._segment_runs(unit_idx):  # the pairs of one segment
            a, b = int(ends[r0] - n[r0]), int(ends[r1 - 1])
            sought = local[a:b].astype(seg.docs.dtype)  # in the postings' dtype: no copy of them
            bounds = (ends[r0:r1] - a).tolist()
            found = [seg.docs[x:y].searchsorted(sought[e - c:e])
                     for x, y, c, e in zip(first[r0:r1].tolist(), last[r0:r1].tolist(), n[r0:r1].tolist(), bounds)]
            pos = np.concatenate(found) if len(found) > 1 else found[0]
            pos += np.repeat(first[r0:r1], n[r0:r1])
            np.minimum(pos, np.repeat(last[r0:r1] - 1, n[r0:r1]), out=pos)
            hit = seg.docs[pos] == sought
            hits.append(hit)
            pos = pos[hit]
            tfs.append(seg.tf(pos) if has_exceptions[r0:r1].any() else np.ones(len(pos), dtype=np.uint8))
        hit = np.concatenate(hits) if len(hits) > 1 else hits[0]
        if not hit.any():
            return scores
        rows = np.repeat(term_idx, n)[hit]
        cols = cand[hit]
        tf = (np.concatenate(tfs) if len(tfs) > 1 else tfs[0]).astype(np.float32)
        contrib = np.zeros((n_rest, len(ids)), dtype=np.float32)
        contrib[rows, cols] = plan.scale[taken:].astype(np.float32)[rows] * tf / (tf + self._gnorm[ids[cols]])
        scores = scores.copy()
        for j in np.unique(rows).tolist():  # in plan order, as one term after the other adds up
            scores += contrib[j]
        return scores

    def _best(self, ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        keep = scores > 0
        ids, scores = ids[keep], scores[keep]
        if not len(ids):
            return []
        if self._shift is not None:
            ids = ids + self._shift[np.searchsorted(self._base, ids, side="right") - 1]
        if len(ids) > k:
            # the k best; among passages tied with the k-th, the first ones: the same k passages
            # whichever other passages were scored
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            above = np.flatnonzero(scores > kth)
            tied = np.flatnonzero(scores == kth)
            tied = tied[np.argsort(ids[tied], kind="stable")[:k - len(above)]]
            part = np.concatenate([above, tied])
            ids, scores = ids[part], scores[part]
        order = np.lexsort((ids, -scores))
        return [(int(ids[i]), float(scores[i])) for i in order]
