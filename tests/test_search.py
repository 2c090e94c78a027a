"""The lazy (MaxScore) ranking returns exactly what scoring every passage would."""
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import qa
from qa import analysis

WORDS = ("alpha beta gamma delta epsilon zeta theta kappa lambda omicron sigma omega river bridge castle "
         "harbour market garden tower valley").split()


def brute_force(searcher, weights, k):
    k1 = searcher.scoring.k1
    totals = []
    at = 0
    for seg in searcher.segments:
        norm = searcher._gnorm[at:at + seg.size]
        at += seg.size
        acc = np.zeros(seg.size)
        for term, w in weights.items():
            docs, tfs, _ = seg.postings(int(searcher.fids([term])[0]))
            df = searcher.df(term)
            if not len(docs) or not df:
                continue
            tf = tfs.astype(np.float64)
            acc[docs] += w * searcher.idf(df) * (k1 + 1) * tf / (tf + norm[docs])
        totals.append(acc)
    allscores = np.concatenate(totals)
    order = sorted((i for i in range(len(allscores)) if allscores[i] > 0), key=lambda i: (-allscores[i], i))
    return [(i, allscores[i]) for i in order[:k]]


def make_corpus(folder, n_files=30, seed=0):
    rng = random.Random(seed)
    for f in range(n_files):
        paras = []
        for _ in range(rng.randint(1, 5)):
            words = [rng.choice(WORDS[: rng.randint(3, len(WORDS))]) for _ in range(rng.randint(12, 60))]
            paras.append("The " + " ".join(words) + ".")
        (folder / f"f{f:03d}.txt").write_text("\n\n".join(paras), encoding="utf-8")


@pytest.mark.parametrize("block", [None, 7])
def test_lazy_top_equals_brute_force(tmp_path, monkeypatch, block):
    if block:  # segments cut in many blocks of at most 7 passages
        from qa import build
        monkeypatch.setattr(build, "MAX_BLOCK_PASSAGES", block)
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_corpus(corpus)
    idx = qa.build_index(corpus, tmp_path / "i", warn=lambda m: None, semantic=False)
    # an update adds a segment and deletes passages in the first: rankings must stay exact
    (corpus / "f000.txt").write_text("The omega harbour tower omega market valley river bridge castle.",
                                     encoding="utf-8")
    rng = random.Random(1)
    for _ in range(200):
        words = rng.sample(WORDS, rng.randint(1, 6))
        weights = {analysis.stem(w): rng.choice([1.0, 0.5, 0.7]) for w in words}
        for a, b in zip(words, words[1:]):
            weights[f"{analysis.stem(a)} {analysis.stem(b)}"] = 0.5
        k = rng.choice([1, 3, 10, 50])
        got = idx.searcher.top(weights, k)
        want = brute_force(idx.searcher, weights, k)
        # the same scores in the same order; ids may differ only among passages that tie
        assert np.allclose([g[1] for g in got], [w[1] for w in want], rtol=1e-4)
        full = dict(brute_force(idx.searcher, weights, 10**6))
        for pid, score in got:
            assert np.isclose(full[pid], score, rtol=1e-4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**20), max_size=2000), st.integers(0, 2**62))
def test_stable_sort_is_numpys_stable_argsort(values, big):
    """The merge's sort (each id keyed with its position, sorted by numpy's default sort) gives
    exactly np.argsort(kind="stable")'s order, with ties in their order; ids too large for the key
    fall back to it."""
    from qa.arrays import stable_sort as _stable_sort
    for ids in (np.array(values, dtype=np.int64), np.array(values + [big], dtype=np.int64)):
        got, order = _stable_sort(ids)
        want = np.argsort(ids, kind="stable")
        assert order.tolist() == want.tolist() and got.tolist() == ids[want].tolist()


@pytest.mark.parametrize("block", [None, 7])
def test_a_passage_scores_the_same_whatever_the_terms_read(tmp_path, monkeypatch, block):
    """Whether a term's postings are read whole or searched for the passages found (which depends on
    k and on the floor), a passage's score is the same float: its contributions summed in plan order."""
    if block:
        from qa import build
        monkeypatch.setattr(build, "MAX_BLOCK_PASSAGES", block)
    corpus = tmp_path / "c"
    corpus.mkdir()
    make_corpus(corpus, n_files=60, seed=3)
    searcher = qa.build_index(corpus, tmp_path / "i", warn=lambda m: None, semantic=False).searcher
    rng = random.Random(2)
    for _ in range(150):
        words = rng.sample(WORDS, rng.randint(2, 8))
        weights = {analysis.stem(w): rng.choice([1.0, 0.37, 0.71, 1.9]) for w in words}
        everything = dict(searcher.top(weights, 10**6))
        for k in (1, 3, 10):
            got = searcher.top(weights, k)
            assert all(score == everything[pid] for pid, score in got)
            if got:
                assert searcher.top_above(weights, k, got[-1][1] * rng.choice([0.5, 0.9, 1.0])) == got
