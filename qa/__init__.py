"""qa: ask questions of a folder of documents; get back the passages that answer them, cited file:line."""
from __future__ import annotations

import importlib

__all__ = ["Index", "open_index", "build_index", "QAError", "Answer", "AnswerLine", "Citation", "Result",
           "Conversation"]
__version__ = "0.1.0"

# imported when first used: `qa ask` starts (and a Ctrl-C at once is handled) before numpy and the index code load
_HOME = {"Index": "api", "open_index": "api", "build_index": "api", "QAError": "errors", "Answer": "model",
         "AnswerLine": "model", "Citation": "model", "Result": "model", "Conversation": "conversation"}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    if name.startswith("_"):  # "__main__", "__path__"-like probes: never import (qa.__main__ runs the command line)
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    try:
        return importlib.import_module(f".{name}", __name__)  # qa.storage, qa.semantic, ...
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module 'qa' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
