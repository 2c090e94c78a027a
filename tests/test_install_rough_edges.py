"""Progress that moves as files are read, empty questions refused, and the small wordings a new user meets."""
import shutil

import pytest

import qa
from qa import formats
from conftest import SEEDS, run_qa


def test_progress_moves_as_each_file_is_read(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    events = []
    real_read = formats.read

    def read_and_log(root, path, *args, **kwargs):
        events.append(("read", path.name))
        return real_read(root, path, *args, **kwargs)

    monkeypatch.setattr(formats, "read", read_and_log)
    qa.build_index(corpus, tmp_path / "index", progress=lambda done, total: events.append(("progress", done, total)),
                   warn=lambda message: None, semantic=False)  # the files only: embedding reports its own phase
    names = sorted(p.name for p in corpus.iterdir())
    expected = [("progress", 0, 5)]
    for done, name in enumerate(names, 1):
        expected += [("read", name), ("progress", done, 5)]
    # each file counts as soon as it has been read, not all of them after the last one
    assert events == expected


def test_an_empty_question_is_bad_input_in_the_api(seeds_index):
    for question in ("", "   ", "\n\t"):
        with pytest.raises(qa.QAError, match="^empty question$"):
            seeds_index.ask(question)
        with pytest.raises(qa.QAError, match="^empty question$"):
            seeds_index.conversation().ask(question)
    with pytest.raises(qa.QAError):
        seeds_index.ask_many(["Who is Peskov?", ""])


def test_one_changed_file_is_one_file(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    qa.build_index(corpus, tmp_path / "index", warn=lambda message: None)
    (corpus / "new.txt").write_text("A new file about the harbour of Odesa.\n")
    messages = []
    qa.open_index(corpus, tmp_path / "index", warn=messages.append)
    assert messages[0] == "the corpus changed (1 file); updating the index"


def test_version():
    result = run_qa("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"qa {qa.__version__}\n", "")
