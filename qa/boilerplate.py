"""Boilerplate: the words of a line, its class (good, text, heading, bad) and which lines of a document are content.

Counted on the lower-case text as ``\\w+`` finds its words, with fast paths for ASCII text.
"""
from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Iterable

from .analysis import STOP_WORDS

if TYPE_CHECKING:
    from .corpus import Line

_WORD = re.compile(r"\w+")
# \w in ASCII: letters, digits, underscore; everything else becomes a space, so that for ASCII text
# bytes.split() finds exactly the runs _WORD finds, five times faster
_ASCII_WORD_BYTES = bytes(c if c < 128 and (chr(c).isalnum() or c == ord("_")) else 32 for c in range(256))
_ASCII_WORD_STARTS = bytes(97 if c < 128 and (chr(c).isalnum() or c == ord("_")) else 32 for c in range(256))
# the same with A-Z made lower case: for ASCII text, words_of(text.lower()) in one translate()
_ASCII_LOWER_WORD_BYTES = bytes(c | 32 if 65 <= c <= 90 else _ASCII_WORD_BYTES[c] for c in range(256))
_STOP_WORDS_BYTES = frozenset(w.encode("utf-8") for w in STOP_WORDS)
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")
_TERMINAL = re.compile(r"""[.!?:;…]["'”’)\]]*$""")
_CLOSERS = "\"'”’)]"
_TERMINALS = frozenset(".!?:;…")


def ends_sentence(line: str) -> bool:
    """``_TERMINAL.search(line)``, looking at the end only (a search scans the whole line)."""
    core = line[:-1] if line[-1:] == "\n" else line  # "$" also matches before a final newline
    return core.rstrip(_CLOSERS)[-1:] in _TERMINALS


DATA_RUN = 1000  # characters without a space: no word is this long; base64, a data: URI, minified code is
_DATA = re.compile(r"\S{%d}" % DATA_RUN)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.I)


def words_of(text: str) -> list[str]:
    """``_WORD.findall(text)``, faster for ASCII text."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORD_BYTES).decode("ascii").split()
    return _WORD.findall(text)


def line_key(text: str) -> int:
    """A key under which the same line, however spaced or cased, is counted across documents."""
    if text.isascii():  # the same bytes, made without lower(), decode() and encode()
        return zlib.crc32(b" ".join(text.encode("ascii").translate(_ASCII_LOWER_WORD_BYTES).split()))
    return zlib.crc32(" ".join(words_of(text.lower())).encode("utf-8"))


def n_words(text: str) -> int:
    """``len(_WORD.findall(text))``; for ASCII text, the count of word starts, with no word made."""
    if text.isascii():
        return (b" " + text.encode("ascii").translate(_ASCII_WORD_STARTS)).count(b" a")
    return len(_WORD.findall(text))


GOOD, TEXT, HEADING, BAD = "good", "text", "heading", "bad"
SHORT_CHARS = 200  # units shorter than this are compared across and within documents


def classify(line: str) -> str:
    """jusText-like class of a line or paragraph from length, stop-word density and C4-style rules."""
    return line_class(line, *word_stats(line))


def line_class(line: str, n: int, stops: int) -> str:
    """``classify(line)``, given the ``word_stats`` of the line."""
    if len(line) >= DATA_RUN and _DATA.search(line):
        return BAD  # data, not text: never a passage, and no passage spans it (corpus.split_passages)
    punctuated = ends_sentence(line)
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


def word_stats(line: str) -> tuple[int, int]:
    """The number of words, and of stop words, in ``line.lower()``."""
    if line.isascii():  # as words_of(line.lower()), in bytes: no lower(), no decode()
        words = line.encode("ascii").translate(_ASCII_LOWER_WORD_BYTES).split()
        return len(words), sum(map(_STOP_WORDS_BYTES.__contains__, words))
    words = _WORD.findall(line.lower())
    return len(words), sum(map(STOP_WORDS.__contains__, words))


def prose(line: str) -> bool:
    """A sentence of running text: punctuated, and at least a quarter stop words."""
    n, stops = word_stats(line)
    return n >= 2 and ends_sentence(line) and stops >= 0.25 * n


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
    return [content[i] for i in kept_lines(content, [classify(ln.text) for ln in content], common)]


def kept_lines(content: list[Line], classes: list[str], common: set[int] | frozenset) -> list[int]:
    """``keep_lines`` of the non-blank units ``content`` of classes ``classes``, as indexes into ``content``."""
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
        edge = lambda ln: n_words(ln.text) < 25 and not prose(ln.text)  # noqa: E731
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
    kept = [i for i in range(len(content)) if i not in drop]
    # a document is never left empty: its non-bad units, or all of them
    return kept or [i for i, cls in enumerate(classes) if cls != BAD] or list(range(len(content)))


def common_keys(key_sets: Iterable[set[int]], min_documents: int = 3) -> set[int]:
    counts: dict[int, int] = {}
    for keys in key_sets:
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, n in counts.items() if n >= min_documents}
