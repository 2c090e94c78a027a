"""`python -m qa`: the command line."""
import os
import sys

from .cli import EXIT_INTERRUPTED, main

code = main()
if code == EXIT_INTERRUPTED:
    # interrupted: said so; leave at once. Finishing the interpreter here (runpy's -m path) could still be killed by
    # the signal (exit -2 instead of 130 in about one run in five when Ctrl-C came while passages were embedded)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)
sys.exit(code)
