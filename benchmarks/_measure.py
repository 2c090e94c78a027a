"""Run one command and report its wall time and peak memory as JSON.

    python benchmarks/_measure.py [--stdin FILE] [--stdout FILE] -- CMD ARGS...

This wrapper is started fresh for every measurement, so
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is exactly the largest resident set
of the measured command or of any process it waited for (not of an earlier
measurement). Because ru_maxrss is a per-process maximum, the wrapper also
samples the whole process tree from /proc every 100 ms, so a command that
fans out to worker processes is not under-reported: the summed PSS
(proportional set size, from smaps_rollup: pages shared by forked workers
counted once, not once a process as a sum of RSS would) and, for reference,
the summed RSS. ``peak_rss_mb`` is the larger of ru_maxrss and the PSS peak.

The last line written to stdout is the JSON report; the command's own stdout
goes to --stdout (default: /dev/null) and its stderr to our stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def _proc_kb(pid: int, name: str, field: str) -> int | None:
    """The kB figure of ``field`` in /proc/PID/NAME, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/{name}") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _rss_kb(pid: int) -> int:
    return _proc_kb(pid, "status", "VmRSS:") or 0


def _pss_kb(pid: int) -> int:
    pss = _proc_kb(pid, "smaps_rollup", "Pss:")
    return _rss_kb(pid) if pss is None else pss


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0       # summed PSS
        self.peak_rss_kb = 0   # summed RSS (double-counts pages shared after fork)
        self.max_procs = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids, stack = [], [self.pid]
            while stack:
                p = stack.pop()
                pids.append(p)
                stack.extend(_children(p))
            self.max_procs = max(self.max_procs, len(pids))
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in pids))
            self.peak_rss_kb = max(self.peak_rss_kb, sum(_rss_kb(p) for p in pids))
            self.done.wait(self.interval)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdin")
    ap.add_argument("--stdout")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command")
    stdin = open(args.stdin, "rb") if args.stdin else subprocess.DEVNULL
    stdout = open(args.stdout, "wb") if args.stdout else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout)
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    sampler.done.set()
    sampler.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    maxrss_mb = ru.ru_maxrss / 1024.0  # kB on Linux
    report = {
        "returncode": rc,
        "wall_s": wall,
        "cpu_user_s": ru.ru_utime,
        "cpu_sys_s": ru.ru_stime,
        "maxrss_mb": maxrss_mb,
        "tree_pss_peak_mb": sampler.peak_kb / 1024.0,
        "tree_rss_peak_mb": sampler.peak_rss_kb / 1024.0,
        "max_procs": sampler.max_procs,
        "peak_rss_mb": max(maxrss_mb, sampler.peak_kb / 1024.0),
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
