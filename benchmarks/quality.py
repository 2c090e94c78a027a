#!/usr/bin/env python3
"""Retrieval quality of qa against BM25 on the classic IR test collections.

Each collection goes through the path a user gets: its documents are written
as a folder of files (`<id>.txt`: title, a blank line, the text), indexed by
qa (`qa.open_index`), and every query is asked of that index; a document is
ranked by its best passage. In the same run bm25s (Lucene BM25, k1=1.5,
b=0.75) and rank_bm25 (BM25Okapi) rank the same documents (title + " " +
text, English stop words, PyStemmer's English stemmer).

Printed: nDCG@10, MAP@100, Recall@100 and P@10 per collection and their
means, qa's mean nDCG@10 over bm25s's, and whether qa beats bm25s on every
collection; then the seed questions (hit@1, hit@3, no-answer rate by kind)
for qa and for bm25s over the same passages.

    python benchmarks/quality.py                      # everything
    python benchmarks/quality.py --only cranfield,med # while developing
    python benchmarks/quality.py --json out.json      # save the figures

The written documents and qa's indexes are cached under
benchmarks/out/collections/<name>/{docs,index} (git ignores benchmarks/out/).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import _corpora  # noqa: E402
import _metrics  # noqa: E402
import _peers  # noqa: E402
import _qa  # noqa: E402
import _seeds  # noqa: E402

# bm25s's nDCG@10 as given in the retrieval quality issue (title + text, binary relevance).
REFERENCE_BM25S = {
    "cranfield": 0.388, "cisi": 0.386, "med": 0.696, "cacm": 0.494,
    "time": 0.747, "npl": 0.428, "adi": 0.494, "lisa": 0.476,
}
GOAL_RATIO = 1.05
DEPTH = 100
SYSTEMS = ("qa", "qa+semantic", "bm25s", "rank_bm25")
METRIC_TITLES = {
    "ndcg@10": "nDCG@10", "map@100": "MAP@100", "recall@100": "Recall@100", "p@10": "P@10",
}

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running


def qa_fingerprint() -> str:
    """Which qa was measured: the commit, '+local' when qa/ has uncommitted changes, and a hash of qa/*.py."""
    import hashlib
    import subprocess

    h = hashlib.sha256()
    for path in sorted((ROOT / "qa").rglob("*.py")):
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    return f"{commit or 'no-git'}{'+local' if dirty else ''} qa/*.py sha256:{h.hexdigest()[:12]}"


def run_collection(
    col: _corpora.Collection,
    out_dir: Path,
    *,
    qa: bool = True,
    peers: bool = True,
    params: Any = None,
    scoring: Any = None,
    index_dir: Path | None = None,
    wrap: Callable[[Any], Any] | None = None,
    log: Log = _stderr,
    semantic: bool = False,
) -> dict:
    """Every system on one collection: {"docs", "queries", "systems": {name: metrics + seconds}}."""
    base = Path(out_dir) / "collections" / col.name
    docs_dir, written = _corpora.write_docs(col, base / "docs")
    if written:
        log(f"{col.name}: wrote {len(col.docs)} documents to {docs_dir}")
    ids = col.doc_ids()
    qids = list(col.queries)
    texts = [col.queries[q] for q in qids]
    systems: dict[str, dict] = {}

    for name, on in (("qa", False), ("qa+semantic", True)) if qa else ():
        if on and not semantic:
            continue
        t0 = time.perf_counter()
        index = _qa.open_index(
            docs_dir, _index_folder(index_dir or base / "index", on), params=params, scoring=scoring,
            warn=lambda m, name=name: log(f"{col.name}: {name}: {m}"), semantic=on, int8=INT8 and on,
        )
        if wrap is not None:
            index = wrap(index)
        t1 = time.perf_counter()
        run = _qa.run_queries(index, col.queries, DEPTH)
        t2 = time.perf_counter()
        systems[name] = _metrics.evaluate(run, col.qrels) | {
            "index_s": t1 - t0, "query_s": t2 - t1,
        }

    if peers:
        for cls in (_peers.BM25s, _peers.RankBM25):
            t0 = time.perf_counter()
            model = cls(col.doc_texts())
            t1 = time.perf_counter()
            hits = model.search(texts, DEPTH)
            t2 = time.perf_counter()
            run = {q: [ids[d] for d, _ in h] for q, h in zip(qids, hits)}
            systems[cls.name] = _metrics.evaluate(run, col.qrels) | {
                "index_s": t1 - t0, "query_s": t2 - t1,
            }

    return {"docs": len(col.docs), "queries": len(qids), "systems": systems}


INT8 = False  # --int8: qa+semantic's vectors made with int8 products (qa index --int8)


def _index_folder(folder: Path, semantic: bool) -> Path:
    """The lexical index in ``folder``, the one with passage vectors beside it."""
    return folder.with_name(folder.name + ("-semantic-int8" if INT8 else "-semantic")) if semantic else folder


def run_seeds(
    seeds_dir: Path, questions_file: Path, out_dir: Path, *,
    qa: bool = True, peers: bool = True, params: Any = None, scoring: Any = None,
    index_dir: Path | None = None, wrap: Callable[[Any], Any] | None = None, log: Log = _stderr,
    semantic: bool = False,
) -> dict:
    """The seed questions for qa and bm25s over qa's passages."""
    questions = _seeds.load_questions(questions_file)
    result: dict[str, Any] = {"questions_file": str(questions_file), "corpus": str(seeds_dir)}
    index = None
    for name, on in (("qa", False), ("qa+semantic", True)) if qa else ():
        if on and not semantic:
            continue
        index = _qa.open_index(
            seeds_dir, _index_folder(index_dir or Path(out_dir) / "seeds" / "index", on), params=params,
            scoring=scoring, warn=lambda m, name=name: log(f"seeds: {name}: {m}"), semantic=on, int8=INT8 and on,
        )
        if wrap is not None:
            index = wrap(index)
        result[name] = _seeds.evaluate(questions, _seeds.qa_answerer(index))
    if peers:
        if index is not None:
            passages, how = _qa.passage_texts(index, seeds_dir)
        else:
            passages, how = list(_qa._lines(seeds_dir)), "non-empty lines of the files"
        result["passages"] = {"count": len(passages), "from": how}
        result["bm25s"] = _seeds.evaluate(questions, _seeds.bm25s_answerer(passages))
    return result


def summarize(collections: dict[str, dict]) -> dict:
    """Means over the collections, qa/bm25s ratio of mean nDCG@10, and qa > bm25s everywhere."""
    means: dict[str, dict[str, float]] = {}
    for s in SYSTEMS:
        rows = [c["systems"][s] for c in collections.values() if s in c["systems"]]
        if rows and len(rows) == len(collections):
            means[s] = {m: sum(r[m] for r in rows) / len(rows) for m in _metrics.METRICS}
    out: dict[str, Any] = {"means": means}
    if "qa" in means:
        if "bm25s" in means:
            ref = {n: c["systems"]["bm25s"]["ndcg@10"] for n, c in collections.items()}
            out["bm25s_source"] = "measured"
        elif all(n in REFERENCE_BM25S for n in collections):
            ref = {n: REFERENCE_BM25S[n] for n in collections}
            out["bm25s_source"] = "issue"
        else:
            return out
        qa_nd = {n: c["systems"]["qa"]["ndcg@10"] for n, c in collections.items()}
        ref_mean = sum(ref.values()) / len(ref)
        out["ratio_ndcg@10"] = means["qa"]["ndcg@10"] / ref_mean if ref_mean else float("nan")
        out["beats_bm25s"] = {n: qa_nd[n] > ref[n] for n in collections}
        out["beats_bm25s_everywhere"] = all(out["beats_bm25s"].values())
        out["goal_ndcg@10"] = GOAL_RATIO * ref_mean
    return out


# ---------------------------------------------------------------- printing


def _fmt(v: Any, width: int, digits: int = 3) -> str:
    if v is None:
        return "-".rjust(width)
    if isinstance(v, float):
        return f"{v:.{digits}f}".rjust(width)
    return str(v).rjust(width)


def _table(
    header: list[str], rows: list[Any], first: int = 12, width: int = 10, digits: int = 3
) -> str:
    widths = [max(first, len(header[0]), *(len(str(r[0])) for r in rows if r is not None))] + [
        max(width, len(h)) for h in header[1:]
    ]
    lines = [header[0].ljust(widths[0]) + "".join(h.rjust(w + 1) for h, w in zip(header[1:], widths[1:]))]
    lines.append("-" * len(lines[0]))
    for r in rows:
        if r is None:
            lines.append("-" * len(lines[0]))
            continue
        lines.append(str(r[0]).ljust(widths[0]) + "".join(
            " " + _fmt(v, w, digits) for v, w in zip(r[1:], widths[1:])
        ))
    return "\n".join(lines)


def format_collections(collections: dict[str, dict], summary: dict) -> str:
    if not collections:
        return ""
    systems = [s for s in SYSTEMS if any(s in c["systems"] for c in collections.values())]
    out = []
    show_ref = all(n in REFERENCE_BM25S for n in collections)
    for m, title in METRIC_TITLES.items():
        header = [title, "docs", "queries", *systems]
        both = "qa" in systems and "bm25s" in systems
        if m == "ndcg@10":
            if both:
                header += ["qa/bm25s", "qa>bm25s"]
            if show_ref:
                header += ["bm25s(issue)"]
        rows: list[Any] = []
        for name, c in collections.items():
            sy = c["systems"]
            row = [name, c["docs"], c["queries"], *(sy.get(s, {}).get(m) for s in systems)]
            if m == "ndcg@10":
                if both:
                    ratio = sy["qa"][m] / sy["bm25s"][m] if sy["bm25s"][m] else None
                    row += [ratio, "yes" if sy["qa"][m] > sy["bm25s"][m] else "NO"]
                if show_ref:
                    row += [REFERENCE_BM25S[name]]
            rows.append(row)
        means = summary["means"]
        rows.append(None)
        mean_row = ["mean", "", "", *(means.get(s, {}).get(m) for s in systems)]
        if m == "ndcg@10":
            if both:
                mean_row += [summary.get("ratio_ndcg@10"),
                             "yes" if summary.get("beats_bm25s_everywhere") else "NO"]
            if show_ref:
                mean_row += [sum(REFERENCE_BM25S[n] for n in collections) / len(collections)]
        rows.append(mean_row)
        out.append(_table(header, rows))
    if "qa" in systems:
        rows = []
        for name, c in collections.items():
            rows.append([name, *(
                v for s in systems for v in (
                    c["systems"][s]["index_s"], c["systems"][s]["query_s"])
            )])
        header = ["seconds", *(f"{s} {w}" for s in systems for w in ("index", "queries"))]
        out.append(_table(header, rows, digits=2))
    lines = ["\n\n".join(out)]
    if "ratio_ndcg@10" in summary:
        src = "measured" if summary.get("bm25s_source") == "measured" else "from the issue"
        n = len(collections)
        lines.append(
            f"\nqa mean nDCG@10 / bm25s mean nDCG@10 ({src}, {n} collection{'s' * (n != 1)}): "
            f"{summary['ratio_ndcg@10']:.3f} (goal >= {GOAL_RATIO:.2f}, i.e. "
            f"{summary['goal_ndcg@10']:.3f})"
        )
        losing = [n for n, b in summary["beats_bm25s"].items() if not b]
        lines.append(
            "qa beats bm25s on every collection: "
            + ("yes" if not losing else f"NO (not on {', '.join(losing)})")
        )
    return "\n".join(lines)


def format_seeds(seeds: dict) -> str:
    systems = [s for s in ("qa", "qa+semantic", "bm25s") if s in seeds]
    if not systems:
        return ""
    kinds = list(seeds[systems[0]]["by_kind"])
    header = ["seed questions", "n"] + [
        f"{s} {m}" for s in systems for m in ("hit@1", "hit@3", "no-ans")
    ]
    rows: list[Any] = []
    for k in kinds:
        if k == "answerable":
            rows.append(None)
        row = [k, seeds[systems[0]]["by_kind"][k]["n"]]
        for s in systems:
            r = seeds[s]["by_kind"].get(k, {})
            row += [r.get("hit@1"), r.get("hit@3"), r.get("no_answer")]
        rows.append(row)
    note = [
        "no-ans = share given answer=None (answerable: lower is better; unanswerable: higher is better).",
    ]
    if "bm25s" in seeds:
        p = seeds["passages"]
        note.append(
            f"bm25s ranks the {p['count']} passages of qa's seed index ({p['from']}); "
            "it asks a follow-up alone and 'answers' when any passage matches."
        )
    return _table(header, rows, first=18, width=8) + "\n" + "\n".join(note)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="benchmarks/quality.py",
        description="qa's retrieval quality against bm25s and rank_bm25 on the classic test collections.",
    )
    p.add_argument("--collections", type=Path, default=ROOT.parent / "shared" / "bench" / "collections",
                   help="folder of collections (default: ../shared/bench/collections from the repo root)")
    p.add_argument("--only", default="", metavar="NAME[,NAME]", help="run only these collections")
    p.add_argument("--no-peers", action="store_true", help="skip bm25s and rank_bm25 (qa against the issue's bm25s figures)")
    p.add_argument("--no-qa", action="store_true", help="skip qa (baselines only)")
    p.add_argument("--semantic", action="store_true",
                   help="also qa with the semantic stage (qa+semantic; qa alone is then lexical)")
    p.add_argument("--int8", action="store_true", help="with --semantic: vectors made with int8 products (qa index --int8)")
    p.add_argument("--no-seeds", action="store_true", help="skip the seed questions")
    p.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="corpus of the seed questions (default: seeds/)")
    p.add_argument("--seed-questions", type=Path, default=ROOT / "tests" / "data" / "seed_questions_dev.jsonl",
                   help="seed questions (default: tests/data/seed_questions_dev.jsonl)")
    p.add_argument("--out", type=Path, default=HERE / "out",
                   help="cache of written documents and indexes (default: benchmarks/out)")
    p.add_argument("--json", type=Path, metavar="FILE", help="save the figures as JSON")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    global INT8
    INT8 = args.int8
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    peers, qa = not args.no_peers, not args.no_qa

    def fail(msg: str) -> int:
        print(f"benchmarks/quality.py: error: {msg}", file=sys.stderr)
        return 2

    if peers:
        try:
            _peers.require_peers()
        except _peers.MissingPeers as e:
            return fail(str(e))
    if qa:
        why = _qa.qa_ready()
        if why:
            return fail(f"{why} (is the core installed? pip install -e .; or run with --no-qa)")
    try:
        paths = _corpora.find_collections(args.collections, only or None)
    except FileNotFoundError as e:
        return fail(str(e))

    report: dict[str, Any] = {
        "python": platform.python_version(),
        "collections_dir": str(args.collections),
        "qa": qa_fingerprint() if qa else None,
        "collections": {},
    }
    if peers:
        import bm25s
        import rank_bm25  # noqa: F401

        report["bm25s_version"] = getattr(bm25s, "__version__", "?")
    t_start = time.perf_counter()
    for path in paths:
        col = _corpora.load_collection(path)
        _stderr(f"{col.name}: {len(col.docs)} documents, {len(col.queries)} queries ...")
        res = run_collection(col, args.out, qa=qa, peers=peers, semantic=args.semantic)
        report["collections"][col.name] = res
        _stderr("  " + "  ".join(
            f"{s} {r['ndcg@10']:.3f}" for s, r in res["systems"].items()) + " (nDCG@10)")
    report["summary"] = summarize(report["collections"])
    if not args.no_seeds:
        report["seeds"] = run_seeds(args.seeds, args.seed_questions, args.out, qa=qa, peers=peers,
                                    semantic=args.semantic)
    report["seconds"] = time.perf_counter() - t_start

    text = format_collections(report["collections"], report["summary"])
    if qa:
        text = f"qa {report['qa']}\n\n" + text
    if "seeds" in report:
        text += "\n\n" + format_seeds(report["seeds"])
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        _stderr(f"figures saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
