"""The analyzer of analysis.py run on a whole block of passages at once with numpy, to the same terms and counts.

segment_arrays computes exactly the terms of scikit-learn's HashingVectorizer with
analysis.sklearn_params() for a whole block at once (each distinct word stemmed and
each distinct term hashed once, the rest on numpy arrays); its docstring says how
that stays equal, and tests/test_build_fast.py proves it.
"""
from __future__ import annotations

import zlib
from functools import lru_cache
from itertools import chain

import numpy as np

from . import analysis
from .arrays import stable_sort
from .hashing import HASH_BITS, hash_columns, n_features
from .segment import WORK_CHUNK, postings_of_entries

# The bytes Python's ``\w`` matches in ASCII text: exactly [0-9A-Za-z_]
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", np.uint8)] = True
_IS_DIGIT = np.zeros(256, dtype=bool)
_IS_DIGIT[np.frombuffer(b"0123456789", np.uint8)] = True
_LOW_BYTES = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_PACKED = 4             # a string of up to 32 bytes is compared as four uint64; longer ones go through a dict
_PAD = 8 * _PACKED      # zero bytes after the last string of a buffer
_SHORT_STEM = 32        # bigrams of stems up to this many bytes are joined by numpy, longer ones in Python
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
    at = np.searchsorted(cuts, np.arange(WORK_CHUNK * 8, len(buf), WORK_CHUNK * 8))
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
    ids, first = _groups(_mixed_keys(windows, starts, lens, width))
    fs, fl = starts[first], lens[first]
    fkeys = [np.zeros(len(first), np.uint64) for _ in range(width)]
    for j, which, key in _packed_keys(windows, fs, fl, width):
        fkeys[j][which] = key
    odd = _not_as_first(windows, starts, lens, ids, fl, fkeys)
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


def _mixed_keys(windows: np.ndarray, starts: np.ndarray, lens: np.ndarray, width: int) -> np.ndarray:
    """A 64-bit mix of each string's length and packed bytes (equal strings, equal mixes)."""
    n = len(starts)
    mixed = np.empty(n, dtype=np.uint64)
    for lo in range(0, n, WORK_CHUNK):
        s, w = starts[lo:lo + WORK_CHUNK], lens[lo:lo + WORK_CHUNK]
        m = w.astype(np.uint64)
        for j, which, key in _packed_keys(windows, s, w, width):
            key *= _MIX[j]
            part = m[which] ^ key
            part ^= part >> np.uint64(29)
            m[which] = part
        m *= np.uint64(0xBF58476D1CE4E5B9)
        m ^= m >> np.uint64(32)
        mixed[lo:lo + WORK_CHUNK] = m
    return mixed


def _groups(mixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a group id for each of the mixes, equal high bits sharing it; the position of each group's
    first), by one sort of the mixes with their positions in their low bits (``mixed`` overwritten)."""
    n = len(mixed)
    shift = np.uint64(max(1, n.bit_length()))
    mixed >>= shift
    mixed <<= shift
    for lo in range(0, n, WORK_CHUNK):
        mixed[lo:lo + WORK_CHUNK] |= np.arange(lo, min(n, lo + WORK_CHUNK), dtype=np.uint64)
    mixed.sort()
    dtype = _index_dtype(n)
    order = np.empty(n, dtype=dtype)
    low = np.uint64((1 << int(shift)) - 1)
    for lo in range(0, n, WORK_CHUNK):
        order[lo:lo + WORK_CHUNK] = mixed[lo:lo + WORK_CHUNK] & low
    mixed >>= shift
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(mixed[1:], mixed[:-1], out=new[1:])
    ids = np.empty(n, dtype=dtype)
    ids[order] = np.cumsum(new, dtype=dtype) - 1
    return ids, order[new]


def _not_as_first(windows: np.ndarray, starts: np.ndarray, lens: np.ndarray, ids: np.ndarray,
                  first_lens: np.ndarray, first_keys: list[np.ndarray]) -> np.ndarray:
    """The strings that differ from the first of their group (``first_lens``, ``first_keys``), or
    are longer than _PAD bytes."""
    odd = []
    for lo in range(0, len(starts), WORK_CHUNK):
        s, w, g = starts[lo:lo + WORK_CHUNK], lens[lo:lo + WORK_CHUNK], ids[lo:lo + WORK_CHUNK]
        same = (w <= _PAD) & (first_lens[g] == w)  # (equal lengths: the keys past the end are zero on both sides)
        for j, which, key in _packed_keys(windows, s, w, len(first_keys)):
            same[which] &= key == first_keys[j][g[which]]
        odd.append(np.flatnonzero(~same) + lo)
    return np.concatenate(odd)


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
        found = [analysis.TOKEN.findall(folded) for _, folded in other]
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
    for lo in range(0, n, WORK_CHUNK):
        keys[lo:lo + WORK_CHUNK] |= np.arange(lo, min(n, lo + WORK_CHUNK), dtype=np.int64)
    keys.sort()
    dtype = _index_dtype(n)
    order = np.empty(n, dtype=dtype)
    for lo in range(0, n, WORK_CHUNK):
        order[lo:lo + WORK_CHUNK] = keys[lo:lo + WORK_CHUNK] & ((1 << shift) - 1)
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


def _table(strings: list[bytes], counts: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CRC-32 keys of ``strings``, sorted, with their counts; equal keys in order of ``first``
    occurrence, as they come out of a Counter."""
    keys = np.fromiter(map(zlib.crc32, strings), dtype=np.uint32, count=len(strings))
    _, by_first = stable_sort(first.astype(np.int64, copy=False))
    keys, counts = keys[by_first], counts[by_first]
    _, order = stable_sort(keys.astype(np.int64))
    return keys[order], counts.astype(np.uint32)[order]


def segment_arrays(texts: list[str]) -> dict[str, np.ndarray]:
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
    arrays, sid, stems = _spelling_tables(ids, words)
    del words
    nstems = len(stems)
    # the analyzer: stop words out, then unigrams and the bigrams of neighbours in a passage
    stop = np.fromiter((s in analysis.STOP_WORDS_UTF8 for s in stems), dtype=bool, count=nstems)
    tokens = sid[ids]
    del ids, sid
    keep = ~stop[tokens]
    keep &= pids >= 0
    kept, kept_pids = tokens[keep], pids[keep]
    del tokens, pids, keep
    unigram = np.full(nstems, -1, dtype=np.int64)
    used = np.flatnonzero(~stop)
    unigram[used] = _hash_terms([stems[i] for i in used.tolist()])
    bigram, pair_ids, pair_pids = _bigrams(kept, kept_pids, stems)
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
    arrays.update(postings_of_entries(entries, n))
    arrays["lengths"] = lengths
    return arrays


def _spelling_tables(ids: np.ndarray, words: list[bytes]) -> tuple[dict[str, np.ndarray], np.ndarray, list[bytes]]:
    """The occurrences of each folded word and of each stem (``vocab_*`` and ``stems_*`` arrays) of the
    word ``ids`` (into ``words``), with each word's stem id and the distinct stems."""
    nwords, ntokens = len(words), len(ids)
    counts = np.bincount(ids, minlength=nwords)
    first = np.full(nwords, ntokens, dtype=np.int64)
    for lo in range(0, ntokens, WORK_CHUNK):
        np.minimum.at(first, ids[lo:lo + WORK_CHUNK], np.arange(lo, min(ntokens, lo + WORK_CHUNK), dtype=np.int64))
    arrays = {}
    arrays["vocab_keys"], arrays["vocab_df"] = _table(words, counts, first)
    sid, stems = _distinct_of_list(analysis.stems_utf8(words))
    nstems = len(stems)
    stem_first = np.full(nstems, ntokens, dtype=np.int64)
    np.minimum.at(stem_first, sid, first)
    arrays["stems_keys"], arrays["stems_df"] = _table(stems, np.bincount(sid, weights=counts, minlength=nstems),
                                                      stem_first)
    return arrays, sid, stems


def _bigrams(kept: np.ndarray, kept_pids: np.ndarray, stems: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the column of each distinct bigram, the bigram of each pair of neighbours, the pair's passage)
    of the stem ids ``kept`` (stop words out) of passages ``kept_pids``."""
    nstems = len(stems)
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
    return bigram, pair_ids, pair_pids


