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
from typing import Callable

import numpy as np

from . import analysis, corpus, formats, storage
from .hashing import n_features
from .corpus import Params

# 31 bits: at a million passages there are tens of millions of distinct bigrams; in a 2**24 space
# nearly every rare word would share its column with some of them.
HASH_BITS = 31


class _RecordingTokenizer:
    """The analyzer's tokenizer, also counting how often each folded word and each stem occurs.

    (Occurrences, not passages: counting a set per passage costs more than the
    whole analysis, and spelling correction only needs to know which is commoner.)"""

    def __init__(self) -> None:
        self.document_frequency: Counter[str] = Counter()
        self.stem_frequency: Counter[str] = Counter()

    def __call__(self, text: str) -> list[str]:
        words = analysis.words(text)
        stems = analysis.stems(words)
        self.document_frequency.update(words)
        self.stem_frequency.update(stems)
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
                  common: frozenset | set, tick: Callable[[], None] | None = None) -> SegmentResult:
    """Read ``paths``, cut them into passages and write one segment folder under ``index_dir``.

    ``tick`` is called once per file read (for a progress bar)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    name = f"seg-{uuid.uuid4().hex[:12]}"
    folder = index_dir / name
    folder.mkdir(parents=True)
    warnings: list[str] = []
    files: dict[str, dict] = {}
    sources: list[str] = []
    texts: list[str] = []
    rows: list[tuple[int, int, int, int, int]] = []
    places: list[tuple[int, int]] = []  # per passage: (section id or -1, page or 0)
    sections: dict[str, int] = {}  # heading path -> section id
    stored = bytearray()  # extracted texts (HTML, PDF), UTF-8, one after another
    missing: dict[str, int] = {}  # optional extra -> files skipped for want of it
    read = []
    for path in paths:
        source = corpus.relative_source(root, path)
        try:
            st = path.stat()
            parsed = formats.read(root, path, params)
        except formats.MissingExtra as exc:
            missing[exc.extra] = missing.get(exc.extra, 0) + 1
            files[source] = _file_entry(path, None, skipped=str(exc), format=formats.kind_of(path))
            _tick(tick)
            continue
        except (corpus.Skipped, OSError) as exc:
            reason = (exc.strerror if isinstance(exc, OSError) else str(exc)) or type(exc).__name__
            warnings.append(f"skipped {source}: {reason}")
            files[source] = _file_entry(path, None, skipped=reason)
            _tick(tick)
            continue
        doc = parsed.doc
        if parsed.kind in ("txt", "md") and doc.encoding not in ("utf-8", "utf-8-sig"):
            warnings.append(f"note: {source} is not UTF-8; read as {doc.encoding}")
        for note in parsed.notes:
            warnings.append(f"note: {source}: {note}")
        read.append((path, st, parsed, corpus.units(doc.text) if parsed.pieces is None else None))
    for extra, n in sorted(missing.items()):
        kinds = "/".join(sorted({e for e, k in formats.KINDS.items() if k == extra}))
        warnings.append(f"skipped {n} {kinds} file{'s' if n > 1 else ''}: pip install 'qa[{extra}]' to read them")
    # boilerplate shared by several plain-text files of this segment, plus what earlier builds found
    local = corpus.common_keys(corpus.short_keys(parts) for _, _, _, parts in read if parts is not None)
    common = frozenset(common) | local
    for path, st, parsed, parts in read:
        doc = parsed.doc
        if parsed.pieces is None:
            spans = corpus.split_passages(doc.text, params, common, parts)
            title = corpus.title_line(parts, spans)  # its words count for every passage, as a heading's do
            pieces = [formats.Piece(sp, None if title is None else f"{title}\n{doc.text[sp.char_start:sp.char_end]}")
                      for sp in spans]
        else:
            pieces = parsed.pieces
        file_no = len(sources)
        sources.append(doc.source)
        first = len(rows)
        for piece in pieces:
            sp = piece.span
            texts.append(doc.text[sp.char_start:sp.char_end] if piece.index_text is None else piece.index_text)
            rows.append((file_no, sp.char_start, sp.char_end, sp.line_start, sp.line_end))
            section = -1 if piece.section is None else sections.setdefault(piece.section, len(sections))
            places.append((section, piece.page or 0))
        extra = {"encoding": doc.encoding, "ascii": not parsed.stored and doc.text.isascii(), "format": parsed.kind}
        if parsed.title:
            extra["title"] = parsed.title
        if parsed.notes:
            extra["notes"] = list(parsed.notes)
        if parsed.stored:
            data = doc.text.encode("utf-8", "surrogatepass")
            extra["text"] = [len(stored), len(stored) + len(data)]
            stored += data
        files[doc.source] = _file_entry(path, st, segment=name, first=first, count=len(rows) - first, **extra)
        _tick(tick)
    del read

    tokenizer = _RecordingTokenizer()
    kwargs = analysis.sklearn_params()
    kwargs["tokenizer"] = tokenizer
    vectorizer = HashingVectorizer(n_features=n_features(HASH_BITS), alternate_sign=False, norm=None,
                                   dtype=np.float32, **kwargs)
    counts = vectorizer.transform(texts).tocsr() if texts else None
    arrays = _postings(counts, len(texts))
    arrays["passages"] = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
    arrays["places"] = np.asarray(places, dtype=np.int32).reshape(-1, 2)
    arrays["stored"] = np.frombuffer(bytes(stored), dtype=np.uint8)
    for table, counts in (("vocab", tokenizer.document_frequency), ("stems", tokenizer.stem_frequency)):
        arrays[f"{table}_keys"], arrays[f"{table}_df"] = _vocabulary(counts)
    meta = {"name": name, "passages": len(texts), "sources": sources, "deleted": None,
            "common_lines": sorted(local), "sections": list(sections),
            "arrays": {k: storage.write_array(folder, k, v) for k, v in arrays.items()}}
    return SegmentResult(name, meta, files, warnings)


def _postings(counts, n: int) -> dict[str, np.ndarray]:
    """Term -> passages layout of a passage x hashed-term count matrix (columns compacted, then CSC)."""
    import scipy.sparse as sp

    if counts is None:
        counts = _empty_counts(n)
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float32).ravel()
    terms, compact = np.unique(counts.indices, return_inverse=True)
    csc = sp.csr_matrix((counts.data, compact.ravel(), counts.indptr), shape=(counts.shape[0], len(terms))).tocsc()
    csc.sort_indices()
    indptr = csc.indptr.astype(np.uint32 if csc.nnz < 2**32 else np.int64)
    docs = csc.indices.astype(np.uint32)
    tfs = np.minimum(csc.data, 255).astype(np.uint8)
    maxtf = np.maximum.reduceat(tfs, csc.indptr[:-1]) if len(tfs) else np.zeros(0, np.uint8)
    return {"terms": terms.astype(np.uint32), "indptr": indptr, "docs": docs, "tfs": tfs, "maxtf": maxtf,
            "lengths": lengths}


def _empty_counts(n: int):
    import scipy.sparse as sp
    return sp.csr_matrix((n, 1), dtype=np.float32)


def _file_entry(path: Path, st, **extra) -> dict:
    if st is None:
        try:
            st = path.stat()
        except OSError:
            return {"size": -1, "mtime_ns": -1, **extra}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, **extra}


def _tick(tick) -> None:
    if tick is not None:
        tick()


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
