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
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .analysis import STOP_WORDS
from .errors import QAError

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
        encoding = _bomless_utf16(head)
        if encoding:
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                pass
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
_WORD = re.compile(r"\w+")
# \w in ASCII: letters, digits, underscore; everything else becomes a space, so that for ASCII text
# bytes.split() finds exactly the runs _WORD finds, five times faster
_ASCII_WORD_BYTES = bytes(c if c < 128 and (chr(c).isalnum() or c == ord("_")) else 32 for c in range(256))
_ASCII_WORD_STARTS = bytes(97 if c < 128 and (chr(c).isalnum() or c == ord("_")) else 32 for c in range(256))
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")
_TERMINAL = re.compile(r"""[.!?:;…]["'”’)\]]*$""")
_CLOSERS = "\"'”’)]"


def _ends_sentence(line: str) -> bool:
    """``_TERMINAL.search(line)``, looking at the end only (a search scans the whole line)."""
    core = line[:-1] if line.endswith("\n") else line  # "$" also matches before a final newline
    return core.rstrip(_CLOSERS)[-1:] in (".", "!", "?", ":", ";", "…")
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.I)


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
_BLANK_RUN = re.compile(r"(?:\r\n|\r|\n)(?:[ \t\f\v]*(?:\r\n|\r|\n))+")


def units(text: str) -> list[Line]:
    """The text as units: a hard-wrapped paragraph (a block of lines that mostly do not end a
    sentence) is one unit; in any other block, each line is one."""
    out: list[Line] = []
    number, pos = 1, 0
    bounds = [(m.start(), m.end()) for m in _BLANK_RUN.finditer(text)] + [(len(text), len(text))]
    lf_only = "\r" not in text  # then a line end is one "\n", and str.count and str.find find them

    def count_ends(start: int, end: int) -> int:
        return text.count("\n", start, end) if lf_only else len(_LINE_END.findall(text, start, end))

    for sep_start, sep_end in bounds:
        block = text[pos:sep_start]
        stripped = block.strip()
        if stripped:
            lead = len(block) - len(block.lstrip())
            first = number + count_ends(pos, pos + lead)
            s = pos + lead
            e = s + len(stripped)
            n_ends = count_ends(s, e)
            if not n_ends:
                out.append(Line(first, s, e, stripped))
            elif _wrapped(text, s, _first_ends(text, s, e, lf_only)):
                out.append(Line(first, s, e, stripped, first + n_ends))
            else:
                ends = [m.start() for m in _LINE_END.finditer(text, s, e)]
                starts = [s] + [m.end() for m in _LINE_END.finditer(text, s, e)]
                stops = ends + [e]
                for i, (ls, le) in enumerate(zip(starts, stops)):
                    ln = _line(text, first + i, ls, le)
                    if ln.text:
                        out.append(ln)
        number += count_ends(pos, sep_end)
        pos = sep_end
    return out


def _first_ends(text: str, start: int, end: int, lf_only: bool, n: int = 3) -> list[int]:
    """Where the first ``n`` line ends in ``text[start:end]`` are (all that ``_wrapped`` looks at)."""
    if not lf_only:
        found = []
        for m in _LINE_END.finditer(text, start, end):
            found.append(m.start())
            if len(found) == n:
                break
        return found
    found, at = [], text.find("\n", start, end)
    while at >= 0 and len(found) < n:
        found.append(at)
        at = text.find("\n", at + 1, end)
    return found


def _wrapped(text: str, start: int, ends: list[int]) -> bool:
    """Whether a block's lines are one hard-wrapped paragraph: most of its first lines run on into
    the next (no sentence end, and the next starts in lower case or the line is a full-width one)."""
    sample = ends[:3]
    running, pos = 0, start
    for end in sample:
        line = text[pos:end].rstrip()
        nxt = text[end + 1:end + 3].lstrip("\r\n")[:1]
        if not _ends_sentence(line) and (nxt.islower() or len(line) >= 40):
            running += 1
        pos = end + 1
    return running * 2 > len(sample)


def _words(text: str) -> list[str]:
    """``_WORD.findall(text)``, faster for ASCII text."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii").split()
    return _WORD.findall(text)


def line_key(text: str) -> int:
    """A key under which the same line, however spaced or cased, is counted across documents."""
    return zlib.crc32(" ".join(_words(text.lower())).encode("utf-8"))


# ------------------------------------------------------- boilerplate

GOOD, TEXT, HEADING, BAD = "good", "text", "heading", "bad"
SHORT_CHARS = 200  # units shorter than this are compared across and within documents


def classify(line: str) -> str:
    """jusText-like class of a line or paragraph from length, stop-word density and C4-style rules."""
    words = _words(line.lower())
    n = len(words)
    stops = sum(map(STOP_WORDS.__contains__, words))
    punctuated = _ends_sentence(line)
    if n < 20 and _COPYRIGHT.search(line):
        return BAD
    if n >= 8 and stops < 0.08 * n and not punctuated:
        return BAD  # lists of words: navigation, icon names, tag clouds
    if n < 6:
        alpha = len(_ALPHA_WORD.findall(line))
        if alpha < 2 and not (punctuated and alpha):
            return BAD  # numbers, times, dates, single words: "0:00", "Podcasts"
    if not punctuated and n <= 12:
        return HEADING
    if punctuated and n >= 10 and stops >= 0.25 * n:
        return GOOD
    return TEXT


def prose(line: str) -> bool:
    """A sentence of running text: punctuated, and at least a quarter stop words."""
    words = _words(line.lower())
    return (len(words) >= 2 and _ends_sentence(line)
            and sum(map(STOP_WORDS.__contains__, words)) >= 0.25 * len(words))


def short_keys(lines: list[Line]) -> set[int]:
    return {line_key(ln.text) for ln in lines if len(ln.text) < SHORT_CHARS}


def keep_lines(lines: list[Line], common: set[int] | frozenset = frozenset()) -> list[Line]:
    """The content units of one document, boilerplate dropped.

    Dropped: bad units; short units repeated within the document or common
    to many documents; and the short non-prose units before the first and
    after the last good one (page headers and trailers), except a heading
    that opens the text. A document with no good unit keeps all but its bad ones.
    """
    content = [ln for ln in lines if not ln.blank]
    classes = [classify(ln.text) for ln in content]
    keys = [line_key(ln.text) if len(ln.text) < SHORT_CHARS else None for ln in content]
    seen: dict[int, int] = {}
    for key, cls in zip(keys, classes):
        if key is not None and cls in (HEADING, TEXT):
            seen[key] = seen.get(key, 0) + 1
    drop = set()
    for i, (key, cls) in enumerate(zip(keys, classes)):
        if cls == BAD or (key is not None and (key in common or (cls in (HEADING, TEXT) and seen[key] > 1))):
            drop.add(i)
    good = [i for i, cls in enumerate(classes) if cls == GOOD and i not in drop]
    if good:
        first, last = good[0], good[-1]
        edge = lambda ln: _n_words(ln.text) < 25 and not prose(ln.text)  # noqa: E731
        i = first - 1
        while i >= 0 and (i in drop or edge(content[i])):
            drop.add(i)
            i -= 1
        # a heading (the title) right before the text stays, unless it is repeated boilerplate,
        # and so does an opening line set apart by a blank line, heading or text (a long or lower-case title)
        for i in {first - 1, 0} if first else ():
            opening = i == 0 and len(content) > 1 and content[1].number > content[0].last + 1
            if ((classes[i] == HEADING or (opening and classes[i] == TEXT)) and keys[i] is not None
                    and seen.get(keys[i], 0) <= 1
                    and keys[i] not in common and (i == first - 1 or opening)):
                drop.discard(i)
        for i in range(len(content) - 1, last, -1):
            if not edge(content[i]):
                break
            drop.add(i)
    kept = [ln for i, ln in enumerate(content) if i not in drop]
    # a document is never left empty: its non-bad units, or all of them
    return kept or [ln for ln, cls in zip(content, classes) if cls != BAD] or content


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


def _n_words(text: str) -> int:
    """``len(_WORD.findall(text))``; for ASCII text, the count of word starts, with no word made."""
    if text.isascii():
        return (b" " + text.encode("ascii").translate(_ASCII_WORD_STARTS)).count(b" a")
    return len(_WORD.findall(text))


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Group kept units into paragraphs: hard-wrapped lines join, and a heading joins the text after it."""
    paras: list[list[Line]] = []
    prev: Line | None = None
    prev_heading = False
    for ln in lines:
        joins = False
        if prev is not None and paras:
            adjacent = ln.number == prev.last + 1
            wrapped = not _ends_sentence(prev.text) and ln.text[:1].islower()
            after_heading = prev_heading and len(paras[-1]) == 1 and ln.number - prev.last <= 2
            joins = (adjacent and wrapped) or after_heading
        if joins:
            paras[-1].append(ln)
        else:
            paras.append([ln])
        prev = ln
        prev_heading = len(ln.text) < SHORT_CHARS and classify(ln.text) == HEADING
    return paras


def split_passages(text: str, params: Params = Params(), common: set[int] | frozenset = frozenset(),
                   parts: list[Line] | None = None) -> list[Span]:
    """The passages of one document's text (``parts``: its ``units``, when already computed)."""
    paras = paragraphs(keep_lines(units(text) if parts is None else parts, common))
    merged: list[list[Line]] = []
    carry: list[Line] = []
    carried = 0  # words in carry
    for para in paras:
        words = carried + sum(_n_words(ln.text) for ln in para)
        para = carry + para
        carry, carried = [], 0
        if words < params.min_words:
            carry, carried = para, words
            continue
        merged.append(para)
    if carry:
        if merged and carry[0].number - merged[-1][-1].last <= 2:
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
    def span(s: int, e: int) -> Span:
        first = ln.number + len(_LINE_END.findall(text, ln.start, s)) if ln.last > ln.number else ln.number
        last = first + len(_LINE_END.findall(text, s, e)) if ln.last > ln.number else ln.number
        return Span(s, e, first, last)

    chunk: list[tuple[int, int]] = []
    words = 0
    for s, e in sentence_spans(text, ln.start, ln.end):
        n = _n_words(text[s:e])
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


def common_keys(key_sets: Iterable[set[int]], min_documents: int = 3) -> set[int]:
    counts: dict[int, int] = {}
    for keys in key_sets:
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, n in counts.items() if n >= min_documents}


Warn = Callable[[str], None]
