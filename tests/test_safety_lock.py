"""A write lock held by another process never makes qa wait silently forever."""
import fcntl
import os

from conftest import one_file_corpus, run_qa


def _held_lock(index):
    fd = os.open(index / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # an open file description of our own: the subprocess cannot take it
    return fd


def _corpus(tmp_path):
    return one_file_corpus(tmp_path, "The kettle boils water for tea.\n")


def test_ask_answers_from_the_current_index_while_another_writer_holds_the_lock(tmp_path):
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    assert run_qa("index", "--corpus", corpus, "--index", index).returncode == 0
    (corpus / "b.txt").write_text("A teapot keeps the tea warm.\n")
    fd = _held_lock(index)
    try:
        result = run_qa("ask", "kettle", "--corpus", corpus, "--index", index, timeout=60)
    finally:
        os.close(fd)
    assert result.returncode == 0, result.stderr
    assert "a.txt:1" in result.stdout
    assert "another qa process is updating the index" in result.stderr
    after = run_qa("ask", "teapot", "--corpus", corpus, "--index", index)  # lock gone: it updates
    assert "b.txt:1" in after.stdout


def test_writer_waits_with_a_message_and_gives_up_after_the_limit(tmp_path):
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    index.mkdir()
    fd = _held_lock(index)
    try:
        result = run_qa("index", "--corpus", corpus, "--index", index, env={"QA_LOCK_WAIT": "1"}, timeout=60)
    finally:
        os.close(fd)
    assert result.returncode == 2
    assert "waiting for another qa process" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("qa: ")
    assert "still being written by another qa process" in result.stderr
    assert "Traceback" not in result.stderr
