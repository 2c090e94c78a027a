"""Crashes and concurrent use (of the lexical index; the semantic vectors are tests/test_semantic.py's):
``kill -9`` in the middle of ``qa index`` leaves the previous index whole;
two ``qa index`` at once end with one good index; ``qa ask`` during a rebuild answers from the old or
the new index, never a mix, never an error.

The timeouts only detect hangs; nothing here asserts a duration.
"""
import json
import random
import subprocess
import sys
import threading
import time

import pytest

import qa
from qa import storage
from conftest import REPO, json_lines, run_qa

QUESTION = "When will the railway line to the coast open?"


def make_corpus(root, documents=150, seed=3):
    """About 30 KB a document of plain news-like prose: 150 take a second or two to index."""
    r = random.Random(seed)
    subjects = ["The committee", "A spokesman for the ministry", "The mayor of the town", "Local farmers",
                "The river authority", "A group of scientists"]
    verbs = ["said that", "announced on Tuesday that", "warned in a statement that", "told reporters that"]
    objects = ["the bridge over the river would be closed for repairs", "the harvest was better than last year",
               "the new railway line to the coast is to open in the spring", "water levels in the lake had fallen",
               "the budget for the schools was cut by a third", "the festival would go ahead despite the rain"]
    root.mkdir()
    for i in range(documents):
        paragraphs = [" ".join(f"{r.choice(subjects)} {r.choice(verbs)} {r.choice(objects)} (case {r.randint(0, 10**6)})."
                               for _ in range(5)) for _ in range(40)]
        (root / f"doc{i:03d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return root


def qa_index(root, index):
    return subprocess.Popen([sys.executable, "-m", "qa", "index", "--lexical", "--corpus", str(root), "--index", str(index)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ask_json(root, index):
    r = run_qa("ask", "--json", "--lexical", "-k", 5, "--corpus", root, "--index", index, QUESTION, timeout=60)
    return r, (json_lines(r.stdout)[0]["results"] if r.stdout.strip() else None)


def segment_folders(index):
    return {p.name for p in index.iterdir() if p.name.startswith("seg-")}


def assert_whole(root, index):
    """The index opens without update and passes its checksums, and nothing is left over on disk."""
    idx = qa.open_index(root, index, update=False, semantic=False)
    assert segment_folders(index) == {s["name"] for s in idx.manifest["segments"]}
    assert not [p for p in index.iterdir() if p.name.endswith(".tmp")]
    return idx


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("busy")
    root = make_corpus(base / "corpus")
    index = base / "index"
    p = qa_index(root, index)
    assert p.wait(timeout=300) == 0, p.stderr.read()
    r, baseline = ask_json(root, index)
    assert r.returncode == 0 and baseline
    return root, index, baseline


def test_kill_9_during_qa_index_leaves_the_previous_index_loadable(built):
    root, index, baseline = built
    before = (index / "manifest.json").read_bytes()
    old_segments = segment_folders(index)
    p = qa_index(root, index)
    deadline = time.monotonic() + 120
    while not segment_folders(index) - old_segments and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.01)  # wait until the new build is writing its segment
    time.sleep(0.2)
    assert p.poll() is None, "the build ended before it could be killed"
    p.kill()  # SIGKILL: no cleanup of any kind
    assert p.wait(timeout=60) == -9
    assert (index / "manifest.json").read_bytes() == before
    old = qa.open_index(root, index, update=False, semantic=False)  # checksums pass
    assert segment_folders(index) - old_segments  # the killed build's half-written segment is still there
    assert {s["name"] for s in old.manifest["segments"]} == old_segments
    r, results = ask_json(root, index)
    assert r.returncode == 0 and r.stderr == "" and results == baseline
    # the next build takes the lock at once (it died with its holder) and clears what the killed one left
    p = qa_index(root, index)
    assert p.wait(timeout=300) == 0, p.stderr.read()
    assert_whole(root, index)
    assert ask_json(root, index)[1] == baseline


def test_two_qa_index_at_once_end_with_one_good_index(built):
    root, index, baseline = built
    first, second = qa_index(root, index), qa_index(root, index)
    for p in (first, second):
        assert p.wait(timeout=300) == 0, p.stderr.read()
        assert "Traceback" not in p.stderr.read()
    idx = assert_whole(root, index)
    assert idx.document_count == 150
    r, results = ask_json(root, index)
    assert r.returncode == 0 and r.stderr == "" and results == baseline


def test_a_first_question_while_the_index_is_first_built_waits_for_it_and_builds_nothing(built, tmp_path):
    """Two first uses of a new index at once (two scripts, two terminals): the second waits for the first one's build
    and opens it; it does not build the index again and remove the segments the first one is reading."""
    root, _, baseline = built
    index = tmp_path / "fresh"
    first = qa_index(root, index)
    deadline = time.monotonic() + 120
    while not (index / ".lock").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)  # the first build holds the lock
    second = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--json", "--lexical", "-k", "5", "--corpus", str(root),
                               "--index", str(index), QUESTION], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    built_first = segment_folders(index)  # before the second could have built anything of its own
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert json_lines(out)[0]["results"] == baseline
    assert segment_folders(index) == built_first, err
    assert_whole(root, index)


def test_qa_ask_during_rebuilds_answers_from_old_or_new_never_a_mix(built):
    root, index, baseline = built
    failures = []

    def rebuild():
        for _ in range(2):
            p = qa_index(root, index)
            if p.wait(timeout=300) != 0:
                failures.append(p.stderr.read())

    writer = threading.Thread(target=rebuild)
    writer.start()
    asked = 0
    messages = []
    try:
        while writer.is_alive():
            if asked % 4 == 3:  # now and then through the real command line
                r, results = ask_json(root, index)
                assert r.returncode == 0 and r.stderr == "", r.stderr
            else:
                idx = qa.open_index(root, index, warn=messages.append, semantic=False)
                results = [res.to_dict() for res in idx.ask(QUESTION, 5).results]
                # every passage shown is the file's own text at the cited place
                for res in results:
                    text = (root / res["source"]).read_text(encoding="utf-8")
                    assert text[res["char_start"]:res["char_end"]] == res["text"]
            assert results == baseline
            asked += 1
    finally:
        writer.join()
    assert not failures, failures
    assert not messages, messages  # no damage seen, no rebuild started by a reader
    assert asked >= 3
    assert_whole(root, index)


def test_reader_that_loses_the_race_with_a_writer_retries_the_new_index(built, monkeypatch):
    """Deterministic version of the race: the segments a reader was about to load vanish under it."""
    root, index, baseline = built
    real = storage.read_array
    swapped = []

    def read_array(folder, meta, verify):
        if not swapped:
            swapped.append(True)
            p = qa_index(root, index)  # a writer replaces the index and removes the old segments
            assert p.wait(timeout=300) == 0
        return real(folder, meta, verify)
    monkeypatch.setattr(storage, "read_array", read_array)
    messages = []
    idx = qa.open_index(root, index, warn=messages.append, semantic=False)
    assert swapped and not messages
    assert [r.to_dict() for r in idx.ask(QUESTION, 5).results] == baseline
    monkeypatch.undo()
    assert_whole(root, index)
    assert json.loads((index / "manifest.json").read_text())["segments"]
