"""Passage vectors in the index: one float16 array per segment, written through qa/storage.py, tied to the model.

A segment's manifest entry gains ``"vectors": {"model": NAME, "sha256": SHA, "form": FORM, "array": <array meta>}``
(FORM, how the model was run, only when not as its file says: "int8-matmul", see embedder.py).
Segments never change once written, so an update embeds only its new segments; the vectors of the others
are kept. Vectors made by another model (another SHA-256) or another form of it are not used: re-embedded
with a note.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import storage
from ..errors import QAError
from . import form_parts
from .embedder import vectors_maker

KEY = "vectors"


def offsets(manifest: dict) -> list[int]:
    """The first passage id of each segment (segments are numbered one after the other)."""
    out, at = [], 0
    for seg in manifest["segments"]:
        out.append(at)
        at += int(seg["passages"])
    return out


def vectors_entry(embedder, array: dict) -> dict:
    """A segment's vectors entry: what made its rows, and their array."""
    return {"model": embedder.name, "sha256": embedder.sha256, **({"form": embedder.form} if embedder.form else {}),
            "array": array}


def maker(entry) -> str | None:
    """What made the rows of a vectors entry (as ``Embedder.maker`` says it), None when it is no entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("array"), dict):
        return None
    return vectors_maker(str(entry.get("sha256")), str(entry.get("form") or ""))


def belongs(seg: dict, embedder) -> bool:
    return maker(seg.get(KEY)) == embedder.maker


def damaged(index_dir: Path, seg: dict, embedder) -> bool:
    """The segment has this model's vectors, but their file is not whole (emptied, cut short, replaced)."""
    return belongs(seg, embedder) and not storage.array_intact(index_dir / seg["name"], seg[KEY]["array"])


def lacking(index_dir: Path, seg: dict, embedder) -> bool:
    """The segment needs this model's vectors made: it has none, or theirs are damaged."""
    return not belongs(seg, embedder) or damaged(index_dir, seg, embedder)


def missing(index_dir: Path, manifest: dict, embedder) -> tuple[int, int]:
    """Passages whose segment needs this model's vectors made, and how many of those had damaged ones."""
    segments = [s for s in manifest["segments"] if lacking(index_dir, s, embedder)]
    return (sum(int(s["passages"]) for s in segments),
            sum(int(s["passages"]) for s in segments if belongs(s, embedder)))


def other_model(manifest: dict, embedder) -> str | None:
    """What else made vectors the index holds ("another model (NAME)", or the same model run in another
    form), if anything."""
    for seg in manifest["segments"]:
        made = maker(seg.get(KEY))
        if made is not None and made != embedder.maker:
            entry = seg[KEY]
            form = entry.get("form") or ""
            if entry.get("sha256") == embedder.sha256:
                return f"{entry.get('model')} run in another form ({form_change(form, embedder.form)})"
            return f"another model ({entry.get('model')}{', ' + form if form else ''})"
    return None


def form_change(old: str, new: str) -> str:
    """How vectors of form ``old`` were made where form ``new`` differs, in words ("int8 products", "mean pooling")."""
    def aspects(form: str) -> tuple[str, str, str]:
        products, pooling, prompt = form_parts(form)
        return "int8 products" if products else "float products", f"{pooling} pooling", prompt
    was, now = aspects(old), aspects(new)
    words = [w for w, n in zip(was[:2], now[:2]) if w != n]
    if was[2] != now[2]:
        words.append("another document prompt" if was[2] and now[2] else
                     "a document prompt" if was[2] else "no document prompt")
    return ", ".join(words) or old


class StoredVectors:
    """The index's vectors of one model: ``get(pids)`` -> rows (float32), or None when a pid's segment has none."""

    def __init__(self, index_dir: Path, manifest: dict, embedder):
        self.parts: list[tuple[int, int, np.ndarray | None]] = []
        self.corrupt: dict[str, int] = {}  # segment name -> passages, of this model's vectors that fail their checks
        for first, seg in zip(offsets(manifest), manifest["segments"]):
            array = None
            if belongs(seg, embedder):
                try:
                    array = storage.read_array(index_dir / seg["name"], seg[KEY]["array"], verify=True)
                except storage.IndexDamaged:
                    array = None  # embedded again when needed
                if array is not None and array.shape != (int(seg["passages"]), embedder.dimension):
                    array = None
                if array is None:
                    self.corrupt[seg["name"]] = int(seg["passages"])
            self.parts.append((first, first + int(seg["passages"]), array))
        self.starts = np.array([p[0] for p in self.parts], dtype=np.int64)
        self.index_dir, self.manifest = index_dir, manifest
        self.whole: tuple[np.ndarray, np.ndarray] | None = None

    def nearest(self, query_vector: np.ndarray, n: int, at_most: int) -> list[int]:
        """The ``n`` live passages closest to ``query_vector`` over the whole index ([] when a segment lacks
        vectors or the index holds more than ``at_most`` passages: then only the lexical candidates count)."""
        if self.whole is None:
            total = int(self.parts[-1][1]) if self.parts else 0
            if not 0 < total <= at_most or any(array is None for *_, array in self.parts):
                return []
            live = np.ones(total, dtype=bool)
            for (first, end, _), seg in zip(self.parts, self.manifest["segments"]):
                try:
                    dead = deleted_flags(self.index_dir, seg)
                except (storage.IndexDamaged, OSError, ValueError):
                    return []  # a damaged index: the lexical ranker's checks say so, the candidates stay its own
                if dead is not None and dead.shape != (end - first,):
                    return []
                if dead is not None:
                    live[first:end] = ~dead
            live_pids = np.flatnonzero(live)
            matrix = np.concatenate([array for *_, array in self.parts])[live_pids].astype(np.float32)
            self.whole = matrix, live_pids  # float32: a float16 product is several times slower in numpy
        matrix, live_pids = self.whole
        n = min(n, len(live_pids))
        if n == 0:
            return []
        # one thread: a BLAS product this size spreads over the cores and, on a busy machine, waits for them (20-30 ms
        # measured at 5k-20k passages on 2 loaded cores, against 0.3-2 ms on one)
        cosines = np.einsum("ij,j->i", matrix, np.asarray(query_vector, dtype=np.float32))
        best = np.argpartition(-cosines, n - 1)[:n]
        return [int(live_pids[i]) for i in best[np.argsort(-cosines[best], kind="stable")]]

    def get(self, pids: list[int]) -> np.ndarray | None:
        rows = []
        for pid in pids:
            first, _end, array = self.parts[int(np.searchsorted(self.starts, pid, side="right")) - 1]
            if array is None:
                return None
            rows.append(array[pid - first])
        return np.asarray(rows, dtype=np.float32)


def embed_missing(index_dir: Path, manifest: dict, embedder, documents, progress=None,
                  redo: set[str] = frozenset()) -> dict:
    """Embed the passages of every segment without this model's vectors (and of the segments named in ``redo``),
    store them, commit the manifest.

    Returns the manifest now on disk (unchanged when another writer replaced it meanwhile)."""
    from ..index import write_lock
    todo = [(first, seg) for first, seg in zip(offsets(manifest), manifest["segments"])
            if seg["name"] in redo or lacking(index_dir, seg, embedder)]
    if not todo:
        return manifest
    total, done = sum(int(s["passages"]) for _, s in todo), 0
    written: dict[str, dict] = {}
    for first, seg in todo:
        n = int(seg["passages"])
        dead = deleted_flags(index_dir, seg)
        try:
            texts = ["" if dead is not None and dead[i] else documents.passage_text(first + i) for i in range(n)]
        except QAError:
            continue  # a file changed since it was indexed: the next opening re-indexes it, then embeds it

        def tick(count, total=total):
            nonlocal done
            done += count
            if progress:
                progress(done, total)

        vectors = embedder.embed(texts, tick).astype(np.float16)
        meta = storage.write_array(index_dir / seg["name"], f"vectors-{time.time_ns()}", vectors)
        written[seg["name"]] = vectors_entry(embedder, meta)
    unused: list[Path] = []  # our files that were not taken, and the files of the vectors ours replace
    with write_lock(index_dir):
        current = storage.read_manifest(index_dir)
        if current is None or current.get("created") != manifest.get("created"):
            _unlink([index_dir / name / entry["array"]["file"] for name, entry in written.items()])
            return current or manifest  # another writer won: its index, our vectors unused
        segments = []
        seen = {seg["name"]: seg.get(KEY) for seg in manifest["segments"]}
        for seg in current["segments"]:
            ours = written.get(seg["name"])
            if ours is not None and seg.get(KEY) != seen.get(seg["name"]) and belongs(seg, embedder):
                unused.append(index_dir / seg["name"] / ours["array"]["file"])  # another process made them meanwhile
            elif ours is not None:
                before = (seg.get(KEY) or {}).get("array") or {}
                if isinstance(before.get("file"), str):
                    unused.append(index_dir / seg["name"] / before["file"])  # another model's, or damaged
                seg = dict(seg, **{KEY: ours})
            segments.append(seg)
        current = dict(current, segments=segments)
        storage.write_json(index_dir / storage.MANIFEST, current)
    # only files no manifest names any more: a file another process is writing now is never one of them
    _unlink(unused)
    return current


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        if path.name.startswith("vectors-") and path.suffix == ".npy":
            path.unlink(missing_ok=True)


def deleted_flags(index_dir: Path, seg: dict):
    """The segment's deleted-passage flags (bool), or None when none was deleted."""
    if not seg.get("deleted"):
        return None
    return storage.read_array(index_dir / seg["name"], seg["deleted"], verify=False).astype(bool)
