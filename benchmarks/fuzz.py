"""Fuzz the real command line: messy files through `qa index`, generated questions through `qa ask`.

    python benchmarks/fuzz.py [--files 1000] [--questions 10000] [--seed 0] [--batch 1000] [--keep DIR]

1. Writes ``--files`` generated files into a temporary corpus: UTF-8/Latin-1/cp1252/UTF-16 (with and
   without BOM) prose with LF, CRLF or CR line ends, binary files named .txt (PNG, .pyc, ELF, gzip,
   random bytes), ANSI/OSC escapes and control characters, a few multi-megabyte single lines, empty and
   blank files, very long words, mixed scripts, invalid UTF-8, NULs after the first 8 KB; odd names
   (spaces, newlines, escapes, non-UTF-8 bytes, 200+ characters, leading dashes, .md, .TXT) in nested
   folders; and some FIFOs, symlink loops, broken links and folders named .txt.
2. Indexes it with `qa index`, lists it with `qa sources` (text and --json).
3. Feeds ``--questions`` generated questions through `qa ask --json` on stdin, ``--batch`` per process
   (words of the corpus, random Unicode, escapes, controls, paths, format strings, stop words,
   punctuation, invalid UTF-8 bytes, up to 1 MB long), timing each answer by when its line arrives;
   then a tenth of them again as text with ``--color always`` and checks no control character from the
   documents reaches stdout.

A crash is an exit status other than 0 or 1, a traceback or "internal error" on stderr, a line of
stdout that is not JSON, a missing answer, or a hang (a batch past its timeout). Prints a summary
(and writes it as JSON to benchmarks/out/fuzz.json); exits 1 when anything crashed.
"""
from __future__ import annotations

import argparse
import codecs
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
MAX_QUESTION_CHARS = 10_000  # qa.cli.MAX_QUESTION_CHARS
OUR_CODES = ["\x1b[1;33m", "\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[36m"]
UNSAFE = set("\x1b\x07\r\x08\x00\x9b\x7f\x0c\x0b\u202e\u2028\x90")

WORDS = """the of and to in a is that for it as was with be by on not he this are or his from at which but
have an they you were her she there been one all we their has would when if so no will more out up said
what its about than into them can only other time new some could these two may first then do any like my
now over such our man me even most made after also did many before must through back years where much
your way well down should because each just those people how too little state good very make world
still own see men work long get here between both life being under never day same another know while
last might us great old year off come since against go came right used take three harbour river bridge
railway coast festival harvest budget ministry spokesman committee mayor farmers scientists village
mountain glacier volcano lighthouse orchard vineyard monastery cathedral parliament election treaty
ceasefire drought flood earthquake migration otter badger heron kingfisher salmon walrus penguin
""".split()
SCRIPTS = ["Привет мир, как дела сегодня", "这是一个测试句子，关于河流和桥梁", "مرحبا بالعالم هذا اختبار",
           "Γειά σου κόσμε", "שלום עולם", "こんにちは世界、橋と川について", "नमस्ते दुनिया", "😀🎉🚀👍🏽🇺🇦"]
ESCAPES = ["\x1b[31m", "\x1b[0m", "\x1b[2J", "\x1b[H", "\x1b]0;pwned\x07", "\x1b]8;;http://evil.example\x1b\\",
           "\x1bP+q\x1b\\", "\x9b31m", "\x07", "\x08", "\r", "\x00", "\x7f", "\u202e", "\u200b", "\x0c", "\x0b",
           "\u2028", "\x1b", "\x1bc"]


# ---------------------------------------------------------------- files


def prose(r: random.Random, sentences: int, words=WORDS) -> str:
    out = []
    for _ in range(sentences):
        n = r.randint(5, 25)
        s = " ".join(r.choice(words) for _ in range(n))
        out.append(s[:1].upper() + s[1:] + r.choice([".", ".", ".", "?", "!", ";", ""]))
    return " ".join(out)


def paragraphs(r: random.Random, n: int, newline: str = "\n", **kw) -> str:
    return (newline * 2).join(prose(r, r.randint(1, 6), **kw) for _ in range(n)) + newline


def file_body(kind: str, r: random.Random) -> bytes:
    nl = r.choice(["\n", "\r\n", "\r"])
    if kind == "utf8":
        return paragraphs(r, r.randint(1, 30), nl).encode()
    if kind == "utf8-bom":
        return codecs.BOM_UTF8 + paragraphs(r, r.randint(1, 10), nl).encode()
    if kind == "latin1":
        return paragraphs(r, r.randint(1, 10), nl, words=WORDS + ["café", "Zürich", "naïve", "señor", "façade"]
                          ).encode("latin-1")
    if kind == "cp1252":
        return (paragraphs(r, r.randint(1, 10), nl) + "“quoted” – dash €5 …").encode("cp1252")
    if kind == "utf16":
        return paragraphs(r, r.randint(1, 10), nl).encode(r.choice(["utf-16", "utf-16-le", "utf-16-be"]))
    if kind == "utf16-bom-broken":
        return codecs.BOM_UTF16_LE + paragraphs(r, 2).encode("utf-16-le") + b"\x00"  # odd length
    if kind == "binary":
        head = r.choice([b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xa7\r\r\n\x00\x00\x00\x00", b"\x7fELF\x02\x01\x01",
                         b"GIF89a", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b""])
        return head + r.randbytes(r.randint(0, 20000))
    if kind == "gzip":
        return gzip.compress(paragraphs(r, 5).encode())
    if kind == "escapes":
        parts = []
        for _ in range(r.randint(5, 60)):
            parts.append(prose(r, 1))
            parts.append("".join(r.choice(ESCAPES) for _ in range(r.randint(1, 4))))
        return " ".join(parts).encode("utf-8", "surrogatepass")
    if kind == "controls":
        return "".join(r.choice([chr(r.randint(0, 31)), r.choice(WORDS) + " "]) for _ in range(r.randint(10, 3000))
                       ).encode()
    if kind == "huge-line":
        sentence = prose(r, 40) + " "
        return (sentence * (r.randint(1_000_000, 3_000_000) // len(sentence))).encode()
    if kind == "empty":
        return b""
    if kind == "blank":
        return r.choice([" ", "\n", "\r\n", "\t \n"]).encode() * r.randint(1, 5000)
    if kind == "punctuation":
        return "".join(r.choice("0123456789.,;:!?-–—()[]{}<>/\\|#*@&%$^~`'\" \n") for _ in range(r.randint(1, 5000))
                       ).encode()
    if kind == "long-word":
        return ("The word is " + r.choice("abcdefgh") * r.randint(1000, 200_000) + " and nothing else.").encode()
    if kind == "scripts":
        return (" ".join(r.choice(SCRIPTS + WORDS) for _ in range(r.randint(5, 500))) + nl).encode()
    if kind == "invalid-utf8":
        data = bytearray(paragraphs(r, 5).encode())
        for _ in range(r.randint(1, 20)):
            data.insert(r.randrange(len(data) + 1), r.choice([0x80, 0xC3, 0xFF, 0xFE, 0xED]))
        return bytes(data)
    if kind == "late-nul":
        return (paragraphs(r, 60) + "x" * 9000).encode() + b"\x00\x00" + paragraphs(r, 3).encode()
    raise ValueError(kind)


KINDS = {"utf8": 40, "utf8-bom": 5, "latin1": 5, "cp1252": 4, "utf16": 5, "utf16-bom-broken": 1, "binary": 8,
         "gzip": 2, "escapes": 6, "controls": 4, "huge-line": 0, "empty": 3, "blank": 3, "punctuation": 3,
         "long-word": 2, "scripts": 4, "invalid-utf8": 4, "late-nul": 1}


def file_name(r: random.Random, i: int) -> bytes:
    ext = r.choice([b".txt"] * 6 + [b".md", b".TXT", b".Md"])
    style = r.randrange(12)
    if style == 0:
        stem = f"with spaces {i}".encode()
    elif style == 1:
        stem = f"new\nline {i}".encode()
    elif style == 2:
        stem = f"ünïcødé 日本 {i}".encode()
    elif style == 3:
        stem = f"esc\x1b[31m{i}\x07".encode()
    elif style == 4:
        stem = b"bytes\xff\xfe" + str(i).encode()  # not UTF-8
    elif style == 5:
        stem = (f"{i}-" + "long" * 60).encode()[:240]
    elif style == 6:
        stem = f"-dash {i}".encode()
    elif style == 7:
        stem = f"tab\tand\\backslash {i}".encode()
    else:
        stem = f"doc{i:04d}".encode()
    return stem + ext


def make_corpus(root: Path, n_files: int, r: random.Random) -> Counter:
    kinds = Counter()
    root.mkdir(parents=True)
    folders = [root] + [root / f"sub{j}" / f"deeper{j % 3}" for j in range(8)]
    for f in folders:
        f.mkdir(parents=True, exist_ok=True)
    names = list(KINDS)
    weights = [KINDS[k] for k in names]
    specials = ["huge-line"] * 4 + ["fifo"] * 2 + ["loop"] * 2 + ["broken-link"] * 2 + ["dir"]
    plan = specials + r.choices(names, weights, k=n_files - len(specials) - 1) + ["loop"]
    for i, kind in enumerate(plan):
        folder = r.choice(folders)
        path = os.path.join(os.fsencode(folder), file_name(r, i))
        kinds[kind] += 1
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "loop":
            os.symlink(path, path) if kinds[kind] == 1 else os.symlink(b".", path)  # self loop; link to its folder
        elif kind == "broken-link":
            os.symlink(b"/nonexistent/qa-fuzz.txt", path)
        elif kind == "dir":
            os.mkdir(path)
            with open(os.path.join(path, b"inside.txt"), "wb") as f:
                f.write(paragraphs(r, 2).encode())
        else:
            with open(path, "wb") as f:
                f.write(file_body(kind, r))
    return kinds


# ---------------------------------------------------------------- questions


def question(r: random.Random, corpus_words: list[str]) -> bytes:
    """One question as the bytes of one stdin line (no line ends inside); never blank."""
    kind = r.randrange(16)
    if kind <= 4:
        q = " ".join(r.choice(corpus_words) for _ in range(r.randint(1, 12)))
    elif kind == 5:
        q = "".join(chr(r.choice([r.randint(32, 0x7e), r.randint(0xa0, 0x2fff), r.randint(0x3000, 0xd7ff),
                                  r.randint(0xe000, 0xfffd), r.randint(0x10000, 0x10ffff)]))
                    for _ in range(r.randint(1, 80)))
    elif kind == 6:
        q = " ".join(r.choice(ESCAPES + corpus_words) for _ in range(r.randint(1, 10)))
    elif kind == 7:
        q = r.choice(["/etc/passwd", "../../../../etc/shadow", "C:\\Windows\\system32", "~/.ssh/id_rsa",
                      "%s%s%s%n", "{0}{question}", "$(touch /tmp/qa-fuzz-pwned)", "`id`", "'; DROP TABLE x; --",
                      "<script>alert(1)</script>", "(((((a*)*)*)*)*$", "\\", "\"", "null", "[]", "{}"])
    elif kind == 8:
        q = " ".join(r.choice(["the", "of", "and", "is", "what", "who", "how", "a", "to"]) for _ in range(r.randint(1, 9)))
    elif kind == 9:
        q = "".join(r.choice("?!.,;:…—()[]{}'\"-_/*&^%$#@~`|<>=+") for _ in range(r.randint(1, 40)))
    elif kind == 10:
        q = r.choice(SCRIPTS) + " " + r.choice(corpus_words)
    elif kind == 11:
        q = r.choice(["a", "x", "7", "宫", "😀", "é", "-", "ß", "ǅ", "\u0301"])
    elif kind == 12:  # long: up to 1 MB (cut by qa to its first 10,000 characters)
        size = r.choice([1000, 10_000, 50_000, 1_000_000]) if r.random() < 0.02 else r.randint(100, 3000)
        unit = r.choice([r.choice(corpus_words) + " ", "ж", "a", "?! ", "😀"])
        q = (unit * (size // len(unit) + 1))[:size]
    elif kind == 13:  # invalid UTF-8 bytes
        return (r.choice(corpus_words).encode() + bytes([r.choice([0x80, 0xff, 0xfe, 0xc3, 0xed])]) +
                b" " + r.choice(corpus_words).encode())
    elif kind == 14:
        q = chr(r.randint(1, 31)).replace("\n", "\x01").replace("\r", "\x02") + r.choice(corpus_words) + "\x7f\x9b"
    else:
        q = r.choice(corpus_words) + "-" + r.choice(corpus_words) + "'s " + str(r.randint(0, 10 ** 9))
    q = re.sub(r"[\r\n]", " ", q)
    if not q.strip() or not q.encode("utf-8", "surrogatepass").strip():
        q = "x" + q
    return q.encode("utf-8", "surrogatepass")


def expected_question(line: bytes) -> str:
    q = line.decode("utf-8", "replace").strip()
    return q[:MAX_QUESTION_CHARS]


# ---------------------------------------------------------------- running


def qa_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "qa", *map(str, args)]


def bad_stderr(stderr: str) -> bool:
    return "Traceback" in stderr or "internal error" in stderr


def ask_batch(corpus: Path, index: Path, lines: list[bytes], timeout: float, text: bool = False) -> dict:
    """Run one `qa ask` over ``lines``; per-answer times from when each stdout line arrives."""
    flags = ["--color", "always"] if text else ["--json"]
    t0 = time.perf_counter()
    p = subprocess.Popen(qa_cmd("ask", *flags, "-k", 3, "--corpus", corpus, "--index", index), cwd=REPO,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed():
        try:
            p.stdin.write(b"\n".join(lines) + b"\n")
            p.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    errors: list[bytes] = []
    err_thread = threading.Thread(target=lambda: errors.append(p.stderr.read()))
    feeder = threading.Thread(target=feed)
    feeder.start()
    err_thread.start()
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    stamps, outputs = [], []
    for raw in p.stdout:
        stamps.append(time.perf_counter())
        outputs.append(raw)
    rc = p.wait()
    timer.cancel()
    feeder.join()
    err_thread.join()
    return {"rc": rc, "stdout": outputs, "stderr": b"".join(errors).decode("utf-8", "replace"),
            "stamps": stamps, "start": t0, "hung": rc == -9}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--questions", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it (default: a temporary folder)")
    args = ap.parse_args()
    r = random.Random(args.seed)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qa-fuzz-"))
    if args.keep and work.exists():
        shutil.rmtree(work)
    corpus, index = work / "corpus", work / "index"
    crashes: list[dict] = []
    report: dict = {"seed": args.seed}
    try:
        t = time.perf_counter()
        kinds = make_corpus(corpus, args.files, r)
        report["files"] = {"count": sum(kinds.values()), "kinds": dict(sorted(kinds.items())),
                           "bytes": sum(p.stat().st_size for p in corpus.rglob("*")
                                        if p.is_file() and not p.is_symlink()),
                           "generate_s": round(time.perf_counter() - t, 2)}
        print(f"generated {report['files']['count']} files ({report['files']['bytes'] / 1e6:.1f} MB) in {work}",
              flush=True)

        t = time.perf_counter()
        p = subprocess.run(qa_cmd("index", "--corpus", corpus, "--index", index), cwd=REPO, capture_output=True,
                           timeout=1800)
        stderr = p.stderr.decode("utf-8", "replace")
        report["index"] = {"rc": p.returncode, "seconds": round(time.perf_counter() - t, 2),
                           "stdout": p.stdout.decode("utf-8", "replace").strip(),
                           "stderr_lines": len(stderr.splitlines()),
                           "skipped_warnings": sum("skipped" in ln for ln in stderr.splitlines())}
        print(f"qa index: exit {p.returncode} in {report['index']['seconds']} s: {report['index']['stdout']}; "
              f"{report['index']['stderr_lines']} lines on stderr", flush=True)
        if p.returncode != 0 or bad_stderr(stderr) or not all(ln.startswith("qa: ") for ln in stderr.splitlines()):
            crashes.append({"step": "index", "rc": p.returncode, "stderr": stderr[-2000:]})

        for flags in (["--json"], []):
            p = subprocess.run(qa_cmd("sources", *flags, "--corpus", corpus, "--index", index), cwd=REPO,
                               capture_output=True, timeout=600)
            ok = p.returncode == 0 and not bad_stderr(p.stderr.decode("utf-8", "replace")) and p.stderr == b""
            if flags:
                try:
                    rows = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
                    report["documents"] = len(rows)
                except ValueError:
                    ok = False
            if not ok or UNSAFE & set(p.stdout.decode("utf-8", "replace")):
                crashes.append({"step": f"sources {' '.join(flags)}", "rc": p.returncode,
                                "stderr": p.stderr.decode("utf-8", "replace")[-2000:]})

        # questions: corpus words make most of them hit passages
        words = sorted({w for w in re.findall(r"\w+", " ".join(WORDS + SCRIPTS))})
        lines = [question(r, words) for _ in range(args.questions)]
        times: list[tuple[float, int]] = []
        exits = Counter()
        answered = 0
        t = time.perf_counter()
        for start in range(0, len(lines), args.batch):
            batch = lines[start:start + args.batch]
            res = ask_batch(corpus, index, batch, timeout=max(300.0, len(batch) * 1.0))
            exits[res["rc"]] += 1
            problem = None
            if res["hung"]:
                problem = "hung (killed at the timeout)"
            elif res["rc"] not in (0, 1):
                problem = f"exit {res['rc']}"
            elif bad_stderr(res["stderr"]):
                problem = "traceback or internal error on stderr"
            elif len(res["stdout"]) != len(batch):
                problem = f"{len(res['stdout'])} answers for {len(batch)} questions"
            for i, raw in enumerate(res["stdout"]):
                try:
                    obj = json.loads(raw.decode("utf-8"))
                    if obj["question"] != expected_question(batch[i]) or set(obj) != {"question", "answer",
                                                                                      "results", "query"}:
                        problem = problem or f"answer {i} does not match its question"
                    answered += obj["answer"] is not None
                except (ValueError, KeyError, UnicodeDecodeError):
                    problem = problem or f"line {i} of stdout is not JSON"
            if problem:
                at = min(len(res["stdout"]), len(batch) - 1)
                crashes.append({"step": "ask --json", "problem": problem, "question_index": start + at,
                                "question": repr(batch[at][:300]), "stderr": res["stderr"][-2000:]})
            prev = None
            for i, stamp in enumerate(res["stamps"]):
                if prev is not None:  # the first answer of a batch also pays for the start-up
                    times.append((stamp - prev, start + i))
                prev = stamp
            print(f"  asked {start + len(batch)}/{len(lines)}{'  ' + problem if problem else ''}", flush=True)
        ask_seconds = time.perf_counter() - t
        durations = sorted(d for d, _ in times)
        slowest = max(times) if times else (0.0, -1)
        report["questions"] = {
            "count": len(lines), "batches": -(-len(lines) // args.batch), "answered": answered,
            "seconds": round(ask_seconds, 1), "per_question_ms_median": round(statistics.median(durations) * 1e3, 2),
            "per_question_ms_p99": round(durations[int(len(durations) * 0.99)] * 1e3, 2),
            "slowest_s": round(slowest[0], 3), "slowest_question": repr(lines[slowest[1]][:120]),
            "slowest_question_bytes": len(lines[slowest[1]]), "exits": {str(k): v for k, v in exits.items()},
        }

        # text mode: nothing from the documents or the questions reaches the terminal as a control character
        text_lines = lines[: max(1, len(lines) // 10)]
        res = ask_batch(corpus, index, text_lines, timeout=max(300.0, len(text_lines) * 1.0), text=True)
        shown = b"".join(res["stdout"]).decode("utf-8", "replace")
        for code in OUR_CODES:
            shown = shown.replace(code, "")
        leaked = sorted(UNSAFE & set(shown))
        report["text_mode"] = {"questions": len(text_lines), "rc": res["rc"], "leaked_controls": leaked}
        if res["rc"] not in (0, 1) or bad_stderr(res["stderr"]) or leaked:
            crashes.append({"step": "ask --color always", "rc": res["rc"], "leaked": leaked,
                            "stderr": res["stderr"][-2000:]})
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    report["crashes"] = crashes
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "fuzz.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    q = report.get("questions", {})
    print(f"\nfiles: {report['files']['count']}, indexed in {report.get('index', {}).get('seconds')} s, "
          f"{report.get('documents')} documents with text")
    if q:
        print(f"questions: {q['count']} in {q['seconds']} s ({q['answered']} answered); per question median "
              f"{q['per_question_ms_median']} ms, p99 {q['per_question_ms_p99']} ms, slowest {q['slowest_s']} s "
              f"({q['slowest_question_bytes']} bytes: {q['slowest_question'][:60]}...)")
    print(f"crashes: {len(crashes)}")
    for c in crashes:
        print("  ", json.dumps(c, ensure_ascii=True)[:1000])
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
