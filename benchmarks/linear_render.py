"""Time qa's plain-text rendering of an answer holding one long unbroken token, against textwrap.wrap.

Usage: python benchmarks/linear_render.py [SIZE_MB ...]   (default 0.25 0.5 1 2)

qa's time should double with the size (linear); textwrap's (the peer, what render.py used before)
quadruples, so it is measured only up to --peer-max MB (default 1)."""
import argparse
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's qa, not an installed one

from qa.model import Answer, AnswerLine  # noqa: E402
from qa.render import render_answer  # noqa: E402


def timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=float, default=[0.25, 0.5, 1, 2])
    parser.add_argument("--peer-max", type=float, default=1.0)
    args = parser.parse_args()
    print(f"{'MB':>6} {'qa render s':>12} {'textwrap s':>12}")
    for mb in args.sizes:
        text = "kettle " + "x" * int(mb * (1 << 20)) + " tea"
        answer = Answer("q", AnswerLine(text, "long.txt", 1, 1), [])
        ours = timed(render_answer, answer, color=False, width=100)
        peer = (f"{timed(textwrap.wrap, text, width=100, break_long_words=True):12.3f}"
                if mb <= args.peer_max else f"{'skipped':>12}")
        print(f"{mb:6.2f} {ours:12.3f} {peer}")


if __name__ == "__main__":
    main()
