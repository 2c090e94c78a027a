"""The one error type the core raises for bad input; the CLI turns it into one line and an exit code."""


class QAError(Exception):
    """A problem with the user's input (a folder, a file, a question, an index, a flag)."""

    exit_code = 2
