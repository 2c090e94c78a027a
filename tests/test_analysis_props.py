"""Property tests: the query path's analyzer and hash equal scikit-learn's; citations are exact."""
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from qa import analysis, corpus
from qa.build import HASH_BITS
from qa.hashing import feature_id, feature_ids, murmurhash3_32 as our_murmur, n_features, vectorized_feature_ids

N_FEATURES = n_features(HASH_BITS)

WORDY = st.lists(st.sampled_from(list("abcdeéüñ ÆØ'’“”-.,!?\n\t0123456789,") + ["the", "Kyiv", "U.S.", "said",
                                                                                "running", " ", "1,000th"]),
                 max_size=60).map("".join)
ANY_TEXT = st.text(max_size=300)

_sk = HashingVectorizer(n_features=N_FEATURES, alternate_sign=False, norm=None, **analysis.sklearn_params())
_sk_analyzer = _sk.build_analyzer()


@settings(max_examples=300, deadline=None)
@given(st.one_of(WORDY, ANY_TEXT))
def test_analyzer_equals_scikit_learn(text):
    assert analysis.analyze(text) == _sk_analyzer(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_murmurhash_equals_scikit_learn(data):
    assert our_murmur(data) == murmurhash3_32(data, seed=0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(WORDY, ANY_TEXT, st.text(max_size=9)), max_size=40),
       st.sampled_from([N_FEATURES, 2**20, 7, 1]))
def test_feature_ids_of_many_terms_equal_one_by_one(terms, width):
    """The numpy MurmurHash3 (every block length, tails of 0-3 bytes, empty terms) is the scalar one."""
    assert vectorized_feature_ids(terms, width).tolist() == [feature_id(t, width) for t in terms]
    assert feature_ids(terms, width).tolist() == [feature_id(t, width) for t in terms]
    assert [int(murmurhash3_32(t.encode("utf-8"), seed=0, positive=False)) for t in terms] == \
        [our_murmur(t.encode("utf-8")) for t in terms]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(WORDY, ANY_TEXT), min_size=1, max_size=4))
def test_feature_ids_equal_hashing_vectorizer(texts):
    matrix = _sk.transform(texts)
    for row, text in enumerate(texts):
        ours = sorted({feature_id(t, N_FEATURES) for t in analysis.analyze(text)})
        assert ours == sorted(matrix[row].indices.tolist())


LINE = st.one_of(
    st.just(""),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=80),
    st.sampled_from(["The council met on Monday and agreed to the plan.", "Short title", "0:00",
                     "It rained.", "A very long sentence that goes on. And then another one follows it! Yes?"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=30), st.sampled_from(["\n", "\r\n", "\r"]), st.integers(5, 60))
def test_passages_are_exact_spans_of_their_cited_lines(lines, newline, max_words):
    text = newline.join(lines)
    file_lines = corpus.split_lines(text)
    previous_end = 0
    for span in corpus.split_passages(text, corpus.Params(min_words=3, max_words=max_words)):
        passage = text[span.char_start:span.char_end]
        assert passage and passage == passage.strip()
        assert span.char_start >= previous_end  # in order, never overlapping
        previous_end = span.char_end
        first, last = file_lines[span.line_start - 1], file_lines[span.line_end - 1]
        # the passage starts on its first cited line and ends on its last one
        assert first.start <= span.char_start <= first.end or first.start == span.char_start
        assert last.start <= span.char_end <= last.end + 0
        cited = text[file_lines[span.line_start - 1].start:file_lines[span.line_end - 1].end]
        assert passage in cited
        if span.char_start == first.start and span.char_end == last.end:
            assert passage == cited  # whole lines: the cited lines, joined, are the passage


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_highlight_spans_are_words_of_the_text(text):
    terms = analysis.analyze(text)
    for s, e in analysis.highlight_spans(text, terms):
        assert 0 <= s < e <= len(text)
        assert text[s:e].strip() == text[s:e]


def _reference_fold(text: str) -> str:
    """fold as first written: translate, lower-case, strip accents, then the digit-group regex with a
    look-behind first."""
    import re
    import unicodedata
    text = text.translate(analysis._QUOTES).lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


DIGITY = st.lists(st.sampled_from(list("0123456789,, .a\u0661\u0663\u2019\u00a0\u00e9")), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(WORDY, ANY_TEXT, DIGITY))
def test_fold_equals_its_first_definition(text):
    assert analysis.fold(text) == _reference_fold(text)
    assert analysis.fold_many(text) == _reference_fold(text)


def _reference_feedback_candidates(texts, searcher, n_terms):
    """feedback.feedback_candidates as first written: a Counter a text, a dict of weights, heapq."""
    import heapq
    from collections import Counter
    k1, b = searcher.scoring.k1, searcher.scoring.b
    mass = {}
    for rank, text in enumerate(texts, start=1):
        tf = Counter(analysis.tokenize(text))
        for word in analysis.STOP_WORDS.intersection(tf):
            del tf[word]
        norm = k1 * (1 - b + b * sum(tf.values()) / searcher.avglen)
        for term, count in tf.items():
            mass[term] = mass.get(term, 0) + count * (k1 + 1) / (count + norm) / rank
    return mass, [t for t, _ in heapq.nlargest(3 * n_terms, mass.items(), key=lambda x: x[1])]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(WORDY, ANY_TEXT), max_size=12), st.integers(1, 40), st.floats(1, 200))
def test_feedback_candidates_equal_their_first_definition(texts, n_terms, avglen):
    from types import SimpleNamespace
    from qa.feedback import feedback_candidates
    from qa.search import Scoring
    searcher = SimpleNamespace(scoring=Scoring(), avglen=avglen)
    mass, candidates = feedback_candidates(texts, searcher, n_terms)
    want_mass, want = _reference_feedback_candidates(texts, searcher, n_terms)
    assert candidates == want
    assert all(mass[t] == want_mass[t] for t in candidates)
