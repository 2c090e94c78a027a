"""The fast paths of qa.corpus and qa.boilerplate give what the plain definitions give, and passages cite their lines exactly."""
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from qa import boilerplate, corpus
from qa.analysis import STOP_WORDS

# line ends of every kind, blank and space-only lines, sentence ends, closers, cases, non-ASCII letters
MESSY = st.lists(st.sampled_from([
    "\n", "\n", "\r\n", "\r", "\n\n", "\n \t\n", "\n\u3000\n", " ", "\t", "\x0c", "\u3000", "\x85", "\u2028",
    "the", "of", "and", "word", "Word", "walk", "x" * 45, ".", "!", "?", ":", ";", "…", ",", "\"", "’", ")", "]",
    "# ", "- ", "Mr.", "U.S.", "©", "copyright", "0:00", "Über", "İstanbul", "K", "日本", "_", "42",
]), max_size=120).map("".join)


def _cited_lines_hold(text: str, start: int, end: int, first: int, last: int) -> bool:
    ends = corpus.LINE_END
    return first == 1 + len(ends.findall(text, 0, start)) and last == first + len(ends.findall(text, start, end))


@settings(max_examples=400, deadline=None)
@given(MESSY)
def test_units_and_passages_cite_their_lines(text):
    parts = corpus.units(text)
    for u in parts:
        assert u.text == text[u.start:u.end] == u.text.strip() != ""
        assert _cited_lines_hold(text, u.start, u.end, u.number, u.last)
    for params in (corpus.Params(), corpus.Params(min_words=3, max_words=5)):
        spans = corpus.split_passages(text, params)
        assert spans == corpus.split_passages(text, params, frozenset(), parts)
        for sp in spans:
            assert _cited_lines_hold(text, sp.char_start, sp.char_end, sp.line_start, sp.line_end)


@settings(max_examples=300, deadline=None)
@given(st.one_of(MESSY, st.text(alphabet=st.characters(max_codepoint=0x24F), max_size=200)))
def test_word_stats_and_line_key_equal_their_definitions(text):
    words = boilerplate._WORD.findall(text.lower())
    assert boilerplate.word_stats(text) == (len(words), sum(w in STOP_WORDS for w in words))
    assert boilerplate.line_key(text) == zlib.crc32(" ".join(words).encode("utf-8"))
    if text.isascii():  # split_passages takes an ASCII unit's words from its stats
        assert boilerplate.word_stats(text)[0] == boilerplate.n_words(text)


def _plain_split_passages(text, params, common=frozenset()):
    """split_passages as the composition of its public steps, counting every word again."""
    merged, carry, carried = [], [], 0
    for para in corpus.paragraphs(boilerplate.keep_lines(corpus.units(text), common)):
        words = carried + sum(boilerplate.n_words(ln.text) for ln in para)
        para, carry, carried = carry + para, [], 0
        if words < params.min_words:
            carry, carried = para, words
        else:
            merged.append(para)
    if carry:
        if merged and carry[0].number - merged[-1][-1].last <= 2:
            merged[-1].extend(carry)
        else:
            merged.append(carry)
    return [span for para in merged for span in corpus.split_long(text, para, params.max_words)]


@settings(max_examples=300, deadline=None)
@given(st.lists(MESSY, min_size=1, max_size=6).map("\n\n".join), st.sampled_from([(40, 600), (3, 5), (0, 1), (9, 2)]))
def test_split_passages_equals_its_public_steps(text, sizes):
    params = corpus.Params(*sizes)
    common = boilerplate.short_keys(corpus.units(text)[:3])
    assert corpus.split_passages(text, params) == _plain_split_passages(text, params)
    assert corpus.split_passages(text, params, common) == _plain_split_passages(text, params, common)
