"""HTML: a page's main text (trafilatura, extra ``qa[html]``), its title, and citations by source line.

trafilatura finds the article text and leaves out navigation, scripts, styles, cookie banners, related
links and footers; it hands back blocks (headings, paragraphs, list items, table rows, quotes, code).
The extracted text is those blocks, a blank line between two. Each block is looked up in the page's
element tree (lxml, in document order, never going back): the element whose text holds it gives the
source line it starts on, and its last word, found on or after that line, the line it ends on. A
passage whose blocks all map is cited by those HTML source lines; one that does not is cited by the
heading it stands under, its lines left 0 (unknown) rather than guessed.
"""
from __future__ import annotations

import re

from .. import corpus
from ..corpus import Document, Line, Params, Span
from . import MissingExtra, Parsed, Piece
from .sections import Block, code_ranges, indexed_body, passages as section_passages, path_text

_SPACE = re.compile(r"\s+")
_LINE_END = re.compile(r"\r\n|\r|\n")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]{2,}")
_BLOCKS = {"head", "p", "item", "row", "quote", "code"}
_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta", "link"}
SCAN_LINES = 400  # how far past an element's first line its last word is looked for


def _libraries():
    try:
        import lxml.html
        import trafilatura
    except ImportError:
        raise MissingExtra("html") from None
    return trafilatura, lxml.html


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def extract(html: str) -> tuple[list[tuple[str, int]], str | None]:
    """The main text's blocks as (text, heading level or 0) in page order, and the page title."""
    trafilatura, lxml_html = _libraries()
    from lxml import etree

    xml = trafilatura.extract(html, output_format="xml", with_metadata=True, include_tables=True,
                              include_comments=False, include_links=False, include_images=False,
                              deduplicate=False, favor_precision=False)
    title = None
    blocks: list[tuple[str, int]] = []
    if xml:
        root = etree.fromstring(xml.encode("utf-8"))
        title = _norm(root.get("title") or "") or None
        main = root.find("main")
        if main is not None:
            _walk(main, blocks)
    if title is None:
        try:
            tree = lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
            found = tree.findtext(".//title")
            title = _norm(found or "") or None
        except Exception:  # noqa: BLE001 - no title is no error
            pass
    return blocks, title


def _walk(element, out: list[tuple[str, int]]) -> None:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _BLOCKS:
            if child.tag == "row":
                text = " | ".join(_norm("".join(cell.itertext())) for cell in child)
            else:
                text = _norm("".join(child.itertext()))
            if text:
                level = 0
                if child.tag == "head":
                    rend = child.get("rend") or ""
                    level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
                out.append((text, level))
        else:
            _walk(child, out)


class SourceMap:
    """Where a block of extracted text stands in the HTML source: its first and last line."""

    def __init__(self, html: str):
        _, lxml_html = _libraries()
        # only \r\n, \r and \n end a line (as for the cited file); str.splitlines also splits at U+2028, \x0c, \x85...
        self.lines = _LINE_END.split(html)
        self.elements: list[tuple[int, str, str]] = []  # (first line, normalized text, raw text) in page order
        try:
            tree = lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - an unparsable page maps nothing: cited by heading
            return
        for el in tree.iter():
            if not isinstance(el.tag, str) or el.tag in _SKIP or el.sourceline is None:
                continue
            if any(a.tag in _SKIP for a in el.iterancestors()):
                continue
            raw = el.text_content()
            norm = _norm(raw)
            if norm:
                self.elements.append((el.sourceline, norm, raw))
        self.cursor = 0

    def lines_of(self, text: str) -> tuple[int, int] | None:
        """(first, last) source line of a block, looked for after the last one found; None if not found."""
        best = None
        for i in range(self.cursor, len(self.elements)):
            line, norm, raw = self.elements[i]
            if text in norm and (best is None or len(norm) < len(self.elements[best][1])):
                best = i
                if norm == text:
                    break
        if best is None:
            return None
        first, _, raw = self.elements[best]
        words = _ASCII_WORD.findall(text)
        if not words:
            return None
        last_word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(words[-1])}(?![A-Za-z0-9])")
        guess = first + raw.count("\n")
        for number in [guess] + list(range(first, min(len(self.lines), first + SCAN_LINES) + 1)):
            if 1 <= number <= len(self.lines) and number >= first and last_word.search(self.lines[number - 1]):
                self.cursor = best + 1
                return first, number
        return None


def code_blocks(html: str) -> list[tuple[str, int, int]]:
    """The page's ``<pre>`` blocks (listings included) as (code with its line breaks, first line, last line)."""
    _, lxml_html = _libraries()
    try:
        tree = lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - an unparsable page has no code to add
        return []
    lines = html.splitlines()
    out = []
    for pre in tree.iter("pre"):
        if pre.sourceline is None or any(a.tag in _SKIP for a in pre.iterancestors()):
            continue
        code = "\n".join(line.rstrip() for line in pre.text_content().strip("\r\n").splitlines()).strip("\n")
        if not code.strip():
            continue
        head = code.splitlines()[0].strip()
        first = next((n for n in range(pre.sourceline, min(len(lines), pre.sourceline + 3) + 1)
                      if head and head in _entities_off(lines[n - 1])), pre.sourceline)
        out.append((code, first, first + code.count("\n")))
    return out


def _entities_off(line: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]*>", "", line))


def _with_code(found, srcmap: SourceMap, codes) -> list[tuple[str, int, tuple[int, int] | None]]:
    """trafilatura's blocks with their source lines, its flattened copies of code replaced by the code
    itself, each code block placed before the first block that stands below it in the source."""
    flat = {_norm(code) for code, _, _ in codes}
    mapped = [(text, level, srcmap.lines_of(text)) for text, level in found if not (level == 0 and text in flat)]
    out: list[tuple[str, int, tuple[int, int] | None]] = []
    pending = list(codes)
    for text, level, lines in mapped:
        while pending and lines and pending[0][1] < lines[0]:
            code, first, last = pending.pop(0)
            out.append((code, 0, (first, last)))
        out.append((text, level, lines))
    out.extend((code, 0, (first, last)) for code, first, last in pending)
    return out


def read(source: str, data: bytes, params: Params = Params()) -> Parsed:
    html, encoding = corpus.decode(data)
    found, title = extract(html)
    codes = code_blocks(html) if found else []
    code_texts = {code for code, _, _ in codes}
    items = _with_code(found, SourceMap(html), codes)
    parts: list[str] = []
    blocks: list[Block] = []
    where: dict[int, tuple[int, int] | None] = {}  # extracted line a block starts on -> its source lines
    stack: list[tuple[int, str]] = []
    section, pos, number = 0, 0, 1
    for text, level, lines in items:
        if parts:
            parts.append("\n\n")
            pos += 2
            number += 2
        if level:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            section += 1
            text = "#" * level + " " + text  # marked as in Markdown: a heading is context, never the answer line
        where[number] = lines
        block_lines = []
        for k, line in enumerate(text.split("\n")):
            block_lines.append(Line(number + k, pos, pos + len(line), line))
            pos += len(line) + 1
        pos -= 1
        number += len(block_lines) - 1
        blocks.append(Block([x for x in block_lines if x.text.strip()], tuple(t for _, t in stack), section,
                            heading=bool(level), code=not level and text in code_texts))
        parts.append(text)
    extracted = "".join(parts)
    code_spans = code_ranges(blocks)
    pieces = []
    for span, path in section_passages(extracted, blocks, params):
        mapped = [lines for n, lines in where.items() if span.line_start <= n <= span.line_end]
        if mapped and all(mapped):
            first, last = min(m[0] for m in mapped), max(m[1] for m in mapped)
        else:
            first = last = 0
        heading = " ".join(path)
        extra = title if title and (not path or path[0] != title) else ""
        body = indexed_body(extracted, span.char_start, span.char_end, code_spans, str)
        index_text = "\n".join(x for x in (extra, heading, body) if x)
        pieces.append(Piece(Span(span.char_start, span.char_end, first, last), index_text, path_text(path)))
    notes = [] if found else ["no main text found"]
    return Parsed(Document(source, extracted, encoding), "html", pieces, stored=True, title=title, notes=notes)
