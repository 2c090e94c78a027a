"""Do two qa trees answer alike? `qa ask --json` for every question, one run each, a batch and a chat, byte for byte.

    python benchmarks/same_answers.py --base /work/main --corpus /work/shared/seeds tests/data/seed_questions_dev.jsonl

QUESTIONS: a .jsonl of {"question": ...} lines or a .tsv whose first column is the question.
The index is built once into a temporary folder (the format does not differ between the trees).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def read_questions(path: Path) -> list[str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if path.suffix == ".jsonl":
        return [json.loads(line)["question"] for line in lines]
    return [line.split("\t")[0] for line in lines]


def run(tree: Path, args: list[str], stdin: str | None = None) -> bytes:
    done = subprocess.run([sys.executable, "-m", "qa", "ask", "--json", "-k", "5", *args], cwd=tree,
                          input=stdin.encode() if stdin is not None else None, capture_output=True)
    return done.stdout + f"exit {done.returncode}\n".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other tree (a folder holding qa/)")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("questions", type=Path)
    opts = parser.parse_args()
    questions = read_questions(opts.questions)
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        where = ["--corpus", str(opts.corpus.resolve()), "--index", tmp]
        run(here, [*where, "warm-up"])
        differ = 0
        for question in questions:
            differ += run(here, [*where, question]) != run(opts.base, [*where, question])
        stdin = "".join(q + "\n" for q in questions)
        batch_differs = run(here, where, stdin) != run(opts.base, where, stdin)
        chat_differs = run(here, [*where, "--chat"], stdin) != run(opts.base, [*where, "--chat"], stdin)
    print(f"{len(questions)} questions: {differ} answered differently one by one; batch "
          f"{'differs' if batch_differs else 'identical'}; chat {'differs' if chat_differs else 'identical'}")
    return 1 if differ or batch_differs or chat_differs else 0


if __name__ == "__main__":
    sys.exit(main())
