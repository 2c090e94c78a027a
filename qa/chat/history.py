"""Where the question history lives (XDG state dir), and a history that never breaks the chat."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from qa.render import one_line


def history_path() -> Path:
    """$XDG_STATE_HOME/qa/history, or ~/.local/state/qa/history (a relative XDG path is ignored, as the spec says)."""
    state = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "qa" / "history"


def open_history(path: Path | None = None, warn: Callable[[str], None] = lambda message: None) -> History:
    """A file history when the file can be created and written; a read-only one when it can only be read
    (its questions offered, this chat's not kept); otherwise one kept in memory. ``warn`` says which."""
    try:
        path = path or history_path()
    except RuntimeError:  # no home directory to be found
        warn("qa: no question history is kept: no home directory")
        return _MemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Questions can be private: a new file is readable by its owner only.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        if path.is_file() and os.access(path, os.R_OK):
            warn(f"qa: the question history {one_line(str(path))} is read-only ({reason}): this chat's questions "
                 "are not added to it")
            return _TolerantFileHistory(str(path), writable=False)
        warn(f"qa: no question history is kept: {one_line(str(path))}: {reason}")
        return _MemoryHistory()
    return _TolerantFileHistory(str(path))


class _LinePerEntry:
    """Several lines pasted at once are asked one by one, so each is its own history entry (Up brings back one)."""

    def append_string(self, string: str) -> None:
        for line in string.splitlines() or [string]:
            if line.strip():
                super().append_string(line)


class _MemoryHistory(_LinePerEntry, InMemoryHistory):
    pass


class _TolerantFileHistory(_LinePerEntry, FileHistory):
    """Keeps the session going when the file stops being writable (disk full, removed dir)."""

    def __init__(self, filename: str, writable: bool = True) -> None:
        super().__init__(filename)
        self.writable = writable

    def store_string(self, string: str) -> None:
        if not self.writable:
            return
        try:
            super().store_string(string)
        except OSError:
            pass
