"""A model folder a user brings (--model DIR, $QA_MODEL): a sentence-transformers ONNX export as it is laid out.

model.onnx (or onnx/model.onnx, where sentence-transformers writes it) and tokenizer.json; optionally
1_Pooling/config.json (the pooling: mean when absent) and config_sentence_transformers.json (the prompts put
before questions and passages). Only read here; embedder.py runs the model.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import QAError

# sentence-transformers' 1_Pooling/config.json keys -> the pooling qa runs
POOLINGS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
            "pooling_mode_lasttoken": "last"}


class BadModelFolder(QAError):
    """``--model DIR`` names no model folder (exit 2)."""


def check_model_folder(folder) -> tuple[Path, str, dict[str, str]]:
    """(``folder`` as a Path, its pooling, its prompts) when it is a model folder qa can run (model.onnx or
    onnx/model.onnx, tokenizer.json, and a pooling qa knows when it names one), else BadModelFolder."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise BadModelFolder(f"--model {folder}: not a folder")
    missing = [n for n, found in (("model.onnx", model_file(path)), ("tokenizer.json", (path / "tokenizer.json").is_file()))
               if not found]
    if missing:
        raise BadModelFolder(f"--model {folder}: not a model folder (no {' or '.join(missing)})")
    return path, *folder_settings(path)


def model_file(folder: Path) -> Path | None:
    """The folder's model.onnx, or onnx/model.onnx as sentence-transformers exports it."""
    return next((p for p in (folder / "model.onnx", folder / "onnx" / "model.onnx") if p.is_file()), None)


def folder_settings(folder: Path) -> tuple[str, dict[str, str]]:
    """(pooling, {"query": prompt, "document": prompt}) as the folder's sentence-transformers files say: the pooling
    of 1_Pooling/config.json (mean when there is none), the prompts of config_sentence_transformers.json."""
    pooling, prompts = "mean", {"query": "", "document": ""}
    config = small_json(folder, "1_Pooling/config.json")
    if config is not None:
        asked = sorted(key for key, value in config.items() if key.startswith("pooling_mode_") and value is True)
        if len(asked) != 1 or asked[0] not in POOLINGS:
            raise BadModelFolder(f"--model {folder}: 1_Pooling/config.json asks for a pooling qa does not run "
                                 f"({', '.join(asked) or 'none'}; qa runs one of {', '.join(POOLINGS)})")
        pooling = POOLINGS[asked[0]]
    given = (small_json(folder, "config_sentence_transformers.json") or {}).get("prompts")
    if isinstance(given, dict):
        prompts["query"] = str(given.get("query") or "")
        prompts["document"] = str(given.get("document") or given.get("passage") or "")
    return pooling, prompts


def small_json(folder: Path, name: str) -> dict | None:
    """A small JSON object file of the model folder (a config), None when there is none; BadModelFolder when
    unreadable."""
    path = folder / name
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > 1 << 20:
            raise ValueError("larger than 1 MB")
        value = json.loads(path.read_bytes())
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:
        raise BadModelFolder(f"--model {folder}: {name} cannot be read ({exc})") from None
    return value
