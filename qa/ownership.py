"""Decide whether qa may write an index into a folder: only an empty one or one qa marked as its own."""
import json
from pathlib import Path

from .errors import QAError

MARKER = ".qa-index"
MARKER_TEXT = "This folder is an index written by qa; qa may replace anything in it.\n"
# Files qa itself may leave in a folder before its first manifest (the lock, a half-written temp file).
_HARMLESS = {MARKER, ".lock"}


def claim(index_dir: Path, corpus_root: Path) -> None:
    """Make sure ``index_dir`` may hold qa's index of ``corpus_root`` and mark it as qa's; else raise QAError.

    qa deletes ``seg-*`` folders and replaces ``manifest.json`` in its index, so it never writes into a
    folder it did not make: one that is empty, carries the marker, or holds a qa manifest (indexes made
    before the marker existed)."""
    index_dir = Path(index_dir).absolute()
    check(index_dir, corpus_root)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        marker = index_dir / MARKER
        if not marker.exists():
            marker.write_text(MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write the index folder {index_dir}: {exc.strerror or exc}") from exc


def check(index_dir: Path, corpus_root: Path) -> None:
    """Raise QAError unless qa may write its index of ``corpus_root`` into ``index_dir`` (nothing is written)."""
    index_dir = Path(index_dir).absolute()
    check_placement(index_dir, Path(corpus_root).resolve())
    if index_dir.is_dir() and not _is_ours(index_dir):
        raise QAError(f"refusing to write an index into {index_dir}: the folder is not empty and was not made "
                      f"by qa (no {MARKER} file); pass an empty or new folder to --index")


def check_placement(index_dir: Path, corpus_root: Path) -> None:
    """Refuse an index that is the corpus, holds the corpus, or sits in a folder of the corpus qa reads."""
    index_real = index_dir.resolve()
    if index_real == corpus_root:
        raise QAError(f"the index folder cannot be the corpus folder ({corpus_root}); pass another --index")
    if corpus_root.is_relative_to(index_real):
        raise QAError(f"the index folder {index_dir} contains the corpus {corpus_root}; pass another --index")
    if index_real.is_relative_to(corpus_root):
        inside = index_real.relative_to(corpus_root).parts
        if not any(part.startswith(".") for part in inside):  # hidden folders are never read as corpus
            raise QAError(f"the index folder {index_dir} is inside the corpus {corpus_root}; pass a folder "
                          "outside it (or a hidden one, e.g. .qa-index)")


def _is_ours(folder: Path) -> bool:
    try:
        names = {child.name for child in folder.iterdir()}
    except OSError as exc:
        raise QAError(f"cannot read the index folder {folder}: {exc.strerror or exc}") from exc
    if MARKER in names or not (names - _HARMLESS):
        return True
    return "manifest.json" in names and _looks_like_manifest(folder / "manifest.json")


def _looks_like_manifest(path: Path) -> bool:
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and type(manifest.get("format")) is int
            and isinstance(manifest.get("segments"), list) and isinstance(manifest.get("files"), dict))
