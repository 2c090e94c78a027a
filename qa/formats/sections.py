"""Blocks under headings -> passages that never cross a heading (Markdown and HTML alike).

A short block joins the next one of its section, as a short paragraph does in plain text; a long run is
split at line, then sentence, boundaries (``corpus.split_long``). A heading opens the first passage
of its section; a section holding nothing but its heading makes no passage (its words are in the
heading path of the sections under it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import corpus
from ..corpus import Line, Params, Span


@dataclass
class Block:
    lines: list[Line]  # non-blank units of the document's text
    path: tuple[str, ...]  # the headings it stands under, outermost first
    section: int  # serial number of the heading occurrence it stands under
    heading: bool = False  # the heading itself
    code: bool = False  # a code block (a Markdown fence, an HTML <pre>)


# How a passage's code counts in its indexed text (benchmarks/docs.py --code-terms compares them):
# "prose" its words as any other, "once" each distinct word of it once, "none" left out (a passage of
# nothing but code and its heading keeps its words once, so that it can still be found).
CODE_TERMS = "prose"
PROSE_WORDS = 8  # fewer words of prose than this (a heading line) and a passage is "nothing but code"


def code_ranges(blocks: list[Block]) -> list[tuple[int, int]]:
    """(char start, char end) of each code block, in text order."""
    return [(b.lines[0].start, b.lines[-1].end) for b in blocks if b.code and b.lines]


def indexed_body(text: str, start: int, end: int, codes: list[tuple[int, int]], clean) -> str:
    """The words of ``text[start:end]`` to index: ``clean`` of its prose, its code as CODE_TERMS says."""
    if CODE_TERMS == "prose" or not codes:
        return clean(text[start:end])
    prose, code, pos = [], [], start
    for a, b in codes:
        if b <= start or a >= end:
            continue
        prose.append(text[pos:max(a, pos)])
        code.append(text[max(a, start):min(b, end)])
        pos = min(b, end)
    prose.append(text[pos:end])
    body = clean("\n".join(prose))
    if not code or (CODE_TERMS == "none" and len(re.findall(r"\w+", body)) >= PROSE_WORDS):
        return body
    distinct = dict.fromkeys(re.findall(r"\w+", " ".join(clean(c) for c in code)))
    return body + "\n" + " ".join(distinct)


def _words(lines: list[Line]) -> int:
    return sum(corpus.n_words(ln.text) for ln in lines)


def passages(text: str, blocks: list[Block], params: Params) -> list[tuple[Span, tuple[str, ...]]]:
    """(span, heading path) of each passage of ``blocks``, in order."""
    out: list[tuple[Span, tuple[str, ...]]] = []
    i = 0
    while i < len(blocks):
        j = i
        while j < len(blocks) and blocks[j].section == blocks[i].section:
            j += 1
        section = blocks[i:j]
        i = j
        if all(b.heading for b in section):
            continue
        path = section[-1].path
        groups: list[list[Line]] = []
        carry: list[Line] = []
        for block in section:
            carry = carry + block.lines
            if block.heading:
                continue
            if _words(carry) >= params.min_words:
                groups.append(carry)
                carry = []
        if carry:
            if groups:
                groups[-1].extend(carry)
            else:
                groups.append(carry)
        for lines in groups:
            out.extend((span, path) for span in corpus.split_long(text, lines, params.max_words))
    return out


def path_text(path: tuple[str, ...]) -> str | None:
    return " > ".join(path) if path else None
