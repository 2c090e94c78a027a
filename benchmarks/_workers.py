"""Subprocess workers of the scale benchmark (one measurement per process).

    python benchmarks/_workers.py TASK ARGS...

Tasks (each prints one JSON line last on stdout):

  bm25s-build CORPUS INDEX      read every file, split passages on blank lines,
                                tokenize (en stopwords, English Snowball stemmer),
                                index, save (+ a citation table: file, lines)
  bm25s-query INDEX QUERIES     load (mmap) and time it, then per-query latency
                                (tokenize + retrieve k=10 + citation lookup)
  bm25s-batch INDEX             questions on stdin, one a line: load, answer all
                                in one retrieve call, one JSON line each on stdout
  qa-query CORPUS INDEX QUERIES time qa.open_index(update=False), then per-query
                                latency of Index.search(q, k=10) (or .ask)
  qa-ask CORPUS INDEX QUERIES   per-query latency of the whole answer, Index.ask(q, k=10)
  qa-update CORPUS INDEX        time qa.open_index(corpus, index) (update=True, lexical)

Imports happen before the clock starts: open and query times are the
library's, not the interpreter's start-up (which build and batch, being whole
commands, do include).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _synth  # noqa: E402

K = 10


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _latency_stats(lat_s: list[float]) -> dict:
    a = np.asarray(lat_s) * 1000.0
    return {
        "n": int(a.size),
        "p50_ms": float(np.percentile(a, 50)),
        "p90_ms": float(np.percentile(a, 90)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
        "max_ms": float(a.max()),
    }


def _memory() -> dict:
    """This process's private (anonymous) and file-backed resident memory, MB.

    An mmap'ed index shows up in RSS as file pages shared with the page cache
    (reclaimable, and readahead makes them grow fast); RssAnon is what the
    process itself allocated.
    """
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("RssAnon:", "RssFile:")):
                    key = "anon_mb" if line.startswith("RssAnon") else "file_mb"
                    out[key] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return out


def _overlaps(src: str, a: int, b: int, q: dict) -> bool:
    return src == q["source"] and a <= q["line_end"] and b >= q["line_start"]


def _warmup_count(n: int) -> int:
    return min(20, max(1, n // 10))


# --------------------------------------------------------------------------- bm25s

def _list_files(corpus: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".txt"):
                out.append(os.path.relpath(os.path.join(root, f), corpus))
    return out


def bm25s_build(corpus: str, index: str) -> None:
    import bm25s
    import Stemmer

    corpus_p = Path(corpus)
    files = _list_files(corpus_p)
    texts: list[str] = []
    cites: list[tuple[int, int, int]] = []
    for fi, rel in enumerate(files):
        text = (corpus_p / rel).read_text(encoding="utf-8")
        for body, a, b in _synth.iter_passages(text):
            texts.append(body)
            cites.append((fi, a, b))
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    n = len(texts)
    del texts
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    del tokens
    retriever.save(index)
    np.save(os.path.join(index, "citations.npy"), np.asarray(cites, dtype=np.int32))
    with open(os.path.join(index, "files.json"), "w") as fh:
        json.dump(files, fh)
    _emit({"passages": n, "files": len(files)})


def _bm25s_open(index: str):
    import bm25s

    retriever = bm25s.BM25.load(index, mmap=True)
    cites = np.load(os.path.join(index, "citations.npy"), mmap_mode="r")
    with open(os.path.join(index, "files.json")) as fh:
        files = json.load(fh)
    return retriever, cites, files


def bm25s_query(index: str, queries_path: str) -> None:
    import bm25s
    import Stemmer

    queries = _synth.load_queries(queries_path)
    t0 = time.perf_counter()
    retriever, cites, files = _bm25s_open(index)
    open_s = time.perf_counter() - t0
    stemmer = Stemmer.Stemmer("english")

    def one(q: str):
        toks = bm25s.tokenize([q], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
        docs, scores = retriever.retrieve(toks, k=K, show_progress=False)
        return [(files[cites[d][0]], int(cites[d][1]), int(cites[d][2])) for d in docs[0]]

    for q in queries[:_warmup_count(len(queries))]:
        one(q["query"])
    lat, hits = [], 0
    for q in queries:
        t = time.perf_counter()
        res = one(q["query"])
        lat.append(time.perf_counter() - t)
        hits += any(_overlaps(s, a, b, q) for s, a, b in res)
    _emit({"open_s": open_s, "hit_at_10": hits / len(queries), **_latency_stats(lat), **_memory()})


def bm25s_batch(index: str) -> None:
    import bm25s
    import Stemmer

    questions = [line.strip() for line in sys.stdin if line.strip()]
    retriever, cites, files = _bm25s_open(index)
    stemmer = Stemmer.Stemmer("english")
    toks = bm25s.tokenize(questions, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
    docs, scores = retriever.retrieve(toks, k=K, show_progress=False)
    out = sys.stdout
    for q, drow, srow in zip(questions, docs, scores):
        results = [
            {"rank": r + 1, "score": float(s), "source": files[cites[d][0]],
             "line_start": int(cites[d][1]), "line_end": int(cites[d][2])}
            for r, (d, s) in enumerate(zip(drow, srow))
        ]
        out.write(json.dumps({"question": q, "results": results}) + "\n")


# --------------------------------------------------------------------------- qa

def _qa_citer(idx):
    """(source, line_start, line_end) of each hit of Index.search or Index.ask."""
    searcher = getattr(idx, "searcher", None)

    def cite(ans) -> list[tuple[str, int, int]]:
        items = list(ans.results) if hasattr(ans, "results") else list(ans)
        out = []
        for it in items[:K]:
            if isinstance(it, tuple):           # (passage id, score) from Index.search
                source, _cs, _ce, ls, le = searcher.passage(int(it[0]))
                out.append((source, ls, le))
            else:                               # a Result
                out.append((it.source, it.line_start, it.line_end))
        return out

    return cite


def _qa_passages(idx) -> int | None:
    for attr in ("passage_count", "n_passages"):
        v = getattr(idx, attr, None)
        if isinstance(v, int):
            return v
    return None


def qa_query(corpus: str, index: str, queries_path: str) -> None:
    import qa

    queries = _synth.load_queries(queries_path)
    t0 = time.perf_counter()
    idx = qa.open_index(corpus, index, update=False, semantic=False)
    open_s = time.perf_counter() - t0
    search = getattr(idx, "search", None)
    method = "search"
    if search is None:
        search, method = idx.ask, "ask"
    cite = _qa_citer(idx)
    for q in queries[:_warmup_count(len(queries))]:
        cite(search(q["query"], k=K))
    lat, hits = [], 0
    for q in queries:
        t = time.perf_counter()
        res = cite(search(q["query"], k=K))     # ranking plus the k citations, as for bm25s
        lat.append(time.perf_counter() - t)
        hits += any(_overlaps(s, a, b, q) for s, a, b in res)
    _emit({"open_s": open_s, "method": method, "passages": _qa_passages(idx),
           "hit_at_10": hits / len(queries), **_latency_stats(lat), **_memory()})


def qa_ask(corpus: str, index: str, queries_path: str) -> None:
    """The whole answer one at a time (what `qa ask` does for each question: also the answer line,
    near-duplicates folded, the passages' text read), the same work batch answering does: in a
    process of its own, after the same warm-up as qa_query, each question asked once (asked again,
    a question would find its terms' look-ups cached)."""
    import qa

    queries = _synth.load_queries(queries_path)
    idx = qa.open_index(corpus, index, update=False, semantic=False)
    for q in queries[:_warmup_count(len(queries))]:
        idx.ask(q["query"], k=K)
    asked = []
    for q in queries:
        t = time.perf_counter()
        idx.ask(q["query"], k=K)
        asked.append(time.perf_counter() - t)
    _emit({f"ask_{key}": value for key, value in _latency_stats(asked).items()})


def qa_update(corpus: str, index: str) -> None:
    import qa

    t0 = time.perf_counter()
    idx = qa.open_index(corpus, index, semantic=False)
    dt = time.perf_counter() - t0
    _emit({"update_s": dt, "passages": _qa_passages(idx)})


TASKS = {
    "bm25s-build": bm25s_build,
    "bm25s-query": bm25s_query,
    "bm25s-batch": bm25s_batch,
    "qa-query": qa_query,
    "qa-ask": qa_ask,
    "qa-update": qa_update,
}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: _workers.py {{{','.join(TASKS)}}} ARGS...")
    TASKS[sys.argv[1]](*sys.argv[2:])
