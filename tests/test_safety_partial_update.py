"""A failed update (a full disk while writing its segments) removes the segment folders it made, as a failed
build does (tests/test_safety_crashes.py); the index stays the previous one, and a later update works."""
import qa
from qa import index as store

from conftest import run_qa


class DiskFullAfterWriting(store.LocalBuilder):
    def update(self, *args):
        results = list(super().update(*args))  # the new segment folders are on disk now
        assert results
        raise OSError(28, "No space left on device")


def test_a_failed_update_removes_the_segment_folders_it_made(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # else so small a corpus is rebuilt, not updated
    corpus, index = tmp_path / "docs", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The kettle boils water.\n")
    built = qa.build_index(corpus, index, warn=lambda m: None, semantic=False)
    before = sorted(p.name for p in index.iterdir())
    (corpus / "b.txt").write_text("A teapot keeps the tea warm.\n")
    try:
        store.update(corpus, index, built.manifest, store.scan(corpus), builder=DiskFullAfterWriting())
    except OSError as exc:
        assert exc.errno == 28
    else:
        raise AssertionError("the update did not fail")
    assert sorted(p.name for p in index.iterdir()) == before
    answer = run_qa("ask", "--lexical", "teapot warm", "--corpus", corpus, "--index", index)
    assert answer.returncode == 0 and "b.txt:1" in answer.stdout, answer.stderr
