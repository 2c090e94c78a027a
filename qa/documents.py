"""The document store of an opened index: sources, their texts read back, a passage's text and place."""
from __future__ import annotations

import os
import stat
from collections import OrderedDict
from pathlib import Path

from . import storage
from .corpus import Skipped, decode, read_bytes
from .errors import CorpusChanged, QAError
from .storage import IndexDamaged

TEXT_CACHE = 64  # decoded sources kept in memory


class Documents:
    """What the manifest says of the sources, and the passages' texts, read from the corpus or the index."""

    def __init__(self, corpus_dir: Path, index_dir: Path, manifest: dict, searcher):
        """``searcher``: maps a passage id to its segment and span (``locate``, ``passage``)."""
        self.corpus = corpus_dir
        self.root = str(corpus_dir)
        self.manifest = manifest
        self.searcher = searcher
        self.texts: OrderedDict[str, str] = OrderedDict()
        # opened now, as the segments are: a rebuild may remove these folders while we answer
        self.places: dict[str, tuple] = {}  # segment name -> (places array or None, section paths)
        self.stored: dict[str, object] = {}  # segment name -> its stored extracted texts (bytes array)
        for s in manifest["segments"]:
            arrays = s["arrays"]
            places = storage.read_array(index_dir / s["name"], arrays["places"], False) if "places" in arrays else None
            self.places[s["name"]] = (places, s.get("sections", []))
            if "stored" in arrays:
                self.stored[s["name"]] = storage.read_array(index_dir / s["name"], arrays["stored"], False)

    def sources(self) -> list[tuple[str, int]]:
        """(source, passages) of each indexed document, by path."""
        return sorted((s, f["count"]) for s, f in self.manifest["files"].items() if f.get("count"))

    def skipped(self) -> list[tuple[str, str]]:
        return sorted((s, f["skipped"]) for s, f in self.manifest["files"].items() if f.get("skipped"))

    def formats(self) -> dict[str, int]:
        """Indexed documents per format ("txt", "md", "html", "pdf")."""
        counts: dict[str, int] = {}
        for f in self.manifest["files"].values():
            if f.get("count"):
                counts[f.get("format", "txt")] = counts.get(f.get("format", "txt"), 0) + 1
        return dict(sorted(counts.items()))

    def source_info(self, source: str) -> dict:
        """What the manifest knows of a source: format, title, notes (pages skipped), encoding."""
        entry = self.manifest["files"].get(source)
        if entry is None:
            raise QAError(f"not an indexed source: {source}")
        return {k: entry[k] for k in ("format", "title", "notes", "encoding", "skipped") if k in entry}

    def place(self, pid: int) -> tuple[str | None, int | None]:
        """(heading path, PDF page) of passage ``pid``; None for what it does not have."""
        seg, local = self.searcher.locate(pid)
        places, sections = self.places.get(seg.name, (None, []))
        if places is None or local >= len(places):
            return None, None
        section, page = int(places[local, 0]), int(places[local, 1])
        return (sections[section] if 0 <= section < len(sections) else None), (page or None)

    def stored_text(self, source: str, entry: dict) -> str:
        """The extracted text of an HTML or PDF source, as the index keeps it."""
        data = self.stored.get(entry.get("segment"))
        start, end = entry["text"]
        if data is None or end > len(data):
            raise IndexDamaged(f"the index lacks the stored text of {source}; rebuild it with 'qa index'")
        return bytes(data[start:end]).decode("utf-8", "surrogatepass")

    def source_text(self, source: str) -> str:
        """The decoded text of an indexed source, exactly as it was indexed (for HTML and PDF, the
        extracted text, read back from the index)."""
        entry = self.manifest["files"].get(source)
        if not entry or not entry.get("count"):
            raise QAError(f"not an indexed source: {source}")
        path = self.corpus / source
        text = self.texts.get(source)
        try:
            st = path.stat()  # each time, the text cached or not: a file edited meanwhile is never quoted as it was
            # HTML and PDF: the extracted text, as indexed, is kept in the index; only its date is checked
            data = read_bytes(path) if text is None and entry.get("text") is None else b""
        except FileNotFoundError as exc:  # deleted since it was indexed: the index is updated, then asked again
            self.texts.pop(source, None)
            raise CorpusChanged(f"{source} was deleted since it was indexed; ask again to update the index") from exc
        except OSError as exc:
            raise QAError(f"cannot read {source}: {exc.strerror}") from exc
        except Skipped as exc:
            raise QAError(f"cannot read {source}: {exc}") from exc
        if (st.st_size, st.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
            self.texts.pop(source, None)
            raise CorpusChanged(f"{source} changed since it was indexed; ask again to update the index")
        if text is None:
            text = self.stored_text(source, entry) if entry.get("text") is not None else decode(data)[0]
            self.texts[source] = text
            if len(self.texts) > TEXT_CACHE:
                self.texts.popitem(last=False)
        return text

    def span_text(self, source: str, start: int, end: int) -> str:
        """``source_text(source)[start:end]``, reading only those bytes when the file is plain ASCII."""
        if source not in self.texts:
            entry = self.manifest["files"].get(source) or {}
            if entry.get("ascii") and entry.get("encoding") == "utf-8" and entry.get("count"):
                data = self.read_span(source, entry, start, end)
                if data is not None:
                    return data
        return self.source_text(source)[start:end]

    def read_span(self, source: str, entry: dict, start: int, end: int) -> str | None:
        """The ASCII bytes [start, end) of an unchanged regular file; None when that cannot be vouched for."""
        try:
            fd = os.open(os.path.join(self.root, source), os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or (st.st_size, st.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
                return None  # let source_text say what is wrong
            data = os.pread(fd, end - start, start)
        except OSError:
            return None
        finally:
            os.close(fd)
        if not data.isascii() or len(data) != end - start:
            return None
        return data.decode("ascii").replace("\x00", " ")  # as corpus.decode reads a NUL

    def passage_source(self, pid: int) -> str:
        return self.searcher.passage(pid)[0]

    def passage_text(self, pid: int) -> str:
        source, cs, ce, _, _ = self.searcher.passage(pid)
        return self.span_text(source, cs, ce)

    def is_html(self, source: str) -> bool:
        return self.manifest["files"].get(source, {}).get("format") == "html"
