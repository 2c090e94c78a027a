"""The semantic rerank stage: the lexical candidates re-scored by sentence embeddings, and its no-answer verdict."""
from __future__ import annotations

import os
import re

import numpy as np

from .. import storage
from ..answer import coverage, sentences
from ..errors import CorpusChanged
from ..expected import expected, holds
from ..pipeline import Candidate, Question
from . import auto_int8, auto_int8_note
from .fusion import Settings, answerable, fuse

EMBED_WHEN_ASKED = 5000  # passages lacking vectors embedded and stored at the first question; more: candidates only
_AFTER = re.compile(r"\s*\[after: ")


def embedding_text(question: Question) -> str:
    """The text embedded for a question: a follow-up's own words then its previous question's."""
    return _AFTER.sub(" ", question.query.text).replace("]", " ").strip()


class Semantic:
    """Expand stage (asks for ``settings.depth`` candidates) and rerank stage (fuses lexical and cosine scores)."""

    mode = "semantic"

    def __init__(self, documents, settings: Settings = Settings(), model=None, warn=None, index_dir=None, manifest=None,
                 int8: bool | None = False):
        """``model``: a model folder or None (default); ``warn``: prints a one-line note (the fallback to
        lexical); ``index_dir``, ``manifest``: the index whose stored passage vectors are used (None: passages
        embedded when first met); ``int8``: vectors made with int8 products (faster; qa index --int8), None:
        float until the index's vectors are first made, then int8 when they are INT8_AT passages or more."""
        self.documents = documents
        self.settings = settings
        self.model_folder = model
        self.int8 = int8
        self.index_dir, self.manifest = index_dir, manifest
        self.stored = None
        self.vector_store = None  # hook: (index_dir, manifest, embedder) -> .get(pids); a cluster's shards serve them
        self.attached = index_dir is None
        self.warn = warn
        self.embedder = None
        self.failed = False
        self.cache: dict[int, np.ndarray] = {}
        self.last_question: tuple[str, np.ndarray] | None = None
        self.verdict = SemanticVerdict(settings, self)

    def model(self, fallback: str = "answering lexically"):
        """The loaded embedder, or None (after a one-line note ending with ``fallback``) when it cannot be used."""
        if self.embedder is not None and self.loaded_in != os.getpid():
            # a forked worker (qa ask -j N): onnxruntime's threads did not come along; a session of its own,
            # the parent's kept referenced, never torn down here
            self.inherited, self.embedder = self.embedder, None
        if self.embedder is None and not self.failed:
            from .embedder import Embedder, ModelUnavailable
            try:
                self.embedder = Embedder(self.model_folder, bool(self.int8))
                self.loaded_in = os.getpid()
            except ModelUnavailable as exc:
                self.failed = True
                if self.warn:
                    self.warn(f"note: {exc}; {fallback}")
        return self.embedder

    def index_vectors(self, progress=None, at_most: int | None = None) -> dict | None:
        """Embed and store the vectors the index lacks (when at most ``at_most`` passages lack them), then use
        the stored ones; returns the manifest now on disk (None when the model cannot be used)."""
        from . import vectors
        self.attached = True
        if self.index_dir is None or self.model("storing no passage vectors" if at_most is None else
                                                "answering lexically") is None:
            return self.manifest
        other = vectors.other_model(self.manifest, self.embedder)
        lacking, damaged = vectors.missing(self.index_dir, self.manifest, self.embedder)
        if damaged:
            self.still_current()
        if lacking and (at_most is None or lacking <= at_most):
            _embedding_phase(progress)
            if self.int8 is None:  # the index's first vectors: their form is chosen now, for good
                self.int8 = auto_int8(lacking, self.embedder.int8_weights)
                if self.int8:
                    from .embedder import Embedder
                    self.embedder = Embedder(self.model_folder, True)
                    if self.warn:
                        self.warn(auto_int8_note(lacking))
            elif other and self.warn:
                form = f" ({self.embedder.form})" if self.embedder.form else ""
                self.warn(f"note: the index's vectors were made by {other}; "
                          f"embedding {lacking} passages with {self.embedder.name}{form}")
            self.embed_missing(progress, damaged)
        store = self.vector_store or vectors.StoredVectors
        self.stored = store(self.index_dir, self.manifest, self.embedder)
        # a file of the right size whose checksum fails (bits flipped) is only seen when read: made again too
        corrupt = getattr(self.stored, "corrupt", {})
        if corrupt and (at_most is None or sum(corrupt.values()) <= at_most):
            self.still_current()
            _embedding_phase(progress)
            if self.embed_missing(progress, sum(corrupt.values()), set(corrupt)):
                self.stored = store(self.index_dir, self.manifest, self.embedder)
        return self.manifest

    def still_current(self) -> None:
        """Vectors that look damaged may only be gone with an index another process has updated since this one was
        opened: then CorpusChanged (an Index from open_index opens the new one and answers), not a repair."""
        try:
            on_disk = storage.read_manifest(self.index_dir)
        except storage.IndexDamaged:
            return
        if on_disk is not None and on_disk.get("created") != self.manifest.get("created"):
            raise CorpusChanged(f"the index {self.index_dir} was updated since it was opened; open it again")

    def embed_missing(self, progress, damaged: int, redo: set[str] = frozenset()) -> bool:
        """Store the vectors of the segments lacking them (and of ``redo``, by name); whether the index took them."""
        from . import vectors
        if damaged and self.warn:
            self.warn(f"note: the stored vectors of {damaged} passages are damaged; embedding them again")
        try:
            self.manifest = vectors.embed_missing(self.index_dir, self.manifest, self.embedder, self.documents,
                                                  progress, redo)
        except OSError:
            return False  # a read-only index: passages are embedded when met
        return True

    def ranks(self) -> bool:
        """Whether it re-scored the candidates it was just given (its model could be used)."""
        return self.embedder is not None

    def expand(self, question: Question) -> Question:
        return question.but(depth=max(question.depth, self.settings.depth))

    def rerank(self, question: Question, candidates: list[Candidate]) -> list[Candidate]:
        if self.model() is None:
            return candidates
        if not self.attached:
            self.index_vectors(at_most=EMBED_WHEN_ASKED)
        query_vector = self.question_vector(question)
        candidates = candidates + self.nearest_unlisted(query_vector, candidates)
        if not candidates:
            return candidates
        cosines = self.passage_vectors([c.pid for c in candidates]) @ query_vector
        fused = fuse(np.array([c.score for c in candidates]), cosines, self.settings.lexical_weight)
        out = [Candidate(c.pid, float(f), {**c.scores, "semantic": float(cos)})
               for c, f, cos in zip(candidates, fused, cosines)]
        return sorted(out, key=lambda c: (-c.score, c.pid))

    def question_vector(self, question: Question) -> np.ndarray:
        """The question's unit vector (the last one kept: the answer line asks for it again)."""
        text = embedding_text(question)
        if self.last_question is None or self.last_question[0] != text:
            self.last_question = text, self.embedder.embed_question(text)
        return self.last_question[1]

    def nearest_unlisted(self, query_vector: np.ndarray, candidates: list[Candidate]) -> list[Candidate]:
        """The passages closest in meaning over the whole (small) index that the lexical ranker did not list:
        a question in other words than the passage's may share none of them (lexical score 0)."""
        # a vector store that cannot search the whole index offers no ``nearest`` (a cluster's shards do: each its own)
        search = getattr(self.stored, "nearest", None)
        if search is None or not self.settings.nearest:
            return []
        listed = {c.pid for c in candidates}
        nearest = [p for p in search(query_vector, self.settings.nearest, self.settings.whole_index_at_most)
                   if p not in listed]
        if not candidates and nearest:
            # no word of the question in the corpus: only passages close enough in meaning to answer it count, so
            # that a word the corpus never mentions still finds nothing
            close = self.passage_vectors(nearest) @ query_vector
            nearest = [p for p, c in zip(nearest, close) if c >= self.settings.answer_cosine]
        return [Candidate(pid, 0.0, {"lexical": 0.0}) for pid in nearest]

    def passage_vectors(self, pids: list[int]) -> np.ndarray:
        """Unit vectors of passages ``pids`` (stored ones when the index has them, else embedded now and kept)."""
        if self.stored is not None:
            found = self.stored.get(pids)
            if found is not None:
                return found
        missing = [p for p in dict.fromkeys(pids) if p not in self.cache]
        if missing:
            vectors = self.embedder.embed([self.documents.passage_text(p) for p in missing])
            self.cache.update(zip(missing, vectors))
        return np.stack([self.cache[p] for p in pids])


def _embedding_phase(progress) -> None:
    """Tell a progress bar that shows phases (qa index's: its line ends before any note) that passages are counted now."""
    if hasattr(progress, "start"):
        progress.start("embedding", "passages")


class SemanticVerdict:
    """Answerable when the top passage covers enough of the question or is close enough to it in meaning."""

    def __init__(self, settings: Settings = Settings(), stage: Semantic | None = None):
        """``stage``: the Semantic stage whose model tells closeness in meaning (None: never)."""
        self.settings = settings
        self.stage = stage

    def answerable(self, question: Question, results: list) -> bool:
        if not results:
            return False
        concepts = question.query.concepts + question.context
        leading = results[:self.settings.coverage_depth]
        share = max(coverage(concepts, r.text) for r in leading)
        return (answerable(share, results[0].semantic_score, self.settings)
                and self.states_expected(question, concepts, leading))

    def states_expected(self, question: Question, concepts, leading: list) -> bool:
        """True unless the question asks for a quantity that no sentence about it in ``leading`` states: "how many
        missiles..." is not answered by a passage about the missiles that gives no number."""
        states = self.states(question, concepts)
        return states is None or any(states(r.text[s:e]) for r in leading for s, e in sentences(r.text))

    def states(self, question: Question, concepts=None):
        """For a question asking for a quantity: whether a sentence states one and holds quantity_coverage of the
        question (the answer line is then one of those); None for any other question."""
        wanted = expected(_AFTER.split(question.query.text)[0])
        if wanted is None:
            return None
        concepts = question.query.concepts + question.context if concepts is None else concepts
        return lambda sentence: (holds(wanted, sentence)
                                 and coverage(concepts, sentence) >= self.settings.quantity_coverage)

    def closeness(self, question: Question, texts: list[str]) -> list[float] | None:
        """The cosine of each of ``texts`` with the question (None when the model cannot be used)."""
        if self.stage is None or self.stage.model() is None:
            return None
        return [float(c) for c in self.stage.embedder.embed(texts) @ self.stage.question_vector(question)]
