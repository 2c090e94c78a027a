"""Whether a span of a passage is quotable prose: not a heading, a fence, an admonition marker, a directive,
markup, a bare link or an attribute list; and whether it reads as code."""
from __future__ import annotations

import re

_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|/{3,}|!{3}|\?{3}\+?)")  # code fences, admonitions (///, !!!, ???)
_ATTRIBUTES = re.compile(r"\{[ \t]*[#.:][^{}\n]*\}")  # mkdocs attribute lists: { #id .class }
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>", re.S)
_RULE = re.compile(r"^[ \t]*(?:=+|-+|\*{3,}|_{3,}|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?)[ \t]*$")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*(?:\r\n|\r|\n)?$")
# mkdocs/pymdown/Sphinx-style directives: "::: pkg.Class", ":members: a b", '=== "Tab"', '--8<-- "file"',
# "{* file.py *}", "{!> file.py !}", "{% include %}", "[ref]: https://..." (a link reference definition)
_DIRECTIVE = re.compile(r"^[ \t]*(?::::[ \t]|:[A-Za-z_-]+:(?:[ \t]|$)|===[ \t]+[\"']|-{2}8<-{2}|\{[*!%{]"
                        r"|\[[^\]^][^\]]*\]:[ \t]*\S)")
_LINK = re.compile(r"!?\[[^\[\]\n]*\]\([^()\n]*\)")
_OPENING_TAG = re.compile(r"^[ \t]*</?[A-Za-z][\w-]*(?:[\s/>]|$)")  # a line of a raw HTML block
_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\([^()\n]*\)")  # ![alt](target): a picture, not words to quote
_LINK_TARGET = re.compile(r"\]\([^()\n]*\)")
_PROMPT = re.compile(r"^[ \t]*(?:>>>|\.\.\.(?:[ \t]|$)|\$[ \t]|#include\b)")
_CODE_END = re.compile(r"[;{}]$|^[}\])]")
_ASSIGNMENT = re.compile(r"^[\w.]+(?:\[[^\]]*\])?[ \t]*[-+*/|&]?=[^=]")  # x = ..., obj.attr += ...
_KEYWORD_ARGUMENT = re.compile(r"\w\([^()]*\b\w+=[^=]")  # Client(proxy=...): a call, never a sentence
# a Python block opener (lower case, holding a call or an assignment), an import
_BLOCK_OPENER = re.compile(r"^(?:async[ \t]+)?(?:with|for|while|if|elif|def|class)\b.*[(=].*:$"
                           r"|^from[ \t]+[\w.]+[ \t]+import\b|^import[ \t]+[\w.]+$")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_CODE_CHARS = re.compile(r"[^\w\s'’\".,!?:\-–—()`]")  # characters prose rarely holds: = ; { } < > [ ] / | & * ...


def is_prose(span: str) -> bool:
    """True when ``span`` reads as a sentence a user would be shown, not a heading or bare markup."""
    first = span.lstrip("\r\n").split("\n", 1)[0]
    if _HEADING.match(first) or _FENCE.match(first) or _RULE.match(first) or _OPENING_TAG.match(first) \
            or _DIRECTIVE.match(first) or not _WORD.search(_LINK.sub(" ", _TAG.sub(" ", span))):
        return False
    words = _LINK_TARGET.sub("]", _IMAGE.sub(" ", _TAG.sub(" ", _ATTRIBUTES.sub(" ", span))))
    return bool(_WORD.search(words)) and len(_TAG.findall(span)) * 2 <= len(_WORD.findall(words)) + 1


def looks_like_code(span: str) -> bool:
    """True when most lines of ``span`` read as code or a terminal session rather than sentences
    (``use std::thread;``, ``app = Flask(__name__)``, ``>>> r = httpx.get(url)``)."""
    lines = [line.strip() for line in span.splitlines() if line.strip()]
    return bool(lines) and sum(map(_code_line, lines)) * 2 > len(lines)


def _code_line(line: str) -> bool:
    if _PROMPT.match(line) or _CODE_END.search(line) or _ASSIGNMENT.match(line):
        return True
    line = _CODE_SPAN.sub("code", line)  # `inline code` inside a sentence is one of its words
    if _KEYWORD_ARGUMENT.search(line) or _BLOCK_OPENER.match(line):
        return True
    words = _WORD.findall(line)
    return len(words) < 3 or len(_CODE_CHARS.findall(line)) * 8 > len(line) or (
        "(" in line and line.rstrip().endswith(")") and len(words) < 6)


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
    # a line over a line of = or - is a Markdown (setext) heading: context, like "# Heading", never quoted
    heading = {i for i in range(len(lines) - 1) if _SETEXT_UNDERLINE.match(lines[i + 1]) and lines[i].strip()}
    while first < last and (first in heading or not is_prose(lines[first])):
        first += 1
    while last > first and (last - 1 in heading or not is_prose(lines[last - 1])):
        last -= 1
    if first == last:
        return None
    s, e = offsets[first], offsets[last]
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if is_prose(text[s:e]) else None
