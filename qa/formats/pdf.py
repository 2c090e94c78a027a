"""PDF: the text of each page (pypdf, extra ``qa[pdf]``, imported only here), passages cited by page.

The document's text is its pages' extracted text, one after another with a blank line between; a
passage never crosses a page. Lines repeated on many pages (running headers, footers) and the short
non-prose lines at a page's top and bottom (page numbers) are dropped by the core's boilerplate rules.
A page with no text layer (a scanned image) is reported as skipped, not indexed as empty.
"""
from __future__ import annotations

import io
import logging

from .. import corpus
from ..corpus import Document, Params, Skipped
from . import MissingExtra, Parsed, Piece


def _pypdf():
    try:
        import pypdf
    except ImportError:
        raise MissingExtra("pdf") from None
    return pypdf


def page_texts(data: bytes, on_page=None) -> tuple[list[str | None], str | None]:
    """Each page's text (None for a page without a text layer but with images: scanned) and the title;
    ``on_page(pages read, pages)`` is called after each page (a long PDF's progress)."""
    pypdf = _pypdf()
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)  # pypdf warns on every odd object; the file is read all the same
    try:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise Skipped("encrypted PDF")
            pages = list(reader.pages)
        except Skipped:
            raise
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken file
            raise Skipped(f"not a readable PDF ({type(exc).__name__})") from exc
        texts: list[str | None] = []
        for number, page in enumerate(pages, 1):
            try:
                text = page.extract_text() or ""
            except Exception:  # noqa: BLE001 - one bad page does not lose the others
                text = ""
            text = text.replace("\x00", "")
            if not text.strip():
                texts.append(None if _has_images(page) else "")
            else:
                texts.append(text)
            if on_page is not None:
                on_page(number, len(pages))
        title = None
        try:
            title = (reader.metadata or {}).get("/Title")
        except Exception:  # noqa: BLE001
            pass
        return texts, str(title).strip() if title else None
    finally:
        logger.setLevel(level)


def _has_images(page) -> bool:
    try:
        return bool(page.images)
    except Exception:  # noqa: BLE001
        return True


def read(source: str, data: bytes, params: Params = Params(), on_page=None) -> Parsed:
    texts, title = page_texts(data, on_page)
    notes = []
    scanned = [n for n, t in enumerate(texts, 1) if t is None]
    if scanned:
        notes.append(f"{_pages(scanned)} without a text layer (scanned?) skipped")
    parts, bounds = [], []
    pos = 0
    for n, t in enumerate(texts, 1):
        if not t or not t.strip():
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        bounds.append((n, pos, pos + len(t)))
        parts.append(t)
        pos += len(t)
    text = "".join(parts)
    units = corpus.units(text)
    by_page = units_by_page(units, bounds)
    # lines on several pages are running heads and feet; a two-page file shows them twice
    common = corpus.common_keys((corpus.short_keys(u) for u in by_page), min(3, max(2, len(by_page))))
    pieces = []
    for (n, _, _), page_units in zip(bounds, by_page):
        if page_units:
            for span in corpus.split_passages(text, params, common, page_units):
                pieces.append(Piece(span, page=n))
    if texts and not bounds:
        raise Skipped("no text layer (scanned pages?)" if scanned else "no text")
    return Parsed(Document(source, text, "pdf"), "pdf", pieces, stored=True, title=title, notes=notes)


def units_by_page(units: list, bounds: list[tuple[int, int, int]]) -> list[list]:
    """Each page's units, in one pass over both (units and pages are in text order): linear, not pages x units."""
    by_page = [[] for _ in bounds]
    page = 0
    for unit in units:
        while page < len(bounds) and unit.start >= bounds[page][2]:
            page += 1
        if page == len(bounds):
            break
        if unit.start >= bounds[page][1]:
            by_page[page].append(unit)
    return by_page


def _pages(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")
    return f"{len(numbers)} pages ({shown})"
