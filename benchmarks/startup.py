"""Wall time of `qa ask` as a whole process on the seeds with the index built, and what it imports.

    python benchmarks/startup.py [--runs 20]

Prints the median and best wall time of `python -m qa ask ...`, next to the
time of `python -c "import sklearn"` measured in the same run (the cost the
query path avoids), and checks scikit-learn is not imported by `qa ask`.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def wall(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    ask = [sys.executable, "-m", "qa", "ask", "Who is the Kremlin spokesman?"]
    subprocess.run([sys.executable, "-m", "qa", "index"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    probe = subprocess.run([sys.executable, "-X", "importtime", "-m", "qa", "ask", "--json", "Peskov"], cwd=REPO,
                           capture_output=True, text=True)
    sklearn_loaded = "sklearn" in probe.stderr
    rows = [("qa ask (whole process)", wall(ask, args.runs)),
            ("python -c pass", wall([sys.executable, "-c", "pass"], args.runs)),
            ("python -c 'import numpy'", wall([sys.executable, "-c", "import numpy"], args.runs)),
            ("python -c 'import sklearn'", wall([sys.executable, "-c", "import sklearn.feature_extraction"], args.runs))]
    print(f"{'command':32} {'median s':>9} {'best s':>8}")
    for name, times in rows:
        print(f"{name:32} {statistics.median(times):9.3f} {min(times):8.3f}")
    print(f"scikit-learn imported by qa ask: {'YES' if sklearn_loaded else 'no'}")
    return 1 if sklearn_loaded else 0


if __name__ == "__main__":
    sys.exit(main())
