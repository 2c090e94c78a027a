"""Opening the index at start-up, with prompt_toolkit's progress bar when a build takes a while."""
from __future__ import annotations

import time
from typing import Callable

from prompt_toolkit.shortcuts import ProgressBar
from prompt_toolkit.shortcuts.progress_bar import formatters

import qa

# Opening faster than this shows no bar at all: the prompt just appears.
DELAY = 0.3


class WholeFiles(formatters.Progress):
    """The "files read/files" count in whole files while the bar and percentage move page by page in a PDF."""

    def format(self, progress_bar, progress, width):
        return self.template.format(current=int(progress.items_completed), total=progress.total or "?")


def bar_formatters() -> list:
    """prompt_toolkit's default formatters, with the count in whole files."""
    return [WholeFiles() if isinstance(f, formatters.Progress) else f for f in formatters.create_default_formatters()]


class BuildProgress:
    """A `progress(done, total)` callback that shows a bar once opening has taken DELAY seconds.

    Warnings meant for stderr go through `warn`: printed at once, or held
    while the bar is on the screen and printed when it is gone.
    """

    def __init__(self, warn: Callable[[str], None], enabled: bool = True, delay: float | None = None,
                 clock: Callable[[], float] = time.monotonic, **bar_options) -> None:
        self._print_warning = warn
        self.enabled = enabled
        self.delay = DELAY if delay is None else delay
        self.clock = clock
        self.bar_options = bar_options
        self.bar: ProgressBar | None = None
        self._counter = None
        self._held: list[str] = []
        self._started = clock()
        self._label = "files"

    def start(self, label: str, unit: str) -> None:
        """A new phase of the work (qa's "embedding", counting passages): a line of its own in the bar."""
        if self._counter is not None:
            self._counter.done = True
            self._counter = self.bar(label=f"{label} {unit}")
        self._label = f"{label} {unit}"

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not self.enabled or self.clock() - self._started < self.delay:
                return
            options = {"formatters": bar_formatters(), **self.bar_options}
            self.bar = ProgressBar(title="Indexing the documents", **options).__enter__()
            self._counter = self.bar(label=self._label, total=total)
        self._counter.total = total
        self._counter.items_completed = done  # within a long PDF, a fraction of a file: the bar moves page by page
        self.bar.invalidate()

    def warn(self, message: str) -> None:
        if self.bar is None:
            self._print_warning(message)
        else:
            self._held.append(message)

    def __enter__(self) -> BuildProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self._counter.done = exc[0] is None
            self.bar.__exit__(*exc)
            self.bar = None
        for message in self._held:
            self._print_warning(message)
        self._held.clear()


def open_index(corpus, index, show_progress: bool, warn: Callable[[str], None], cluster: str | None = None,
               semantic: bool | None = None, model=None):
    """qa.open_index with a progress bar on a terminal."""
    with BuildProgress(warn, enabled=show_progress) as progress:
        return qa.open_index(corpus, index, progress=progress, warn=progress.warn, cluster=cluster,
                             semantic=semantic, model=model)
