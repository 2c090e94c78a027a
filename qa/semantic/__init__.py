"""The semantic stage: sentence embeddings rerank the lexical candidates and help make the no-answer call."""
from __future__ import annotations

from importlib.util import find_spec


def installed() -> bool:
    """Whether the ``semantic`` extra's runtimes are installed (nothing is imported to tell)."""
    return find_spec("onnxruntime") is not None and find_spec("tokenizers") is not None


def enabled(semantic: bool | None) -> bool:
    """``semantic`` as asked; None (the default) means on when installed."""
    return installed() if semantic is None else bool(semantic)


def stage(documents, semantic: bool | None, model, warn, index_dir=None, manifest=None):
    """The Semantic stage to wire into the pipeline, or None for the lexical path.

    ``model``: a model folder (checked now: BadModelFolder, exit 2, when it is none) or None."""
    if model is not None:
        from .embedder import check_model_folder
        check_model_folder(model)
    if not enabled(semantic):
        return None
    from .stage import Semantic
    return Semantic(documents, model=model, warn=warn, index_dir=index_dir, manifest=manifest)
