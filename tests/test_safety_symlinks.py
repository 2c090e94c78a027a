"""A symlink in the corpus that leads outside it is skipped with a warning, never read or quoted."""
import os

from conftest import json_lines, run_qa


def test_file_symlink_outside_the_corpus_is_not_quoted(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the zebra password is hunter2\n")
    (corpus / "a.txt").write_text("The kettle boils water for tea.\n")
    (corpus / "inner.txt").write_text("Inner notes about the zebra crossing.\n")
    os.symlink(secret, corpus / "passwd.txt")
    os.symlink(corpus / "inner.txt", corpus / "alias.txt")  # stays inside: still read
    os.symlink(tmp_path, corpus / "outside-dir")  # a folder link: never entered
    index = tmp_path / "index"
    built = run_qa("index", "--corpus", corpus, "--index", index)
    assert built.returncode == 0, built.stderr
    assert "passwd.txt" in built.stderr and "outside the corpus" in built.stderr
    result = run_qa("ask", "zebra password hunter2", "--corpus", corpus, "--index", index, "--json")
    assert "root:x" not in result.stdout and "root:x" not in result.stderr
    assert "passwd.txt" not in result.stdout
    answer = run_qa("ask", "zebra crossing", "--corpus", corpus, "--index", index, "--json")
    sources = {r["source"] for line in json_lines(answer.stdout) for r in line["results"]}
    assert sources & {"alias.txt", "inner.txt"}, answer.stdout


def test_symlink_loop_does_not_hang_or_crash(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water for tea.\n")
    os.symlink(corpus / "loop2.txt", corpus / "loop1.txt")
    os.symlink(corpus / "loop1.txt", corpus / "loop2.txt")
    os.symlink(corpus, corpus / "self")
    result = run_qa("ask", "kettle", "--corpus", corpus, "--index", tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "a.txt:1" in result.stdout
