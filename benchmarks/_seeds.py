"""The seed questions: hit@1, hit@3 and no-answer rates, by kind.

A question (jsonl: question, kind, gold, previous) is answerable when it has
gold phrases. A hit at k: one of the first k passages contains one of the gold
phrases (case-sensitive substring, after normalizing whitespace and curly
quotes on both sides). The no-answer rate is the share of questions given
answer=None: for answerable questions lower is better, for unanswerable ones
higher is better.
"""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Sequence

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
})
_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _WS.sub(" ", text.translate(_QUOTES)).strip()


def load_questions(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def is_hit(passages: Sequence[str], gold: Sequence[str], k: int) -> bool:
    wanted = [normalize(g) for g in gold if g.strip()]
    return any(g in normalize(p) for p in passages[:k] for g in wanted)


# A system answers one question: (question, previous questions) -> (passage texts ranked, answered?)
Answerer = Callable[[str, Sequence[str]], tuple[list[str], bool]]


def evaluate(questions: list[dict], answer: Answerer) -> dict:
    """Per kind and overall: n, hit@1, hit@3 (answerable only) and the no-answer rate."""
    rows: list[dict] = []
    for q in questions:
        passages, answered = answer(q["question"], q.get("previous") or [])
        gold = q.get("gold") or []
        rows.append({
            "id": q.get("id"),
            "kind": q.get("kind", "?"),
            "answerable": bool(gold),
            "hit@1": is_hit(passages, gold, 1) if gold else None,
            "hit@3": is_hit(passages, gold, 3) if gold else None,
            "no_answer": not answered,
        })
    groups: "OrderedDict[str, list[dict]]" = OrderedDict()
    for r in rows:
        groups.setdefault(r["kind"], []).append(r)
    groups["answerable"] = [r for r in rows if r["answerable"]]
    groups["unanswerable (all)"] = [r for r in rows if not r["answerable"]]
    summary = {}
    for name, rs in groups.items():
        if not rs:
            continue
        ans = [r for r in rs if r["answerable"]]
        summary[name] = {
            "n": len(rs),
            "hit@1": sum(r["hit@1"] for r in ans) / len(ans) if ans else None,
            "hit@3": sum(r["hit@3"] for r in ans) / len(ans) if ans else None,
            "no_answer": sum(r["no_answer"] for r in rs) / len(rs),
        }
    return {"by_kind": summary, "questions": rows}


def qa_answerer(index, k: int = 3) -> Answerer:
    """qa itself; a follow-up is asked in a conversation after its previous questions."""

    def answer(question: str, previous: Sequence[str]):
        if previous:
            conv = index.conversation()
            for p in previous:
                conv.ask(p, k)
            ans = conv.ask(question, k)
        else:
            ans = index.ask(question, k)
        return [r.text for r in ans.results], ans.answer is not None

    return answer


def bm25s_answerer(passages: list[str], k: int = 3) -> Answerer:
    """bm25s over the same passages; the question alone (it has no conversation).

    It "answers" when some passage matches a query term (a positive score).
    """
    from _peers import BM25s

    model = BM25s(passages)

    def answer(question: str, previous: Sequence[str]):
        hits = model.search([question], k)[0]
        return [passages[d] for d, _ in hits], bool(hits)

    return answer
