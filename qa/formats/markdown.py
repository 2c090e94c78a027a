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
from .sections import Block, code_ranges, indexed_body, passages as section_passages, path_text

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")  # the closing #s are cut by atx_title: one pass
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


class _Sections:
    """The blocks read so far and the headings open above the next one."""

    def __init__(self) -> None:
        self.out: list[Block] = []
        self.stack: list[tuple[int, str]] = []  # (level, title) of the open headings
        self.section = 0
        self.current: list = []  # lines of the paragraph being read

    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self.stack)

    def add(self, lines: list, code: bool = False) -> None:
        self.out.append(Block(lines, self.path(), self.section, code=code))

    def flush(self) -> None:
        if self.current:
            self.add(list(self.current))
            self.current.clear()

    def heading(self, level: int, title: str, heading_lines: list) -> None:
        self.flush()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        title = clean(prose.strip_attributes(title)).strip() or "#"
        self.stack.append((level, " ".join(title.split())))
        self.section += 1
        self.out.append(Block(heading_lines, self.path(), self.section, heading=True))


def _after_front_matter(lines: list) -> int:
    """Where the text starts: after YAML front matter (not text, not quoted), if any."""
    if lines and lines[0].text == "---":
        end = next((k for k in range(1, len(lines)) if lines[k].text in ("---", "...")), None)
        if end is not None:
            return end + 1
    return 0


def _fence_end(lines: list, i: int, mark: str) -> int:
    """The line that closes the fence opened at line ``i`` by ``mark`` (len(lines) when none does)."""
    j = i + 1
    while j < len(lines) and not (lines[j].text.startswith(mark[0] * len(mark))
                                  and not lines[j].text.strip(mark[0]).strip()):
        j += 1
    return j


def _table_end(lines: list, i: int) -> int:
    j = i
    while j < len(lines) and lines[j].text and "|" in lines[j].text:
        j += 1
    return j


def _is_setext(raw: str, current: list) -> bool:
    return bool(current and _SETEXT.match(raw) and not _is_list(current[0].text)
                and not (raw.strip().startswith("-") and len(current) > 1))


def blocks(text: str) -> list[Block]:
    """The blocks of a Markdown text: headings, paragraphs and lists, fenced code, tables."""
    lines = corpus.split_lines(text)
    read = _Sections()
    i = _after_front_matter(lines)
    while i < len(lines):
        ln = lines[i]
        raw = text[lines[i].start - _indent(text, ln):ln.end] if ln.text else ""
        fence = _FENCE.match(raw) if ln.text else None
        atx = _ATX.match(raw) if ln.text and not fence else None
        if not ln.text or _BREAK.match(raw) and not fence and not atx and not _is_setext(raw, read.current):
            read.flush()
        elif fence:
            read.flush()
            j = _fence_end(lines, i, fence.group(1))
            read.add([x for x in lines[i:j + 1] if x.text], code=True)
            i = j
        elif atx:
            read.heading(len(atx.group(1)), atx_title(atx.group(2) or ""), [ln])
        elif _is_setext(raw, read.current):
            title = " ".join(x.text for x in read.current)
            heading_lines = list(read.current) + [ln]
            read.current.clear()
            read.heading(1 if raw.strip()[0] == "=" else 2, title, heading_lines)
        elif "|" in ln.text and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].text) and "-" in lines[i + 1].text:
            read.flush()
            j = _table_end(lines, i)
            read.add(lines[i:j])
            i = j - 1
        else:
            read.current.append(ln)
        i += 1
    read.flush()
    return read.out


def _indent(text: str, ln) -> int:
    """Spaces before a line's first character (kept: four of them are not a heading)."""
    k = ln.start
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    return ln.start - k


def _is_list(line: str) -> bool:
    return bool(re.match(r"^([-*+]|\d{1,9}[.)])(\s|$)", line))


# every class below stops at the next opening mark, so no match attempt rescans the rest of the text (linear time)
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\n]*\)")
_REF_LINK = re.compile(r"!?\[([^\[\]]*)\]\[[^\[\]]*\]")
_REF_DEF = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*\S+.*$", re.M)  # not a footnote: its words are text
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^<>\s]*>|\b(?:https?|ftp)://\S+")
_TAG_OR_COMMENT = re.compile(r"<!--|</?[A-Za-z][^<>]*>")
_LINE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)*(?:#{1,6}[ \t]+|[-*+][ \t]+(?:\[[ xX]\][ \t]+)?|\d{1,9}[.)][ \t]+)?", re.M)
_CLOSING_HASHES = re.compile(r"(?<![ \t])[ \t]+#+[ \t]*$", re.M)
_RULES = re.compile(r"^[ \t]*(?:(?:`{3,}|~{3,}).*|=+|-+|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?)[ \t]*$", re.M)
_ADMONITION = re.compile(r"^[ \t]*(?:/{3,}|!{3}|\?{3}\+?)[ \t]*(?:[a-z-]+\b)?", re.M)
_ATTRIBUTES = re.compile(r"\{[ \t]*[#.:][^{}\n]*\}")
# directives: include lines ("--8<-- file", "{* file *}", "{!> file !}", "{% tag %}") go; of "::: pkg.Name",
# ":members: a b" and '=== "Tab"' the names stay
_INCLUDE = re.compile(r"^[ \t]*(?:-{2}8<-{2}.*|\{[*!%{].*[*!%}]\})[ \t]*$", re.M)
_DIRECTIVE_MARK = re.compile(r"^[ \t]*(?::::|:[A-Za-z_-]+:|===)(?=[ \t]|$)", re.M)
_EMPHASIS = re.compile(r"\*\*|__|~~|(?<!\w)[*_]+|[*_]+(?!\w)|`+")


def atx_title(rest: str) -> str:
    """The title of an ATX heading from the text after its opening #s: without trailing blanks and closing #s.
    (A regex with a lazy title before an optional closing run took time quadratic in a run of spaces.)"""
    title = rest.rstrip(" \t")
    before_closing = title.rstrip("#")
    if before_closing != title and before_closing.endswith((" ", "\t")):
        return before_closing.rstrip(" \t")
    return title


def without_tags(text: str) -> str:
    """``text`` with each HTML tag and closed comment replaced by a space, as ``<!--.*?-->|</?[A-Za-z][^<>]*>``
    would, in one pass: that regex rescanned to the end from every unclosed ``<!--`` (quadratic on ``<!--`` x 50k)."""
    kept, at, pos, closer = [], 0, 0, -1  # closer: where the next "-->" is (-1: not looked for yet; None: none)
    while (found := _TAG_OR_COMMENT.search(text, pos)) is not None:
        start, stop = found.span()
        if found.group() == "<!--":
            if closer is not None and closer < start + 4:
                closer = text.find("-->", start + 4)
                closer = None if closer == -1 else closer
            if closer is None:
                pos = start + 1
                continue
            stop = closer + 3
        kept += [text[at:start], " "]
        at = pos = stop
    return "".join(kept) + text[at:] if kept else text


def clean(text: str) -> str:
    """Markdown text without its markup: what is indexed (words, not '**', '#', '|' or link targets)."""
    text = without_tags(text)
    text = _INCLUDE.sub("", text)
    text = _DIRECTIVE_MARK.sub("", text)
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
    read = blocks(text)
    codes = code_ranges(read)
    for span, path in section_passages(text, read, params):
        body = indexed_body(text, span.char_start, span.char_end, codes, clean)
        heading = " ".join(path)
        pieces.append(Piece(span, f"{heading}\n{body}" if heading else body, path_text(path)))
    return pieces
