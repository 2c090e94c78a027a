"""Can every citation be trusted? Each passage of an index checked against its file, read here independently of qa.

    python benchmarks/citations.py CORPUS [--index DIR]

Plain text and Markdown: the passage's text is the file's characters char_start:char_end, and those characters
lie exactly on lines line_start..line_end. HTML (cited by source lines, or 0 when they cannot be told): the
first word of the passage's first line is on line_start and the last word of its last line on one of its lines
up to line_end, tags and comments left out (a line without a word, "{" or "****", is not checked). PDF
passages (cited by page) are counted, not checked. Prints the counts and the first wrong ones.
"""
from __future__ import annotations

import argparse
import codecs
import html
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qa  # noqa: E402

LINE_END = re.compile(r"\r\n|\r|\n")
WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)


def decode(data: bytes, encoding: str | None = None) -> str:
    """``_decode`` with each NUL as a space, as qa reads it."""
    return _decode(data, encoding).replace("\x00", " ")


def _decode(data: bytes, encoding: str | None = None) -> str:
    """The file's text as an editor would show it in the encoding qa recorded for it (``utf-8-replaced``: UTF-8,
    each invalid byte sequence shown as U+FFFD); without one: UTF-8 (a BOM dropped), UTF-16 with a BOM, else cp1252."""
    if encoding in ("utf-8-replaced", "utf-16-le", "utf-16-be", "latin-1", "cp1252"):
        return data.decode("utf-8" if encoding == "utf-8-replaced" else encoding, "replace")
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def line_of(text: str, offset: int) -> int:
    return 1 + len(LINE_END.findall(text, 0, offset))


def check_text(decoded: str, passage: str, span: tuple[int, int, int, int]) -> str | None:
    start, end, first, last = span
    if decoded[start:end] != passage:
        return "text differs from the file's characters"
    if (line_of(decoded, start), line_of(decoded, max(start, end - 1))) != (first, last):
        return f"lines {first}-{last}, the text lies on {line_of(decoded, start)}-{line_of(decoded, max(start, end - 1))}"
    return None


def _alone(word: str) -> str:
    """``word`` not inside a longer run of letters and digits ("restaurant" in "eat_at_restaurant" counts)."""
    return rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])"


def check_html(source_lines: list[str], passage: str, first: int, last: int) -> str | None:
    lines = [line for line in passage.splitlines() if line.strip()]
    if not lines or first == 0:
        return None
    plain = [html.unescape(TAG.sub(" ", line)) for line in source_lines]
    opening, closing = WORD.findall(lines[0]), WORD.findall(lines[-1])  # a line of "{" or "****" tells nothing
    if opening and not re.search(_alone(opening[0]), plain[first - 1]):
        return f"its first word {opening[0]!r} is not on line {first}"
    if closing and not any(re.search(_alone(closing[-1]), line) for line in plain[first - 1:last]):
        return f"its last word {closing[-1]!r} is not on lines {first}-{last}"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--index", help="the index folder (default: qa's for the corpus)")
    args = ap.parse_args()
    index = qa.open_index(args.corpus, args.index, semantic=False)
    corpus = Path(args.corpus)
    counts = {"passages": 0, "checked": 0, "wrong": 0, "html lines unknown": 0, "pdf": 0}
    wrong: list[str] = []
    files: dict[str, tuple[str, str]] = {}
    for pid in range(index.passage_count):
        source, start, end, first, last = index.searcher.passage(pid)
        if source is None:
            continue  # a deleted passage
        counts["passages"] += 1
        info = index.source_info(source)
        kind = info.get("format", "txt")
        if kind == "pdf":
            counts["pdf"] += 1
            continue
        if source not in files:
            files[source] = (kind, decode((corpus / source).read_bytes(), info.get("encoding")))
        decoded = files[source][1]
        passage = index.passage_text(pid)
        if kind == "html":
            if first == 0:
                counts["html lines unknown"] += 1
                continue
            problem = check_html(LINE_END.split(decoded), passage, first, last)
        else:
            problem = check_text(decoded, passage, (int(start), int(end), int(first), int(last)))
        counts["checked"] += 1
        if problem:
            counts["wrong"] += 1
            wrong.append(f"{source}:{first}-{last}: {problem}")
    print("  ".join(f"{name}={value}" for name, value in counts.items()))
    for line in wrong[:15]:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
