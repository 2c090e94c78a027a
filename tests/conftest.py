import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DEV_QUESTIONS = REPO / "tests" / "data" / "seed_questions_dev.jsonl"


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A private copy of the seed corpus, safe to edit."""
    dest = tmp_path / "corpus"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory):
    """The seeds indexed once for the session into a temporary folder."""
    import qa
    folder = tmp_path_factory.mktemp("seeds-index")
    return qa.build_index(SEEDS, folder, warn=lambda m: None)


@pytest.fixture
def seeds_index_copy(seeds_index, tmp_path) -> Path:
    """A private copy of the session's seeds index folder (the default, semantic build), safe to write to:
    a test of something else than the first build need not pay for embedding the seeds again."""
    dest = tmp_path / "seeds-index"
    shutil.copytree(seeds_index.path, dest)
    return dest


def run_qa(*args, input=None, env=None, cwd=None, timeout=120):
    """Run the real command line in a subprocess; returns CompletedProcess with text output."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "qa", *map(str, args)], input=input, capture_output=True,
                          text=True, env=full_env, cwd=cwd or REPO, timeout=timeout)


def one_file_corpus(tmp_path: Path, text: str) -> Path:
    """A corpus folder ``docs`` holding one file, a.txt, with ``text``."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text(text)
    return corpus


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
