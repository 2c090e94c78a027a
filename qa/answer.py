"""Ranked passages -> an answer: near-duplicates folded into "also in", the answer line, the no-answer call.

The no-answer call asks how much of the question the best passage covers:
the share of the question's idf mass (each word counted once, by its best
spelling) that the passage holds. A question whose rarest words the corpus
never mentions ("the population of Kherson") covers little and gets no
answer; the threshold is calibrated on the dev questions and tested.
"""
from __future__ import annotations

import re

import numpy as np

from . import analysis, corpus, prose

# Below this share of the question's weight, nothing is relevant. The middle of the plateau (0.45-0.55)
# where the dev questions' unanswerable ones get no answer and those answered on top keep theirs
# (benchmarks/calibrate.py prints the whole curve).
ANSWER_COVERAGE = 0.5
_SHINGLE = 4


def coverage(concepts, text: str) -> float:
    """Share of the concepts' idf mass that ``text`` holds (any of a concept's stems counts)."""
    total = sum(c.idf for c in concepts)
    if total <= 0:
        return 0.0
    present = set(analysis.tokenize(text))
    return sum(c.idf for c in concepts if any(s in present for s in c.stems)) / total


def shingles(text: str) -> set[int]:
    ws = analysis.words(text)
    return {hash(tuple(ws[i:i + _SHINGLE])) for i in range(max(1, len(ws) - _SHINGLE + 1))}


def near_duplicate(a: set[int], b: set[int], threshold: float = 0.35) -> bool:
    """Passages that report the same fact: a large share of the smaller one's word 4-grams stand in the other."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= threshold


# a blank line ("\r\n" is one line end, not two) or a Markdown heading starting a line
_BLOCK_BREAK = re.compile(r"(?:\r\n|\r(?!\n)|\n)(?:[ \t]*(?:\r\n|\r(?!\n)|\n))+|(?<=[\r\n])(?=#{1,6} )")
_HEADING_LINE = re.compile(r"#{1,6} [^\r\n]*(?:\r\n|\r|\n)")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage; a blank line or a Markdown heading line also ends one."""
    out = []
    pos = 0
    for m in list(_BLOCK_BREAK.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        s = pos
        heading = _HEADING_LINE.match(text, s)
        if heading and heading.end() <= end:
            out.append((s, len(text[:heading.end()].rstrip())))
            s = heading.end()
        out.extend(corpus.sentence_spans(text, s, end))
        if m:
            pos = m.end()
    return [(s, e) for s, e in out if text[s:e].strip()] or [(0, len(text))]


def best_sentence(text: str, concepts, weights: dict[str, float]) -> tuple[int, int]:
    """(start, end) within ``text`` of the sentence that holds the most of the question."""
    best, best_score = (0, len(text)), -1.0
    spans = sentences(text)
    for start, end in [t for sp in spans if (t := prose.trim(text, *sp))] or spans:
        tokens = analysis.tokenize(text[start:end])
        present = set(tokens)
        score = sum(c.idf for c in concepts if any(s in present for s in c.stems))
        grams = set(analysis.ngrams(tokens))
        score += sum(0.5 * w for t, w in weights.items() if " " in t and t in grams)
        if score > best_score + 1e-9:
            best, best_score = (start, end), score
    return best


def line_of(text: str, offset: int) -> int:
    """0-based line of ``offset`` in ``text`` (any of CRLF, CR, LF ends a line)."""
    return len(re.findall(r"\r\n|\r|\n", text[:offset]))


def feedback(weights: dict[str, float], texts: list[str], searcher, n_terms: int, beta: float) -> dict[str, float]:
    """``weights`` plus the ``n_terms`` words weighing most (saturated tf x idf) in ``texts``, the
    heaviest scaled to ``beta``: Rocchio's query expansion over the top passages, best first; the
    passage at rank r counts 1/r, so the best ones lead and the tail only adds what they agree on."""
    return feedback_from(weights, *feedback_candidates(texts, searcher, n_terms), searcher, n_terms, beta)


def feedback_candidates(texts: list[str], searcher, n_terms: int):
    """(each candidate's weight in ``texts``, the candidates): the ``3 n_terms`` words weighing most
    in the passages themselves, whose idf feedback_from looks up (a few lookups, not hundreds)."""
    from itertools import chain

    k1, b = searcher.scoring.k1, searcher.scoring.b
    per_text = [analysis.words(text) for text in texts]
    distinct = list(dict.fromkeys(chain.from_iterable(per_text)))
    stop = analysis.STOP_WORDS
    # each stem (the unigrams of analysis.analyze) numbered by its first occurrence, text after text
    # (that of its first word: the words are in that order); a stop word is -1
    ids: dict[str, int] = {}
    word_id = {w: -1 if s in stop else ids.setdefault(s, len(ids)) for w, s in zip(distinct, analysis.stems(distinct))}
    mass = np.zeros(len(ids))
    for rank, ws in enumerate(per_text, start=1):
        row = np.fromiter(map(word_id.__getitem__, ws), dtype=np.int64, count=len(ws))
        row = row[row >= 0]
        tf = np.bincount(row, minlength=len(ids)).astype(np.float64)
        norm = k1 * (1 - b + b * len(row) / searcher.avglen)
        mass += tf * (k1 + 1) / (tf + norm) / rank  # (0 where a text lacks the word)
    terms = list(ids)
    best = np.argsort(-mass, kind="stable")[:3 * n_terms].tolist()  # ties: the first seen first
    return {terms[i]: float(mass[i]) for i in best}, [terms[i] for i in best]


def feedback_from(weights: dict[str, float], mass, candidates: list[str], searcher, n_terms: int,
                  beta: float) -> dict[str, float]:
    """feedback's last step, from feedback_candidates'."""
    if candidates:
        dfs = searcher.dfs(candidates)
        idfs = np.log1p((searcher.n - dfs + 0.5) / (dfs + 0.5))
    else:
        idfs = []
    scored = sorted(((mass[t] * float(i), t) for t, i in zip(candidates, idfs)), reverse=True)[:n_terms]
    if not scored or scored[0][0] <= 0:
        return weights
    top = scored[0][0]
    out = dict(weights)
    for value, term in scored:
        out[term] = out.get(term, 0.0) + beta * value / top
    return out
