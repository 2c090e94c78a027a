"""Index files on disk: plain ``.npy`` arrays and a JSON manifest, nothing that can run code.

Every array is listed in the manifest with its dtype, shape and CRC-32, and
is loaded with ``allow_pickle=False`` (memory-mapped when large). The
manifest is replaced atomically (write, fsync, rename), so a reader sees
either the old index or the new one, never a mix, and a crash mid-build
leaves the previous index as it was.
"""
from __future__ import annotations

import json
import math
import os
import stat
import zlib
from pathlib import Path

import numpy as np

from .errors import QAError

FORMAT = 5  # 3: per-passage places, stored text, formats; 4: .txt titles indexed; 5: compact postings
MANIFEST = "manifest.json"
MMAP_BYTES = 1 << 20  # arrays larger than this are memory-mapped
VERIFY_BYTES = 256 << 20  # checksums are verified on open up to this total size
MANIFEST_BYTES = 1 << 30  # a manifest larger than this is damage, not read
HEADER_BYTES = 10_000  # an .npy header longer than this is damage


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
    problem = _array_problem(meta)
    if problem:  # never follow a name out of the segment folder ("../../etc/passwd", "/etc/passwd")
        raise IndexDamaged(f"index segment {folder} is damaged ({problem})")
    path = folder / meta["file"]
    try:
        check_array_file(path, meta, verify)
        mode = "r" if meta["bytes"] > MMAP_BYTES else None
        array = np.load(path, mmap_mode=mode, allow_pickle=False)
    except IndexDamaged:
        raise
    except (OSError, ValueError) as exc:
        raise IndexDamaged(f"index file {path} is unreadable ({exc.__class__.__name__})") from exc
    if str(array.dtype) != meta["dtype"] or list(array.shape) != meta["shape"]:
        raise IndexDamaged(f"index file {path} does not match its manifest")
    return array


def array_intact(folder: Path, meta) -> bool:
    """Whether the array file ``meta`` names is whole: its size and header (cheap: its checksum is checked when
    it is read)."""
    if _array_problem(meta):
        return False
    try:
        check_array_file(folder / meta["file"], meta, verify=False)
    except (IndexDamaged, OSError):
        return False
    return True


def check_array_file(path: Path, meta: dict, verify: bool) -> None:
    """Raise IndexDamaged unless ``path`` is a regular file (not a link, FIFO or device) of the size
    the manifest states (and its checksum when ``verify``), whose .npy header declares the manifest's
    dtype and shape and exactly the bytes that follow it: checked before anything is allocated or mapped."""
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise IndexDamaged(f"index file {path} is not a regular file")
    if st.st_size != meta["bytes"]:
        raise IndexDamaged(f"index file {path} has the wrong size")
    if verify and crc32_file(path) != meta["crc32"]:
        raise IndexDamaged(f"index file {path} fails its checksum")
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f, max_header_size=HEADER_BYTES)
        except (ValueError, TypeError, SyntaxError) as exc:
            raise IndexDamaged(f"index file {path} has a bad .npy header ({exc.__class__.__name__})") from exc
        data_at = f.tell()
    if dtype.hasobject:  # would need pickle: never loaded
        raise IndexDamaged(f"index file {path} is unreadable (an object array)")
    if fortran or str(dtype) != meta["dtype"] or list(shape) != meta["shape"]:
        raise IndexDamaged(f"index file {path} does not match its manifest")
    if data_at + math.prod(shape) * dtype.itemsize != st.st_size:
        raise IndexDamaged(f"index file {path}: its header declares {math.prod(shape)} elements, "
                           f"not what its {st.st_size} bytes hold")


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        # ASCII with escapes: a file name that is not UTF-8 (lone surrogates) round-trips exactly
        json.dump(data, f, ensure_ascii=True, separators=(",", ":"))
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
        raw = read_manifest_bytes(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexDamaged(f"cannot read {path}: {exc.strerror}") from exc
    try:
        manifest = json.loads(raw)
        version = manifest["format"]
    except RecursionError as exc:  # the depth cap: json's decoder stops at the recursion limit (~1,000)
        raise IndexDamaged(f"index manifest {path} is damaged (nested too deep)") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexDamaged(f"index manifest {path} is damaged") from exc
    if type(version) is not int or version > FORMAT:
        raise QAError(f"index {folder} was written by a newer qa (format {version!r}; this qa reads {FORMAT}); "
                      "upgrade qa or rebuild with 'qa index'")
    if version < FORMAT:
        raise IndexDamaged(f"index {folder} has an old format ({version})")
    problem = manifest_problem(manifest) or _empty_segment_problem(manifest)
    if problem:
        raise IndexDamaged(f"index manifest {path} is damaged ({problem})")
    return manifest


def read_manifest_bytes(path: Path) -> bytes:
    """The bytes of the manifest at ``path``, read only from a regular file inside the index folder (a
    FIFO, a device or a link leading out of the folder is damage, never waited on or read), and at
    most MANIFEST_BYTES of them. FileNotFoundError when there is none."""
    if path.is_symlink():
        target = path.resolve()
        if target.parent != path.parent.resolve():
            raise IndexDamaged(f"index manifest {path} is a link out of the index folder")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens without a writer, and is refused below
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IndexDamaged(f"index manifest {path} is not a regular file")
        if st.st_size > MANIFEST_BYTES:
            raise IndexDamaged(f"index manifest {path} is too large ({st.st_size} bytes)")
        raw = f.read(MANIFEST_BYTES + 1)
    if len(raw) > MANIFEST_BYTES:
        raise IndexDamaged(f"index manifest {path} is too large")
    return raw


def _empty_segment_problem(manifest: dict) -> str | None:
    for seg in manifest["segments"]:
        if seg["passages"] and not seg["sources"]:
            return f"segment {seg['name']} has passages but no files"
    return None


def plain_name(name) -> bool:
    """A file or folder name that stays inside the folder it is joined to: no separator, no '..', not hidden."""
    return (isinstance(name, str) and 0 < len(name) <= 255 and not name.startswith(".")
            and not any(c in name for c in "/\\\0"))


def safe_source(source) -> bool:
    """A corpus path as the manifest stores it: relative, '/'-separated, never leaving the corpus folder."""
    return (isinstance(source, str) and bool(source) and not source.startswith("/") and "\0" not in source
            and all(part not in ("", ".", "..") for part in source.split("/")))


def _int(value) -> bool:
    return type(value) is int


def _array_problem(meta) -> str | None:
    if not isinstance(meta, dict):
        return "an array entry is not an object"
    name = meta.get("file")
    if not plain_name(name) or not name.endswith(".npy"):
        return f"array file {name!r} is not a plain .npy name inside its segment"
    if not isinstance(meta.get("dtype"), str) or not _int(meta.get("bytes")) or not _int(meta.get("crc32")):
        return f"array {name} has no dtype, size or checksum"
    shape = meta.get("shape")
    if not isinstance(shape, list) or not all(_int(n) and n >= 0 for n in shape):
        return f"array {name} has a bad shape"
    return None


def manifest_problem(manifest: dict) -> str | None:
    """What is structurally wrong with a manifest (types, names that would leave the index or corpus
    folder), or None. Checked on every open, so a damaged or hostile manifest is rebuilt, never followed."""
    segments, files = manifest.get("segments"), manifest.get("files")
    if not isinstance(manifest.get("corpus"), str) or not isinstance(manifest.get("params"), dict):
        return "no corpus or parameters"
    if not _int(manifest.get("hash_bits")) or not 1 <= manifest["hash_bits"] <= 32:
        return "bad hash_bits"
    if not isinstance(segments, list) or not isinstance(files, dict):
        return "no segment list or file table"
    for seg in segments:
        problem = _segment_problem(seg)
        if problem:
            return problem
    for source, entry in files.items():
        problem = _file_problem(source, entry)
        if problem:
            return problem
    return None


def _segment_problem(seg) -> str | None:
    """What is wrong with a manifest's entry ``seg`` of its segment list, or None."""
    if not isinstance(seg, dict) or not plain_name(seg.get("name")):
        return "a segment has no plain folder name"
    if not _int(seg.get("passages")) or seg["passages"] < 0:
        return f"segment {seg['name']} has no passage count"
    sources, arrays = seg.get("sources"), seg.get("arrays")
    if not isinstance(sources, list) or not all(safe_source(x) for x in sources):
        return f"segment {seg['name']} names a source outside the corpus"
    if not isinstance(arrays, dict) or not arrays:
        return f"segment {seg['name']} has no arrays"
    shard = seg.get("shard")
    if shard is not None and not (_int(shard) or plain_name(shard)):
        return f"segment {seg['name']} has a bad shard"
    sections = seg.get("sections", [])
    if not isinstance(sections, list) or not all(isinstance(x, str) for x in sections):
        return f"segment {seg['name']} has a bad section list"
    for meta in list(arrays.values()) + ([seg["deleted"]] if seg.get("deleted") is not None else []):
        problem = _array_problem(meta)
        if problem:
            return problem
    return None


def _file_problem(source, entry) -> str | None:
    """What is wrong with a manifest's file table entry ``entry`` for ``source``, or None."""
    if not safe_source(source):
        return f"file {source!r} is outside the corpus"
    if not isinstance(entry, dict) or not _int(entry.get("size")) or not _int(entry.get("mtime_ns")):
        return f"file {source} has no size or time"
    if entry.get("count") is not None and (not _int(entry["count"]) or not _int(entry.get("first"))
                                            or not isinstance(entry.get("segment"), str)):
        return f"file {source} has a bad passage range"
    text = entry.get("text")
    if text is not None and not (isinstance(text, list) and len(text) == 2 and all(_int(x) and x >= 0 for x in text)
                                 and text[0] <= text[1]):
        return f"file {source} has a bad stored text range"
    return None
