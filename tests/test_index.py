"""A real index written to disk, read back, checked and updated when the files change."""
import json

import numpy as np
import pytest

import qa
from qa import storage
from conftest import SEEDS


def quiet(message):
    pass


def test_build_and_reopen_gives_the_same_answers(tmp_path):
    built = qa.build_index(SEEDS, tmp_path / "idx", warn=quiet)
    reopened = qa.open_index(SEEDS, tmp_path / "idx", warn=quiet)
    q = "What did Peskov say about Qatar?"
    assert [r.to_dict() for r in built.ask(q, 5).results] == [r.to_dict() for r in reopened.ask(q, 5).results]
    assert reopened.document_count == 5 and reopened.passage_count >= 40


def test_manifest_is_plain_data_with_checksums(tmp_path):
    qa.build_index(SEEDS, tmp_path, warn=quiet)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == storage.FORMAT
    assert manifest["params"]["max_words"] > 0
    assert set(manifest["files"]) == {p.name for p in SEEDS.iterdir()}
    for seg in manifest["segments"]:
        for meta in seg["arrays"].values():
            path = tmp_path / seg["name"] / meta["file"]
            assert path.suffix == ".npy" and storage.crc32_file(path) == meta["crc32"]
            np.load(path, allow_pickle=False)  # plain arrays: loads without pickle
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.joblib"))


def test_every_citation_matches_the_file(seeds_index):
    for q in ["Peskov", "nuclear doctrine", "Trump inauguration", "Qatar mediator", "drones"]:
        for r in seeds_index.ask(q, 10).results:
            lines = (SEEDS / r.source).read_text(encoding="utf-8").splitlines()
            assert r.text in "\n".join(lines[r.line_start - 1:r.line_end])


def test_edit_add_delete_are_seen(seeds_copy, tmp_path, capsys):
    idx_dir = tmp_path / "idx"
    qa.open_index(seeds_copy, idx_dir)
    target = seeds_copy / "002_cf0f16a4fca10365.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nThe zeppelin festival of Omsk drew ninety thousand "
                      "visitors to the river banks this summer, the organisers said.\n", encoding="utf-8")
    messages = []
    idx = qa.open_index(seeds_copy, idx_dir, warn=messages.append)
    assert any("changed" in m for m in messages)
    hit = idx.ask("zeppelin festival in Omsk", 1)
    assert hit.answer and hit.results[0].source == target.name
    (seeds_copy / "new.txt").write_text("Beekeepers in Lyon reported a record honey harvest after the warm spring "
                                        "weather, local producers said on Friday.\n", encoding="utf-8")
    idx = qa.open_index(seeds_copy, idx_dir, warn=quiet)
    assert idx.ask("honey harvest Lyon", 1).results[0].source == "new.txt"
    (seeds_copy / "new.txt").unlink()
    idx = qa.open_index(seeds_copy, idx_dir, warn=quiet)
    assert all(r.source != "new.txt" for r in idx.ask("honey harvest Lyon", 3).results)
    assert "new.txt" not in dict(idx.sources())


def test_failed_build_leaves_previous_index(seeds_copy, tmp_path, monkeypatch):
    idx_dir = tmp_path / "idx"
    qa.build_index(seeds_copy, idx_dir, warn=quiet)
    before = (idx_dir / "manifest.json").read_bytes()
    from qa import build as builder

    def explode(*a, **k):
        raise RuntimeError("power cut")
    monkeypatch.setattr(builder, "build_segment", explode)
    with pytest.raises(RuntimeError):
        qa.build_index(seeds_copy, idx_dir, warn=quiet)
    monkeypatch.undo()
    assert (idx_dir / "manifest.json").read_bytes() == before
    assert qa.open_index(seeds_copy, idx_dir, update=False).ask("Qatar", 1).results


def test_index_of_another_corpus_is_refused_not_overwritten(seeds_copy, tmp_path):
    idx_dir = tmp_path / "idx"
    qa.build_index(SEEDS, idx_dir, warn=quiet, semantic=False)
    with pytest.raises(qa.QAError, match="belongs to the corpus"):
        qa.open_index(seeds_copy, idx_dir, warn=quiet)
    assert json.loads((idx_dir / "manifest.json").read_text())["corpus"] == str(SEEDS.resolve())


def test_damaged_array_is_detected_and_rebuilt(tmp_path):
    idx_dir = tmp_path / "idx"
    qa.build_index(SEEDS, idx_dir, warn=quiet)
    docs = next(idx_dir.glob("seg-*/docs.npy"))
    data = bytearray(docs.read_bytes())
    data[-3] ^= 0xFF
    docs.write_bytes(bytes(data))
    messages = []
    idx = qa.open_index(SEEDS, idx_dir, warn=messages.append)
    assert any("checksum" in m and "rebuilding" in m for m in messages)
    assert idx.ask("Qatar mediator", 1).answer is not None


def test_newer_format_is_refused(tmp_path):
    idx_dir = tmp_path / "idx"
    qa.build_index(SEEDS, idx_dir, warn=quiet, semantic=False)
    manifest = json.loads((idx_dir / "manifest.json").read_text())
    manifest["format"] = storage.FORMAT + 1
    (idx_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(qa.QAError, match="newer"):
        qa.open_index(SEEDS, idx_dir, warn=quiet)


def test_ascii_files_are_read_by_span_and_give_the_same_text(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"{i}.txt").write_text("\n\n".join(
            f"Paragraph {j} of file {i} tells how the river keepers counted the boats passing under the "
            f"old stone bridge at dawn, and wrote the totals into the harbour ledger kept since the war."
            for j in range(4)), encoding="ascii")
    (corpus / "u.txt").write_text("Caf\u00e9 owners on the quay said the boats brought more visitors to the "
                                  "harbour this summer than in any year since the bridge was rebuilt.",
                                  encoding="utf-8")
    idx = qa.build_index(corpus, tmp_path / "i", warn=quiet)
    assert idx.manifest["files"]["0.txt"]["ascii"] and not idx.manifest["files"]["u.txt"]["ascii"]
    for pid, source in idx.searcher.live_passages():
        _, cs, ce, _, _ = idx.searcher.passage(pid)
        assert idx.span_text(source, cs, ce) == idx.source_text(source)[cs:ce]
        fresh = qa.open_index(corpus, tmp_path / "i", update=False)
        assert fresh.passage_text(pid) == idx.source_text(source)[cs:ce]


def _answers(idx, questions):
    return [[(r.source, r.line_start, r.line_end, round(r.score, 4)) for r in idx.ask(q, 5).results] for q in questions]


# merging (the default) on the default semantic path, no merging (five segments) with the stage off
@pytest.mark.parametrize("merge_bytes, semantic", [(8 << 20, None), (0, False)])
def test_updates_one_file_at_a_time_leave_one_small_segment(seeds_copy, tmp_path, monkeypatch, merge_bytes, semantic):
    """Each update re-indexes the files of the earlier updates' segments with its own (up to MERGE_BYTES):
    five edits leave one segment more than the build, not five; answers equal a full rebuild's either way."""
    from qa import index as store
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)  # updates in place, not rebuilds, on this small corpus
    monkeypatch.setattr(store, "MERGE_BYTES", merge_bytes)
    idx_dir = tmp_path / "idx"
    built = len(qa.open_index(seeds_copy, idx_dir, warn=quiet, semantic=semantic).manifest["segments"])
    facts = ["The zeppelin festival of Omsk drew ninety thousand visitors to the river banks.",
             "Beekeepers in Lyon reported a record honey harvest after the warm spring.",
             "A lighthouse keeper in Tromso counted four hundred orcas in one winter.",
             "The glassblowers of Murano opened their furnaces to students for a week.",
             "A marathon on stilts crossed the old town of Namur in under six hours."]
    sources = sorted(p.name for p in seeds_copy.iterdir())[:3] + ["extra1.txt", "extra2.txt"]
    for fact, source in zip(facts, sources):
        path = seeds_copy / source
        path.write_text((path.read_text(encoding="utf-8") if path.exists() else "") + f"\n{fact}\n", encoding="utf-8")
        idx = qa.open_index(seeds_copy, idx_dir, warn=quiet, semantic=semantic)
        hit = idx.ask(fact, 1)
        assert hit.answer and hit.results[0].source == source
    segments = idx.manifest["segments"]
    assert len(segments) == (built + 1 if merge_bytes else built + len(facts))
    assert all(idx.manifest["files"][s]["segment"] in {seg["name"] for seg in segments} for s in sources)
    questions = [f.split(" in ")[0] for f in facts] + ["What did Peskov say about Qatar?", "nuclear doctrine"]
    rebuilt = qa.build_index(seeds_copy, tmp_path / "rebuilt", warn=quiet, semantic=semantic)
    assert _answers(idx, questions) == _answers(rebuilt, questions)


@pytest.mark.parametrize("read_dead", [0, 32, 10**9])
def test_document_frequencies_after_deletions_equal_a_rebuild(tmp_path, monkeypatch, read_dead):
    """Passages deleted by updates (runs of them in a block) do not count in a term's df, whether a
    term's postings are read (_READ_DEAD large) or searched for the runs' bounds (0): the same dfs as
    a rebuild. Lexical: the semantic stage plays no part in a df."""
    from qa import analysis, search
    from qa import index as store
    monkeypatch.setattr(store, "SMALL_CORPUS_BYTES", 0)
    monkeypatch.setattr(search, "_READ_DEAD", read_dead)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    words = ["lantern", "meadow", "copper", "violin", "glacier", "pepper", "orchard", "falcon"]

    def write(name, seed, n=120):
        paras = [f"The harbour of {words[(seed + i) % 8]} town saw {words[(seed * i) % 8]} boats and "
                 f"{'a rare zircon' if (seed + i) % 37 == 0 else 'plain cargo'} on day {i}." for i in range(n)]
        (corpus / name).write_text("\n\n".join(paras) + "\n", encoding="utf-8")

    for f in range(6):
        write(f"f{f}.txt", f)
    idx_dir = tmp_path / "idx"
    qa.open_index(corpus, idx_dir, warn=quiet, semantic=False)
    write("f1.txt", 11, 40)  # edited: its old passages deleted
    (corpus / "f5.txt").unlink()  # deleted: a run of deleted passages to the end of its block
    idx = qa.open_index(corpus, idx_dir, warn=quiet, semantic=False)
    assert any(seg.deleted is not None and seg.deleted.any() for seg in idx.searcher.segments)
    terms = analysis.analyze("harbour town boats cargo rare zircon day " + " ".join(words))
    rebuilt = qa.build_index(corpus, tmp_path / "rebuilt", warn=quiet, semantic=False)
    assert idx.searcher.dfs(terms).tolist() == rebuilt.searcher.dfs(terms).tolist()
