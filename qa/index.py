"""The index of a corpus on disk: find it, check it against the files, build or update it, open it.

Writers take a lock file; readers never wait. A build writes new segment
folders, then swaps the manifest in one rename, then removes the folders
no manifest names any more.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from . import corpus, install, ownership, storage
from .corpus import Params
from .errors import QAError
from .segment import SEGMENT_BYTES

Progress = Callable[[float, int], None]  # (files read, files): a fraction while a PDF is read page by page
Warn = Callable[[str], None]

DEFAULT_CORPUS = install.default_corpus()
SMALL_CORPUS_BYTES = 4 << 20  # below this, any change rebuilds the whole index
MAX_SEGMENTS = 64
# An update re-indexes, with the files it reads, those of the earlier updates' segments, as long as all
# of them add up to less than this: edits one file at a time leave one small segment, not one each (a
# segment costs every question a little).
MERGE_BYTES = 8 << 20


def default_index_for(corpus_dir: Path) -> Path:
    """For the default corpus ``index/`` in a clone (else the user's cache); for any other, a folder
    under the user's cache named after it."""
    corpus_dir = corpus_dir.resolve()
    if corpus_dir == DEFAULT_CORPUS.resolve():
        return install.default_index(corpus_dir)
    return install.cache_index_for(corpus_dir)


def scan(root: Path, warn: Warn | None = None) -> dict[str, tuple[int, int]]:
    """Current (size, mtime_ns) of each corpus file, by source path; an unreadable sub-folder is told to ``warn``."""
    found = {}
    for path in corpus.list_files(root, warn):
        try:
            st = path.stat()
        except OSError:
            # a broken link or a symlink loop: listed as the build lists it (skipped, size -1), so that
            # it does not count as a change on every open
            found[corpus.relative_source(root, path)] = (-1, -1)
            continue
        found[corpus.relative_source(root, path)] = (st.st_size, st.st_mtime_ns)
    return found


def changes(manifest: dict, current: dict[str, tuple[int, int]]) -> tuple[list[str], list[str]]:
    """(sources to (re)read, sources to drop) to bring ``manifest`` up to ``current``."""
    stored = manifest["files"]
    to_read = [s for s, (size, mtime) in current.items()
               if s not in stored or (stored[s]["size"], stored[s]["mtime_ns"]) != (size, mtime)
               or _extra_now_installed(stored[s])]
    to_drop = [s for s in stored if s not in current or s in to_read]
    return to_read, to_drop


def _extra_now_installed(entry: dict) -> bool:
    """A file skipped for want of an optional extra (``qa[pdf]``) that has been installed since."""
    if not str(entry.get("skipped", "")).startswith("needs pip install"):
        return False
    from . import formats
    return formats.extra_installed(entry.get("format"))


# How long a writer waits for another one that holds the index's lock before giving up with a message.
LOCK_WAIT_SECONDS = float(os.environ.get("QA_LOCK_WAIT", "300"))


@contextmanager
def write_lock(index_dir: Path, warn: Warn | None = None):
    """Hold the index's write lock; waits for another writer with a message, at most LOCK_WAIT_SECONDS."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(index_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise QAError(f"cannot write the index folder {index_dir}: {exc.strerror}") from exc
    try:
        if not _try_lock(fd):
            _say(warn, f"waiting for another qa process that is writing the index {index_dir} "
                       f"(at most {LOCK_WAIT_SECONDS:g} s)")
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise QAError(f"the index {index_dir} is still being written by another qa process after "
                                  f"{LOCK_WAIT_SECONDS:g} s; try again later")
                time.sleep(0.2)
        before = _segment_folders(index_dir)
        try:
            yield
        except BaseException:
            _remove_new_segments(index_dir, before)
            raise
    finally:
        os.close(fd)


def _segment_folders(index_dir: Path) -> set[str]:
    return {child.name for child in index_dir.iterdir() if child.name.startswith("seg-")}


def _remove_new_segments(index_dir: Path, before: set[str]) -> None:
    """After a failed write, remove the segment folders it made that no manifest names (a full disk
    must not stay full of half-written segments)."""
    try:
        manifest = storage.read_manifest(index_dir) or {"segments": []}
        live = {s["name"] for s in manifest["segments"]}
    except QAError:
        live = set()
    for name in _segment_folders(index_dir) - before - live:
        shutil.rmtree(index_dir / name, ignore_errors=True)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def being_written(index_dir: Path) -> bool:
    """Whether another process holds the index's write lock right now."""
    try:
        fd = os.open(index_dir / ".lock", os.O_RDONLY)
    except OSError:
        return False
    try:
        if not _try_lock(fd):
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _say(warn: Warn | None, message: str) -> None:
    if warn is not None:
        warn(message)


def build(root: Path, index_dir: Path, params: Params = Params(), progress: Progress | None = None,
          warn: Warn | None = None, builder: "LocalBuilder | None" = None,
          built_meanwhile: Callable[[], dict | None] | None = None) -> dict:
    """Index every file of ``root`` into ``index_dir`` from scratch; returns the new manifest.

    ``builder`` writes the segments: a LocalBuilder (this machine's processes, the default) or any
    object with its two methods (qa.cluster's writes them on Dask workers); ``built_meanwhile``: asked
    once the write lock is held, the manifest another process wrote while this one waited for it, to be
    used instead of building again (None: build)."""
    from . import build as builder_module

    root = root.resolve()
    paths = corpus.list_files(root, warn)
    ownership.claim(index_dir, root)
    builder = builder or LocalBuilder()
    with write_lock(index_dir, warn):
        done = built_meanwhile() if built_meanwhile else None
        if done is not None:
            return done
        segments, files = builder.build(root, paths, index_dir, params, progress, warn)
        _merge_spelling(index_dir, segments)
        common = sorted({key for seg in segments for key in seg.get("common_lines", [])})
        manifest = {
            "format": storage.FORMAT, "created": time.time(), "corpus": str(root),
            "params": asdict(params), "hash_bits": builder_module.HASH_BITS,
            "common_lines": common, "segments": segments, "built_segments": len(segments), "files": files,
        }
        _commit(index_dir, manifest)
    return manifest


def _merge_spelling(index_dir: Path, segments: list[dict]) -> None:
    """One pair of spelling tables (words, stems -> occurrences) for all the segments of a build, kept
    by the first segment, instead of one a segment: the segments of a big corpus share most of their
    words, and their tables would take a tenth of the index. Counts are summed over segments anyway
    (Searcher.word_df); the first segment is kept even when all its passages are deleted."""
    from .segment import merge_counts

    if len(segments) < 2:
        return
    for kind in ("vocab", "stems"):
        tables = [(storage.read_array(index_dir / seg["name"], seg["arrays"][f"{kind}_keys"], False),
                   storage.read_array(index_dir / seg["name"], seg["arrays"][f"{kind}_df"], False)) for seg in segments]
        key, total = merge_counts([k for k, _ in tables], [c for _, c in tables])
        del tables
        for i, seg in enumerate(segments):
            folder = index_dir / seg["name"]
            k, c = (key, total) if i == 0 else (key[:0], total[:0])
            seg["arrays"][f"{kind}_keys"] = storage.write_array(folder, f"{kind}_keys", k)
            seg["arrays"][f"{kind}_df"] = storage.write_array(folder, f"{kind}_df", c)
    segments[0]["spelling"] = "build"


class LocalBuilder:
    """Writes segments with this machine's processes."""

    def build(self, root: Path, paths: list[Path], index_dir: Path, params: Params, progress: Progress | None,
              warn: Warn | None) -> tuple[list[dict], dict]:
        """Segments for all of ``paths``: (segment metas, file table)."""
        return _build_segments(root, paths, index_dir, params, frozenset(), progress, warn)

    def update(self, root: Path, sources: list[str], index_dir: Path, params: Params, manifest: dict,
               warn: Warn | None) -> list:
        """New segments for the changed ``sources`` (one here): a list of build.SegmentResult."""
        from . import build as builder
        paths = [root / s for s in sources]
        return [builder.build_segment(root, paths, index_dir, params, frozenset(manifest.get("common_lines", [])), None)]


def _build_segments(root, paths, index_dir, params, common, progress, warn):
    from . import build as builder

    total = sum(_size(p) for p in paths)
    workers = builder.workers_for(total)
    target = 1 << 62
    if workers > 1:
        # segments of at most SEGMENT_BYTES, as many as a multiple of the workers: none waits for the last
        count = -(-total // SEGMENT_BYTES)
        count = -(-count // workers) * workers
        target = max(1 << 20, -(-total // count))
    groups = [g for g in builder.plan_segments(paths, target) if g]
    results = []
    if progress:
        progress(0, len(paths))
    if workers == 1 or len(groups) == 1:
        done = 0

        def tick():
            nonlocal done
            done += 1
            if progress:
                progress(done, len(paths))

        def part(share: float) -> None:  # a long PDF moves the count page by page: 3.25 = a quarter into file 4
            if progress and share < 1:
                progress(done + share, len(paths))
        for group in groups:
            results.append(builder.build_segment(root, group, index_dir, params, common, tick, part))
    else:
        results = _build_parallel(root, groups, index_dir, params, common, workers, progress, len(paths))
    segments, files = [], {}
    for result in results:
        for message in result.warnings:
            _say(warn, message)
        if result.meta["passages"] or result.files:
            segments.append(result.meta)
            files.update(result.files)
    return segments, files


def _build_parallel(root, groups, index_dir, params, common, workers, progress, total_files):
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    counter = ctx.Value("q", 0)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(counter,)) as pool:
        pending = [pool.apply_async(_worker_build, (root, g, index_dir, params, common)) for g in groups]
        while not all(p.ready() for p in pending):
            if progress:
                progress(counter.value, total_files)
            time.sleep(0.2)
        results = [p.get() for p in pending]
    if progress:
        progress(total_files, total_files)
    return results


_worker_counter = None


def _init_worker(counter) -> None:
    global _worker_counter
    _worker_counter = counter
    _die_with_parent()


def _die_with_parent() -> None:
    """On Linux, end this worker when the build process dies (kill -9): an orphan would go on holding
    the inherited write lock until its segment is done, and then fail noisily."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    import multiprocessing
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid != os.getppid():  # the parent died before the line above ran
        os._exit(1)


def _worker_build(root, group, index_dir, params, common):
    from . import build as builder
    return builder.build_segment(root, group, index_dir, params, common, _count_file)


def _count_file() -> None:
    with _worker_counter.get_lock():
        _worker_counter.value += 1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _commit(index_dir: Path, manifest: dict) -> None:
    """Make ``manifest`` the index, then remove segment folders it does not name."""
    storage.write_json(index_dir / storage.MANIFEST, manifest)
    live = {s["name"] for s in manifest["segments"]}
    for child in index_dir.iterdir():
        if child.name.startswith("seg-") and child.name not in live:
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(f".{storage.MANIFEST}.") and child.name.endswith(".tmp"):
            child.unlink(missing_ok=True)  # left by a writer killed mid-write (we hold the lock)


def update(root: Path, index_dir: Path, manifest: dict, current: dict, warn: Warn | None = None,
           progress: Progress | None = None, builder: LocalBuilder | None = None) -> dict:
    """Bring the index up to the files on disk: a new segment for what changed, or a rebuild."""
    from . import build as builder_module

    builder = builder or LocalBuilder()
    root = root.resolve()
    if being_written(index_dir):  # readers never wait: the index as it is still answers
        _say(warn, "another qa process is updating the index; answering from the index as it was")
        return manifest
    params = Params(**manifest["params"])
    if _rebuild_instead(manifest, current, builder_module.HASH_BITS):
        return build(root, index_dir, params, progress, warn, builder)
    ownership.claim(index_dir, root)
    with write_lock(index_dir, warn):
        fresh = storage.read_manifest(index_dir)
        if fresh is not None and fresh.get("created") != manifest.get("created"):
            manifest = fresh  # someone else updated meanwhile
        to_read, to_drop = changes(manifest, current)
        files = dict(manifest["files"])
        segments = [dict(s) for s in manifest["segments"]]
        _mark_deleted(index_dir, segments, files, to_drop)
        if to_read:
            segments = _add_segments(root, index_dir, manifest, current, to_read, segments, files, warn, builder)
        segments = [s for s in segments if not _all_deleted(index_dir, s)]
        manifest = dict(manifest, segments=segments, files=files, created=time.time())
        _commit(index_dir, manifest)
        _remove_stale_masks(index_dir, segments)
    return manifest


def _rebuild_instead(manifest: dict, current: dict, hash_bits: int) -> bool:
    """Whether an update of ``manifest`` to the files ``current`` is better done as a whole build: a
    small corpus, too many segments added by updates, or another hash space."""
    total = sum(size for size, _ in current.values())
    # updates add a segment each; past this many (beyond what a full build made) a rebuild compacts them
    built = manifest.get("built_segments")
    built = built if isinstance(built, int) and not isinstance(built, bool) else len(manifest["segments"])
    return (total < SMALL_CORPUS_BYTES or len(manifest["segments"]) >= built + MAX_SEGMENTS
            or manifest.get("hash_bits") != hash_bits)


def _mark_deleted(index_dir: Path, segments: list[dict], files: dict, to_drop: list[str]) -> None:
    """Take the sources ``to_drop`` out of ``files`` and their passages out of ``segments`` (a new
    deletion mask for each segment concerned)."""
    import numpy as np

    by_name = {s["name"]: s for s in segments}
    dropped: dict[str, list[tuple[int, int]]] = {}
    for source in to_drop:
        entry = files.pop(source)
        if entry.get("segment") and entry.get("count"):
            dropped.setdefault(entry["segment"], []).append((entry["first"], entry["count"]))
    for name, ranges in dropped.items():
        seg = by_name[name]
        folder = index_dir / name
        deleted = np.zeros(seg["passages"], dtype=bool)
        if seg.get("deleted"):
            deleted |= storage.read_array(folder, seg["deleted"], verify=True).astype(bool)
        for first, count in ranges:
            deleted[first:first + count] = True
        seg["deleted"] = storage.write_array(folder, f"deleted-{time.time_ns()}", deleted)


def _add_segments(root: Path, index_dir: Path, manifest: dict, current: dict, to_read: list[str],
                  segments: list[dict], files: dict, warn: Warn | None, builder) -> list[dict]:
    """``segments`` with new ones for the sources ``to_read`` (and those of the small segments merged
    with them), their entries written into ``files``."""
    params = Params(**manifest["params"])
    merged = _merged_by_update(segments, files, sum(current[s][0] for s in to_read), builder)
    again = [source for source, entry in files.items() if entry.get("segment") in merged]
    for result in builder.update(root, list(dict.fromkeys(to_read + again)), index_dir, params, manifest, warn):
        for message in result.warnings:
            _say(warn, message)
        result.meta["update"] = True
        segments.append(result.meta)
        files.update(result.files)
    return [s for s in segments if s["name"] not in merged]


def _merged_by_update(segments: list[dict], files: dict, incoming: int, builder) -> set[str]:
    """The names of the segments earlier updates wrote whose files an update of ``incoming`` bytes
    re-indexes with its own (smallest first, MERGE_BYTES in all at most); none on a cluster, whose
    segments belong to shards."""
    if type(builder) is not LocalBuilder:
        return set()
    size: dict[str, int] = {}
    for entry in files.values():
        if entry.get("segment"):
            size[entry["segment"]] = size.get(entry["segment"], 0) + entry.get("size", 0)
    merged, total = set(), incoming
    for seg in sorted((s for s in segments if s.get("update") and "shard" not in s), key=lambda s: size.get(s["name"], 0)):
        total += size.get(seg["name"], 0)
        if total > MERGE_BYTES:
            break
        merged.add(seg["name"])
    return merged


def _all_deleted(index_dir: Path, seg: dict) -> bool:
    if seg.get("spelling") == "build":
        return False  # it holds the spelling tables of every segment its build wrote
    if not seg.get("deleted"):
        return seg["passages"] == 0 and not seg["sources"]
    import numpy as np
    mask = np.load(index_dir / seg["name"] / seg["deleted"]["file"], allow_pickle=False)
    return bool(mask.all())


def _remove_stale_masks(index_dir: Path, segments: list[dict]) -> None:
    for seg in segments:
        keep = seg["deleted"]["file"] if seg.get("deleted") else None
        for f in (index_dir / seg["name"]).glob("deleted-*.npy"):
            if f.name != keep:
                try:
                    f.unlink()
                except OSError:
                    pass
