"""How the lexical and the semantic signals are combined: the fused score and the no-answer call."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Settings:
    """The semantic stage's parameters.

    Chosen by benchmarks/semantic_cv.py: 5-fold cross-validation over the 85 dev questions
    (tests/data/seed_questions_dev.jsonl), follow-ups kept in their previous question's fold; weight and
    depth by hit@1 + hit@3, the no-answer rule as the one refusing the most unanswerable questions while
    refusing at most 5% of the answerable ones ("no answer" said only when true); the values picked over all
    questions by the same rule. Held-out (3 seeds, pooled): hit@1 0.69, hit@3 0.84, paraphrase hit@3 0.65,
    unanswerable refused 0.51, answerable wrongly refused 0.04 (the curve and what was tried: docs/semantic.md)."""

    lexical_weight: float = 0.2  # fused = w * lexical / best lexical + (1 - w) * cosine over the candidates
    depth: int = 40  # lexical candidates reranked
    nearest: int = 10  # ...with this many passages closest in meaning over the whole index, when it is small:
    whole_index_at_most: int = 20000  # passages (a float32 copy of their vectors: 30 MB, ~5 ms a question)
    answer_coverage: float = 0.7  # answer when one of the first passages covers this share of the question...
    answer_cosine: float = 0.35  # ...or when its cosine with the question reaches this
    coverage_depth: int = 3  # the coverage that counts is the best of the first this many passages
    quantity_coverage: float = 0.3  # a question asking for a quantity (qa/expected.py) is answered only when one of
    # the first passages has a sentence stating one that covers this share of the question


def fuse(lexical: np.ndarray, cosine: np.ndarray, lexical_weight: float) -> np.ndarray:
    """The fused score of each candidate: its share of the best lexical score, and its cosine as it is.

    Cosines keep their own scale (a gap of 0.1 means as much among 3 candidates as among 40), so a passage
    that holds the question's exact words is not pushed down by a small difference in meaning."""
    lexical = np.asarray(lexical, dtype=np.float64)
    best = float(lexical.max()) if len(lexical) else 0.0
    share = lexical / best if best > 0 else np.zeros_like(lexical)
    return lexical_weight * share + (1.0 - lexical_weight) * np.asarray(cosine, dtype=np.float64)


def answerable(coverage: float, cosine: float | None, settings: Settings) -> bool:
    """The no-answer call from both signals (cosine None: the stage did not run, coverage alone)."""
    if coverage >= settings.answer_coverage:
        return True
    return cosine is not None and cosine >= settings.answer_cosine
