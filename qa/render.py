"""Answers -> text for a terminal or a pipe: citations as ``path:line``, terms highlighted on a terminal only.

Document text can hold anything; ``sanitize`` makes sure none of it reaches
the terminal as a control or escape sequence.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import textwrap

from .analysis import highlight_spans
from .model import Answer

# whole escape sequences, 7-bit (ESC ...) and 8-bit (C1): CSI with its parameters and final byte;
# OSC, DCS, SOS, PM and APC with their payload up to BEL or ST (not past a line end, so that line
# numbers hold when a terminator is missing); any other ESC with its intermediates and final byte
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
                      r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n\r]*(?:\x07|\x1b\\|\x9c)?"
                      r"|\x1b[ -/]*[0-~]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


_SURROGATES = re.compile(r"[\ud800-\udfff]")
# what one_line shows as an escape, and json_dumps escapes: controls (newlines too), bidi and zero-width
# marks, line separators, and the lone surrogates of undecodable file names
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def sanitize(text: str) -> str:
    """``text`` without escape sequences or control characters (newlines and tabs kept; CR, a line end
    in the files, shown as one; line separators shown as spaces; lone surrogates as U+FFFD)."""
    text = _ESCAPES.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", " ").replace("\u2029", " ")
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def mask_sequences(text: str) -> str:
    """``text`` with every character of each escape sequence replaced by NUL: the same length, so
    spans found on the raw text still fit, and ``sanitize`` then drops the sequence whole (a span
    cutting through one cannot leave its tail on the screen)."""
    return _ESCAPES.sub(lambda m: "\0" * len(m.group()), text)


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{c - 0xDC00:02x}"
    if m.group() in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[m.group()]
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def plural(count: int, noun: str) -> str:
    """"1 document", "5 documents"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def one_line(text: str) -> str:
    """``text`` (a file name, a message) on one line with every control character shown as an escape:
    ``evil\x1b[31m\n.txt`` prints as ``evil\\x1b[31m\\n.txt``, harmless and still recognisable."""
    return _UNSAFE.sub(_escape, text)


def cite_line(citation) -> str:
    """A citation on one line: its file name with controls shown as escapes (one_line), its heading
    path (document text) sanitized, escape sequences gone whole."""
    section = getattr(citation, "section", None)
    if section:
        citation = dataclasses.replace(citation, section=sanitize(section))
    return one_line(str(citation))


def _json_escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\u{c:04x}"


def json_dumps(data) -> str:
    """``data`` as one line of JSON that holds no raw control, bidi or surrogate character (they are
    ``\\uXXXX`` escapes, so ``json.loads`` gives back the exact text) and is always valid UTF-8."""
    return _UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False))


def use_color(stream, choice: str = "auto") -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


BOLD, DIM, RESET, HIGHLIGHT, CITE = "\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[1;33m", "\x1b[36m"


def highlight(text: str, terms: list[str], color: bool) -> str:
    """Sanitized ``text`` with the question's terms in bold yellow when ``color``."""
    if not color:
        return sanitize(text)
    out, pos = [], 0
    text = mask_sequences(text)
    for s, e in highlight_spans(text, terms):
        out.append(sanitize(text[pos:s]))
        out.append(HIGHLIGHT + sanitize(text[s:e]) + RESET)
        pos = e
    out.append(sanitize(text[pos:]))
    return "".join(out)


def _wrap(text: str, width: int, indent: str) -> str:
    lines = []
    room = max(20, width - len(indent))
    # textwrap re-slices a long word once per line (quadratic): cut such words into line-sized pieces first
    too_long = re.compile(r"\S{%d,}" % (room + 1))
    for para in sanitize(text).split("\n"):
        para = too_long.sub(lambda m: " ".join(m[0][i:i + room] for i in range(0, len(m[0]), room)), para)
        lines.extend(textwrap.wrap(para, width=room, break_long_words=True,
                                   break_on_hyphens=False) or [""])
    return "\n".join(indent + ln for ln in lines)


def render_answer(answer: Answer, color: bool = False, width: int | None = None) -> str:
    """The text ``qa ask`` prints for one answer."""
    width = width or shutil.get_terminal_size((80, 24)).columns  # piped: 80, as the README shows
    c = (lambda code, s: f"{code}{s}{RESET}") if color else (lambda code, s: s)
    out = []
    if answer.answer:
        out.append(c(BOLD, _wrap(answer.answer.text, width, "")))
        out.append("  -- " + c(CITE, cite_line(answer.answer.citation)))
    elif answer.results:
        out.append("No passage answers this; the closest matches:")
    else:
        out.append("Nothing in the corpus matches this question.")
    for r in answer.results:
        out.append("")
        out.append(f"[{r.rank}] " + c(CITE, cite_line(r.citation)) + c(DIM, f"  score {r.score:.2f}"))
        body = _wrap(r.text, width, "    ")
        if color:
            body = _highlight_wrapped(r.text, answer.terms, width)
        out.append(body)
        if r.also_in:
            out.append("    " + c(DIM, "also in: " + ", ".join(cite_line(x) for x in r.also_in)))
    return "\n".join(out)


def _highlight_wrapped(text: str, terms: list[str], width: int) -> str:
    # wrap first (on the clean text), then highlight word by word so escapes never split
    wrapped = _wrap(text, width, "    ")
    wanted = {t for t in terms if " " not in t}
    if not wanted:
        return wrapped
    return "\n".join(highlight(line, terms, True) for line in wrapped.split("\n"))


def empty_corpus_warning(corpus) -> str:
    """What ``qa ask``, ``qa index`` and the chat say of a corpus with no text to search."""
    return (f"warning: no text to search in {one_line(str(corpus))} "
            "(it holds no readable .txt, .md, .html or .pdf file with words)")
