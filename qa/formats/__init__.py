"""Format readers: a file -> the text its passages are spans of, and what each passage's citation needs.

Dispatch is by extension. Plain text (``.txt``) goes the core's way (``corpus.split_passages``, with
boilerplate shared across files); the others are cut by their own reader:

- Markdown (``markdown.py``): the text is the file itself (line citations); each passage stays under
  one heading, carries its heading path, and is indexed without markup, its heading path added.
- HTML (``html.py``, extra ``qa[html]``): the page's main text as extracted text, cited by HTML source
  line where a block maps back to the source, else by the heading it stands under.
- PDF (``pdf.py``, extra ``qa[pdf]``): the text by page, cited by page.

For HTML and PDF the passages' text is extracted text, so it is stored in the index (``stored``) and
read back from there: answering needs neither extra, and quotes exactly what was indexed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import corpus
from ..corpus import Document, Params, Skipped, Span

KINDS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
assert set(KINDS) == set(corpus.EXTENSIONS)  # the files listed are the files a reader reads


class MissingExtra(Skipped):
    """A file whose reader needs an optional extra that is not installed."""

    def __init__(self, extra: str):
        from ..install import install_hint
        super().__init__(f"needs {install_hint(extra)}")
        self.extra = extra


@dataclass
class Piece:
    """One passage: its span of the document's text, and what its citation and its terms need."""

    span: Span  # char offsets in Parsed.text; lines as cited (for HTML: lines of the source, 0 unknown)
    index_text: str | None = None  # the text analyzed for the index, when not the quoted text itself
    section: str | None = None  # heading path, "Install > Linux"
    page: int | None = None  # 1-based PDF page


@dataclass
class Parsed:
    doc: Document  # doc.text: what the passages' char offsets refer to
    kind: str  # "txt", "md", "html", "pdf"
    pieces: list[Piece] | None = None  # None: plain text, cut by the core
    stored: bool = False  # doc.text is extracted text: store it in the index
    title: str | None = None
    notes: list[str] = field(default_factory=list)  # what was left out and why ("p. 3: no text layer")


def extra_installed(kind: str | None) -> bool:
    """Whether the optional libraries that ``kind``'s reader needs can be imported (not importing them)."""
    import importlib.util
    modules = {"pdf": ("pypdf",), "html": ("trafilatura", "lxml")}.get(kind or "", ())
    return all(importlib.util.find_spec(m) is not None for m in modules)


def kind_of(path: Path | str) -> str:
    return KINDS.get(Path(path).suffix.lower(), "txt")


def read(root: Path, path: Path, params: Params = Params(), on_page=None) -> Parsed:
    """Read one corpus file with its format's reader; raises Skipped (MissingExtra) when it cannot.

    ``on_page(pages read, pages)``: called as a PDF's pages are read (other formats are read at once)."""
    corpus.check_inside(root, path)
    kind = kind_of(path)
    if kind == "txt":
        return Parsed(corpus.read_document(root, path), kind)
    if kind == "md":
        from . import markdown
        doc = corpus.read_document(root, path)
        return Parsed(doc, kind, markdown.passages(doc.text, params))
    source = corpus.relative_source(root, path)
    try:
        data = corpus.read_bytes(path)
    except OSError as exc:
        raise Skipped(exc.strerror or type(exc).__name__) from exc
    if kind == "pdf":
        from . import pdf
        return pdf.read(source, data, params, on_page)
    from . import html
    return html.read(source, data, params)
