"""Times the format readers on adversarial inputs at 4 sizes: each doubling of the input should about double the time (linear)."""
import sys
import time
from types import SimpleNamespace

from qa.formats import markdown, pdf

CASES = {
    "md run of spaces": lambda n: "a" + " " * n + "b ##\n",
    "md unclosed [": lambda n: "[" * n,
    "md unclosed <a": lambda n: "<a" * (n // 2),
    "md unclosed [a](": lambda n: "[a](" * (n // 4),
    "md nested spans": lambda n: "*_" * (n // 2) + "x\n",
}


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def pdf_split(pages: int) -> float:
    units = [SimpleNamespace(start=10 * k) for k in range(pages * 5)]
    bounds = [(n + 1, 50 * n, 50 * n + 48) for n in range(pages)]
    return seconds(lambda: pdf.units_by_page(units, bounds))


def main(sizes: list[int]) -> None:
    for name, make in CASES.items():
        times = [seconds(lambda t=make(n): markdown.passages(t)) for n in sizes]
        print(f"{name:20}", "  ".join(f"{n}: {t * 1000:8.1f} ms" for n, t in zip(sizes, times)))
    times = [pdf_split(n // 25) for n in sizes]
    print(f"{'pdf page split':20}", "  ".join(f"{n // 25}p: {t * 1000:6.1f} ms" for n, t in zip(sizes, times)))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [12500, 25000, 50000, 100000])
