"""Markdown: headings, lists, fenced code and tables as blocks; passages under one heading each.

The quoted text is the file's own lines (line citations); what is indexed is that text without markup
(heading marks, emphasis, table pipes, link targets, HTML tags) plus the passage's heading path, so
the words of "Install > Linux" weigh in for every passage of that section.
"""
from __future__ import annotations

import re

from .. import corpus, prose
from ..corpus import Params
from . import Piece
from .sections import Block, passages as section_passages, path_text

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def blocks(text: str) -> list[Block]:
    """The blocks of a Markdown text: headings, paragraphs and lists, fenced code, tables."""
    lines = corpus.split_lines(text)
    out: list[Block] = []
    stack: list[tuple[int, str]] = []  # (level, title) of the open headings
    section = 0
    current: list = []  # lines of the paragraph being read

    def path() -> tuple[str, ...]:
        return tuple(title for _, title in stack)

    def flush() -> None:
        if current:
            out.append(Block(list(current), path(), section))
            current.clear()

    def heading(level: int, title: str, heading_lines: list) -> None:
        nonlocal section
        flush()
        while stack and stack[-1][0] >= level:
            stack.pop()
        title = clean(prose.strip_attributes(title)).strip() or "#"
        stack.append((level, " ".join(title.split())))
        section += 1
        out.append(Block(heading_lines, path(), section, heading=True))

    i = 0
    if lines and lines[0].text == "---":  # YAML front matter: not text, not quoted
        end = next((k for k in range(1, len(lines)) if lines[k].text in ("---", "...")), None)
        if end is not None:
            i = end + 1
    while i < len(lines):
        ln = lines[i]
        raw = text[lines[i].start - _indent(text, ln):ln.end] if ln.text else ""
        if not ln.text:
            flush()
            i += 1
            continue
        fence = _FENCE.match(raw)
        if fence:
            flush()
            mark = fence.group(1)
            j = i + 1
            while j < len(lines) and not (lines[j].text.startswith(mark[0] * len(mark))
                                          and not lines[j].text.strip(mark[0]).strip()):
                j += 1
            body = [x for x in lines[i:j + 1] if x.text]
            out.append(Block(body, path(), section))
            i = j + 1
            continue
        atx = _ATX.match(raw)
        if atx:
            heading(len(atx.group(1)), atx.group(2) or "", [ln])
            i += 1
            continue
        if (current and _SETEXT.match(raw) and not _is_list(current[0].text)
                and not (raw.strip().startswith("-") and len(current) > 1)):
            title = " ".join(x.text for x in current)
            heading_lines = list(current) + [ln]
            current.clear()
            heading(1 if raw.strip()[0] == "=" else 2, title, heading_lines)
            i += 1
            continue
        if _BREAK.match(raw):
            flush()
            i += 1
            continue
        if "|" in ln.text and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].text) and "-" in lines[i + 1].text:
            flush()
            j = i
            while j < len(lines) and lines[j].text and "|" in lines[j].text:
                j += 1
            out.append(Block(lines[i:j], path(), section))
            i = j
            continue
        current.append(ln)
        i += 1
    flush()
    return out


def _indent(text: str, ln) -> int:
    """Spaces before a line's first character (kept: four of them are not a heading)."""
    k = ln.start
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    return ln.start - k


def _is_list(line: str) -> bool:
    return bool(re.match(r"^([-*+]|\d{1,9}[.)])(\s|$)", line))


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"!?\[([^\]]*)\]\[[^\]]*\]")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.M)
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>|\b(?:https?|ftp)://\S+")
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>", re.S)
_LINE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)*(?:#{1,6}[ \t]+|[-*+][ \t]+(?:\[[ xX]\][ \t]+)?|\d{1,9}[.)][ \t]+)?", re.M)
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$", re.M)
_RULES = re.compile(r"^[ \t]*(?:(?:`{3,}|~{3,}).*|=+|-+|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?)[ \t]*$", re.M)
_ADMONITION = re.compile(r"^[ \t]*(?:/{3,}|!{3}|\?{3}\+?)[ \t]*(?:[a-z-]+\b)?", re.M)
_ATTRIBUTES = re.compile(r"\{[ \t]*[#.:][^{}\n]*\}")
_EMPHASIS = re.compile(r"\*\*|__|~~|(?<!\w)[*_]+|[*_]+(?!\w)|`+")


def clean(text: str) -> str:
    """Markdown text without its markup: what is indexed (words, not '**', '#', '|' or link targets)."""
    text = _TAG.sub(" ", text)
    text = _ATTRIBUTES.sub(" ", text)
    text = _ADMONITION.sub("", text)
    text = _REF_DEF.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(" ", text)
    text = _RULES.sub("", text)
    text = _CLOSING_HASHES.sub("", text)
    text = _LINE_MARKS.sub("", text)
    text = _EMPHASIS.sub("", text)
    return text.replace("|", " ").replace("\\", "")


def passages(text: str, params: Params = Params()) -> list[Piece]:
    """The passages of a Markdown text, each with its heading path and the markup-free text to index."""
    pieces = []
    for span, path in section_passages(text, blocks(text), params):
        body = clean(text[span.char_start:span.char_end])
        heading = " ".join(path)
        pieces.append(Piece(span, f"{heading}\n{body}" if heading else body, path_text(path)))
    return pieces
