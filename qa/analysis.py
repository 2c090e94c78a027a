"""One analyzer for documents and questions alike: text -> terms.

fold -> tokens -> stems -> (stop words removed) -> unigrams + bigrams, the
same pipeline scikit-learn's word analyzer runs (``ngram_range=(1, 2)``),
so the index built with scikit-learn and the query path, which must not
import it, agree term for term (``tests/test_analysis_props.py`` proves it).

Folding (accents, curly quotes, case, digit group commas) is for matching
only: quoted text is always the file's own.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# A compact English stop list (Lucene/Snowball-like); question words are in
# it because they carry no topic.
STOP_WORDS = frozenset("""
a about above after again against all am an and any are aren as at be because been before being below
between both but by can cannot could couldn did didn do does doesn doing don down during each few for
from further had hadn has hasn have haven having he her here hers herself him himself his how i if in
into is isn it its itself just ll me more most mustn my myself no nor not now of off on once only or
other ought our ours ourselves out over own re s same shan she should shouldn so some such t than that
the their theirs them themselves then there these they this those through to too under until up ve
very was wasn we were weren what when where which while who whom why will with won would wouldn you
your yours yourself yourselves also whose shall may might must us per via etc yet many much
""".split())

TOKEN = re.compile(r"\w\w+")
# a comma with a digit before it and three after it, then no digit ("1,500,000"); the comma first,
# so that the regex engine looks for commas only, not for a digit before every character
_DIGIT_GROUP = re.compile(r",(?<=\d,)(?=\d{3}(?!\d))")
_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u00ad": "",
})

_stemmer = Stemmer.Stemmer("english")
# for the words stems() has not seen before (it caches them itself): PyStemmer's cache would cost more than it saves
_stemmer_uncached = Stemmer.Stemmer("english", 0)

# Irregular English verb forms the stemmer cannot join to their base ("said" -> "say").
IRREGULAR = {form: base for base, forms in (
    ("say", "said"), ("tell", "told"), ("speak", "spoke spoken"), ("go", "went gone"), ("take", "took taken"),
    ("give", "gave given"), ("make", "made"), ("begin", "began begun"), ("bring", "brought"),
    ("buy", "bought"), ("think", "thought"), ("fight", "fought"), ("seek", "sought"), ("catch", "caught"),
    ("teach", "taught"), ("know", "knew known"), ("grow", "grew grown"), ("throw", "threw thrown"),
    ("draw", "drew drawn"), ("write", "wrote written"), ("ride", "rode ridden"), ("rise", "rose risen"),
    ("drive", "drove driven"), ("eat", "ate eaten"), ("fall", "fell fallen"), ("feel", "felt"),
    ("keep", "kept"), ("meet", "met"), ("send", "sent"), ("spend", "spent"), ("build", "built"),
    ("lose", "lost"), ("hold", "held"), ("stand", "stood"), ("understand", "understood"), ("win", "won"),
    ("run", "ran"), ("come", "came"), ("become", "became"), ("sit", "sat"), ("get", "got gotten"),
    ("lead", "led"), ("pay", "paid"), ("sell", "sold"), ("strike", "struck stricken"), ("hide", "hid hidden"),
    ("choose", "chose chosen"), ("break", "broke broken"), ("freeze", "froze frozen"),
    ("steal", "stole stolen"), ("swear", "swore sworn"), ("wear", "wore worn"), ("shoot", "shot"),
    ("feed", "fed"), ("flee", "fled"), ("sing", "sang sung"), ("shake", "shook shaken"),
    ("forget", "forgot forgotten"), ("forgive", "forgave forgiven"), ("hang", "hung"), ("dig", "dug"),
    ("see", "seen"), ("fly", "flew flown"), ("mean", "meant"), ("hear", "heard"), ("deal", "dealt"),
    ("lend", "lent"), ("sleep", "slept"), ("withdraw", "withdrew withdrawn"), ("undertake", "undertook undertaken"),
    ("overtake", "overtook overtaken"), ("arise", "arose arisen"), ("awake", "awoke awoken"),
    ("bite", "bit bitten"), ("blow", "blew blown"), ("forbid", "forbade forbidden"), ("sink", "sank sunk"),
    ("swim", "swam swum"), ("drink", "drank drunk"), ("ring", "rang rung"), ("slay", "slew slain"),
    ("stick", "stuck"), ("sting", "stung"), ("swing", "swung"), ("weave", "wove woven"),
) for form in forms.split()}


def fold(text: str) -> str:
    """Lower-case, map curly quotes and dashes to ASCII, strip accents, join digit groups."""
    # none of the characters _QUOTES maps is ASCII
    text = text.lower() if text.isascii() else text.translate(_QUOTES).lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _DIGIT_GROUP.sub("", text)


_QUOTE_CHARS = re.compile("[" + "".join(map(chr, _QUOTES)) + "]")
_combining_marks: tuple[re.Pattern, re.Pattern] | None = None


def _combining() -> tuple[re.Pattern, re.Pattern]:
    """Regexes matching exactly the characters ``unicodedata.combining`` is not 0 for, those of the
    Basic Multilingual Plane and the others (apart, the first compiles to a fast bitmap). Built once."""
    global _combining_marks
    if _combining_marks is None:
        ranges: list[list[int]] = []
        for i in range(0x110000):
            if unicodedata.combining(chr(i)):
                if ranges and ranges[-1][1] == i - 1:
                    ranges[-1][1] = i
                else:
                    ranges.append([i, i])
        _combining_marks = tuple(
            re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges if (a > 0xFFFF) == astral) + "]")
            for astral in (False, True))
    return _combining_marks


def fold_many(text: str) -> str:
    """``fold(text)``, the same string, faster on long non-ASCII text (a build's passages): the quote
    table is applied only when a character of it is there, and combining marks are dropped by a
    regex instead of a Python loop."""
    if _QUOTE_CHARS.search(text):
        text = text.translate(_QUOTES)
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        bmp, astral = _combining()
        text = bmp.sub("", text)
        if max(text, default="") > "\uffff":
            text = astral.sub("", text)
    return _DIGIT_GROUP.sub("", text)


def words(text: str) -> list[str]:
    """The folded words of ``text`` (two characters or more), before stemming."""
    return TOKEN.findall(fold(text))


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """The stem of one folded word (irregular verb forms first brought to their base)."""
    return _stemmer.stemWord(IRREGULAR.get(word, word))


_token_cache: dict[str, str] = {}


def _seed_token_cache() -> None:
    """The words whose stem is not simply the stemmer's: stop words (left as they are) and the
    irregular forms (stemmed from their base). Every other word stems as the stemmer says."""
    _token_cache.clear()
    _token_cache.update((form, _stemmer.stemWord(base)) for form, base in IRREGULAR.items())
    _token_cache.update((w, w) for w in STOP_WORDS)


_seed_token_cache()


def stems(folded_words: list[str]) -> list[str]:
    """Stems of folded words; stop words are left as they are, for the stop list to catch."""
    cache = _token_cache
    out = list(map(cache.get, folded_words))
    if None not in out:
        return out
    if len(cache) > 2_000_000:
        _seed_token_cache()
    at = [i for i, s in enumerate(out) if s is None]
    missing = [folded_words[i] for i in at]  # (a word twice in it is stemmed twice, the same way)
    stemmed = _stemmer_uncached.stemWords(missing)
    cache.update(zip(missing, stemmed))
    for i, s in zip(at, stemmed):
        out[i] = s
    return out


_IRREGULAR_UTF8 = {form.encode(): base.encode() for form, base in IRREGULAR.items()}
STOP_WORDS_UTF8 = frozenset(w.encode() for w in STOP_WORDS)


def stems_utf8(distinct_words: list[bytes]) -> list[bytes]:
    """``stems`` of many distinct folded words (a build's vocabulary), in and out as UTF-8 bytes.

    The same stems as ``stems`` (PyStemmer stems bytes as UTF-8 text), in one call of a
    stemmer without PyStemmer's word cache (which costs more than it saves on a list of
    distinct words) and without filling this module's cache with every rare word of a corpus."""
    stemmed = Stemmer.Stemmer("english", 0).stemWords([_IRREGULAR_UTF8.get(w, w) for w in distinct_words])
    stop = STOP_WORDS_UTF8
    return [w if w in stop else s for w, s in zip(distinct_words, stemmed)]


def tokenize(text: str) -> list[str]:
    """Folded, stemmed tokens, stop words left in (scikit-learn removes them next)."""
    return stems(words(text))


def ngrams(tokens: list[str]) -> list[str]:
    """Stop words out, then unigrams and bigrams: scikit-learn's ``_word_ngrams`` for (1, 2)."""
    kept = [t for t in tokens if t not in STOP_WORDS]
    return kept + [f"{a} {b}" for a, b in zip(kept, kept[1:])]


def analyze(text: str) -> list[str]:
    """Terms of ``text``: what the index counts and a question looks up."""
    return ngrams(tokenize(text))


def sklearn_params() -> dict:
    """Keyword arguments that make a scikit-learn vectorizer analyze text exactly like ``analyze``."""
    return dict(
        lowercase=False,
        preprocessor=None,
        tokenizer=tokenize,
        token_pattern=None,
        stop_words=sorted(STOP_WORDS),
        ngram_range=(1, 2),
    )


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Character spans of the words in ``text`` whose stems are among ``terms``' unigrams."""
    wanted = {t for t in terms if " " not in t}
    if not wanted:
        return []
    spans = []
    for m in re.finditer(r"\w+", text):
        word = m.group()
        folded = _DIGIT_GROUP.sub("", fold(word))
        if len(folded) > 1 and folded not in STOP_WORDS and stem(folded) in wanted:
            spans.append((m.start(), m.end()))
    return spans
