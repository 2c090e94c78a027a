"""The Python API: open (or build) the index of a folder and ask it questions.

    >>> import qa
    >>> index = qa.open_index("seeds")
    >>> answer = index.ask("Who is the Kremlin spokesman?", k=3)
    >>> answer.answer.text, answer.results[0].citation

The command line is a thin layer over these calls.
"""
from __future__ import annotations

import numbers
import os
import re
import sys
from dataclasses import asdict
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import heap, ownership
from . import index as store
from . import storage
from .answer import Compose, Coverage
from .corpus import Params, check_readable
from .documents import Documents
from .errors import CorpusChanged, QAError
from .feedback import Feedback
from .hashing import n_features
from .model import Answer
from .pipeline import Candidates, Pipeline, Question, candidate_depth
from .query import Concept, Query, likely_terms, parse
from .search import Scoring, Searcher, Segment
from .semantic import int8_products, semantic_stage
from .storage import IndexDamaged

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = ["Index", "open_index", "build_index"]

MAX_WORD_CHARS = 100
_LONG_WORD = re.compile(rf"\w{{{MAX_WORD_CHARS + 1},}}")


def warn_stderr(message: str) -> None:
    from .render import one_line  # a file name in a message may hold anything: one line, no escapes
    print(f"qa: {one_line(message)}", file=sys.stderr, flush=True)


def _once(warn, said: list[str]):
    """``warn`` for messages not in ``said`` yet (each then said once)."""
    told = set(said)

    def warn_once(message: str) -> None:
        if message not in told:
            told.add(message)
            warn(message)
    return warn_once


def _silent(message: str) -> None:
    """``warn=None``: notes are not shown."""


def _options(warn, progress, semantic):
    """The API's keyword options checked (QAError for a wrong kind); ``warn=None`` silences the notes."""
    if warn is None:
        warn = _silent
    if not callable(warn) or (progress is not None and not callable(progress)):
        raise QAError("warn and progress must be functions (warn: of one message; progress: of done and total) or None")
    if semantic not in (None, True, False):
        raise QAError(f"semantic must be True, False or None (on when installed), not {semantic!r}")
    return warn


def checked_k(k) -> int:
    """``k`` as the number of passages asked for: a whole number, at least 1 (QAError otherwise)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise QAError(f"k must be a whole number of passages, not {k!r}")
    if k < 1:
        raise QAError("k must be at least 1")
    return int(k)


def _path(value, what: str) -> Path:
    """``value`` (a str or path-like) as a Path; QAError for anything else, an empty path or a NUL byte."""
    if not isinstance(value, (str, os.PathLike)):
        raise QAError(f"the {what} must be a path (str or pathlib.Path), not {type(value).__name__}")
    text = os.fspath(value)
    if not isinstance(text, str) or not text or "\0" in text:
        raise QAError(f"the {what} path is {'empty' if text == '' else 'not a usable path'}: {text!r}")
    return Path(text).expanduser()


def _resolve(corpus, index) -> tuple[Path, Path]:
    corpus_dir = _path(corpus, "corpus") if corpus is not None else store.DEFAULT_CORPUS
    if not corpus_dir.exists():
        raise QAError(f"corpus folder not found: {corpus_dir}")
    if not corpus_dir.is_dir():
        raise QAError(f"corpus is not a folder: {corpus_dir}")
    corpus_dir = corpus_dir.resolve()
    index_dir = _path(index, "index") if index is not None else store.default_index_for(corpus_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise QAError(f"index path is not a folder: {index_dir}")
    ancestor = index_dir.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not index_dir.exists() and not ancestor.is_dir():
        raise QAError(f"cannot create the index folder {index_dir}: {ancestor} is not a folder")
    return corpus_dir, index_dir.absolute()


def build_index(corpus=None, index=None, *, params: Params | None = None, scoring: Scoring | None = None,
                progress=None, warn=warn_stderr, cluster=None, semantic: bool | None = None, model=None,
                int8: bool | None = None) -> "Index":
    """Index every file of ``corpus`` into ``index`` from scratch and open it.

    ``cluster``: a Dask scheduler address, ``local:N`` or a dask Client, to build and answer there;
    ``int8``: passage vectors made with int8 products (about 1.6 times as fast, slightly less exact); None: so when
    they are qa.semantic.INT8_AT (20,000) or more with the default model, else float; ``warn``: prints a one-line
    note (None: silent)."""
    warn = _options(warn, progress, semantic)
    corpus_dir, index_dir = _resolve(corpus, index)
    return _build(corpus_dir, index_dir, params or Params(), scoring or Scoring(), progress, warn, _connect(cluster),
                  semantic, model, int8)


def _build(corpus_dir: Path, index_dir: Path, params: Params, scoring: Scoring, progress, warn, cluster, semantic,
           model, int8, built_meanwhile=None) -> "Index":
    """build_index's work, its arguments checked; ``built_meanwhile``: as for qa.index.build."""
    with _writing(index_dir):
        manifest = store.build(corpus_dir, index_dir, params, progress, warn,
                               cluster.builder(semantic, model, int8) if cluster else None, built_meanwhile)
    index = Index(corpus_dir, index_dir, manifest, scoring, cluster, semantic=semantic, model=model, warn=warn,
                  int8=int8)
    with _writing(index_dir):
        return _keep_up(index.embed_passages(progress), semantic=semantic, model=model, int8=int8)


def _built_since(corpus_dir: Path, index_dir: Path, seen: dict | None) -> dict | None:
    """The manifest another process wrote for this corpus since ``seen`` was read (None when there is none)."""
    try:
        current = storage.read_manifest(index_dir)
    except IndexDamaged:
        return None
    if current is None or current.get("created") == (seen or {}).get("created"):
        return None
    if Path(current.get("corpus", "")) != corpus_dir or current.get("params") != asdict(Params()):
        return None
    return current


def _keep_up(index: "Index", **options) -> "Index":
    """``index``, which updates itself (open_index) when a file it quotes was edited meanwhile, then answers; not on
    a cluster, whose workers hold the index. No progress callback then: the one given when it was opened belongs
    to that moment (the chat's start-up bar, drawn again inside the running chat, hung it)."""
    if index.cluster is None:
        index.reopen = lambda: open_index(index.corpus, index.path, scoring=index.scoring, warn=index.warn, **options)
    return index


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
               progress=None, warn=warn_stderr, cluster=None, semantic: bool | None = None, model=None,
               int8: bool | None = None) -> "Index":
    """The index of ``corpus`` (default: the seeds), built when missing or damaged, updated when the files changed.

    ``cluster``: a Dask scheduler address, ``local:N`` or a dask Client: update and answer there;
    ``int8``: passage vectors made with int8 products (None: as the index's vectors were made; when it has
    none, as build_index chooses); ``warn``: prints a one-line note (None: silent)."""
    warn = _options(warn, progress, semantic)
    corpus_dir, index_dir = _resolve(corpus, index)
    scoring = scoring or Scoring()
    cluster = _connect(cluster)

    def rebuild(reason: str, seen: dict | None = None) -> Index:
        """The index built anew (``seen``: the manifest found wanting); when another process built it while this
        one waited for the lock, that one, opened."""
        # a corpus qa cannot read, a folder it may not write into: that one error, nothing said before it
        check_readable(corpus_dir)
        ownership.check(index_dir, corpus_dir)
        warn(reason)
        return _build(corpus_dir, index_dir, Params(), scoring, progress, warn, cluster, semantic, model, int8,
                      lambda: _built_since(corpus_dir, index_dir, seen))

    def attempt() -> Index | None:
        """The index opened (updated, rebuilt), or None when a writer replaced it meanwhile: try again."""
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
            return rebuild("the index was built with other passage settings; rebuilding it", manifest)
        if update:
            unreadable: list[str] = []  # told only with a change, not on every question
            current = store.scan(corpus_dir, unreadable.append)
            to_read, to_drop = store.changes(manifest, current)
            if to_read or to_drop:
                changed = len(set(to_read) | set(to_drop))
                warn(f"the corpus changed ({changed} file{'s' if changed > 1 else ''}); updating the index")
                for message in unreadable:
                    warn(message)
                follow = int8_products(int8, manifest)  # the new vectors as the old were made (even if none stay)
                with _writing(index_dir):  # the update lists the folders again: each unreadable one told once
                    manifest = store.update(corpus_dir, index_dir, manifest, current, _once(warn, unreadable), progress,
                                            cluster.builder(semantic, model, follow) if cluster else None)
                    if cluster is None and semantic is not False:  # the new segments' vectors, now
                        manifest = Index(corpus_dir, index_dir, manifest, scoring, None, semantic=semantic,
                                         model=model, warn=warn, int8=follow).embed_passages(progress).manifest
        try:
            index = Index(corpus_dir, index_dir, manifest, scoring, cluster, semantic=semantic, model=model, warn=warn,
                          int8=int8)
            index.rebuild = (lambda reason, seen=manifest: rebuild(reason, seen)) if update else None
            if update:
                _keep_up(index, semantic=semantic, model=model, int8=int8)
            return index
        except IndexDamaged as exc:
            if storage.read_manifest(index_dir) != manifest:
                return None  # a writer replaced the index while we opened it: open the new one
            if not update:
                raise
            return rebuild(f"{exc}; rebuilding the index", manifest)

    for _attempt in range(3):
        try:
            index = attempt()
        except CorpusChanged:
            continue  # another process replaced the index while this one updated or opened it: open the new one
        if index is not None:
            return index
    raise QAError(f"index {index_dir} keeps changing while it is opened; try again")


class Index:
    """An opened index, a facade over its stages: ask it questions, list its sources, read its passages."""

    def __init__(self, corpus_dir: Path, index_dir: Path, manifest: dict, scoring: Scoring = Scoring(), cluster=None,
                 semantic: bool | None = None, model=None, warn=warn_stderr, int8: bool | None = None):
        """``cluster``: a qa.cluster.Cluster whose workers score the questions (None: this process);
        ``semantic``: the sentence-embedding stage (None: on when installed);
        ``model``: its model folder (None: $QA_MODEL, else the default);
        ``int8``: its vectors made with int8 products (None: as the index's vectors were made; when it has none,
        by their number when they are made, as build_index chooses)."""
        self.corpus = corpus_dir
        self.path = index_dir
        self.manifest = manifest
        self.cluster = cluster
        total = sum(m["bytes"] for s in manifest["segments"] for m in s["arrays"].values())
        verify = total <= storage.VERIFY_BYTES
        segments = [Segment(index_dir / s["name"], s, verify) for s in manifest["segments"]]
        self.segments = segments
        self.rebuild = None  # (reason) -> a fresh Index, when a hostile one is to be rebuilt (open_index)
        self.reopen = None  # () -> this index updated to the corpus as it is now (open_index)
        self.warn = warn
        features = n_features(int(manifest["hash_bits"]))
        if cluster is None:
            heap.keep_freed_memory()
            self.searcher = Searcher(segments, features, scoring)
        else:
            self.searcher = cluster.searcher(index_dir, manifest, segments, features, scoring, verify)
        self.scoring = scoring
        self.documents = Documents(corpus_dir, index_dir, manifest, self.searcher)
        self.feedback = Feedback(self.searcher, self.documents, scoring)
        # the wiring: a new stage is one more entry here
        meaning = semantic_stage(self.documents, semantic, model, warn, index_dir, manifest,
                                 int8_products(int8, manifest))
        if meaning is not None and cluster is not None:
            meaning.vector_store = self.searcher.shard_vectors  # the shards send their candidates' vectors
        self.semantic = meaning
        self.pipeline = Pipeline(expand=[meaning, self.feedback] if meaning else [self.feedback],
                                 candidates=Candidates(self.searcher),
                                 rerank=[meaning] if meaning else [],
                                 compose=Compose(self.documents, meaning.verdict if meaning else Coverage()))

    def embed_passages(self, progress=None) -> "Index":
        """Store the vectors of the passages that lack them (a no-op without the semantic stage)."""
        if self.semantic is not None:
            self.validated()
            self.manifest = self.semantic.index_vectors(progress) or self.manifest
        return self

    def validated(self) -> "Index":
        """This index once every segment's values are checked (Segment.validate: before the first
        question or passage read, not when opened, which stays fast); a hostile index is then rebuilt
        like a damaged one, with the same one-line note, when open_index may rebuild it."""
        try:
            for seg in self.segments:
                seg.validate()
        except IndexDamaged as exc:
            if self.rebuild is None:
                raise
            rebuild = self.rebuild
            self.__dict__.update(rebuild(f"{exc}; rebuilding the index").__dict__)
            self.rebuild = rebuild
        return self

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
        return self.documents.sources()

    def skipped(self) -> list[tuple[str, str]]:
        return self.documents.skipped()

    def formats(self) -> dict[str, int]:
        """Indexed documents per format ("txt", "md", "html", "pdf")."""
        return self.documents.formats()

    def source_info(self, source: str) -> dict:
        """What the manifest knows of a source: format, title, notes (pages skipped), encoding."""
        return self.documents.source_info(source)

    def place(self, pid: int) -> tuple[str | None, int | None]:
        """(heading path, PDF page) of passage ``pid``; None for what it does not have."""
        return self.validated().documents.place(self.checked_pid(pid))

    def source_text(self, source: str) -> str:
        """The decoded text of an indexed source, exactly as it was indexed."""
        return self.documents.source_text(source)

    def span_text(self, source: str, start: int, end: int) -> str:
        """``source_text(source)[start:end]``."""
        return self.documents.span_text(source, start, end)

    def passage_source(self, pid: int) -> str:
        return self.validated().documents.passage_source(self.checked_pid(pid))

    def passage_text(self, pid: int) -> str:
        return self.validated().documents.passage_text(self.checked_pid(pid))

    def checked_pid(self, pid) -> int:
        """``pid`` when it is a passage id of this index (a Result's ``passage_id``); QAError otherwise."""
        if isinstance(pid, bool) or not isinstance(pid, numbers.Integral) or not 0 <= pid < self.passage_count:
            raise QAError(f"no passage {pid!r} in this index: passage ids are whole numbers from 0 to "
                          f"{self.passage_count - 1}")
        return int(pid)

    # ---- asking

    def parse(self, question: str) -> Query:
        _checked_question(question)
        query = parse(_clipped(question), self.validated().searcher, self.scoring)
        query.text = question
        return query

    def search(self, question: str, k: int = 10) -> list[tuple[int, float]]:
        """The ``k`` best (passage id, score) pairs: ranking only, no answer line."""
        k = checked_k(k)
        query = self.parse(question)
        found = self.pipeline.rank(Question(query, k, k, query.weights))
        return [(c.pid, c.score) for c in found[:k]]

    def expand(self, weights: dict[str, float]) -> dict[str, float]:
        """Pseudo-relevance feedback (Rocchio): add the terms that stand out in the best passages."""
        return self.validated().feedback.expanded(weights, self.scoring.feedback_passages)[0]

    def ask(self, question: str, k: int = 3) -> Answer:
        """The answer line and the top ``k`` passages for ``question``."""
        return self.answer(self.parse(question), k)

    def ask_many(self, questions: list[str], k: int = 3) -> list[Answer]:
        """``[ask(q, k) for q in questions]``, the same answers, faster: the postings of all the
        questions' terms, then of all their feedback terms, are looked up together."""
        if isinstance(questions, (str, bytes)) or not hasattr(questions, "__iter__"):
            raise QAError("ask_many takes a list of questions (strings)")
        questions, k = [_checked_question(q) for q in questions], checked_k(k)  # all checked before any work
        self.validated().searcher.dfs(list(dict.fromkeys(t for q in questions for t in likely_terms(_clipped(q)))))
        queries = [self.parse(q) for q in questions]
        if self.searcher.takes_floor:
            self.feedback.prepare([q.weights for q in queries], candidate_depth(k))
        try:
            return [self.answer(q, k) for q in queries]
        finally:
            self.feedback.forget()

    def conversation(self) -> "Conversation":
        from .conversation import Conversation
        return Conversation(self)

    def answer(self, query: Query, k: int = 3, context: list[Concept] | None = None) -> Answer:
        """Rank, fold near-duplicates, pick the answer line for an already parsed ``query``."""
        k = checked_k(k)
        question = Question(query, k, candidate_depth(k), query.weights, context or [])
        try:
            return self.validated().pipeline.answer(question)
        except CorpusChanged:
            if self.reopen is None:
                raise
            self.__dict__.update(self.reopen().__dict__)  # the files as they are now, then the same question
            return self.pipeline.answer(question)


def _checked_question(question) -> str:
    """``question`` when it is a non-blank string; QAError otherwise."""
    if not isinstance(question, str) or not question.strip():
        raise QAError("empty question" if isinstance(question, str) else "a question must be a string")
    return question


def _clipped(question: str) -> str:
    """``question`` with no word longer than MAX_WORD_CHARS: a longer run of letters ("aaaa...", a
    pasted blob) is cut for matching, since the spelling step's work grows with the square of a
    word's length."""
    return _LONG_WORD.sub(lambda m: m.group()[:MAX_WORD_CHARS], question)
