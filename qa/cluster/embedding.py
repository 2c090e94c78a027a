"""Passage vectors on a cluster: embedded by the worker that wrote their segment, in a local index's format.

The worker that builds a segment embeds its passages right after (the costly half of indexing with the
semantic stage, so it is split over the workers as the reading is), with the same model, the same texts
and the same float16 rows as ``qa.semantic.vectors.embed_missing`` on one machine, and names the array in
the segment's manifest entry: a cluster's index and a local one are the same files.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .. import storage
from ..documents import Documents
from ..errors import QAError
from ..passages import PassageLookups, PassageTable
from ..search import Segment
from ..semantic.vectors import KEY, vectors_entry

_embedders: dict = {}  # (model folder (None: the default), int8) -> its Embedder, or why it cannot be used, per worker


def model_for_workers(semantic: bool | None, model) -> tuple[bool, str | None]:
    """(whether the workers embed, the model folder they load): resolved here, as the client would load it."""
    from ..semantic import enabled
    from ..semantic.embedder import MODEL_ENV
    if not enabled(semantic):
        return False, None
    folder = model if model is not None else os.environ.get(MODEL_ENV) or None
    return True, (str(Path(folder).expanduser().resolve()) if folder is not None else None)


def worker_embedder(model: str | None, int8: bool = False):
    """This worker's loaded model (kept for its next segments), or the one-line reason it cannot be used."""
    from ..semantic.embedder import Embedder, ModelUnavailable
    held = _embedders.get((model, int8))
    if held is None:
        try:
            held = Embedder(model, int8)
        except ModelUnavailable as exc:
            held = str(exc)
        _embedders[(model, int8)] = held
    return held


class _OneSegment(PassageLookups):
    def __init__(self, segment: Segment):
        self.table = PassageTable([segment], np.zeros(1, dtype=np.int64))


def embed_segment(root: Path, index_dir: Path, result, model: str | None, int8: bool = False) -> None:
    """Embed the passages of the segment just built (``result``: a build.SegmentResult), store the rows and
    name them in ``result.meta``; when the model cannot be used here, a note, and the client embeds them."""
    embedder = worker_embedder(model, int8)
    if isinstance(embedder, str):
        result.warnings.append(f"note: {embedder} on a worker; the passages are embedded by the client")
        return
    meta, folder = result.meta, index_dir / result.name
    documents = Documents(root, index_dir, {"segments": [meta], "files": result.files},
                          _OneSegment(Segment(folder, meta, False)))
    try:
        texts = [documents.passage_text(i) for i in range(int(meta["passages"]))]
    except QAError:
        return  # a file changed while it was read: as on one machine, the next opening re-indexes it
    rows = embedder.embed(texts).astype(np.float16)
    array = storage.write_array(folder, f"vectors-{time.time_ns()}", rows)
    meta[KEY] = vectors_entry(embedder, array)
