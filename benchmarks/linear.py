"""Times the format readers and the chat's wrapping on adversarial inputs at 4 sizes: each doubling of the input
should about double the time (linear).

Usage: python benchmarks/linear.py [SIZE ...]   (characters; default 12500 25000 50000 100000; the chat wrap
case runs at SIZE * 200, i.e. 2.5-20 MB by default)"""
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's qa, not an installed one

from qa.chat.wrap import hang  # noqa: E402
from qa.expected import KINDS, Expected, holds  # noqa: E402
from qa import corpus  # noqa: E402
from qa.formats import markdown, pdf  # noqa: E402

CASES = {
    "md run of spaces": lambda n: "a" + " " * n + "b ##\n",
    "md unclosed [": lambda n: "[" * n,
    "md unclosed <a": lambda n: "<a" * (n // 2),
    "md unclosed [a](": lambda n: "[a](" * (n // 4),
    "md nested spans": lambda n: "*_" * (n // 2) + "x\n",
    "md nested emphasis": lambda n: "**" * (n // 4) + "x" + "**" * (n // 4) + "\n",
    "md <!-- runs": lambda n: "<!--" * (n // 4),
    "md <!-- a runs": lambda n: "<!-- a " * (n // 7),
    "md <http: runs": lambda n: "<http:" * (n // 6),
    "md heading spaces": lambda n: "# a" + " " * n + "b\n",
    "md heading tabs #": lambda n: "# a" + " \t" * (n // 2) + "b #\n",
}


# the peer: the regexes qa used before (issue #18), quadratic; timed only up to PEER_MAX characters
PEERS = {
    "old <!-- regex": (lambda t, sub=re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.S).sub: sub(" ", t),
                       CASES["md <!-- runs"]),
    "old heading regex": (re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$").match,
                          CASES["md heading spaces"]),
}
PEER_MAX = 25000

# the quantity check's sentences (qa/expected.py): number runs that a regex would re-scan from every digit
SENTENCES = {
    "quantity 1,1,1..x": lambda n: "1," * (n // 2) + "1x",
    "quantity 1.1.1..": lambda n: "1." * (n // 2) + "x",
    "quantity 12 12 ..": lambda n: "12 " * (n // 3),
    "quantity one one ..": lambda n: "one " * (n // 4),
}


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def pdf_split(pages: int) -> float:
    units = [SimpleNamespace(start=10 * k) for k in range(pages * 5)]
    bounds = [(n + 1, 50 * n, 50 * n + 48) for n in range(pages)]
    return seconds(lambda: pdf.units_by_page(units, bounds))


def wrapped_text(n: int, line_end: str = "\n") -> str:
    """About ``n`` characters of hard-wrapped prose with no blank line (a log, a text wrapped at 60 columns)."""
    sentence = "The pump on level {} logged a pressure drop and was restarted by the night shift."
    words = " ".join(sentence.format(i) for i in range(n // 80 + 1)).split(" ")
    lines, line = [], []
    for word in words:
        if sum(len(w) + 1 for w in line) + len(word) > 60:
            lines.append(" ".join(line))
            line = []
        line.append(word)
    return line_end.join(lines + [" ".join(line)])


def main(sizes: list[int]) -> None:
    for name, make in CASES.items():
        times = [seconds(lambda t=make(n): markdown.passages(t)) for n in sizes]
        print(f"{name:20}", "  ".join(f"{n}: {t * 1000:8.1f} ms" for n, t in zip(sizes, times)))
    times = [seconds(lambda t="kettle " + "x" * (n * 200) + " tea": hang([("", "> ")], [("", "  ")], [("", t)], 100))
             for n in sizes]
    print(f"{'chat wrap one token':20}", "  ".join(f"{n * 200 / 1e6:.1f}MB: {t * 1000:6.1f} ms" for n, t in zip(sizes, times)))
    for name, (pattern, make) in PEERS.items():
        cells = [f"{n}: {seconds(lambda t=make(n), work=pattern: work(t)) * 1000:8.1f} ms"
                 for n in sizes if n <= PEER_MAX]
        print(f"{name:20}", "  ".join(cells))
    for name, make in SENTENCES.items():
        times = [seconds(lambda t=make(n): [holds(Expected(k, ("missil",)), t) for k in KINDS]) for n in sizes]
        print(f"{name:20}", "  ".join(f"{n}: {t * 1000:8.1f} ms" for n, t in zip(sizes, times)))
    times = [seconds(lambda t=wrapped_text(n * 20): corpus.split_passages(t)) for n in sizes]
    print(f"{'txt hard-wrapped':20}", "  ".join(f"{n * 20 / 1e6:.2f}MB: {t * 1000:7.1f} ms" for n, t in zip(sizes, times)))
    times = [pdf_split(n // 25) for n in sizes]
    print(f"{'pdf page split':20}", "  ".join(f"{n // 25}p: {t * 1000:6.1f} ms" for n, t in zip(sizes, times)))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [12500, 25000, 50000, 100000])
