"""The Python API: open (or build) the index of a folder and ask it questions.

    >>> import qa
    >>> index = qa.open_index("seeds")
    >>> answer = index.ask("Who is the Kremlin spokesman?", k=3)
    >>> answer.answer.text, answer.results[0].citation

The command line is a thin layer over these calls.
"""
from __future__ import annotations

import re
import os
import stat
import sys
from collections import OrderedDict
from dataclasses import asdict
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import answer as answering
from . import heap
from . import index as store
from . import storage
from .corpus import Params, Skipped, decode, read_bytes
from .errors import QAError
from .hashing import n_features
from .model import Answer, AnswerLine, Citation, Result
from .query import Concept, Query, likely_terms, parse
from .search import Scoring, Searcher, Segment
from .storage import IndexDamaged

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = ["Index", "open_index", "build_index"]

MAX_WORD_CHARS = 100
_LONG_WORD = re.compile(rf"\w{{{MAX_WORD_CHARS + 1},}}")


def warn_stderr(message: str) -> None:
    from .render import one_line  # a file name in a message may hold anything: one line, no escapes
    print(f"qa: {one_line(message)}", file=sys.stderr, flush=True)


def _resolve(corpus, index) -> tuple[Path, Path]:
    corpus_dir = Path(corpus).expanduser() if corpus is not None else store.DEFAULT_CORPUS
    if not corpus_dir.exists():
        raise QAError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise QAError(f"corpus is not a folder: {corpus_dir}")
    corpus_dir = corpus_dir.resolve()
    index_dir = Path(index).expanduser() if index is not None else store.default_index_for(corpus_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise QAError(f"index path is not a folder: {index_dir}")
    ancestor = index_dir.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not index_dir.exists() and not ancestor.is_dir():
        raise QAError(f"cannot create the index folder {index_dir}: {ancestor} is not a folder")
    return corpus_dir, index_dir.absolute()


def build_index(corpus=None, index=None, *, params: Params | None = None, scoring: Scoring | None = None,
                progress=None, warn=warn_stderr, cluster=None) -> "Index":
    """Index every file of ``corpus`` into ``index`` from scratch and open it.

    ``cluster``: a Dask scheduler address, ``local:N`` or a dask Client, to build and answer there."""
    corpus_dir, index_dir = _resolve(corpus, index)
    cluster = _connect(cluster)
    with _writing(index_dir):
        manifest = store.build(corpus_dir, index_dir, params or Params(), progress, warn,
                               cluster.builder() if cluster else None)
    return Index(corpus_dir, index_dir, manifest, scoring or Scoring(), cluster)


def _connect(cluster):
    if cluster is None:
        return None
    from .cluster import connect  # only here: the single-machine path imports nothing of Dask
    return connect(cluster)


@contextmanager
def _writing(index_dir: Path):
    """A failed write (disk full, read-only file system) is one line; the manifest swap keeps the old index."""
    try:
        yield
    except OSError as exc:
        raise QAError(f"cannot write the index {index_dir}: {exc.strerror or exc}; "
                      "the previous index, if any, is unchanged") from exc


def open_index(corpus=None, index=None, *, update: bool = True, scoring: Scoring | None = None,
               progress=None, warn=warn_stderr, cluster=None) -> "Index":
    """The index of ``corpus`` (default: the seeds), built when missing or damaged, updated when the files changed.

    ``cluster``: a Dask scheduler address, ``local:N`` or a dask Client: update and answer there."""
    corpus_dir, index_dir = _resolve(corpus, index)
    scoring = scoring or Scoring()
    cluster = _connect(cluster)

    def rebuild(reason: str) -> Index:
        warn(reason)
        return build_index(corpus_dir, index_dir, scoring=scoring, progress=progress, warn=warn, cluster=cluster)

    for _attempt in range(3):
        try:
            manifest = storage.read_manifest(index_dir)
        except IndexDamaged as exc:
            if not update:
                raise
            return rebuild(f"{exc}; rebuilding the index")
        if manifest is None:
            if not update:
                raise QAError(f"no index at {index_dir}; run 'qa index'")
            return rebuild(f"indexing {corpus_dir} into {index_dir}")
        if Path(manifest.get("corpus", "")) != corpus_dir:
            raise QAError(f"index {index_dir} belongs to the corpus {manifest.get('corpus')}; "
                          f"choose another --index, or rebuild it with 'qa index --corpus {corpus_dir} "
                          f"--index {index_dir}'")
        if update and manifest.get("params") != asdict(Params()):
            return rebuild("the index was built with other passage settings; rebuilding it")
        if update:
            current = store.scan(corpus_dir)
            to_read, to_drop = store.changes(manifest, current)
            if to_read or to_drop:
                changed = len(set(to_read) | set(to_drop))
                warn(f"the corpus changed ({changed} file{'s' if changed > 1 else ''}); updating the index")
                with _writing(index_dir):
                    manifest = store.update(corpus_dir, index_dir, manifest, current, warn, progress,
                                            cluster.builder() if cluster else None)
        try:
            return Index(corpus_dir, index_dir, manifest, scoring, cluster)
        except IndexDamaged as exc:
            if storage.read_manifest(index_dir) != manifest:
                continue  # a writer replaced the index while we opened it: open the new one
            if not update:
                raise
            return rebuild(f"{exc}; rebuilding the index")
    raise QAError(f"index {index_dir} keeps changing while it is opened; try again")


class Index:
    """An opened index: ask it questions, list its sources, read its passages."""

    def __init__(self, corpus_dir: Path, index_dir: Path, manifest: dict, scoring: Scoring = Scoring(), cluster=None):
        """``cluster``: a qa.cluster.Cluster whose workers score the questions (None: this process)."""
        self.corpus = corpus_dir
        self._root = str(corpus_dir)
        self.path = index_dir
        self.manifest = manifest
        self.cluster = cluster
        total = sum(m["bytes"] for s in manifest["segments"] for m in s["arrays"].values())
        verify = total <= storage.VERIFY_BYTES
        segments = [Segment(index_dir / s["name"], s, verify) for s in manifest["segments"]]
        features = n_features(int(manifest["hash_bits"]))
        if cluster is None:
            heap.keep_freed_memory()
            self.searcher = Searcher(segments, features, scoring)
        else:
            self.searcher = cluster.searcher(index_dir, manifest, segments, features, scoring, verify)
        self.scoring = scoring
        self._texts: OrderedDict[str, str] = OrderedDict()
        # opened now, as the segments are: a rebuild may remove these folders while we answer
        self._places: dict[str, tuple] = {}  # segment name -> (places array or None, section paths)
        self._prepared: dict[int, tuple] = {}  # id(weights) -> a first pass and feedback made for ask_many
        self._stored: dict[str, object] = {}  # segment name -> its stored extracted texts (bytes array)
        for s in manifest["segments"]:
            arrays = s["arrays"]
            places = storage.read_array(index_dir / s["name"], arrays["places"], False) if "places" in arrays else None
            self._places[s["name"]] = (places, s.get("sections", []))
            if "stored" in arrays:
                self._stored[s["name"]] = storage.read_array(index_dir / s["name"], arrays["stored"], False)

    def close(self) -> None:
        """Disconnect from the cluster this index was opened on (a no-op on one machine)."""
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- what is in it

    @property
    def passage_count(self) -> int:
        return self.searcher.n

    @property
    def document_count(self) -> int:
        return sum(1 for f in self.manifest["files"].values() if f.get("count"))

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
        entry = self.manifest["files"].get(source) or {}
        return {k: entry[k] for k in ("format", "title", "notes", "encoding", "skipped") if k in entry}

    def place(self, pid: int) -> tuple[str | None, int | None]:
        """(heading path, PDF page) of passage ``pid``; None for what it does not have."""
        seg, local = self.searcher.locate(pid)
        places, sections = self._places.get(seg.name, (None, []))
        if places is None or local >= len(places):
            return None, None
        section, page = int(places[local, 0]), int(places[local, 1])
        return (sections[section] if 0 <= section < len(sections) else None), (page or None)

    def _stored_text(self, source: str, entry: dict) -> str:
        data = self._stored.get(entry.get("segment"))
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
        text = self._texts.get(source)
        if text is None:
            path = self.corpus / source
            try:
                st = path.stat()
                # HTML and PDF: the extracted text, as indexed, is kept in the index; only its date is checked
                data = read_bytes(path) if entry.get("text") is None else b""
            except OSError as exc:
                raise QAError(f"cannot read {source}: {exc.strerror}") from exc
            except Skipped as exc:
                raise QAError(f"cannot read {source}: {exc}") from exc
            if (st.st_size, st.st_mtime_ns) != (entry["size"], entry["mtime_ns"]):
                raise QAError(f"{source} changed since it was indexed; ask again to update the index")
            text = self._stored_text(source, entry) if entry.get("text") is not None else decode(data)[0]
            self._texts[source] = text
            if len(self._texts) > 64:
                self._texts.popitem(last=False)
        return text

    def span_text(self, source: str, start: int, end: int) -> str:
        """``source_text(source)[start:end]``, reading only those bytes when the file is plain ASCII."""
        if source not in self._texts:
            entry = self.manifest["files"].get(source) or {}
            if entry.get("ascii") and entry.get("encoding") == "utf-8" and entry.get("count"):
                data = self._read_span(source, entry, start, end)
                if data is not None:
                    return data
        return self.source_text(source)[start:end]

    def _read_span(self, source: str, entry: dict, start: int, end: int) -> str | None:
        try:
            fd = os.open(os.path.join(self._root, source), os.O_RDONLY | os.O_NONBLOCK)
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
        return data.decode("ascii") if data.isascii() and len(data) == end - start else None

    def passage_source(self, pid: int) -> str:
        return self.searcher.passage(pid)[0]

    def passage_text(self, pid: int) -> str:
        source, cs, ce, _, _ = self.searcher.passage(pid)
        return self.span_text(source, cs, ce)

    # ---- asking

    def parse(self, question: str) -> Query:
        if not isinstance(question, str) or not question.strip():
            raise QAError("empty question" if isinstance(question, str) else "a question must be a string")
        query = parse(_clipped(question), self.searcher, self.scoring)
        query.text = question
        return query

    def search(self, question: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best (passage id, score) pairs: ranking only, no answer line."""
        return self._ranked(self.parse(question).weights, k)

    def expand(self, weights: dict[str, float]) -> dict[str, float]:
        """Pseudo-relevance feedback (Rocchio): add the terms that stand out in the best passages."""
        return self._expanded(weights, self.scoring.feedback_passages)[0]

    def _feedback_on(self, weights: dict[str, float]) -> bool:
        n = self.scoring.feedback_passages
        return bool(n and weights and self.searcher.n >= self.scoring.feedback_min_corpus)

    def _expanded(self, weights: dict[str, float], k: int) -> tuple[dict[str, float], list[tuple[int, float]]]:
        """(``expand(weights)``, the ``k`` best passages for ``weights`` themselves: the first pass)."""
        n = self.scoring.feedback_passages
        if not self._feedback_on(weights):
            return weights, []
        prepared = self._prepared.get(id(weights))
        if prepared is not None and prepared[0] is weights and prepared[1] == max(n, k):
            return prepared[2], prepared[3]
        top = self.searcher.top(weights, max(n, k))
        if not top:
            return weights, top
        return answering.feedback(weights, [self.passage_text(pid) for pid, _ in top[:n]], self.searcher,
                                  self.scoring.feedback_terms, self.scoring.feedback_weight), top

    def _ranked(self, weights: dict[str, float], k: int) -> list[tuple[int, float]]:
        """``searcher.top(expand(weights), k)``. Feedback only adds weight, so no passage scores less
        after it than before: the first pass's k-th score is a floor for the second, which then
        scans fewer terms and looks up fewer passages (the same ranking)."""
        if not weights:
            return self.searcher.top(weights, k)
        # a searcher that scores elsewhere (a cluster's) ranks as it always does
        lazy = type(self.searcher).top is Searcher.top
        expanded, first = self._expanded(weights, k if lazy else 0)
        if lazy and len(first) >= k:
            return self.searcher.top_above(expanded, k, first[k - 1][1])
        return self.searcher.top(expanded, k)

    def ask(self, question: str, k: int = 3) -> Answer:
        """The answer line and the top ``k`` passages for ``question``."""
        return self.answer(self.parse(question), k)

    def ask_many(self, questions: list[str], k: int = 3) -> list[Answer]:
        """``[ask(q, k) for q in questions]``, the same answers, faster: the postings of all the
        questions' terms, then of all their feedback terms, are looked up together."""
        questions = list(questions)
        self.searcher.dfs(list(dict.fromkeys(t for q in questions for t in likely_terms(_clipped(q)))))
        queries = [self.parse(q) for q in questions]
        if type(self.searcher).top is Searcher.top and k >= 1:
            self._prepare_feedback([q.weights for q in queries], k * 4 + 8)
        try:
            return [self.answer(q, k) for q in queries]
        finally:
            self._prepared.clear()

    def _prepare_feedback(self, many: list[dict[str, float]], k: int) -> None:
        """_expanded(weights, k) for each of ``many``, their feedback terms looked up together."""
        n = self.scoring.feedback_passages
        staged = []
        for weights in many:
            if weights and self._feedback_on(weights) and id(weights) not in self._prepared:
                top = self.searcher.top(weights, max(n, k))
                texts = [self.passage_text(pid) for pid, _ in top[:n]]
                staged.append((weights, top, *answering.feedback_candidates(texts, self.searcher,
                                                                             self.scoring.feedback_terms)))
        self.searcher.dfs(list(dict.fromkeys(t for *_, candidates in staged for t in candidates)))
        for weights, top, mass, candidates in staged:
            expanded = answering.feedback_from(weights, mass, candidates, self.searcher, self.scoring.feedback_terms,
                                               self.scoring.feedback_weight) if top else weights
            self._prepared[id(weights)] = (weights, max(n, k), expanded, top)

    def conversation(self) -> "Conversation":
        from .conversation import Conversation
        return Conversation(self)

    def answer(self, query: Query, k: int = 3, context: list[Concept] | None = None) -> Answer:
        """Rank, fold near-duplicates, pick the answer line for an already parsed ``query``."""
        if k < 1:
            raise QAError("k must be at least 1")
        hits = self._ranked(query.weights, k * 4 + 8) if query.weights else []
        results: list[Result] = []
        kept = _KeptShingles()
        for pid, score in hits:
            source, cs, ce, ls, le = self.searcher.passage(pid)
            text = self.span_text(source, cs, ce)
            section, page = self.place(pid)
            sh = _shingles(text)
            dup = kept.first_near_duplicate(sh)
            if dup is not None:
                cite = Citation(source, ls, le, section, page)
                if cite not in results[dup].also_in and source != results[dup].source:
                    results[dup].also_in.append(cite)
                continue
            if len(results) == k:
                continue
            results.append(Result(rank=len(results) + 1, score=round(score, 4), source=source,
                                  line_start=ls, line_end=le, text=text, char_start=cs, char_end=ce,
                                  passage_id=pid, section=section, page=page))
            kept.append(sh)
        concepts = query.concepts + (context or [])
        line = None
        if results and answering.coverage(concepts, results[0].text) >= answering.ANSWER_COVERAGE:
            top = results[0]
            s, e = answering.best_sentence(top.text, query.concepts or concepts, query.weights)
            first = top.line_start + answering.line_of(top.text, s)
            last = top.line_start + answering.line_of(top.text, e)
            if self.manifest["files"].get(top.source, {}).get("format") == "html":
                first, last = top.line_start, top.line_end  # source lines: the sentence's own are not known
            line = AnswerLine(top.text[s:e], top.source, first, last, top.section, top.page)
        return Answer(question=query.text, answer=line, results=results, query=query.text, terms=query.terms)


_NEAR_DUPLICATE = answering.near_duplicate.__defaults__[0]  # its threshold: one place to change it


def _clipped(question: str) -> str:
    """``question`` with no word longer than MAX_WORD_CHARS: a longer run of letters ("aaaa...", a
    pasted blob) is cut for matching, since the spelling step's work grows with the square of a
    word's length."""
    return _LONG_WORD.sub(lambda m: m.group()[:MAX_WORD_CHARS], question)


def _shingles(text: str) -> set[int]:
    """``answering.shingles(text)``, its word 4-grams made by zip rather than by slicing."""
    ws = answering.analysis.words(text)
    if len(ws) < answering._SHINGLE:
        return {hash(tuple(ws))}
    return {hash(g) for g in zip(*(ws[i:] for i in range(answering._SHINGLE)))}


class _KeptShingles:
    """The shingles of the passages kept so far, indexed by shingle: the first kept passage that a new
    one near-duplicates (``answering.near_duplicate``) is found from the shingles they share, without
    intersecting the new one's set with every kept one's."""

    def __init__(self) -> None:
        self.sets: list[set[int]] = []
        self.holders: dict[int, list[int]] = {}

    def first_near_duplicate(self, sh: set[int]) -> int | None:
        if not sh or not self.sets:
            return None
        shared: dict[int, int] = {}
        holders = self.holders
        for h in sh:
            for i in holders.get(h, ()):
                shared[i] = shared.get(i, 0) + 1
        for i in sorted(shared):
            # answering.near_duplicate(sh, kept), from the count of shared shingles
            if shared[i] / min(len(sh), len(self.sets[i])) >= _NEAR_DUPLICATE:
                return i
        return None

    def append(self, sh: set[int]) -> None:
        i = len(self.sets)
        self.sets.append(sh)
        for h in sh:
            self.holders.setdefault(h, []).append(i)
