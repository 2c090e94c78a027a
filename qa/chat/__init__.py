"""The interactive chat: `qa chat` and `python repl.py`."""
from .app import main, run

__all__ = ["main", "run"]
