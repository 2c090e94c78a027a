"""Passages -> terms -> segments on disk. The only module that imports scikit-learn.

A segment is an immutable folder of arrays for a group of files: the
postings of each hashed term (passage ids and raw term frequencies, no idf,
so segments can be added and dropped without rewriting the others), the
passage lengths, where each passage stands in its file, and the document
frequency of each folded word (for spelling correction).
"""
from __future__ import annotations

import os
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import analysis, corpus, storage
from .corpus import Params

HASH_BITS = 24


class _RecordingTokenizer:
    """The analyzer's tokenizer, also counting in how many passages each folded word occurs."""

    def __init__(self) -> None:
        self.document_frequency: Counter[str] = Counter()
        self.stem_frequency: Counter[str] = Counter()

    def __call__(self, text: str) -> list[str]:
        words = analysis.words(text)
        stems = analysis.stems(words)
        self.document_frequency.update(set(words))
        self.stem_frequency.update(set(stems))
        return stems


@dataclass
class SegmentResult:
    name: str
    meta: dict
    files: dict[str, dict]
    warnings: list[str] = field(default_factory=list)


def _vocabulary(counts: Counter) -> tuple[np.ndarray, np.ndarray]:
    """Words as sorted CRC-32 keys with their document frequencies: membership and df, no strings."""
    words = list(counts)
    keys = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words))
    df = np.fromiter((counts[w] for w in words), dtype=np.uint32, count=len(words))
    order = np.argsort(keys, kind="stable")
    return keys[order], df[order]


def build_segment(root: Path, paths: list[Path], index_dir: Path, params: Params,
                  common: frozenset | set, counter=None) -> SegmentResult:
    """Read ``paths``, cut them into passages and write one segment folder under ``index_dir``."""
    from sklearn.feature_extraction.text import HashingVectorizer

    name = f"seg-{uuid.uuid4().hex[:12]}"
    folder = index_dir / name
    folder.mkdir(parents=True)
    warnings: list[str] = []
    files: dict[str, dict] = {}
    sources: list[str] = []
    texts: list[str] = []
    rows: list[tuple[int, int, int, int, int]] = []
    for path in paths:
        source = corpus.relative_source(root, path)
        try:
            st = path.stat()
            doc = corpus.read_document(root, path)
        except (corpus.Skipped, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            warnings.append(f"skipped {source}: {reason}")
            files[source] = _file_entry(path, None, skipped=reason)
            _tick(counter)
            continue
        if doc.encoding not in ("utf-8", "utf-8-sig"):
            warnings.append(f"note: {source} is not UTF-8; read as {doc.encoding}")
        spans = corpus.split_passages(doc.text, params, common)
        file_no = len(sources)
        sources.append(source)
        first = len(rows)
        for sp in spans:
            texts.append(doc.text[sp.char_start:sp.char_end])
            rows.append((file_no, sp.char_start, sp.char_end, sp.line_start, sp.line_end))
        files[source] = _file_entry(path, st, encoding=doc.encoding, segment=name, first=first,
                                    count=len(rows) - first)
        _tick(counter)

    tokenizer = _RecordingTokenizer()
    kwargs = analysis.sklearn_params()
    kwargs["tokenizer"] = tokenizer
    vectorizer = HashingVectorizer(n_features=1 << HASH_BITS, alternate_sign=False, norm=None,
                                   dtype=np.float32, **kwargs)
    counts = vectorizer.transform(texts).tocsr() if texts else None
    arrays = _postings(counts, len(texts))
    arrays["passages"] = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
    for table, counts in (("vocab", tokenizer.document_frequency), ("stems", tokenizer.stem_frequency)):
        arrays[f"{table}_keys"], arrays[f"{table}_df"] = _vocabulary(counts)
    meta = {"name": name, "passages": len(texts), "sources": sources, "deleted": None,
            "arrays": {k: storage.write_array(folder, k, v) for k, v in arrays.items()}}
    return SegmentResult(name, meta, files, warnings)


def _postings(counts, n: int) -> dict[str, np.ndarray]:
    """Term -> passages layout of a passage x hashed-term count matrix."""
    if counts is None or counts.nnz == 0:
        return {"terms": np.zeros(0, np.uint32), "indptr": np.zeros(1, np.int64),
                "docs": np.zeros(0, np.uint32), "tfs": np.zeros(0, np.uint16),
                "lengths": np.asarray(counts.sum(axis=1)).ravel().astype(np.float32)
                if counts is not None else np.zeros(n, np.float32)}
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float32).ravel()
    terms, compact = np.unique(counts.indices, return_inverse=True)
    coo_rows = np.repeat(np.arange(counts.shape[0], dtype=np.uint32), np.diff(counts.indptr))
    order = np.lexsort((coo_rows, compact))
    docs = coo_rows[order]
    tfs = np.minimum(counts.data[order], 65535).astype(np.uint16)
    indptr = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(compact, minlength=len(terms)), out=indptr[1:])
    return {"terms": terms.astype(np.uint32), "indptr": indptr, "docs": docs, "tfs": tfs,
            "lengths": lengths}


def _file_entry(path: Path, st, **extra) -> dict:
    if st is None:
        try:
            st = path.stat()
        except OSError:
            return {"size": -1, "mtime_ns": -1, **extra}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, **extra}


def _tick(counter) -> None:
    if counter is not None:
        with counter.get_lock():
            counter.value += 1


def plan_segments(paths: list[Path], target_bytes: int = 96 << 20) -> list[list[Path]]:
    """Group files into segments of about ``target_bytes`` of text each."""
    groups: list[list[Path]] = [[]]
    size = 0
    for path in paths:
        try:
            n = path.stat().st_size
        except OSError:
            n = 0
        if groups[-1] and size + n > target_bytes:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += n
    return groups


def workers_for(total_bytes: int) -> int:
    if total_bytes < 16 << 20:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))
