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
KINDS = (COUNT, AMOUNT, PERCENT, LENGTH, DURATION, AGE)

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

_NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand
thousands million millions billion billions trillion trillions dozen dozens several few""".split())
_SHARE_WORDS = frozenset("half halves third thirds quarter quarters majority minority".split())
_PERCENT_WORDS = frozenset("percent pct".split())
_TIME_UNITS = frozenset("""second seconds minute minutes hour hours day days night nights week weeks month months year
years decade decades century centuries ms s sec secs min mins hr hrs""".split())
_LENGTH_UNITS = frozenset("""km kilometre kilometres kilometer kilometers mile miles metre metres meter meters m cm mm
ft feet foot inch inches yard yards""".split())
_CURRENCY = frozenset("$€£¥₴₽")
_ORDINAL = frozenset("st nd rd th".split())
_TOKEN = re.compile(r"\d+(?:[,.]\d+)*|[^\W\d_]+|\S")  # a number, a word or one other character: each read once
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d")
_COUNT_NEAR = 3  # a count counts the asked thing when that thing's word is at most this many words after the number


_COUNTED = re.compile(r"\bhow many ((?:[\w'-]+ ){0,4}?)(?=" + _AUX + r"\b|of\b|in\b|on\b|at\b|for\b|from\b|to\b|"
                      r"did\b|do\b|does\b|were\b|[?,.;:]|$)")


@dataclass(frozen=True)
class Expected:
    """The kind of answer a question asks for; for a count, the stems of the words naming the thing counted (those
    between "how many" and the verb: "ATACMS missiles": atacm, missil; no part of speech is known, so any counts)."""

    kind: str
    counted: tuple[str, ...] = ()


# a question asking how to do something asks for a way, even when the thing done is counting: "How do I see how
# many references point to an Rc value?" is answered by a method, not by a number
_ASKS_HOW_TO = re.compile(r"(?:how (?:do|does|can|could|should|would|to)|(?:can|could) (?:i|you|we|one)"
                          r"|what(?:'s| is) the (?:best |right )?way)\b")


def expected(question: str) -> Expected | None:
    """What ``question``'s wording asks for (a kind of quantity), None when it asks for no quantity."""
    text = " ".join(question.lower().split())
    how_to = _ASKS_HOW_TO.match(text)
    for kind, pattern in _KINDS:
        found = pattern.search(text)
        if found and not (how_to and found.start() > 0):
            return Expected(kind, _counted(text) if kind == COUNT else ())
    return None


def _counted(text: str) -> tuple[str, ...]:
    m = _COUNTED.search(text + " ")
    return tuple(analysis.tokenize(m.group(1))) if m else ()


def holds(expected_: Expected, sentence: str) -> bool:
    """Whether ``sentence`` states an answer of the expected kind: a count (of the thing counted, when the question
    names it), an amount, a share, a length, a time, an age. A bare year ("in 2022") is a date, not a number.
    One pass over the sentence's tokens (linear in its length, whatever it holds)."""
    tokens = [t.lower() for t in _TOKEN.findall(sentence)]
    kind = expected_.kind
    if kind == DURATION and ("since" in tokens or "until" in tokens):
        return True
    if kind == PERCENT and (_SHARE_WORDS & set(tokens)):
        return True
    counted = set(expected_.counted)
    for i, token in enumerate(tokens):
        digits = token[0].isdigit()
        if not (digits or token in _NUMBER_WORDS):
            continue
        before = tokens[i - 1] if i else ""
        if digits and _YEAR.fullmatch(token) and kind in (COUNT, AMOUNT) and before not in _CURRENCY:
            continue
        after = [t for t in tokens[i + 1:i + 2 + 2 * _COUNT_NEAR] if t != "-"]
        if digits and after and after[0] in _ORDINAL:
            after = after[1:]
        if _states(kind, after, before, counted):
            return True
    return False


def _states(kind: str, after: list[str], before: str, counted: set[str]) -> bool:
    """Whether a number, with the tokens ``after`` it and the one ``before`` it, is an answer of ``kind``."""
    nxt = after[0] if after else ""
    if kind == COUNT:
        return not counted or bool(counted & set(analysis.tokenize(" ".join(after[:_COUNT_NEAR]))))
    if kind == AMOUNT:
        return True
    if kind == PERCENT:
        return nxt == "%" or nxt in _PERCENT_WORDS or after[:2] == ["per", "cent"]
    if kind == LENGTH:
        return nxt in _LENGTH_UNITS
    if kind == DURATION:
        return nxt in _TIME_UNITS
    return kind == AGE and (nxt in ("year", "years") and after[1:2] in (["old"], ["of"]) or before in ("aged", "age"))
