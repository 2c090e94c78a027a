"""The bottom toolbar: the corpus, its documents and passages, and k."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from prompt_toolkit.application import get_app
from prompt_toolkit.formatted_text import StyleAndTextTuples

from qa.render import plural, sanitize


def display_path(path: Path) -> str:
    """A path as short as it can be said: relative to here, or to ~, or absolute."""
    path = Path(path).resolve()
    for base, shown in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            relative = path.relative_to(base)
        except ValueError:
            continue
        if relative == Path("."):
            return shown.rstrip("/") or "."
        return sanitize(shown + str(relative))
    return sanitize(str(path))


def bottom_toolbar(session, columns: Callable[[], int] | None = None) -> Callable[[], StyleAndTextTuples]:
    """The toolbar, made to fit the terminal's width: the least needed parts go first, then the path's head."""
    corpus = display_path(session.index.corpus)
    columns = columns or (lambda: get_app().output.get_size().columns)

    def toolbar() -> StyleAndTextTuples:
        return fit_toolbar(corpus, session.index.document_count, session.index.passage_count, session.k, columns())

    return toolbar


def fit_toolbar(corpus: str, documents: int, passages: int, k: int, width: int) -> StyleAndTextTuples:
    """The fullest toolbar that fits ``width`` columns."""
    docs, passages_said = plural(documents, "doc"), plural(passages, "passage")
    counts = (f"  {plural(documents, 'document')} · {passages_said} · k=", f"  {docs} · {passages_said} · k=",
              f"  {docs} · k=", "  k=")
    for count in counts:
        for tail in ("  /help · Ctrl-D quits ", "  /help ", " "):
            parts = [(" corpus ", corpus), (count, str(k)), (tail, None)]
            if sum(len(text) + len(value or "") for text, value in parts) <= width:
                return _styled(parts)
    room = max(1, width - len(f" {counts[-1]}{k} ") - 1)
    short = corpus if len(corpus) <= room else "…" + corpus[len(corpus) - room + 1:]
    return _styled([(" ", short), (counts[-1], str(k)), (" ", None)])


def _styled(parts) -> StyleAndTextTuples:
    out: StyleAndTextTuples = []
    for text, value in parts:
        out.append(("class:bottom-toolbar.text", text))
        if value is not None:
            out.append(("class:bottom-toolbar.value", value))
    return out
