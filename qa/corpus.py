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
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .analysis import STOP_WORDS
from .errors import QAError

EXTENSIONS = (".txt", ".md")
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Params:
    """How documents are cut into passages."""

    min_words: int = 12  # a paragraph shorter than this is merged with its neighbour
    max_words: int = 200  # a paragraph longer than this is split at line, then sentence, boundaries


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

def list_files(root: Path) -> list[Path]:
    """The corpus files under ``root``, sorted; hidden folders and symlinked folders are not entered."""
    if not root.exists():
        raise QAError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise QAError(f"corpus is not a folder: {root}")
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(EXTENSIONS):
                continue
            found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: relative_source(root, p))


def relative_source(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name of a file's bytes; raises Skipped for binary data."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise Skipped("broken UTF-16") from exc
    head = data[:8192]
    if b"\x00" in head:
        raise Skipped("binary file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if controls > len(head) // 100 + 1:
        raise Skipped("binary file")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_document(root: Path, path: Path) -> Document:
    source = relative_source(root, path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Skipped(f"larger than {MAX_FILE_BYTES >> 20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise Skipped(exc.strerror or type(exc).__name__) from exc
    text, encoding = decode(data)
    return Document(source, text, encoding)


# ---------------------------------------------------------------- lines

_LINE_END = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"\w+")
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")
_TERMINAL = re.compile(r"""[.!?:;…]["'”’)\]]*$""")
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.I)


@dataclass
class Line:
    number: int  # 1-based
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str  # the stripped line

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


def _line(text: str, number: int, start: int, end: int) -> Line:
    raw = text[start:end]
    stripped = raw.strip()
    if not stripped:
        return Line(number, start, start, "")
    lead = len(raw) - len(raw.lstrip())
    return Line(number, start + lead, start + lead + len(stripped), stripped)


def line_key(text: str) -> int:
    """A key under which the same line, however spaced or cased, is counted across documents."""
    return zlib.crc32(" ".join(_WORD.findall(text.lower())).encode("utf-8"))


# ------------------------------------------------------- boilerplate

GOOD, TEXT, HEADING, BAD = "good", "text", "heading", "bad"


def classify(line: str) -> str:
    """jusText-like line class from length, stop-word density and C4-style rules."""
    words = _WORD.findall(line.lower())
    n = len(words)
    alpha = len(_ALPHA_WORD.findall(line))
    stops = sum(1 for w in words if w in STOP_WORDS)
    punctuated = bool(_TERMINAL.search(line))
    if _COPYRIGHT.search(line):
        return BAD
    if n >= 8 and stops < 0.08 * n and not punctuated:
        return BAD  # lists of words: navigation, icon names, tag clouds
    if alpha < 2 and not (punctuated and alpha):
        return BAD  # numbers, times, dates, single words: "0:00", "Podcasts"
    if not punctuated and n <= 12:
        return HEADING
    if punctuated and n >= 10 and stops >= 0.25 * n:
        return GOOD
    return TEXT


def prose(line: str) -> bool:
    """A sentence of running text: punctuated, and at least a quarter stop words."""
    words = _WORD.findall(line.lower())
    return (len(words) >= 2 and bool(_TERMINAL.search(line))
            and sum(1 for w in words if w in STOP_WORDS) >= 0.25 * len(words))


def keep_lines(lines: list[Line], common: set[int] | frozenset = frozenset()) -> list[Line]:
    """The content lines of one document, boilerplate dropped.

    Dropped: bad lines; short lines repeated within the document or common
    to many documents; and the short lines before the first and after the
    last good line (page headers and trailers), except a heading that opens
    the text. A document with no good line keeps all but its bad lines.
    """
    content = [ln for ln in lines if not ln.blank]
    classes = {ln.number: classify(ln.text) for ln in content}
    seen: dict[int, int] = {}
    for ln in content:
        if classes[ln.number] in (HEADING, TEXT) and len(ln.text) < 200:
            key = line_key(ln.text)
            seen[key] = seen.get(key, 0) + 1
    drop = set()
    for ln in content:
        if classes[ln.number] == BAD:
            drop.add(ln.number)
        elif len(ln.text) < 200:
            key = line_key(ln.text)
            if key in common or (classes[ln.number] in (HEADING, TEXT) and seen[key] > 1):
                drop.add(ln.number)
    good = [i for i, ln in enumerate(content) if classes[ln.number] == GOOD and ln.number not in drop]
    if good:
        first, last = good[0], good[-1]
        edge = lambda ln: len(_WORD.findall(ln.text)) < 25 and not prose(ln.text)  # noqa: E731
        i = first - 1
        while i >= 0 and (edge(content[i]) or content[i].number in drop):
            drop.add(content[i].number)
            i -= 1
        # a heading (the title) right before the text stays, unless it is repeated boilerplate
        title = content[first - 1] if first else None
        if title is not None and classes[title.number] == HEADING and seen.get(line_key(title.text), 0) <= 1 \
                and line_key(title.text) not in common:
            drop.discard(title.number)
        for ln in reversed(content[last + 1:]):
            if not edge(ln):
                break
            drop.add(ln.number)
    kept = [ln for ln in content if ln.number not in drop]
    return kept if kept else [ln for ln in content if classes[ln.number] != BAD]


# ------------------------------------------------------------ passages

_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_ABBREV = re.compile(r"(?:\b[A-Za-z]\.)+$|\b(?:Mr|Mrs|Ms|Dr|St|Sr|Jr|Prof|Gen|Col|Lt|Sen|Rep|Gov|No|vs|etc|Inc|Ltd|Co|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Fig|Eq|al)\.$")


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


def _n_words(text: str) -> int:
    return len(_WORD.findall(text))


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Group kept lines into paragraphs: a hard-wrapped block is one; otherwise a line is one.

    A heading joins the paragraph after it.
    """
    paras: list[list[Line]] = []
    prev: Line | None = None
    for ln in lines:
        joins = False
        if prev is not None and paras:
            adjacent = ln.number == prev.number + 1
            wrapped = not _TERMINAL.search(prev.text) and ln.text[:1].islower()
            after_heading = classify(prev.text) == HEADING and len(paras[-1]) == 1 \
                and ln.number - prev.number <= 2
            joins = (adjacent and wrapped) or after_heading
        if joins:
            paras[-1].append(ln)
        else:
            paras.append([ln])
        prev = ln
    return paras


def split_passages(text: str, params: Params = Params(), common: set[int] | frozenset = frozenset()) -> list[Span]:
    """The passages of one document's text."""
    lines = split_lines(text)
    paras = paragraphs(keep_lines(lines, common))
    merged: list[list[Line]] = []
    carry: list[Line] = []
    for para in paras:
        para = carry + para
        carry = []
        if sum(_n_words(ln.text) for ln in para) < params.min_words:
            carry = para
            continue
        merged.append(para)
    if carry:
        if merged and carry[0].number - merged[-1][-1].number <= 2:
            merged[-1].extend(carry)
        else:
            merged.append(carry)
    spans: list[Span] = []
    for para in merged:
        spans.extend(_split_long(text, para, params.max_words))
    return spans


def _split_long(text: str, para: list[Line], max_words: int) -> Iterator[Span]:
    chunk: list[Line] = []
    words = 0
    for ln in para:
        n = _n_words(ln.text)
        if chunk and words + n > max_words:
            yield Span(chunk[0].start, chunk[-1].end, chunk[0].number, chunk[-1].number)
            chunk, words = [], 0
        if n > max_words:
            yield from _split_line(text, ln, max_words)
            continue
        chunk.append(ln)
        words += n
    if chunk:
        yield Span(chunk[0].start, chunk[-1].end, chunk[0].number, chunk[-1].number)


def _split_line(text: str, ln: Line, max_words: int) -> Iterator[Span]:
    """A line too long for one passage, cut at sentence ends (or at words, when a sentence is too long)."""
    chunk: list[tuple[int, int]] = []
    words = 0
    for s, e in sentence_spans(text, ln.start, ln.end):
        n = _n_words(text[s:e])
        if chunk and words + n > max_words:
            yield Span(chunk[0][0], chunk[-1][1], ln.number, ln.number)
            chunk, words = [], 0
        if n > max_words:
            for ws, we in _word_windows(text, s, e, max_words):
                yield Span(ws, we, ln.number, ln.number)
            continue
        chunk.append((s, e))
        words += n
    if chunk:
        yield Span(chunk[0][0], chunk[-1][1], ln.number, ln.number)


def _word_windows(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    tokens = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    for i in range(0, len(tokens), size):
        window = tokens[i:i + size]
        yield start + window[0][0], start + window[-1][1]


def common_lines(documents: Iterable[Document], min_documents: int = 3) -> set[int]:
    """Keys of short lines that stand in at least ``min_documents`` documents (site-wide boilerplate)."""
    counts: dict[int, int] = {}
    for doc in documents:
        keys = {line_key(ln.text) for ln in split_lines(doc.text) if ln.text and len(ln.text) < 200}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, n in counts.items() if n >= min_documents}


Warn = Callable[[str], None]
