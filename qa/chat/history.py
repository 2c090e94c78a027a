"""Where the question history lives (XDG state dir), and a history that never breaks the chat."""
from __future__ import annotations

import os
from pathlib import Path

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


def history_path() -> Path:
    """$XDG_STATE_HOME/qa/history, or ~/.local/state/qa/history (a relative XDG path is ignored, as the spec says)."""
    state = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "qa" / "history"


def open_history(path: Path | None = None) -> History:
    """A file history when the file can be created and written; otherwise one kept in memory."""
    try:
        path = path or history_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Questions can be private: a new file is readable by its owner only.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600))
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return InMemoryHistory()
    return _TolerantFileHistory(str(path))


class _TolerantFileHistory(FileHistory):
    """Keeps the session going when the file stops being writable (disk full, removed dir)."""

    def store_string(self, string: str) -> None:
        try:
            super().store_string(string)
        except OSError:
            pass
