"""benchmarks/quality.py: its metrics on a hand-computed example, and its whole
code path on a tiny collection it builds in a tmp dir (no timing assertions)."""
from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    # The benchmark is a script beside flat helper modules, not a package.
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


quality = _load("quality")
metrics = _load("_metrics")
corpora = _load("_corpora")
seeds = _load("_seeds")


# ------------------------------------------------------------------ metrics


def test_metrics_hand_computed():
    ranked = ["d1", "d2", "d3", "d4", "d5"]
    relevant = {"d1", "d3", "d6"}
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3) + 1/log2(4)
    assert metrics.ndcg_at_k(ranked, relevant, 10) == pytest.approx(1.5 / (1.5 + 1 / math.log2(3)))
    assert metrics.average_precision(ranked, relevant, 100) == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert metrics.recall_at_k(ranked, relevant, 100) == pytest.approx(2 / 3)
    assert metrics.precision_at_k(ranked, relevant, 10) == pytest.approx(2 / 10)
    # Cut-offs: within 2, only d1 counts.
    assert metrics.average_precision(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert metrics.precision_at_k(ranked, relevant, 2) == pytest.approx(1 / 2)
    assert metrics.ndcg_at_k(ranked, relevant, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    # A perfect ranking scores 1; a repeated document counts once.
    assert metrics.ndcg_at_k(["d3", "d6", "d1"], relevant) == pytest.approx(1.0)
    assert metrics.average_precision(["d3", "d6", "d1"], relevant) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["d1", "d1", "d3"], relevant) == pytest.approx(
        (1 + 1 / math.log2(3)) / (1.5 + 1 / math.log2(3)))


def test_evaluate_means_over_judged_queries():
    qrels = {"q1": {"a"}, "q2": {"b"}, "q3": set()}
    run = {"q1": ["a"], "q2": ["x", "y"]}  # q3 unjudged: skipped
    got = metrics.evaluate(run, qrels)
    assert got["ndcg@10"] == pytest.approx(0.5)
    assert got["p@10"] == pytest.approx(0.05)
    assert got["recall@100"] == pytest.approx(0.5)
    assert metrics.evaluate({}, {"q1": {"a"}})["map@100"] == 0.0


def test_seed_hits_normalize_quotes_and_space():
    passages = ["He said \u201cthe  deal\u201d\nwas off.", "Nothing here."]
    assert seeds.is_hit(passages, ['said "the deal" was'], 1)
    assert not seeds.is_hit(passages, ["Said"], 3)  # case-sensitive
    assert not seeds.is_hit(passages[::-1], ["was off"], 1)
    assert seeds.is_hit(passages[::-1], ["was off"], 3)


def test_document_files():
    assert corpora.document_text("A title", "The text.") == "A title\n\nThe text.\n"
    assert corpora.document_text("", "Only text.") == "Only text.\n"
    assert corpora.document_text("Only title", " ") == "Only title\n"
    for doc_id in ("12", "a/b c", "x.y"):
        assert corpora.doc_id_from_source(corpora.doc_filename(doc_id)) == doc_id
        assert "/" not in corpora.doc_filename(doc_id)


# ------------------------------------------------------------------ the whole path

DOCS = [
    ("1", "Boundary layer flow", "Laminar boundary layer separation on a flat plate in supersonic flow."),
    ("2", "Heat transfer", "Heat transfer to a hypersonic blunt body, with measurements of wall temperature."),
    ("3", "", "Buckling of thin cylindrical shells under axial compression."),
    ("4", "Library catalogues", "Cataloguing rules for libraries and the indexing of periodicals."),
    ("5", "Wing flutter", "Flutter of a swept wing in transonic flow, measured in a wind tunnel."),
]
QUERIES = [
    ("q1", "boundary layer separation in supersonic flow"),
    ("q2", "heat transfer to blunt bodies"),
    ("q3", "buckling of cylindrical shells"),
    ("q4", "question with no judgement"),
]
QRELS = [("q1", "1"), ("q2", "2"), ("q3", "3"), ("q3", "5")]


def _write_collection(root: Path) -> Path:
    col = root / "collections" / "tiny"
    col.mkdir(parents=True)
    with open(col / "corpus.jsonl", "w") as f:
        for i, t, x in DOCS:
            f.write(json.dumps({"id": i, "title": t, "text": x}) + "\n")
    with open(col / "queries.jsonl", "w") as f:
        for i, t in QUERIES:
            f.write(json.dumps({"id": i, "text": t}) + "\n")
    with open(col / "qrels.tsv", "w") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        f.writelines(f"{q}\t{d}\t1\n" for q, d in QRELS)
    return col.parent


def _write_seeds(root: Path) -> tuple[Path, Path]:
    corpus = root / "seeds"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "The harbour of Valletta was rebuilt in 1570 by the Knights.\n\n"
        "Its fortifications are among the largest in Europe.\n"
    )
    (corpus / "b.txt").write_text("Rainfall on the island is lowest in July.\n")
    questions = root / "questions.jsonl"
    rows = [
        {"id": "1", "kind": "factoid", "question": "When was the harbour of Valletta rebuilt?",
         "gold": ["rebuilt in 1570"]},
        {"id": "2", "kind": "followup", "question": "Who rebuilt it?", "gold": ["by the Knights"],
         "previous": ["When was the harbour of Valletta rebuilt?"]},
        {"id": "3", "kind": "keyword", "question": "rainfall", "gold": ["lowest in July"]},
        {"id": "4", "kind": "unanswerable", "question": "What is the GDP of Iceland?", "gold": []},
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return corpus, questions


def _have_peers() -> bool:
    try:
        quality._peers.require_peers()
        return True
    except quality._peers.MissingPeers:
        return False


def test_benchmark_runs_end_to_end(tmp_path, capsys):
    collections = _write_collection(tmp_path)
    corpus, questions = _write_seeds(tmp_path)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    args = ["--collections", str(collections), "--out", str(out), "--json", str(report),
            "--seeds", str(corpus), "--seed-questions", str(questions)]
    peers = _have_peers()
    if not peers:
        args.append("--no-peers")
    assert quality.main(args) == 0
    printed = capsys.readouterr().out
    for title in ("nDCG@10", "MAP@100", "Recall@100", "P@10", "seed questions"):
        assert title in printed
    assert "qa beats bm25s on every collection" not in printed or peers

    data = json.loads(report.read_text())
    tiny = data["collections"]["tiny"]
    assert tiny["docs"] == 5 and tiny["queries"] == 3
    systems = {"qa", "bm25s", "rank_bm25"} if peers else {"qa"}
    assert set(tiny["systems"]) == systems
    for s in systems:
        for m in metrics.METRICS:
            assert 0.0 <= tiny["systems"][s][m] <= 1.0
        assert tiny["systems"][s]["ndcg@10"] > 0  # every query names its document
    if peers:
        assert "qa" in data["summary"]["means"] and "ratio_ndcg@10" in data["summary"]
        assert set(data["summary"]["beats_bm25s"]) == {"tiny"}
        assert data["seeds"]["bm25s"]["by_kind"]["answerable"]["n"] == 3

    # The documents a user would have: title, blank line, text; empty parts skipped.
    docs = out / "collections" / "tiny" / "docs"
    assert (docs / "1.txt").read_text() == (
        "Boundary layer flow\n\nLaminar boundary layer separation on a flat plate in supersonic flow.\n")
    assert (docs / "3.txt").read_text() == "Buckling of thin cylindrical shells under axial compression.\n"
    assert (out / "collections" / "tiny" / "index").exists()

    qa_seeds = data["seeds"]["qa"]["by_kind"]
    assert qa_seeds["answerable"]["n"] == 3 and qa_seeds["unanswerable (all)"]["n"] == 1
    for row in qa_seeds.values():
        assert 0.0 <= row["no_answer"] <= 1.0
        for m in ("hit@1", "hit@3"):
            assert row[m] is None or 0.0 <= row[m] <= 1.0

    # A second run reuses the written documents and the index, and without the
    # baselines compares qa with nothing it did not measure (no issue figures for "tiny").
    stamp = (out / "collections" / "tiny" / "docs.stamp").stat().st_mtime_ns
    again = ["--collections", str(collections), "--out", str(out), "--no-peers", "--no-seeds"]
    assert quality.main(again) == 0
    assert (out / "collections" / "tiny" / "docs.stamp").stat().st_mtime_ns == stamp
    assert "qa beats bm25s" not in capsys.readouterr().out


def test_missing_peers_fail_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "bm25s", None)  # import bm25s -> ImportError
    assert quality.main(["--collections", str(tmp_path), "--no-seeds"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pip install -e '.[bench]'" in err


def test_summary_ratio_and_wins():
    def col(qa, bm=None):
        systems = {"qa": dict.fromkeys(metrics.METRICS, qa)}
        if bm is not None:
            systems["bm25s"] = dict.fromkeys(metrics.METRICS, bm)
        return {"docs": 1, "queries": 1, "systems": systems}

    s = quality.summarize({"a": col(0.6, 0.5), "b": col(0.3, 0.4)})
    assert s["ratio_ndcg@10"] == pytest.approx(0.45 / 0.45)
    assert s["beats_bm25s"] == {"a": True, "b": False} and not s["beats_bm25s_everywhere"]
    # Without the baselines run, the bm25s figures stand in for known collections.
    s = quality.summarize({"adi": col(0.52)})
    assert s["bm25s_source"] == "issue"
    assert s["ratio_ndcg@10"] == pytest.approx(0.52 / quality.REFERENCE_BM25S["adi"])
    assert s["beats_bm25s_everywhere"]


def test_unknown_collection_fails_clearly(tmp_path, capsys):
    _write_collection(tmp_path)
    code = quality.main(["--collections", str(tmp_path / "collections"), "--only", "nope",
                         "--no-peers", "--no-seeds"])
    assert code == 2
    assert "no collection named nope" in capsys.readouterr().err
