"""The semantic stage on a Dask cluster against one machine: build (embedding on the workers), warm question, same answers.

    python benchmarks/cluster_semantic.py /work/shared/bench/collections/med [--workers 2] [--questions 60]

The collection's documents (corpus.jsonl: title and text) are written as text files under
benchmarks/out/cluster_semantic/<name>/docs, then indexed with the semantic stage on one machine (the peer,
in the same run) and on a LocalCluster of --workers processes (the workers embed the segments they build).
A warm question: p50 / p99 of Index.ask(q, 5) over the collection's queries, after 5 warm-up questions,
lexical (semantic=False) and semantic, on both. Same answers: for each query, the cluster's results (order,
scores, lexical and semantic scores within 1e-6), answer line and mode against the local index's.
On 2 shared cores the workers compete with the client and the scheduler: ratios hold, absolute times don't.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import qa  # noqa: E402


def write_docs(collection: Path, folder: Path) -> list[str]:
    """The collection's documents as text files in ``folder``; returns its queries."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with open(collection / "corpus.jsonl", encoding="utf-8") as f:
        for i, line in enumerate(f):
            doc = json.loads(line)
            (folder / f"doc{i:06d}.txt").write_text(f"{doc.get('title', '')}\n\n{doc['text']}\n", encoding="utf-8")
    with open(collection / "queries.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def latencies(index, questions: list[str]) -> tuple[float, float]:
    """p50, p99 in ms of index.ask(q, 5), after 5 warm-up questions."""
    for q in questions[:5]:
        index.ask(q, 5)
    times = sorted(timed(lambda q=q: index.ask(q, 5))[1] * 1000 for q in questions)
    return statistics.median(times), times[min(len(times) - 1, int(0.99 * len(times)))]


def same(a, b) -> bool:
    if (a.mode, a.answer) != (b.mode, b.answer) or [r.citation for r in a.results] != [r.citation for r in b.results]:
        return False
    for x, y in zip(a.results, b.results):
        for u, v in ((x.score, y.score), (x.lexical_score, y.lexical_score), (x.semantic_score, y.semantic_score)):
            if (u is None) != (v is None) or (u is not None and abs(u - v) > 1e-6):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args()
    out = REPO / "benchmarks" / "out" / "cluster_semantic" / args.collection.name
    questions = write_docs(args.collection, out / "docs")[:args.questions]
    quiet = lambda message: None  # noqa: E731
    for name in ("local", "cluster"):
        shutil.rmtree(out / name, ignore_errors=True)
    local, local_build = timed(lambda: qa.build_index(out / "docs", out / "local", warn=quiet))
    from qa.cluster import connect
    cluster, started = timed(lambda: connect(f"local:{args.workers}"))
    try:
        sharded, cluster_build = timed(lambda: qa.build_index(out / "docs", out / "cluster", cluster=cluster,
                                                              warn=quiet))
        passages = local.passage_count
        embedded_on_workers = all("vectors" in s for s in sharded.manifest["segments"])
        rows = {
            "local semantic": latencies(local, questions),
            "cluster semantic": latencies(sharded, questions),
        }
        agree = sum(same(sharded.ask(q, 5), local.ask(q, 5)) for q in questions)
        local_lexical = qa.open_index(out / "docs", out / "local", update=False, warn=quiet, semantic=False)
        cluster_lexical = qa.open_index(out / "docs", out / "cluster", update=False, warn=quiet, semantic=False,
                                        cluster=cluster)
        rows["local lexical"] = latencies(local_lexical, questions)
        rows["cluster lexical"] = latencies(cluster_lexical, questions)
    finally:
        cluster.close()
    print(f"{args.collection.name}: {passages} passages, {len(questions)} questions, {args.workers} workers "
          f"(LocalCluster started in {started:.1f} s)")
    print(f"build with vectors: one machine {local_build:.1f} s ({passages / local_build:.0f} passages/s), "
          f"cluster {cluster_build:.1f} s ({passages / cluster_build:.0f} passages/s); "
          f"every segment embedded on its worker: {embedded_on_workers}")
    print("| warm ask, k=5 | p50 ms | p99 ms |\n|---|---:|---:|")
    for name in ("local lexical", "local semantic", "cluster lexical", "cluster semantic"):
        print(f"| {name} | {rows[name][0]:.2f} | {rows[name][1]:.2f} |")
    print(f"same answers as one machine (semantic, scores within 1e-6): {agree}/{len(questions)}")


if __name__ == "__main__":
    main()
