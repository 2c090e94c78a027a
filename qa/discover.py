"""Folder -> the document files to read: a walk that never leaves the corpus, crashes on depth, or follows links out."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from . import corpus
from .errors import QAError

Warn = Callable[[str], None]


def list_files(root: Path, warn: Warn | None = None) -> list[Path]:
    """The corpus files under ``root``, sorted; hidden folders and symlinked folders are not entered.

    A sub-folder that cannot be read is skipped, told to ``warn``; an unreadable ``root`` is a QAError."""
    if not root.exists():
        raise QAError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise QAError(f"corpus is not a folder: {root}")
    found = []
    folders = [str(root)]  # a stack, not os.walk's recursion: a folder 1000 levels deep must not crash
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                children = list(entries)
        except FileNotFoundError:
            continue  # deleted since it was listed: it holds nothing now
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            if folder == str(root):
                raise QAError(f"cannot read the corpus folder {root}: {reason}") from exc
            if warn:
                warn(f"skipped {corpus.relative_source(root, Path(folder))}/: {reason}")
            continue
        for entry in children:
            if entry.name.startswith("."):
                continue
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_folder:
                folders.append(entry.path)
            elif entry.name.lower().endswith(corpus.EXTENSIONS):
                found.append(Path(entry.path))
    return sorted(found, key=lambda p: corpus.relative_source(root, p))


def check_readable(root: Path) -> None:
    """QAError unless ``root`` is a folder whose entries can be listed (told before any work starts)."""
    try:
        with os.scandir(root):
            pass
    except OSError as exc:
        raise QAError(f"cannot read the corpus folder {root}: {exc.strerror or type(exc).__name__}") from exc


def check_inside(root: Path, path: Path) -> None:
    """Raise Skipped when ``path`` (a symlink, or under one) really lies outside the corpus ``root``:
    a link to /etc/passwd in the corpus must not be read and quoted."""
    if not path.is_symlink():  # the walk enters no symlinked folder, so only a file link can leave
        return
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a broken link or a loop
        raise corpus.Skipped("a broken or looping symlink") from exc
    if not real.is_relative_to(root.resolve()):
        raise corpus.Skipped(f"a symlink to {real}, outside the corpus")
