"""qa writes an index only into an empty folder or one it marked as its own, never over the corpus."""
import json

from conftest import one_file_corpus, run_qa


def _corpus(tmp_path):
    return one_file_corpus(tmp_path, "The kettle boils water for tea in the kitchen.\n")


def test_foreign_folder_is_refused_and_left_intact(tmp_path):
    corpus = _corpus(tmp_path)
    other = tmp_path / "photos"
    (other / "seg-2023").mkdir(parents=True)
    (other / "seg-2023" / "beach.jpg").write_bytes(b"\xff\xd8 jpeg")
    (other / "manifest.json").write_text('{"album": "summer"}')
    for command in (["index"], ["ask", "kettle"], ["sources"]):  # one line: no "indexing ..." before the refusal
        result = run_qa(*command, "--corpus", corpus, "--index", other)
        assert result.returncode == 2 and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1 and "not made by qa" in result.stderr, result.stderr
    assert (other / "seg-2023" / "beach.jpg").read_bytes() == b"\xff\xd8 jpeg"
    assert (other / "manifest.json").read_text() == '{"album": "summer"}'
    assert sorted(p.name for p in other.iterdir()) == ["manifest.json", "seg-2023"]


def test_index_equal_to_corpus_is_refused_and_corpus_kept(tmp_path):
    corpus = _corpus(tmp_path)
    (corpus / "seg-2023").mkdir()
    (corpus / "seg-2023" / "notes.txt").write_text("Minutes of the 2023 meeting.\n")
    for command in (["index"], ["ask", "kettle"]):
        result = run_qa(*command, "--corpus", corpus, "--index", corpus)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "cannot be the corpus" in result.stderr
    assert (corpus / "seg-2023" / "notes.txt").read_text() == "Minutes of the 2023 meeting.\n"
    assert not (corpus / "manifest.json").exists()


def test_index_inside_corpus_refused_unless_hidden_and_corpus_inside_index_refused(tmp_path):
    corpus = _corpus(tmp_path)
    assert run_qa("index", "--corpus", corpus, "--index", corpus / "idx").returncode == 2
    assert not (corpus / "idx").exists()
    assert run_qa("index", "--corpus", corpus, "--index", tmp_path).returncode == 2
    hidden = run_qa("ask", "kettle", "--corpus", corpus, "--index", corpus / ".qa-index")
    assert hidden.returncode == 0, hidden.stderr
    assert "a.txt:1" in hidden.stdout


def test_new_and_empty_folders_get_a_marker_and_can_be_rebuilt(tmp_path):
    # --lexical here and below: the marker is the same either way, and the model need not load six times
    corpus = _corpus(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "new" / "deeper"):
        assert run_qa("index", "--lexical", "--corpus", corpus, "--index", folder).returncode == 0
        assert (folder / ".qa-index").is_file()
        assert run_qa("index", "--lexical", "--corpus", corpus, "--index", folder).returncode == 0
        assert run_qa("ask", "--lexical", "kettle", "--corpus", corpus, "--index", folder).returncode == 0


def test_index_made_before_the_marker_is_still_ours(tmp_path):
    corpus = _corpus(tmp_path)
    index = tmp_path / "old"
    assert run_qa("index", "--lexical", "--corpus", corpus, "--index", index).returncode == 0
    (index / ".qa-index").unlink()
    assert json.loads((index / "manifest.json").read_text())["segments"]
    (corpus / "b.txt").write_text("A teapot keeps the tea warm.\n")
    result = run_qa("index", "--lexical", "--corpus", corpus, "--index", index)
    assert result.returncode == 0, result.stderr
    assert (index / ".qa-index").is_file()
