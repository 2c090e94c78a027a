"""Do two versions of qa rank the same? Every query of every test collection, top 100, compared.

    python benchmarks/same_rankings.py --base c0f13d6

Checks out ``--base`` (a git revision) into a temporary worktree, then runs it and the working tree,
each in its own process, over the documents benchmarks/quality.py wrote (benchmarks/out/collections,
written if missing): each builds its own index and prints, for every query, its top 100 (file, first
line, score). Prints how many queries rank alike (the same passages in the same order, scores equal
to a millionth), how many of those with bit-identical scores, and the first differences. Exit 0 when
all rank alike, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

RUN = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import qa, qa.storage
out = {"": {"code": qa.__file__, "format": qa.storage.FORMAT}}
for name, docs, queries, index in json.loads(sys.argv[2]):
    ix = qa.open_index(Path(docs), Path(index), warn=lambda m: None)
    out[name] = {}
    for qid, text in queries:
        hits = ix.search(text, k=100)
        out[name][qid] = [[ix.passage_source(pid), ix.searcher.passage(pid)[3], s] for pid, s in hits]
print(json.dumps(out))
"""


@contextmanager
def worktree(rev: str):
    """A temporary checkout of git revision ``rev`` (its folder), removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)


def rankings(code: Path, jobs: list, index_root: Path) -> dict:
    arg = json.dumps([(n, d, q, str(index_root / n)) for n, d, q in jobs])
    done = subprocess.run([sys.executable, "-c", RUN, str(code), arg], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    import _corpora

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare the working tree with")
    ap.add_argument("--collections", default=str(REPO.parent / "shared" / "bench" / "collections"))
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out"))
    args = ap.parse_args()
    jobs = []
    for path in _corpora.find_collections(Path(args.collections)):
        col = _corpora.load_collection(path)
        docs, _ = _corpora.write_docs(col, Path(args.out) / "collections" / col.name / "docs")
        jobs.append((col.name, str(docs), sorted(col.queries.items())))
    with tempfile.TemporaryDirectory() as tmp, worktree(args.base) as base:
        old = rankings(base, jobs, Path(tmp) / "base-index")
        new = rankings(REPO, jobs, Path(tmp) / "new-index")
    for label, run in (("base", old), ("working tree", new)):
        info = run.pop("")
        print(f"{label}: {info['code']}, index format {info['format']}")
    same = identical = total = 0
    shown = 0
    for name, queries in old.items():
        alike = [q for q, r in queries.items() if _alike(r, new[name][q])]
        exact = sum(new[name][q] == queries[q] for q in alike)
        print(f"{name:10} {len(alike)}/{len(queries)} queries rank alike (top 100), {exact} with identical scores")
        same += len(alike)
        identical += exact
        total += len(queries)
        for q, r in queries.items():
            if q not in alike and shown < 5:
                shown += 1
                print(f"  {name} {q}: first difference at rank "
                      f"{next(i for i, (a, b) in enumerate(zip(r + [None], new[name][q] + [None])) if not _alike([a], [b])) + 1}")
    print(f"all: {same}/{total} queries rank alike, {identical} with identical scores")
    return 0 if same == total else 1


def _alike(a: list, b: list) -> bool:
    """The same passages in the same order, their scores equal to a millionth."""
    return len(a) == len(b) and all(
        x == y or (x is not None and y is not None and x[:2] == y[:2] and abs(x[2] - y[2]) <= 1e-6 * abs(x[2]))
        for x, y in zip(a, b))


if __name__ == "__main__":
    sys.exit(main())
