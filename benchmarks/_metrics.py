"""Ranking metrics with trec_eval's definitions (binary relevance).

Every function takes `ranked`, the document ids in the order the system
returned them (duplicates after the first occurrence are ignored), and
`relevant`, the set of ids judged relevant for the query.

- nDCG@k: gain 1 for a relevant document, discount 1/log2(rank + 1); the
  ideal ranking puts min(|relevant|, k) relevant documents first.
- AP@k (MAP@100 when averaged): the sum, over the relevant documents retrieved
  within the first k, of the precision at that rank, divided by the number of
  relevant documents (all of them, not only those within reach of k).
- Recall@k: relevant documents in the first k / number of relevant documents.
- P@k: relevant documents in the first k / k (even when fewer were retrieved).

A query with no relevant document has no defined value: `evaluate` skips it.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

METRICS = ("ndcg@10", "map@100", "recall@100", "p@10")


def _dedup(ranked: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for d in ranked:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    if not relevant:
        raise ValueError("nDCG is undefined without relevant documents")
    dcg = sum(
        1.0 / math.log2(i + 2) for i, d in enumerate(_dedup(ranked)[:k]) if d in relevant
    )
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / idcg


def average_precision(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    if not relevant:
        raise ValueError("AP is undefined without relevant documents")
    hits = 0
    total = 0.0
    for i, d in enumerate(_dedup(ranked)[:k]):
        if d in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / len(relevant)


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    if not relevant:
        raise ValueError("recall is undefined without relevant documents")
    return sum(1 for d in _dedup(ranked)[:k] if d in relevant) / len(relevant)


def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    return sum(1 for d in _dedup(ranked)[:k] if d in relevant) / k


def per_query(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at_k(ranked, relevant, 10),
        "map@100": average_precision(ranked, relevant, 100),
        "recall@100": recall_at_k(ranked, relevant, 100),
        "p@10": precision_at_k(ranked, relevant, 10),
    }


def evaluate(
    run: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]
) -> dict[str, float]:
    """Mean of each metric over the judged queries (a query missing from `run` scores 0)."""
    judged = [q for q, rel in qrels.items() if rel]
    if not judged:
        raise ValueError("no judged query")
    sums = dict.fromkeys(METRICS, 0.0)
    for q in judged:
        for m, v in per_query(run.get(q, []), qrels[q]).items():
            sums[m] += v
    return {m: s / len(judged) for m, s in sums.items()}
