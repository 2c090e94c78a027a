"""Hostile indexes through the real command line: each known attack, then seeded random mutations of
every array of a real index, each with its checksums and manifest recomputed (so only validation can
catch it).

    python benchmarks/fuzz_index.py CORPUS [--mutations 1000] [--seed 0] [--timeout 60] [--lexical]

For each case, `qa ask --json` runs in a subprocess bounded by ``--timeout``; it fails when the exit
status is 3 (or anything but 0 and 1), when it hangs, when its peak memory passes twice the clean
run's, or when, after a rebuild, its answer differs from a fresh build's. A mutation the validation
lets through (an index still consistent, answering differently) is counted, not a failure. Also
checks that a damaged index without its corpus exits 2. Prints a summary; exits 1 on any failure.
``--lexical``: every `qa` run without the semantic stage (no model load or embedding: several times
faster; the stage's vector arrays are then not in the index to be mutated).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
QUESTION = "Who is the Kremlin spokesman?"
FLAGS: list[str] = []  # more `qa ask` flags (main: --lexical)


def run_qa(corpus: Path, index: Path, timeout: float) -> dict:
    """`qa ask --json` on ``index``: exit status (None on a hang), stdout, stderr, peak RSS in KB."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--json", *FLAGS, "--corpus", str(corpus),
                                 "--index", str(index), QUESTION], stdout=out, stderr=err, env=env,
                                stdin=subprocess.DEVNULL, cwd=REPO)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                code = None
                break
            time.sleep(0.01)
        proc.returncode = code if code is not None else -9
        out.seek(0)
        err.seek(0)
        return {"code": code, "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace"), "rss_kb": usage.ru_maxrss}


def answers(stdout: str) -> list:
    """What a user compares: the answer and the ranked results (sources, lines, scores)."""
    data = json.loads(stdout) if stdout.strip() else {}
    return [data.get("answer"), [(r["source"], r["line_start"], r["line_end"], r["score"])
                                 for r in data.get("results", [])]]


def recompute(index: Path) -> None:
    """Make the manifest agree with the arrays on disk: sizes, checksums, dtypes, shapes."""
    path = index / "manifest.json"
    manifest = json.loads(path.read_text())
    for seg in manifest["segments"]:
        metas = list(seg["arrays"].values()) + ([seg["deleted"]] if seg.get("deleted") else [])
        for meta in metas:
            file = index / seg["name"] / meta["file"]
            data = file.read_bytes()
            meta["bytes"], meta["crc32"] = len(data), zlib.crc32(data)
            try:
                array = np.load(file, mmap_mode="r", allow_pickle=False)
                meta["dtype"], meta["shape"] = str(array.dtype), list(array.shape)
            except ValueError:
                pass  # a header written by hand: its manifest entry is set by the caller
    path.write_text(json.dumps(manifest))


def array_files(index: Path) -> list[Path]:
    return sorted(index.glob("seg-*/*.npy"))


def mutate(index: Path, target: Path, rng: random.Random) -> str:
    """One seeded random change of the array ``target``; returns what was done."""
    a = np.load(target, allow_pickle=False)
    flat = a.reshape(-1).copy()
    kind = rng.choice(["value", "value", "values", "swap", "shuffle", "truncate", "grow", "empty", "reverse",
                       "dtype"])
    info = np.finfo(a.dtype) if a.dtype.kind == "f" else np.iinfo(a.dtype) if a.dtype.kind in "ui" else None
    extremes = [0, 1, -1, 2**31, 2**16 - 1, 2**32 - 1, 10**12]
    if a.dtype.kind == "f":
        extremes += [float("nan"), float("inf"), -1e30, 1e30]

    def value():
        v = rng.choice(extremes + [rng.randint(-5, 5)] + ([int(flat[rng.randrange(len(flat))]) * 2 + 1]
                                                          if len(flat) and a.dtype.kind in "ui" else []))
        if info is not None and a.dtype.kind in "ui":
            v = max(info.min, min(info.max, int(v))) if not isinstance(v, float) else 0
        return v

    if kind in ("value", "values") and len(flat):
        for _ in range(1 if kind == "value" else rng.randint(2, 10)):
            flat[rng.randrange(len(flat))] = value()
        a = flat.reshape(a.shape)
    elif kind == "swap" and len(flat) > 1:
        i, j = rng.randrange(len(flat)), rng.randrange(len(flat))
        flat[i], flat[j] = flat[j], flat[i]
        a = flat.reshape(a.shape)
    elif kind == "shuffle":
        np.random.default_rng(rng.randrange(2**32)).shuffle(flat)
        a = flat.reshape(a.shape)
    elif kind == "reverse":
        a = flat[::-1].reshape(a.shape)
    elif kind == "truncate" and len(a):
        a = a[:rng.randrange(len(a))]
    elif kind == "dtype":
        with np.errstate(all="ignore"):  # values that do not fit wrap or overflow: that is the point
            a = a.astype(rng.choice([np.float64, np.int8, np.int64, np.uint16, np.float16]))
    elif kind == "grow":
        a = np.concatenate([a, a[:1] if len(a) else np.zeros((1,) + a.shape[1:], a.dtype)])
    else:
        a = a[:0]
    np.save(target, np.ascontiguousarray(a), allow_pickle=False)
    recompute(index)
    return f"{target.parent.name[:3]}/{target.stem}:{kind}"


def set_values(name: str, where, value):
    """A named attack: ``name``'s array with ``value`` at ``where``."""
    def attack(index: Path) -> None:
        target = array_files(index)[[p.stem for p in array_files(index)].index(name)]
        a = np.load(target, allow_pickle=False).copy()
        a[where] = value
        np.save(target, a, allow_pickle=False)
        recompute(index)
    return attack


def set_dtype(name: str, dtype: str):
    """A named attack: ``name``'s array stored as ``dtype`` (values converted where they can be)."""
    def attack(index: Path) -> None:
        target = array_files(index)[[p.stem for p in array_files(index)].index(name)]
        np.save(target, np.load(target, allow_pickle=False).astype(dtype), allow_pickle=False)
        recompute(index)
    return attack


def huge_header(index: Path) -> None:
    """docs.npy's header declares 10^11 elements, and so does the manifest."""
    target = next(p for p in array_files(index) if p.stem == "docs")
    a = np.load(target, allow_pickle=False)
    with open(target, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": a.dtype.str, "fortran_order": False,
                                                 "shape": (10**11,)})
        f.write(a.tobytes())
    recompute(index)
    manifest = json.loads((index / "manifest.json").read_text())
    for seg in manifest["segments"]:
        seg["arrays"]["docs"]["shape"] = [10**11]
    (index / "manifest.json").write_text(json.dumps(manifest))


def deep_manifest(index: Path) -> None:
    (index / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)


def fifo_manifest(index: Path) -> None:
    (index / "manifest.json").unlink()
    os.mkfifo(index / "manifest.json")


def zero_manifest(index: Path) -> None:
    (index / "manifest.json").unlink()
    (index / "manifest.json").symlink_to("/dev/zero")


ATTACKS = {
    "passage offset negative": set_values("passages", (0, 1), -5),
    "passage offset past the end": set_values("passages", (0, 2), 2**31 - 1),
    "source number past the file list": set_values("passages", (0, 0), 9999),
    "passage id 65535": set_values("docs", 0, 65535),
    "multi_before 2^31": set_values("multi_before", 0, 2**31),
    "length 1e30": set_values("lengths", 0, 1e30),
    "length NaN": set_values("lengths", 0, float("nan")),
    "length -1e30": set_values("lengths", 0, -1e30),
    "huge tf_at": set_values("tf_at", -1, 2**32 - 1),
    "huge places": set_values("places", slice(None), 2**31 - 1),
    "multi bits as int64": set_dtype("terms_multi", "int64"),
    "lengths as text": set_dtype("lengths", "U8"),
    "npy header of 10^11 elements": huge_header,
    "manifest nested 100,000 deep": deep_manifest,
    "manifest a FIFO": fifo_manifest,
    "manifest a link to /dev/zero": zero_manifest,
}


def empty_vocab_df(index: Path) -> None:
    target = next(p for p in array_files(index) if p.stem == "vocab_df")
    np.save(target, np.zeros(0, np.load(target).dtype), allow_pickle=False)
    recompute(index)


ATTACKS["empty vocab_df"] = empty_vocab_df


def check(name: str, run: dict, clean: dict, fresh: list, timeout: float) -> tuple[str, str]:
    """(verdict, why): "fail", "rebuilt", "refused" (exit 2) or "accepted" (not caught)."""
    if run["code"] is None:
        return "fail", f"hung past {timeout} s"
    if run["code"] not in (0, 1, 2) or "Traceback" in run["stderr"] or "internal error" in run["stderr"]:
        return "fail", f"exit {run['code']}: {run['stderr'].strip()[-300:]}"
    if run["rss_kb"] > 2 * clean["rss_kb"]:
        return "fail", f"peak memory {run['rss_kb']} KB, clean build {clean['rss_kb']} KB"
    if run["code"] == 2:
        return "refused", run["stderr"].strip()
    if "rebuilding" in run["stderr"]:
        if answers(run["stdout"]) != fresh:
            return "fail", "answers after the rebuild differ from a fresh build's"
        return "rebuilt", run["stderr"].strip()
    return ("accepted" if answers(run["stdout"]) != fresh else "harmless"), ""


def fuzz(corpus: Path, work: Path, mutations: int, seed: int, timeout: float, log=print) -> Counter:
    """Run every attack and ``mutations`` random mutations; returns the verdicts (failures logged)."""
    clean_index = work / "clean"
    first = run_qa(corpus, clean_index, timeout)  # builds
    clean = run_qa(corpus, clean_index, timeout)  # opens and answers
    assert clean["code"] == 0, clean["stderr"]
    clean["rss_kb"] = max(first["rss_kb"], clean["rss_kb"])  # a rebuild is measured against a build
    fresh = answers(clean["stdout"])
    assert answers(first["stdout"]) == fresh
    verdicts: Counter = Counter()
    rng = random.Random(seed)
    cases = [(name, attack) for name, attack in ATTACKS.items()]
    files = [p.relative_to(clean_index) for p in array_files(clean_index)]
    cases += [(None, files[i % len(files)]) for i in range(mutations)]
    for name, what in cases:
        index = work / "case"
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(clean_index, index, symlinks=True)
        if name is None:
            name = mutate(index, index / what, rng)
        else:
            what(index)
        verdict, why = check(name, run_qa(corpus, index, timeout), clean, fresh, timeout)
        verdicts[verdict] += 1
        if verdict == "fail":
            log(f"FAIL {name}: {why}")
        elif verdict == "accepted":
            log(f"not caught (answers differ): {name}")
    # without its corpus, a hostile index is refused with exit 2
    index = work / "case"
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(clean_index, index, symlinks=True)
    ATTACKS["passage id 65535"](index)
    gone = run_qa(work / "no-corpus", index, timeout)
    if gone["code"] != 2 or "\n" in gone["stderr"].strip():
        verdicts["fail"] += 1
        log(f"FAIL no corpus: exit {gone['code']}: {gone['stderr'].strip()}")
    return verdicts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--mutations", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--lexical", action="store_true", help="run qa without the semantic stage")
    args = ap.parse_args()
    FLAGS[:] = ["--lexical"] if args.lexical else []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus)
        verdicts = fuzz(corpus, Path(tmp), args.mutations, args.seed, args.timeout)
    print(f"{len(ATTACKS)} attacks + {args.mutations} mutations (seed {args.seed}) in "
          f"{time.perf_counter() - start:.0f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    return 1 if verdicts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
