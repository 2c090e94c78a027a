"""Answers, passages, sources and help as prompt_toolkit formatted text.

Every string that comes from a document (or a path in the corpus) goes
through `qa.render.sanitize` before it reaches a fragment, so a file cannot
send control or escape sequences to the terminal. Highlight spans are
computed on the raw text first and the text is cut at them, then each piece
is sanitized: sanitizing may change lengths, and the spans must still fit.
"""
from __future__ import annotations


from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_width

from qa.analysis import highlight_spans
from qa.model import Answer, Result
from qa.render import cite_line, mask_sequences, one_line, plural, sanitize

from . import commands
from .pager import START_HERE
from .wrap import hang

# The same line ends the core numbers lines by (qa.corpus).
from ..corpus import LINE_END as _LINE_END

NOTHING_FOUND = "Nothing in the documents answers that."
CONTEXT_LINES = 3
INDENT = "    "

KEYS = (
    ("Tab", "complete a command"),
    ("Up/Down", "walk the history; Right takes a grey suggestion"),
    ("Ctrl-R", "search the history"),
    ("Ctrl-C", "cancel the line"),
    ("Ctrl-D", "end the session"),
)

Ranges = list[tuple[int, int, str]]


def answer_fragments(answer: Answer, width: int) -> StyleAndTextTuples:
    out: StyleAndTextTuples = []
    if answer.answer is not None:
        line = answer.answer
        out += _sentence(_paint(line.text, _hits(line.text, answer.terms), "class:answer"), width)
        out += [("", "\n")] + hang([("", "  ")], [("", "  ")], [("class:citation", cite_line(line.citation))], width)
        if answer.results:
            out += [("", "\n\n")]
    else:
        out += [("class:notice", NOTHING_FOUND)]
        if answer.results:
            out += [("class:notice", " The closest matches:"), ("", "\n\n")]
    for number, result in enumerate(answer.results):
        if number:
            out += [("", "\n\n")]
        out += result_fragments(result, answer.terms, width)
    return out


def result_fragments(result: Result, terms: list[str], width: int) -> StyleAndTextTuples:
    """`[n] path:lines also in ...` then the passage, indented, its terms highlighted."""
    heading: StyleAndTextTuples = [("class:citation", cite_line(result.citation))]
    if result.also_in:
        heading += [("", " "), ("class:also-in", "also in")]
        for number, citation in enumerate(result.also_in):
            heading += [("", ", " if number else " "), ("class:citation", cite_line(citation))]
    label = f"[{result.rank}]"
    out = hang([("class:rank", label), ("", " " * (len(INDENT) - len(label)) or " ")], [("", INDENT)], heading, width)
    for line in _split_lines(_paint(result.text, _hits(result.text, terms), "class:passage")):
        out += [("", "\n")] + hang([("", INDENT)], [("", INDENT)], line, width)
    return out


def context_fragments(text: str, result: Result, terms: list[str], width: int, around: int = CONTEXT_LINES) -> StyleAndTextTuples:
    """Passage `result` in its document `text`: its lines, marked, with `around` lines either side."""
    bounds = _line_bounds(text)
    # the passage's lines in `text`, told by its characters: for HTML and PDF `text` is the extracted
    # text, whose lines are not the cited ones (HTML source lines, a PDF page)
    line_start = 1 + len(_LINE_END.findall(text, 0, result.char_start))
    line_end = line_start + len(_LINE_END.findall(text, result.char_start, result.char_end))
    first = max(1, line_start - around)
    last = min(len(bounds), line_end + around)
    # only the citation's numbers are shown: lines of an extracted text go unnumbered
    numbered = (line_start, line_end) == (result.line_start, result.line_end)
    number_width = len(str(last)) if numbered else 0
    ranges: Ranges = [(result.char_start, result.char_end, "class:passage")]
    ranges += [(result.char_start + s, result.char_start + e, "class:hit") for s, e in highlight_spans(result.text, terms)]
    header: StyleAndTextTuples = [("class:citation", cite_line(result.citation)), ("class:notice", f"  passage [{result.rank}]")]
    out = header if fragment_list_width(header) <= width else hang([], [], header, width)
    if not numbered:
        out += [("", "\n")] + hang([], [], [("class:notice", "(the text read from the file, without its line numbers)")], width)
    for number in range(first, last + 1):
        start, end = bounds[number - 1]
        inside = line_start <= number <= line_end
        bar = ("class:gutter.passage", "┃ ") if inside else ("class:gutter", "│ ")
        gutter = [("class:gutter", f"{number:>{number_width}} " if numbered else ""), bar]
        blank = [("", " " * (number_width + 1) if numbered else ""), bar]
        shifted = [(s - start, e - start, style) for s, e, style in ranges if s < end and e > start]
        line = _split_lines(_paint(text[start:end], shifted, "class:context"))[0]
        out += [("", "\n")]
        if number == line_start:
            out += [(START_HERE, "")]
        out += hang(gutter, blank, line, width)
    return out


def sources_fragments(sources: list[tuple[str, int]], width: int) -> StyleAndTextTuples:
    count_width = max((len(str(count)) for _, count in sources), default=1)
    total = sum(count for _, count in sources)
    documents = plural(len(sources), "document")
    out: StyleAndTextTuples = [("class:heading", f"{documents}, {plural(total, 'passage')}")]
    for source, count in sources:
        out += [("", "\n")] + hang([("", f"{count:>{count_width}}  ")], [("", " " * (count_width + 2))],
                                   [("class:citation", one_line(source))], width)
    return out


def help_fragments(width: int) -> StyleAndTextTuples:
    out = hang([], [], [("", "Type a question to search the documents; follow-up questions are read in context.")], width)
    out += [("", "\n\n"), ("class:heading", "Commands")]
    usage_width = max(len(spec.usage) for spec in commands.COMMANDS) + 2
    for spec in commands.COMMANDS:
        out += [("", "\n")] + hang([("", "  "), ("class:key", spec.usage.ljust(usage_width))],
                                   [("", " " * (usage_width + 2))], [("", spec.summary)], width)
    out += [("", "\n\n"), ("class:heading", "Keys")]
    key_width = max(len(key) for key, _ in KEYS) + 2
    for key, what in KEYS:
        out += [("", "\n")] + hang([("", "  "), ("class:key", key.ljust(key_width))],
                                   [("", " " * (key_width + 2))], [("", what)], width)
    return out


def _hits(text: str, terms: list[str]) -> Ranges:
    return [(s, e, "class:hit") for s, e in highlight_spans(text, terms)]


def _paint(text: str, ranges: Ranges, base: str) -> StyleAndTextTuples:
    """Cut raw `text` at the range edges; each piece gets `base` plus the styles of the ranges over it."""
    text = mask_sequences(text)  # a range cutting through an escape sequence must not leave its tail
    edges = sorted({0, len(text), *(max(0, min(len(text), x)) for s, e, _ in ranges for x in (s, e))})
    out: StyleAndTextTuples = []
    for start, end in zip(edges, edges[1:]):
        styles = [style for s, e, style in ranges if s <= start and end <= e]
        out.append((" ".join([base, *styles]), text[start:end]))
    return out


def _split_lines(fragments: StyleAndTextTuples) -> list[StyleAndTextTuples]:
    """Raw fragments -> sanitized fragments, one list per line of the file."""
    lines: list[StyleAndTextTuples] = [[]]
    for style, piece in fragments:
        for number, part in enumerate(_LINE_END.split(piece)):
            if number:
                lines.append([])
            if part:
                lines[-1].append((style, sanitize(part)))
    return lines


def _sentence(fragments: StyleAndTextTuples, width: int) -> StyleAndTextTuples:
    """A sentence that may span lines of the file, as one wrapped paragraph."""
    joined: StyleAndTextTuples = []
    for number, line in enumerate(_split_lines(fragments)):
        if number:
            joined.append(("", " "))
        joined += line
    return hang([], [], joined, width)


def _line_bounds(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for match in _LINE_END.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    if start < len(text) or not bounds:  # a file's last newline ends its last line: no empty line after it
        bounds.append((start, len(text)))
    return bounds
