"""Inputs that used to crash qa (exit 3) get an answer or a one-line error."""
import json
import os
import shutil
import tempfile
from pathlib import Path

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


def _flatten(root):
    """Undo the nesting one level at a time: pytest's own (recursive) clean-up of tmp_path would
    crash on a folder this deep, in this run and every later one."""
    while (root / "d" / "d").is_dir():
        (root / "d" / "d").rename(root / "next")
        shutil.rmtree(root / "d")
        (root / "next").rename(root / "d")


def test_a_folder_1100_levels_deep_is_read(tmp_path):
    # outside pytest's tmp_path tree: if this test is killed before the clean-up below, pytest's
    # clean-up of later sessions must not meet the deep folder
    corpus = Path(tempfile.mkdtemp(prefix="qa-deep-")) / "docs"
    try:
        _deep_corpus(corpus, 1100)
        result = run_qa("ask", "zebra", "--corpus", corpus, "--index", tmp_path / "index", "--json")
    finally:
        _flatten(corpus)
        shutil.rmtree(corpus.parent)
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


def test_a_manifest_naming_a_missing_segment_is_rebuilt_once(tmp_path):
    corpus, index = tmp_path / "docs", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water.\n")
    assert run_qa("index", "--corpus", corpus, "--index", index).returncode == 0
    for seg in index.glob("seg-*"):
        shutil.rmtree(seg)
    first = run_qa("ask", "kettle", "--corpus", corpus, "--index", index)
    assert first.returncode == 0 and "a.txt:1" in first.stdout, first.stderr
    assert "rebuilding the index" in first.stderr
    second = run_qa("ask", "kettle", "--corpus", corpus, "--index", index)
    assert second.returncode == 0 and "rebuilding" not in second.stderr


def test_a_failed_build_removes_the_segment_folders_it_made(tmp_path):
    import qa
    from qa import index as store

    corpus, index = tmp_path / "docs", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water.\n")
    qa.build_index(corpus, index, warn=lambda m: None)
    kept = sorted(p.name for p in index.iterdir())
    (index / "seg-not-mine-yet").mkdir()  # there before this build: not this build's to remove

    class DiskFullAfterWriting(store.LocalBuilder):
        def build(self, *args):
            super().build(*args)  # the segment folders are on disk now
            raise OSError(28, "No space left on device")

    (corpus / "b.txt").write_text("A teapot keeps the tea warm.\n")
    try:
        store.build(corpus, index, builder=DiskFullAfterWriting())
    except OSError as exc:
        assert exc.errno == 28
    else:
        raise AssertionError("the build did not fail")
    assert sorted(p.name for p in index.iterdir()) == sorted(kept + ["seg-not-mine-yet"])
    assert run_qa("ask", "kettle", "--corpus", corpus, "--index", index).returncode == 0


def test_a_cluster_address_that_is_not_a_scheduler_fails_within_a_limit(tmp_path):
    import http.server
    import threading

    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water.\n")
    try:
        result = run_qa("ask", "kettle", "--corpus", corpus, "--index", tmp_path / "index",
                        "--cluster", f"tcp://127.0.0.1:{server.server_port}", env={"QA_CLUSTER_TIMEOUT": "1"},
                        timeout=60)
    finally:
        server.shutdown()
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no Dask scheduler answered" in result.stderr
