"""What a Dask worker runs: load a shard of an index once, keep it, answer the client's calls on it.

A shard is a group of the index's segments. A worker keeps each segment it has
loaded (its postings read into memory) while the index names it: an update
only adds a segment and replaces deletion masks, so the segments already held
stay; the ones a newer manifest no longer names are let go. Every call names
its shard fully (folder, segments, masks, offsets), so any worker can serve
it: a call whose worker died is simply run on another.

Two ways in: ``serve`` for the fast path (``Client.run``, straight to the
workers that hold the shards) and the plain functions as Dask tasks (through
the scheduler, which reschedules them when a worker dies).
"""
from __future__ import annotations

import asyncio
import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..passages import shard_totals
from ..scoring import Scoring
from ..search import Searcher, Segment
from ..storage import IndexDamaged, read_array

KEEP_SEARCHERS = 8  # scorers a worker keeps (one per shard, scoring and index version in use)
_IN_MEMORY = ("docs", "tf_at", "tf_of", "indptr", "maxtf", "lengths", "terms_multi", "multi_before", "terms.low",
              "terms.start")


@dataclass(frozen=True)
class ShardSpec:
    """Everything a worker needs to load a shard: where it is and which version of it."""

    index_dir: str
    segments: tuple  # slim segment metas: name, passages, arrays, deleted, vectors (as in the manifest)
    offsets: tuple[int, ...]  # the first passage id of each segment in the whole index
    n_features: int
    verify: bool
    version: float = 0.0  # the manifest's creation time: a newer one lets go of segments it no longer names
    names: tuple = ()  # every segment the manifest names, in all shards

    @property
    def key(self) -> tuple:
        return (self.index_dir, tuple((s["name"], (s.get("deleted") or {}).get("file")) for s in self.segments))


_segments_held: dict[tuple[str, str], Segment] = {}  # (index folder, segment name) -> postings in memory
_versions: dict[str, float] = {}  # index folder -> newest manifest seen
_searchers: OrderedDict[tuple, Searcher] = OrderedDict()
_vectors_held: dict[tuple[str, str, str], np.ndarray] = {}  # (index folder, segment, vectors file) -> rows
_lock = threading.Lock()


def _forget_old(spec: ShardSpec) -> None:
    """A newer manifest: drop the segments (and scorers) of this index it no longer names."""
    if spec.version <= _versions.get(spec.index_dir, -1.0):
        return
    _versions[spec.index_dir] = spec.version
    live = set(spec.names)
    for held in (_segments_held, _vectors_held):
        for key in [k for k in held if k[0] == spec.index_dir and k[1] not in live]:
            del held[key]
    for key in [k for k in _searchers if k[0][0] == spec.index_dir and k[3] < spec.version]:
        del _searchers[key]


def _load(index_dir: str, meta: dict, verify: bool) -> Segment:
    held = _segments_held.get((index_dir, meta["name"]))
    if held is None:
        held = Segment(Path(index_dir) / meta["name"], dict(meta, sources=[], deleted=None), verify)
        for path in _IN_MEMORY:  # held in the worker's memory, not paged in from a shared file system
            *parents, name = path.split(".")
            owner = held
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, name, np.array(getattr(owner, name)))
        with _lock:
            _segments_held[(index_dir, meta["name"])] = held
    if not meta.get("deleted"):
        return held
    seg = copy.copy(held)  # the same arrays, this version's deletion mask
    seg.deleted = read_array(Path(index_dir) / meta["name"], meta["deleted"], verify).astype(bool)
    seg.live = seg.size - int(seg.deleted.sum())
    return seg


def _segments(spec: ShardSpec) -> list[Segment]:
    with _lock:
        _forget_old(spec)
    return [_load(spec.index_dir, meta, spec.verify) for meta in spec.segments]


def _searcher(spec: ShardSpec, scoring: Scoring, totals: tuple[int, float] | None) -> Searcher:
    key = (spec.key, scoring, totals, spec.version)
    with _lock:
        searcher = _searchers.get(key)
        if searcher is not None:
            _searchers.move_to_end(key)
            return searcher
    segments = _segments(spec)
    searcher = Searcher(segments, spec.n_features, scoring, list(spec.offsets), totals)
    with _lock:
        _searchers[key] = searcher
        while len(_searchers) > KEEP_SEARCHERS:
            _searchers.popitem(last=False)
    return searcher


def stats(spec: ShardSpec) -> list[tuple[int, float]]:
    """Per segment: (live passages, their summed length). Loads the shard."""
    return [shard_totals([seg]) for seg in _searcher(spec, Scoring(), None).segments]


def counts(spec: ShardSpec, asked: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """The shard's counts of what is asked: ``terms`` (live document frequencies of index terms),
    ``vocab`` and ``stems`` (how often folded words and stems occur, for spelling)."""
    searcher = _searcher(spec, Scoring(), None)
    out = {}
    for kind, items in asked.items():
        if kind == "terms":
            out[kind] = searcher.dfs(items)
        else:
            out[kind] = np.asarray(searcher.word_df(items, kind), dtype=np.int64)
    return out


def top(spec: ShardSpec, scoring: Scoring, totals: tuple[int, float], weights: dict[str, float], k: int,
        dfs: dict[str, int]) -> list[tuple[int, float]]:
    """The shard's ``k`` best (passage id, score), scored with the whole index's statistics."""
    return _searcher(spec, scoring, totals).top(weights, k, dfs)


def _rows(spec: ShardSpec, meta: dict, made_by: str) -> np.ndarray | None:
    """A segment's passage vectors made by ``made_by`` (``Embedder.maker``), held in memory; None when it has
    none (or they are damaged: the client embeds those passages itself, as one machine does)."""
    from ..semantic.vectors import maker
    entry = meta.get("vectors")
    if maker(entry) != made_by:
        return None
    key = (spec.index_dir, meta["name"], str(entry["array"].get("file")))
    rows = _vectors_held.get(key)
    if rows is None:
        try:
            rows = np.array(read_array(Path(spec.index_dir) / meta["name"], entry["array"], spec.verify))
        except IndexDamaged:
            return None
        if rows.ndim != 2 or rows.shape[0] != int(meta["passages"]):
            return None
        with _lock:
            _vectors_held[key] = rows
    return rows


def vectors(spec: ShardSpec, pids: list[int], made_by: str) -> dict[int, np.ndarray]:
    """The stored rows (float16) of those of ``pids`` in this shard whose segment has the model's vectors."""
    with _lock:
        _forget_old(spec)
    out = {}
    for meta, first in zip(spec.segments, spec.offsets):
        mine = [p for p in pids if first <= p < first + int(meta["passages"])]
        rows = _rows(spec, meta, made_by) if mine else None
        if rows is not None:
            out.update((p, rows[p - first].copy()) for p in mine)
    return out


def top_vectors(spec: ShardSpec, scoring: Scoring, totals: tuple[int, float], weights: dict[str, float], k: int,
                dfs: dict[str, int], made_by: str) -> tuple[list[tuple[int, float]], dict[int, np.ndarray]]:
    """``top``, and the vectors of those passages (what the client's semantic stage reranks them with)."""
    hits = top(spec, scoring, totals, weights, k, dfs)
    return hits, vectors(spec, [pid for pid, _ in hits], made_by)


def nearest(spec: ShardSpec, query_vector: np.ndarray, n: int,
            made_by: str) -> tuple[list[tuple[int, float]], dict[int, np.ndarray]] | None:
    """This shard's ``n`` live passages closest to ``query_vector``, as (pid, cosine), and their rows (the
    stage reranks with them); None when one of its segments lacks the model's vectors (then, as on one
    machine, only the lexical candidates count)."""
    from ..semantic.vectors import deleted_flags
    with _lock:
        _forget_old(spec)
    query = np.asarray(query_vector, dtype=np.float32)
    pids, cosines = [], []
    for meta, first in zip(spec.segments, spec.offsets):
        rows = _rows(spec, meta, made_by)
        if rows is None:
            return None
        try:
            dead = deleted_flags(Path(spec.index_dir), meta)
        except (IndexDamaged, OSError, ValueError):
            return None
        live = np.arange(len(rows)) if dead is None or dead.shape != (len(rows),) else np.flatnonzero(~dead)
        pids.append(live + first)
        cosines.append(np.einsum("ij,j->i", rows[live].astype(np.float32), query))
    pid, cosine = np.concatenate(pids), np.concatenate(cosines)
    best = [(int(pid[i]), float(cosine[i])) for i in np.argsort(-cosine, kind="stable")[:n]]
    return best, vectors(spec, [p for p, _ in best], made_by)


def ping(*_args) -> bool:
    """No work: what a round trip of the fan-out itself costs (benchmarks/cluster.py times it)."""
    return True


CALLS = {"stats": stats, "counts": counts, "top": top, "top_vectors": top_vectors, "vectors": vectors,
         "nearest": nearest, "ping": ping}


async def serve(plan: dict[str, list[tuple[int, str, tuple]]], dask_worker=None) -> list[tuple[int, object]]:
    """``Client.run`` target: this worker's share of a fan-out, ``plan[its address]`` as (call number,
    function name, arguments); the work runs in a thread, off the worker's event loop."""
    mine = plan.get(dask_worker.address, []) if dask_worker is not None else []
    if not mine:
        return []
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: [(i, CALLS[name](*args)) for i, name, args in mine])
