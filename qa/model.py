"""The values the core hands out: passages, results and answers.

They carry exactly the fields of the JSON contract (see README, "Scripting"),
so `Answer.to_dict()` is what `qa ask --json` prints.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Citation:
    """A place in a source file: path relative to the corpus root and 1-based lines."""

    source: str
    line_start: int
    line_end: int

    def __str__(self) -> str:
        if self.line_start == self.line_end:
            return f"{self.source}:{self.line_start}"
        return f"{self.source}:{self.line_start}-{self.line_end}"


@dataclass
class AnswerLine:
    """The sentence that best answers the question, quoted from a passage."""

    text: str
    source: str
    line_start: int
    line_end: int

    @property
    def citation(self) -> Citation:
        return Citation(self.source, self.line_start, self.line_end)


@dataclass
class Result:
    """One ranked passage.

    `text` is the passage exactly as in the file: the characters
    `char_start:char_end` of the decoded file, which lie on lines
    `line_start..line_end`.
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

    @property
    def citation(self) -> Citation:
        return Citation(self.source, self.line_start, self.line_end)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["also_in"] = [asdict(c) for c in self.also_in]
        return d


@dataclass
class Answer:
    """What one question gets: the answer line (None when nothing is relevant) and the top k."""

    question: str
    answer: AnswerLine | None
    results: list[Result]
    query: str = ""
    terms: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.answer is not None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": asdict(self.answer) if self.answer else None,
            "results": [r.to_dict() for r in self.results],
            "query": self.query,
        }
