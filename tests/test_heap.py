"""qa.heap: an opened index keeps the memory its questions free, instead of faulting fresh pages in."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qa import heap

ROOT = Path(__file__).resolve().parent.parent

# arrays of the sizes a question's postings take, made and freed as answering does; the page faults
# that costs, after nothing, after tuning the heap, or after opening an index (argv[2]: its corpus)
_CHURN = """
import resource, sys
import numpy as np
import qa
from qa import heap
if sys.argv[1] == "tuned":
    assert heap.keep_freed_memory()
if sys.argv[1] == "opened":
    assert qa.open_index(sys.argv[2], sys.argv[3]).ask("When did the bridge open?", k=1).results
rng = np.random.default_rng(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    a = np.ones(int(rng.integers(20_000, 400_000)))
    b = np.argsort(a * 2)
    del a, b
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(*args) -> int:
    out = subprocess.run([sys.executable, "-c", _CHURN, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not heap.keep_freed_memory(), reason="glibc's mallopt is not there")
def test_freed_arrays_are_reused_without_page_faults(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The harbour bridge opened in 1932 after eight years of work.\n")
    untuned = _page_faults("untuned")
    assert _page_faults("tuned") * 4 < untuned
    assert _page_faults("opened", corpus, tmp_path / "i") * 4 < untuned
