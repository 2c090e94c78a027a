"""Passages -> terms -> segments on disk. The only module that imports scikit-learn.

A segment is an immutable folder of arrays for a group of files: the
postings of each hashed term (passage ids and raw term frequencies, no idf,
so segments can be added and dropped without rewriting the others), the
passage lengths, where each passage stands in its file, and the document
frequency of each folded word (for spelling correction). Its passages are cut
in blocks of at most 65,536, so that a posting's passage takes 16 bits
(pack_postings, join_blocks).

The terms are scikit-learn's HashingVectorizer's, computed for a whole block
at once (each distinct word stemmed and each distinct term hashed once, the rest
on numpy arrays): _segment_arrays says how that stays equal to HashingVectorizer.
"""
from __future__ import annotations

import os
import uuid
import zlib
from itertools import chain
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from . import analysis, corpus, formats, storage
from .hashing import hash_columns, n_features
from .install import install_hint
from .corpus import Params

# 31 bits: at a million passages there are tens of millions of distinct bigrams; in a 2**24 space
# nearly every rare word would share its column with some of them.
HASH_BITS = 31


@dataclass
class SegmentResult:
    name: str
    meta: dict
    files: dict[str, dict]
    warnings: list[str] = field(default_factory=list)


def build_segment(root: Path, paths: list[Path], index_dir: Path, params: Params,
                  common: frozenset | set, tick: Callable[[], None] | None = None) -> SegmentResult:
    """Read ``paths``, cut them into passages and write one segment folder under ``index_dir``.

    ``tick`` is called once per file read (for a progress bar)."""
    warnings: list[str] = []
    files: dict[str, dict] = {}
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
        _tick(tick)  # reading is most of a build's time (HTML and PDF extraction): the bar moves with it
    for extra, n in sorted(missing.items()):
        kinds = "/".join(sorted({e for e, k in formats.KINDS.items() if k == extra}))
        warnings.append(f"skipped {n} {kinds} file{'s' if n > 1 else ''}: {install_hint(extra)} to read them")
    # boilerplate shared by several plain-text files of this segment, plus what earlier builds found
    local = corpus.common_keys(corpus.short_keys(parts) for _, _, _, parts in read if parts is not None)
    common = frozenset(common) | local
    indexed = []  # per file read, in order: (source, its file table entry)
    for path, st, parsed, parts in read:
        doc = parsed.doc
        if parsed.pieces is None:
            spans = corpus.split_passages(doc.text, params, common, parts)
            title = corpus.title_line(parts, spans)  # its words count for every passage, as a heading's do
            pieces = [formats.Piece(sp, None if title is None else f"{title}\n{doc.text[sp.char_start:sp.char_end]}")
                      for sp in spans]
        else:
            pieces = parsed.pieces
        file_no = len(indexed)
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
        indexed.append((doc.source, _file_entry(path, st, first=first, count=len(rows) - first, **extra)))
    del read

    name = f"seg-{uuid.uuid4().hex[:12]}"
    folder = index_dir / name
    folder.mkdir(parents=True)
    files.update((source, dict(entry, segment=name)) for source, entry in indexed)
    # blocks of at most MAX_BLOCK_PASSAGES passages, cut between files, analysed one after the other
    cuts = _part_cuts([entry["count"] for _, entry in indexed], MAX_BLOCK_PASSAGES)
    bounds = [_end_row(indexed, c) for c in cuts[:-1]] + [len(rows)]
    parts = [texts[a:b] for a, b in zip(bounds, bounds[1:])]
    texts.clear()
    blocks = []
    while parts:
        part = parts.pop(0)
        n = len(part)
        analysed = _segment_arrays(part)
        blocks.append((n, pack_postings(analysed, n), analysed))
        for k in ("terms", "indptr", "docs", "tfs", "maxtf"):
            del analysed[k]
    arrays = join_blocks([(n, packed) for n, packed, _ in blocks])
    arrays["lengths"] = np.concatenate([analysed["lengths"] for _, _, analysed in blocks])
    passages = np.asarray(rows, dtype=np.int64).reshape(-1, 5)
    arrays["passages"] = passages.astype(np.int32) if not passages.size or passages.max() < 2**31 else passages
    places = np.asarray(places, dtype=np.int32).reshape(-1, 2)
    # no sections and no pages, as in plain text: stored as nothing, read as such
    arrays["places"] = places if (places != (-1, 0)).any() else places[:0]
    arrays["stored"] = np.frombuffer(bytes(stored), dtype=np.uint8)
    for table in ("vocab", "stems"):
        arrays[f"{table}_keys"], arrays[f"{table}_df"] = merge_counts(
            [analysed[f"{table}_keys"] for _, _, analysed in blocks], [analysed[f"{table}_df"] for _, _, analysed in blocks])
    del blocks
    meta = {"name": name, "passages": len(rows), "sources": [source for source, _ in indexed], "deleted": None,
            "common_lines": sorted(local), "sections": list(sections),
            "arrays": {k: storage.write_array(folder, k, v) for k, v in arrays.items()}}
    return SegmentResult(name, meta, files, warnings)


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


# ---------------------------------------------------------------------------------------------------
# The postings as stored: what a term dictionary of tens of millions of rare bigrams costs least as.

MAX_BLOCK_PASSAGES = 1 << 16  # passage numbers in a block fit in 16 bits
_BUCKET_TERMS = 16  # dictionary terms a bucket of its high-bits table holds, on average


def pack_postings(csc: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The stored form of a block's postings (``terms``, ``indptr``, ``docs``, ``tfs``, ``maxtf``, as
    scikit-learn's CSC matrix has them) over ``n`` passages. Most hashed terms are bigrams found in
    one passage only, so:

    - ``docs``: first the postings of the terms in several passages (the ``is_multi`` ones, with
      ``indptr`` and ``maxtf``), term by term, then those of the terms in one: a single term's
      posting is the one at its rank among them;
    - term frequencies are 1 but at the positions ``tf_at``, where they are ``tf_of``.

    join_blocks turns the (sorted) ``terms`` into a dictionary."""
    terms, indptr, docs, tfs, maxtf = (csc[k] for k in ("terms", "indptr", "docs", "tfs", "maxtf"))
    df = np.diff(indptr.astype(np.int64))
    single = df == 1
    multi = ~single
    in_multi = np.repeat(multi, df)
    at_single = indptr[:-1][single]
    out = {"docs": np.concatenate([docs[in_multi], docs[at_single]])}
    tf = np.concatenate([tfs[in_multi], tfs[at_single]])
    del in_multi
    tf_at = np.flatnonzero(tf > 1)
    out["tf_at"] = tf_at.astype(np.uint32 if len(tf) < 2**32 else np.int64)
    out["tf_of"] = tf[tf_at]
    m_df = df[multi]
    out["indptr"] = np.zeros(len(m_df) + 1, dtype=np.uint32 if len(tf) < 2**32 else np.int64)
    np.cumsum(m_df, out=out["indptr"][1:])
    out["maxtf"] = maxtf[multi]
    out["terms"] = terms
    out["is_multi"] = multi
    return out


def join_blocks(blocks: list[tuple[int, dict]]) -> dict[str, np.ndarray]:
    """The stored arrays of a segment of several blocks (``(passages, pack_postings(...))`` each), so
    that one look-up serves them all: ``docs`` is every block's ``multi`` postings, then every
    block's ``single`` ones, passage numbers counted from the block's first passage; ``blocks`` is
    where each block's passages start; passages are 16-bit when the blocks allow; one dictionary
    holds every block's terms, a block after the
    other, each block's sorted: their low bits in ``terms_low``, a row of ``terms_start`` a block
    (all with the same number of buckets), a bit a term saying whether it is a multi one
    (``terms_multi``, 64 a word) and how many multi terms come before each word (``multi_before``):
    a term's rank among the multi (or the single) ones is its rank in their postings."""
    if not blocks:
        blocks = [(0, pack_postings({"terms": np.zeros(0, np.uint32), "indptr": np.zeros(1, np.uint32),
                                     "docs": np.zeros(0, np.uint32), "tfs": np.zeros(0, np.uint8),
                                     "maxtf": np.zeros(0, np.uint8)}, 0))]
    sizes = [n for n, _ in blocks]
    packed = [p for _, p in blocks]
    multi_n = [int(p["indptr"][-1]) for p in packed]
    single_n = [len(p["docs"]) - m for p, m in zip(packed, multi_n)]
    total = sum(multi_n) + sum(single_n)
    wide = np.uint32 if total < 2**32 else np.int64
    doc_type = np.uint16 if max(sizes) <= 1 << 16 else np.uint32
    out = {"docs": np.concatenate([p["docs"][:m].astype(doc_type) for p, m in zip(packed, multi_n)]
                                  + [p["docs"][m:].astype(doc_type) for p, m in zip(packed, multi_n)])}
    multi_at = np.cumsum([0] + multi_n)
    single_at = sum(multi_n) + np.cumsum([0] + single_n)
    tf_at, tf_of = [], []
    for part in ("multi", "single"):
        for i, (p, m) in enumerate(zip(packed, multi_n)):
            at = p["tf_at"].astype(np.int64)
            keep = at < m if part == "multi" else at >= m
            tf_at.append(at[keep] + (multi_at[i] if part == "multi" else single_at[i] - m))
            tf_of.append(p["tf_of"][keep])
    out["tf_at"] = np.concatenate(tf_at).astype(wide)
    out["tf_of"] = np.concatenate(tf_of).astype(np.uint8)
    out["indptr"] = np.concatenate([p["indptr"][:-1].astype(np.int64) + multi_at[i] for i, p in enumerate(packed)]
                                   + [[multi_at[-1]]]).astype(wide)
    out["maxtf"] = np.concatenate([p["maxtf"] for p in packed]).astype(np.uint8)
    # one dictionary, a row a block, and a bit a term saying whether it is a multi one (with the count
    # of multi terms before every 64 of them)
    h = _high_bits(max(len(p["terms"]) for p in packed))
    lows, starts, at = [], [], 0
    for p in packed:
        low, start = _dictionary(p["terms"], h)
        lows.append(low)
        starts.append(start.astype(np.int64) + at)
        at += len(p["terms"])
    out["terms_low"] = np.concatenate(lows)
    out["terms_start"] = np.stack(starts).astype(np.uint32 if at < 2**32 else np.int64)
    is_multi = np.concatenate([p["is_multi"] for p in packed] + [np.zeros(-at % 64, dtype=bool)])
    out["terms_multi"] = np.packbits(is_multi, bitorder="little").view("<u8")
    counts = is_multi.reshape(-1, 64).sum(axis=1, dtype=np.int64)
    out["multi_before"] = (np.cumsum(counts, dtype=np.int64) - counts).astype(np.uint32 if at < 2**32 else np.int64)
    out["blocks"] = np.cumsum([0] + sizes).astype(np.int64)
    return out


def merge_counts(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One table of sorted distinct keys and summed counts from several such tables."""
    if len(keys) == 1:
        return keys[0], counts[0]
    key = np.concatenate(keys) if keys else np.zeros(0, np.uint32)
    count = np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, np.int64)
    order = np.argsort(key, kind="stable")  # sorted runs: a merge
    key = key[order]
    first = np.empty(len(key), dtype=bool)
    first[:1] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    total = np.add.reduceat(count[order], starts) if len(starts) else count[:0]
    return key[starts], total.astype(np.uint32 if not len(total) or total.max() < 2**32 else np.uint64)


def _high_bits(n: int) -> int:
    """h for a dictionary of ``n`` terms: 2**h buckets of about _BUCKET_TERMS terms."""
    return max(0, n // _BUCKET_TERMS - 1).bit_length()


def _dictionary(keys: np.ndarray, h: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted 31-bit ``keys`` as (their low bits, where each value of their high bits starts): a table
    of 2**h + 1 positions for 2**h high-bit values (by default h = _high_bits(len(keys)))."""
    h = _high_bits(len(keys)) if h is None else h
    shift = 31 - h
    low = (keys & ((1 << shift) - 1)).astype(np.uint16 if shift <= 16 else np.uint32)
    start = np.searchsorted(keys >> shift, np.arange((1 << h) + 1, dtype=np.int64))
    return low, start.astype(np.uint32 if len(keys) < 2**32 else np.int64)


# ---------------------------------------------------------------------------------------------------
# The analysis of a segment, whole-segment and vectorized (see _segment_arrays).

# The bytes Python's ``\w`` matches in ASCII text: exactly [0-9A-Za-z_]
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", np.uint8)] = True
_IS_DIGIT = np.zeros(256, dtype=bool)
_IS_DIGIT[np.frombuffer(b"0123456789", np.uint8)] = True
_LOW_BYTES = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_PACKED = 4             # a string of up to 32 bytes is compared as four uint64; longer ones go through a dict
_PAD = 8 * _PACKED      # zero bytes after the last string of a buffer
_SHORT_STEM = 32        # bigrams of stems up to this many bytes are joined by numpy, longer ones in Python
_CHUNK = 1 << 20        # elements of the large arrays processed at a time (temporaries stay small)
_HASH_CHUNK = 1 << 18   # terms hashed at a time
_MIX = [np.uint64((0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019 * j) & (2**64 - 1)) for j in range(_PACKED)]


class _Recorder:
    """A tokenizer that records the folded words it is given."""

    def __init__(self) -> None:
        self.words: list[str] = []

    def __call__(self, text: str) -> list[str]:
        words = analysis.words(text)
        self.words.extend(words)
        return analysis.stems(words)


@lru_cache(maxsize=1)
def _stop_word_check_words() -> list[str]:
    """The words scikit-learn tokenizes when it builds the analyzer, to check the stop list against it.

    A tokenizer recording every call (the build before this one) counted them in the spelling
    tables, before any passage: so they are counted here too, in scikit-learn's order. (Building
    the analyzer takes about 0.4 s: once a process, not once a block.)"""
    from sklearn.feature_extraction.text import HashingVectorizer

    recorder = _Recorder()
    kwargs = analysis.sklearn_params()
    kwargs["tokenizer"] = recorder
    HashingVectorizer(n_features=n_features(HASH_BITS), alternate_sign=False, norm=None, dtype=np.float32,
                      **kwargs).build_analyzer()
    return recorder.words


def _hash_terms(terms: list) -> np.ndarray:
    """HashingVectorizer's column for each term (str or UTF-8 bytes).

    scikit-learn's MurmurHash3 (sklearn.utils.murmurhash3_32, the hash its FeatureHasher calls),
    then FeatureHasher's rule (sklearn/feature_extraction/_hashing_fast.pyx): abs(h) % n_features,
    and 2**31 - 1 - (n_features - 1) for the one hash whose abs overflows."""
    from sklearn.utils import murmurhash3_32

    return hash_columns(np.fromiter(map(murmurhash3_32, terms), dtype=np.int64, count=len(terms)), n_features(HASH_BITS))


def _offsets(lengths: np.ndarray, gap: int) -> np.ndarray:
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1] + gap, out=starts[1:])
    return starts


def _ascii_buffer(texts: list[str], head: str):
    """The folded text of every passage that folds to ASCII, in one buffer.

    Returns (buffer, the start of each passage in it, their passage ids, [(passage id, folded text)]
    of the other passages). ``head`` comes first, as passage -1. Passages are separated by "\\n" and
    the buffer ends with _PAD zero bytes."""
    raw_ids, raw = [-1], [head]
    pre_ids, pre = [], []
    other = []
    for pid, text in enumerate(texts):
        if text.isascii():
            raw_ids.append(pid)
            raw.append(text)
        else:
            folded = analysis.fold_many(text)
            if folded.isascii():
                pre_ids.append(pid)
                pre.append(folded)
            else:
                other.append((pid, folded))
    # analysis.fold of ASCII text is its lower case without digit group commas (the other steps touch
    # only non-ASCII characters), done here on the passages joined by "\n", which neither step crosses
    starts = _offsets(np.fromiter(map(len, raw), dtype=np.int64, count=len(raw)), 1)
    raw.append("\0" * _PAD)  # the padding, after one more "\n"
    buf = np.frombuffer("\n".join(raw).encode("ascii").lower(), dtype=np.uint8)
    del raw
    commas = np.flatnonzero(buf == 44)
    if len(commas):
        # _DIGIT_GROUP's comma: a digit before it, three after it, then no digit
        # (the buffer ends with _PAD zero bytes: the positions after a comma are all in it; one before
        # the first byte is clipped to the comma itself, not a digit)
        digits = _IS_DIGIT[buf[np.maximum(commas[:, None] + np.arange(-1, 5), 0)]]
        gone = commas[digits[:, 0] & digits[:, 2] & digits[:, 3] & digits[:, 4] & ~digits[:, 5]]
        if len(gone):
            keep = np.ones(len(buf), dtype=bool)
            keep[gone] = False
            buf = buf[keep]
            del keep
            starts -= np.searchsorted(gone, starts)
    if pre:
        at = len(buf) - _PAD  # after the "\n" that ends the plain ASCII passages
        starts = np.concatenate([starts, at + _offsets(np.fromiter(map(len, pre), np.int64, len(pre)), 1)])
        pre.append("\0" * _PAD)
        buf = np.concatenate([buf[:at], np.frombuffer("\n".join(pre).encode("ascii"), dtype=np.uint8)])
    return buf, starts, np.asarray(raw_ids + pre_ids, dtype=np.int32), other


def _index_dtype(n: int):
    return np.int32 if n < 2**31 else np.int64


def _words_of_buffer(buf: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of every run of two or more word bytes: ``\\w\\w+`` on ASCII text.

    ``cuts``: sorted positions no word spans (passage starts), where the buffer may be cut in pieces."""
    at = np.searchsorted(cuts, np.arange(_CHUNK * 8, len(buf), _CHUNK * 8))
    where = np.unique(np.concatenate([[0], cuts[at[at < len(cuts)]], [len(buf)]]))
    starts, lens = [], []
    dtype = _index_dtype(len(buf))
    for lo, hi in zip(where[:-1].tolist(), where[1:].tolist()):
        isw = np.zeros(hi - lo + 2, dtype=bool)
        isw[1:-1] = _WORD_BYTE[buf[lo:hi]]
        edges = np.flatnonzero(isw[1:] != isw[:-1])
        del isw
        s, n = edges[0::2], edges[1::2] - edges[0::2]
        keep = n >= 2
        starts.append((s[keep] + lo).astype(dtype))
        lens.append(n[keep].astype(dtype))
    return np.concatenate(starts), np.concatenate(lens)


def _packed_keys(windows: np.ndarray, starts: np.ndarray, lens: np.ndarray, width: int):
    """Bytes 8j to 8j + 7 of each string (zeros past its end) as little-endian uint64, for j < ``width``.

    Yields (j, which strings, their key): for j > 0 only the strings longer than 8j bytes (the key
    of the others is 0)."""
    yield 0, slice(None), windows[starts] & _LOW_BYTES[np.minimum(lens, 8)]
    for j in range(1, width):
        which = np.flatnonzero(lens > 8 * j)
        yield j, which, windows[starts[which] + 8 * j] & _LOW_BYTES[np.minimum(lens[which] - 8 * j, 8)]


def _distinct(buf: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """One id for each string buf[start:start + len], equal strings sharing it: (ids, distinct strings).

    Each string is packed into up to _PACKED uint64; a mix of them is sorted with the string's
    position in its low bits (one np.sort, much faster than an argsort), and every string is then
    compared with the first one of its group: a collision of the mix costs a dict look-up, never a
    wrong id. ``buf`` ends with _PAD zero bytes."""
    n = len(starts)
    if n == 0:
        return np.zeros(0, np.int32), []
    windows = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    width = (int(min(lens.max(), _PAD)) + 7) // 8
    mixed = np.empty(n, dtype=np.uint64)
    for lo in range(0, n, _CHUNK):
        s, w = starts[lo:lo + _CHUNK], lens[lo:lo + _CHUNK]
        m = w.astype(np.uint64)
        for j, which, key in _packed_keys(windows, s, w, width):
            key *= _MIX[j]
            part = m[which] ^ key
            part ^= part >> np.uint64(29)
            m[which] = part
        m *= np.uint64(0xBF58476D1CE4E5B9)
        m ^= m >> np.uint64(32)
        mixed[lo:lo + _CHUNK] = m
    del m, part, key
    shift = np.uint64(max(1, n.bit_length()))
    mixed >>= shift
    mixed <<= shift
    for lo in range(0, n, _CHUNK):
        mixed[lo:lo + _CHUNK] |= np.arange(lo, min(n, lo + _CHUNK), dtype=np.uint64)
    mixed.sort()
    dtype = _index_dtype(n)
    order = np.empty(n, dtype=dtype)
    low = np.uint64((1 << int(shift)) - 1)
    for lo in range(0, n, _CHUNK):
        order[lo:lo + _CHUNK] = mixed[lo:lo + _CHUNK] & low
    mixed >>= shift
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(mixed[1:], mixed[:-1], out=new[1:])
    del mixed
    ids = np.empty(n, dtype=dtype)
    ids[order] = np.cumsum(new, dtype=dtype) - 1
    first = order[new]  # the first string of each group
    del order, new
    fs, fl = starts[first], lens[first]
    fkeys = [np.zeros(len(first), np.uint64) for _ in range(width)]
    for j, which, key in _packed_keys(windows, fs, fl, width):
        fkeys[j][which] = key
    odd = []
    for lo in range(0, n, _CHUNK):
        s, w, g = starts[lo:lo + _CHUNK], lens[lo:lo + _CHUNK], ids[lo:lo + _CHUNK]
        same = (w <= _PAD) & (fl[g] == w)  # (equal lengths: the keys past the end are zero on both sides)
        for j, which, key in _packed_keys(windows, s, w, width):
            same[which] &= key == fkeys[j][g[which]]
        odd.append(np.flatnonzero(~same) + lo)
    odd = np.concatenate(odd)
    distinct = np.stack(fkeys, axis=1).astype("<u8").view(f"S{8 * width}").ravel().tolist()
    del fkeys
    # strings longer than _PAD bytes (or, never here, ending in a zero byte) are taken whole
    for g in np.flatnonzero(np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct)) != fl).tolist():
        distinct[g] = buf[fs[g]:fs[g] + fl[g]].tobytes()
    if len(odd):
        index = {w: g for g, w in enumerate(distinct)}
        for i in odd.tolist():
            word = buf[starts[i]:starts[i] + lens[i]].tobytes()
            g = index.get(word)
            if g is None:
                g = index[word] = len(distinct)
                distinct.append(word)
            ids[i] = g
    return ids, distinct


def _distinct_of_list(strings: list[bytes]) -> tuple[np.ndarray, list[bytes]]:
    """_distinct over a list of byte strings."""
    lens = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    buf = np.frombuffer(b"".join(strings) + bytes(_PAD), dtype=np.uint8)
    return _distinct(buf, _offsets(lens, 0), lens)


def _segment_words(texts: list[str], head: str):
    """Every word of the passages (``analysis.words``), in text order, as ids of distinct words.

    Returns (passage id of each word, word ids, the distinct words as UTF-8); ``head``'s words come
    first, with passage id -1."""
    buf, starts, order, other = _ascii_buffer(texts, head)
    wstarts, wlens = _words_of_buffer(buf, starts)
    ids, distinct = _distinct(buf, wstarts, wlens)
    del buf, wlens
    pids = np.repeat(order, np.diff(np.searchsorted(wstarts, starts), append=len(wstarts)))
    del wstarts, order
    if other:
        # passages that stay non-ASCII once folded: their words by the analyzer's own regex
        found = [analysis._TOKEN.findall(folded) for _, folded in other]
        more_pids = np.repeat(np.asarray([pid for pid, _ in other], dtype=pids.dtype),
                              np.fromiter(map(len, found), dtype=np.int64, count=len(found)))
        found = list(chain.from_iterable(found))
        index = {w: i for i, w in enumerate(distinct)}
        number = {}
        for w in dict.fromkeys(found):
            b = w.encode("utf-8")
            i = index.get(b)
            if i is None:
                i = index[b] = len(distinct)
                distinct.append(b)
            number[w] = i
        del index
        more_ids = np.fromiter(map(number.__getitem__, found), dtype=ids.dtype, count=len(found))
        del found, number
        ids = np.concatenate([ids, more_ids])
        pids = np.concatenate([pids, more_pids])
    if len(pids) > 1 and (pids[1:] < pids[:-1]).any():
        # runs in passage order (plain ASCII, folded to ASCII, the others): a stable sort merges them
        perm = np.argsort(pids, kind="stable")
        pids, ids = pids[perm], ids[perm]
    return pids, ids, distinct


def _unique_inverse(keys: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_inverse=True) of non-negative int64 ``keys`` below ``limit`` (overwritten)."""
    n = len(keys)
    shift = max(1, n.bit_length())
    if n == 0 or int(limit).bit_length() + shift > 63:
        uniq = np.unique(keys)
        return uniq, np.searchsorted(uniq, keys).astype(_index_dtype(len(uniq)))
    keys <<= shift  # the position in the low bits: one np.sort, no argsort
    for lo in range(0, n, _CHUNK):
        keys[lo:lo + _CHUNK] |= np.arange(lo, min(n, lo + _CHUNK), dtype=np.int64)
    keys.sort()
    dtype = _index_dtype(n)
    order = np.empty(n, dtype=dtype)
    for lo in range(0, n, _CHUNK):
        order[lo:lo + _CHUNK] = keys[lo:lo + _CHUNK] & ((1 << shift) - 1)
    keys >>= shift
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    uniq = keys[new]
    inv = np.empty(n, dtype=dtype)
    inv[order] = np.cumsum(new, dtype=dtype) - 1
    return uniq, inv


def _bigram_terms(stems: list[bytes], left: np.ndarray, right: np.ndarray):
    """b"left right" for each pair of stem ids, a chunk at a time."""
    short = np.fromiter(map(len, stems), dtype=np.int64, count=len(stems)) <= _SHORT_STEM
    clipped = [s if len(s) <= _SHORT_STEM else b"" for s in stems]
    width = max(map(len, clipped), default=0) + 1
    heads = np.array([s + b" " for s in clipped], dtype=f"S{width}")
    tails = np.array(clipped, dtype=f"S{width}")
    del clipped
    for at in range(0, len(left), _HASH_CHUNK):
        a, b = left[at:at + _HASH_CHUNK], right[at:at + _HASH_CHUNK]
        terms = np.strings.add(heads[a], tails[b]).tolist()
        for i in np.flatnonzero(~(short[a] & short[b])).tolist():
            terms[i] = stems[a[i]] + b" " + stems[b[i]]
        yield terms


def _argsort(values: np.ndarray, limit: int) -> np.ndarray:
    """np.argsort(values, kind="stable") of non-negative integers below ``limit``, by one np.sort when
    value and position fit in 63 bits."""
    n = len(values)
    shift = max(1, n.bit_length())
    if int(limit).bit_length() + shift > 63:
        return np.argsort(values, kind="stable")
    packed = values.astype(np.int64) << shift
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << shift) - 1
    return packed


def _table(strings: list[bytes], counts: np.ndarray, first: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """CRC-32 keys of ``strings``, sorted, with their counts; equal keys in order of ``first`` occurrence
    (below ``limit``), as they come out of a Counter."""
    keys = np.fromiter(map(zlib.crc32, strings), dtype=np.uint32, count=len(strings))
    by_first = _argsort(first, limit)
    keys, counts = keys[by_first], counts[by_first]
    order = _argsort(keys, 1 << 32)
    return keys[order], counts.astype(np.uint32)[order]


def _segment_arrays(texts: list[str]) -> dict[str, np.ndarray]:
    """Postings (terms, indptr, docs, tfs, maxtf), lengths and spelling tables of the passages ``texts``.

    Exactly what ``HashingVectorizer(n_features=2**31 - 1, alternate_sign=False, norm=None,
    dtype=float32, **analysis.sklearn_params()).transform(texts)`` counts, laid out term -> passages,
    and exactly the spelling tables a tokenizer recording each of its calls counts (occurrences of
    each folded word and stem, including the stop words scikit-learn tokenizes when it checks its
    stop list). tests/test_build_fast.py compares the two array for array, on real and generated
    text. It stays equal because every step is the analyzer's own, done once per segment:

    - folding: analysis.fold per non-ASCII passage (fold_many, the same string); for ASCII text fold
      is lower case and digit-group commas out, done here on all ASCII passages joined by "\\n";
    - words: ``\\w\\w+`` is, on ASCII bytes, a run of two or more of [0-9A-Za-z_], found with numpy
      (the analyzer's own regex for passages still non-ASCII once folded);
    - stems: analysis.stems_utf8 (analysis.stems on UTF-8 bytes) of each distinct word, once;
    - stop words out, then unigrams and the bigrams of neighbours within a passage, as in
      scikit-learn's ``_word_ngrams``; counted per passage with one sort of (column, passage) pairs;
    - columns: each distinct unigram and bigram hashed once by scikit-learn's MurmurHash3 with
      FeatureHasher's column rule (_hash_terms).

    Empties ``texts`` once it has read them (the memory is better used by what follows)."""
    n = len(texts)
    # (scikit-learn only builds its analyzer, and checks the stop list, for at least one passage)
    pids, ids, words = _segment_words(texts, "\n".join(_stop_word_check_words()) if texts else "")
    texts.clear()
    nwords, ntokens = len(words), len(ids)
    # spelling tables: occurrences of each folded word and of each stem
    counts = np.bincount(ids, minlength=nwords)
    first = np.full(nwords, ntokens, dtype=np.int64)
    for lo in range(0, ntokens, _CHUNK):
        np.minimum.at(first, ids[lo:lo + _CHUNK], np.arange(lo, min(ntokens, lo + _CHUNK), dtype=np.int64))
    arrays = {}
    arrays["vocab_keys"], arrays["vocab_df"] = _table(words, counts, first, ntokens + 1)
    sid, stems = _distinct_of_list(analysis.stems_utf8(words))
    del words
    nstems = len(stems)
    stem_first = np.full(nstems, ntokens, dtype=np.int64)
    np.minimum.at(stem_first, sid, first)
    arrays["stems_keys"], arrays["stems_df"] = _table(stems, np.bincount(sid, weights=counts, minlength=nstems),
                                                      stem_first, ntokens + 1)
    del stem_first, first, counts
    # the analyzer: stop words out, then unigrams and the bigrams of neighbours in a passage
    stop = np.fromiter((s in analysis._STOP_WORDS_UTF8 for s in stems), dtype=bool, count=nstems)
    tokens = sid[ids]
    del ids, sid
    keep = ~stop[tokens]
    keep &= pids >= 0
    kept, kept_pids = tokens[keep], pids[keep]
    del tokens, pids, keep
    unigram = np.full(nstems, -1, dtype=np.int64)
    used = np.flatnonzero(~stop)
    unigram[used] = _hash_terms([stems[i] for i in used.tolist()])
    pair = kept_pids[1:] == kept_pids[:-1]
    pair_keys = kept[:-1][pair].astype(np.int64)
    pair_keys *= nstems
    pair_keys += kept[1:][pair]
    pair_pids = kept_pids[1:][pair]
    del pair
    distinct_pairs, pair_ids = _unique_inverse(pair_keys, nstems * nstems)
    del pair_keys
    bigram = np.concatenate([np.zeros(0, np.int64)] + [
        _hash_terms(terms) for terms in _bigram_terms(stems, *np.divmod(distinct_pairs, nstems))])
    del distinct_pairs
    lengths = (np.bincount(kept_pids, minlength=n) + np.bincount(pair_pids, minlength=n)).astype(np.float32)
    # postings: one entry (column * n + passage) per occurrence, sorted; equal entries are counted
    entries = np.empty(len(kept) + len(pair_ids), dtype=np.int64)
    for part, column_of, ids, owners in ((entries[:len(kept)], unigram, kept, kept_pids),
                                         (entries[len(kept):], bigram, pair_ids, pair_pids)):
        np.take(column_of, ids, out=part)
        part *= n
        part += owners
    del kept, kept_pids, pair_ids, pair_pids, unigram, bigram, part, ids, owners
    entries.sort()
    arrays.update(_postings_of_entries(entries, n))
    arrays["lengths"] = lengths
    return arrays


def _postings_of_entries(entries: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Term -> passages arrays from sorted ``column * n + passage`` entries (one per occurrence).

    Frees ``entries`` (resized to nothing) once read."""
    m = len(entries)
    new = np.empty(m, dtype=bool)
    if m:
        new[0] = True
        np.not_equal(entries[1:], entries[:-1], out=new[1:])
    nnz = int(np.count_nonzero(new))
    columns = np.empty(nnz, dtype=np.uint32)
    docs = np.empty(nnz, dtype=np.uint32)
    tfs = np.empty(nnz, dtype=np.uint8)
    at, last = 0, None  # entries written so far; where the last run seen starts
    for lo in range(0, m, _CHUNK):
        starts = np.flatnonzero(new[lo:lo + _CHUNK]) + lo
        if not len(starts):
            continue
        if last is not None:
            tfs[at - 1] = min(starts[0] - last, 255)
        k = len(starts)
        tfs[at:at + k - 1] = np.minimum(np.diff(starts), 255)
        columns[at:at + k], docs[at:at + k] = np.divmod(entries[starts], n)
        at, last = at + k, starts[-1]
    if last is not None:
        tfs[at - 1] = min(m - last, 255)
    del new
    entries.resize(0, refcheck=False)
    head = np.empty(nnz, dtype=bool)
    if nnz:
        head[0] = True
        np.not_equal(columns[1:], columns[:-1], out=head[1:])
    heads = np.flatnonzero(head)
    del head
    maxtf = np.maximum.reduceat(tfs, heads) if nnz else np.zeros(0, np.uint8)
    indptr = np.empty(len(heads) + 1, dtype=np.uint32 if nnz < 2**32 else np.int64)
    indptr[:-1] = heads
    indptr[-1] = nnz
    return {"terms": columns[heads], "indptr": indptr, "docs": docs, "tfs": tfs, "maxtf": maxtf}


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
    if total_bytes < 16 << 20:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))
