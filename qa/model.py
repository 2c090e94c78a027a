"""The values the core hands out: passages, results and answers.

They carry exactly the fields of the JSON contract (see README, "Scripting"),
so `Answer.to_dict()` is what `qa ask --json` prints.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


def cite(source: str, line_start: int, line_end: int, section: str | None = None, page: int | None = None) -> str:
    """``path:40-44``, ``guide.md:40-44 (Install > Linux)``, ``report.pdf p. 12``, ``page.html (Heading)``."""
    if page is not None:
        return f"{source} p. {page}"
    if line_start > 0:
        where = f"{source}:{line_start}" if line_start == line_end else f"{source}:{line_start}-{line_end}"
    else:  # an HTML passage whose source lines could not be told honestly: its heading only
        where = source
    return f"{where} ({section})" if section else where


@dataclass(frozen=True)
class Citation:
    """A place in a source file: path relative to the corpus root and 1-based lines; for Markdown and
    HTML also the heading path (``section``), for PDF the page (``page``, when set, is what is cited)."""

    source: str
    line_start: int
    line_end: int
    section: str | None = None
    page: int | None = None

    def __str__(self) -> str:
        return cite(self.source, self.line_start, self.line_end, self.section, self.page)


@dataclass
class AnswerLine:
    """The sentence that best answers the question, quoted from a passage."""

    text: str
    source: str
    line_start: int
    line_end: int
    section: str | None = None
    page: int | None = None

    @property
    def citation(self) -> Citation:
        return Citation(self.source, self.line_start, self.line_end, self.section, self.page)


@dataclass
class Result:
    """One ranked passage.

    `text` is the passage exactly as in the file: the characters
    `char_start:char_end` of the decoded file, which lie on lines
    `line_start..line_end`. For HTML and PDF it is the extracted text
    (`char_*` count in it); an HTML passage's lines are those of the HTML
    source (0 when they cannot be told), a PDF passage's those of the
    extracted text, and `page` its page.
    """

    rank: int
    score: float
    source: str
    line_start: int
    line_end: int
    text: str
    char_start: int
    char_end: int
    passage_id: int
    also_in: list[Citation] = field(default_factory=list)
    section: str | None = None  # heading path (Markdown, HTML), "Install > Linux"
    page: int | None = None  # PDF page, 1-based
    lexical_score: float | None = None  # the lexical ranker's score (None: not known)
    semantic_score: float | None = None  # cosine with the question (None: the semantic stage did not run)

    @property
    def citation(self) -> Citation:
        return Citation(self.source, self.line_start, self.line_end, self.section, self.page)

    def to_dict(self) -> dict:
        d = _place_dict(self)
        if d["lexical_score"] is None:
            d["lexical_score"] = self.score
        d["also_in"] = [_place_dict(c) for c in self.also_in]
        return d


@dataclass
class Answer:
    """What one question gets: the answer line (None when nothing is relevant) and the top k."""

    question: str
    answer: AnswerLine | None
    results: list[Result]
    query: str = ""
    terms: list[str] = field(default_factory=list)  # the question's words as indexed (highlighted when shown)
    mode: str = "lexical"  # "semantic" when the semantic stage ranked the question, even when it found nothing
    # (a question without a word to search, "the of and", is ranked by nothing: "lexical")

    @property
    def answered(self) -> bool:
        return self.answer is not None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": _place_dict(self.answer) if self.answer else None,
            "results": [r.to_dict() for r in self.results],
            "query": self.query,
            "mode": self.mode,
        }


def _place_dict(value) -> dict:
    """A result, answer line or "also in" place as JSON: ``section`` and ``page`` only when they have
    a value, so what a plain-text file gives keeps exactly the keys it always had."""
    d = asdict(value)
    for key in ("section", "page"):
        if d.get(key) is None:
            d.pop(key, None)
    return d
