"""A group of files -> one segment folder on disk: read, cut into passages, analysed, written.

The files are read by qa.formats, cut into passages by qa.corpus, analysed a
block of passages at a time by qa.analysis_fast (scikit-learn's HashingVectorizer's
terms, computed with numpy) and written in the segment format of qa.segment.
Also how files are grouped into segments for a parallel build (plan_segments).
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import corpus, formats, storage
from .hashing import HASH_BITS  # noqa: F401 (the index's hash space, read by index.py as build.HASH_BITS)
from .install import install_hint
from .corpus import Params
from .analysis_fast import segment_arrays
from .segment import MAX_BLOCK_PASSAGES, SEGMENT_BYTES, join_blocks, merge_counts, pack_postings

PARALLEL_BYTES = 16 << 20  # of text at least before a build uses several workers
MAX_WORKERS = 8


@dataclass
class SegmentResult:
    name: str
    meta: dict
    files: dict[str, dict]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Read:
    """The files of a segment as read: (path, stat, formats.Parsed, lines or None) each, and the rest."""

    read: list = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)  # source -> file table entry (skipped files so far)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Passages:
    """The passages of a segment's files, one row each, and what the file table says of the files."""

    texts: list[str] = field(default_factory=list)  # each passage's indexed text
    rows: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # file, chars, lines
    places: list[tuple[int, int]] = field(default_factory=list)  # section id or -1, page or 0
    sections: dict[str, int] = field(default_factory=dict)  # heading path -> section id
    stored: bytearray = field(default_factory=bytearray)  # extracted texts (HTML, PDF), UTF-8, one after another
    indexed: list[tuple[str, dict]] = field(default_factory=list)  # per file read: (source, file table entry)


def build_segment(root: Path, paths: list[Path], index_dir: Path, params: Params,
                  common: frozenset | set, tick: Callable[[], None] | None = None,
                  part: Callable[[float], None] | None = None) -> SegmentResult:
    """Read ``paths``, cut them into passages and write one segment folder under ``index_dir``.

    ``tick`` is called once per file read (for a progress bar); ``part(share)`` while a file is read
    page by page (a PDF), with the share of its pages read so far."""
    read = _read_files(root, paths, params, tick, part)
    # boilerplate shared by several plain-text files of this segment, plus what earlier builds found
    local = corpus.common_keys(corpus.short_keys(parts) for _, _, _, parts in read.read if parts is not None)
    passages = _passages(read.read, params, frozenset(common) | local)
    read.read.clear()
    name = f"seg-{uuid.uuid4().hex[:12]}"
    folder = index_dir / name
    folder.mkdir(parents=True)
    files = dict(read.files)
    files.update((source, dict(entry, segment=name)) for source, entry in passages.indexed)
    arrays = _arrays(passages)
    meta = {"name": name, "passages": len(passages.rows), "sources": [source for source, _ in passages.indexed],
            "deleted": None, "common_lines": sorted(local), "sections": list(passages.sections),
            "arrays": {k: storage.write_array(folder, k, v) for k, v in arrays.items()}}
    return SegmentResult(name, meta, files, read.warnings)


def _read_files(root: Path, paths: list[Path], params: Params, tick, part=None) -> _Read:
    """Read and parse each of ``paths``; the ones that cannot be read get a file table entry and a warning."""
    out = _Read()
    missing: dict[str, int] = {}  # optional extra -> files skipped for want of it
    on_page = None if part is None else (lambda done, pages: part(done / pages))
    for path in paths:
        source = corpus.relative_source(root, path)
        try:
            st = path.stat()
            parsed = formats.read(root, path, params, on_page)
        except formats.MissingExtra as exc:
            missing[exc.extra] = missing.get(exc.extra, 0) + 1
            out.files[source] = _file_entry(path, None, skipped=str(exc), format=formats.kind_of(path))
            _tick(tick)
            continue
        except (corpus.Skipped, OSError) as exc:
            reason = (exc.strerror if isinstance(exc, OSError) else str(exc)) or type(exc).__name__
            out.warnings.append(f"skipped {source}: {reason}")
            out.files[source] = _file_entry(path, None, skipped=reason)
            _tick(tick)
            continue
        doc = parsed.doc
        if parsed.kind in ("txt", "md") and doc.encoding == corpus.UTF8_REPLACED:
            out.warnings.append(f"note: {source} is UTF-8 with {doc.text.count(chr(0xFFFD))} invalid "
                                f"byte sequence(s); each is read as U+FFFD")
        elif parsed.kind in ("txt", "md") and doc.encoding not in ("utf-8", "utf-8-sig"):
            out.warnings.append(f"note: {source} is not UTF-8; read as {doc.encoding}")
        for note in parsed.notes:
            out.warnings.append(f"note: {source}: {note}")
        out.read.append((path, st, parsed, corpus.units(doc.text) if parsed.pieces is None else None))
        _tick(tick)  # reading is most of a build's time (HTML and PDF extraction): the bar moves with it
    for extra, n in sorted(missing.items()):
        kinds = "/".join(sorted({e for e, k in formats.KINDS.items() if k == extra}))
        out.warnings.append(f"skipped {n} {kinds} file{'s' if n > 1 else ''}: {install_hint(extra)} to read them")
    return out


def _passages(read: list, params: Params, common: frozenset) -> _Passages:
    """The passages of the files ``read`` (plain text cut by corpus.split_passages, the others by their reader)."""
    out = _Passages()
    for path, st, parsed, parts in read:
        doc = parsed.doc
        if parsed.pieces is None:
            spans = corpus.split_passages(doc.text, params, common, parts)
            title = corpus.title_line(parts, spans)  # its words count for every passage, as a heading's do
            pieces = [formats.Piece(sp, None if title is None else f"{title}\n{doc.text[sp.char_start:sp.char_end]}")
                      for sp in spans]
        else:
            pieces = parsed.pieces
        file_no = len(out.indexed)
        first = len(out.rows)
        for piece in pieces:
            sp = piece.span
            out.texts.append(doc.text[sp.char_start:sp.char_end] if piece.index_text is None else piece.index_text)
            out.rows.append((file_no, sp.char_start, sp.char_end, sp.line_start, sp.line_end))
            section = -1 if piece.section is None else out.sections.setdefault(piece.section, len(out.sections))
            out.places.append((section, piece.page or 0))
        extra = {"encoding": doc.encoding, "ascii": not parsed.stored and doc.text.isascii(), "format": parsed.kind}
        if parsed.title:
            extra["title"] = parsed.title
        if parsed.notes:
            extra["notes"] = list(parsed.notes)
        if parsed.stored:
            data = doc.text.encode("utf-8", "surrogatepass")
            extra["text"] = [len(out.stored), len(out.stored) + len(data)]
            out.stored += data
        out.indexed.append((doc.source, _file_entry(path, st, first=first, count=len(out.rows) - first, **extra)))
    return out


def _arrays(passages: _Passages) -> dict[str, np.ndarray]:
    """The stored arrays of a segment of ``passages``, analysed in blocks of at most MAX_BLOCK_PASSAGES
    passages cut between files, one after the other (empties ``passages.texts``)."""
    indexed, rows, texts = passages.indexed, passages.rows, passages.texts
    cuts = _part_cuts([entry["count"] for _, entry in indexed], MAX_BLOCK_PASSAGES)
    bounds = [_end_row(indexed, c) for c in cuts[:-1]] + [len(rows)]
    parts = [texts[a:b] for a, b in zip(bounds, bounds[1:])]
    texts.clear()
    blocks = []
    while parts:
        part = parts.pop(0)
        n = len(part)
        analysed = segment_arrays(part)
        blocks.append((n, pack_postings(analysed, n), analysed))
        for k in ("terms", "indptr", "docs", "tfs", "maxtf"):
            del analysed[k]
    arrays = join_blocks([(n, packed) for n, packed, _ in blocks])
    arrays["lengths"] = np.concatenate([analysed["lengths"] for _, _, analysed in blocks])
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
    arrays["passages"] = table.astype(np.int32) if not table.size or table.max() < 2**31 else table
    places = np.asarray(passages.places, dtype=np.int32).reshape(-1, 2)
    # no sections and no pages, as in plain text: stored as nothing, read as such
    arrays["places"] = places if (places != (-1, 0)).any() else places[:0]
    arrays["stored"] = np.frombuffer(bytes(passages.stored), dtype=np.uint8)
    for table_name in ("vocab", "stems"):
        arrays[f"{table_name}_keys"], arrays[f"{table_name}_df"] = merge_counts(
            [analysed[f"{table_name}_keys"] for _, _, analysed in blocks],
            [analysed[f"{table_name}_df"] for _, _, analysed in blocks])
    return arrays


def _end_row(indexed: list, b: int) -> int:
    """The first row after the passages of files ``:b``."""
    return indexed[b - 1][1]["first"] + indexed[b - 1][1]["count"] if b else 0


def _part_cuts(counts: list[int], cap: int) -> list[int]:
    """File boundaries [0, ..., len(counts)] cutting files of ``counts`` passages into parts of about
    equal passages, each of at most ``cap`` unless one file alone has more."""
    cuts, size, left = [0], 0, sum(counts)

    def target() -> float:  # the passages left, shared equally by as few parts as can hold them
        return left / max(1, -(-left // cap))
    goal = target()
    for i, c in enumerate(counts):
        if size and size + c > cap:
            cuts.append(i)
            left -= size
            size, goal = 0, target()
        size += c
        if size >= goal and i + 1 < len(counts):
            cuts.append(i + 1)
            left -= size
            size, goal = 0, target()
    cuts.append(len(counts))
    return cuts


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


def plan_segments(paths: list[Path], target_bytes: int = SEGMENT_BYTES) -> list[list[Path]]:
    """Group files, in order, into as few runs as hold about ``target_bytes`` of text each, the runs
    of about equal bytes (no small last one for a worker to build alone while the others wait)."""
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    count = max(1, -(-total // max(1, target_bytes)))
    groups: list[list[Path]] = [[] for _ in range(count)]
    done = 0
    for path, n in zip(paths, sizes):
        groups[min(count - 1, done * count // max(1, total))].append(path)
        done += n
    return [g for g in groups if g] or [[]]


def workers_for(total_bytes: int) -> int:
    """How many processes build ``total_bytes`` of text: one below PARALLEL_BYTES, else a core each."""
    if total_bytes < PARALLEL_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
