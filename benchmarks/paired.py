"""Is the working tree faster than another version? Both timed in one process, question by question.

    python benchmarks/paired.py --base HEAD
    python benchmarks/paired.py --base c0f13d6 --corpus benchmarks/out/scale/1M/corpus --questions 1000

A change worth a few percent is lost in the noise of two benchmark runs on this machine (the same
code measures 2.4 to 3.2 ms a question from one run to the next). Here the two versions answer the
same questions in the same process, one after the other, the first one alternating: what the
machine does meanwhile slows both alike. Prints each version's p50 and p99 (``Index.search``, top
10, each question asked once after a warm-up), the median and mean of the per-question differences,
and how many questions got the same top 10 passages from both.

``--base`` (a git revision) is checked out into a temporary worktree and imported as ``qa_base``
beside the working tree's ``qa``; each version builds its own index of the corpus (under
``--out``), kept for the next run while the corpus does not change. The default corpus is the one
``benchmarks/scale.py --sizes 1M`` writes; the questions are made by its generator.
"""
from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))


def _import_base(rev: str, tmp: Path):
    """The package of revision ``rev`` imported as ``qa_base``."""
    from same_rankings import worktree

    with worktree(rev) as tree:
        shutil.copytree(tree / "qa", tmp / "pkg" / "qa_base")
    sys.path.insert(0, str(tmp / "pkg"))
    return importlib.import_module("qa_base")


def _timed(index, question: str) -> float:
    t = time.perf_counter()
    [index.passage_source(pid) for pid, _ in index.search(question, 10)]
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare the working tree with")
    ap.add_argument("--corpus", default=str(REPO / "benchmarks" / "out" / "scale" / "1M" / "corpus"))
    ap.add_argument("--questions", type=int, default=1000, help="questions asked (default 1000)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "paired"))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"paired.py: no corpus at {corpus} (python benchmarks/scale.py --sizes 1M --generate-only "
              "writes it)", file=sys.stderr)
        return 2
    import _synth
    import qa

    passages = sum(1 for _ in corpus.rglob("*.txt")) * _synth.PASSAGES_PER_FILE
    questions = [q["query"] for q in _synth.make_queries(corpus, passages, args.questions)]
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        qa_base = _import_base(args.base, Path(tmp))
        # each version's own index, built or brought up to date as needed
        base = qa_base.open_index(corpus, out / "base-index", warn=lambda message: None)
        work = qa.open_index(corpus, out / "work-index", warn=lambda message: None)
        warm = questions[:20]
        for q in warm:
            _timed(base, q)
            _timed(work, q)
        tb, tw, same = [], [], 0
        for i, q in enumerate(questions):
            if i % 2:
                w = _timed(work, q)
                b = _timed(base, q)
            else:
                b = _timed(base, q)
                w = _timed(work, q)
            tb.append(b)
            tw.append(w)
            same += [p for p, _ in base.search(q, 10)] == [p for p, _ in work.search(q, 10)]
    diff = [w - b for b, w in zip(tb, tw)]

    def p99(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.99)]

    print(f"{len(questions)} questions, index of {corpus} ({base.passage_count:,} passages)")
    print(f"base {args.base}: p50 {statistics.median(tb) * 1e3:.3f} ms, p99 {p99(tb) * 1e3:.2f} ms")
    print(f"working tree: p50 {statistics.median(tw) * 1e3:.3f} ms, p99 {p99(tw) * 1e3:.2f} ms")
    print(f"difference, question by question: median {statistics.median(diff) * 1e3:+.3f} ms, "
          f"mean {statistics.mean(diff) * 1e3:+.3f} ms")
    print(f"same top 10 passages: {same}/{len(questions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
