"""An unreadable sub-folder of the corpus is skipped with a one-line warning; an unreadable corpus is exit 2.

Run as root (CI's containers), qa is started without the capabilities that let root read any folder
(setpriv), so that a folder of mode 000 is as unreadable to it as to any user."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from conftest import REPO

# what lets root read a folder whatever its mode, taken from the started process and its children
SETPRIV = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]
AS_A_USER = SETPRIV if os.geteuid() == 0 and shutil.which("setpriv") else []


def chmod_denies() -> bool:
    """Whether a folder of mode 000 really cannot be listed by the qa this file starts."""
    with tempfile.TemporaryDirectory() as scratch:
        os.chmod(scratch, 0)
        try:
            listed = subprocess.run([*AS_A_USER, sys.executable, "-c", f"import os; os.listdir({scratch!r})"],
                                    capture_output=True, timeout=60)
            return listed.returncode != 0 and b"PermissionError" in listed.stderr
        finally:
            os.chmod(scratch, 0o700)


pytestmark = pytest.mark.skipif(not chmod_denies(), reason="root reads folders whatever their mode (no setpriv here)")


def run_qa(*args):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([*AS_A_USER, sys.executable, "-m", "qa", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


@pytest.fixture
def locked(tmp_path):
    """Folders made unreadable by a test, made readable again afterwards so pytest can delete them."""
    folders = []
    yield folders
    for folder in folders:
        folder.chmod(0o755)


def test_unreadable_sub_folder_is_skipped_with_a_warning(tmp_path, locked):
    corpus = tmp_path / "docs"
    (corpus / "private").mkdir(parents=True)
    (corpus / "a.txt").write_text("The kettle boils water for tea.\n")
    (corpus / "private" / "b.txt").write_text("The lighthouse keeper writes a journal.\n")
    (corpus / "private").chmod(0)
    locked.append(corpus / "private")
    built = run_qa("index", "--lexical", "--corpus", corpus, "--index", tmp_path / "index")
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stderr.splitlines() if "private" in line]
    assert len(warnings) == 1, built.stderr
    assert warnings[0].startswith("qa: skipped private/: ") and "ermission denied" in warnings[0]
    answer = run_qa("ask", "--lexical", "kettle tea", "--corpus", corpus, "--index", tmp_path / "index")
    assert answer.returncode == 0 and "a.txt:1" in answer.stdout, answer.stderr
    assert "private" not in answer.stderr  # told when the corpus is read, not on every question


def test_sub_folder_that_becomes_unreadable_is_named_when_the_index_updates(tmp_path, locked):
    corpus = tmp_path / "docs"
    (corpus / "deep" / "er").mkdir(parents=True)
    (corpus / "a.txt").write_text("The kettle boils water for tea.\n")
    (corpus / "deep" / "er" / "b.txt").write_text("The lighthouse keeper writes a journal.\n")
    index = tmp_path / "index"
    assert run_qa("index", "--lexical", "--corpus", corpus, "--index", index).returncode == 0
    (corpus / "deep" / "er").chmod(0)
    locked.append(corpus / "deep" / "er")
    answer = run_qa("ask", "--lexical", "lighthouse journal", "--corpus", corpus, "--index", index)
    assert answer.stderr.count("qa: skipped deep/er/: ") == 1, answer.stderr
    assert "b.txt" not in answer.stdout
    assert "Traceback" not in answer.stderr


@pytest.mark.parametrize("command", ["index", "ask"])
def test_unreadable_corpus_root_is_a_clear_error(tmp_path, locked, command):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water for tea.\n")
    corpus.chmod(0)
    locked.append(corpus)
    args = ["kettle"] if command == "ask" else []
    result = run_qa(command, *args, "--lexical", "--corpus", corpus, "--index", tmp_path / "index")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()  # nothing before it: no "indexing DIR into DIR"
    assert line.startswith("qa: cannot read the corpus folder ") and "ermission denied" in line, result.stderr
    assert "no text to search" not in result.stderr
    assert not (tmp_path / "index").exists() or not any((tmp_path / "index").iterdir())
