"""qa, driven the way a user drives it: a folder of documents, an index, questions.

Kept apart so that the benchmark works on whichever of the documented entry
points the core exposes: `Index.search` + `Index.passage_source` when present
(cheaper: no answer-line work), `Index.ask` otherwise.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterable

from _corpora import doc_id_from_source


def qa_module():
    import qa

    return qa


def qa_ready() -> str | None:
    """None when `qa.open_index` is importable, else why not."""
    try:
        qa = qa_module()
    except Exception as e:  # noqa: BLE001 - report any import failure
        return f"import qa failed: {type(e).__name__}: {e}"
    if not hasattr(qa, "open_index"):
        return "qa.open_index is missing"
    return None


def open_index(
    corpus: Path, index: Path, *, params: Any = None, scoring: Any = None,
    rebuild: bool = False, warn: Callable[[str], None] | None = None, semantic: bool | None = None,
    int8: bool | None = None,
):
    """Open (building or updating as needed) the index of `corpus` in `index`.

    `params` (qa's build-time passage parameters) rebuild the index when the
    stored one was built with others, or with `rebuild`; `scoring` (qa's
    query-time weights) is handed to the opened index.
    """
    qa = qa_module()
    Path(index).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if warn is not None:
        kwargs["warn"] = warn
    if scoring is not None:
        kwargs["scoring"] = scoring
    if semantic is not None:  # the semantic stage on or off (None: qa's default)
        kwargs["semantic"] = semantic
    if int8:  # vectors made with int8 products (qa index --int8)
        kwargs["int8"] = True
    if not rebuild:
        idx = qa.open_index(corpus, index, **kwargs)
        if params is None or _built_with(idx, params):
            return idx
    if params is not None:
        kwargs["params"] = params
    return qa.build_index(corpus, index, **kwargs)


def _built_with(index, params: Any) -> bool:
    stored = getattr(index, "manifest", {}).get("params")
    try:
        wanted = asdict(params)
    except TypeError:
        return False
    return stored == wanted


def ranked_passages(index, question: str, k: int) -> list[tuple[str, float]]:
    """(source, score) of the top k passages for `question`."""
    if hasattr(index, "search") and hasattr(index, "passage_source"):
        return [(index.passage_source(pid), float(s)) for pid, s in index.search(question, k)]
    return [(r.source, float(r.score)) for r in index.ask(question, k).results]


def rank_documents(
    index, question: str, depth: int = 100, k: int = 1000, max_k: int = 64000
) -> list[str]:
    """Document ids ranked by their best passage, at most `depth` of them.

    Asks for `k` passages; when they hold fewer than `depth` documents and the
    index returned all `k` it was asked for, asks again for four times as many.
    """
    while True:
        passages = ranked_passages(index, question, k)
        docs: list[str] = []
        seen: set[str] = set()
        for source, _score in passages:
            d = doc_id_from_source(source)
            if d not in seen:
                seen.add(d)
                docs.append(d)
                if len(docs) == depth:
                    return docs
        if len(passages) < k or k >= max_k:
            return docs
        k *= 4


def run_queries(index, queries: dict[str, str], depth: int = 100) -> dict[str, list[str]]:
    return {q: rank_documents(index, text, depth) for q, text in queries.items()}


def passage_texts(index, corpus: Path) -> tuple[list[str], str]:
    """The texts of every passage of the index, and how they were found.

    Uses the index's passage listing when the core exposes one; else falls
    back to the non-empty lines of the corpus's .txt files.
    """
    searcher = getattr(index, "searcher", None)
    if hasattr(searcher, "live_passages") and hasattr(index, "passage_text"):
        texts = [index.passage_text(pid) for pid, _source in searcher.live_passages()]
        if texts:
            return texts, "the qa index's passages"
    for name in ("passages", "iter_passages", "all_passages"):
        attr = getattr(index, name, None)
        if attr is None:
            continue
        items = attr() if callable(attr) else attr
        texts = [_passage_text(p) for p in items]
        if texts and all(isinstance(t, str) for t in texts):
            return texts, f"Index.{name}"
    return list(_lines(corpus)), "non-empty lines of the files"


def _passage_text(p) -> str | None:
    if isinstance(p, str):
        return p
    return getattr(p, "text", None)


def _lines(corpus: Path) -> Iterable[str]:
    for path in sorted(Path(corpus).rglob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield line
