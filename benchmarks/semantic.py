"""The semantic stage's costs: model load, passages embedded per second, bytes per passage, a warm question, cold `qa ask`.

    python benchmarks/semantic.py [--texts /work/shared/bench/collections/npl/corpus.jsonl] [--passages 2000]
                                  [--corpus seeds] [--runs 3] [--scale 10k 100k] [--int8 | --float] [--question-cost 125k]

Embedding throughput is measured on the first N texts of a corpus.jsonl (the "text" field); the warm
question cost on the dev questions over the corpus's index, with the stage and without (the peer in
the same run is qa's own lexical path); cold `qa ask` runs the CLI as a subprocess, median of --runs.
With --scale, for each size a corpus of real English (the collections' documents in turn) plus the seeds is indexed with the
stage and without: passages embedded per second inside `qa index` (the build with vectors less the build
without), and the warm dev question over that index, semantic and lexical. --question-cost measures only
the warm question at that size, over vectors stored without waiting for the model (see RandomRows).
The machine's CPU is shared: ratios hold, absolute times do not.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import qa  # noqa: E402
sys.path.insert(0, str(REPO / "benchmarks"))
from _synth import parse_size  # noqa: E402
from qa.semantic.embedder import Embedder  # noqa: E402


def texts_of(path: Path, n: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line).get("text", ""))
            if len(out) == n:
                break
    return out


def cold_ask(index_dir: Path, corpus: Path, runs: int, *flags: str) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa", "ask", "--corpus", str(corpus), "--index", str(index_dir), *flags,
                        "Who speaks for the Kremlin?"], capture_output=True, cwd=REPO, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def warm(index, questions: list[str]) -> float:
    index.ask(questions[0])
    t = time.perf_counter()
    for q in questions:
        index.ask(q)
    return (time.perf_counter() - t) / len(questions) * 1000


def english_corpus(folder: Path, size: int, collections: Path, seeds: Path) -> Path:
    """A corpus of ``size`` passages of real English: the eight collections' documents, one passage each,
    taken in turn (numbered, so that repeats are distinct passages), 100 passages a file, plus the seeds."""
    done = folder / ".complete"
    if done.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    texts = []
    for corpus in sorted(collections.glob("*/corpus.jsonl")):
        with open(corpus, encoding="utf-8") as f:
            texts += [" ".join(json.loads(line).get("text", "").split()) for line in f if line.strip()]
    texts = [t for t in texts if len(t.split()) >= 8]
    for start in range(0, size, 100):
        path = folder / f"part{start // 10_000:03d}" / f"doc{start:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [f"{texts[i % len(texts)]} ({i})" for i in range(start, min(start + 100, size))]
        path.write_text("\n\n".join(rows) + "\n", encoding="utf-8")
    news = folder / "news"
    news.mkdir()
    for f in seeds.iterdir():
        (news / f.name).write_bytes(f.read_bytes())
    done.touch()
    return folder


def at_scale(size: int, questions: list[str], seeds: Path, collections: Path, work: Path,
             int8: bool | None = None) -> None:
    """Index ``size`` passages of English plus the seeds with vectors (int8 products given ``int8``: qa index
    --int8, float given False: qa index --float; None: as qa index chooses) and without; print the costs."""
    corpus = english_corpus(work / f"corpus-{size}", size, collections, seeds)
    for old in work.glob(f"*-index-{size}"):
        shutil.rmtree(old)
    t = time.perf_counter()
    without = qa.build_index(corpus, work / f"lexical-index-{size}", semantic=False, warn=lambda m: None)
    lexical_build = time.perf_counter() - t
    t = time.perf_counter()
    with_stage = qa.build_index(corpus, work / f"semantic-index-{size}", warn=lambda m: None, int8=int8)
    semantic_build = time.perf_counter() - t
    n = with_stage.passage_count
    rate = n / max(semantic_build - lexical_build, 1e-9)
    command = {True: "qa index --int8", False: "qa index --float", None: "qa index"}[int8]
    forms = {s["vectors"].get("form", "float") for s in with_stage.manifest["segments"] if s.get("vectors")}
    print(f"{n} passages: {command} ({', '.join(sorted(forms))} products) {semantic_build:.0f} s with vectors, "
          f"{lexical_build:.0f} s without: "
          f"{rate:.0f} passages embedded a second, 100k in {100_000 / rate / 60:.0f} min "
          f"(load {os.getloadavg()[0]:.1f})")
    print(f"warm question at {n} passages ({len(questions)} dev questions): semantic "
          f"{warm(with_stage, questions):.1f} ms, lexical {warm(without, questions):.1f} ms")


class RandomRows:
    """The real model's name, SHA-256, form and dimension, but random unit rows for passages: what a question costs
    (its own embedding, reading and scoring the candidates' rows) does not depend on the rows' values."""

    def __init__(self, embedder):
        self.name, self.sha256, self.dimension = embedder.name, embedder.sha256, embedder.dimension
        self.form, self.maker = embedder.form, embedder.maker
        self.rng = np.random.default_rng(0)

    def embed(self, texts, progress=None):
        rows = self.rng.standard_normal((len(texts), self.dimension)).astype(np.float32)
        if progress:
            progress(len(texts))
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def question_cost(size: int, questions: list[str], seeds: Path, collections: Path, work: Path, embedder) -> None:
    """The warm question at ``size`` passages with the stage on stored vectors (random rows, see RandomRows)."""
    from qa.semantic import vectors
    corpus = english_corpus(work / f"corpus-{size}", size, collections, seeds)
    index_dir = work / f"cost-index-{size}"
    if index_dir.exists():
        shutil.rmtree(index_dir)
    lexical = qa.build_index(corpus, index_dir, semantic=False, warn=lambda m: None)
    vectors.embed_missing(index_dir, lexical.manifest, RandomRows(embedder), lexical.documents)
    with_stage = qa.open_index(corpus, index_dir, warn=print)
    print(f"warm question at {with_stage.passage_count} passages ({len(questions)} dev questions, stored vectors of "
          f"random rows): semantic {warm(with_stage, questions):.1f} ms, lexical {warm(lexical, questions):.1f} ms "
          f"(load {os.getloadavg()[0]:.1f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=Path, default=Path("/work/shared/bench/collections/npl/corpus.jsonl"))
    ap.add_argument("--passages", type=int, nargs="+", default=[2000])
    ap.add_argument("--corpus", type=Path, default=REPO / "seeds")
    ap.add_argument("--questions", type=Path, default=REPO / "tests" / "data" / "seed_questions_dev.jsonl")
    ap.add_argument("--runs", type=int, default=3)
    products = ap.add_mutually_exclusive_group()
    products.add_argument("--int8", dest="int8", action="store_const", const=True, default=None,
                          help="--scale: index with int8 products (qa index --int8; default: as qa index chooses)")
    products.add_argument("--float", dest="int8", action="store_const", const=False,
                          help="--scale: index with float products (qa index --float)")
    ap.add_argument("--scale", type=parse_size, nargs="*", default=[],
                    help="corpus sizes (10k, 100k) indexed with vectors and without")
    ap.add_argument("--question-cost", type=parse_size, nargs="*", default=[],
                    help="sizes (100k) whose warm question is measured on stored random rows (no embedding wait)")
    ap.add_argument("--collections", type=Path, default=REPO.parent / "shared" / "bench" / "collections",
                    help="the IR collections whose documents make the --scale corpora's passages")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "qa-semantic-scale",
                    help="where the synthetic corpora and their indexes go (reused corpora)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared)")
    t = time.perf_counter()
    embedder = Embedder()
    print(f"model load (SHA-256 check + onnxruntime session + tokenizer): {time.perf_counter() - t:.2f} s")
    for n in args.passages:
        texts = texts_of(args.texts, n)
        t = time.perf_counter()
        embedder.embed(texts)
        seconds = time.perf_counter() - t
        rate = len(texts) / seconds
        print(f"embedded {len(texts)} passages in {seconds:.1f} s: {rate:.0f} passages/s "
              f"(100k would take {100_000 / rate / 60:.0f} min, 1M {1_000_000 / rate / 3600:.1f} h)")
    with tempfile.TemporaryDirectory() as tmp:
        semantic_dir, lexical_dir = Path(tmp) / "semantic", Path(tmp) / "lexical"
        with_stage = qa.build_index(args.corpus, semantic_dir, warn=lambda m: None)
        without = qa.build_index(args.corpus, lexical_dir, semantic=False, warn=lambda m: None)
        vector_bytes = sum(p.stat().st_size for p in semantic_dir.glob("seg-*/vectors-*.npy"))
        print(f"index bytes added per passage: {vector_bytes / with_stage.passage_count:.0f} "
              f"({with_stage.passage_count} passages, float16 x 384 = 768 + the .npy header)")
        questions = [json.loads(line)["question"] for line in open(args.questions, encoding="utf-8") if line.strip()]
        print(f"warm question ({len(questions)} dev questions): semantic {warm(with_stage, questions):.1f} ms, "
              f"lexical {warm(without, questions):.1f} ms")
        semantic_cold = cold_ask(semantic_dir, args.corpus, args.runs)
        lexical_cold = cold_ask(lexical_dir, args.corpus, args.runs, "--lexical")
        print(f"cold qa ask on {args.corpus.name} (median of {args.runs}): semantic {semantic_cold:.2f} s, "
              f"--lexical {lexical_cold:.2f} s")
    questions = [json.loads(line)["question"] for line in open(args.questions, encoding="utf-8") if line.strip()]
    for size in args.question_cost:
        args.work.mkdir(parents=True, exist_ok=True)
        question_cost(size, questions, args.corpus, args.collections, args.work, embedder)
    for size in args.scale:
        args.work.mkdir(parents=True, exist_ok=True)
        at_scale(size, questions, args.corpus, args.collections, args.work, args.int8)
    return 0


if __name__ == "__main__":
    sys.exit(main())
