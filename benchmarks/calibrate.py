"""Calibrate the no-answer threshold: how answered and unanswerable questions fare at each threshold.

    python benchmarks/calibrate.py [--questions tests/data/seed_questions_dev.jsonl]

For every dev question (follow-ups asked after their `previous` ones) it computes the coverage of the
top passage (the share of the question's idf mass it holds, `qa.answer.coverage`), then prints, for a
range of thresholds, the share of answerable questions that would get no answer and the share of
unanswerable ones that would. `qa.answer.ANSWER_COVERAGE` is the threshold in use.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import qa  # noqa: E402
from qa import answer as answering  # noqa: E402
from qa.evaluate import holds_evidence, load_questions  # noqa: E402


def coverages(index, questions):
    rows = []
    for q in questions:
        conversation = index.conversation()
        for earlier in q.get("previous") or []:
            conversation.ask(earlier)
        result = conversation.ask(q["question"])
        turn = conversation.turns[-1]
        top = result.results[0].text if result.results else ""
        gold = q.get("gold") or []
        rows.append({"answerable": bool(gold), "coverage": answering.coverage(turn.concepts, top) if top else 0.0,
                     "evidence_on_top": bool(gold) and holds_evidence(top, gold)})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=REPO / "tests" / "data" / "seed_questions_dev.jsonl")
    ap.add_argument("--corpus", type=Path, default=REPO / "seeds")
    args = ap.parse_args()
    index = qa.open_index(args.corpus)
    rows = coverages(index, load_questions(args.questions))
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    found = [r for r in answerable if r["evidence_on_top"]]
    print(f"{len(answerable)} answerable ({len(found)} with the evidence in the top passage), "
          f"{len(unanswerable)} unanswerable; threshold in use: {answering.ANSWER_COVERAGE}")
    print(f"{'threshold':>9} {'no answer: answerable':>22} {'... evidence on top':>20} {'no answer: unanswerable':>24}")
    def share(rs, t):
        return sum(r["coverage"] < t for r in rs) / len(rs) if rs else 0.0

    for t in [x / 20 for x in range(2, 17)]:
        mark = "  <- in use" if abs(t - answering.ANSWER_COVERAGE) < 1e-9 else ""
        print(f"{t:9.2f} {share(answerable, t):22.2f} {share(found, t):20.2f} {share(unanswerable, t):24.2f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
