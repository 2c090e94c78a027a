"""An unreadable sub-folder of the corpus is skipped with a one-line warning; an unreadable corpus is exit 2."""
import os
import tempfile

import pytest
from conftest import run_qa


def chmod_denies() -> bool:
    """Whether a folder of mode 000 really cannot be listed here (root, or CAP_DAC_OVERRIDE, reads it anyway)."""
    with tempfile.TemporaryDirectory() as scratch:
        os.chmod(scratch, 0)
        try:
            os.listdir(scratch)
            return False
        except PermissionError:
            return True
        finally:
            os.chmod(scratch, 0o700)


pytestmark = pytest.mark.skipif(not chmod_denies(), reason="this user (root) reads folders whatever their mode")


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
    assert "qa: skipped deep/er/: " in answer.stderr, answer.stderr
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
    last = result.stderr.strip().splitlines()[-1]  # after at most the "indexing DIR into DIR" note
    assert last.startswith("qa: cannot read the corpus folder ") and "ermission denied" in last, result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2 and "Traceback" not in result.stderr
    assert "no text to search" not in result.stderr
    assert not (tmp_path / "index").exists() or not any((tmp_path / "index").iterdir())
