"""Documentation benchmark: hit@1/hit@3, answer lines that are headings or markup, no-answer on answerable questions.

Usage: python benchmarks/docs.py DOCS_FOLDER QUESTIONS.tsv [MORE.tsv ...]
Each tsv line: question<TAB>file that answers it (relative to DOCS_FOLDER; a folder prefix matches, a|b gives alternatives).
The index is built in a temporary folder; bm25s over the same passages is printed alongside when installed.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa  # noqa: E402
from qa.prose import is_prose  # noqa: E402


def read_questions(paths: list[str]) -> list[tuple[str, str]]:
    out = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                question, expected = line.split("\t")[:2]
                out.append((question.strip(), expected.strip()))
    return out


def hits(ranked_sources: list[str], expected: str) -> tuple[bool, bool]:
    wanted = [w.strip() for w in expected.split("|")]  # alternatives: a|b
    found = [any(s == w or s.startswith(w.rstrip("/") + "/") for w in wanted) for s in ranked_sources]
    return any(found[:1]), any(found[:3])


def is_heading(line) -> bool:
    """The answer line is its section's own title (HTML headings carry no '#' to tell them by)."""
    title = (line.section or "").split(" > ")[-1].strip()
    return bool(title) and line.text.strip().lstrip("#").strip() == title


def first_distinct(sources, k: int = 3) -> list[str]:
    return list(dict.fromkeys(sources))[:k]


def peer_hits(index, questions) -> tuple[float, float] | None:
    try:
        from _peers import BM25s
    except ImportError:
        return None
    rows = list(index.searcher.live_passages())
    sources = [source for _, source in rows]
    model = BM25s([index.passage_text(pid) for pid, _ in rows])
    results = model.search([q for q, _ in questions], k=30)
    scored = [hits(first_distinct(sources[d] for d, _ in ranked), expected)
              for ranked, (_, expected) in zip(results, questions)]
    return sum(h1 for h1, _ in scored) / len(scored), sum(h3 for _, h3 in scored) / len(scored)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder, questions = Path(argv[0]), read_questions(argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        index = qa.build_index(folder, Path(tmp) / "index")
        h1 = h3 = markup = unanswered = 0
        for question, expected in questions:
            answer = index.ask(question, k=10)
            top1, top3 = hits(first_distinct(r.source for r in answer.results), expected)
            h1, h3 = h1 + top1, h3 + top3
            if answer.answer is None:
                unanswered += 1
            elif not is_prose(answer.answer.text) or is_heading(answer.answer):
                markup += 1
                print(f"  markup answer line: {question!r} -> {answer.answer.text[:70]!r}")
            if not top3:
                print(f"  miss: {question!r} (want {expected}; got {first_distinct(r.source for r in answer.results)})")
        n = len(questions)
        answered = n - unanswered
        print(f"qa      n={n}  hit@1={h1 / n:.2f}  hit@3={h3 / n:.2f}  "
              f"answer lines that are headings/markup={markup}/{answered}  no answer (all answerable)={unanswered}/{n}")
        peer = peer_hits(index, questions)
        if peer:
            print(f"bm25s   n={n}  hit@1={peer[0]:.2f}  hit@3={peer[1]:.2f}  (same passages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
