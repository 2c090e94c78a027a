"""The compose stage: ranked passages -> an answer, near-duplicates folded into "also in", the answer line, the no-answer call.

The no-answer call asks how much of the question the best passage covers:
the share of the question's idf mass (each word counted once, by its best
spelling) that the passage holds. A question whose rarest words the corpus
never mentions ("the population of Kherson") covers little and gets no
answer; the threshold is calibrated on the dev questions and tested.
"""
from __future__ import annotations

import re

from . import analysis, corpus, prose
from .model import Answer, AnswerLine, Citation, Result
from .pipeline import Candidate, Question

# Below this share of the question's weight, nothing is relevant. The middle of the plateau (0.45-0.55)
# where the dev questions' unanswerable ones get no answer and those answered on top keep theirs
# (benchmarks/calibrate.py prints the whole curve).
ANSWER_COVERAGE = 0.5
SHINGLE = 4  # words per shingle
NEAR_DUPLICATE = 0.6  # share of the smaller passage's 4-word shingles found in the other that makes them one fact
# ... unless the new one says something the other does not: NEW_WORDS words in a row that the other lacks (a
# sentence of its own, not an edited word: one changed word changes only 4 shingles in a row)
NEW_WORDS = 11


def coverage(concepts, text: str) -> float:
    """Share of the concepts' idf mass that ``text`` holds (any of a concept's stems counts)."""
    total = sum(c.idf for c in concepts)
    if total <= 0:
        return 0.0
    present = set(analysis.tokenize(text))
    return sum(c.idf for c in concepts if any(s in present for s in c.stems)) / total


def shingles(text: str) -> list[int]:
    """The hashes of ``text``'s word 4-grams in order (one of its words, when fewer)."""
    ws = analysis.words(text)
    if len(ws) < SHINGLE:
        return [hash(tuple(ws))]
    return [hash(g) for g in zip(*(ws[i:] for i in range(SHINGLE)))]


def _longest_run_outside(sequence: list[int], other: set[int]) -> int:
    """The most consecutive shingles of ``sequence`` that ``other`` lacks."""
    longest = run = 0
    for h in sequence:
        run = run + 1 if h not in other else 0
        longest = max(longest, run)
    return longest


class KeptShingles:
    """The shingles of the passages kept so far, indexed by shingle: the first kept passage that a new
    one near-duplicates (a large share of the smaller one's shingles stand in the other, and the new one
    holds no run of words the other lacks) is found from the shingles they share, without intersecting the
    new one's set with every kept one's."""

    def __init__(self) -> None:
        self.sets: list[set[int]] = []
        self.holders: dict[int, list[int]] = {}

    def first_near_duplicate(self, sequence: list[int]) -> int | None:
        sh = set(sequence)
        if not sh or not self.sets:
            return None
        shared: dict[int, int] = {}
        holders = self.holders
        for h in sh:
            for i in holders.get(h, ()):
                shared[i] = shared.get(i, 0) + 1
        for i in sorted(shared):
            if (shared[i] / min(len(sh), len(self.sets[i])) >= NEAR_DUPLICATE
                    and _longest_run_outside(sequence, self.sets[i]) < NEW_WORDS - SHINGLE + 1):
                return i
        return None

    def append(self, sequence: list[int]) -> None:
        i = len(self.sets)
        sh = set(sequence)
        self.sets.append(sh)
        for h in sh:
            self.holders.setdefault(h, []).append(i)


# a blank line ("\r\n" is one line end, not two), a Markdown heading or a list item starting a line
_BLOCK_BREAK = re.compile(r"(?:\r\n|\r(?!\n)|\n)(?:[ \t]*(?:\r\n|\r(?!\n)|\n))+|(?<=[\r\n])(?=#{1,6} )"
                          r"|(?<=[\r\n])(?=[ \t]*(?:[-*+•]|\d{1,9}[.)])[ \t])")
_HEADING_LINE = re.compile(r"#{1,6} [^\r\n]*(?:\r\n|\r|\n)")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage; a blank line, a Markdown heading line or a list item also ends one."""
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
    out = [row for span in out for row in _table_rows(text, *span) for row in _records(text, *row)]
    return [(s, e) for s, e in out if text[s:e].strip()] or [(0, len(text))]


_LINE = re.compile(r"[^\r\n]+")
_TABLE_ROW = re.compile(r"[ \t]*\|[^\r\n]*")
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")


def _lines_of_span(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-empty lines of ``text[start:end]``, as (start, end) within that span."""
    return [(m.start(), m.end()) for m in _LINE.finditer(text[start:end])]


def _table_rows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A Markdown table's rows, each a span of its own (its delimiter row none): a row is what answers, not the
    table; any other span as it is."""
    rows = _lines_of_span(text, start, end)
    if len(rows) < 2 or not all(_TABLE_ROW.fullmatch(text, start + s, start + e) for s, e in rows):
        return [(start, end)]
    return [(start + s, start + e) for s, e in rows if not _TABLE_RULE.fullmatch(text, start + s, start + e)]


RECORD_LINES, RECORD_WORDS = 4, 50  # a "sentence" this many lines and words long is lines of records


def _records(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The lines of a span no sentence end splits that runs over RECORD_LINES lines and RECORD_WORDS words (a
    log, a phone list: no sentence is that long), each a span of its own; any other span as it is."""
    if end - start < 200 or text.count("\n", start, end) + text.count("\r", start, end) < RECORD_LINES - 1:
        return [(start, end)]
    lines = _lines_of_span(text, start, end)
    if len(lines) < RECORD_LINES or len(text[start:end].split()) <= RECORD_WORDS:
        return [(start, end)]
    return [(start + s, start + e) for s, e in lines if text[start + s:start + e].strip()]


def candidate_spans(text: str) -> tuple[list[tuple[int, int]], bool]:
    """The spans of ``text`` an answer line may quote, and whether they are sentences: its prose
    sentences when it has any, else its quotable lines (code), else every span."""
    spans = sentences(text)
    quotable = [t for sp in spans if (t := prose.trim(text, *sp))]
    prose_only = [t for t in quotable if not prose.looks_like_code(text[t[0]:t[1]])]
    return (prose_only, True) if prose_only else (quotable or spans, False)


CLOSENESS_TIES = 4  # at most this many equally good sentences embedded to break a tie (the cost stays bounded)


_LEAD_IN = re.compile(r"(?::|\.\.\.|…)[\s*_`]*\Z")  # a sentence that ends announcing what follows
ECHO_WORDS = 3  # a sentence of at least this many words, all of them the question's, only repeats it


def _echoes(sentence: str, asked: set[str]) -> bool:
    """Whether ``sentence`` says nothing the question did not (a pasted error message found again in the docs)."""
    tokens = [t for t in analysis.tokenize(sentence) if t not in analysis.STOP_WORDS]
    return len(tokens) >= ECHO_WORDS and all(t in asked for t in tokens)


def _holds_some(sentence: str, concepts) -> bool:
    present = set(analysis.tokenize(sentence))
    return any(s in present for c in concepts for s in c.stems)


def best_sentence(text: str, concepts, weights: dict[str, float], closeness=None, states=None) -> tuple[int, int]:
    """(start, end) within ``text`` of the sentence that holds the most of the question: a prose sentence when the
    passage has one, code (a listing's line) only when it has nothing else; among sentences that hold equally
    much, the closest in meaning when ``closeness(texts)`` gives scores, else the first. ``states(sentence)``:
    when some sentences state what the question asks for (a quantity), the line is one of them."""
    best, best_score = (0, len(text)), -1.0
    scored = []
    spans = candidate_spans(text)[0]
    stating = [sp for sp in spans if states is not None and states(text[sp[0]:sp[1]])]
    spans = stating or spans
    asked = {stem for c in concepts for stem in c.stems}
    adding = [sp for sp in spans if not _echoes(text[sp[0]:sp[1]], asked)]
    for start, end in adding if any(_holds_some(text[s:e], concepts) for s, e in adding) else spans:
        tokens = analysis.tokenize(text[start:end])
        present = set(tokens)
        score = sum(c.idf for c in concepts if any(s in present for s in c.stems))
        grams = set(analysis.ngrams(tokens))
        score += sum(0.5 * w for t, w in weights.items() if " " in t and t in grams)
        scored.append(((start, end), score))
        if score > best_score + 1e-9:
            best, best_score = (start, end), score
    tied = [span for span, score in scored if score >= best_score - 1e-9]
    stated = [(s, e) for s, e in tied if not _LEAD_IN.search(text, s, e)]
    if stated and len(stated) < len(tied):  # "...are the following:" announces what answers; it is not it
        tied = stated
        best = tied[0]
    if closeness is not None and 1 < len(tied) <= CLOSENESS_TIES:
        close = closeness([text[s:e] for s, e in tied])
        if close is not None:
            best = tied[max(range(len(tied)), key=lambda i: (close[i], -i))]
    return best


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 4)


def line_of(text: str, offset: int) -> int:
    """0-based line of ``offset`` in ``text`` (any of CRLF, CR, LF ends a line)."""
    return len(re.findall(r"\r\n|\r|\n", text[:offset]))


VERDICT_DEPTH = 3  # results a verdict may read (the semantic one reads the first three's coverage)


class Coverage:
    """The verdict: the best result answers when it covers ANSWER_COVERAGE of the question's idf mass."""

    def answerable(self, question: Question, results: list[Result]) -> bool:
        concepts = question.query.concepts + question.context
        return bool(results) and coverage(concepts, results[0].text) >= ANSWER_COVERAGE

    def closeness(self, question: Question, texts: list[str]) -> None:
        """No closeness in meaning on the lexical path: of equally good answer lines, the first."""
        return None

    def states(self, question: Question) -> None:
        """No kind of answer is looked for on the lexical path."""
        return None


class Compose:
    """The compose stage: the candidates' first ``k`` distinct passages and, when the verdict says so, the answer line."""

    def __init__(self, documents, verdict):
        """``documents``: a documents.Documents; ``verdict``: has ``answerable(question, results)``."""
        self.documents = documents
        self.verdict = verdict

    def compose(self, question: Question, candidates: list[Candidate]) -> Answer:
        # the verdict reads VERDICT_DEPTH results whatever k is, so that k never changes the no-answer call
        results = self.results(candidates, max(question.k, VERDICT_DEPTH))
        answered = self.verdict.answerable(question, results)
        results = results[:question.k]
        line = self.answer_line(question, results) if answered else None
        query = question.query
        return Answer(question=query.text, answer=line, results=results, query=query.text, terms=query.terms)

    def results(self, candidates: list[Candidate], k: int) -> list[Result]:
        """The first ``k`` candidates that near-duplicate no better one; a near-duplicate elsewhere is an "also in"."""
        documents = self.documents
        results: list[Result] = []
        kept = KeptShingles()
        for candidate in candidates:
            pid = candidate.pid
            source, cs, ce, ls, le = documents.searcher.passage(pid)
            text = documents.span_text(source, cs, ce)
            section, page = documents.place(pid)
            sh = shingles(text)
            dup = kept.first_near_duplicate(sh)
            if dup is not None:
                cite = Citation(source, ls, le, section, page)
                if cite not in results[dup].also_in and source != results[dup].source:
                    results[dup].also_in.append(cite)
                continue
            if len(results) == k:
                continue
            results.append(Result(rank=len(results) + 1, score=round(candidate.score, 4), source=source,
                                  line_start=ls, line_end=le, text=text, char_start=cs, char_end=ce,
                                  passage_id=pid, section=section, page=page,
                                  lexical_score=_rounded(candidate.scores.get("lexical")),
                                  semantic_score=_rounded(candidate.scores.get("semantic"))))
            kept.append(sh)
        return results

    def answer_line(self, question: Question, results: list[Result]) -> AnswerLine:
        """The sentence that holds the most of the question, with its lines, from the first result; from
        the next one of the same document that has prose and some of the question's words (within VERDICT_DEPTH)
        when the first is a bare code listing: the text around it, never another file's (a list of short lines,
        a phone list, is no listing to explain)."""
        query = question.query
        concepts = query.concepts or query.concepts + question.context
        top = results[0]
        if not candidate_spans(top.text)[1]:
            top = next((r for r in results[1:VERDICT_DEPTH] if r.source == top.source and candidate_spans(r.text)[1]
                        and coverage(concepts, r.text) > 0), top)
        def sentence_of(result: Result) -> tuple[int, int]:
            return best_sentence(result.text, concepts, query.weights,
                                 lambda texts: self.verdict.closeness(question, texts), self.verdict.states(question))

        s, e = sentence_of(top)
        asked = {stem for c in concepts for stem in c.stems}
        if _echoes(top.text[s:e], asked):  # the passage only repeats the question (a pasted error message): what
            for later in results[1:VERDICT_DEPTH]:  # answers it is further on in the same document, if anywhere
                if later.source == top.source:
                    start, end = sentence_of(later)
                    if not _echoes(later.text[start:end], asked) and _holds_some(later.text[start:end], concepts):
                        top, s, e = later, start, end
                        break
        first = top.line_start + line_of(top.text, s)
        last = top.line_start + line_of(top.text, e)
        if self.documents.is_html(top.source):
            first, last = top.line_start, top.line_end  # source lines: the sentence's own are not known
        return AnswerLine(top.text[s:e], top.source, first, last, top.section, top.page)
