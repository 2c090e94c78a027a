"""The one error type the core raises for bad input; the CLI turns it into one line and an exit code."""


class QAError(Exception):
    """A problem with the user's input (a folder, a file, a question, an index, a flag)."""

    exit_code = 2


class CorpusChanged(QAError):
    """A file changed since it was indexed: an index opened with updates (qa.open_index) updates itself and goes on."""
