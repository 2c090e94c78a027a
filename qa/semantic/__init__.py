"""The semantic stage: sentence embeddings rerank the lexical candidates and help make the no-answer call."""
from __future__ import annotations

import hashlib
from importlib.util import find_spec

INT8_FORM = "int8-matmul"  # vectors made with int8 products (embedder.py, graph.py), as a manifest's "form" says
# a first embedding of this many passages or more, with the default model, uses int8 products unless float is asked:
# about 1.6 times as fast (100k passages in 12.6 minutes against 20.7), a little less exact (benchmarks/README.md,
# "Int8 products"); below it the wait is under about 4 minutes on 2 cores and float's exactness is kept
INT8_AT = 20000


def installed() -> bool:
    """Whether the ``semantic`` extra's runtimes are installed (nothing is imported to tell)."""
    return find_spec("onnxruntime") is not None and find_spec("tokenizers") is not None


def enabled(semantic: bool | None) -> bool:
    """``semantic`` as asked; None (the default) means on when installed."""
    return installed() if semantic is None else bool(semantic)


def vectors_form(products: str, pooling: str, document_prompt: str) -> str:
    """How vectors were made when not as the model file alone says ("" when so): int8 products, a pooling other than
    the mean, a document prompt (each gives other vectors from the same weights), joined by "+"."""
    prompt = hashlib.sha256(document_prompt.encode("utf-8", "replace")).hexdigest()[:12] if document_prompt else ""
    return "+".join(part for part in (products, f"{pooling}-pooling" if pooling != "mean" else "",
                                      f"prompt-{prompt}" if prompt else "") if part)


def form_parts(form: str) -> tuple[str, str, str]:
    """(products, pooling, prompt tag) of a vectors form: ("int8-matmul" or "", "mean", "cls", ..., "prompt-..." or "")."""
    parts = form.split("+") if form else []
    pooling = next((p.removesuffix("-pooling") for p in parts if p.endswith("-pooling")), "mean")
    return (INT8_FORM if INT8_FORM in parts else "", pooling,
            next((p for p in parts if p.startswith("prompt-")), ""))


def int8_products(int8: bool | None, manifest: dict | None) -> bool | None:
    """Whether vectors are made with int8 products: as asked (``int8``), else as the index's vectors were made;
    None when neither tells (no vectors yet): by the number of passages to embed (INT8_AT)."""
    if int8 is not None:
        return bool(int8)
    made = [seg["vectors"] for seg in (manifest or {}).get("segments", []) if isinstance(seg.get("vectors"), dict)]
    if not made:
        return None
    return any(form_parts(str(entry.get("form") or ""))[0] == INT8_FORM for entry in made)


def auto_int8(passages: int, default_model: bool) -> bool:
    """int8 products for a first embedding of ``passages``: with the default model (its weights are int8; another
    model's file is not looked into, so it keeps float) when they are INT8_AT or more."""
    return default_model and passages >= INT8_AT


def auto_int8_note(passages: int) -> str:
    return (f"note: embedding {passages:,} passages with int8 products, about 1.6 times as fast as float and a "
            "little less exact; 'qa index --float' embeds them with float products")


def semantic_stage(documents, semantic: bool | None, model, warn, index_dir=None, manifest=None,
                   int8: bool | None = False):
    """The Semantic stage to wire into the pipeline, or None for the lexical path.

    ``model``: a model folder (checked now: BadModelFolder, exit 2, when it is none) or None; ``int8``: its
    vectors made with int8 products (None: decided when they are first made, by their number)."""
    if model is not None:
        from .folder import check_model_folder
        check_model_folder(model)
    if not enabled(semantic):
        return None
    from .stage import Semantic
    return Semantic(documents, model=model, warn=warn, index_dir=index_dir, manifest=manifest, int8=int8)
