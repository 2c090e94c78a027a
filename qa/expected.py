"""What kind of answer a question asks for, and whether a sentence holds one: a quantity question needs a number.

"How many ATACMS missiles has the US supplied?" is not answered by a passage about ATACMS that gives no count, however
close in meaning it is. A question whose wording asks for a quantity (how many / how much / what percentage / how
long is / how far / how old / what is the population of ...) expects an answer of that kind; the semantic verdict
answers it only when a sentence near the question's words holds one (qa/semantic/stage.py). Questions of any other
wording expect nothing in particular (None). English wording only: another language's questions expect nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import analysis

COUNT, AMOUNT, PERCENT, LENGTH, DURATION, AGE = "count", "amount", "percent", "length", "duration", "age"

_MEASURE_NOUNS = ("population|number|amount|cost|price|value|size|area|length|distance|height|weight|age|"
                  "percentage|proportion|share|rate|toll|total|budget|salary|temperature|speed|capacity")
_AUX = r"(?:has|have|had|does|do|did|will|would|can|could|should|is|are|was|were)"
_KINDS = [
    (PERCENT, re.compile(r"\b(?:what|which) (?:percentage|percent|proportion|share|fraction)\b|\bhow much of\b")),
    (COUNT, re.compile(r"\bhow many\b|\b(?:what|which) (?:is|was|are|were) the (?:total )?number of\b")),
    (AMOUNT, re.compile(r"\bhow much\b|\b(?:what|which) (?:is|was|are|were) the (?:" + _MEASURE_NOUNS + r")\b"
                        r"|\bwhat (?:amount|sum|price)\b")),
    (LENGTH, re.compile(r"\bhow (?:long|wide|deep|tall|high) (?:is|are|was|were) (?:the|a|an|its|their)\b"
                        r"|\bhow far\b")),
    (DURATION, re.compile(r"\bhow long " + _AUX + r"\b|\bfor how long\b")),
    (AGE, re.compile(r"\bhow old\b")),
]

_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 "hundreds?|thousands?|millions?|billions?|trillions?|dozens?|scores of|a few|several|half|"
                 "a third|a quarter")
_NUMBER = r"(?:\d[\d,.]*\d|\d|(?:" + _NUMBER_WORDS + r"))"
_TIME_UNITS = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|decades?|centur(?:y|ies)|ms|s)"
_LENGTH_UNITS = (r"(?:km|kilomet(?:re|er)s?|miles?|met(?:re|er)s?|m|cm|mm|ft|feet|foot|inch(?:es)?|yards?|"
                 r"nautical miles?|light[- ]years?)")
_HOLDS = {
    COUNT: re.compile(r"\b" + _NUMBER + r"\b", re.I),
    AMOUNT: re.compile(r"(?:[$€£¥₴₽]\s?\d|\b" + _NUMBER + r"\b)", re.I),
    PERCENT: re.compile(r"\d\s?%|\b" + _NUMBER + r"\s+(?:per ?cent|percent|percentage points?)\b"
                        r"|\b(?:half|a third|a quarter|two[- ]thirds|three[- ]quarters|majority|minority)\b", re.I),
    LENGTH: re.compile(r"\b" + _NUMBER + r"[\s-]?" + _LENGTH_UNITS + r"\b", re.I),
    DURATION: re.compile(r"\b" + _NUMBER + r"(?:st|nd|rd|th)?[\s-]?" + _TIME_UNITS + r"\b|\bsince\b|\buntil\b"
                         r"|\b" + _NUMBER + r"[\s-](?:year|month|week|day)[\s-]old\b", re.I),
    AGE: re.compile(r"\b" + _NUMBER + r"[\s-](?:years?[\s-]old|years? of age)\b|\baged?\s+\d", re.I),
}
_YEAR = re.compile(r"^(?:1[5-9]|20)\d\d$")


_COUNTED = re.compile(r"\bhow many ((?:[\w'-]+ ){0,4}?)(?=" + _AUX + r"\b|of\b|in\b|on\b|at\b|for\b|from\b|to\b|"
                      r"did\b|do\b|does\b|were\b|[?,.;:]|$)")
_COUNT_NEAR = 3  # a count counts the asked thing when that thing's word is at most this many words after the number


@dataclass(frozen=True)
class Expected:
    """The kind of answer a question asks for; for a count, the stems of the words naming the thing counted (those
    between "how many" and the verb: "ATACMS missiles": atacm, missil; no part of speech is known, so any counts)."""

    kind: str
    counted: tuple[str, ...] = ()


def expected(question: str) -> Expected | None:
    """What ``question``'s wording asks for (a kind of quantity), None when it asks for no quantity."""
    text = " ".join(question.lower().split())
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return Expected(kind, _counted(text) if kind == COUNT else ())
    return None


def _counted(text: str) -> tuple[str, ...]:
    m = _COUNTED.search(text + " ")
    return tuple(analysis.tokenize(m.group(1))) if m else ()


def holds(expected_: Expected, sentence: str) -> bool:
    """Whether ``sentence`` states an answer of the expected kind: a count (of the thing counted, when the question
    names it), an amount, a share, a length, a time, an age. A bare year ("in 2022") is a date, not a number."""
    for m in _HOLDS[expected_.kind].finditer(sentence):
        if expected_.kind in (COUNT, AMOUNT) and _YEAR.match(m.group(0)):
            continue
        if expected_.kind == COUNT and expected_.counted:
            after = analysis.tokenize(" ".join(sentence[m.end():].split()[:_COUNT_NEAR]))
            if not set(expected_.counted) & set(after):
                continue
        return True
    return False
