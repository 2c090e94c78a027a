"""Word-wrapping of styled text to the terminal width.

The terminal's own wrapping cuts words, and citations, anywhere; this breaks
lines between words, keeps a word whole across style changes (a highlighted
term inside a longer word) and cuts a word only when it is wider than a line.
"""
from __future__ import annotations

import re

from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_width
from prompt_toolkit.utils import get_cwidth

_SPACES = re.compile(r"(\s+)")

Word = list[tuple[str, str]]


def wrap(fragments: StyleAndTextTuples, width: int) -> list[StyleAndTextTuples]:
    """Wrap one paragraph (fragments without newlines) into lines of at most `width` cells."""
    width = max(width, 1)
    lines: list[StyleAndTextTuples] = [[]]
    column = 0
    space: Word = []
    for is_space, word in _tokens(fragments):
        if is_space:
            space = word
            continue
        word_width = _width(word)
        if column and column + _width(space) + word_width <= width:
            lines[-1].extend(space)
            column += _width(space)
        elif column:
            lines.append([])
            column = 0
        column = _place(lines, word, word_width, column, width)
        space = []
    return lines


def hang(first: StyleAndTextTuples, rest: StyleAndTextTuples, body: StyleAndTextTuples, width: int) -> StyleAndTextTuples:
    """Wrap `body` beside a prefix: `first` on its first line, `rest` on the others.

    When the prefix leaves too little room for a word (a citation) that the
    full width would hold, the prefix gets a line of its own and the body
    the full width, so the word is not cut.
    """
    prefix_width = max(fragment_list_width(first), fragment_list_width(rest))
    widest = max((_width(word) for is_space, word in _tokens(body) if not is_space), default=0)
    out: StyleAndTextTuples = []
    if widest > width - prefix_width and prefix_width:
        out.extend(first)
        for line in wrap(body, width):
            out.append(("", "\n"))
            out.extend(line)
        return out
    for number, line in enumerate(wrap(body, width - prefix_width)):
        if number:
            out.append(("", "\n"))
        out.extend(first if number == 0 else rest)
        out.extend(line)
    return out


def _place(lines: list[StyleAndTextTuples], word: Word, word_width: int, column: int, width: int) -> int:
    if column + word_width <= width:
        lines[-1].extend(word)
        return column + word_width
    # Wider than a whole line: cut it into line-wide pieces (one fragment per piece, not per character:
    # a 20 MB token as character fragments took 2.6 GB).
    for style, text in word:
        if text.isascii() and text.isprintable():  # one cell a character: cut by slicing
            at = 0
            while at < len(text):
                if column >= width:
                    lines.append([])
                    column = 0
                piece = text[at:at + width - column]
                lines[-1].append((style, piece))
                column += len(piece)
                at += len(piece)
            continue
        column = _cut_wide(lines, style, text, column, width)
    return column


def _cut_wide(lines: list[StyleAndTextTuples], style: str, text: str, column: int, width: int) -> int:
    """Cut ``text`` of characters of any width at the line ends; returns the column after it."""
    piece: list[str] = []
    for char in text:
        char_width = get_cwidth(char)
        if column + char_width > width and column:
            if piece:
                lines[-1].append((style, "".join(piece)))
                piece = []
            lines.append([])
            column = 0
        piece.append(char)
        column += char_width
    if piece:
        lines[-1].append((style, "".join(piece)))
    return column


def _tokens(fragments: StyleAndTextTuples):
    """Yield (is_space, pieces): single spaces and words, a word possibly in several styles."""
    word: Word = []
    for style, text, *_ in fragments:
        for part in _SPACES.split(text):
            if not part:
                continue
            if part.isspace():
                if word:
                    yield False, word
                    word = []
                yield True, [(style, " ")]
            else:
                word.append((style, part))
    if word:
        yield False, word


def _width(word: Word) -> int:
    return sum(get_cwidth(text) for _, text in word)
