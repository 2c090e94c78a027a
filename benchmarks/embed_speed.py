"""Passages embedded per second: qa's own passages of a real corpus, ways of running the same model side by side.

    python benchmarks/embed_speed.py SOURCE [--passages 2000] [--rounds 3] [--variants before shipped ...]

SOURCE is a folder of documents (e.g. /work/shared/bench/docs/rust-book) or an IR collection folder holding
corpus.jsonl (its documents are written one file each under --work). The folder is indexed lexically, then
--passages of its passages (spread evenly over the index) are embedded by each variant in turn, the variants
interleaved for --rounds rounds (the machine is shared: ratios hold, absolute times do not). The peer is
"before": the embedder as it was before this benchmark (batches of 32 sorted by characters, onnxruntime's
defaults with 2 threads, the model's graph as it is). "shipped" is qa's Embedder; "graph..." variants run the
graph without its softmax NaN guards (qa/semantic/graph.py), batched by word pieces, with float products
(as "shipped"); "int8-..." variants multiply its int8 weights as int8; "shipped-int8" is qa's Embedder with
int8 products (qa index --int8): texts one at a time, two sessions of one thread each side by side;
"shipped-fused" and "shipped-int8-fused" are the same with every fusion of onnxruntime's (qa's Embedder before
2026-12-04 turned SkipLayerNormFusion off: SLOWER_FUSIONS).
For each variant: passages/s and word pieces/s of the median round, its ratio to the peer's (of the median and of the fastest
round: the fastest is the least disturbed by other jobs), the process's CPU time against the peer's, and the
least cosine of a passage's vector to the peer's (same vectors: >= 0.999). Word pieces count [CLS] and [SEP],
cut at MAX_PIECES.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import qa  # noqa: E402
import _corpora  # noqa: E402
from qa.semantic.embedder import BATCH, MAX_PIECES, Embedder, default_files, faster_graph  # noqa: E402

SHIPPED = ("shipped", "shipped-int8", "shipped-fused", "shipped-int8-fused")
BEFORE = {"batch": 32, "sort": "chars", "threads": 2, "options": {}, "config": {}, "graph": False}
GRAPH = dict(BEFORE, sort="pieces", graph=True)  # what qa.semantic.embedder does now
VARIANTS = {
    "before": BEFORE,
    "graph": dict(BEFORE, graph=True),
    "graph1": dict(GRAPH, batch=1),
    "graph2": dict(GRAPH, batch=2),
    "graph4": dict(GRAPH, batch=4),
    "graph8": dict(GRAPH, batch=8),
    "graph16": dict(GRAPH, batch=16),
    "graph32": GRAPH,
    "graph64": dict(GRAPH, batch=64),
    "graph-threads1": dict(GRAPH, threads=1),
    # int8 products (graph.py): batches of 8 (a text's vector then depends on its batch), one text at a time
    "int8-8": dict(GRAPH, batch=8, int8=True),
    "int8-1": dict(GRAPH, batch=1, int8=True),
    "int8-1-threads1": dict(GRAPH, batch=1, int8=True, threads=1),
    "graph-nospin": dict(GRAPH, config={"session.intra_op.allow_spinning": "0"}),
    "graph64-nospin": dict(GRAPH, batch=64, config={"session.intra_op.allow_spinning": "0"}),
    "graph-noarena": dict(GRAPH, options={"enable_cpu_mem_arena": False}),
    "graph-extended": dict(GRAPH, options={"graph_optimization_level": "ORT_ENABLE_EXTENDED"}),
    "pieces32": dict(BEFORE, sort="pieces"),
    "pieces8": dict(BEFORE, sort="pieces", batch=8),
    "pieces16": dict(BEFORE, sort="pieces", batch=16),
    "pieces64": dict(BEFORE, sort="pieces", batch=64),
    "pieces128": dict(BEFORE, sort="pieces", batch=128),
    "chars8": dict(BEFORE, batch=8),
    "chars16": dict(BEFORE, batch=16),
    "chars64": dict(BEFORE, batch=64),
    "threads1": dict(BEFORE, threads=1),
    "nospin": dict(BEFORE, config={"session.intra_op.allow_spinning": "0"}),
    "noarena": dict(BEFORE, options={"enable_cpu_mem_arena": False}),
    "parallel": dict(BEFORE, options={"execution_mode": "ORT_PARALLEL"}),
    "inter2": dict(BEFORE, options={"execution_mode": "ORT_PARALLEL", "inter_op_num_threads": 2}),
    "basic": dict(BEFORE, options={"graph_optimization_level": "ORT_ENABLE_BASIC"}),
    "extended": dict(BEFORE, options={"graph_optimization_level": "ORT_ENABLE_EXTENDED"}),
}


def corpus_folder(source: Path, work: Path) -> Path:
    """``source`` itself, or a collection's documents written one file each under ``work``."""
    if not (source / "corpus.jsonl").is_file():
        return source
    folder, _written = _corpora.write_docs(_corpora.load_collection(source), work / f"{source.name}-docs")
    return folder


def passages_of(folder: Path, count: int, work: Path) -> list[str]:
    """``count`` of the folder's passages as qa indexes them, spread evenly over the index."""
    index = qa.build_index(folder, work / f"{folder.name}-index", semantic=False, warn=lambda m: None)
    total = index.passage_count
    picks = np.unique(np.linspace(0, total - 1, min(count, total)).astype(int))
    return [index.documents.passage_text(int(i)) for i in picks]


def session_for(spec: dict):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = spec["threads"]
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    for name, value in spec["options"].items():
        if name == "execution_mode":
            value = getattr(onnxruntime.ExecutionMode, value)
        if name == "graph_optimization_level":
            value = getattr(onnxruntime.GraphOptimizationLevel, value)
        setattr(options, name, value)
    for key, value in spec["config"].items():
        options.add_session_config_entry(key, value)
    model = default_files()[0].read_bytes()
    model = faster_graph(model, int8=spec.get("int8", False)) if spec["graph"] else model
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def pooled(session, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(None, feeds)[0]
    weights = mask[:, :, None].astype(np.float32)
    vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def embed_by_chars(session, tokenizer, texts: list[str], batch: int) -> np.ndarray:
    """The embedder before: batches of texts sorted by characters, each tokenized and padded to its longest."""
    tokenizer = tokenizer_padded(tokenizer)
    out = np.zeros((len(texts), 384), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        encodings = tokenizer.encode_batch([texts[i] if texts[i].strip() else "." for i in rows])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        out[rows] = pooled(session, ids, mask)
    return out


def embed_by_pieces(session, tokenizer, texts: list[str], batch: int) -> np.ndarray:
    """Tokenized once, then batched by word-piece count: padding only to the batch's own longest."""
    plain = tokenizer_unpadded(tokenizer)
    pieces = [e.ids for e in plain.encode_batch([t if t.strip() else "." for t in texts])]
    out = np.zeros((len(texts), 384), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(pieces[i]))
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        width = len(pieces[rows[-1]])
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, :len(pieces[i])] = pieces[i]
            mask[r, :len(pieces[i])] = 1
        out[rows] = pooled(session, ids, mask)
    return out


def tokenizer_padded(tokenizer):
    from tokenizers import Tokenizer
    padded = Tokenizer.from_str(tokenizer.to_str())
    padded.enable_padding()
    padded.enable_truncation(MAX_PIECES)
    return padded


def tokenizer_unpadded(tokenizer):
    from tokenizers import Tokenizer
    plain = Tokenizer.from_str(tokenizer.to_str())
    plain.no_padding()
    plain.enable_truncation(MAX_PIECES)
    return plain


def runner(name: str, embedder: Embedder):
    if name == "shipped":
        return lambda texts: embedder.embed(texts)
    if name == "shipped-int8":  # qa index --int8
        int8 = Embedder(int8=True)
        return lambda texts: int8.embed(texts)
    if name in ("shipped-fused", "shipped-int8-fused"):  # the same with onnxruntime's every fusion (before 2026-12-04)
        shipped = qa.semantic.embedder.SLOWER_FUSIONS
        qa.semantic.embedder.SLOWER_FUSIONS = ()
        try:
            fused = Embedder(int8=name == "shipped-int8-fused")
        finally:
            qa.semantic.embedder.SLOWER_FUSIONS = shipped
        return lambda texts: fused.embed(texts)
    spec = VARIANTS[name]
    session = session_for(spec)
    embed = embed_by_pieces if spec["sort"] == "pieces" else embed_by_chars
    return lambda texts: embed(session, embedder.tokenizer, texts, spec["batch"])


def describe_lengths(lengths: np.ndarray) -> str:
    q = np.percentile(lengths, [10, 50, 90])
    return (f"word pieces a passage: mean {lengths.mean():.0f}, p10 {q[0]:.0f}, median {q[1]:.0f}, p90 {q[2]:.0f}, "
            f"max {lengths.max()}; {np.mean(lengths >= MAX_PIECES):.0%} cut at {MAX_PIECES}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path, help="a folder of documents or an IR collection folder (corpus.jsonl)")
    ap.add_argument("--passages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", nargs="+", default=["before", "shipped"],
                    help=f"'shipped' (qa's Embedder), 'shipped-int8' (qa index --int8), 'shipped-fused' and "
                         f"'shipped-int8-fused' (the same with every onnxruntime fusion) and any of: {', '.join(VARIANTS)}")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "qa-embed-speed")
    args = ap.parse_args()
    unknown = [v for v in args.variants if v not in SHIPPED and v not in VARIANTS]
    if unknown or not args.source.is_dir():
        ap.error(f"unknown variant {', '.join(unknown)}" if unknown else f"{args.source}: not a folder")
    args.work.mkdir(parents=True, exist_ok=True)
    texts = passages_of(corpus_folder(args.source, args.work), args.passages, args.work)
    embedder = Embedder()
    plain = tokenizer_unpadded(embedder.tokenizer)
    t = time.perf_counter()
    lengths = np.array([len(e.ids) for e in plain.encode_batch(texts)])
    tokenize_s = time.perf_counter() - t
    print(f"{args.source.name}: {len(texts)} passages; {describe_lengths(lengths)}")
    print(f"tokenizing them alone: {tokenize_s * 1000:.0f} ms ({len(texts) / tokenize_s:.0f} passages/s); "
          f"shipped batch {BATCH}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared)")
    runners = {name: runner(name, embedder) for name in dict.fromkeys(["before", *args.variants])}
    seconds = {name: [] for name in runners}
    cpu = {name: [] for name in runners}
    vectors = {}
    for _round in range(args.rounds):
        for name, embed in runners.items():
            t, c = time.perf_counter(), time.process_time()
            vectors[name] = embed(texts)
            seconds[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    base, base_best = statistics.median(seconds["before"]), min(seconds["before"])
    for name in runners:
        s, best = statistics.median(seconds[name]), min(seconds[name])
        cosine = float(np.min(np.sum(vectors[name] * vectors["before"], axis=1)))
        print(f"{name:>10}: {len(texts) / s:6.1f} passages/s, {lengths.sum() / s:7.0f} word pieces/s, "
              f"x{base / s:.2f} of before (fastest rounds x{base_best / best:.2f}; {len(texts) / best:.1f} passages/s), "
              f"least cosine to before {cosine:.5f} "
              f"(rounds {', '.join(f'{x:.1f}' for x in seconds[name])} s, "
              f"CPU {statistics.median(cpu[name]) / statistics.median(cpu['before']):.2f} of before's)")
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
