"""What validating a segment's arrays (qa/validate.py) costs, at opening and at the first question, at 100k-1M passages.

    python benchmarks/validate_cost.py [--sizes 100k,1M] [--repeats 5] [--out benchmarks/out/validate]

Writes (or reuses) the deterministic synthetic corpus of benchmarks/_synth.py at each size, indexes it
(`qa index --lexical`), then, alternately in one process, ``--repeats`` times each:

- open: ``qa.open_index(..., update=False, semantic=False)`` as shipped (values checked lazily);
- open + check: the same, then every segment's values checked at once (Index.validated), i.e. what
  opening cost when the checks were made there (before this change);
- open, nothing checked: validate.check_kinds and check_segment replaced by no-ops;
- first question: open then one question (from _synth.make_queries) as shipped, and with the checks
  replaced by no-ops: what a question that comes first pays for them.

Prints the median of each and the checks' share of opening (as shipped and made at opening) and of
open + first question.
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

CHECKS = (validate.check_kinds, validate.check_segment)


def checks(on: bool) -> None:
    """Make the validation real (``on``) or no-ops."""
    validate.check_kinds, validate.check_segment = CHECKS if on else (lambda seg, folder: None,) * 2


def timed(corpus: Path, index: Path, check_now: bool = False, question: str | None = None) -> float:
    start = time.perf_counter()
    idx = qa.open_index(corpus, index, update=False, semantic=False)
    if check_now:
        idx.validated()
    if question is not None:
        idx.ask(question)
    elapsed = time.perf_counter() - start
    idx.close()
    return elapsed


def measure(corpus: Path, index: Path, question: str, repeats: int) -> dict[str, float]:
    """Median seconds of each way of opening (see the module's docstring)."""
    runs = {"open": (True, False, None), "open + check": (True, True, None), "open, no check": (False, False, None),
            "open + question": (True, False, question), "open + question, no check": (False, False, question)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for on, check_now, q in runs.values():  # warm the page cache and the caches of each path
        checks(on)
        timed(corpus, index, check_now, q)
    for _ in range(repeats):
        for name, (on, check_now, q) in runs.items():
            checks(on)
            times[name].append(timed(corpus, index, check_now, q))
    checks(True)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100k,1M")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "validate")
    args = ap.parse_args()
    for label in args.sizes.split(","):
        n = _synth.parse_size(label)
        corpus, index = args.out / label / "corpus", args.out / label / "index"
        _synth.generate_corpus(corpus, n)
        if not (index / "manifest.json").exists():
            subprocess.run([sys.executable, "-m", "qa", "index", "--lexical", "--corpus", str(corpus),
                            "--index", str(index)], check=True)
        question = _synth.make_queries(corpus, n, 1)[0]["query"]
        t = measure(corpus, index, question, args.repeats)
        ms = {name: 1000 * s for name, s in t.items()}
        check = ms["open + check"] - ms["open"]
        print(f"{label:>5} passages, question {question!r}:")
        for name, value in ms.items():
            print(f"  {name:<26} {value:8.1f} ms")
        print(f"  opening as shipped: {ms['open'] - ms['open, no check']:.1f} ms of checks = "
              f"{100 * (ms['open'] - ms['open, no check']) / ms['open']:.1f} % of opening")
        print(f"  the values checked at opening (before): {check:.1f} ms = {100 * check / ms['open + check']:.1f} % "
              f"of opening")
        first = ms["open + question"] - ms["open + question, no check"]
        print(f"  first question: {first:.1f} ms of checks = {100 * first / ms['open + question']:.1f} % of "
              f"open + first question")
    return 0


if __name__ == "__main__":
    sys.exit(main())
