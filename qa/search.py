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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import storage
from .hashing import feature_id


@dataclass(frozen=True)
class Scoring:
    """Query-time weights; changing them needs no rebuild."""

    k1: float = 1.2  # how fast repeated occurrences of a term stop adding to the score
    b: float = 0.75  # how strongly long passages are discounted (0: not at all, 1: fully)
    bigram_weight: float = 0.5  # weight of a two-word phrase relative to a single word
    fuzzy_weight: float = 0.7  # weight of a spelling variant relative to the word typed


class Segment:
    """One immutable segment's arrays (memory-mapped when large)."""

    def __init__(self, folder: Path, meta: dict, verify: bool):
        self.name = meta["name"]
        self.sources: list[str] = meta["sources"]
        arrays = {k: storage.read_array(folder, m, verify) for k, m in meta["arrays"].items()}
        missing = set(ARRAYS) - set(arrays)
        if missing:
            raise storage.IndexDamaged(f"index segment {folder} lacks {', '.join(sorted(missing))}")
        self.terms = arrays["terms"]
        self.indptr = arrays["indptr"]
        self.docs = arrays["docs"]
        self.tfs = arrays["tfs"]
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

    def postings(self, fid: int) -> tuple[np.ndarray, np.ndarray]:
        i = int(np.searchsorted(self.terms, fid))
        if i == len(self.terms) or self.terms[i] != fid:
            return _EMPTY_DOCS, _EMPTY_TFS
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.docs[lo:hi], self.tfs[lo:hi]

    def vocabulary_df(self, keys: np.ndarray, vocabulary: str) -> np.ndarray:
        """Document frequencies of CRC-32 ``keys`` in the ``vocab`` (folded words) or ``stems`` table."""
        table, df = self.vocabularies[vocabulary]
        if not len(table):
            return np.zeros(len(keys), dtype=np.int64)
        pos = np.searchsorted(table, keys)
        pos[pos == len(table)] = 0
        return np.where(table[pos] == keys, df[pos], 0)


ARRAYS = ("terms", "indptr", "docs", "tfs", "lengths", "passages", "vocab_keys", "vocab_df", "stems_keys",
          "stems_df")
_EMPTY_DOCS = np.zeros(0, np.uint32)
_EMPTY_TFS = np.zeros(0, np.uint16)


class Searcher:
    """Scores questions' terms against a list of segments."""

    def __init__(self, segments: list[Segment], n_features: int, scoring: Scoring = Scoring()):
        self.segments = segments
        self.n_features = n_features
        self.scoring = scoring
        self.offsets = np.cumsum([0] + [s.size for s in segments])
        self.n = sum(s.live for s in segments)
        total_len = sum(float(s.lengths[~s.deleted].sum() if s.deleted is not None else s.lengths.sum())
                        for s in segments)
        self.avglen = total_len / self.n if self.n else 1.0
        k1, b = scoring.k1, scoring.b
        self._norm = []
        for s in segments:
            norm = (k1 * (1 - b + b * np.asarray(s.lengths, dtype=np.float32) / self.avglen)).astype(np.float32)
            if s.deleted is not None:
                norm[s.deleted] = np.inf
            self._norm.append(norm)
        self._fid_cache: dict[str, int] = {}

    def fid(self, term: str) -> int:
        fid = self._fid_cache.get(term)
        if fid is None:
            fid = self._fid_cache[term] = feature_id(term, self.n_features)
        return fid

    # ---- statistics

    def df(self, term: str) -> int:
        fid = self.fid(term)
        total = 0
        for seg in self.segments:
            docs, _ = seg.postings(fid)
            if seg.deleted is not None and len(docs):
                total += int((~seg.deleted[docs]).sum())
            else:
                total += len(docs)
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

    def scores(self, weights: dict[str, float]) -> list[np.ndarray]:
        """Dense score arrays, one per segment, for terms weighted by ``weights``."""
        k1 = self.scoring.k1
        out = [np.zeros(s.size, dtype=np.float32) for s in self.segments]
        for term, weight in weights.items():
            if weight <= 0:
                continue
            fid = self.fid(term)
            hits = [seg.postings(fid) for seg in self.segments]
            df = sum(len(d) for d, _ in hits)
            if not df:
                continue
            if any(seg.deleted is not None for seg in self.segments):
                df = self.df(term)
            w = weight * self.idf(df) * (k1 + 1)
            for acc, norm, (docs, tfs) in zip(out, self._norm, hits):
                if len(docs):
                    tf = tfs.astype(np.float32)
                    acc[docs] += w * tf / (tf + norm[docs])
        return out

    def top(self, weights: dict[str, float], k: int) -> list[tuple[int, float]]:
        """The ``k`` best (passage id, score) pairs, best first; only passages with a score above 0."""
        candidates_ids, candidates_scores = [], []
        for offset, acc in zip(self.offsets, self.scores(weights)):
            nz = np.flatnonzero(acc)
            if len(nz) > k:
                nz = nz[np.argpartition(-acc[nz], k - 1)[:k]]
            candidates_ids.append(nz + offset)
            candidates_scores.append(acc[nz])
        ids = np.concatenate(candidates_ids) if candidates_ids else np.zeros(0, np.int64)
        scores = np.concatenate(candidates_scores) if candidates_scores else np.zeros(0, np.float32)
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(scores[i])) for i in order]

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
