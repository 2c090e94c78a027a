#!/usr/bin/env python3
"""Talk to your documents: python repl.py [--corpus DIR] [--index DIR] [--cluster ADDRESS] [-k N]"""
import sys

from qa.chat import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="repl.py"))
