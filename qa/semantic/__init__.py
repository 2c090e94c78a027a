"""The semantic stage: sentence embeddings rerank the lexical candidates and help make the no-answer call."""
from __future__ import annotations

from importlib.util import find_spec

INT8_FORM = "int8-matmul"  # vectors made with int8 products (embedder.py, graph.py), as a manifest's "form" says


def installed() -> bool:
    """Whether the ``semantic`` extra's runtimes are installed (nothing is imported to tell)."""
    return find_spec("onnxruntime") is not None and find_spec("tokenizers") is not None


def enabled(semantic: bool | None) -> bool:
    """``semantic`` as asked; None (the default) means on when installed."""
    return installed() if semantic is None else bool(semantic)


def int8_products(int8: bool | None, manifest: dict | None) -> bool:
    """Whether vectors are made with int8 products: as asked (``int8``), else as the index's vectors were made."""
    if int8 is not None:
        return bool(int8)
    return any(isinstance(seg.get("vectors"), dict) and seg["vectors"].get("form") == INT8_FORM
               for seg in (manifest or {}).get("segments", []))


def stage(documents, semantic: bool | None, model, warn, index_dir=None, manifest=None, int8: bool = False):
    """The Semantic stage to wire into the pipeline, or None for the lexical path.

    ``model``: a model folder (checked now: BadModelFolder, exit 2, when it is none) or None; ``int8``: its
    vectors made with int8 products."""
    if model is not None:
        from .embedder import check_model_folder
        check_model_folder(model)
    if not enabled(semantic):
        return None
    from .stage import Semantic
    return Semantic(documents, model=model, warn=warn, index_dir=index_dir, manifest=manifest, int8=int8)
