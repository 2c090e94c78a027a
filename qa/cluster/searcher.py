"""The client's side of a question on a cluster: sum the shards' statistics, fan out, merge the top k.

A ClusterSearcher is a ranker (qa.pipeline.Ranker) whose scoring runs on the
workers. It keeps the segments memory-mapped for what a citation needs (which
file, which lines: a few rows read per answer, through a PassageTable), never
their postings.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import analysis
from .. import scoring as bm25
from ..passages import PassageLookups, PassageTable
from ..search import PREFETCH_WORDS, Scoring, Segment
from . import shard
from .shard import ShardSpec

KEEP_VECTORS = 100_000  # passage vectors the client keeps between questions (768 bytes each)


def _slim(meta: dict) -> dict:
    """A segment's manifest entry without its source list (workers don't need it)."""
    return {k: meta[k] for k in ("name", "passages", "arrays", "deleted", "vectors") if k in meta}


def shard_key(meta: dict):
    """The shard a segment belongs to: as the manifest says, or its own for an index built locally."""
    return meta.get("shard", meta["name"])


class ClusterSearcher(PassageLookups):
    """Scores questions on the shards of a cluster with the whole index's statistics."""

    takes_floor = False  # each shard ranks its own top k: no floor to prune by

    def __init__(self, cluster, index_dir: Path, manifest: dict, segments: list[Segment], n_features: int,
                 scoring: Scoring, verify: bool):
        # the length norms of every passage live on the workers, not here: only the passage table
        self.cluster = cluster
        self.segments = segments
        self.scoring = scoring
        self.offsets = np.cumsum([0] + [s.size for s in segments])[:-1].astype(np.int64)
        self.table = PassageTable(segments, self.offsets)
        self._counted: dict[tuple[str, str], int] = {}  # (kind, term or word) -> count over the shards
        self.vector_model: str | None = None  # what made the semantic stage's vectors (Embedder.maker), once asked
        self.vector_dimension = 0
        self._vectors: dict[int, np.ndarray] = {}  # passage id -> its stored row, as the shards sent it
        self.n_features, self.verify = n_features, verify
        self._specs(index_dir, manifest)
        per_segment: list = [None] * len(segments)
        loaded = self._run(shard.stats)  # each worker loads its shards now, not on the first question
        for pos, stat in zip(self._order, (s for part in loaded for s in part)):
            per_segment[pos] = stat
        # summed in segment order, as one machine sums them: the same avglen to the last bit
        self.live = self.n = sum(live for live, _ in per_segment)
        self.total_len = sum(length for _, length in per_segment)
        self.avglen = self.total_len / self.n if self.n and self.total_len > 0 else 1.0
        self.totals = (self.n, self.total_len)

    def _specs(self, index_dir: Path, manifest: dict) -> None:
        """The shards of ``manifest``: each a ShardSpec naming its segments (a worker needs nothing else)."""
        groups: dict = {}
        for i, meta in enumerate(manifest["segments"]):
            groups.setdefault(shard_key(meta), []).append(i)
        self.shards: list[ShardSpec] = []
        self._order: list[int] = []  # segment positions, shard by shard
        names = tuple(meta["name"] for meta in manifest["segments"])
        version = float(manifest.get("created", 0.0))
        for members in groups.values():
            self.shards.append(ShardSpec(str(index_dir), tuple(_slim(manifest["segments"][i]) for i in members),
                                         tuple(int(self.offsets[i]) for i in members), self.n_features,
                                         self.verify, version, names))
            self._order.extend(members)

    def _run(self, fn, *args) -> list:
        return self.cluster.run(fn, [(spec, *args) for spec in self.shards], prefer=range(len(self.shards)))

    # ---- statistics: summed over the shards, each question's in as few round trips as parsing allows

    def _counts(self, asked: dict[str, list[str]]) -> None:
        """Fetch the counts of what is asked and not known yet into the cache."""
        asked = {kind: [x for x in dict.fromkeys(items) if (kind, x) not in self._counted]
                 for kind, items in asked.items()}
        asked = {kind: items for kind, items in asked.items() if items}
        if not asked:
            return
        if len(self._counted) > 1_000_000:
            self._counted.clear()
        parts = self._run(shard.counts, asked)
        for kind, items in asked.items():
            for item, n in zip(items, np.sum([part[kind] for part in parts], axis=0)):
                self._counted[kind, item] = int(n)

    def dfs(self, terms: list[str]) -> np.ndarray:
        self._counts({"terms": list(terms)})
        return np.array([self._counted["terms", t] for t in terms], dtype=np.int64)

    def idf(self, df: int) -> float:
        return float(bm25.idf(self.n, df))

    def df(self, term: str) -> int:
        return int(self.dfs([term])[0])

    def word_df(self, words: list[str], vocabulary: str = "vocab") -> np.ndarray:
        asked = {vocabulary: list(words)}
        if vocabulary == "vocab" and len(words) <= PREFETCH_WORDS:
            # a question's words (not a word's spelling candidates, which are hundreds): what parsing
            # asks next, fetched in the same round trip: the words' stems, and the index terms they
            # make (each stem, each pair of neighbours)
            stems = [analysis.stem(w) for w in words]
            asked["stems"] = stems
            asked["terms"] = analysis.ngrams(stems)
        self._counts(asked)
        return np.array([self._counted[vocabulary, w] for w in words], dtype=np.int64)

    # ---- scoring: every shard's top k, merged

    def top(self, weights: dict[str, float], k: int, dfs: dict[str, int] | None = None) -> list[tuple[int, float]]:
        terms = [t for t, w in weights.items() if w > 0]
        if not terms:
            return []
        known = dict(zip(terms, (int(x) for x in self.dfs(terms)))) if dfs is None else dfs
        weights = {t: weights[t] for t in terms if known.get(t)}
        if not weights:
            return []
        if self.vector_model is None:
            parts = self._run(shard.top, self.scoring, self.totals, weights, k, known)
        else:  # each shard sends its candidates' vectors along: the rerank needs no other round trip
            replies = self._run(shard.top_vectors, self.scoring, self.totals, weights, k, known, self.vector_model)
            parts = [hits for hits, _ in replies]
            self._keep_vectors([rows for _, rows in replies])
        found = [hit for part in parts for hit in part]
        found.sort(key=lambda hit: (-hit[1], hit[0]))
        return found[:k]

    def top_above(self, weights: dict[str, float], k: int, floor: float) -> list[tuple[int, float]]:
        """``top(weights, k)``: the shards take no floor (``takes_floor``)."""
        return self.top(weights, k)

    # ---- passage vectors, for the semantic stage: the shards hold them and send them with their candidates

    def shard_vectors(self, index_dir: Path, manifest: dict, embedder) -> "ClusterSearcher":
        """The semantic stage's ``vector_store`` hook on a cluster: passage vectors of ``embedder``'s model come
        from the shards (``manifest`` may name vectors the client has just stored)."""
        self._specs(index_dir, manifest)
        self.vector_model, self.vector_dimension = embedder.maker, embedder.dimension
        self._vectors.clear()
        return self

    def get(self, pids: list[int]) -> np.ndarray | None:
        """The stored rows (float32) of passages ``pids``, or None when one has none (the stage embeds them)."""
        found = {p: self._vectors[p] for p in pids if p in self._vectors}
        wanted = [p for p in dict.fromkeys(pids) if p not in found]
        if wanted:  # not among the last candidates the shards sent (the stage asked before it knew its model)
            calls = [(spec, [p for p in wanted if self._holds(spec, p)], self.vector_model) for spec in self.shards]
            asked = [i for i, call in enumerate(calls) if call[1]]
            parts = self.cluster.run(shard.vectors, [calls[i] for i in asked], prefer=asked)
            self._keep_vectors(parts)
            for part in parts:
                found.update(part)
        if any(p not in found for p in pids):
            return None
        rows = np.asarray([found[p] for p in pids], dtype=np.float32)
        return rows if rows.ndim == 2 and rows.shape[1] == self.vector_dimension else None

    def nearest(self, query_vector: np.ndarray, n: int, at_most: int) -> list[int]:
        """The ``n`` live passages closest to ``query_vector`` over all shards, as one machine's ``nearest`` finds
        them ([] when the index holds more than ``at_most`` passages or a segment lacks vectors)."""
        total = sum(int(meta["passages"]) for spec in self.shards for meta in spec.segments)
        if not 0 < total <= at_most or n <= 0:
            return []
        parts = self._run(shard.nearest, np.asarray(query_vector, dtype=np.float32), n, self.vector_model)
        if any(part is None for part in parts):
            return []
        self._keep_vectors([rows for _, rows in parts])
        merged = sorted((hit for hits, _ in parts for hit in hits), key=lambda hit: (-hit[1], hit[0]))
        return [pid for pid, _ in merged[:n]]

    @staticmethod
    def _holds(spec: ShardSpec, pid: int) -> bool:
        return any(first <= pid < first + int(meta["passages"]) for meta, first in zip(spec.segments, spec.offsets))

    def _keep_vectors(self, parts: list[dict]) -> None:
        if len(self._vectors) > KEEP_VECTORS:
            self._vectors.clear()
        for rows in parts:
            self._vectors.update(rows)
