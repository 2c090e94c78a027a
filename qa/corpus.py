"""Files -> passages: find the documents of a folder, decode them, drop
boilerplate, and cut the rest into passages that know their exact place.

A passage is a span of a file's decoded text, ``text[char_start:char_end]``,
lying on lines ``line_start..line_end`` (1-based). Nothing is rewritten: what
is cited is what is shown.
"""
from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .boilerplate import (HEADING, SHORT_CHARS, classify, common_keys, ends_sentence, kept_lines, line_class,
                          n_words, short_keys, word_stats)
from .discover import check_inside, check_readable, list_files  # noqa: F401 (the corpus's files, as callers know them)

EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")  # read by qa.formats, one reader each
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Params:
    """How documents are cut into passages."""

    min_words: int = 40  # a paragraph shorter than this is merged with its neighbour
    max_words: int = 600  # a paragraph longer than this is split at line, then sentence, boundaries


@dataclass(frozen=True)
class Span:
    char_start: int
    char_end: int
    line_start: int
    line_end: int


@dataclass
class Document:
    source: str  # path relative to the corpus root, with '/' separators
    text: str
    encoding: str


class Skipped(Exception):
    """A file that is not indexed; the message says why in a few words."""


# ---------------------------------------------------------------- files

def relative_source(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


UTF8_REPLACED = "utf-8-replaced"  # UTF-8 but for a few invalid bytes, each read as U+FFFD


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a file's bytes; raises Skipped for binary data. A NUL (the run a log truncated
    in place starts with, a stray one) is read as a space: one character for one, so offsets and lines hold."""
    text, encoding = _decoded(data)
    return (text.replace("\x00", " ") if "\x00" in text else text), encoding


def _decoded(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:  # a file cut short by one byte (an odd length) loses only that half character
            return data[:len(data) // 2 * 2].decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise Skipped("broken UTF-16") from exc
    head = data[:8192]
    if b"\x00" in head:
        encoding = _bomless_utf16(head)
        if encoding:
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                pass
        # a log truncated in place (copytruncate) starts with a run of NULs; text after it is still text,
        # and so is a note with a stray NUL: binary data has NULs all through
        lead = len(data) - len(data.lstrip(b"\x00"))
        head = data[lead:lead + 8192]
        if head.count(0) > len(head) // 100 + 1:
            raise Skipped("binary file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for c in text if c > "\x7f") - text.count("\ufffd")  # characters of 2-4 bytes, well formed
    if valid >= max(invalid, 1):  # UTF-8 with a few bad bytes (cut mid-character, a stray byte), not cp1252,
        return text, UTF8_REPLACED  # whose accented letters are single bytes that UTF-8 never reads as valid
    controls = sum(1 for b in head if 0 < b < 9 or 13 < b < 32)
    if controls > len(head) // 100 + 1:
        raise Skipped("binary file")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _bomless_utf16(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for text saved as UTF-16 without a BOM (mostly Latin script: every
    other byte zero, the others not), else None."""
    head = head[:len(head) // 2 * 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    n = len(even)
    if odd.count(0) >= 0.9 * n and even.count(0) <= 0.02 * n:
        return "utf-16-le"
    if even.count(0) >= 0.9 * n and odd.count(0) <= 0.02 * n:
        return "utf-16-be"
    return None


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file; raises Skipped for anything else (a FIFO, a device, a folder, a
    file too large) without blocking on it, and OSError when it cannot be opened or read."""
    # O_NONBLOCK: opening a FIFO with no writer must not hang; it is then refused by the fstat check
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Skipped("a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise Skipped(f"larger than {MAX_FILE_BYTES >> 20} MB")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:  # it grew while being read
            raise Skipped(f"larger than {MAX_FILE_BYTES >> 20} MB")
        return data
    finally:
        os.close(fd)


def read_document(root: Path, path: Path) -> Document:
    source = relative_source(root, path)
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise Skipped(exc.strerror or type(exc).__name__) from exc
    text, encoding = decode(data)
    return Document(source, text, encoding)


# ---------------------------------------------------------------- lines

_LINE_END = re.compile(r"\r\n|\r|\n")
LINE_END = _LINE_END  # what ends a line, for whoever numbers lines as citations do
@dataclass
class Line:
    """A line, or a unit of several lines read as one (a hard-wrapped paragraph)."""

    number: int  # 1-based number of the first line
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str  # the stripped text
    last: int = 0  # number of the last line (the first, for a single line)

    def __post_init__(self) -> None:
        if not self.last:
            self.last = self.number

    @property
    def blank(self) -> bool:
        return not self.text


def split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    number = 1
    for m in _LINE_END.finditer(text):
        lines.append(_line(text, number, pos, m.start()))
        pos = m.end()
        number += 1
    lines.append(_line(text, number, pos, len(text)))
    return lines


def _line(text: str, number: int, start: int, end: int, last: int = 0) -> Line:
    raw = text[start:end]
    stripped = raw.strip()
    if not stripped:
        return Line(number, start, start, "", last)
    lead = len(raw) - len(raw.lstrip())
    return Line(number, start + lead, start + lead + len(stripped), stripped, last)


# blank lines between blocks: a line end, then lines holding only spaces, each with its line end
# (a "\r" is a line end of its own only when no "\n" follows: "\r\n" is one, never a blank line)
_ONE_END = r"(?:\r\n|\r(?!\n)|\n)"
_BLANK_RUN = re.compile(rf"{_ONE_END}(?:[ \t\f\v]*{_ONE_END})+")
# the same, split on (the separators kept), and its equivalent for text without "\r"
_BLANK_SPLIT = re.compile(f"({_BLANK_RUN.pattern})")
_BLANK_SPLIT_LF = re.compile(r"(\n(?:[ \t\f\v]*\n)+)")
# a block's lines, split at their line ends (kept)
_LINE_SPLIT = re.compile(r"(\r\n|\r|\n)")


def units(text: str) -> list[Line]:
    """The text as units: a hard-wrapped paragraph (a block of lines that mostly do not end a
    sentence) is one unit; in any other block, each line is one."""
    out: list[Line] = []
    lf_only = "\r" not in text
    pieces = (_BLANK_SPLIT_LF if lf_only else _BLANK_SPLIT).split(text)  # block, separator, ..., block
    number, pos = 1, 0
    for block, sep in zip(pieces[::2], pieces[1::2] + [""]):
        stripped = block.strip()
        if stripped:
            lead = block.index(stripped[0])  # the spaces before the text
            s, e = pos + lead, pos + lead + len(stripped)
            first = number + _block_ends(block[:lead])
            if lf_only:
                lines = stripped.split("\n")
                ends = [1] * len(lines)
            else:
                split = _LINE_SPLIT.split(stripped)
                lines, ends = split[::2], [len(e) for e in split[1::2]] + [0]
            last = first + len(lines) - 1
            if first == last:
                out.append(Line(first, s, e, stripped))
            elif _wrapped(lines):
                out.append(Line(first, s, e, stripped, last))
            else:
                out.extend(_block_lines(lines, ends, first, s))
            number = last + _block_ends(block[lead + len(stripped):])  # and the line ends after it
        else:
            number += _block_ends(block)
        number += sep.count("\n") if lf_only else len(_LINE_END.findall(sep))
        pos += len(block) + len(sep)
    return out


def _block_ends(block: str) -> int:
    """The number of line ends in (a part of) a block ("\r\n" is one)."""
    return block.count("\n") + block.count("\r") - block.count("\r\n") if block else 0


def _block_lines(lines: list[str], ends: list[int], number: int, start: int) -> Iterator[Line]:
    """The non-blank lines of a block as units; ``lines``: the block split at its line ends (``ends``:
    the length of each one's), starting at offset ``start`` on line ``number``."""
    for raw, end in zip(lines, ends):
        stripped = raw.strip()
        if stripped:
            s = start + raw.index(stripped[0])
            yield Line(number, s, s + len(stripped), stripped)
        start += len(raw) + end
        number += 1


def _wrapped(lines: list[str]) -> bool:
    """Whether a block's lines (at least two) are one hard-wrapped paragraph: most of its first lines
    run on into the next (no sentence end, and the next starts in lower case or the line is a
    full-width one)."""
    sample = min(len(lines) - 1, 3)
    needed = sample // 2 + 1
    for line, nxt in zip(lines[:sample], lines[1:]):
        line = line.rstrip()
        if (len(line) >= 40 or nxt[:1].islower()) and not ends_sentence(line):
            needed -= 1
            if not needed:
                return True
    return False


def title_line(parts: list[Line], spans: list[Span]) -> str | None:
    """A plain-text file's title: its opening line, set apart by a blank line, short, and kept as
    content (it stands in the first passage). Indexed with every passage of the file, as a Markdown
    heading path is."""
    content = [ln for ln in parts if not ln.blank]
    if len(content) < 2 or not spans or content[1].number <= content[0].last + 1 \
            or len(content[0].text) >= SHORT_CHARS:
        return None
    first = content[0]
    return first.text if spans[0].char_start <= first.start < spans[0].char_end else None


# ------------------------------------------------------------ passages

_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_ABBREV = re.compile(r"(?:\b[A-Za-z]\.)+$|\b(?:Mr|Mrs|Ms|Dr|St|Sr|Jr|Prof|Gen|Col|Lt|Sen|Rep|Gov|No|vs|etc|Inc|Ltd|Co"
                     r"|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Fig|Eq|al)\.$")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence boundaries within ``text[start:end]`` as absolute (start, end) offsets, spaces trimmed."""
    end = len(text) if end is None else end
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if _ABBREV.search(text, max(start, m.start() - 12), m.end()):
            continue
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, end))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Group kept units into paragraphs: hard-wrapped lines join, and a heading joins the text after it."""
    headings = [len(ln.text) < SHORT_CHARS and classify(ln.text) == HEADING for ln in lines]
    starts = _paragraph_starts(lines, headings)
    return [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)])]


def _paragraph_starts(lines: list[Line], headings: list[bool]) -> list[int]:
    """Where each of the ``paragraphs`` of ``lines`` starts (``headings``: which lines are short headings)."""
    starts: list[int] = []
    for i, ln in enumerate(lines):
        if i:
            prev = lines[i - 1]
            adjacent = ln.number == prev.last + 1
            wrapped = not ends_sentence(prev.text) and ln.text[:1].islower()
            after_heading = headings[i - 1] and starts[-1] == i - 1 and ln.number - prev.last <= 2
            if (adjacent and wrapped) or after_heading:
                continue
        starts.append(i)
    return starts


WALL_CHARS = 2000  # a unit left out that is this long ends the passage before it


def split_passages(text: str, params: Params = Params(), common: set[int] | frozenset = frozenset(),
                   parts: list[Line] | None = None) -> list[Span]:
    """The passages of one document's text (``parts``: its ``units``, when already computed)."""
    content = [ln for ln in (units(text) if parts is None else parts) if not ln.blank]
    stats = [word_stats(ln.text) for ln in content]
    classes = [line_class(ln.text, n, stops) for ln, (n, stops) in zip(content, stats)]
    index = kept_lines(content, classes, common)
    kept = [content[i] for i in index]
    headings = [classes[i] == HEADING and len(content[i].text) < SHORT_CHARS for i in index]
    # the words of each kept unit: for ASCII, those counted in its lower-case text
    words = [stats[i][0] if content[i].text.isascii() else n_words(content[i].text) for i in index]
    total = list(accumulate(words, initial=0))  # total[j]: the words of kept[:j]
    # a long unit left out (data: base64, a data: URI) between two kept ones: no passage spans it
    walls = {j for j in range(1, len(index))
             if any(len(content[i].text) >= WALL_CHARS for i in range(index[j - 1] + 1, index[j]))}
    starts = sorted(set(_paragraph_starts(kept, headings)) | walls)
    spans: list[Span] = []
    for a, b in _merged(kept, starts, total, params.min_words, walls):
        if total[b] - total[a] <= params.max_words:  # what split_long makes of it: one passage
            spans.append(Span(kept[a].start, kept[b - 1].end, kept[a].number, kept[b - 1].last))
        else:
            spans.extend(split_long(text, kept[a:b], params.max_words))
    return spans


def _merged(lines: list[Line], starts: list[int], total: list[int], min_words: int,
            walls: set[int] = frozenset()) -> list[tuple[int, int]]:
    """The paragraphs of ``lines`` (starting at ``starts``), those of fewer than ``min_words`` words
    joined to the next ones, as ranges ``(a, b)`` of ``lines`` (``total[j]``: the words of ``lines[:j]``);
    never across a wall (a start where no passage may run on from the line before)."""
    merged: list[tuple[int, int]] = []
    a = 0
    for b in (starts + [len(lines)])[1:]:
        if total[b] - total[a] >= min_words or b in walls:
            merged.append((a, b))
            a = b
    if a < len(lines):  # the last paragraphs are too short: they join the passage before, if close
        if merged and a not in walls and lines[a].number - lines[merged[-1][1] - 1].last <= 2:
            merged[-1] = (merged[-1][0], len(lines))
        else:
            merged.append((a, len(lines)))
    return merged


def split_long(text: str, para: list[Line], max_words: int) -> Iterator[Span]:
    """A paragraph too long for one passage cut into passages of at most ``max_words`` words, between its
    units where they fit (_split_unit cuts a unit that alone is too long)."""
    chunk: list[Line] = []
    words = 0
    for ln in para:
        n = n_words(ln.text)
        if chunk and words + n > max_words:
            yield Span(chunk[0].start, chunk[-1].end, chunk[0].number, chunk[-1].last)
            chunk, words = [], 0
        if n > max_words:
            yield from _split_unit(text, ln, max_words)
            continue
        chunk.append(ln)
        words += n
    if chunk:
        yield Span(chunk[0].start, chunk[-1].end, chunk[0].number, chunk[-1].last)


def _split_unit(text: str, ln: Line, max_words: int) -> Iterator[Span]:
    """A unit too long for one passage, cut at sentence ends (or at words, when a sentence is too long)."""
    at = [ln.start, ln.number]  # the spans come in order: line ends are counted on from the last one, never again

    def span(s: int, e: int) -> Span:
        if ln.last == ln.number:
            return Span(s, e, ln.number, ln.number)
        at[1] += len(_LINE_END.findall(text, at[0], s))
        first = at[1]
        at[0], at[1] = e, first + len(_LINE_END.findall(text, s, e))
        return Span(s, e, first, at[1])

    chunk: list[tuple[int, int]] = []
    words = 0
    for s, e in sentence_spans(text, ln.start, ln.end):
        n = n_words(text[s:e])
        if chunk and words + n > max_words:
            yield span(chunk[0][0], chunk[-1][1])
            chunk, words = [], 0
        if n > max_words:
            for ws, we in _word_windows(text, s, e, max_words):
                yield span(ws, we)
            continue
        chunk.append((s, e))
        words += n
    if chunk:
        yield span(chunk[0][0], chunk[-1][1])


def _word_windows(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    tokens = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    for i in range(0, len(tokens), size):
        window = tokens[i:i + size]
        yield start + window[0][0], start + window[-1][1]


def common_lines(documents: Iterable[Document], min_documents: int = 3) -> set[int]:
    """Keys of short units that stand in at least ``min_documents`` documents (site-wide boilerplate)."""
    return common_keys((short_keys(units(doc.text)) for doc in documents), min_documents)


Warn = Callable[[str], None]
