"""Score an index on questions with evidence phrases (the seed dev questions' format).

Each line of the JSONL file: ``question``, ``kind``, ``gold`` (evidence
phrases; a passage holding any of them answers), ``previous`` (earlier
questions of the same conversation, for follow-ups). Used by the tests and
by ``benchmarks/quality.py``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path


def normalize(text: str) -> str:
    text = text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}))
    return " ".join(text.split())


def load_questions(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def holds_evidence(text: str, gold: list[str]) -> bool:
    t = normalize(text)
    return any(normalize(g) in t for g in gold)


def evaluate(index, questions: list[dict], k: int = 3) -> dict:
    """Per-question outcomes and figures by kind: hit@1, hit@3, and how often answer is null."""
    rows = []
    for q in questions:
        conversation = index.conversation()
        for earlier in q.get("previous") or []:
            conversation.ask(earlier, k)
        answer = conversation.ask(q["question"], k)
        texts = [r.text for r in answer.results]
        gold = q.get("gold") or []
        rows.append({
            "id": q.get("id"), "kind": q.get("kind", "?"), "question": q["question"],
            "answerable": bool(gold), "null": answer.answer is None,
            "hit1": bool(gold) and any(holds_evidence(t, gold) for t in texts[:1]),
            "hit3": bool(gold) and any(holds_evidence(t, gold) for t in texts[:3]),
        })
    return {"rows": rows, "by_kind": summarize(rows)}


def summarize(rows: list[dict]) -> dict:
    groups = defaultdict(list)
    for r in rows:
        groups[r["kind"]].append(r)
        groups["all answerable" if r["answerable"] else "all unanswerable"].append(r)
    out = {}
    for kind, rs in groups.items():
        n = len(rs)
        out[kind] = {"n": n, "hit1": sum(r["hit1"] for r in rs) / n, "hit3": sum(r["hit3"] for r in rs) / n,
                     "null": sum(r["null"] for r in rs) / n}
    return out
