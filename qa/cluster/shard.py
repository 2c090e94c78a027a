"""What a Dask worker runs: load a shard of an index once, keep it, answer the client's calls on it.

A shard is a group of the index's segments. A worker keeps each shard it has
loaded (its postings read into memory) until the index changes, so only the
first question after a start, a worker's loss or an update pays the load.
Every call names the shard fully (folder, segments, masks, offsets), so any
worker can serve it: a task whose worker died is simply run elsewhere.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..search import Scoring, Searcher, Segment, shard_totals

KEEP_SHARDS = 16  # shards a worker keeps loaded (an index has a few per worker; old versions age out)
_IN_MEMORY = ("terms", "indptr", "docs", "tfs", "maxtf", "lengths")


@dataclass(frozen=True)
class ShardSpec:
    """Everything a worker needs to load a shard: where it is and which version of it."""

    index_dir: str
    segments: tuple  # slim segment metas: name, passages, arrays, deleted (as in the manifest)
    offsets: tuple[int, ...]  # the first passage id of each segment in the whole index
    n_features: int
    verify: bool

    @property
    def key(self) -> tuple:
        return (self.index_dir, tuple((s["name"], (s.get("deleted") or {}).get("file")) for s in self.segments))


_loaded: OrderedDict[tuple, list[Segment]] = OrderedDict()
_searchers: OrderedDict[tuple, Searcher] = OrderedDict()
_lock = threading.Lock()


def _segments(spec: ShardSpec) -> list[Segment]:
    with _lock:
        segments = _loaded.get(spec.key)
        if segments is not None:
            _loaded.move_to_end(spec.key)
            return segments
    segments = []
    for meta in spec.segments:
        seg = Segment(Path(spec.index_dir) / meta["name"], dict(meta, sources=[]), spec.verify)
        for name in _IN_MEMORY:  # held in the worker's memory, not paged in from a shared file system
            setattr(seg, name, np.array(getattr(seg, name)))
        segments.append(seg)
    with _lock:
        _loaded[spec.key] = segments
        while len(_loaded) > KEEP_SHARDS:
            _loaded.popitem(last=False)
    return segments


def _searcher(spec: ShardSpec, scoring: Scoring, totals: tuple[int, float]) -> Searcher:
    key = (spec.key, scoring, totals)
    with _lock:
        searcher = _searchers.get(key)
        if searcher is not None:
            _searchers.move_to_end(key)
            return searcher
    searcher = Searcher(_segments(spec), spec.n_features, scoring, list(spec.offsets), totals)
    with _lock:
        _searchers[key] = searcher
        while len(_searchers) > KEEP_SHARDS:
            _searchers.popitem(last=False)
    return searcher


def stats(spec: ShardSpec) -> list[tuple[int, float]]:
    """Per segment: (live passages, their summed length). Loads the shard."""
    return [shard_totals([seg]) for seg in _segments(spec)]


def _own_totals(spec: ShardSpec) -> tuple[int, float]:
    return shard_totals(_segments(spec))


def counts(spec: ShardSpec, asked: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """The shard's counts of what is asked: ``terms`` (live document frequencies of index terms),
    ``vocab`` and ``stems`` (how often folded words and stems occur, for spelling)."""
    searcher = _searcher(spec, Scoring(), _own_totals(spec))
    out = {}
    for kind, items in asked.items():
        if kind == "terms":
            out[kind] = np.array([searcher.df(t) for t in items], dtype=np.int64)
        else:
            out[kind] = np.asarray(searcher.word_df(items, kind), dtype=np.int64)
    return out


def top(spec: ShardSpec, scoring: Scoring, totals: tuple[int, float], weights: dict[str, float], k: int,
        dfs: dict[str, int]) -> list[tuple[int, float]]:
    """The shard's ``k`` best (passage id, score), scored with the whole index's statistics."""
    return _searcher(spec, scoring, totals).top(weights, k, dfs)
