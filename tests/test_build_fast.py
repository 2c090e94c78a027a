"""The build's whole-segment analysis writes exactly what scikit-learn's HashingVectorizer gives.

The reference below is the build as it was before the fast path: HashingVectorizer.transform
over the passages, with a tokenizer that records every call for the spelling tables (so it also
counts the words scikit-learn tokenizes to check the stop list), and the counts laid out term ->
passages. The fast path (qa.analysis_fast.segment_arrays) must give the same arrays, dtype, shape and
value: same hashed columns, same counts, same passage lengths, same vocab/stems tables.
"""
from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from qa import analysis, analysis_fast, build, corpus, formats, segment, storage
from qa.hashing import n_features

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
COLLECTIONS = Path(os.environ.get("QA_COLLECTIONS", REPO.parent / "shared" / "bench" / "collections"))


class _RecordingTokenizer:
    def __init__(self) -> None:
        self.document_frequency: Counter[str] = Counter()
        self.stem_frequency: Counter[str] = Counter()

    def __call__(self, text: str) -> list[str]:
        words = analysis.words(text)
        stems = analysis.stems(words)
        self.document_frequency.update(words)
        self.stem_frequency.update(stems)
        return stems


def _vocabulary(counts: Counter) -> tuple[np.ndarray, np.ndarray]:
    import zlib
    words = list(counts)
    keys = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words))
    df = np.fromiter((counts[w] for w in words), dtype=np.uint32, count=len(words))
    order = np.argsort(keys, kind="stable")
    return keys[order], df[order]


def _postings(counts, n: int) -> dict[str, np.ndarray]:
    if counts is None:
        counts = sp.csr_matrix((n, 1), dtype=np.float32)
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


def reference_arrays(texts: list[str]) -> dict[str, np.ndarray]:
    """What the build wrote before the fast path, by HashingVectorizer."""
    tokenizer = _RecordingTokenizer()
    kwargs = analysis.sklearn_params()
    kwargs["tokenizer"] = tokenizer
    vectorizer = HashingVectorizer(n_features=n_features(build.HASH_BITS), alternate_sign=False, norm=None,
                                   dtype=np.float32, **kwargs)
    counts = vectorizer.transform(texts).tocsr() if texts else None
    arrays = _postings(counts, len(texts))
    for table, c in (("vocab", tokenizer.document_frequency), ("stems", tokenizer.stem_frequency)):
        arrays[f"{table}_keys"], arrays[f"{table}_df"] = _vocabulary(c)
    return arrays


def assert_same(texts: list[str]) -> None:
    expected = reference_arrays(texts)
    got = analysis_fast.segment_arrays(list(texts))
    assert sorted(got) == sorted(expected)
    for name, want in expected.items():
        have = got[name]
        assert have.dtype == want.dtype, name
        assert have.shape == want.shape, name
        assert np.array_equal(have, want), name


def _passages(root: Path, limit: int | None = None) -> list[str]:
    params = corpus.Params()
    texts = []
    for path in corpus.list_files(root)[:limit]:
        try:
            doc = formats.read(root, path, params).doc
        except Exception:
            continue
        parts = corpus.units(doc.text)
        spans = corpus.split_passages(doc.text, params, frozenset(), parts)
        title = corpus.title_line(parts, spans)
        texts += [doc.text[s.char_start:s.char_end] if title is None else f"{title}\n{doc.text[s.char_start:s.char_end]}"
                  for s in spans]
    return texts


def test_seed_corpus_equals_hashing_vectorizer():
    texts = _passages(SEEDS)
    assert len(texts) > 20
    assert_same(texts)


@pytest.mark.parametrize("name", ["cranfield", "time", "med", "cisi", "npl"])
def test_real_collections_equal_hashing_vectorizer(name):
    path = COLLECTIONS / name / "corpus.jsonl"
    if not path.is_file():
        pytest.skip(f"no {path}")
    with open(path) as f:
        docs = [json.loads(line) for _, line in zip(range(1500), f)]
    assert_same([f"{d.get('title') or ''}\n{d['text']}".strip() for d in docs])


def test_build_segment_writes_the_reference_arrays(tmp_path, monkeypatch):
    """The arrays on disk of a segment built from the seeds are the reference's for its passages, the
    postings in their stored form (tests/test_postings_format.py reads that back)."""
    seen = {}
    fast = analysis_fast.segment_arrays

    def spy(texts):
        seen["texts"] = list(texts)
        return fast(texts)
    monkeypatch.setattr(build, "segment_arrays", spy)
    result = build.build_segment(SEEDS, corpus.list_files(SEEDS), tmp_path, corpus.Params(), frozenset())
    folder = tmp_path / result.meta["name"]
    n = result.meta["passages"]
    assert n == len(seen["texts"]) > 20
    expected = reference_arrays(seen["texts"])
    packed = segment.join_blocks([(n, segment.pack_postings(expected, n))])
    expected.update(packed)
    for name in list(packed) + ["lengths", "vocab_keys", "vocab_df", "stems_keys", "stems_df"]:
        want = expected[name]
        have = storage.read_array(folder, result.meta["arrays"][name], verify=True)
        assert have.dtype == want.dtype and np.array_equal(have, want), name
    assert list(result.meta["arrays"]) == ["docs", "tf_at", "tf_of", "indptr", "maxtf", "terms_low", "terms_start",
                                           "terms_multi", "multi_before", "blocks", "lengths", "passages", "places", "stored",
                                           "vocab_keys", "vocab_df", "stems_keys", "stems_df"]
    assert result.meta["arrays"]["docs"]["dtype"] == "uint16"
    assert result.meta["arrays"]["passages"]["dtype"] == "int32"
    assert result.meta["arrays"]["places"]["shape"] == [0, 2]  # plain text: no sections, no pages


def test_synthetic_scale_corpus_equals_hashing_vectorizer():
    root = REPO / "benchmarks" / "out" / "scale" / "10k" / "corpus"
    if not root.is_dir():
        pytest.skip("no benchmark corpus (python benchmarks/scale.py --sizes 10k writes it)")
    assert_same(_passages(root, 3))


def test_empty_and_wordless_segments():
    assert_same([])
    assert_same([""])
    assert_same(["", "a", "...", "I, a", "the of and"])


def test_edge_cases():
    long_word = "x" * 5000
    assert_same([
        "1,000,000 people; 12,345.67 and 1,2345 and ,123 and 1,23 and 9,999th",
        "Café naïve Ærø Straße ΣΊΣΥΦΟΣ ΟΔΥΣΣΕΥΣ ﬁne ½ ™ Ⅻ “quoted” — dash",
        f"{long_word} {long_word}y {long_word} and {long_word[:31]} {long_word[:32]} {long_word[:33]}",
        "running runs ran said told U.S. the THE The",
        "x\u0301yz e\u0301 \u00e9 \U0001F600 日本語の文章 中文 한국어",
        "a_b __init__ snake_case 123 4567 0x1F",
        "said said said said the the",  # repeated words: term frequency above one
        "word " * 300,  # tf above 255 is clipped to 255 in tfs, not in lengths
        "mixed\u00adsoft\u00a0space",
        "Café: 1,000 people, 2,500,000 euros and 3,14 ; naïve 12,345th",  # folds to ASCII, digit groups folded
        "",
        "only the and of",
    ])


def test_many_passages_of_random_words():
    rng = random.Random(5)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    vocab += sorted(analysis.STOP_WORDS) + ["Über", "naïve", "ΣΊΣΥΦΟΣ", "1,000", "x" * 100]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 120))) for _ in range(400)]
    assert_same(texts)


def test_chunked_paths(monkeypatch):
    """The pieces the large arrays are processed in do not change anything."""
    monkeypatch.setattr(analysis_fast, "WORK_CHUNK", 7)
    monkeypatch.setattr(segment, "WORK_CHUNK", 7)  # the postings written from the analyzer's entries
    monkeypatch.setattr(analysis_fast, "_HASH_CHUNK", 5)
    texts = _passages(SEEDS, 3)[:40] + ["1,000 and 2,000,000 " * 3, "Ærø ß " * 4]
    assert_same(texts)


def test_hash_collisions_in_the_word_ids(monkeypatch):
    """A collision of the mixed key only sends words to the dict: ids stay exact."""
    monkeypatch.setattr(analysis_fast, "_MIX", [np.uint64(0)] * analysis_fast._PACKED)  # every word of a length collides
    texts = ["alpha beta gamma delta alpha beta", "beta gamma epsilon zeta eta theta", "alpha alphb alphc"]
    assert_same(texts)


WORDY = st.lists(st.sampled_from(list("abcdeéüñ ÆØ'’“”-.,!?\n\t0123456789,_") + [
    "the", "Kyiv", "U.S.", "said", "running", " ", "1,000th", "ΣΑΣ", "x" * 40, "said told", "\u00ad", "ﬁ",
]), max_size=80).map("".join)
ANY_TEXT = st.text(max_size=300)
TEXTS = st.lists(st.one_of(WORDY, ANY_TEXT, st.just("")), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_hypothesis_texts_equal_hashing_vectorizer(texts):
    assert_same(texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(categories=("L", "N", "Pc", "Mn")), min_size=1, max_size=30),
                max_size=30))
def test_stems_utf8_equals_stems(words):
    folded = list(dict.fromkeys(w for text in words for w in analysis.words(text)))
    assert analysis.stems_utf8([w.encode() for w in folded]) == [s.encode() for s in analysis.stems(folded)]


@settings(max_examples=500, deadline=None)
@given(st.one_of(ANY_TEXT, WORDY, st.text(alphabet=st.characters(categories=("Mn", "Mc", "Me", "Ll", "Lu", "Zs")),
                                           max_size=50)))
def test_fold_many_equals_fold(text):
    assert analysis.fold_many(text) == analysis.fold(text)


def test_fold_many_drops_exactly_the_combining_marks():
    import sys
    import unicodedata
    marks = [chr(i) for i in range(sys.maxunicode + 1) if unicodedata.combining(chr(i))]
    assert analysis.fold_many("a" + "".join(marks) + "b") == "ab"
    bmp, astral = analysis._combining()
    assert bmp.findall("".join(map(chr, range(0x10000)))) == [m for m in marks if ord(m) < 0x10000]
    assert astral.findall("".join(map(chr, range(0x10000, sys.maxunicode + 1)))) == [m for m in marks if ord(m) >= 0x10000]
    assert analysis.fold_many("\U0001D400\U0001D165x\u0301") == analysis.fold("\U0001D400\U0001D165x\u0301")
