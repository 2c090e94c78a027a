"""The stored postings (segment.pack_postings, segment.join_blocks) read back, through the query path's
lookups, as exactly the term -> passages arrays they were packed from: every term found with its
passages, term frequencies and largest one; absent terms found nowhere; a segment cut in blocks of
at most 65,536 passages answers as one block would."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import qa
from qa import arrays, build, segment, storage

from test_build_fast import SEEDS, _passages, reference_arrays

TOP = 2**31 - 2  # the largest column of the hashed space


def _segment(folder: Path, csc: dict, n: int, cut: int | None = None) -> segment.Segment:
    """A segment of ``csc``'s postings over ``n`` passages, in blocks of ``cut`` passages (default one)."""
    folder.mkdir(parents=True, exist_ok=True)
    blocks = []
    for a in range(0, n, cut or max(n, 1)):
        b = min(n, a + (cut or n))
        blocks.append((b - a, segment.pack_postings(_rows(csc, a, b), b - a)))
    arrays = segment.join_blocks(blocks)
    arrays["lengths"] = np.ones(n, dtype=np.float32)
    arrays["passages"] = np.zeros((n, 5), dtype=np.int32)
    for k in ("vocab", "stems"):
        arrays[f"{k}_keys"] = np.zeros(0, np.uint32)
        arrays[f"{k}_df"] = np.zeros(0, np.uint32)
    meta = {"name": folder.name, "sources": ["a.txt"], "passages": n,
            "arrays": {k: storage.write_array(folder, k, v) for k, v in arrays.items()}}
    return segment.Segment(folder, meta, verify=True)


def _rows(csc: dict, a: int, b: int) -> dict:
    """The postings of passages a:b (numbered from a), as pack_postings takes them."""
    indptr = csc["indptr"].astype(np.int64)
    owner = np.repeat(np.arange(len(csc["terms"])), np.diff(indptr))
    keep = (csc["docs"] >= a) & (csc["docs"] < b)
    df = np.bincount(owner[keep], minlength=len(csc["terms"]))
    tfs = csc["tfs"][keep]
    heads = np.concatenate([[0], np.cumsum(df)])
    present = df > 0
    maxtf = np.array([tfs[x:y].max() for x, y in zip(heads[:-1][present], heads[1:][present])], dtype=np.uint8)
    return {"terms": csc["terms"][present], "indptr": np.concatenate([[0], np.cumsum(df[present])]).astype(np.uint32),
            "docs": (csc["docs"][keep] - a).astype(np.uint32), "tfs": tfs, "maxtf": maxtf}


def _assert_reads_back(seg: segment.Segment, csc: dict) -> None:
    terms, indptr = csc["terms"], csc["indptr"].astype(np.int64)
    lo, hi, mx, elo, ehi = seg.find(terms.astype(np.int64))
    assert lo.shape == (len(seg.blocks) - 1, len(terms))
    for j, term in enumerate(terms.tolist()):
        a, b = indptr[j], indptr[j + 1]
        docs, tfs, top = seg.postings(term)
        assert np.array_equal(docs, csc["docs"][a:b]), term
        assert np.array_equal(tfs, csc["tfs"][a:b]), term
        assert top == csc["maxtf"][j] == mx[:, j].max(), term
        got = np.concatenate([seg.docs[x:y].astype(np.int64) + base for x, y, base in zip(lo[:, j], hi[:, j], seg.blocks)])
        assert np.array_equal(got, csc["docs"][a:b])
        assert np.array_equal(np.concatenate([seg.tf(np.arange(x, y)) for x, y in zip(lo[:, j], hi[:, j])]),
                              csc["tfs"][a:b])
        # each block's largest term frequency, and its exceptions (tf_at) when it has any above 1
        for u, (x, y) in enumerate(zip(lo[:, j], hi[:, j])):
            tf_here = seg.tf(np.arange(x, y))
            assert mx[u, j] == tf_here.max(initial=0), term
            exceptions = seg.tf_at[elo[u, j]:ehi[u, j]]
            assert np.array_equal(exceptions, np.arange(x, y)[tf_here > 1]), term
    # runs of several terms at once, as a question's postings are read
    runs = seg.tf_runs(lo.T.ravel(), (hi - lo).T.ravel())
    assert np.array_equal(runs, seg.tf_runs(lo.T.ravel(), (hi - lo).T.ravel(), elo.T.ravel(), ehi.T.ravel()))
    want = np.concatenate([csc["tfs"][indptr[j]:indptr[j + 1]] for j in range(len(terms))] or [np.zeros(0, np.uint8)])
    assert np.array_equal(runs, want)
    absent = np.setdiff1d(np.array([0, 1, 12345, 2**16, 2**16 + 1, 2**30, TOP], dtype=np.int64), terms)
    for fid in absent.tolist():
        assert not seg.find(np.array([fid], dtype=np.int64))[1].any()
        assert len(seg.postings(fid)[0]) == 0


def test_seed_postings_read_back(tmp_path):
    texts = _passages(SEEDS)
    csc = reference_arrays(texts)
    seg = _segment(tmp_path / "seg", csc, len(texts))
    assert seg.docs.dtype == np.uint16
    singles = int((np.diff(csc["indptr"].astype(np.int64)) == 1).sum())
    assert len(seg.terms.low) - seg.n_multi == singles > seg.n_multi > 0  # most terms are in one passage only
    assert int(np.unpackbits(seg.terms_multi.view(np.uint8)).sum()) == seg.n_multi
    _assert_reads_back(seg, csc)


@st.composite
def postings(draw):
    """A random term -> passages matrix: distinct sorted 31-bit terms (some crowded into one bucket,
    some at the ends of the space), each in 1 to 5 passages, term frequencies 1 to 255."""
    n = draw(st.sampled_from([1, 3, 1000, 1 << 16, (1 << 16) + 1, 5_000_000]))
    spread = st.integers(0, TOP)
    crowded = st.integers(2**20, 2**20 + 300)
    terms = sorted(set(draw(st.lists(st.one_of(spread, crowded, st.sampled_from([0, 1, TOP])), max_size=400))))
    docs, tfs, indptr, maxtf = [], [], [0], []
    for _ in terms:
        these = sorted(set(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))))
        freq = draw(st.lists(st.one_of(st.just(1), st.integers(1, 255)), min_size=len(these), max_size=len(these)))
        docs += these
        tfs += freq
        maxtf.append(max(freq))
        indptr.append(len(docs))
    csc = {"terms": np.array(terms, dtype=np.uint32), "indptr": np.array(indptr, dtype=np.uint32),
           "docs": np.array(docs, dtype=np.uint32), "tfs": np.array(tfs, dtype=np.uint8),
           "maxtf": np.array(maxtf, dtype=np.uint8)}
    return csc, n


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(postings(), st.sampled_from([None, 1, 2, 700, 1 << 16]))
def test_random_postings_read_back(tmp_path, case, cut):
    csc, n = case
    if cut is not None and -(-n // cut) > 50:
        cut = -(-n // 50)
    folder = tmp_path / f"seg-{abs(hash((n, cut, csc['terms'].tobytes()))):x}"
    seg = _segment(folder, csc, n, cut)
    assert seg.docs.dtype == (np.uint16 if min(n, cut or n) <= 1 << 16 else np.uint32)
    _assert_reads_back(seg, csc)


def test_seed_postings_in_blocks_read_back(tmp_path):
    texts = _passages(SEEDS)
    csc = reference_arrays(texts)
    seg = _segment(tmp_path / "seg", csc, len(texts), cut=7)
    assert len(seg.blocks) - 1 == -(-len(texts) // 7)
    _assert_reads_back(seg, csc)


def test_part_cuts():
    assert build._part_cuts([], 10) == [0, 0]
    assert build._part_cuts([3, 3, 3], 10) == [0, 3]
    assert build._part_cuts([5, 5, 5, 5], 10) == [0, 2, 4]
    assert build._part_cuts([25, 1, 1], 10) == [0, 1, 3]  # a file bigger than a part is a part of its own
    cuts = build._part_cuts([1] * 100, 30)
    sizes = np.diff(cuts)
    assert cuts[0] == 0 and cuts[-1] == 100 and sizes.max() <= 30 and sizes.min() >= 20


def test_blocks_cut_at_the_passage_limit_answer_as_one(tmp_path, monkeypatch):
    # lexical: blocks cut the postings; the semantic stage reranks the same candidates either way
    whole = qa.build_index(SEEDS, tmp_path / "whole", semantic=False)
    monkeypatch.setattr(build, "MAX_BLOCK_PASSAGES", 16)
    cut = qa.build_index(SEEDS, tmp_path / "cut", semantic=False)
    [seg] = cut.manifest["segments"]
    blocks = np.load(tmp_path / "cut" / seg["name"] / "blocks.npy")
    sizes = np.diff(blocks)
    assert len(sizes) >= 3 and sizes.max() <= 16  # no seed file has more than 16 passages
    assert sizes.sum() == seg["passages"] == whole.manifest["segments"][0]["passages"]
    for question in ["who won the election?", "what did the prime minister say about the budget", "ukrane war"]:
        a, b = whole.ask(question), cut.ask(question)
        assert [(r.source, r.line_start, r.line_end, r.score) for r in a.results] == \
               [(r.source, r.line_start, r.line_end, r.score) for r in b.results]
        assert a.answer == b.answer


def test_one_spelling_table_a_build_kept_through_updates(tmp_path, monkeypatch):
    """A build keeps one spelling table, in its first segment, which stays when its files are gone (lexical: the
    semantic stage plays no part in spelling)."""
    import shutil
    from qa import index as store
    monkeypatch.setattr(build, "plan_segments", lambda paths, target=0: [paths[:2], paths[2:]])
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # updates, not rebuilds, on this small corpus
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    ix = qa.build_index(corpus, tmp_path / "ix", semantic=False)
    first, *rest = ix.manifest["segments"]
    assert first["spelling"] == "build" and first["arrays"]["vocab_keys"]["shape"][0] > 500
    assert all(s["arrays"]["vocab_keys"]["shape"] == [0] and "spelling" not in s for s in rest)
    typo = "who won the electon in the unted states"
    assert "elect" in ix.ask(typo).terms  # the misspelled word's stem, found in the table
    for source in first["sources"]:
        (corpus / source).unlink()
    ix.close()
    ix = qa.open_index(corpus, tmp_path / "ix", semantic=False)
    assert ix.manifest["segments"][0]["name"] == first["name"]  # all its passages deleted, the table kept
    assert all(s not in ix.manifest["files"] for s in first["sources"])
    answer = ix.ask(typo)
    assert "elect" in answer.terms
    assert answer.results and all(r.source not in first["sources"] for r in answer.results)


def test_popcount_without_numpy_bitwise_count(monkeypatch):
    """numpy before 2.0 has no bitwise_count: the table of byte counts gives the same."""
    words = np.random.default_rng(1).integers(0, 2**63, size=(3, 50), dtype=np.int64).astype(np.uint64)
    words[0, :3] = [0, 2**64 - 1, 1 << 63]
    want = np.array([[bin(int(w)).count("1") for w in row] for row in words])
    assert np.array_equal(arrays.popcount(words), want)
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    assert np.array_equal(arrays.popcount(words), want)
