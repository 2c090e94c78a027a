"""HTML: a page's main text (trafilatura, extra ``qa[html]``), its title, and citations by source line.

trafilatura finds the article text and leaves out navigation, scripts, styles, cookie banners, related
links and footers; it hands back blocks (headings, paragraphs, list items, table rows, quotes, code).
The extracted text is those blocks, a blank line between two. Each block is looked up in the page's
element tree (lxml, in document order, never going back): the innermost element whose text holds it gives
the source line it starts on; the line it ends on is the last one before the next element that holds its last
word (tags and comments are no words; lone CRs end lines, as in every cited file). A
passage whose blocks all map is cited by those HTML source lines; one that does not is cited by the
heading it stands under, its lines left 0 (unknown) rather than guessed.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .. import corpus
from ..corpus import Document, Line, Params, Skipped, Span
from . import MissingExtra, Parsed, Piece
from .sections import Block, code_ranges, indexed_body, passages as section_passages, path_text

_SPACE = re.compile(r"\s+")
_LOOSE = re.compile(r"[\s|]+")
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]*\Z")
_LINE_END = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script: a page in Russian has words too
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

    xml = _extracted(trafilatura, html)
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


def _extracted(trafilatura, html: str) -> str | None:
    """trafilatura's XML of the page's main text. trafilatura writes the page's tree out and reads it back as
    XML, so a tag or attribute name that HTML parsers take and XML refuses (``<john.doe@example.com>`` in a
    heading) makes it raise: then the page is read again with such tags unwrapped, and skipped if that fails."""
    options = dict(output_format="xml", with_metadata=True, include_tables=True, include_comments=False,
                   include_links=False, include_images=False, deduplicate=False, favor_precision=False)
    try:
        return trafilatura.extract(html, **options)
    except Exception:  # noqa: BLE001 - retried below with the names XML refuses taken out
        pass
    try:
        return trafilatura.extract(_xml_names_only(html), **options)
    except Exception as exc:  # noqa: BLE001 - a page trafilatura cannot read is skipped, never the folder
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise Skipped(f"trafilatura could not read it ({type(exc).__name__}{': ' + reason if reason else ''})") from exc


def _xml_names_only(html: str):
    """The page's lxml tree with every element whose tag XML refuses unwrapped (its text and children kept)
    and every attribute whose name XML refuses removed."""
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(html.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    for element in list(tree.iter()):
        if not isinstance(element.tag, str):
            continue
        for name in [n for n in element.attrib if not _XML_NAME.match(n)]:
            del element.attrib[name]
        if not _XML_NAME.match(element.tag) and element.getparent() is not None:
            element.drop_tag()
    return tree


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


def _parsed(html: str):
    """The page's element tree, its lines numbered as the cited file's: only \\r\\n, \\r and \\n end a line (lxml
    counts no lone \\r; str.splitlines also splits at U+2028, \\x0c, \\x85...). None when it cannot be parsed."""
    _, lxml_html = _libraries()
    try:
        return lxml_html.document_fromstring(_LINE_END.sub("\n", html).encode("utf-8"),
                                             parser=lxml_html.HTMLParser(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - an unparsable page maps nothing
        return None


class Element(NamedTuple):
    first: int  # the line its start tag is on
    norm: str  # its text, white space folded
    raw: str  # its text as in the tree
    until: int  # the line the next element after it (not inside it) starts on: its last line is no later
    next_tag: str  # that element's tag ("" when none follows)


class SourceMap:
    """Where a block of extracted text stands in the HTML source: its first and last line."""

    def __init__(self, html: str, tree=...):
        """``tree``: the page's tree (_parsed) when already made."""
        self.lines = _LINE_END.split(html)
        self.elements: list[Element] = []  # in page order
        self.norms: list[str] = []  # their texts, white space folded
        self.loose: list[str] | None = None  # the same as _loose, made when first needed
        self.cursor = 0
        tree = _parsed(html) if tree is ... else tree
        if tree is None:
            return  # an unparsable page maps nothing: cited by heading
        for el in tree.iter():
            if not isinstance(el.tag, str) or el.tag in _SKIP or el.sourceline is None:
                continue
            if any(a.tag in _SKIP for a in el.iterancestors()):
                continue
            raw = el.text_content()
            norm = _norm(raw)
            if norm:
                after = _following(el)
                self.elements.append(Element(_text_line(el), norm, raw, after.sourceline if after is not None
                                             else len(self.lines), after.tag if after is not None else ""))
                self.norms.append(norm)

    def lines_of(self, text: str) -> tuple[int, int] | None:
        """(first, last) source line of a block, looked for after the last one found; None if not found."""
        best = self._innermost(text, self.norms)
        if best is None:  # a table row ("a | b": cells side by side in the source) or words that touch across tags
            if self.loose is None:
                self.loose = [_loose(element.norm) for element in self.elements]
            best = self._innermost(_loose(text), self.loose)
        if best is None:
            return None
        element = self.elements[best]
        last = self.last_line(element, text)
        if last is not None:
            self.cursor = best + 1
            return element.first, last
        return None

    def _innermost(self, text: str, keys: list[str]) -> int | None:
        """The innermost element from the cursor on whose key holds ``text`` (the first that is exactly it)."""
        best, best_key = None, ""
        for i in range(self.cursor, len(self.elements)):
            norm = keys[i]
            if text in norm and (best is None or len(norm) < len(best_key) or norm == text == best_key):
                best, best_key = i, norm  # the innermost element that is exactly the block (a <p> in a <section>)
            elif best is not None and best_key == text:
                break
        return best

    def last_line(self, element: Element, text: str) -> int | None:
        """The line the block ends on: for a block that is the element's whole text, the last line before the next
        element that holds the block's last word; else the first from the element's start that holds it."""
        words = _WORD.findall(text)
        if not words:
            return None
        last_word = re.compile(rf"(?<![^\W_]){re.escape(words[-1])}(?![^\W_])")
        until = min(len(self.lines), element.until)
        if until <= element.first:
            return element.first  # the next element starts on its first line: it is all on that line
        if element.norm == text:
            for number in range(until, element.first - 1, -1):
                line = self.lines[number - 1]
                if number == element.until and element.next_tag:  # the next element's own text is not this block's
                    cut = line.lower().find("<" + element.next_tag.lower())
                    line = line[:cut] if cut >= 0 else line
                if last_word.search(_words_off(line)):
                    return number
        guess = element.first + element.raw.count("\n")
        for number in [guess] + list(range(element.first, min(until, element.first + SCAN_LINES) + 1)):
            if element.first <= number <= until and last_word.search(_words_off(self.lines[number - 1])):
                return number
        return None


def _text_line(el) -> int:
    """The line an element's text starts on: its start tag's, or, when only white space follows that tag, the line
    where its first text does ("<blockquote>" alone on a line, "<p>Note: ..." on the next)."""
    line, lead = el.sourceline, el.text or ""
    while not lead.strip():
        for child in el:
            if not isinstance(child.tag, str) or child.sourceline is None:
                return el.sourceline  # a comment or the like first: the start tag's line, as before
            if _norm(child.text_content()):
                el, line, lead = child, child.sourceline, child.text or ""
                break
            if (child.tail or "").strip():  # "<br>Note: ...": the text follows a child that holds none
                return child.sourceline + _leading_line_ends(child.tail)
        else:
            return line
    return line + _leading_line_ends(lead)


def _leading_line_ends(text: str) -> int:
    return text[:len(text) - len(text.lstrip())].count("\n")


def _loose(text: str) -> str:
    """``text`` without white space and table-cell bars: what is left to compare when cells or tags join words."""
    return _LOOSE.sub("", text)


def _following(el):
    """The first element after ``el`` in page order that is not inside it (None at the end of the page)."""
    node = el
    while node is not None:
        after = node.getnext()
        while after is not None and (not isinstance(after.tag, str) or after.sourceline is None):
            after = after.getnext()
        if after is not None:
            return after
        node = node.getparent()
    return None


def code_blocks(html: str, tree=...) -> list[tuple[str, int, int]]:
    """The page's ``<pre>`` blocks (listings included) as (code with its line breaks, first line, last line)."""
    tree = _parsed(html) if tree is ... else tree
    if tree is None:
        return []  # an unparsable page has no code to add
    lines = _LINE_END.split(html)
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


def _entities_off(line: str, between: str = "") -> str:
    """A source line as text: tags taken out (``between`` in their place) and entities decoded."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]*>", between, line))


def _words_off(line: str) -> str:
    """A source line as words: "<td>a</td><td>b</td>" holds two, not "ab"."""
    return _entities_off(line, " ")


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


# <meta charset="..."> or <meta http-equiv="Content-Type" content="text/html; charset=...">, near the start
_DECLARED = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode(data: bytes) -> tuple[str, str]:
    """A page's text: in the charset it declares when it is not UTF-8 and Python knows that charset (a BOM, or
    bytes that are valid UTF-8, win over a declaration, as in browsers), else as any text file."""
    declared = _DECLARED.search(data[:4096])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        import codecs

        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            name = None
        if name and name not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return data.decode(name, errors="replace"), name
    return corpus.decode(data)


def read(source: str, data: bytes, params: Params = Params()) -> Parsed:
    html, encoding = decode(data)
    found, title = extract(html)
    tree = _parsed(html) if found else None  # parsed once, for the code blocks and the source lines
    codes = code_blocks(html, tree) if found else []
    code_texts = {code for code, _, _ in codes}
    items = _with_code(found, SourceMap(html, tree), codes)
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
