"""Keeps benchmarks/scale.py from rotting: the generator, and the harness at 2,000 passages.

No timing assertions: the figures of a run this small mean nothing; what is
checked is that the corpus is deterministic and well formed, that the queries
point at real passages, and that the harness measures both systems end to end
and writes its table, JSON and plot.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
sys.path.insert(0, str(BENCH))
import _synth  # noqa: E402

N = 2_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("scale") / "2k" / "corpus"
    man = _synth.generate_corpus(d, N, seed=7, vocab=50_000)
    return d, man


def test_sizes():
    assert _synth.parse_size("10k") == 10_000
    assert _synth.parse_size("1M") == 1_000_000
    assert _synth.parse_size("2000") == 2_000
    assert _synth.size_label(100_000) == "100k"
    assert _synth.size_label(10_000_000) == "10M"
    assert _synth.size_label(2_500) == "2500"


def test_vocab_is_pronounceable_and_clean():
    words = _synth.make_vocab(20_000, seed=7)
    assert len(set(words)) == 20_000
    n = len(_synth.FUNCTION_WORDS)
    assert words[:n] == _synth.FUNCTION_WORDS          # the Zipf head, as in English
    assert all(re.fullmatch(r"[a-z]{2,}", w) for w in words[n:])
    assert not set(words[n:]) & _synth.STOPWORDS
    assert words == _synth.make_vocab(20_000, seed=7)


def test_corpus_layout(corpus):
    d, man = corpus
    files = sorted(d.rglob("*.txt"))
    assert len(files) == man["files"] == 2
    assert [f.relative_to(d).as_posix() for f in files] == [_synth.file_relpath(i) for i in range(2)]
    lengths = []
    for f in files:
        text = f.read_text(encoding="ascii")
        assert text.endswith(".\n") or text.endswith("?\n") or text.endswith("!\n")
        assert "\n\n\n" not in text
        passages = list(_synth.iter_passages(text))
        assert len(passages) == _synth.PASSAGES_PER_FILE
        for body, a, b in passages[:50]:
            assert body[0].isupper() and body[-1] in ".?!"
            lengths.append(len(body.split()))
            assert text.split("\n")[a - 1:b] == body.split("\n")
    assert 60 <= sum(lengths) / len(lengths) <= 100


def test_corpus_is_deterministic_and_reused(corpus, tmp_path):
    d, man = corpus
    again = tmp_path / "corpus"
    _synth.generate_corpus(again, N, seed=7, vocab=50_000)
    for f in sorted(d.rglob("*.txt")):
        assert (again / f.relative_to(d)).read_bytes() == f.read_bytes()
    assert _synth.generate_corpus(again, N, seed=7, vocab=50_000)["reused"] is True
    assert _synth.generate_corpus(again, N, seed=8, vocab=50_000)["reused"] is False


def test_queries_point_at_their_passage(corpus):
    d, _ = corpus
    qs = _synth.make_queries(d, N, 30, seed=7, vocab=50_000)
    assert len(qs) == 30
    assert qs == _synth.make_queries(d, N, 30, seed=7, vocab=50_000)
    for q in qs:
        words = q["query"].split()
        assert 2 <= len(words) <= 5 and len(set(words)) == len(words)
        assert not set(words) & set(_synth.FUNCTION_WORDS)
        rel, body, a, b = _synth.read_passage(d, q["passage_id"])
        assert (rel, a, b) == (q["source"], q["line_start"], q["line_end"])
        assert set(words) <= set(re.findall(r"[a-z]+", body.lower()))


def _qa_ready() -> bool:
    check = "import importlib.util, qa; qa.open_index; assert importlib.util.find_spec('qa.__main__')"
    probe = subprocess.run([sys.executable, "-c", check],
                           cwd=REPO, capture_output=True)
    return probe.returncode == 0


def test_harness_end_to_end(tmp_path):
    for mod in ("bm25s", "Stemmer", "matplotlib"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"{mod} missing: pip install -e '.[bench]'")
    systems = "qa,bm25s" if _qa_ready() else "bm25s"
    png = tmp_path / "plot.png"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "scale.py"), "--sizes", "2000", "--queries", "20",
         "--vocab", "50000", "--out", str(tmp_path), "--png", str(png), "--systems", systems],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "peak build memory (MB)" in proc.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    run = results["runs"]["2k"]
    assert run["corpus"]["passages"] == N and run["queries"] == 20
    for system in systems.split(","):
        r = run[system]
        for key in ("build_s", "build_peak_mb", "disk_mb", "open_s", "query_p50_ms",
                    "query_p99_ms", "batch_per_query_ms", "hit_at_10"):
            assert r[key] >= 0, (system, key)
        assert r["build_peak_mb"] > 10
        assert r["hit_at_10"] > 0.5, system
    if "qa" in run:
        for key in ("update_noop_s", "update_edit_s", "update_add_s", "update_delete_s"):
            assert run["qa"][key] >= 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the harness restores the corpus it edits for the update figures
    corpus = tmp_path / "2k" / "corpus"
    assert not (corpus / "zz_added").exists()
    assert len(list(corpus.rglob("*.txt"))) == 2


def test_missing_dependency_message(tmp_path):
    # a sitecustomize that hides bm25s makes scale.py fail with the one-line hint
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'bm25s':\n"
        "            raise ImportError('hidden')\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Hide())\n"
    )
    proc = subprocess.run(
        [sys.executable, str(BENCH / "scale.py"), "--sizes", "2000", "--systems", "bm25s",
         "--out", str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "pip install -e '.[bench]'" in last and "bm25s" in last
