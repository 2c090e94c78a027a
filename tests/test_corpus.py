"""Reading folders and cutting passages: boilerplate rules, encodings, exact spans."""
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from qa import corpus
from conftest import SEEDS

BOILERPLATE = ["icon bookmark-bicon", "Podcasts", "0:00", "25:44", "Bloomberg L.P.", "Visit bloomberg.com",
               "Distributed by Tribune Content Agency", "With assistance from Daryna"]


def all_passages(folder: Path):
    for path in corpus.list_files(folder):
        doc = corpus.read_document(folder, path)
        for span in corpus.split_passages(doc.text):
            yield doc, span, doc.text[span.char_start:span.char_end]


def test_seed_boilerplate_is_never_a_passage():
    texts = [t for _, _, t in all_passages(SEEDS)]
    assert len(texts) >= 40
    for junk in BOILERPLATE:
        assert not any(junk in t for t in texts), junk
    headline = "Kremlin comments on prospect of Ukraine peace talks"
    assert not any(headline in t for t in texts)


def test_seed_content_is_kept():
    joined = "\n".join(t for _, _, t in all_passages(SEEDS))
    for phrase in ["Ukraine has shown no sign that it is ready", "On Tuesday, Putin signed a decree",
                   "Peskov praised Qatar", "LONDON"]:
        assert phrase in joined


def test_cited_lines_hold_the_passage_exactly():
    for doc, span, text in all_passages(SEEDS):
        lines = doc.text.splitlines()
        cited = "\n".join(lines[span.line_start - 1:span.line_end])
        assert text.strip() in cited or text == cited.strip()
        assert lines[span.line_start - 1].strip().startswith(text.split("\n")[0][:20].strip())


def test_rules_are_general_not_seed_strings(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(
        "home about contact login signup search menu share tweet facebook instagram youtube\n"
        "Weather report\n"
        "The storm reached the coast on Monday and the authorities asked residents to leave their homes.\n"
        "Officials said that the river would peak on Tuesday, and that the bridges would stay closed.\n"
        "Copyright 2024 Example News. All rights reserved.\n"
        "Subscribe now\n", encoding="utf-8")
    texts = [t for _, _, t in all_passages(tmp_path)]
    joined = "\n".join(texts)
    assert "storm reached the coast" in joined and "river would peak" in joined
    assert "Copyright" not in joined and "home about contact" not in joined and "Subscribe" not in joined


def test_lines_repeated_across_documents_are_dropped(tmp_path):
    for i in range(4):
        (tmp_path / f"{i}.txt").write_text(
            f"Story {i} tells how the council voted on the new budget for the town library this year.\n"
            "Read more stories like this on our website every day.\n", encoding="utf-8")
    docs = [corpus.read_document(tmp_path, p) for p in corpus.list_files(tmp_path)]
    common = corpus.common_lines(docs)
    for doc in docs:
        texts = [doc.text[s.char_start:s.char_end] for s in corpus.split_passages(doc.text, common=common)]
        assert texts and not any("Read more stories" in t for t in texts)


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("latin-1", b""),
                                          ("utf-16", b"")])
def test_encodings(tmp_path, encoding, bom):
    text = "Café owners in Zürich said the new rules would cost them dearly over the coming winter months.\n"
    (tmp_path / "a.txt").write_bytes(bom + text.encode(encoding))
    doc = corpus.read_document(tmp_path, tmp_path / "a.txt")
    assert "Café owners in Zürich" in doc.text


def test_binary_file_is_skipped(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(corpus.Skipped):
        corpus.read_document(tmp_path, tmp_path / "image.txt")


def test_crlf_and_cr_line_numbers(tmp_path):
    body = ["First paragraph has enough words to stand on its own as a passage here.",
            "", "Second paragraph also has enough words to stand on its own as a passage."]
    for name, sep in [("crlf.txt", "\r\n"), ("cr.txt", "\r"), ("lf.txt", "\n")]:
        (tmp_path / name).write_bytes(sep.join(body).encode())
    for path in corpus.list_files(tmp_path):
        doc = corpus.read_document(tmp_path, path)
        spans = corpus.split_passages(doc.text, corpus.Params(min_words=5))
        assert [(s.line_start, s.line_end) for s in spans] == [(1, 1), (3, 3)], path.name
        assert doc.text[spans[1].char_start:spans[1].char_end] == body[2]


def test_long_paragraph_is_split_at_sentences(tmp_path):
    sentence = "The committee met again to discuss the budget and the schedule of the works. "
    (tmp_path / "long.txt").write_text(sentence * 60, encoding="utf-8")
    doc = corpus.read_document(tmp_path, tmp_path / "long.txt")
    spans = corpus.split_passages(doc.text)
    assert len(spans) > 1
    for s in spans:
        piece = doc.text[s.char_start:s.char_end]
        assert piece.startswith("The committee") and piece.endswith("works.")
        assert len(piece.split()) <= corpus.Params().max_words


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r"])
def test_hard_wrapped_text_is_cut_with_exact_lines_reading_each_character_a_bounded_number_of_times(sep, monkeypatch):
    import textwrap

    sentences = " ".join(f"Sentence {i} tells of the {i % 7}th otter counted near the old mill today." for i in range(900))
    lines = textwrap.wrap(sentences, 60)  # no blank line: one unit, cut at sentence ends
    text = sep.join(lines)
    scanned = []
    real = corpus._LINE_END

    class Counting:  # how much of the text line ends are looked for in
        def findall(self, t, start=0, end=None):
            scanned.append((len(t) if end is None else end) - start)
            return real.findall(t, start, len(t) if end is None else end)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(corpus, "_LINE_END", Counting())
    spans = corpus.split_passages(text)
    assert len(spans) >= 20
    for s in spans:  # each passage's lines counted here afresh, from the file's start
        assert (s.line_start, s.line_end) == (1 + len(real.findall(text, 0, s.char_start)),
                                              1 + len(real.findall(text, 0, s.char_end)))
    assert sum(scanned) <= 3 * len(text)  # it was once per passage from the unit's start: quadratic


def test_short_paragraphs_are_merged(tmp_path):
    (tmp_path / "a.txt").write_text(
        "Budget vote\n\nThe council approved the budget for the library after a long debate on Monday night.\n"
        "It passed.\n", encoding="utf-8")
    doc = corpus.read_document(tmp_path, tmp_path / "a.txt")
    texts = [doc.text[s.char_start:s.char_end] for s in corpus.split_passages(doc.text)]
    assert len(texts) == 1 and texts[0].startswith("Budget vote") and texts[0].endswith("It passed.")


def test_hidden_folders_and_other_extensions_are_ignored(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("hidden words here")
    (tmp_path / "a.csv").write_text("not,a,document")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# Title\n\nSome text.")
    assert [corpus.relative_source(tmp_path, p) for p in corpus.list_files(tmp_path)] == ["sub/b.md"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x24F), max_size=200))
def test_fast_word_split_equals_the_word_pattern(text):
    from qa import boilerplate as b
    assert b.words_of(text) == b._WORD.findall(text)
    assert b.n_words(text) == len(b._WORD.findall(text))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?:;…\"'”’)]\n\r x")), max_size=12))
def test_sentence_end_check_equals_the_pattern(text):
    from qa import boilerplate as b
    assert b.ends_sentence(text) == bool(b._TERMINAL.search(text))
