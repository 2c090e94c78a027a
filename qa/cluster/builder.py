"""Write an index's segments on the workers of a cluster: one shard per worker, the code of a local build.

The client lists the files and holds the index's write lock; each worker reads
its shard's files from the corpus folder and writes segment folders into the
index folder (both must be reachable from every worker); the client then
swaps in the manifest that names them, as a local build does.
"""
from __future__ import annotations

from pathlib import Path

from .. import build as segment_builder
from ..corpus import Params
from ..segment import SEGMENT_BYTES
from .searcher import shard_key


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def split(paths: list[Path], parts: int) -> list[list[Path]]:
    """``paths`` in ``parts`` runs of about equal bytes, each keeping the corpus order."""
    sizes = [_size(p) for p in paths]
    total = sum(sizes) or 1
    out: list[list[Path]] = [[] for _ in range(parts)]
    done = 0
    for path, size in zip(paths, sizes):
        out[min(parts - 1, int(parts * done / total))].append(path)
        done += size
    return out


def _build_segment(root: Path, group: list[Path], index_dir: Path, params: Params, common: frozenset,
                   embed: bool = False, model: str | None = None, int8: bool = False):
    """One segment written on a worker, its passages embedded there when ``embed`` (with ``model``, ``int8``)."""
    result = segment_builder.build_segment(root, group, index_dir, params, common, None)
    if embed:
        from .embedding import embed_segment
        embed_segment(root, index_dir, result, model, int8)
    return result


def _embed_built(root: Path, index_dir: Path, result, model: str | None, int8: bool):
    """The passages of a segment built before embedded on a worker (the form chosen once all were counted)."""
    from .embedding import embed_segment
    embed_segment(root, index_dir, result, model, int8)
    return result


class ClusterBuilder:
    """Builds and updates segments on a cluster's workers (see qa.index.LocalBuilder for the interface)."""

    def __init__(self, cluster, embed: bool = False, model: str | None = None, int8: bool | None = False):
        """``embed``: the workers embed each segment's passages with ``model`` (a folder, None: the default),
        with int8 products given ``int8`` (None: chosen by the number of passages once all are built, as on one
        machine: qa.semantic.auto_int8)."""
        self.cluster = cluster
        self.embedding = (embed, model, int8)

    def build(self, root: Path, paths: list[Path], index_dir: Path, params: Params, progress, warn):
        from dask.distributed import as_completed

        workers = self.cluster.workers()
        jobs = []  # (shard, files)
        for shard, files in enumerate(split(paths, len(workers))):
            jobs.extend((shard, group) for group in segment_builder.plan_segments(files, SEGMENT_BYTES) if group)
        client = self.cluster.client
        embed, model, int8 = self.embedding
        choose_later = embed and int8 is None  # the form is chosen by the number of passages, known at the end
        embedding = (False, model, False) if choose_later else self.embedding
        futures = [client.submit(_build_segment, root, group, index_dir, params, frozenset(), *embedding, pure=False,
                                 workers=[workers[shard % len(workers)]], allow_other_workers=True)
                   for shard, group in jobs]
        position = {f.key: i for i, f in enumerate(futures)}
        results = [None] * len(futures)
        done = 0
        if progress:
            progress(0, len(paths))
        for future in as_completed(futures):
            i = position[future.key]
            results[i] = self.cluster.gather([future], "building a segment")[0]
            done += len(jobs[i][1])
            if progress:
                progress(done, len(paths))
        if choose_later:
            from ..semantic import auto_int8, auto_int8_note
            passages = sum(int(r.meta["passages"]) for r in results)
            int8 = auto_int8(passages, model is None)
            if int8 and warn:
                warn(auto_int8_note(passages))
            results = self.cluster.run(_embed_built, [(root, index_dir, r, model, int8) for r in results],
                                       prefer=[shard for shard, _ in jobs], what="embedding a segment")
        segments, files = [], {}
        said = set()  # a note from every worker's every segment (the model missing there, say) is said once
        for (shard, _), result in zip(jobs, results):
            for message in result.warnings:
                if warn and message not in said:
                    said.add(message)
                    warn(message)
            if result.meta["passages"] or result.files:
                segments.append(dict(result.meta, shard=shard))
                files.update(result.files)
        return segments, files

    def update(self, root: Path, sources: list[str], index_dir: Path, params: Params, manifest: dict, warn) -> list:
        """A new segment per shard that held (or, for new files, is the smallest and gets) a changed file."""
        shard_of = {s["name"]: shard_key(s) for s in manifest["segments"]}
        size: dict = {}
        for s in manifest["segments"]:
            size[shard_key(s)] = size.get(shard_key(s), 0) + s["passages"]
        smallest = min(size, key=lambda k: (size[k], str(k))) if size else 0
        groups: dict = {}
        for source in sources:
            entry = manifest["files"].get(source) or {}
            shard = shard_of.get(entry.get("segment"), smallest)
            groups.setdefault(shard, []).append(root / source)
        order = list(groups)
        keys = list(dict.fromkeys(shard_key(s) for s in manifest["segments"]))  # as the searcher numbers them
        common = frozenset(manifest.get("common_lines", []))
        embed, model, int8 = self.embedding  # an update follows the index's vectors (None: it has none yet)
        results = self.cluster.run(_build_segment, [(root, groups[s], index_dir, params, common, embed, model, bool(int8))
                                                        for s in order],
                                   prefer=[keys.index(s) if s in keys else 0 for s in order], what="updating a shard")
        for shard, result in zip(order, results):
            result.meta["shard"] = shard
        return results
