"""What validating a segment's arrays (qa/validate.py) costs when an index is opened, at 100k-1M passages.

    python benchmarks/validate_cost.py [--sizes 100k,1M] [--repeats 5] [--out benchmarks/out/validate]

Writes (or reuses) the deterministic synthetic corpus of benchmarks/scale.py at each size, indexes it,
then opens it memory-mapped (``qa.open_index(..., update=False)``) ``--repeats`` times with validation
and as many without (validate.check_segment replaced by a no-op), alternately in one process, and
prints the median open time of each, their difference and its share of the opening time.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _synth  # noqa: E402

import qa  # noqa: E402
from qa import validate  # noqa: E402


def open_time(corpus: Path, index: Path) -> float:
    start = time.perf_counter()
    qa.open_index(corpus, index, update=False).close()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1M")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "validate")
    args = ap.parse_args()
    real_check = validate.check_segment
    for label in args.sizes.split(","):
        n = _synth.parse_size(label)
        corpus, index = args.out / label / "corpus", args.out / label / "index"
        _synth.generate_corpus(corpus, n)
        if not (index / "manifest.json").exists():
            subprocess.run([sys.executable, "-m", "qa", "index", "--corpus", str(corpus), "--index", str(index)],
                           check=True)
        open_time(corpus, index)  # warm the page cache
        timed: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(args.repeats):
            validate.check_segment = real_check
            timed["with"].append(open_time(corpus, index))
            validate.check_segment = lambda seg, folder: None
            timed["without"].append(open_time(corpus, index))
        validate.check_segment = real_check
        with_, without = statistics.median(timed["with"]), statistics.median(timed["without"])
        print(f"{label:>5} passages: open {with_ * 1000:.1f} ms validated, {without * 1000:.1f} ms not: "
              f"validation {1000 * (with_ - without):.1f} ms = {100 * (with_ - without) / with_:.1f} % of opening")
    return 0


if __name__ == "__main__":
    sys.exit(main())
