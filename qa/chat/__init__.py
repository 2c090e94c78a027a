"""The interactive chat: `qa chat` and `python repl.py`."""
from .app import main

__all__ = ["main"]
