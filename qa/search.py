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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import storage
from .hashing import feature_id


@dataclass(frozen=True)
class Scoring:
    """Query-time weights; changing them needs no rebuild."""

    k1: float = 1.6  # how fast repeated occurrences of a term stop adding to the score
    b: float = 0.7  # how strongly long passages are discounted (0: not at all, 1: fully)
    bigram_weight: float = 0.25  # weight of a two-word phrase relative to a single word
    fuzzy_weight: float = 0.7  # weight of a spelling variant relative to the word typed
    feedback_passages: int = 5  # pseudo-relevance feedback: top passages read back (0: off)
    feedback_min_corpus: int = 1000  # no feedback below this many passages: 5 would be too large a share
    feedback_terms: int = 30  # terms the feedback adds to the question
    feedback_weight: float = 0.3  # weight of the added terms, the best one scaled to this


class Segment:
    """One immutable segment's arrays (memory-mapped when large)."""

    def __init__(self, folder: Path, meta: dict, verify: bool):
        self.name = meta["name"]
        self.sources: list[str] = meta["sources"]
        # plain ndarray views of the memory maps: slicing a np.memmap costs a Python object each time
        arrays = {k: np.asarray(storage.read_array(folder, m, verify)) for k, m in meta["arrays"].items()}
        missing = set(ARRAYS) - set(arrays)
        if missing:
            raise storage.IndexDamaged(f"index segment {folder} lacks {', '.join(sorted(missing))}")
        self.terms = arrays["terms"]
        self.indptr = arrays["indptr"]
        self.docs = arrays["docs"]
        self.tfs = arrays["tfs"]
        self.maxtf = arrays["maxtf"]
        self.lengths = arrays["lengths"]
        self.passages = arrays["passages"]
        self.vocabularies = {name: (arrays[f"{name}_keys"], arrays[f"{name}_df"]) for name in ("vocab", "stems")}
        self.size = int(meta["passages"])
        self.deleted = None
        if meta.get("deleted"):
            self.deleted = storage.read_array(folder, meta["deleted"], verify).astype(bool)
        if len(self.passages) != self.size or len(self.lengths) != self.size:
            raise storage.IndexDamaged(f"index segment {folder} is inconsistent")
        self.live = self.size - (int(self.deleted.sum()) if self.deleted is not None else 0)

    def postings(self, fid: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Passages (ascending) holding hashed term ``fid``, their term frequencies, and the largest one."""
        i = int(np.searchsorted(self.terms, np.uint32(fid)))  # same dtype: no copy of the array
        if i == len(self.terms) or self.terms[i] != fid:
            return _EMPTY_DOCS, _EMPTY_TFS, 0
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.docs[lo:hi], self.tfs[lo:hi], int(self.maxtf[i])

    def vocabulary_df(self, keys: np.ndarray, vocabulary: str) -> np.ndarray:
        """Document frequencies of CRC-32 ``keys`` in the ``vocab`` (folded words) or ``stems`` table."""
        table, df = self.vocabularies[vocabulary]
        if not len(table):
            return np.zeros(len(keys), dtype=np.int64)
        pos = np.searchsorted(table, keys)
        pos[pos == len(table)] = 0
        return np.where(table[pos] == keys, df[pos], 0)


ARRAYS = ("terms", "indptr", "docs", "tfs", "maxtf", "lengths", "passages", "vocab_keys", "vocab_df", "stems_keys",
          "stems_df")
_EMPTY_DOCS = np.zeros(0, np.uint32)
_EMPTY_TFS = np.zeros(0, np.uint8)
_EMPTY_IDS = np.zeros(0, np.int64)
_EMPTY_SCORES = np.zeros(0, np.float32)


@dataclass
class _Term:
    term: str
    scale: float  # weight * idf * (k1 + 1)
    bound: float  # no passage gets more than this from the term
    df: int
    hits: list  # per segment: (docs, tfs, maxtf)
    parts: dict = field(default_factory=dict)  # per segment: (docs, contributions), once computed


def _kth(candidates: list[tuple[np.ndarray, np.ndarray]], k: int) -> float:
    """The k-th largest score among the candidates (0 when there are fewer than k)."""
    scores = [s for _, s in candidates if len(s)]
    if not scores:
        return 0.0
    allscores = np.concatenate(scores) if len(scores) > 1 else scores[0]
    if len(allscores) < k:
        return 0.0
    return float(np.partition(allscores, len(allscores) - k)[len(allscores) - k])


def _best(candidates, offsets, k: int) -> list[tuple[int, float]]:
    ids = [docs.astype(np.int64) + int(off) for (docs, _), off in zip(candidates, offsets) if len(docs)]
    if not ids:
        return []
    ids = np.concatenate(ids)
    scores = np.concatenate([s for d, s in candidates if len(d)])
    keep = scores > 0
    ids, scores = ids[keep], scores[keep]
    if len(ids) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        ids, scores = ids[part], scores[part]
    order = np.lexsort((ids, -scores))
    return [(int(ids[i]), float(scores[i])) for i in order]


def shard_totals(segments: list[Segment]) -> tuple[int, float]:
    """(live passages, their summed length) of ``segments``."""
    live = sum(s.live for s in segments)
    length = sum(float(s.lengths[~s.deleted].sum() if s.deleted is not None else s.lengths.sum()) for s in segments)
    return live, length


class Searcher:
    """Scores questions' terms against a list of segments."""

    def __init__(self, segments: list[Segment], n_features: int, scoring: Scoring = Scoring(),
                 offsets: list[int] | None = None, totals: tuple[int, float] | None = None):
        """``offsets``: each segment's first passage id (default: numbered from 0 in order);
        ``totals``: (live passages, their summed length) of the whole index when these segments are
        only a shard of it, so that scores are those of the whole."""
        self.segments = segments
        self.n_features = n_features
        self.scoring = scoring
        self.offsets = np.array(offsets if offsets is not None else np.cumsum([0] + [s.size for s in segments])[:-1],
                                dtype=np.int64)
        self.live, self.total_len = shard_totals(segments)
        self.n, total_len = totals if totals is not None else (self.live, self.total_len)
        self.avglen = total_len / self.n if self.n and total_len > 0 else 1.0
        k1, b = scoring.k1, scoring.b
        self._norm = []
        for s in segments:
            norm = (k1 * (1 - b + b * np.asarray(s.lengths, dtype=np.float32) / self.avglen)).astype(np.float32)
            if s.deleted is not None:
                norm[s.deleted] = np.inf
            self._norm.append(norm)
        self._norm_min = [float(n.min()) if len(n) and np.isfinite(n.min()) else 1.0 for n in self._norm]
        self._fid_cache: dict[str, int] = {}
        self._df_cache: dict[str, int] = {}

    def fid(self, term: str) -> int:
        fid = self._fid_cache.get(term)
        if fid is None:
            fid = self._fid_cache[term] = feature_id(term, self.n_features)
        return fid

    # ---- statistics

    def df(self, term: str) -> int:
        """How many live passages hold ``term`` (cached: an opened index does not change)."""
        total = self._df_cache.get(term)
        if total is None:
            fid = self.fid(term)
            total = 0
            for seg in self.segments:
                docs, _, _ = seg.postings(fid)
                if seg.deleted is not None and len(docs):
                    total += int((~seg.deleted[docs]).sum())
                else:
                    total += len(docs)
            if len(self._df_cache) > 1_000_000:
                self._df_cache.clear()
            self._df_cache[term] = total
        return total

    def dfs(self, terms: list[str]) -> np.ndarray:
        """Document frequencies of many terms at once (one binary search per segment)."""
        if any(seg.deleted is not None for seg in self.segments):
            return np.array([self.df(t) for t in terms], dtype=np.int64)  # live passages only; cached
        fids = np.fromiter((self.fid(t) for t in terms), dtype=np.uint32, count=len(terms))
        total = np.zeros(len(terms), dtype=np.int64)
        for seg in self.segments:
            if not len(seg.terms):
                continue
            pos = np.searchsorted(seg.terms, fids)
            pos[pos == len(seg.terms)] = 0
            found = seg.terms[pos] == fids
            counts = np.asarray(seg.indptr[pos + 1], dtype=np.int64) - np.asarray(seg.indptr[pos], dtype=np.int64)
            total += np.where(found, counts, 0)
        return total

    def idf(self, df: int) -> float:
        return float(np.log1p((self.n - df + 0.5) / (df + 0.5)))

    def word_df(self, words: list[str], vocabulary: str = "vocab") -> np.ndarray:
        """How many passages hold each folded word (``vocab``) or stem (``stems``); 0 for unknown ones.

        Counted over all segments, deleted passages included: it only ranks spelling candidates.
        """
        keys = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words))
        total = np.zeros(len(words), dtype=np.int64)
        for seg in self.segments:
            total += seg.vocabulary_df(keys, vocabulary)
        return total

    # ---- scoring

    def _plan(self, weights: dict[str, float], dfs: dict[str, int] | None) -> list["_Term"]:
        """Each weighted term with its postings, its contribution scale and an upper bound of it."""
        k1 = self.scoring.k1
        plan = []
        for term, weight in weights.items():
            if weight <= 0:
                continue
            fid = self.fid(term)
            hits = [seg.postings(fid) for seg in self.segments]
            df = sum(len(docs) for docs, _, _ in hits)
            if not df:
                continue
            if dfs is not None:
                df = dfs[term]  # the whole index's, when this is a shard
            elif any(seg.deleted is not None for seg in self.segments):
                df = self.df(term)
            if not df:
                continue
            scale = weight * self.idf(df) * (k1 + 1)
            bound = max((scale * maxtf / (maxtf + norm_min) for (_, _, maxtf), norm_min
                         in zip(hits, self._norm_min) if maxtf), default=0.0)
            plan.append(_Term(term, scale, bound, df, hits))
        plan.sort(key=lambda t: (t.df, t.term))
        return plan

    def top(self, weights: dict[str, float], k: int, dfs: dict[str, int] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best (passage id, score) pairs, best first; only passages scoring above 0.

        ``dfs``: the document frequency of each term in the whole index, when these segments are a shard.

        Exact, but lazy (MaxScore): terms are taken rarest first until the
        terms left could not lift a passage none of the taken ones holds
        above the k-th score found so far; the terms left are then only
        looked up for the passages already found, never scanned whole.
        """
        plan = self._plan(weights, dfs)
        if not plan:
            return []
        remaining = sum(t.bound for t in plan)
        taken_bound = 0.0
        taken, candidates = len(plan), None
        next_check = 1
        for i, term in enumerate(plan, start=1):
            remaining -= term.bound
            taken_bound += term.bound
            # the k-th score found can be no more than taken_bound: only then is it worth computing,
            # and then at 1, 2, 4, 8... terms taken, so a long question costs a few checks, not one a term
            if i < len(plan) and remaining < taken_bound and i >= next_check:
                next_check = 2 * i
                found = self._accumulate(plan[:i])
                if remaining < _kth(found, k):
                    taken, candidates = i, found
                    break
        if candidates is None:
            candidates = self._accumulate(plan[:taken])
        for term in plan[taken:]:
            candidates = [self._lookup(term, i, docs, scores) for i, (docs, scores) in enumerate(candidates)]
        return _best(candidates, self.offsets, k)

    def _contributions(self, term: "_Term", i: int, docs: np.ndarray, tfs: np.ndarray) -> np.ndarray:
        tf = tfs.astype(np.float32)
        return term.scale * tf / (tf + self._norm[i][docs])

    def _term_part(self, term: "_Term", i: int) -> tuple[np.ndarray, np.ndarray]:
        """(passages, contributions) of ``term`` in segment ``i``, computed once per question."""
        part = term.parts.get(i)
        if part is None:
            docs, tfs, _ = term.hits[i]
            part = term.parts[i] = (docs, self._contributions(term, i, docs, tfs))
        return part

    def _accumulate(self, terms: list["_Term"]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per segment: the passages holding any of ``terms`` (sorted) and their summed scores."""
        out = []
        for i, seg in enumerate(self.segments):
            parts = [self._term_part(t, i) for t in terms if len(t.hits[i][0])]
            if not parts:
                out.append((_EMPTY_IDS, _EMPTY_SCORES))
            elif len(parts) == 1:
                out.append((parts[0][0].astype(np.int64), parts[0][1]))
            else:
                docs = np.concatenate([d for d, _ in parts])
                contrib = np.concatenate([c for _, c in parts])
                if len(docs) > seg.size // 8:
                    dense = np.bincount(docs, weights=contrib, minlength=seg.size)
                    ids = np.flatnonzero(dense)
                    out.append((ids, dense[ids].astype(np.float32)))
                else:
                    ids, inverse = np.unique(docs, return_inverse=True)
                    out.append((ids.astype(np.int64), np.bincount(inverse, weights=contrib).astype(np.float32)))
        return out

    def _lookup(self, term: "_Term", i: int, docs: np.ndarray, scores: np.ndarray):
        """Add ``term``'s contribution to the already found passages ``docs`` of segment ``i``."""
        posting_docs, posting_tfs, _ = term.hits[i]
        if not len(docs) or not len(posting_docs):
            return docs, scores
        pos = np.searchsorted(posting_docs, docs)
        pos[pos == len(posting_docs)] = 0
        found = posting_docs[pos] == docs
        if found.any():
            scores = scores.copy()
            scores[found] += self._contributions(term, i, docs[found], posting_tfs[pos[found]])
        return docs, scores

    # ---- passages

    def locate(self, pid: int) -> tuple[Segment, int]:
        i = int(np.searchsorted(self.offsets, pid, side="right")) - 1
        return self.segments[i], pid - int(self.offsets[i])

    def passage(self, pid: int) -> tuple[str, int, int, int, int]:
        """(source, char_start, char_end, line_start, line_end) of passage ``pid``."""
        seg, local = self.locate(pid)
        file_no, cs, ce, ls, le = (int(x) for x in seg.passages[local])
        return seg.sources[file_no], cs, ce, ls, le

    def live_passages(self):
        """Every (passage id, source) not deleted, in index order."""
        for offset, seg in zip(self.offsets, self.segments):
            for local in range(seg.size):
                if seg.deleted is None or not seg.deleted[local]:
                    yield int(offset) + local, seg.sources[int(seg.passages[local, 0])]
