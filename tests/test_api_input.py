"""The Python API takes what the command line takes: a wrong kind of argument is a qa.QAError with one clear line,
never a TypeError from deep inside; an Index in use follows the files it quotes when they are edited."""
from __future__ import annotations

import shutil

import pytest

import qa
from conftest import SEEDS

QUESTION = "When did Russia annex Crimea?"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return qa.build_index(SEEDS, tmp_path_factory.mktemp("api") / "index", warn=None, semantic=False)


@pytest.mark.parametrize("k", [2.0, float("nan"), "3", None, True, 0, -1])
def test_a_k_that_is_no_count_of_passages_is_a_qa_error(index, k):
    for call in (lambda: index.ask(QUESTION, k=k), lambda: index.ask_many([QUESTION], k=k),
                 lambda: index.search(QUESTION, k), lambda: index.conversation().ask(QUESTION, k=k)):
        with pytest.raises(qa.QAError, match="^k must be"):
            call()


@pytest.mark.parametrize("questions", [[None], [b"Crimea"], [42], [["Crimea"]], None, "Crimea", [QUESTION, ""]])
def test_ask_many_checks_every_question_first(index, questions):
    with pytest.raises(qa.QAError, match="question"):
        index.ask_many(questions)


def test_search_gives_k_pairs(index):
    assert [len(index.search(QUESTION, k)) for k in (1, 3, 10)] == [1, 3, 10]
    assert index.search(QUESTION, 3) == index.search(QUESTION, 10)[:3]


@pytest.mark.parametrize("pid", [45, -1, "3", None, 1.0, True])
def test_a_passage_id_outside_the_index_is_a_qa_error(index, pid):
    assert index.passage_count == 45
    for read in (index.passage_text, index.passage_source, index.place):
        with pytest.raises(qa.QAError, match="passage ids are whole numbers from 0 to 44"):
            read(pid)
    assert index.passage_text(44) and index.passage_source(0).endswith(".txt")


def test_a_source_the_index_does_not_hold_is_a_qa_error(index):
    source = index.passage_source(0)
    assert index.source_info(source)["format"] == "txt" and index.source_text(source)
    for read in (index.source_info, index.source_text):
        with pytest.raises(qa.QAError, match="^not an indexed source: nope.txt$"):
            read("nope.txt")


@pytest.mark.parametrize("corpus, folder, says", [
    (42, "index", "the corpus must be a path"), (b"seeds", "index", "the corpus must be a path"),
    ("", "index", "the corpus path is empty"), (str(SEEDS), 3, "the index must be a path"),
    (str(SEEDS), "i\0n", "the index path is not a usable path"),
])
def test_a_path_of_the_wrong_kind_is_a_qa_error(tmp_path, corpus, folder, says):
    with pytest.raises(qa.QAError, match=says):
        qa.open_index(corpus, tmp_path / folder if folder == "index" else folder, semantic=False)


@pytest.mark.parametrize("options, says", [({"semantic": "no"}, "semantic must be True, False or None"),
                                           ({"progress": 1}, "warn and progress must be functions"),
                                           ({"warn": "loud"}, "warn and progress must be functions")])
def test_options_of_the_wrong_kind_are_a_qa_error(tmp_path, options, says):
    with pytest.raises(qa.QAError, match=says):
        qa.open_index(SEEDS, tmp_path / "index", **{"semantic": False, **options})


def test_warn_none_is_silent(tmp_path, capsys):
    qa.open_index(SEEDS, tmp_path / "index", warn=None, semantic=False).ask(QUESTION)
    assert capsys.readouterr().err == ""


def test_a_question_without_words_to_search_is_ranked_by_nothing_whatever_came_before(index):
    assert [index.ask(q).mode for q in ("the of and", QUESTION, "the of and")] == ["lexical"] * 3
    assert index.ask("the of and").results == []


def test_an_index_in_use_follows_a_file_edited_meanwhile(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    notes: list[str] = []
    index = qa.open_index(corpus, tmp_path / "index", warn=notes.append, semantic=False)
    first = index.ask("What did Peskov tell Izvestia?", k=1).results[0]
    edited = corpus / first.source
    edited.write_text("The harbour of Lisbon was calm and sunny all week.\n" + edited.read_text(encoding="utf-8"),
                      encoding="utf-8")
    again = index.ask("What did Peskov tell Izvestia?", k=1)  # quoting the edited file: updated first, then answered
    lines = edited.read_text(encoding="utf-8").splitlines()
    result = again.results[0]
    assert result.text.splitlines() == lines[result.line_start - 1:result.line_end]
    assert notes[-1] == "the corpus changed (1 file); updating the index"
    assert index.ask("Was the harbour of Lisbon calm?", k=1).results[0].line_start == 1


def test_an_index_in_use_follows_a_file_deleted_meanwhile(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    notes: list[str] = []
    index = qa.open_index(corpus, tmp_path / "index", warn=notes.append, semantic=False)
    first = index.ask("What did Peskov tell Izvestia?", k=3)
    (corpus / first.results[0].source).unlink()
    again = index.ask("What did Peskov tell Izvestia?", k=3)  # it would quote the deleted file: updated, then answered
    assert first.results[0].source not in [r.source for r in again.results]
    assert notes[-1] == "the corpus changed (1 file); updating the index"
    assert first.results[0].source not in dict(index.sources())
