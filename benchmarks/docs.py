"""Documentation benchmark: hit@1/hit@3, answer lines that are headings or markup, no-answer on answerable questions.

Usage: python benchmarks/docs.py [--lexical] [--int8] [--show] [--code-terms=prose|once|none]
                                 DOCS_FOLDER QUESTIONS.tsv [MORE.tsv ...]
Each tsv line: question<TAB>file that answers it (relative to DOCS_FOLDER; a folder prefix matches, a|b gives
alternatives; '-' when no file does: an unanswerable question)[<TAB>words of the answering section's title]; lines
starting with '#' are comments. Unanswerable questions count only in "unanswerable refused" (answer null)
and in the answer lines' markup and citation checks.
"section@1" counts the questions with a section whose answer line comes from that section (case-insensitive words).
--lexical: without the semantic stage; --int8: vectors made with int8 products (qa index --int8);
--show: print every answer line with its citation;
--code-terms: how code blocks' words are indexed (qa.formats.sections.CODE_TERMS; default: the product's).
The index is built in a temporary folder; bm25s over the same passages is printed alongside when installed.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa  # noqa: E402
from qa.formats import sections  # noqa: E402
from qa.prose import is_prose  # noqa: E402


def read_questions(paths: list[str]) -> list[tuple[str, str, str]]:
    """(question, expected file(s), expected section words or '') of each tsv line."""
    out = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                question, expected, *section = line.split("\t")
                out.append((question.strip(), expected.strip(), (section or [""])[0].strip()))
    return out


def in_section(line, words: str) -> bool:
    return words.lower() in (line.section or "").lower()


def found_at(ranked_sources: list[str], expected: str) -> list[bool]:
    wanted = [w.strip() for w in expected.split("|")]  # alternatives: a|b
    return [any(s == w or s.startswith(w.rstrip("/") + "/") for w in wanted) for s in ranked_sources]


def hits(ranked_sources: list[str], expected: str) -> tuple[bool, bool]:
    found = found_at(ranked_sources, expected)
    return any(found[:1]), any(found[:3])


def reciprocal_rank(ranked_sources: list[str], expected: str) -> float:
    """1/rank of the first right file among the distinct files of the first 10 passages (0 when absent)."""
    return next((1 / (i + 1) for i, ok in enumerate(found_at(ranked_sources, expected)) if ok), 0.0)


def is_heading(line) -> bool:
    """The answer line is its section's own title (HTML headings carry no '#' to tell them by)."""
    title = (line.section or "").split(" > ")[-1].strip()
    return bool(title) and line.text.strip().lstrip("#").strip() == title


def cited_exactly(folder: Path, line) -> bool:
    """A Markdown/text answer line stands in the file's lines it cites (HTML cites a passage's source lines)."""
    if line.source.endswith((".html", ".htm", ".pdf")):
        return True
    lines = (folder / line.source).read_text(encoding="utf-8").splitlines()
    return line.text.strip() in "\n".join(lines[line.line_start - 1:line.line_end])


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
    results = model.search([q for q, _, _ in questions], k=30)
    scored = [hits(first_distinct(sources[d] for d, _ in ranked), expected)
              for ranked, (_, expected, _) in zip(results, questions)]
    return sum(h1 for h1, _ in scored) / len(scored), sum(h3 for _, h3 in scored) / len(scored)


def main(argv: list[str]) -> int:
    flags = {a for a in argv if a.startswith("--")}
    args = [a for a in argv if not a.startswith("--")]
    code_terms = [f.split("=", 1)[1] for f in flags if f.startswith("--code-terms=")]
    flags -= {f"--code-terms={c}" for c in code_terms}
    if len(args) < 2 or flags - {"--lexical", "--int8", "--show"} or not set(code_terms) <= {"prose", "once", "none"}:
        print(__doc__, file=sys.stderr)
        return 2
    if code_terms:
        sections.CODE_TERMS = code_terms[0]
    folder, asked = Path(args[0]), read_questions(args[1:])
    questions = [q for q in asked if q[1] != "-"]
    unanswerable = [q for q in asked if q[1] == "-"]
    semantic = False if "--lexical" in flags else None
    with tempfile.TemporaryDirectory() as tmp:
        index = qa.build_index(folder, Path(tmp) / "index", semantic=semantic, progress=None, int8="--int8" in flags)
        h1 = h3 = markup = unanswered = section_hits = with_section = rr = miscited = 0
        for question, expected, section in questions:
            answer = index.ask(question, k=10)
            top1, top3 = hits(first_distinct(r.source for r in answer.results), expected)
            rr += reciprocal_rank(first_distinct((r.source for r in answer.results), 10), expected)
            h1, h3 = h1 + top1, h3 + top3
            line = answer.answer
            if line is None:
                unanswered += 1
                print(f"  no answer: {question!r}")
            elif not is_prose(line.text) or is_heading(line):
                markup += 1
                print(f"  markup answer line: {question!r} -> {line.text[:70]!r}")
            if line is not None and not cited_exactly(folder, line):
                miscited += 1
                print(f"  answer line not in the lines it cites: {question!r} -> {line.source}:{line.line_start}")
            if section:
                with_section += 1
                section_hits += bool(line and top1 and in_section(line, section))
            if not top3:
                print(f"  miss: {question!r} (want {expected}; got {first_distinct(r.source for r in answer.results)})")
            if "--show" in flags and line is not None:
                print(f"  {question}\n    -> {line.source}:{line.line_start} [{line.section}] {line.text[:160]!r}")
        n = max(1, len(questions))
        answered = len(questions) - unanswered
        mode = ("qa lexical" if semantic is False else "qa") + f" code={sections.CODE_TERMS}"
        print(f"{mode:<22} n={n}  hit@1={h1 / n:.2f}  hit@3={h3 / n:.2f}  mrr={rr / n:.3f}  "
              f"section@1={section_hits}/{with_section}  "
              f"answer lines that are headings/markup={markup}/{answered}  no answer (all answerable)={unanswered}/{n}  "
              f"miscited={miscited}")
        refused = 0
        for question, _, _ in unanswerable:
            line = index.ask(question, k=3).answer
            refused += line is None
            if line is not None:
                markup += not is_prose(line.text) or is_heading(line)
                miscited += not cited_exactly(folder, line)
                print(f"  answered, though no file answers it: {question!r} -> {line.source}:{line.line_start} "
                      f"{line.text[:70]!r}")
        if unanswerable:
            print(f"{mode:<22} unanswerable refused={refused}/{len(unanswerable)}  (answer lines checked for markup and "
                  f"citation with the ones above: markup={markup}, miscited={miscited})")
        peer = peer_hits(index, questions) if questions else None
        if peer:
            print(f"{'bm25s':<22} n={n}  hit@1={peer[0]:.2f}  hit@3={peer[1]:.2f}  (same passages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
