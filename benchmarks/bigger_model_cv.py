"""What a bigger sentence-embedding model would give the semantic stage: semantic_cv.py's held-out figures with
another model's passage and question vectors.

Only all-MiniLM-L6-v2 can be installed here as an ONNX file qa runs. Other sentence-transformers models can be had
as safetensors weights (no ONNX export without PyTorch, which this project never installs), so this benchmark runs
them with a plain numpy forward pass: slow (about 0.2 s a passage for a 12-layer model), exact, fine for the 45
seed passages and 85 questions. BERT (MiniLM) and MPNet (all-mpnet-base-v2) folders are understood.

    python benchmarks/bigger_model_cv.py FOLDER            # held-out figures with FOLDER's model
    python benchmarks/bigger_model_cv.py FOLDER --check    # a BERT folder: its vectors against qa's ONNX model

FOLDER is a sentence-transformers folder (config.json, model.safetensors, tokenizer.json, mean pooling). `--check`
on all-MiniLM-L6-v2's safetensors compares the numpy pass with the ONNX model qa runs, to show the pass is right.
"""
from __future__ import annotations

import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
from scipy.special import erf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import semantic_cv  # noqa: E402

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def safetensors(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a .safetensors file (an 8-byte header length, a JSON header, then the raw data)."""
    data = path.read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    arrays = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        raw = np.frombuffer(data, dtype=DTYPES[spec["dtype"]], count=(end - start) // np.dtype(DTYPES[spec["dtype"]]).itemsize,
                            offset=8 + size + start)
        arrays[name] = raw.reshape(spec["shape"]).astype(np.float32) if spec["dtype"] == "F16" else raw.reshape(spec["shape"])
    return arrays


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps) * weight + bias


def relative_buckets(length: int, buckets: int = 32, max_distance: int = 128) -> np.ndarray:
    """MPNet's (T5's) bucket of each relative position j - i: exact when near, logarithmic when far."""
    n = -(np.arange(length)[None, :] - np.arange(length)[:, None])
    half = buckets // 2
    sign = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    far = exact + (np.log(np.maximum(n, 1) / exact) / math.log(max_distance / exact) * (half - exact)).astype(np.int64)
    return sign + np.where(n < exact, n, np.minimum(far, half - 1))


class NumpyEncoder:
    """A sentence-transformers BERT or MPNet model run in numpy: mean pooling, unit vectors."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.config = json.loads((folder / "config.json").read_text())
        self.kind = self.config["model_type"]
        if self.kind not in ("bert", "mpnet"):
            raise SystemExit(f"{folder}: model_type {self.kind!r}; bert and mpnet are understood")
        self.w = safetensors(folder / "model.safetensors")
        self.w = {k.removeprefix("bert.").removeprefix("mpnet."): v for k, v in self.w.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(min(self.config["max_position_embeddings"] - 2, 384 if self.kind == "mpnet" else 256))
        self.eps = self.config["layer_norm_eps"]
        self.names = ({"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                       "o": "attention.output.dense", "ln1": "attention.output.LayerNorm"} if self.kind == "bert" else
                      {"q": "attention.attn.q", "k": "attention.attn.k", "v": "attention.attn.v",
                       "o": "attention.attn.o", "ln1": "attention.LayerNorm"})

    def _vector(self, ids: np.ndarray) -> np.ndarray:
        w, length = self.w, len(ids)
        heads = self.config["num_attention_heads"]
        size = self.config["hidden_size"] // heads
        if self.kind == "bert":
            x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
                 + w["embeddings.token_type_embeddings.weight"][0])
            bias = 0.0
        else:  # positions start after the padding id (1), and attention gets a learned bias per relative position
            x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][np.arange(length) + 2]
            bias = w["encoder.relative_attention_bias.weight"][relative_buckets(length)].transpose(2, 0, 1)
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        for i in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."

            def linear(t, name, p=p):
                return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q, k, v = (linear(x, self.names[n]).reshape(length, heads, size).transpose(1, 0, 2) for n in "qkv")
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = ((scores / scores.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(length, heads * size)
            ln1 = self.names["ln1"]
            x = layer_norm(linear(context, self.names["o"]) + x, w[p + ln1 + ".weight"], w[p + ln1 + ".bias"], self.eps)
            hidden = linear(x, "intermediate.dense")
            hidden = 0.5 * hidden * (1 + erf(hidden / math.sqrt(2)))
            x = layer_norm(linear(hidden, "output.dense") + x, w[p + "output.LayerNorm.weight"],
                           w[p + "output.LayerNorm.bias"], self.eps)
        pooled = x.mean(0)
        return pooled / np.linalg.norm(pooled)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(np.array(e.ids)) for e in self.tokenizer.encode_batch(list(texts))]).astype(np.float32)


def check(folder: Path) -> int:
    """The numpy pass against the ONNX model qa runs, over the seed passages."""
    import qa
    from qa.semantic.embedder import Embedder

    index = qa.open_index(semantic_cv.REPO / "seeds", semantic=False)
    texts = [index.passage_text(p) for p in range(index.passage_count)]
    ours, onnx = NumpyEncoder(folder).embed(texts), Embedder().embed(texts)
    cosines = (ours * onnx).sum(1)
    print(f"{len(texts)} seed passages, numpy pass vs qa's ONNX model: cosine min {cosines.min():.4f}, "
          f"mean {cosines.mean():.4f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="a sentence-transformers folder with model.safetensors")
    ap.add_argument("--check", action="store_true", help="compare with qa's ONNX model (a MiniLM folder)")
    args, rest = ap.parse_known_args()
    if args.check:
        return check(args.folder)
    encoder = NumpyEncoder(args.folder)
    semantic_cv.Embedder = lambda int8=False: encoder
    sys.argv = [sys.argv[0], *rest]
    print(f"model: {args.folder} ({encoder.kind}, {encoder.config['num_hidden_layers']} layers, "
          f"{encoder.config['hidden_size']} dimensions)")
    return semantic_cv.main()


if __name__ == "__main__":
    sys.exit(main())
