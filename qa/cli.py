"""The ``qa`` command line: ``qa ask``, ``qa index``, ``qa chat``, ``qa sources``.

Exit status: 0 a question was answered (or the command did its job), 1 nothing
relevant was found for any question, 2 usage or input errors (one line on
stderr), 130 interrupted.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys

from . import __version__, stdio

EXIT_OK, EXIT_NO_ANSWER, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_OUTPUT_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF, errno.ENXIO}
MAX_QUESTION_CHARS = 10_000
MAX_JOBS = 4
PARALLEL_PASSAGES = 100_000  # below this a question takes about a millisecond: not worth a process pool
BATCH = 32  # stdin questions already waiting that are answered together (Index.ask_many), at most


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"qa: {message} (see 'qa {self.prog.split()[-1] if ' ' in self.prog else ''} --help')".replace("qa  --", "qa --"),
              file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _count(value: str, most: int = 1000, where: str = "") -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= n <= most:
        raise argparse.ArgumentTypeError(f"must be between 1 and {most}{where}: {n}")
    return n


def _counts(idx, documents: int) -> str:
    """"3 documents (2 md, 1 txt), 40 passages, skipped 1 file"."""
    from .render import plural
    skipped = len(idx.skipped())
    return (f"{plural(documents, 'document')}{_by_format(idx)}, {plural(idx.passage_count, 'passage')}"
            + (f", skipped {plural(skipped, 'file')}" if skipped else ""))


def _positive(value: str) -> int:
    return _count(value)


def _chat_k(value: str) -> int:
    return _count(value, 50, " in the chat")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="qa", description="Ask questions of a folder of documents; get cited passages back.")
    p.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    sub.required = True

    def common(sp, cluster: bool = True):
        sp.add_argument("--corpus", metavar="DIR", help="folder of documents (default: the seeds)")
        sp.add_argument("--index", metavar="DIR", help="index folder (default: index/ for the seeds, "
                                                       "~/.cache/qa/NAME-HASH for another corpus)")
        sp.add_argument("--lexical", action="store_true",
                        help="TF-IDF only: no sentence-embedding stage (on 'index': no vectors)")
        sp.add_argument("--model", metavar="DIR",
                        help="a sentence-transformers ONNX export (model.onnx or onnx/model.onnx, tokenizer.json) "
                             "for the semantic stage (default: $QA_MODEL, else all-MiniLM-L6-v2)")
        if cluster:
            sp.add_argument("--cluster", metavar="ADDRESS", help="index or answer on a Dask cluster: tcp://HOST:PORT "
                                                                 "of its scheduler, or local:N (needs Dask)")

    ask = sub.add_parser("ask", help="answer questions (from the arguments, or stdin one a line)")
    ask.add_argument("question", nargs="*", help="the question; none: read questions from stdin")
    ask.add_argument("-k", type=_positive, default=3, help="passages to show (default 3)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question on stdout")
    ask.add_argument("--chat", action="store_true", help="stdin questions form one conversation")
    ask.add_argument("-j", "--jobs", type=_positive, metavar="N",
                     help="processes answering stdin questions, output in order (default: one per core, "
                          f"up to {MAX_JOBS}, for an index of {PARALLEL_PASSAGES:,} passages or more; else 1)")
    ask.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour the text output: on a terminal without NO_COLOR (auto), always or never")
    common(ask)

    index = sub.add_parser("index", help="build the index of a corpus")
    common(index)
    products = index.add_mutually_exclusive_group()
    products.add_argument("--int8", dest="int8", action="store_const", const=True, default=None,
                          help="embed passages with int8 products: about 1.6x as fast, slightly less exact "
                               "(questions then follow the index; the default from 20,000 passages on)")
    products.add_argument("--float", dest="int8", action="store_const", const=False,
                          help="embed passages with float products, however many there are")

    chat = sub.add_parser("chat", help="talk to the documents at a prompt")
    chat.add_argument("-k", type=_chat_k, default=3, help="passages to show (default 3, at most 50)")
    common(chat)

    sources = sub.add_parser("sources", help="list the indexed documents with their passage counts")
    sources.add_argument("--json", action="store_true", help="one JSON object a document on stdout")
    common(sources, cluster=False)
    p.commands = sub.choices  # name -> its parser: what it does not know is told with its own help
    return p


def _ignore_further_interrupts() -> None:
    """Once interrupted, the process only says so and exits 130: a second SIGINT (or one still pending) during
    that, or during the interpreter's shutdown, would otherwise kill it by the signal instead."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stdio.make_safe()
    try:
        args = _parsed(parser(), argv)
        return _run(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        _ignore_further_interrupts()
        print("qa: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`qa ask ... | head -1`): stop quietly
        _stdout_to_devnull()
        return EXIT_OK
    except OSError as exc:
        # the index's own writes report their errors as QAError: what is left is the output's (a full disk, a
        # terminal gone, a closed descriptor)
        if exc.errno not in _OUTPUT_ERRORS:
            return _internal_error(exc)
        print(f"qa: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        _stdout_to_devnull()
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        from .errors import QAError
        if isinstance(exc, QAError):
            from .render import one_line
            print(f"qa: {one_line(str(exc))}", file=sys.stderr)
            return exc.exit_code
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    if isinstance(exc, MemoryError):
        print("qa: out of memory", file=sys.stderr)
    else:
        from .render import one_line
        print(f"qa: internal error: {type(exc).__name__}: {one_line(str(exc))}", file=sys.stderr)
    return 3


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail again ("Exception ignored ...")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _parsed(p: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """The arguments; an unknown one is reported by the command it was given to ("see 'qa ask --help'")."""
    args, unknown = p.parse_known_args(argv)
    if unknown:
        command = p.commands.get(args.command, p)
        hint = ("; a question that starts with '-' goes after '--': qa ask -- " + unknown[0]
                if args.command == "ask" and unknown[0][:1] == "-" and unknown[0][:2] != "--" else "")
        command.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    return args


def _run(args) -> int:
    return COMMANDS[args.command](args)


def _run_chat(args) -> int:
    from .chat import run as chat
    return chat(corpus=args.corpus, index=args.index, k=args.k, cluster=args.cluster, **_semantic(args))


def _run_index(args) -> int:
    from .api import build_index
    from .render import one_line

    progress = _progress_bar() if sys.stderr.isatty() else None
    idx = build_index(args.corpus, args.index, progress=progress, cluster=args.cluster, int8=args.int8, **_semantic(args))
    idx.close()
    if progress:
        progress.close()
    print(f"indexed {_counts(idx, idx.document_count)} -> {one_line(str(idx.path))}")
    _warn_if_empty(idx)  # each skipped file was named, with why, on stderr as it was read
    return EXIT_OK


def _run_sources(args) -> int:
    from .api import open_index
    from .render import json_dumps, one_line, sanitize

    idx = open_index(args.corpus, args.index, **_semantic(args))
    rows = idx.sources()
    for source, n in rows:
        info = idx.source_info(source)
        if args.json:
            row = {"source": source, "passages": n, "format": info.get("format", "txt")}
            row.update({k: info[k] for k in ("title", "notes") if k in info})
            print(json_dumps(row))
        else:
            title = f"  ({one_line(sanitize(info['title']))})" if info.get("title") else ""
            notes = "".join(f"  [{one_line(note)}]" for note in info.get("notes", []))
            print(f"{n:6d}  {one_line(source)}{title}{notes}")
    # stdout holds one line per document; the counts per format and the skipped files go to stderr
    skipped = idx.skipped()
    if skipped or _by_format(idx):
        print(f"qa: {_counts(idx, len(rows))}", file=sys.stderr)
    for source, why in skipped:
        print(f"qa: skipped {one_line(source)}: {one_line(why)}", file=sys.stderr)
    return EXIT_OK


def _run_ask(args) -> int:
    from .api import open_index

    idx = open_index(args.corpus, args.index, cluster=args.cluster, **_semantic(args))
    _warn_if_empty(idx)
    try:
        return _ask(idx, args)
    finally:
        idx.close()


def _semantic(args) -> dict:
    """The semantic stage's arguments: off with --lexical, else on when installed, with --model's folder."""
    if args.lexical:
        _note_ignored_with_lexical(args)
    else:
        _note_unused_model(args)
    return {"semantic": False, "model": None} if args.lexical else {"semantic": None, "model": args.model}


def _model_flags(args, environment: bool = False) -> list[str]:
    """The model options given: --model, $QA_MODEL (``environment``) and --int8 (qa index only)."""
    given = [("--model", args.model), ("--int8", getattr(args, "int8", None))]
    if environment:
        from .semantic.embedder import MODEL_ENV  # not on the lexical path's start-up
        given.insert(1, (MODEL_ENV, os.environ.get(MODEL_ENV)))
    return [name for name, value in given if value]


def _named(names: list[str], verb: str) -> str:
    """"--model has", "--model and --int8 have": the names joined, and the verb agreeing with them."""
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{joined} {verb if len(names) == 1 else {'has': 'have', 'needs': 'need'}[verb]}"


def _note_ignored_with_lexical(args) -> None:
    """A note when --model or --int8 is given together with --lexical, which runs no model."""
    given = _model_flags(args)
    if given:
        print(f"qa: note: {_named(given, 'has')} no effect with --lexical", file=sys.stderr)


def _note_unused_model(args) -> None:
    """A note when a model or its products are asked for without the semantic extra to run them."""
    from .semantic import installed

    asked = [] if installed() else _model_flags(args, environment=True)
    if asked:
        then = "storing no passage vectors" if args.command == "index" else "answering lexically"
        print(f"qa: note: {_named(asked, 'needs')} the semantic extra (pip install 'qa[semantic]'), which is not "
              f"installed; {then}", file=sys.stderr)


def _by_format(idx) -> str:
    """`` (3 txt, 1 md, 1 pdf)``: documents per format, when there is more than plain text."""
    counts = idx.formats()
    if not counts or set(counts) == {"txt"}:
        return ""
    return " (" + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + ")"


def _warn_if_empty(idx) -> None:
    if not idx.passage_count:
        from .render import empty_corpus_warning
        print(f"qa: {empty_corpus_warning(idx.corpus)}", file=sys.stderr)


def _questions(args):
    """The questions to answer: the argument, or stdin's non-empty lines (read as they come)."""
    if args.question:
        return iter([stdio.argument_text(" ".join(args.question))])
    if sys.stdin is None or sys.stdin.isatty():
        from .errors import QAError
        raise QAError("no question given: pass one as an argument, or pipe questions in, one a line")
    return stdio.lines(sys.stdin)


def _batches(args):
    """The questions in lists of up to BATCH: those waiting on stdin when a list is made. A question
    never waits for others to fill its list (a script writing one and reading its answer gets it)."""
    import select

    questions = _questions(args)
    for first in questions:
        batch = [first]
        while len(batch) < BATCH and not args.question and _waiting(select):
            nxt = next(questions, None)
            if nxt is None:
                break
            batch.append(nxt)
        yield batch


def _waiting(select) -> bool:
    """Whether stdin has more to read now (lines Python has buffered are read next time anyway)."""
    try:
        return bool(select.select([sys.stdin], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def _ask(idx, args) -> int:
    from . import render
    from .errors import QAError

    if sys.stdout is None:
        raise QAError("standard output is closed: there is nowhere to print the answers")
    color = render.use_color(sys.stdout, args.color)
    many = not args.question
    jobs = _jobs(idx, args)
    if jobs > 1:
        answers = _answer_in_parallel(idx, args, color, jobs)
    elif args.chat:
        conversation = idx.conversation()
        answers = (_answer_one(idx, conversation, question, args, color) for question in _questions(args))
    else:
        answers = (answer for batch in _batches(args) for answer in _answer_batch(idx, batch, args, color))
    answered = asked = 0
    for question, got_answer, output in answers:
        asked += 1
        answered += got_answer
        if not args.json and many:
            print(("\n" if asked > 1 else "") + "? " + render.sanitize(question))
        sys.stdout.write(output)
        sys.stdout.flush()
    if not asked:
        raise QAError("no question given")
    return EXIT_OK if answered else EXIT_NO_ANSWER


def _jobs(idx, args) -> int:
    """Processes for the questions: one unless they come from stdin, are not one conversation, and
    the index is local and large enough (or -j says so)."""
    if args.question or args.chat or idx.cluster is not None:
        return 1
    if args.jobs:
        return args.jobs
    return min(os.cpu_count() or 1, MAX_JOBS) if idx.passage_count >= PARALLEL_PASSAGES else 1


def _checked(question: str) -> str:
    from .errors import QAError

    if len(question) > MAX_QUESTION_CHARS:
        question = question[:MAX_QUESTION_CHARS]
        print(f"qa: question cut to its first {MAX_QUESTION_CHARS} characters", file=sys.stderr)
    if not question.strip():
        raise QAError("empty question")
    return question


def _answer_one(idx, conversation, question: str, args, color: bool) -> tuple[str, bool, str]:
    """(question, answered, what to print) for one question."""
    question = _checked(question)
    answer = conversation.ask(question, args.k) if conversation else idx.ask(question, args.k)
    return _output(question, answer, args, color)


def _answer_batch(idx, questions: list[str], args, color: bool) -> list[tuple[str, bool, str]]:
    """_answer_one for each of ``questions``, answered together."""
    questions = [_checked(q) for q in questions]
    return [_output(q, a, args, color) for q, a in zip(questions, idx.ask_many(questions, args.k))]


def _output(question: str, answer, args, color: bool) -> tuple[str, bool, str]:
    from . import render

    if args.json:
        return question, answer.answered, render.json_dumps(answer.to_dict()) + "\n"
    return question, answer.answered, render.render_answer(answer, color=color) + "\n"


_pool_state: tuple = ()  # (index, args, color), inherited by the forked workers


def _pool_answer(questions: list[str]):
    idx, args, color = _pool_state
    return _answer_batch(idx, questions, args, color)


def _pool_init() -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool


def _answer_in_parallel(idx, args, color: bool, jobs: int):
    """Questions answered by ``jobs`` forked processes sharing the opened (memory-mapped) index;
    answers come back in the order of the questions, each as soon as it and those before it are done."""
    import multiprocessing as mp

    global _pool_state
    _pool_state = (idx, args, color)
    # checked (and rebuilt if hostile: Index.validated) and the tables made once here, shared, not in each worker
    idx.validated().searcher.tables()
    with mp.get_context("fork").Pool(jobs, initializer=_pool_init) as pool:
        for answers in pool.imap(_pool_answer, _batches(args), chunksize=1):
            yield from answers


COMMANDS = {"ask": _run_ask, "index": _run_index, "chat": _run_chat, "sources": _run_sources}


class _progress_bar:
    """A one-line progress bar on stderr for `qa index` on a terminal, a line a phase (files read, passages embedded)."""

    def __init__(self):
        self.last = -1
        self.label, self.unit = "indexing", "files"

    def start(self, label: str, unit: str) -> None:
        """A new phase of the work: its own line, counting ``unit``."""
        self.close()
        self.last, self.label, self.unit = -1, label, unit

    def __call__(self, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {pct:3d}% ({int(done)}/{total} {self.unit})")
            sys.stderr.flush()

    def close(self):
        if self.last >= 0:
            sys.stderr.write("\n")
