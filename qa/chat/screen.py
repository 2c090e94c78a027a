"""Where the chat writes: answers to stdout, problems to stderr, tall text through the pager."""
from __future__ import annotations

import sys
from typing import Callable

from prompt_toolkit import print_formatted_text
from prompt_toolkit.formatted_text import FormattedText, StyleAndTextTuples, fragment_list_width
from prompt_toolkit.output import Output, create_output
from prompt_toolkit.output.plain_text import PlainTextOutput
from prompt_toolkit.styles import BaseStyle
from prompt_toolkit.utils import get_cwidth

from qa.render import sanitize

from .pager import page

# Lines longer than this are tiring to read, however wide the terminal.
MAX_WIDTH = 100

Pager = Callable[[StyleAndTextTuples, str, BaseStyle, Output], object]


class Screen:
    def __init__(self, style: BaseStyle, output: Output | None = None, errors: Output | None = None,
                 pager: Pager | None = page, interactive: bool = True) -> None:
        self.style = style
        self.output = _unix_lines(output or create_output())
        self.errors = _unix_lines(errors or create_output(sys.stderr))
        self.pager = pager if interactive else None

    @property
    def width(self) -> int:
        # One column short of the edge: a line that fills the last column makes
        # some terminals, and prompt_toolkit's pager, add an empty row.
        return max(1, min(self.output.get_size().columns - 1, MAX_WIDTH))

    @property
    def height(self) -> int:
        return self.output.get_size().rows

    def show(self, fragments: StyleAndTextTuples) -> None:
        self._print(fragments, self.output)

    def show_long(self, fragments: StyleAndTextTuples, title: str) -> None:
        """Print `fragments`, or page them when they would not fit on the screen with the prompt;
        then a blank line. A paged text leaves its first line, and how to see it again, in the scrollback."""
        rows = 1 + sum(text.count("\n") for _, text, *_ in fragments)
        if self.pager is not None and rows > self.height - 2:
            self.pager(fragments, sanitize(title), self.style, self.output)
            head, note = first_line(fragments), f"({rows} lines, shown in the pager)"
            if fragment_list_width(head) + 2 + len(note) <= self.width:
                self.show(head + [("class:notice", "  " + note), ("", "\n")])
            else:  # the note on a line of its own: the first line as it fits
                self.show(fitted(head, self.width) + [("", "\n"), ("class:notice", fitted([("", note)], self.width)[0][1]),
                                                      ("", "\n")])
        else:
            self.show(fragments + [("", "\n")])

    def say(self, message: str) -> None:
        self.show([("class:notice", sanitize(message))])

    def error(self, message: str) -> None:
        self._print([("class:error", _one_line(message))], self.errors)

    def warn(self, message: str) -> None:
        self._print([("class:warning", _one_line(message))], self.errors)

    def _print(self, fragments: StyleAndTextTuples, output: Output) -> None:
        print_formatted_text(FormattedText(fragments), style=self.style, output=output,
                             include_default_pygments_style=False)


def first_line(fragments: StyleAndTextTuples) -> StyleAndTextTuples:
    """The fragments up to the first newline."""
    out: StyleAndTextTuples = []
    for style, text, *_ in fragments:
        head, newline, _tail = text.partition("\n")
        if head:
            out.append((style, head))
        if newline:
            break
    return out


def fitted(fragments: StyleAndTextTuples, width: int) -> StyleAndTextTuples:
    """One line of ``fragments`` cut to ``width`` columns, "…" ending what was cut (a line wider than the terminal
    would wrap in the middle of a word)."""
    if fragment_list_width(fragments) <= width:
        return fragments
    out: StyleAndTextTuples = []
    room = max(0, width - 1)
    for style, text, *_ in fragments:
        kept = ""
        for char in text:
            if get_cwidth(char) > room:
                return out + [(style, kept + "…")]
            kept += char
            room -= get_cwidth(char)
        out.append((style, kept))
    return out


def _one_line(message: str) -> str:
    return " ".join(sanitize(message).split())


class _UnixLinesOutput(PlainTextOutput):
    """prompt_toolkit ends printed lines with CR LF, which a terminal needs; a file or pipe gets LF."""

    def write(self, data: str) -> None:
        super().write(data.replace("\r\n", "\n"))


def _unix_lines(output: Output) -> Output:
    return _UnixLinesOutput(output.stdout) if type(output) is PlainTextOutput else output
