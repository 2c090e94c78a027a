#!/usr/bin/env python3
"""Sweep qa's settings over the test collections and the seed questions.

    python benchmarks/_sweep.py --grid "k1=0.9,1.2,1.6 b=0.5,0.75 bigram_weight=0,0.5"
    python benchmarks/_sweep.py --grid "max_words=200,400 k1=1.2" --only cranfield,med

A grid is a product of `name=v1,v2,...` axes. A name is a field of qa's
build-time passage parameters (`qa.corpus.Params`: an index per value set,
cached under benchmarks/out/sweep/), of its query-time weights
(`qa.scoring.Scoring`: no rebuild), or of an experimental query rewrite from
benchmarks/_proposals.py (`prf_docs`, `prf_terms`, ...: applied around the
opened index, the core untouched). Every configuration goes through the same
code path as benchmarks/quality.py; bm25s is run once per collection.

Prints one row per configuration, best mean nDCG@10 first: the nDCG@10 of
each collection (+ where it beats bm25s), the mean, its ratio to bm25s's,
the number of collections won, and the seed questions' hit@1, hit@3 and
no-answer rates (answerable / unanswerable).
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality  # noqa: E402  (puts the repo root on sys.path too)
import _corpora  # noqa: E402
import _peers  # noqa: E402
import _proposals  # noqa: E402


def _fields(cls) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls)}


def parse_grid(text: str) -> list[dict[str, Any]]:
    axes = []
    for part in text.split():
        name, _, values = part.partition("=")
        if not values:
            raise SystemExit(f"_sweep.py: bad grid axis {part!r} (want name=v1,v2)")
        axes.append([(name, _value(v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _value(v: str) -> Any:
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(v.lower(), v)


def split_config(cfg: dict[str, Any]):
    """(Params, Scoring, proposal kwargs) of one configuration."""
    from qa.corpus import Params
    from qa.search import Scoring

    pf, sf = _fields(Params), _fields(Scoring)
    p = {k: v for k, v in cfg.items() if k in pf}
    s = {k: v for k, v in cfg.items() if k in sf}
    rest = {k: v for k, v in cfg.items() if k not in pf and k not in sf}
    unknown = set(rest) - set(_proposals.OPTIONS)
    if unknown:
        raise SystemExit(
            f"_sweep.py: unknown setting(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join([*pf, *sf, *_proposals.OPTIONS])}"
        )
    return Params(**p), Scoring(**s), rest


def slug(params) -> str:
    """The folder name of the index built with passage parameters ``params``."""
    return "-".join(f"{k}{v}" for k, v in dataclasses.asdict(params).items())


SHORT = {"bigram_weight": "bw", "fuzzy_weight": "fz", "min_words": "minw", "max_words": "maxw",
         "prf_docs": "fbd", "prf_terms": "fbt", "prf_beta": "fbb", "prf_min_passages": "fbmin"}


def label(cfg: dict[str, Any]) -> str:
    return " ".join(f"{SHORT.get(k, k)}={v}" for k, v in cfg.items()) or "(defaults)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/_sweep.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--grid", action="append", default=[],
                    help="axes 'name=v1,v2 name=v1,...'; repeat --grid to add separate grids")
    ap.add_argument("--collections", type=Path,
                    default=quality.ROOT.parent / "shared" / "bench" / "collections")
    ap.add_argument("--only", default="")
    ap.add_argument("--no-seeds", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    try:
        _peers.require_peers()
    except _peers.MissingPeers as e:
        print(f"_sweep.py: error: {e}", file=sys.stderr)
        return 2

    configs: list[dict[str, Any]] = []
    for g in args.grid or [""]:
        configs.extend(parse_grid(g))
    only = [n for n in args.only.split(",") if n]
    cols = [_corpora.load_collection(p) for p in _corpora.find_collections(args.collections, only or None)]
    baseline = {}
    for col in cols:
        baseline[col.name] = quality.run_collection(col, args.out, qa=False, peers=True)["systems"]["bm25s"]
    ref_mean = sum(b["ndcg@10"] for b in baseline.values()) / len(baseline)

    rows = []
    for i, cfg in enumerate(configs):
        t0 = time.perf_counter()
        per, seeds = run_config(cfg, cols, args.out, seeds=not args.no_seeds)
        mean = sum(r["ndcg@10"] for r in per.values()) / len(per)
        row = {
            "config": cfg, "ndcg@10": {n: r["ndcg@10"] for n, r in per.items()},
            "metrics": per, "mean": mean, "ratio": mean / ref_mean,
            "wins": sum(per[n]["ndcg@10"] > baseline[n]["ndcg@10"] for n in per),
            "seeds": seeds, "seconds": time.perf_counter() - t0,
        }
        rows.append(row)
        print(f"[{i + 1}/{len(configs)}] {label(cfg)}: mean {mean:.4f} ratio {row['ratio']:.3f} "
              f"wins {row['wins']}/{len(per)}"
              + (f" seeds hit@3 {seeds['answerable']['hit@3']:.3f}" if seeds else ""),
              file=sys.stderr, flush=True)
    rows.sort(key=lambda r: -r["mean"])
    print(f"qa {quality.qa_fingerprint()}\n")
    print(table(rows, [c.name for c in cols], baseline, ref_mean))
    print("\n+ = beats bm25s on that collection; s@1/s@3 = seed hit@1/hit@3 (answerable); "
          "noA/noU = seed no-answer rate, answerable/unanswerable")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"qa": quality.qa_fingerprint(), "bm25s": baseline, "rows": rows}, indent=1, default=str))
    return 0


def run_config(cfg: dict[str, Any], cols: list, out: Path, seeds: bool) -> tuple[dict, dict | None]:
    """(qa's metrics on each collection, its seed metrics or None) with the settings ``cfg``: passage
    parameters and query weights passed as such, query rewrites applied around the opened index."""
    params, scoring, extra = split_config(cfg)
    wrap = _proposals.wrapper(**extra)
    log = lambda m: None  # noqa: E731 - index-building chatter
    per = {}
    for col in cols:
        idx_dir = out / "sweep" / col.name / slug(params) / "index"
        res = quality.run_collection(col, out, qa=True, peers=False, params=params,
                                     scoring=scoring, index_dir=idx_dir, wrap=wrap, log=log)
        per[col.name] = res["systems"]["qa"]
    if not seeds:
        return per, None
    sd = quality.run_seeds(
        quality.ROOT / "seeds", quality.ROOT / "tests" / "data" / "seed_questions_dev.jsonl",
        out, qa=True, peers=False, params=params, scoring=scoring,
        index_dir=out / "sweep" / "_seeds" / slug(params) / "index", wrap=wrap, log=log)
    return per, {k: v for k, v in sd["qa"]["by_kind"].items() if k in ("answerable", "unanswerable (all)")}


def table(rows: list[dict], names: list[str], baseline: dict, ref_mean: float) -> str:
    """The rows as a table, one line a configuration, bm25s's first."""
    w = max([44] + [len(label(r["config"])) + 1 for r in rows])
    head = f"{'config':<{w}}" + "".join(f"{n[:6]:>7}" for n in names) + \
        "   mean  ratio wins  s@1   s@3  noA  noU"
    lines = [head, "-" * len(head)]
    lines.append(f"{'bm25s':<{w}}" + "".join(f"{baseline[n]['ndcg@10']:7.3f}" for n in names)
                 + f" {ref_mean:6.3f}  1.000")
    for r in rows:
        cells = "".join(
            f"{r['ndcg@10'][n]:6.3f}{'+' if r['ndcg@10'][n] > baseline[n]['ndcg@10'] else ' '}"
            for n in names)
        s = r["seeds"]
        seeds_cells = "" if not s else (
            f" {s['answerable']['hit@1']:.2f}  {s['answerable']['hit@3']:.2f}  "
            f"{s['answerable']['no_answer']:.2f} {s.get('unanswerable (all)', {}).get('no_answer', 0):.2f}")
        lines.append(f"{label(r['config']):<{w}}{cells} {r['mean']:6.3f}  {r['ratio']:.3f}"
                     f"  {r['wins']}/{len(names)}{seeds_cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
