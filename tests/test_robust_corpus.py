"""Messy corpus folders: what cannot be read is skipped with one warning each on stderr, the rest is indexed.

One messy folder is indexed once with the real CLI (``qa index``); each test then checks one case in
what it printed, in the manifest, or in the answers. Cases that need a race or a file that cannot be
read are driven in-process with monkeypatching, and say so in their names.
"""
import codecs
import json
import os
import random
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qa
from qa import corpus
from conftest import json_lines, run_qa

# long enough (over Params.min_words) to be a passage of its own
PROSE = ("{w} were seen near the old harbour this spring, and the wardens said the numbers were higher than "
         "last year. The counts were made at dawn over six weeks by volunteers from the town, who walked the "
         "same route along the shore each morning and wrote down every animal they met on the way.")


def sentence(word: str) -> str:
    return PROSE.format(w=word)


# name -> bytes; each readable file holds one keyword that no other file has
FILES = {
    "good.txt": sentence("Otters").encode(),
    "empty.txt": b"",
    "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(3000),
    "compiled.txt": b"\xa7\r\r\n\x00\x00\x00\x00" + random.Random(2).randbytes(1500),  # a .pyc named .txt
    "latin1.txt": ("Café crème in Zürich: " + sentence("Ibexes")).encode("latin-1"),
    "utf16.txt": sentence("Narwhals").encode("utf-16"),  # with a BOM
    "utf16le-nobom.txt": sentence("Axolotls").encode("utf-16-le"),
    "bom.txt": codecs.BOM_UTF8 + sentence("Kiwis").encode(),
    "crlf.txt": ("Notes\r\n\r\n" + sentence("Penguins") + "\r\n\r\n" + sentence("Walruses") + "\r\n").encode(),
    "cr.txt": ("Notes\r\r" + sentence("Pelicans") + "\r\r" + sentence("Flamingos") + "\r").encode(),
    "nopunct.txt": " ".join(["the quokkas of the island and the ferry that brings the visitors in the morning"] * 300).encode(),
    "name with spaces.txt": sentence("Zebras").encode(),
    "new\nline.txt": sentence("Giraffes").encode(),
    "ünïcødé 日本.txt": sentence("Pandas").encode(),
    "dir.txt/inner.txt": sentence("Lemurs").encode(),  # a folder named .txt is entered, not read
}
BAD_NAME = b"bad\xff\xfename.txt"  # a file name that is not UTF-8
SKIPPED = ["image.txt", "compiled.txt", "fifo.txt", "loop1.txt", "loop2.txt", "broken.txt"]


def make_messy(root):
    root.mkdir()
    for name, data in FILES.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(data)
    with open(os.path.join(os.fsencode(root), BAD_NAME), "wb") as f:
        f.write(sentence("Wombats").encode())
    os.mkfifo(root / "fifo.txt")  # reading it would block forever
    os.symlink("loop2.txt", root / "loop1.txt")
    os.symlink("loop1.txt", root / "loop2.txt")
    os.symlink("/nonexistent/target.txt", root / "broken.txt")
    (root / "sub").mkdir()
    os.symlink("..", root / "sub" / "up")  # a folder loop: not followed
    return root


class Messy:
    def __init__(self, root, index, result):
        self.root, self.index, self.result = root, index, result
        self.stderr_lines = result.stderr.splitlines()
        self.manifest = json.loads((index / "manifest.json").read_text())

    def ask(self, *questions, k=1):
        r = run_qa("ask", "--json", "-k", k, "--corpus", self.root, "--index", self.index,
                   input="\n".join(questions) + "\n", timeout=60)
        assert r.returncode in (0, 1), r.stderr
        return {d["question"]: d for d in json_lines(r.stdout)}, r


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    base = tmp_path_factory.mktemp("messy")
    root = make_messy(base / "corpus")
    # the timeout only detects a hang (a FIFO read would block forever)
    result = run_qa("index", "--corpus", root, "--index", base / "index", timeout=120)
    return Messy(root, base / "index", result)


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr


# ---------------------------------------------------------------- the folder


def test_messy_folder_is_indexed_and_every_message_is_one_line(messy):
    assert messy.result.returncode == 0, messy.result.stderr
    no_traceback(messy.result.stderr)
    assert all(line.startswith("qa: ") for line in messy.stderr_lines), messy.stderr_lines
    assert "indexed 13 documents" in messy.result.stdout and "skipped 6 files" in messy.result.stdout


@pytest.mark.parametrize("name", SKIPPED)
def test_each_unreadable_file_gets_exactly_one_warning(messy, name):
    lines = [ln for ln in messy.stderr_lines if f"skipped {name}:" in ln]
    assert len(lines) == 1, messy.stderr_lines
    assert messy.manifest["files"][name]["skipped"]


def test_nothing_else_is_skipped(messy):
    skipped = {s for s, e in messy.manifest["files"].items() if e.get("skipped")}
    assert skipped == set(SKIPPED)


def test_empty_folder_indexes_nothing_and_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    r = run_qa("index", "--corpus", tmp_path / "empty", "--index", tmp_path / "idx")
    assert r.returncode == 0 and "indexed 0 documents" in r.stdout
    assert len(r.stderr.splitlines()) == 1 and "no text to search" in r.stderr
    r = run_qa("ask", "--corpus", tmp_path / "empty", "--index", tmp_path / "idx", "anything at all")
    assert r.returncode == 1 and "Nothing in the corpus matches" in r.stdout
    no_traceback(r.stderr)


@pytest.mark.parametrize("command", [["ask", "otters"], ["index"], ["sources"]])
def test_missing_folder_is_one_line_and_exit_2(tmp_path, command):
    r = run_qa(*command, "--corpus", tmp_path / "nope", "--index", tmp_path / "idx")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"qa: corpus folder not found: {tmp_path / 'nope'}"]
    assert not (tmp_path / "idx").exists()


def test_a_file_given_as_corpus_is_refused(tmp_path):
    (tmp_path / "a.txt").write_text(sentence("Otters"))
    r = run_qa("ask", "--corpus", tmp_path / "a.txt", "--index", tmp_path / "idx", "otters")
    assert r.returncode == 2 and r.stderr.splitlines() == [f"qa: corpus is not a folder: {tmp_path / 'a.txt'}"]


# ---------------------------------------------------------------- file contents


def test_zero_byte_file_is_read_as_an_empty_document_without_a_warning(messy):
    entry = messy.manifest["files"]["empty.txt"]
    assert not entry.get("skipped") and entry.get("count", 0) == 0
    assert not any("empty.txt" in ln for ln in messy.stderr_lines)


@pytest.mark.parametrize("name", ["image.txt", "compiled.txt"])
def test_binary_file_named_txt_is_skipped_as_binary(messy, name):
    assert messy.manifest["files"][name]["skipped"] == "binary file"


@pytest.mark.parametrize("word, name, encoding", [
    ("ibexes", "latin1.txt", "latin-1"),
    ("narwhals", "utf16.txt", "utf-16"),
    ("axolotls", "utf16le-nobom.txt", "utf-16-le"),
])
def test_latin1_and_utf16_are_decoded_and_quoted_exactly(messy, word, name, encoding):
    answers, _ = messy.ask(word)
    top = answers[word]["results"][0]
    assert top["source"] == name
    text = FILES[name].decode(encoding).lstrip("\ufeff")
    assert top["text"] == text[top["char_start"]:top["char_end"]]
    assert word in top["text"].lower()
    if name == "latin1.txt":
        assert "Zürich" in top["text"]
    assert sum(f"{name} is not UTF-8" in ln for ln in messy.stderr_lines) == 1


def test_utf8_bom_is_not_part_of_the_text(messy):
    answers, _ = messy.ask("kiwis")
    top = answers["kiwis"]["results"][0]
    assert top["source"] == "bom.txt" and top["char_start"] == 0
    assert top["text"].startswith("Kiwis") and "\ufeff" not in top["text"]
    assert not any(" bom.txt" in ln for ln in messy.stderr_lines)  # UTF-8 with a BOM is no news


@pytest.mark.parametrize("name", ["crlf.txt", "cr.txt"])
def test_crlf_and_cr_line_ends_give_the_right_line_numbers(messy, name):
    first, second = ("penguins", "walruses") if name == "crlf.txt" else ("pelicans", "flamingos")
    answers, _ = messy.ask(first, second)
    assert (answers[first]["results"][0]["source"], answers[first]["results"][0]["line_start"]) == (name, 3)
    assert (answers[second]["results"][0]["source"], answers[second]["results"][0]["line_start"]) == (name, 5)
    for a in (answers[first], answers[second]):
        assert "\r" not in a["results"][0]["text"]


_LF_TEXT = st.lists(st.sampled_from([
    "\n", "\n", "\n\n", "\n  \n", " ", "\t", "the", "of", "and", "wrapped", "Word", "walk", "x" * 45, ".", "!",
    "?", ":", "# ", "- ", "Mr.", "©", "0:00", "Über", "42",
]), max_size=150).map("".join)


@settings(max_examples=300, deadline=None)
@given(_LF_TEXT, st.sampled_from(["\r\n", "\r"]))
def test_crlf_and_cr_text_is_cut_as_its_lf_version(text, end):
    """A file saved with Windows or old Mac line ends gives the passages of the same file saved with
    "\n": the same lines, the same words (a "\r\n" is one line end, never a blank line)."""
    other = text.replace("\n", end)
    for params in (corpus.Params(), corpus.Params(min_words=3, max_words=8)):
        a, b = corpus.split_passages(text, params), corpus.split_passages(other, params)
        assert [(x.line_start, x.line_end) for x in a] == [(x.line_start, x.line_end) for x in b]
        assert [text[x.char_start:x.char_end] for x in a] == \
               [other[x.char_start:x.char_end].replace(end, "\n") for x in b]
    assert [(u.number, u.last) for u in corpus.units(text)] == [(u.number, u.last) for u in corpus.units(other)]


def test_hard_wrapped_crlf_paragraph_is_one_unit_and_loses_no_line():
    text = ("This is a long paragraph that the author wrapped by hand at a fixed width so that\n"
            "it reads well in a terminal window, and it goes on for several lines like this\n"
            "one, which is how plain text files from mailing lists often look to readers.\n")
    for end in ("\n", "\r\n", "\r"):
        assert [(u.number, u.last) for u in corpus.units(text.replace("\n", end))] == [(1, 3)]
        spans = corpus.split_passages(text.replace("\n", end), corpus.Params(min_words=5, max_words=40))
        assert spans[0].line_start == 1


@settings(max_examples=200, deadline=None)
@given(_LF_TEXT, st.sampled_from(["\r\n", "\r"]))
def test_crlf_and_cr_answer_sentences_are_those_of_lf(text, end):
    """The sentence an answer line quotes is cut the same whatever the line ends."""
    from qa import answer
    other = text.replace("\n", end)
    assert [other[a:b].replace(end, "\n") for a, b in answer.sentences(other)] == \
           [text[a:b] for a, b in answer.sentences(text)]


def test_file_without_sentence_punctuation_is_indexed(messy):
    answers, _ = messy.ask("quokkas ferry visitors", )
    assert answers["quokkas ferry visitors"]["results"][0]["source"] == "nopunct.txt"
    assert messy.manifest["files"]["nopunct.txt"]["count"] > 1  # long: cut into several passages


# ---------------------------------------------------------------- things that are not files


def test_fifo_named_txt_is_skipped_without_hanging(messy):
    assert messy.manifest["files"]["fifo.txt"]["skipped"] == "not a regular file"


def test_folder_named_txt_is_entered_not_read(messy):
    answers, _ = messy.ask("lemurs")
    assert answers["lemurs"]["results"][0]["source"] == "dir.txt/inner.txt"
    assert "dir.txt" not in messy.manifest["files"]


def test_symlink_loops_and_broken_links_are_skipped_and_not_seen_as_changes(messy):
    for name in ("loop1.txt", "loop2.txt", "broken.txt"):
        assert messy.manifest["files"][name]["skipped"]
    assert not any(s.startswith("sub/") for s in messy.manifest["files"])  # sub/up -> .. not followed
    # asking again must not find the corpus "changed" because of them (it used to rebuild on every ask)
    _, r = messy.ask("otters")
    assert "changed" not in r.stderr and "skipped" not in r.stderr, r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, chmod 000 does not stop reading")
def test_file_without_read_permission_is_skipped(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "ok.txt").write_text(sentence("Otters"))
    (root / "secret.txt").write_text(sentence("Badgers"))
    (root / "secret.txt").chmod(0)
    messages = []
    idx = qa.build_index(root, tmp_path / "idx", warn=messages.append)
    assert [m for m in messages if "secret.txt" in m] == ["skipped secret.txt: Permission denied"]
    assert dict(idx.sources()) == {"ok.txt": 1}


def test_file_that_cannot_be_read_is_skipped_simulated_in_process(tmp_path, monkeypatch):
    # tests run as root, where chmod 000 does not stop reading: the read itself is made to fail
    root = tmp_path / "c"
    root.mkdir()
    (root / "ok.txt").write_text(sentence("Otters"))
    (root / "secret.txt").write_text(sentence("Badgers"))
    real = corpus.read_bytes

    def read_bytes(path):
        if path.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(corpus, "read_bytes", read_bytes)
    messages = []
    idx = qa.build_index(root, tmp_path / "idx", warn=messages.append)
    assert [m for m in messages if "secret.txt" in m] == ["skipped secret.txt: Permission denied"]
    assert dict(idx.sources()) == {"ok.txt": 1}
    assert idx.ask("otters").results[0].source == "ok.txt"


# ---------------------------------------------------------------- races


def test_file_deleted_between_listing_and_reading_is_skipped_simulated_in_process(tmp_path, monkeypatch):
    root = tmp_path / "c"
    root.mkdir()
    for word in ("Otters", "Badgers", "Herons"):
        (root / f"{word.lower()}.txt").write_text(sentence(word))
    real = corpus.list_files

    def list_then_delete(folder, warn=None):
        paths = real(folder, warn)
        (root / "badgers.txt").unlink()
        return paths
    monkeypatch.setattr(corpus, "list_files", list_then_delete)
    messages = []
    idx = qa.build_index(root, tmp_path / "idx", warn=messages.append)
    assert len([m for m in messages if "badgers.txt" in m]) == 1
    assert dict(idx.sources()) == {"herons.txt": 1, "otters.txt": 1}
    monkeypatch.undo()
    idx = qa.open_index(root, tmp_path / "idx", warn=messages.append)
    assert "badgers.txt" not in idx.manifest["files"]
    assert idx.ask("herons").results[0].source == "herons.txt"


def test_file_rewritten_between_stat_and_read_is_reread_on_next_open_simulated_in_process(tmp_path, monkeypatch):
    root = tmp_path / "c"
    root.mkdir()
    (root / "otters.txt").write_text(sentence("Otters"))
    target = root / "notes.txt"
    target.write_text(sentence("Badgers"))
    real = corpus.read_bytes
    rewritten = []

    def read_bytes(path):
        if path.name == "notes.txt" and not rewritten:
            rewritten.append(True)
            target.write_text("A new first paragraph.\n\n" + sentence("Herons") + "\n")
        return real(path)
    monkeypatch.setattr(corpus, "read_bytes", read_bytes)
    qa.build_index(root, tmp_path / "idx", warn=lambda m: None)
    monkeypatch.undo()
    messages = []
    idx = qa.open_index(root, tmp_path / "idx", warn=messages.append)
    assert any("changed" in m for m in messages)  # the stored size and time are the old ones: re-read
    top = idx.ask("herons").results[0]
    lines = target.read_text().splitlines()
    assert top.source == "notes.txt" and top.text == "\n".join(lines[top.line_start - 1:top.line_end])
    assert "Herons" in top.text
    assert not idx.ask("badgers").results or idx.ask("badgers").results[0].source != "notes.txt"


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("source, word", [
    ("name with spaces.txt", "zebras"), ("new\nline.txt", "giraffes"), ("ünïcødé 日本.txt", "pandas"),
    (os.fsdecode(BAD_NAME), "wombats"),
])
def test_odd_file_names_are_indexed_and_cited_exactly_in_json(messy, source, word):
    answers, _ = messy.ask(word)
    assert answers[word]["results"][0]["source"] == source


def test_odd_file_names_are_shown_on_one_line_in_text_output(messy):
    r = run_qa("ask", "--corpus", messy.root, "--index", messy.index, "-k", 1, "giraffes")
    assert r.returncode == 0
    assert "-- new\\nline.txt:1" in r.stdout and "new\nline" not in r.stdout
    r = run_qa("ask", "--corpus", messy.root, "--index", messy.index, "-k", 1, "wombats")
    assert "-- bad\\xff\\xfename.txt:1" in r.stdout
    r = run_qa("sources", "--corpus", messy.root, "--index", messy.index)
    assert r.returncode == 0 and "new\\nline.txt" in r.stdout and len(r.stdout.splitlines()) == 13


# ---------------------------------------------------------------- size


def test_fifty_megabyte_single_line_indexes_in_bounded_time(tmp_path):
    """50 MB of text on one line: indexed (no quadratic step), and the passage that answers is found.

    The timeout detects a hang only; about 10 s on a 2-core machine.
    """
    long_words = ["internationalization", "telecommunications", "counterrevolutionary", "institutionalization",
                  "characteristically", "photosynthetically", "incomprehensibility", "disproportionately"]
    stops = ["the", "of", "and", "with", "for", "from"]
    rnd = random.Random(5)
    block = "".join(" ".join(f"{rnd.choice(stops)} {rnd.choice(long_words)}" for _ in range(6)).capitalize() + ". "
                    for _ in range(4000))
    body = "Marmots hibernate in the Alps from October to April, the rangers said. " + block * (50_000_000 // len(block) + 1)
    body = body[:50_000_000].rsplit(". ", 1)[0] + "."
    root = tmp_path / "big"
    root.mkdir()
    (root / "one line.txt").write_text(body, encoding="utf-8")
    del body, block
    # the lexical indexer's time is what is measured: embedding 50 MB of passages takes hours (docs/semantic.md)
    r = run_qa("index", "--lexical", "--corpus", root, "--index", tmp_path / "idx", timeout=300)
    assert r.returncode == 0, r.stderr
    no_traceback(r.stderr)
    r = run_qa("ask", "--lexical", "--json", "-k", 1, "--corpus", root, "--index", tmp_path / "idx",
               "When do marmots hibernate?")
    answer = json_lines(r.stdout)[0]["answer"]
    assert r.returncode == 0 and answer["source"] == "one line.txt" and answer["line_start"] == 1
    assert answer["text"] == "Marmots hibernate in the Alps from October to April, the rangers said."
    shutil.rmtree(root)


def test_corpus_of_words_that_are_never_terms_prints_no_warning(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text("It is. Is it? It was. No, it was not. A. B. C. D. E. F. G. H. I. J.\n")
    r = run_qa("ask", "--corpus", root, "--index", tmp_path / "idx", "is it")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"qa: indexing {root} into {tmp_path / 'idx'}"]


def test_a_pasted_base64_blob_is_in_no_passage_and_the_text_around_it_answers(tmp_path):
    rng = random.Random(7)
    blob = "data:image/png;base64," + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                                              for _ in range(300_000))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "dump.txt").write_text(f"Image dump\n\n{blob}\n\nThe photo shows the pier at sunset in Brighton.\n")
    index = qa.build_index(tmp_path / "docs", tmp_path / "idx", warn=None, semantic=False)
    texts = [index.passage_text(p) for p in range(index.passage_count)]
    assert texts and all("base64" not in t and len(t) < 100 for t in texts)
    answer = index.ask("What does the photo show?").answer
    assert (answer.source, answer.line_start, answer.text) == ("dump.txt", 5, "The photo shows the pier at sunset in Brighton.")


def test_a_line_with_a_thousand_characters_and_no_space_is_data_not_text():
    from qa.boilerplate import line_class, word_stats

    for line in ("key: " + "A" * 1000 + ".", "x" * 5000):
        assert line_class(line, *word_stats(line)) == "bad"
    prose = "The report says " + "very " * 400 + "little."  # long, but words
    assert line_class(prose, *word_stats(prose)) != "bad"


@pytest.mark.parametrize("damage", [b"\xff\n", "é".encode()[:1]])  # a stray byte; a file cut mid-character
def test_a_utf8_file_with_a_bad_byte_is_read_as_utf8_not_cp1252(tmp_path, damage):
    (tmp_path / "docs").mkdir()
    text = "Concert notes\n\nThe pianist rehearsed Chopin nocturnes in the église every evening.\n"
    (tmp_path / "docs" / "notes.txt").write_bytes(text.encode() + damage)
    r = run_qa("ask", "--json", "--lexical", "--corpus", tmp_path / "docs", "--index", tmp_path / "idx",
               "What did the pianist rehearse in the église?")
    assert r.returncode == 0
    assert ("qa: note: notes.txt is UTF-8 with 1 invalid byte sequence(s); each is read as U+FFFD"
            in r.stderr.splitlines())
    answer = json_lines(r.stdout)[0]["answer"]
    assert answer["text"] == text.splitlines()[2] and answer["line_start"] == 3


def test_a_log_truncated_in_place_and_a_note_with_a_stray_nul_are_text_not_binary(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mail.log.txt").write_bytes(b"\x00" * 65536 + b"2024-05-09 10:01:00 ERROR certificate for "
                                                     b"mail.example.org expired on 8 May; renew it with certbot.\n")
    (tmp_path / "docs" / "note.txt").write_bytes(b"Shopping list\x00\n\nRemember to buy oat milk and two lemons "
                                                 b"for Saturday's dinner party.\n")
    (tmp_path / "docs" / "image.txt").write_bytes(bytes(range(256)) * 64)  # NULs all through: binary
    warnings = []
    index = qa.build_index(tmp_path / "docs", tmp_path / "idx", warn=warnings.append, semantic=False)
    assert warnings == ["skipped image.txt: binary file"]
    answer = index.ask("When did the certificate for mail.example.org expire?").answer
    assert (answer.source, answer.line_start) == ("mail.log.txt", 1) and "\x00" not in answer.text
    answer = index.ask("What should I buy for the dinner party?").answer
    assert (answer.source, answer.line_start) == ("note.txt", 3)
    assert not any("\x00" in index.passage_text(p) for p in range(index.passage_count))


def test_a_utf16_file_cut_short_by_one_byte_is_read(tmp_path):
    text = "Minutes\n\nThe harbour master closed the east quay for repairs until March.\n"
    data = text.encode("utf-16")
    (tmp_path / "minutes.txt").write_bytes(data + data[-1:])  # an odd length: half a character at the end
    doc = corpus.read_document(tmp_path, tmp_path / "minutes.txt")
    assert doc.text == text and doc.encoding == "utf-16"
