"""Index files on disk: plain ``.npy`` arrays and a JSON manifest, nothing that can run code.

Every array is listed in the manifest with its dtype, shape and CRC-32, and
is loaded with ``allow_pickle=False`` (memory-mapped when large). The
manifest is replaced atomically (write, fsync, rename), so a reader sees
either the old index or the new one, never a mix, and a crash mid-build
leaves the previous index as it was.
"""
from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import numpy as np

from .errors import QAError

FORMAT = 1
MANIFEST = "manifest.json"
MMAP_BYTES = 1 << 20  # arrays larger than this are memory-mapped
VERIFY_BYTES = 256 << 20  # checksums are verified on open up to this total size


class IndexDamaged(QAError):
    """The index on disk is unreadable or fails its checksums; it can be rebuilt."""


def crc32_file(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def write_array(folder: Path, name: str, array: np.ndarray) -> dict:
    path = folder / f"{name}.npy"
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    return {"file": path.name, "dtype": str(array.dtype), "shape": list(array.shape),
            "bytes": path.stat().st_size, "crc32": crc32_file(path)}


def read_array(folder: Path, meta: dict, verify: bool) -> np.ndarray:
    path = folder / meta["file"]
    try:
        if path.stat().st_size != meta["bytes"]:
            raise IndexDamaged(f"index file {path} has the wrong size")
        if verify and crc32_file(path) != meta["crc32"]:
            raise IndexDamaged(f"index file {path} fails its checksum")
        mode = "r" if meta["bytes"] > MMAP_BYTES else None
        array = np.load(path, mmap_mode=mode, allow_pickle=False)
    except IndexDamaged:
        raise
    except (OSError, ValueError) as exc:
        raise IndexDamaged(f"index file {path} is unreadable ({exc.__class__.__name__})") from exc
    if str(array.dtype) != meta["dtype"] or list(array.shape) != meta["shape"]:
        raise IndexDamaged(f"index file {path} does not match its manifest")
    return array


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_manifest(folder: Path) -> dict | None:
    """The manifest of the index in ``folder``; None when there is none yet."""
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexDamaged(f"cannot read {path}: {exc.strerror}") from exc
    try:
        manifest = json.loads(raw)
        version = manifest["format"]
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexDamaged(f"index manifest {path} is damaged") from exc
    if not isinstance(version, int) or version > FORMAT:
        raise QAError(f"index {folder} was written by a newer qa (format {version}; this qa reads {FORMAT}); "
                      "upgrade qa or rebuild with 'qa index'")
    if version < FORMAT:
        raise IndexDamaged(f"index {folder} has an old format ({version})")
    return manifest
