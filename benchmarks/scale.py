"""Speed and scale of qa against bm25s on a synthetic corpus of 10k to 10M passages.

    python benchmarks/scale.py                      # 10k and 100k passages
    python benchmarks/scale.py --sizes 1M           # one million (minutes)
    python benchmarks/scale.py --sizes 10k --systems bm25s

For each size it writes (or reuses) a deterministic corpus under
benchmarks/out/scale/<size>/corpus (see _synth.py), a query set beside it,
and measures both systems, every figure in its own fresh process:

  build       wall time and peak RSS of the whole indexing command
              (`python -m qa index --corpus C --index I`; for bm25s: read the
              files, split passages, tokenize, index, save), via _measure.py
  disk        bytes of the index folder
  open        time to open the index, memory-mapped (qa.open_index(...,
              update=False); bm25s.BM25.load(mmap=True)), imports excluded
  query       latency one query at a time, k=10, after a warm-up: p50/p99
              (qa: Index.search, else Index.ask; bm25s: tokenize + retrieve);
              for qa also the whole answer one at a time (Index.ask: answer
              line, near-duplicates folded, passage texts read), the work
              batch answering does for each question, in a process of its
              own so that no question is asked twice
  batch       wall time of answering every query from stdin in one command,
              divided by the number of queries (`qa ask --json -k 10 < q.txt`;
              bm25s: one retrieve call over all queries), start-up included;
              its goal: below qa's whole answer one at a time
  update      qa only (bm25s has no incremental update): time of
              qa.open_index(corpus, index) after no change, one file edited,
              one added, one deleted (the corpus is restored afterwards)
  hit@10      share of queries whose source passage is in the top 10, a check
              that both systems really retrieve

It prints a table with the ratios qa/bm25s against the goals of the issue,
merges the figures into benchmarks/out/scale/results.json and draws latency
and build time against corpus size (benchmarks/out/scale/scale.png).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import _synth  # noqa: E402

DEFAULT_OUT = HERE / "out" / "scale"
INSTALL_HINT = "pip install -e '.[bench]'"

# goal: (figure, ratio or absolute, limit)
GOALS = {
    "build_s": ("ratio", 0.4),
    "build_peak_mb": ("ratio", 0.5),
    "disk_mb": ("ratio", 1.0),
    "open_s": ("abs", 0.5),
    "query_p50_ms": ("ratio", 0.1),
    "query_p99_ms": ("abs", 10.0),
    "batch_per_query_ms": ("self", "ask_p50_ms"),   # faster than the same answers asked one at a time
    "update_edit_s": ("abs", 5.0),
    "update_add_s": ("abs", 5.0),
    "update_delete_s": ("abs", 5.0),
}

ROWS = [
    ("passages", "passages indexed", "{:,}"),
    ("build_s", "build time (s)", "{:.2f}"),
    ("build_cpu_s", "build CPU, user+sys (s)", "{:.1f}"),
    ("build_peak_mb", "peak build memory (MB)", "{:.0f}"),
    ("disk_mb", "index on disk (MB)", "{:.1f}"),
    ("open_s", "open index, mmap (s)", "{:.3f}"),
    ("query_p50_ms", "query p50 (ms)", "{:.2f}"),
    ("query_p99_ms", "query p99 (ms)", "{:.2f}"),
    ("ask_p50_ms", "whole answer p50, one at a time (ms)", "{:.2f}"),
    ("batch_per_query_ms", "batch, per query (ms)", "{:.2f}"),
    ("serve_peak_mb", "query process peak RSS (MB)", "{:.0f}"),
    ("serve_anon_mb", "  of which private (RssAnon)", "{:.0f}"),
    ("hit_at_10", "hit@10 (source passage)", "{:.3f}"),
    ("load_before", "load average before", "{:.1f}"),
    ("update_noop_s", "update: nothing changed (s)", "{:.3f}"),
    ("update_edit_s", "update: 1 file edited (s)", "{:.3f}"),
    ("update_add_s", "update: 1 file added (s)", "{:.3f}"),
    ("update_delete_s", "update: 1 file deleted (s)", "{:.3f}"),
]


def load_results(json_path: Path) -> dict:
    """The results file's figures so far (new runs are merged into it), or an empty one."""
    try:
        results = json.loads(json_path.read_text())
        results.setdefault("runs", {})
        return results
    except (OSError, ValueError, AttributeError):
        return {"runs": {}}


class BenchError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- checks

def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_deps(systems: list[str], plot: bool) -> None:
    missing = []
    if "bm25s" in systems:
        for mod, name in (("bm25s", "bm25s"), ("Stemmer", "PyStemmer")):
            if not _has(mod):
                missing.append(name)
    if plot and not _has("matplotlib"):
        missing.append("matplotlib")
    if missing:
        sys.exit(f"scale.py: missing {', '.join(missing)}: {INSTALL_HINT}")
    if "qa" in systems:
        probe = subprocess.run(
            [sys.executable, "-c", "import importlib.util, qa; qa.open_index; assert importlib.util.find_spec('qa.__main__')"],
            cwd=REPO, capture_output=True, text=True,
        )
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            sys.exit(f"scale.py: qa is not usable yet ({last}); run with --systems bm25s, or pip install -e .")


# --------------------------------------------------------------------------- running

def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TQDM_DISABLE", "1")
    return env


def measure(cmd: list[str], stdin: Path | None = None, stdout: Path | None = None,
            ok_codes: tuple[int, ...] = (0,)) -> dict:
    """Run `cmd` under a fresh _measure.py wrapper; its report (wall, peak RSS)."""
    wrapper = [sys.executable, str(HERE / "_measure.py")]
    if stdin:
        wrapper += ["--stdin", str(stdin)]
    if stdout:
        wrapper += ["--stdout", str(stdout)]
    proc = subprocess.run(wrapper + ["--"] + cmd, cwd=REPO, env=_env(), capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise BenchError(f"wrapper failed for {' '.join(cmd)}: {proc.stderr.strip()[-2000:]}")
    rep = json.loads(proc.stdout.strip().splitlines()[-1])
    if rep["returncode"] not in ok_codes:
        raise BenchError(f"exit {rep['returncode']}: {' '.join(cmd)}\n{proc.stderr.strip()[-3000:]}")
    rep["stderr_tail"] = proc.stderr.strip()[-500:]
    return rep


def worker(task: str, *args: str, out: Path) -> tuple[dict, dict]:
    """Run a _workers.py task measured; (its JSON line, the wrapper's report)."""
    rep = measure([sys.executable, str(HERE / "_workers.py"), task, *map(str, args)], stdout=out)
    lines = [line for line in out.read_text().splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"{task} printed no result")
    return json.loads(lines[-1]), rep


def dir_size_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total / 1e6


def count_json_answers(path: Path) -> int:
    text = path.read_text().strip()
    if not text:
        return 0
    try:
        obj = json.loads(text)
        return len(obj) if isinstance(obj, list) else 1
    except ValueError:
        n = 0
        dec = json.JSONDecoder()
        i = 0
        while i < len(text):
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                break
            _obj, i = dec.raw_decode(text, i)
            n += 1
        return n


def qa_cmd(command: str, *args: str) -> list[str]:
    """qa's lexical path, the one bm25s is compared with (no vectors embedded, no model loaded)."""
    return [sys.executable, "-m", "qa", command, "--lexical", *args]


# --------------------------------------------------------------------------- systems

def busy_note() -> float:
    """The 1-minute load average; says so when the machine is busy with other work."""
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) * 0.75:
        log(f"    note: load average {load:.1f} on {os.cpu_count()} cores: other jobs are running, "
            "wall times will be inflated (compare the CPU seconds)")
    return load


def run_bm25s(work: Path, corpus: Path, queries_jsonl: Path, queries_txt: Path, nq: int) -> dict:
    index = work / "bm25s-index"
    load = busy_note()
    if index.exists():
        shutil.rmtree(index)
    log("  bm25s: build")
    info, rep = worker("bm25s-build", corpus, index, out=work / "bm25s-build.out")
    r = {"passages": info["passages"], "build_s": rep["wall_s"], "build_peak_mb": rep["peak_rss_mb"],
         "build_maxrss_mb": rep["maxrss_mb"], "build_tree_pss_mb": rep["tree_pss_peak_mb"],
         "build_cpu_s": rep["cpu_user_s"] + rep["cpu_sys_s"], "disk_mb": dir_size_mb(index),
         "load_before": load}
    log(f"    {r['build_s']:.1f} s, {r['build_peak_mb']:.0f} MB peak, {r['disk_mb']:.1f} MB on disk")
    log("  bm25s: open + queries")
    q, rep = worker("bm25s-query", index, queries_jsonl, out=work / "bm25s-query.out")
    r.update(open_s=q["open_s"], query_p50_ms=q["p50_ms"], query_p90_ms=q["p90_ms"],
             query_p99_ms=q["p99_ms"], query_mean_ms=q["mean_ms"], hit_at_10=q["hit_at_10"],
             serve_peak_mb=rep["peak_rss_mb"], serve_anon_mb=q.get("anon_mb"))
    log(f"    open {r['open_s']:.3f} s, p50 {r['query_p50_ms']:.2f} ms, p99 {r['query_p99_ms']:.2f} ms, "
        f"hit@10 {r['hit_at_10']:.3f}")
    log("  bm25s: batch")
    out = work / "bm25s-batch.jsonl"
    rep = measure([sys.executable, str(HERE / "_workers.py"), "bm25s-batch", str(index)],
                  stdin=queries_txt, stdout=out)
    n = count_json_answers(out)
    if n != nq:
        raise BenchError(f"bm25s batch answered {n} of {nq} questions")
    r.update(batch_s=rep["wall_s"], batch_per_query_ms=rep["wall_s"] * 1000 / nq)
    log(f"    {r['batch_per_query_ms']:.2f} ms a query ({rep['wall_s']:.2f} s for {nq})")
    return r


def _update_step(work: Path, corpus: Path, index: Path, name: str) -> dict:
    info, rep = worker("qa-update", corpus, index, out=work / f"qa-update-{name}.out")
    return {"s": info["update_s"], "wall_s": rep["wall_s"], "peak_mb": rep["peak_rss_mb"],
            "passages": info.get("passages")}


def run_qa_updates(work: Path, corpus: Path, index: Path) -> dict:
    files = sorted(p for p in corpus.rglob("*.txt"))
    edit, donor, victim = files[len(files) // 2], files[0], files[-1]
    added = corpus / "zz_added" / "new_file.txt"
    edit_orig, victim_orig = edit.read_bytes(), victim.read_bytes()
    res: dict = {}
    try:
        res["noop"] = _update_step(work, corpus, index, "noop")
        # edit: a new line near the top shifts every later line of the file
        lines = edit_orig.split(b"\n")
        lines.insert(1, b"Zorblax quendiferous edit line, added by the scale benchmark.")
        edit.write_bytes(b"\n".join(lines))
        res["edit"] = _update_step(work, corpus, index, "edit")
        # add: a new file of 1,000 passages (a file's passages in reverse order)
        passages = donor.read_text(encoding="ascii").rstrip("\n").split("\n\n")
        added.parent.mkdir(parents=True, exist_ok=True)
        added.write_text("\n\n".join(reversed(passages)) + "\n", encoding="ascii")
        res["add"] = _update_step(work, corpus, index, "add")
        # delete one file
        victim.unlink()
        res["delete"] = _update_step(work, corpus, index, "delete")
    finally:
        edit.write_bytes(edit_orig)
        victim.write_bytes(victim_orig)
        if added.parent.exists():
            shutil.rmtree(added.parent)
    # bring the index back in line with the pristine corpus (three changes at once)
    res["restore"] = _update_step(work, corpus, index, "restore")
    return res


def run_qa(work: Path, corpus: Path, queries_jsonl: Path, queries_txt: Path, nq: int,
           updates: bool, profile: bool) -> dict:
    index = work / "qa-index"
    if index.exists():
        shutil.rmtree(index)
    load = busy_note()
    log("  qa: build")
    rep = measure(qa_cmd("index", "--corpus", str(corpus), "--index", str(index)),
                  stdout=work / "qa-build.out")
    r = {"build_s": rep["wall_s"], "build_peak_mb": rep["peak_rss_mb"],
         "build_maxrss_mb": rep["maxrss_mb"], "build_tree_pss_mb": rep["tree_pss_peak_mb"],
         "build_tree_rss_mb": rep["tree_rss_peak_mb"],
         "build_cpu_s": rep["cpu_user_s"] + rep["cpu_sys_s"], "build_procs": rep["max_procs"],
         "disk_mb": dir_size_mb(index), "load_before": load}
    log(f"    {r['build_s']:.1f} s, {r['build_peak_mb']:.0f} MB peak, {r['disk_mb']:.1f} MB on disk")
    if profile:
        prof = work / "qa-build.prof"
        tmp_index = work / "qa-index-profile"
        if tmp_index.exists():
            shutil.rmtree(tmp_index)
        log(f"  qa: build again under cProfile -> {prof}")
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "qa", "index", "--lexical",
                        "--corpus", str(corpus), "--index", str(tmp_index)],
                       cwd=REPO, env=_env(), check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(tmp_index, ignore_errors=True)
        import pstats
        pstats.Stats(str(prof), stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        r["profile"] = str(prof)
    log("  qa: open + queries")
    q, rep = worker("qa-query", corpus, index, queries_jsonl, out=work / "qa-query.out")
    r.update(open_s=q["open_s"], query_p50_ms=q["p50_ms"], query_p90_ms=q["p90_ms"],
             query_p99_ms=q["p99_ms"], query_mean_ms=q["mean_ms"], hit_at_10=q["hit_at_10"],
             query_method=q["method"], passages=q.get("passages"), serve_peak_mb=rep["peak_rss_mb"],
             serve_anon_mb=q.get("anon_mb"))
    a, _ = worker("qa-ask", corpus, index, queries_jsonl, out=work / "qa-ask.out")
    r.update(ask_p50_ms=a["ask_p50_ms"], ask_p99_ms=a["ask_p99_ms"])
    log(f"    open {r['open_s']:.3f} s, p50 {r['query_p50_ms']:.2f} ms, p99 {r['query_p99_ms']:.2f} ms, "
        f"hit@10 {r['hit_at_10']:.3f}, whole answer p50 {r['ask_p50_ms']:.2f} ms")
    log("  qa: batch")
    out = work / "qa-batch.json"
    # exit 1 = no question got an answer line: still a complete run
    rep = measure(qa_cmd("ask", "--json", "-k", "10", "--corpus", str(corpus), "--index", str(index)),
                  stdin=queries_txt, stdout=out, ok_codes=(0, 1))
    n = count_json_answers(out)
    if n != nq:
        raise BenchError(f"qa ask --json answered {n} of {nq} questions (see {out})")
    r.update(batch_s=rep["wall_s"], batch_per_query_ms=rep["wall_s"] * 1000 / nq)
    log(f"    {r['batch_per_query_ms']:.2f} ms a query ({rep['wall_s']:.2f} s for {nq})")
    if updates:
        log("  qa: incremental updates")
        u = run_qa_updates(work, corpus, index)
        for name, v in u.items():
            r[f"update_{name}_s"] = v["s"]
            r[f"update_{name}_peak_mb"] = v["peak_mb"]
        log("    " + ", ".join(f"{k} {v['s']:.3f} s" for k, v in u.items()))
    return r


# --------------------------------------------------------------------------- report

def verdict(key: str, qa: dict, bm: dict) -> str:
    goal = GOALS.get(key)
    if goal is None or key not in qa:
        return ""
    kind, limit = goal
    v = qa[key]
    if kind == "ratio":
        if key not in bm or not bm[key]:
            return ""
        ok = v / bm[key] <= limit
        return f"<={limit}x {'ok' if ok else 'MISS'}"
    if kind == "abs":
        unit = "ms" if key.endswith("_ms") else "s"
        ok = v <= limit if key != "query_p99_ms" else v < limit
        return f"{'<' if key == 'query_p99_ms' else '<='}{limit:g} {unit} {'ok' if ok else 'MISS'}"
    if kind == "self" and limit in qa:
        ok = v < qa[limit]
        return f"< qa whole answer p50 {'ok' if ok else 'MISS'}"
    return ""


def format_table(label: str, run: dict) -> str:
    qa, bm = run.get("qa") or {}, run.get("bm25s") or {}
    c = run["corpus"]
    notes = [f"{name} failed: {r['error'].strip().splitlines()[0]}" for name, r in (("qa", qa), ("bm25s", bm))
             if "error" in r]
    head = (f"== {label}: {c['passages']:,} passages, {c['files']:,} files, {c['bytes'] / 1e6:.0f} MB, "
            f"{run['queries']} queries, seed {c['seed']} ==")
    lines = [head, f"{'':32} {'qa':>10} {'bm25s':>10} {'qa/bm25s':>9}  goal (at 1M)"]
    for key, name, fmt in ROWS:
        if qa.get(key) is None and bm.get(key) is None:
            continue
        a = fmt.format(qa[key]) if qa.get(key) is not None else "-"
        b = fmt.format(bm[key]) if bm.get(key) is not None else "-"
        ratio = f"{qa[key] / bm[key]:.3f}" if qa.get(key) is not None and bm.get(key) else ""
        lines.append(f"{name:32} {a:>10} {b:>10} {ratio:>9}  {verdict(key, qa, bm)}")
    return "\n".join(lines + notes)


def plot(results: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted(results["runs"].values(), key=lambda r: r["corpus"]["passages"])
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.2))
    colors = {"qa": "tab:blue", "bm25s": "tab:orange"}
    for system in ("qa", "bm25s"):
        pts = [(r["corpus"]["passages"], r[system]) for r in runs if r.get(system) and "error" not in r[system]]
        if not pts:
            continue
        xs = [p for p, _ in pts]
        ax1.plot(xs, [m["query_p50_ms"] for _, m in pts], "o-", color=colors[system], label=f"{system} p50")
        ax1.plot(xs, [m["query_p99_ms"] for _, m in pts], "s--", color=colors[system], alpha=0.6,
                 label=f"{system} p99")
        ax2.plot(xs, [m["build_s"] for _, m in pts], "o-", color=colors[system], label=system)
        ax3.plot(xs, [m["build_peak_mb"] for _, m in pts], "o-", color=colors[system], label=f"{system} peak build RSS")
        ax3.plot(xs, [m["disk_mb"] for _, m in pts], "s--", color=colors[system], alpha=0.6,
                 label=f"{system} index on disk")
    ax1.axhline(10, color="grey", lw=0.8, ls=":", label="p99 goal 10 ms")
    for ax, title, ylabel in ((ax1, "query latency, one at a time, k=10", "ms"),
                              (ax2, "index build (whole command)", "s"),
                              (ax3, "build memory and index size", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"qa vs bm25s on synthetic Zipf corpora ({platform.node() or 'this machine'}, "
                 f"{os.cpu_count()} cores)", fontsize=10)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


def environment() -> dict:
    env = {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
           "date": _dt.datetime.now().isoformat(timespec="seconds")}
    for mod in ("numpy", "scipy", "sklearn", "bm25s"):
        try:
            env[mod] = __import__(mod).__version__
        except Exception:
            pass
    try:
        env["qa_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                          capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return env


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k", help="comma-separated passage counts: 10k,100k,1M,10M")
    ap.add_argument("--systems", default="qa,bm25s", help="qa,bm25s (default both)")
    ap.add_argument("--seed", type=int, default=_synth.DEFAULT_SEED)
    ap.add_argument("--vocab", type=int, default=_synth.DEFAULT_VOCAB, help="distinct pseudo-words")
    ap.add_argument("--zipf-s", type=float, default=_synth.DEFAULT_ZIPF_S)
    ap.add_argument("--queries", type=int, default=200, help="queries in the query set")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (corpora, indexes, results)")
    ap.add_argument("--json", type=Path, help="results file (default OUT/results.json)")
    ap.add_argument("--png", type=Path, help="plot (default OUT/scale.png)")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--no-update", action="store_true", help="skip qa's incremental-update figures")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpus even if cached")
    ap.add_argument("--generate-only", action="store_true", help="write corpus and queries, measure nothing")
    ap.add_argument("--profile-build", action="store_true",
                    help="also run qa's build under cProfile (untimed) and print the top functions")
    ap.add_argument("--clean", action="store_true", help="delete the indexes after measuring")
    args = ap.parse_args(argv)

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    bad = set(systems) - {"qa", "bm25s"}
    if bad:
        ap.error(f"unknown system(s): {', '.join(sorted(bad))}")
    try:
        sizes = [_synth.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError as e:
        ap.error(str(e))
    if not args.generate_only:
        check_deps(systems, plot=not args.no_plot)

    out: Path = args.out.resolve()
    json_path = (args.json or out / "results.json").resolve()
    png_path = (args.png or out / "scale.png").resolve()
    results = load_results(json_path)

    tables = []
    for n in sizes:
        label = _synth.size_label(n)
        work = out / label
        work.mkdir(parents=True, exist_ok=True)
        corpus = work / "corpus"
        log(f"[{label}] corpus")
        t0 = time.perf_counter()
        man = _synth.generate_corpus(corpus, n, seed=args.seed, vocab=args.vocab, zipf_s=args.zipf_s,
                                     force=args.regen)
        log(f"  {'reused' if man['reused'] else 'generated'} {man['files']} files, "
            f"{man['bytes'] / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")
        queries = _synth.make_queries(corpus, n, args.queries, seed=args.seed, vocab=args.vocab)
        q_txt, q_jsonl = work / "queries.txt", work / "queries.jsonl"
        _synth.write_queries(queries, q_txt, q_jsonl)
        if args.generate_only:
            continue
        run = {"corpus": {**man["key"], "files": man["files"], "bytes": man["bytes"]},
               "queries": len(queries), "env": environment()}
        # one system failing (bm25s needs ~3.5 GB a million passages: 10M does not fit in 24 GB)
        # is recorded and the other still measured
        for system in ("bm25s", "qa"):
            if system not in systems:
                continue
            try:
                if system == "bm25s":
                    run["bm25s"] = run_bm25s(work, corpus, q_jsonl, q_txt, len(queries))
                else:
                    run["qa"] = run_qa(work, corpus, q_jsonl, q_txt, len(queries),
                                       updates=not args.no_update, profile=args.profile_build)
            except BenchError as e:
                first = str(e).strip().splitlines()[0]
                log(f"  {system}: FAILED: {first}")
                run[system] = {"error": str(e)[-2000:]}
        if args.clean:
            for d in ("qa-index", "bm25s-index"):
                shutil.rmtree(work / d, ignore_errors=True)
        prev = results["runs"].get(label, {})
        if prev.get("corpus") == run["corpus"]:     # keep the other system's figures
            for s in ("qa", "bm25s"):
                if s not in run and s in prev:
                    run[s] = prev[s]
        results["runs"][label] = run
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1))
        table = format_table(label, run)
        tables.append(table)
        print(table + "\n", flush=True)

    if args.generate_only:
        return 0
    if len(tables) > 1:
        print("\n\n".join(tables))
    print(f"results: {json_path}")
    errors = [(label, s) for label, r in results["runs"].items() for s in ("qa", "bm25s")
              if isinstance(r.get(s), dict) and "error" in r[s] and _synth.parse_size(label) in sizes]
    if not args.no_plot and results["runs"]:
        plot(results, png_path)
        print(f"plot:    {png_path}")
    for label, system in errors:
        print(f"FAILED: {system} at {label} (see results.json)")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        sys.exit(f"scale.py: {e}")
