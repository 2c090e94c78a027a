"""The standard streams made safe for any bytes: shared by ``qa`` and ``python repl.py``."""
from __future__ import annotations

import sys
import unicodedata


def make_safe() -> None:
    """Text that cannot be encoded (a file name that is not UTF-8, PYTHONIOENCODING=ascii) is written as
    backslash escapes; undecodable bytes on stdin read as U+FFFD (a byte-order mark: ``lines``)."""
    for stream, errors in ((sys.stdout, "backslashreplace"), (sys.stderr, "backslashreplace"),
                           (sys.stdin, "replace")):
        try:
            stream.reconfigure(errors=errors)
        except (AttributeError, ValueError, OSError):
            pass  # not a text file (a test's capture, None): leave it as it is


def lines(stream):
    """The non-blank lines of ``stream`` as they come, trimmed: a lone CR ends a line as in files; a byte-order mark
    starting a line (files joined by ``cat``) is dropped; a line of only spaces and invisible characters (U+200B,
    a BOM) is blank."""
    for raw in stream:
        for line in raw.split("\r"):
            line = line.strip().lstrip("\ufeff").strip()
            if any(not (c.isspace() or unicodedata.category(c) == "Cf") for c in line):
                yield line


def argument_text(text: str) -> str:
    """A command-line argument as text: bytes that were not UTF-8 (kept by Python as lone surrogates, which JSON
    cannot carry) read as U+FFFD, as on stdin."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
