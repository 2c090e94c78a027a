"""Cost of qa's Dask cluster mode against one machine, and a projection to 10 workers and 100M passages.

    python benchmarks/cluster.py                    # 1M passages (about 10 minutes on 2 cores)
    python benchmarks/cluster.py --sizes 100k       # a quick run (about a minute)
    python benchmarks/cluster.py --sizes 1M --local-index benchmarks/out/scale/1M/qa-index

It reuses scale.py's deterministic corpus and query set (benchmarks/out/scale/
<size>/corpus, generated when missing, see _synth.py) and measures, in one
run, a local index and a cluster index on a LocalCluster of 1 and of 2 worker
processes (threads_per_worker=1, ``qa.cluster.connect("local:N")``); each
index is written to its own folder under benchmarks/out/cluster/<size>/:

  build         wall time of the whole build: for the local index the command
                ``python -m qa index`` (start-up included, via _measure.py, as
                scale.py); for the cluster ``qa.build_index(corpus, index,
                cluster=...)`` on a LocalCluster already started (its start-up
                is reported apart), which includes opening the index, and so
                loading every shard into its worker's memory (reported apart:
                "of which open"). Also the workers' CPU seconds and their peak
                RSS (VmHWM) during the build.
  open          qa.open_index(..., update=False, cluster=...) on a fresh
                cluster: the shards are read into the workers' memory
  query         latency one question at a time, k=10, of Index.search(q, 10)
                and Index.ask(q, 10), p50/p99, over scale.py's 200 queries,
                after a warm-up on the first 20 (scale.py's); each timed pass
                runs on a freshly opened Index, so the client's cache of
                document frequencies starts empty, as for a new process (the
                workers keep their loaded shards). Fan-out overhead = cluster
                latency minus local latency (same percentile).
  round trips   calls of Cluster.run (one call per shard, straight to its worker) per
                question, by what they run on the shards (counts = the "dfs"
                phase, top = scoring)
  shard memory  RSS (VmRSS, and RssAnon) of each worker after the shards are
                loaded and the warm-up questions answered, minus its RSS
                before (a fresh worker that has imported qa)
  shard disk    bytes of the shard's segment folders; passages per shard
  shard time    the shard calls of every timed question replayed on the
                shard's own worker, one worker at a time, timed there: per
                question, the sum of its ``shard.top`` calls (scoring) and of
                its ``shard.counts`` calls (document frequencies; the worker's
                cache of them is warm by then)
  same answers  for every query, the cluster's top 10 (citation, score) of
                Index.search against the local index's, scores within 1e-4
                relative: in the same order, or the same up to the order of
                tied scores (also for Index.ask's results)

It prints a table and a projection for 10 workers of 10M passages each (100M):
memory per worker from the measured shard memory per passage, latency from
the per-shard time extrapolated with the measured scaling between the 1-worker
(whole index) and the 2-worker (half index) shards, plus the measured fan-out
overhead, and writes everything to benchmarks/out/cluster/results.json.

The machine's cores are shared: on 2 cores, 2 workers compete with the client
and the scheduler (and with whatever else runs), so the 2-worker figures are
an upper bound of what 2 machines would do.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
import _synth  # noqa: E402
import scale  # noqa: E402

DEFAULT_OUT = HERE / "out" / "cluster"
SCALE_OUT = HERE / "out" / "scale"
K = 10
WARMUP = 20
REL_TOL = 1e-4
PROJ_WORKERS = 10
PROJ_PASSAGES = 100_000_000

log = scale.log


# --------------------------------------------------------------------------- run on the workers
# (self-contained: cloudpickle sends them by value)

def _w_import() -> bool:
    import qa.cluster.shard  # noqa: F401
    import qa.search  # noqa: F401
    return True


def _w_memory() -> dict:
    """This worker process's memory (MB), CPU seconds and the shards it holds."""
    import gc as _gc
    import os as _os

    _gc.collect()
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = int(line.split()[1]) / 1024.0
    t = _os.times()
    out["cpu_s"] = t.user + t.system
    out["pid"] = _os.getpid()
    try:
        from qa.cluster import shard
        out["segments_loaded"] = len(shard._segments_held)
        out["passages_loaded"] = int(sum(seg.size for seg in shard._segments_held.values()))
        out["searchers"] = len(shard._searchers)
    except Exception:  # noqa: BLE001 - a probe: report what can be read
        pass
    return out


def _w_time_calls(batches: list, rounds: int = 3) -> list:
    """Replay each question's shard calls [(name, args), ...] here; per question {name: seconds}, the
    least of ``rounds`` rounds. Each round starts with the worker's scorers dropped (their caches of
    document frequencies and term lookups go with them; the loaded postings stay), so a question meets
    the caches as it did in the timed pass: warmed only by the questions before it."""
    import time as _time

    from qa.cluster import shard
    fns = {"top": shard.top, "counts": shard.counts, "stats": shard.stats}
    best: list = []
    for _ in range(rounds):
        shard._searchers.clear()
        for calls in batches:  # rebuild the scorers (their length norms) outside the clock
            for name, args in calls:
                if name == "top":
                    shard.top(args[0], args[1], args[2], {}, args[4], {})
                elif name == "counts":
                    shard.counts(args[0], {})
        out = []
        for calls in batches:
            spent = {"top": 0.0, "counts": 0.0}
            for name, args in calls:
                t = _time.perf_counter()
                fns[name](*args)
                spent[name] = spent.get(name, 0.0) + _time.perf_counter() - t
            out.append(spent)
        best = out if not best else [{k: min(a[k], b[k]) for k in a} for a, b in zip(best, out)]
    return best


class Recorder:
    """Records the calls of Cluster.run (the round trips of a question): (function name, seconds, and,
    while ``keep_calls`` is set, each shard's arguments for the replay)."""

    def __init__(self, cluster):
        self.keep_calls = False
        self._calls: list = []
        inner = cluster.run

        def run(fn, calls, prefer=None, what="a shard"):
            t = time.perf_counter()
            try:
                return inner(fn, calls, prefer, what)
            finally:
                self._calls.append((fn.__name__, time.perf_counter() - t, list(calls) if self.keep_calls else None))

        cluster.run = run

    def take(self) -> list:
        """The calls since the last take."""
        out, self._calls = self._calls, []
        return out


def _stats(lat_s: list[float]) -> dict:
    a = np.asarray(lat_s, dtype=np.float64) * 1000.0
    if not a.size:
        return {}
    return {"p50_ms": float(np.percentile(a, 50)), "p90_ms": float(np.percentile(a, 90)),
            "p99_ms": float(np.percentile(a, 99)), "mean_ms": float(a.mean()), "max_ms": float(a.max())}


def _cite(idx, res, method: str) -> list:
    """[((source, line_start, line_end), score)] of a search or ask answer."""
    if method == "search":
        out = []
        for pid, score in res:
            source, _cs, _ce, ls, le = idx.searcher.passage(int(pid))
            out.append(((source, ls, le), float(score)))
        return out
    return [((r.source, r.line_start, r.line_end), float(r.score)) for r in res.results]


def _close(a: float, b: float, abs_tol: float = 0.0) -> bool:
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b)) + abs_tol + 1e-12


def compare(a: list, b: list, abs_tol: float = 0.0) -> str:
    """'exact' (same citations in order, scores close), 'ties' (the same up to the order of equal
    scores, or which of the passages tied at the k-th score made the cut), else 'differ'."""
    if len(a) != len(b) or not all(_close(sa, sb, abs_tol) for (_, sa), (_, sb) in zip(a, b)):
        return "differ"
    if [c for c, _ in a] == [c for c, _ in b]:
        return "exact"
    if not a:
        return "exact"
    last = a[-1][1]
    above_a = sorted(c for c, s in a if not _close(s, last, abs_tol))
    above_b = sorted(c for c, s in b if not _close(s, last, abs_tol))
    return "ties" if above_a == above_b else "differ"


def run_pass(idx, queries: list[dict], method: str, rec: Recorder | None = None) -> dict:
    """Time each question; its answer as citations; the round trips it made."""
    lat, answers, trips = [], [], []
    ask = idx.search if method == "search" else idx.ask
    for q in queries:
        if rec:
            rec.take()
        t = time.perf_counter()
        res = ask(q["query"], K)
        lat.append(time.perf_counter() - t)
        if rec:
            trips.append(rec.take())
        answers.append(_cite(idx, res, method))
    return {"lat": lat, "answers": answers, "trips": trips}


def warm_up(idx, queries: list[dict]) -> None:
    for q in queries[:min(WARMUP, max(1, len(queries) // 10))]:
        idx.search(q["query"], K)
        idx.ask(q["query"], K)


def seg_disk_bytes(index_dir: Path, names: list[str]) -> int:
    return int(sum(scale.dir_size_mb(index_dir / n) * 1e6 for n in names))


def shards_of(manifest: dict) -> dict:
    """shard key -> {segments, passages} in the order the searcher numbers them."""
    out: dict = {}
    for seg in manifest["segments"]:
        entry = out.setdefault(seg.get("shard", seg["name"]), {"segments": [], "passages": 0})
        entry["segments"].append(seg["name"])
        entry["passages"] += int(seg["passages"])
    return out


# --------------------------------------------------------------------------- phases

def build_local(work: Path, corpus: Path, reuse: Path | None, label: str) -> tuple[Path, dict]:
    if reuse is not None:
        r = {"reused_index": str(reuse), "disk_mb": scale.dir_size_mb(reuse)}
        try:
            prev = json.loads((SCALE_OUT / "results.json").read_text())["runs"][label]["qa"]
            r.update(build_s=prev["build_s"], build_cpu_s=prev.get("build_cpu_s"),
                     build_peak_mb=prev.get("build_peak_mb"), build_from="scale.py results.json")
        except (OSError, ValueError, KeyError):
            pass
        log(f"  local: reusing {reuse} (build figure: {r.get('build_from', 'none')})")
        return reuse, r
    index = work / "local"
    if index.exists():
        shutil.rmtree(index)
    load = scale.busy_note()
    log("  local: build (python -m qa index)")
    rep = scale.measure(scale.qa_cmd("index", "--corpus", str(corpus), "--index", str(index)),
                        stdout=work / "local-build.out")
    r = {"build_s": rep["wall_s"], "build_cpu_s": rep["cpu_user_s"] + rep["cpu_sys_s"],
         "build_peak_mb": rep["peak_rss_mb"], "disk_mb": scale.dir_size_mb(index), "load_before": load}
    log(f"    {r['build_s']:.1f} s, {r['build_cpu_s']:.0f} CPU s, {r['build_peak_mb']:.0f} MB peak, "
        f"{r['disk_mb']:.0f} MB on disk")
    return index, r


def connect(n: int):
    from qa.cluster import connect as qa_connect

    t = time.perf_counter()
    cl = qa_connect(f"local:{n}")
    cl.client.wait_for_workers(n)
    start_s = time.perf_counter() - t
    cl.client.run(_w_import)
    return cl, start_s


def build_cluster(work: Path, corpus: Path, n: int) -> tuple[Path, dict]:
    import qa

    index = work / f"cluster-{n}w"
    if index.exists():
        shutil.rmtree(index)
    load = scale.busy_note()
    log(f"  cluster {n}w: start, build")
    cl, start_s = connect(n)
    try:
        rec = Recorder(cl)
        before = cl.client.run(_w_memory)
        t = time.perf_counter()
        idx = qa.build_index(corpus, index, cluster=cl, warn=lambda m: None)
        build_s = time.perf_counter() - t
        open_s = sum(dt for name, dt, _ in rec.take() if name == "stats")
        after = cl.client.run(_w_memory)
        passages = idx.passage_count
    finally:
        cl.close()
    r = {"workers": n, "cluster_start_s": start_s, "build_s": build_s, "build_open_s": open_s,
         "build_worker_cpu_s": sum(after[w]["cpu_s"] - before[w]["cpu_s"] for w in after),
         "build_worker_peak_mb": max(m["VmHWM"] for m in after.values()),
         "disk_mb": scale.dir_size_mb(index), "passages": passages, "load_before": load}
    log(f"    start {start_s:.1f} s; build {build_s:.1f} s (of which open {open_s:.1f} s), "
        f"{r['build_worker_cpu_s']:.0f} worker CPU s, worker peak {r['build_worker_peak_mb']:.0f} MB")
    return index, r


def query_local(corpus: Path, index: Path, queries: list[dict]) -> tuple[dict, dict]:
    import qa

    log("  local: queries")
    t = time.perf_counter()
    idx = qa.open_index(corpus, index, update=False)
    open_s = time.perf_counter() - t
    warm_up(idx, queries)
    passes = {}
    for method in ("search", "ask"):
        idx = qa.open_index(corpus, index, update=False)
        passes[method] = run_pass(idx, queries, method)
    r = {"open_s": open_s, "passages": idx.passage_count,
         **{f"{m}_{k}": v for m, p in passes.items() for k, v in _stats(p["lat"]).items()}}
    log(f"    search p50 {r['search_p50_ms']:.2f} ms, p99 {r['search_p99_ms']:.2f} ms; "
        f"ask p50 {r['ask_p50_ms']:.2f} ms, p99 {r['ask_p99_ms']:.2f} ms")
    return r, passes


def query_cluster(corpus: Path, index: Path, queries: list[dict], n: int, local_passes: dict) -> dict:
    import qa

    log(f"  cluster {n}w: open, queries")
    cl, start_s = connect(n)
    try:
        rec = Recorder(cl)
        workers = cl.workers()
        base = cl.client.run(_w_memory)
        t = time.perf_counter()
        idx = qa.open_index(corpus, index, update=False, cluster=cl)
        open_s = time.perf_counter() - t
        rec.take()
        loaded = cl.client.run(_w_memory)
        warm_up(idx, queries)
        warm = cl.client.run(_w_memory)
        passes = {}
        for method in ("search", "ask"):
            idx = qa.open_index(corpus, index, update=False, cluster=cl)
            rec.take()
            rec.keep_calls = True
            passes[method] = run_pass(idx, queries, method, rec)
            rec.keep_calls = False
        manifest = idx.manifest
        specs = idx.searcher.shards
        # a bare round trip: one call a shard that does nothing, the way the searcher sends its calls
        # (Cluster.run: straight to the workers holding the shards)
        from qa.cluster import shard as shard_calls
        noop = []
        for i in range(60):
            t = time.perf_counter()
            cl.run(shard_calls.ping, [()] * len(specs), prefer=range(len(specs)), what="a no-op")
            if i >= 10:
                noop.append(time.perf_counter() - t)
        rec.take()
        # replay each shard's calls on its own worker, one worker at a time
        shard_times: dict[str, list] = {}
        for method, p in passes.items():
            per_shard = []
            for j in range(len(specs)):
                batches = [[(name, calls[j]) for name, _dt, calls in trips if name in ("top", "counts")]
                           for trips in p["trips"]]
                fut = cl.client.submit(_w_time_calls, batches, pure=False, workers=[workers[j % len(workers)]],
                                       allow_other_workers=False)
                per_shard.append(fut.result())
            shard_times[method] = per_shard
    finally:
        cl.close()

    shards = shards_of(manifest)
    shard_rows = []
    for j, (key, s) in enumerate(shards.items()):
        w = workers[j % len(workers)]
        row = {"shard": str(key), "worker": j % len(workers), "segments": len(s["segments"]),
               "passages": s["passages"], "disk_bytes": seg_disk_bytes(index, s["segments"])}
        for method, per_shard in shard_times.items():
            top = [x["top"] for x in per_shard[j]]
            counts = [x["counts"] for x in per_shard[j]]
            both = [a + b for a, b in zip(top, counts)]
            for name, vals in (("top", top), ("counts", counts), ("work", both)):
                st = _stats(vals)
                row[f"{method}_{name}_p50_ms"] = st["p50_ms"]
                row[f"{method}_{name}_p99_ms"] = st["p99_ms"]
                row[f"{method}_{name}_mean_ms"] = st["mean_ms"]
        row["rss_mb"] = warm[w]["VmRSS"] - base[w]["VmRSS"]
        row["anon_mb"] = warm[w]["RssAnon"] - base[w]["RssAnon"]
        shard_rows.append(row)
    per_worker = []
    for i, w in enumerate(workers):
        mine = [r for r in shard_rows if r["worker"] == i]
        per_worker.append({
            "worker": i, "shards": len(mine), "passages": sum(r["passages"] for r in mine),
            "base_rss_mb": base[w]["VmRSS"], "loaded_rss_mb": loaded[w]["VmRSS"], "warm_rss_mb": warm[w]["VmRSS"],
            "shard_rss_mb": warm[w]["VmRSS"] - base[w]["VmRSS"], "shard_anon_mb": warm[w]["RssAnon"] - base[w]["RssAnon"],
            "passages_loaded": warm[w].get("passages_loaded"), "segments_loaded": warm[w].get("segments_loaded"),
        })

    r = {"workers": n, "cluster_start_s": start_s, "open_s": open_s, "shards": len(shards),
         "noop_trip_p50_ms": _stats(noop)["p50_ms"], "noop_trip_p99_ms": _stats(noop)["p99_ms"],
         "shard_detail": shard_rows, "worker_detail": per_worker}
    for method, p in passes.items():
        st = _stats(p["lat"])
        r.update({f"{method}_{k}": v for k, v in st.items()})
        trips = [len(t) for t in p["trips"]]
        r[f"{method}_trips_mean"] = float(np.mean(trips))
        r[f"{method}_trips_max"] = int(max(trips))
        for name in ("counts", "top"):
            r[f"{method}_trips_{name}"] = float(np.mean([sum(1 for e in t if e[0] == name) for t in p["trips"]]))
        kinds = [compare(a, b, abs_tol=0.0 if method == "search" else 1e-4)
                 for a, b in zip(p["answers"], local_passes[method]["answers"])]
        r[f"{method}_match_exact"] = kinds.count("exact") / len(kinds)
        r[f"{method}_match"] = (kinds.count("exact") + kinds.count("ties")) / len(kinds)
        r[f"{method}_differ"] = [queries[i]["query"] for i, k in enumerate(kinds) if k == "differ"][:10]
    # figures over the shards: the slowest / largest one (a question waits for the slowest)
    for key in ("search_top_p50_ms", "search_top_p99_ms", "search_work_p50_ms", "search_work_p99_ms",
                "search_counts_p50_ms", "ask_top_p50_ms", "ask_work_p50_ms"):
        r[f"shard_{key}"] = max(row[key] for row in shard_rows)
    r["shard_passages"] = max(row["passages"] for row in shard_rows)
    r["shard_disk_mb"] = max(row["disk_bytes"] for row in shard_rows) / 1e6
    r["worker_shard_rss_mb"] = max(w["shard_rss_mb"] for w in per_worker)
    r["worker_shard_anon_mb"] = max(w["shard_anon_mb"] for w in per_worker)
    r["worker_base_rss_mb"] = max(w["base_rss_mb"] for w in per_worker)
    r["rss_bytes_per_passage"] = (sum(w["shard_rss_mb"] for w in per_worker) * 2**20
                                  / max(1, sum(w["passages"] for w in per_worker)))
    r["disk_bytes_per_passage"] = sum(row["disk_bytes"] for row in shard_rows) / max(1, sum(
        row["passages"] for row in shard_rows))
    log(f"    open {open_s:.1f} s; search p50 {r['search_p50_ms']:.2f} ms, p99 {r['search_p99_ms']:.2f} ms; "
        f"ask p50 {r['ask_p50_ms']:.2f} ms; {r['search_trips_mean']:.1f} round trips a search; "
        f"same top 10: {r['search_match']:.1%}; shard memory {r['worker_shard_rss_mb']:.0f} MB a worker")
    return r


# --------------------------------------------------------------------------- report

ROWS = [
    ("passages", "passages indexed", "{:,}"),
    ("shards", "shards (1 a worker)", "{}"),
    ("cluster_start_s", "LocalCluster start (s)", "{:.1f}"),
    ("build_s", "build, wall (s)", "{:.1f}"),
    ("build_open_s", "  of which open (load shards)", "{:.1f}"),
    ("build_cpu_s", "build CPU: command / workers (s)", "{:.0f}"),
    ("build_peak_mb", "build peak RSS: command / worker", "{:.0f}"),
    ("disk_mb", "index on disk (MB)", "{:.0f}"),
    ("open_s", "open index (s)", "{:.2f}"),
    ("search_p50_ms", "search p50 (ms)", "{:.2f}"),
    ("search_p99_ms", "search p99 (ms)", "{:.2f}"),
    ("search_over_p50_ms", "  fan-out overhead p50 (ms)", "{:+.2f}"),
    ("search_over_p99_ms", "  fan-out overhead p99 (ms)", "{:+.2f}"),
    ("ask_p50_ms", "ask p50 (ms)", "{:.2f}"),
    ("ask_p99_ms", "ask p99 (ms)", "{:.2f}"),
    ("ask_over_p50_ms", "  fan-out overhead p50 (ms)", "{:+.2f}"),
    ("ask_over_p99_ms", "  fan-out overhead p99 (ms)", "{:+.2f}"),
    ("noop_trip_p50_ms", "bare round trip p50 (ms)", "{:.2f}"),
    ("noop_trip_p99_ms", "bare round trip p99 (ms)", "{:.2f}"),
    ("search_trips_mean", "round trips a search (mean)", "{:.2f}"),
    ("search_trips_counts", "  of which counts (dfs)", "{:.2f}"),
    ("search_trips_top", "  of which top (scoring)", "{:.2f}"),
    ("search_trips_max", "  most for one question", "{}"),
    ("ask_trips_mean", "round trips an ask (mean)", "{:.2f}"),
    ("shard_passages", "passages a shard (largest)", "{:,}"),
    ("shard_disk_mb", "shard on disk (MB, largest)", "{:.0f}"),
    ("worker_base_rss_mb", "worker RSS before load (MB)", "{:.0f}"),
    ("worker_shard_rss_mb", "shard memory a worker, RSS (MB)", "{:.0f}"),
    ("worker_shard_anon_mb", "  of which RssAnon (MB)", "{:.0f}"),
    ("rss_bytes_per_passage", "shard memory a passage (bytes)", "{:.0f}"),
    ("disk_bytes_per_passage", "shard disk a passage (bytes)", "{:.0f}"),
    ("shard_search_top_p50_ms", "shard scoring a search p50 (ms)", "{:.2f}"),
    ("shard_search_top_p99_ms", "shard scoring a search p99 (ms)", "{:.2f}"),
    ("shard_search_counts_p50_ms", "shard counts a search p50 (ms)", "{:.2f}"),
    ("shard_search_work_p50_ms", "shard work a search p50 (ms)", "{:.2f}"),
    ("shard_ask_top_p50_ms", "shard scoring an ask p50 (ms)", "{:.2f}"),
    ("search_match", "same top 10 as local: search", "{:.1%}"),
    ("search_match_exact", "  same order exactly", "{:.1%}"),
    ("ask_match", "same results as local: ask", "{:.1%}"),
    ("load_before", "load average before build", "{:.1f}"),
]


def _cell(col: dict, key: str, fmt: str) -> str:
    if key == "build_cpu_s":
        v = col.get("build_cpu_s", col.get("build_worker_cpu_s"))
    elif key == "build_peak_mb":
        v = col.get("build_peak_mb", col.get("build_worker_peak_mb"))
    else:
        v = col.get(key)
    if v is None:
        return "-"
    try:
        return fmt.format(v)
    except (ValueError, TypeError):
        return str(v)


def format_table(label: str, run: dict) -> str:
    c = run["corpus"]
    cols = [("local", run["local"])] + [(f"cluster {n}w", run["clusters"][n]) for n in sorted(run["clusters"], key=int)]
    head = (f"== {label}: {c['passages']:,} passages, {c['files']:,} files, {c['bytes'] / 1e6:.0f} MB, "
            f"{run['queries']} queries, k={K}, {run['env']['cpus']} cores ==")
    lines = [head, f"{'':36}" + "".join(f"{name:>12}" for name, _ in cols)]
    for key, name, fmt in ROWS:
        cells = [_cell(col, key, fmt) for _, col in cols]
        if all(x == "-" for x in cells):
            continue
        lines.append(f"{name:36}" + "".join(f"{x:>12}" for x in cells))
    lines.append(f"note: {run['env']['cpus']} cores shared by the client, the scheduler and the workers (and other jobs): "
                 "with 2 workers they compete for the CPU, so their wall times and latencies are pessimistic.")
    if run.get("code_before") != run.get("code_after"):
        lines.append(f"note: qa's sources changed on disk during the run ({run.get('code_before')} -> "
                     f"{run.get('code_after')}): processes started later (workers, the local build) may run newer code.")
    for n, col in run["clusters"].items():
        if col.get("search_differ"):
            lines.append(f"note: {n}w search answers differ for: {'; '.join(col['search_differ'][:3])}")
    return "\n".join(lines)


def project(run: dict, others: dict | None = None) -> tuple[dict, str]:
    """10 workers x 10M passages from the measured per-shard figures (``others``: earlier runs of other
    sizes, for a cross-check of the scaling over a wider range)."""
    cl = run["clusters"]
    loc = run["local"]
    per_worker = PROJ_PASSAGES // PROJ_WORKERS
    ns = sorted(cl, key=int)
    # per-shard time against shard size: power law through the smallest and the largest shard measured
    pts = sorted({(cl[n]["shard_passages"], cl[n]["shard_search_work_p50_ms"], cl[n]["shard_search_work_p99_ms"],
                   cl[n]["shard_search_top_p50_ms"]) for n in ns})
    if len(pts) >= 2 and pts[-1][0] > pts[0][0] and pts[0][1] > 0:
        alpha = math.log(pts[-1][1] / pts[0][1]) / math.log(pts[-1][0] / pts[0][0])
    else:
        alpha = 1.0
    alpha_used = min(max(alpha, 0.5), 1.5)
    big = pts[-1]
    grow = (per_worker / big[0])
    work50 = big[1] * grow ** alpha_used
    work99 = big[2] * grow ** alpha_used
    top50 = big[3] * grow ** alpha_used
    work50_lin = big[1] * grow
    # fan-out overhead: measured with 1 worker (cluster minus local latency); what each further worker
    # adds to a round trip from the bare round trips of 1 and of 2 workers, times the round trips a question
    o1 = cl[ns[0]]["search_p50_ms"] - loc["search_p50_ms"]
    o1_99 = cl[ns[0]]["search_p99_ms"] - loc["search_p99_ms"]
    trips = cl[ns[-1]]["search_trips_mean"]
    step = 0.0
    if len(ns) >= 2:
        per_trip = (cl[ns[-1]]["noop_trip_p50_ms"] - cl[ns[0]]["noop_trip_p50_ms"]) / (int(ns[-1]) - int(ns[0]))
        step = max(0.0, per_trip) * trips
    over50 = o1 + step * (PROJ_WORKERS - 1)
    over99 = o1_99 + step * (PROJ_WORKERS - 1)
    # client side: what a local question costs beyond scoring the whole index (the 1-worker shard)
    client50 = max(0.0, loc["search_p50_ms"] - cl[ns[0]]["shard_search_work_p50_ms"])
    lat50 = client50 + work50 + over50
    lat99 = client50 + work99 + over99
    mem_pp = max(cl[n]["rss_bytes_per_passage"] for n in ns)
    base = max(cl[n]["worker_base_rss_mb"] for n in ns)
    mem = base + mem_pp * per_worker / 2**20
    disk_pp = max(cl[n]["disk_bytes_per_passage"] for n in ns)
    p = {"workers": PROJ_WORKERS, "passages": PROJ_PASSAGES, "passages_per_worker": per_worker,
         "shards": PROJ_WORKERS, "scaling_exponent_measured": alpha, "scaling_exponent_used": alpha_used,
         "shard_work_p50_ms": work50, "shard_work_p99_ms": work99, "shard_top_p50_ms": top50,
         "shard_work_p50_linear_ms": work50_lin, "overhead_1w_p50_ms": o1, "overhead_step_ms": step,
         "overhead_p50_ms": over50, "overhead_p99_ms": over99, "client_ms": client50,
         "search_p50_ms": lat50, "search_p99_ms": lat99, "worker_memory_mb": mem,
         "memory_bytes_per_passage": mem_pp, "worker_base_mb": base, "shard_disk_gb": disk_pp * per_worker / 1e9,
         "index_disk_gb": disk_pp * PROJ_PASSAGES / 1e9, "round_trips": trips}
    ref = ""
    try:
        r10 = json.loads((SCALE_OUT / "results-10M.json").read_text())["runs"]["10M"]["qa"]
        r1 = json.loads((SCALE_OUT / "results.json").read_text())["runs"]["1M"]["qa"]
        e = math.log(r10["query_p50_ms"] / r1["query_p50_ms"]) / math.log(r10["passages"] / r1["passages"])
        p["scale_py_local_exponent"] = e
        ref = (f"  (cross-check: scale.py's local search p50 went {r1['query_p50_ms']:.1f} -> "
               f"{r10['query_p50_ms']:.1f} ms from 1M to 10M passages, exponent {e:.2f}, client work included)\n")
    except (OSError, ValueError, KeyError, ZeroDivisionError):
        pass
    for label, other in sorted((others or {}).items()):
        try:
            o = other["clusters"][ns[0]]
            if o["shard_passages"] == cl[ns[0]]["shard_passages"] or other.get("code_before") != run.get("code_before"):
                continue
            e = (math.log(o["shard_search_work_p50_ms"] / cl[ns[0]]["shard_search_work_p50_ms"])
                 / math.log(o["shard_passages"] / cl[ns[0]]["shard_passages"]))
            p.setdefault("cross_run_exponents", {})[label] = e
            ref += (f"  (cross-check: the {ns[0]}-worker shard work p50 of the {label} run of {other['env']['date']}:"
                    f" {o['shard_search_work_p50_ms']:.2f} ms at {o['shard_passages']:,} passages, exponent {e:.2f}"
                    f" against this run's)\n")
        except (KeyError, ValueError, ZeroDivisionError, TypeError):
            continue
    text = (
        f"== projection: {PROJ_WORKERS} workers, {PROJ_PASSAGES / 1e6:.0f}M passages "
        f"({per_worker / 1e6:.0f}M a worker, {PROJ_WORKERS} shards, one a worker as qa index --cluster makes them) ==\n"
        f"memory a worker   ~{mem / 1024:.1f} GB = {base:.0f} MB worker baseline + {mem_pp:.0f} bytes a passage"
        f" (measured shard RSS / passages) x {per_worker / 1e6:.0f}M\n"
        f"disk              ~{p['shard_disk_gb']:.1f} GB a shard, ~{p['index_disk_gb']:.0f} GB in the shared index folder"
        f" ({disk_pp:.0f} bytes a passage)\n"
        f"shard work        p50 ~{work50:.0f} ms, p99 ~{work99:.0f} ms a search at {per_worker / 1e6:.0f}M passages"
        f" (scoring alone p50 ~{top50:.0f} ms): the largest measured shard ({big[0]:,} passages, p50 {big[1]:.1f} ms)"
        f" x ({grow:.1f})^{alpha_used:.2f}; exponent {alpha:.2f} measured between shards of {pts[0][0]:,} and"
        f" {big[0]:,} passages{' (clamped to 0.5..1.5)' if alpha_used != alpha else ''}; linear: {work50_lin:.0f} ms\n"
        f"{ref}"
        f"fan-out overhead  p50 ~{over50:.1f} ms, p99 ~{over99:.1f} ms = 1-worker overhead {o1:.1f} ms (p99 {o1_99:.1f})"
        f" + {PROJ_WORKERS - 1} x {step:.2f} ms a further worker ({trips:.1f} round trips x what a second worker added"
        f" to a bare round trip: {cl[ns[0]]['noop_trip_p50_ms']:.1f} -> {cl[ns[-1]]['noop_trip_p50_ms']:.1f} ms)\n"
        f"client work       ~{client50:.1f} ms (local search p50 minus the whole-index shard work: parsing, feedback text)\n"
        f"search latency    p50 ~{lat50:.0f} ms, p99 ~{lat99:.0f} ms = client + shard work + fan-out overhead;"
        f" {trips:.1f} round trips a question\n"
        f"assumptions: one worker a machine with its shard in RAM and no other load; shard work grows with passages as"
        f" measured here (same Zipf corpus, same query mix), shards equal, so the slowest of {PROJ_WORKERS} is near the"
        f" median (stragglers and a network hop of ~0.1-0.5 ms a round trip on a LAN are not in these figures);"
        f" the fan-out cost grows linearly with the workers (one call a shard a round trip, relayed by one scheduler);"
        f" the client (parsing, feedback reading the top passages, merging) does not grow with the corpus;"
        f" measured on {run['env']['cpus']} shared cores, so the 2-worker step is pessimistic."
    )
    return p, text


def code_fingerprint() -> str:
    """git HEAD and a digest of qa's sources as they are on disk (others may be editing them)."""
    import hashlib
    import subprocess

    h = hashlib.sha1()
    for path in sorted((REPO / "qa").rglob("*.py")):
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    return f"{head or '?'}+{h.hexdigest()[:10]}"


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1M", help="comma-separated passage counts: 100k,1M")
    ap.add_argument("--workers", default="1,2", help="LocalCluster sizes to measure (default 1,2)")
    ap.add_argument("--seed", type=int, default=_synth.DEFAULT_SEED)
    ap.add_argument("--vocab", type=int, default=_synth.DEFAULT_VOCAB)
    ap.add_argument("--zipf-s", type=float, default=_synth.DEFAULT_ZIPF_S)
    ap.add_argument("--queries", type=int, default=200, help="queries in the query set (as scale.py)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="indexes and results (default benchmarks/out/cluster)")
    ap.add_argument("--corpora", type=Path, default=SCALE_OUT, help="where scale.py keeps its corpora")
    ap.add_argument("--json", type=Path, help="results file (default OUT/results.json)")
    ap.add_argument("--local-index", type=Path,
                    help="an existing local index of the corpus to query instead of building one (one size only)")
    ap.add_argument("--clean", action="store_true", help="delete the indexes written here after measuring")
    args = ap.parse_args(argv)

    try:
        sizes = [_synth.parse_size(s) for s in args.sizes.split(",") if s.strip()]
        counts = sorted({int(x) for x in args.workers.split(",") if x.strip()})
    except ValueError as e:
        ap.error(str(e))
    if args.local_index and len(sizes) != 1:
        ap.error("--local-index takes one size")
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        sys.exit("cluster.py: needs Dask: pip install -e '.[cluster,bench]'")
    import qa.api  # noqa: F401 - now: this process's qa is the code as it was at the start

    out = args.out.resolve()
    json_path = (args.json or out / "results.json").resolve()
    results = scale.load_results(json_path)

    texts = []
    for n in sizes:
        label = _synth.size_label(n)
        work = out / label
        work.mkdir(parents=True, exist_ok=True)
        corpus = args.corpora.resolve() / label / "corpus"
        log(f"[{label}] corpus {corpus}")
        t0 = time.perf_counter()
        man = _synth.generate_corpus(corpus, n, seed=args.seed, vocab=args.vocab, zipf_s=args.zipf_s)
        log(f"  {'reused' if man['reused'] else 'generated'} {man['files']} files, "
            f"{man['bytes'] / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")
        queries = _synth.make_queries(corpus, n, args.queries, seed=args.seed, vocab=args.vocab)
        _synth.write_queries(queries, work / "queries.txt", work / "queries.jsonl")
        run = {"corpus": {**man["key"], "files": man["files"], "bytes": man["bytes"]},
               "queries": len(queries), "env": scale.environment(), "clusters": {}}
        t_run = time.perf_counter()
        run["code_before"] = code_fingerprint()
        local_index, run["local"] = build_local(work, corpus, args.local_index.resolve() if args.local_index else None,
                                                label)
        indexes = {}
        for w in counts:
            indexes[w], run["clusters"][str(w)] = build_cluster(work, corpus, w)
        lq, local_passes = query_local(corpus, local_index, queries)
        run["local"].update(lq)
        for w in counts:
            c = run["clusters"][str(w)]
            c.update(query_cluster(corpus, indexes[w], queries, w, local_passes))
            for m in ("search", "ask"):
                for pct in ("p50", "p99"):
                    c[f"{m}_over_{pct}_ms"] = c[f"{m}_{pct}_ms"] - run["local"][f"{m}_{pct}_ms"]
            gc.collect()
        run["wall_s"] = time.perf_counter() - t_run
        run["code_after"] = code_fingerprint()
        run["projection"], ptext = project(run, {k: v for k, v in results["runs"].items() if k != label})
        run["projection_text"] = ptext
        if args.clean:
            for d in [work / "local"] + list(indexes.values()):
                shutil.rmtree(d, ignore_errors=True)
        results["runs"][label] = run
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1))
        text = format_table(label, run) + "\n\n" + ptext
        texts.append(text)
        print(text + "\n", flush=True)
        log(f"  measured in {run['wall_s'] / 60:.1f} min")
    if len(texts) > 1:
        print("\n\n".join(texts))
    print(f"results: {json_path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except scale.BenchError as e:
        sys.exit(f"cluster.py: {e}")
