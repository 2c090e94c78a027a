"""The bottom toolbar: the corpus, its documents and passages, and k."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from prompt_toolkit.formatted_text import StyleAndTextTuples

from qa.render import sanitize


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


def bottom_toolbar(session) -> Callable[[], StyleAndTextTuples]:
    corpus = display_path(session.index.corpus)

    def toolbar() -> StyleAndTextTuples:
        index = session.index
        return [
            ("class:bottom-toolbar.text", " corpus "),
            ("class:bottom-toolbar.value", corpus),
            ("class:bottom-toolbar.text", f"  {index.document_count} documents · {index.passage_count} passages · k="),
            ("class:bottom-toolbar.value", str(session.k)),
            ("class:bottom-toolbar.text", "  /help · Ctrl-D quits "),
        ]

    return toolbar
