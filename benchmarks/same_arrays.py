"""Are two index folders the same data? Every segment's arrays (in manifest order) compared for dtype, shape and values,
and the manifests but for the random segment names, the creation time and the files' times.

    python benchmarks/same_arrays.py INDEX_A INDEX_B     (exit 0: identical, 1: they differ)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def segment_folders(index: Path) -> list[Path]:
    """The segment folders of ``index``, in its manifest's order (their names are random)."""
    manifest = json.loads((index / "manifest.json").read_text())
    return [index / seg["name"] for seg in manifest["segments"]]


def comparable_manifest(index: Path) -> dict:
    """``index``'s manifest without what differs between two builds of the same files (names, times)."""
    manifest = json.loads((index / "manifest.json").read_text())
    names = {seg["name"]: f"segment {i}" for i, seg in enumerate(manifest["segments"])}
    manifest.pop("created", None)
    manifest.pop("corpus", None)
    for seg in manifest["segments"]:
        seg["name"] = names[seg["name"]]
    for entry in manifest["files"].values():
        entry.pop("mtime_ns", None)  # two checkouts of the same files
        if "segment" in entry:
            entry["segment"] = names[entry["segment"]]
    return manifest


def differences(a: Path, b: Path) -> list[str]:
    """What differs between the arrays of index folders ``a`` and ``b`` (empty: nothing)."""
    segs_a, segs_b = segment_folders(a), segment_folders(b)
    if len(segs_a) != len(segs_b):
        return [f"{len(segs_a)} segments against {len(segs_b)}"]
    found = [] if comparable_manifest(a) == comparable_manifest(b) else ["the manifests differ"]
    for i, (sa, sb) in enumerate(zip(segs_a, segs_b)):
        names_a = {p.name for p in sa.glob("*.npy")}
        names_b = {p.name for p in sb.glob("*.npy")}
        if names_a != names_b:
            found.append(f"segment {i}: arrays {sorted(names_a ^ names_b)} in one only")
        for name in sorted(names_a & names_b):
            x, y = np.load(sa / name), np.load(sb / name)
            if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
                found.append(f"segment {i}: {name} differs ({x.dtype}{x.shape} against {y.dtype}{y.shape})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args()
    found = differences(args.a, args.b)
    n_arrays = sum(len(list(s.glob("*.npy"))) for s in segment_folders(args.a))
    for line in found:
        print(line)
    print(f"{n_arrays} arrays compared: {'identical' if not found else f'{len(found)} differ'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
