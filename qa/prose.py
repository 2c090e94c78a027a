"""Whether a span of a passage is quotable prose: not a heading, a fence, an admonition marker, markup or an attribute list."""
from __future__ import annotations

import re

_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|/{3,}|!{3}|\?{3}\+?)")  # code fences, admonitions (///, !!!, ???)
_ATTRIBUTES = re.compile(r"\{[ \t]*[#.:][^{}\n]*\}")  # mkdocs attribute lists: { #id .class }
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>", re.S)
_RULE = re.compile(r"^[ \t]*(?:=+|-+|\*{3,}|_{3,}|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?)[ \t]*$")
_WORD = re.compile(r"[^\W\d_]{2,}")


def is_prose(span: str) -> bool:
    """True when ``span`` reads as a sentence a user would be shown, not a heading or bare markup."""
    first = span.lstrip("\r\n").split("\n", 1)[0]
    if _HEADING.match(first) or _FENCE.match(first) or _RULE.match(first):
        return False
    words = _TAG.sub(" ", _ATTRIBUTES.sub(" ", span))
    return bool(_WORD.search(words)) and len(_TAG.findall(span)) * 2 <= len(_WORD.findall(words)) + 1


def strip_attributes(title: str) -> str:
    """A heading title without its attribute list ("Install { #install }" -> "Install")."""
    return _ATTRIBUTES.sub("", title).strip()


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span ``text[start:end]`` without its leading and trailing markup lines ("!!! note", a fence),
    or None when no prose is left."""
    lines = text[start:end].splitlines(keepends=True)
    offsets = [start]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    first, last = 0, len(lines)
    while first < last and not is_prose(lines[first]):
        first += 1
    while last > first and not is_prose(lines[last - 1]):
        last -= 1
    if first == last:
        return None
    s, e = offsets[first], offsets[last]
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if is_prose(text[s:e]) else None
