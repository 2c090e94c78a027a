"""Inputs that used to crash qa (exit 3) get an answer or a one-line error."""
import json
import os

from conftest import run_qa


def _deep_corpus(root, depth):
    root.mkdir()
    (root / "a.txt").write_text("The kettle boils water.\n")
    top = cur = os.open(root, os.O_RDONLY)
    for _ in range(depth):  # relative to a folder descriptor: the path itself is never spelled out
        os.mkdir("d", dir_fd=cur)
        nxt = os.open("d", os.O_RDONLY, dir_fd=cur)
        if cur != top:
            os.close(cur)
        cur = nxt
    with open(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=cur), "w") as f:
        f.write("Deep zebra text.\n")
    os.close(cur)
    os.close(top)


def test_a_folder_1100_levels_deep_is_read(tmp_path):
    corpus = tmp_path / "docs"
    _deep_corpus(corpus, 1100)
    result = run_qa("ask", "zebra", "--corpus", corpus, "--index", tmp_path / "index", "--json")
    assert result.returncode == 0, result.stderr[-300:]
    assert json.loads(result.stdout)["results"][0]["source"].endswith("/d/deep.txt")


def test_an_unsupported_cluster_scheme_is_a_usage_error(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water.\n")
    for address in ("tls://127.0.0.1:1", "inproc://x", "ucx://127.0.0.1:1"):
        result = run_qa("ask", "kettle", "--corpus", corpus, "--index", tmp_path / "index", "--cluster", address)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert "unsupported cluster address" in result.stderr
