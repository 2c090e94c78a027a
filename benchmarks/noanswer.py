"""What tells an answerable question from one nothing answers: the no-answer call's features on the dev questions
and on documentation folders, their AUCs, and the rules that keep the dev's answerable refused at 5% or less.

    python benchmarks/noanswer.py [DOCS_FOLDER ANSWERABLE.tsv[,MORE.tsv] UNANSWERABLE.tsv ...]

Features of each question (k = 10, the semantic stage on): the top passage's cosine (the call's), the coverage of
the question's idf mass by the best of the first three passages (the call's), and the quantity check. Each docs
folder is indexed in a temporary folder. Prints each set's AUCs and, for rules "coverage >= a, or cosine >= t_high,
or (cosine >= t and coverage >= b)" (the shipped one: a 0.7, t 0.35, b 0), the best few that refuse at most 5% of
the dev's answerable questions, with their rates on every set.
"""
from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa  # noqa: E402
from qa.answer import coverage  # noqa: E402
from qa.evaluate import load_questions  # noqa: E402
from qa.pipeline import Question, candidate_depth  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def features(index, question: str) -> dict | None:
    query = index.parse(question)
    asked = Question(query, 10, candidate_depth(10), query.weights, [])
    results = index.pipeline.composer.compose(asked, index.pipeline.rank(asked)).results
    if not results or results[0].semantic_score is None:
        return None
    verdict = index.pipeline.composer.verdict
    return {"cosine": results[0].semantic_score, "coverage": max(coverage(query.concepts, r.text) for r in results[:3]),
            "quantity": verdict.states_expected(asked, query.concepts, results[:3])}


def questions_of(paths: str) -> list[str]:
    return [line.split("\t")[0].strip() for path in paths.split(",")
            for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]


def auc(scores_yes: list[float], scores_no: list[float]) -> float:
    pairs = [(y > n) + 0.5 * (y == n) for y in scores_yes for n in scores_no]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def main(argv: list[str]) -> int:
    if len(argv) % 3:
        print(__doc__, file=sys.stderr)
        return 2
    sets: dict[str, tuple[list[dict], list[dict]]] = {}
    seeds = qa.open_index(REPO / "seeds", warn=None)
    dev = [q for q in load_questions(REPO / "tests" / "data" / "seed_questions_dev.jsonl") if not q.get("previous")]
    rows = [(bool(q.get("gold")), features(seeds, q["question"])) for q in dev]
    sets["dev"] = ([f for a, f in rows if a and f], [f for a, f in rows if not a and f])
    with tempfile.TemporaryDirectory() as tmp:
        for n, (folder, answerable, unanswerable) in enumerate(zip(argv[::3], argv[1::3], argv[2::3])):
            index = qa.build_index(folder, Path(tmp) / f"index{n}", warn=None)
            sets[Path(folder).name] = ([f for q in questions_of(answerable) if (f := features(index, q))],
                                       [f for q in questions_of(unanswerable) if (f := features(index, q))])
    for name, (yes, no) in sets.items():
        print(f"{name}: {len(yes)} answerable, {len(no)} unanswerable; AUC cosine "
              f"{auc([f['cosine'] for f in yes], [f['cosine'] for f in no]):.2f}, coverage "
              f"{auc([f['coverage'] for f in yes], [f['coverage'] for f in no]):.2f}")

    def rates(a, t, b, t_high) -> dict[str, tuple[float, float]]:
        def answers(f):
            return (f["coverage"] >= a or f["cosine"] >= t_high or (f["cosine"] >= t and f["coverage"] >= b)) \
                and f["quantity"]
        return {name: (sum(not answers(f) for f in no) / max(1, len(no)), sum(not answers(f) for f in yes) / max(1, len(yes)))
                for name, (yes, no) in sets.items()}

    def shown(r) -> str:
        return "  ".join(f"{name} {u:.2f}/{w:.2f}" for name, (u, w) in r.items())

    print("rates: unanswerable refused / answerable wrongly refused")
    print(f"shipped (0.7, 0.35, 0, none): {shown(rates(0.7, 0.35, 0, 9))}")
    grid = itertools.product([0.5, 0.6, 0.7, 0.8, 1.01], [0.3, 0.35, 0.4, 0.45, 0.5], [0, 0.1, 0.15, 0.2, 0.25, 0.3],
                             [0.5, 0.55, 0.6, 0.65, 0.7, 9])
    kept = [(p, r) for p in grid if (r := rates(*p))["dev"][1] <= 0.05]
    others = [name for name in sets if name != "dev"]
    kept.sort(key=lambda pr: -sum(pr[1][n][0] - 2 * pr[1][n][1] for n in others))
    for p, r in kept[:5]:
        print(f"a={p[0]} t={p[1]} b={p[2]} t_high={p[3] if p[3] < 9 else 'none'}: {shown(r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
