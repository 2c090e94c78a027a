"""Deterministic synthetic corpus and query set for the scale benchmark.

The corpus imitates prose at scale without any data download:

* a vocabulary of ``vocab`` words: the 33 English function words of bm25s's
  "en" stop list (also in scikit-learn's and qa's stop lists) take the top
  ranks, as "the", "of", "and" do in English (with s = 1 they make about 30%
  of the tokens, so lines read like prose to a boilerplate filter); the rest
  are pronounceable pseudo-words built from syllables (short words get the
  frequent ranks, as in real language), none of them an English stopword or
  shorter than two letters, so both systems keep exactly the same words;
* words drawn from a Zipf law over those ranks (p(r) ~ 1 / r**s);
* passages of about 80 words (normal, sd 15, clipped to 20..160) in sentences
  that start with a capital and end with ``.``, ``?`` or ``!``, with commas,
  wrapped on several lines; passages are separated by one blank line;
* lines wrapped every 9-14 words;
* 1,000 passages a file, files in nested folders
  ``sec000/part0/doc00000.txt`` (ten files a part, ten parts a section).

Everything is generated with numpy in vectorised chunks (the text bytes are
gathered from a flat byte table), so 1M passages take seconds, not minutes.
The corpus depends only on (passages, seed, vocab, zipf_s, GENERATOR_VERSION);
a manifest ``corpus.json`` beside the corpus folder records them so a corpus
is reused only when all match.

Queries are derived from the corpus files themselves: a seeded choice of
target passages, and from each 2-5 of its words, one drawn by token frequency
(usually a frequent word) and the others weighted towards rare words. Each
query keeps its target (file, lines) so that a benchmark can check that a
system really retrieves (hit@10), not only that it is fast.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 2
PASSAGES_PER_FILE = 1000
DEFAULT_SEED = 1234
DEFAULT_VOCAB = 500_000
DEFAULT_ZIPF_S = 1.0

# Union of scikit-learn's ENGLISH_STOP_WORDS and bm25s's "en" list, frozen
# here so that the vocabulary never depends on what is installed.
STOPWORDS = frozenset(
    """a about above across after afterwards again against all almost alone along already also although always am
    among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be
    became because become becomes becoming been before beforehand behind being below beside besides between beyond bill
    both bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during each eg
    eight either eleven else elsewhere empty enough etc even ever every everyone everything everywhere except few
    fifteen fifty fill find fire first five for former formerly forty found four from front full further get give go
    had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his how however
    hundred i ie if in inc indeed interest into is it its itself keep last latter latterly least less ltd made many
    may me meanwhile might mill mine more moreover most mostly move much must my myself name namely neither never
    nevertheless next nine no nobody none noone nor not nothing now nowhere of off often on once one only onto or
    other others otherwise our ours ourselves out over own part per perhaps please put rather re same see seem seemed
    seeming seems serious several she should show side since sincere six sixty so some somehow someone something
    sometime sometimes somewhere still such system take ten than that the their them themselves then thence there
    thereafter thereby therefore therein thereupon these they thick thin third this those though three through
    throughout thru thus to together too top toward towards twelve twenty two un under until up upon us very via was
    we well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether
    which while whither who whoever whole whom whose why will with within without would yet you your yours yourself
    yourselves""".split()
)

# bm25s's STOPWORDS_EN, by English frequency
FUNCTION_WORDS = ("the of and to a in is that for it as was with on be by this are or not at but they their an "
                  "will there if no these into then such").split()

_ONSETS = ("b c d f g h j k l m n p r s t v w z bl br ch cr dr fl fr gl gr kl pl pr sh sk sl sp st th tr").split() + [""]
_NUCLEI = "a e i o u a e i o u ai ea ee oo ou io".split()
_CODAS = [""] * 8 + "n r l s m nd st rt ng k x t".split()

# suffix codes: punctuation (none , . ? !) x separator (space, newline, blank line)
_PUNCT = ["", ",", ".", "?", "!"]
_SEPS = [" ", "\n", "\n\n"]
P_NONE, P_COMMA, P_DOT, P_Q, P_EXCL = range(5)
S_SPACE, S_NL, S_PARA = range(3)
_SUFFIXES = [p + s for p in _PUNCT for s in _SEPS]

_WORD_RE = re.compile(r"[a-z]+")


# --------------------------------------------------------------------------- sizes

def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1M' -> 1_000_000, '2000' -> 2000."""
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    value = float(t) * mult
    if value < 1 or value != int(value):
        raise ValueError(f"bad size {text!r}")
    return int(value)


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# --------------------------------------------------------------------------- vocabulary

def make_vocab(size: int = DEFAULT_VOCAB, seed: int = DEFAULT_SEED) -> list[str]:
    """`size` distinct pseudo-words, index = Zipf rank (0 = most frequent)."""
    rng = np.random.default_rng([seed, 7])
    words: list[str] = list(FUNCTION_WORDS[:size])
    seen: set[str] = set(words)
    onsets, nuclei, codas = _ONSETS, _NUCLEI, _CODAS
    start = 0
    while len(words) < size:
        n = int((size - len(words)) * 1.3) + 1000
        rank = np.arange(start, start + n)
        # Zipf's law of abbreviation: frequent words are short
        nsyl = np.where(rank < 400, 1, np.where(rank < 50_000, 2, 3))
        nsyl = nsyl - (rng.random(n) < 0.5) * (nsyl > 2)  # half the rare words have two syllables
        on = rng.integers(0, len(onsets), (n, 4))
        nu = rng.integers(0, len(nuclei), (n, 4))
        co = rng.integers(0, len(codas), (n, 4))
        for i in range(n):
            k = int(nsyl[i])
            o, u, c = on[i], nu[i], co[i]
            w = "".join(onsets[o[j]] + nuclei[u[j]] + codas[c[j]] for j in range(k))
            if len(w) < 2 or w in seen or w in STOPWORDS:
                continue
            seen.add(w)
            words.append(w)
            if len(words) == size:
                break
        start += n
    return words


def zipf_cdf(vocab: int, s: float = DEFAULT_ZIPF_S) -> np.ndarray:
    p = 1.0 / np.arange(1, vocab + 1, dtype=np.float64) ** s
    cdf = np.cumsum(p)
    return cdf / cdf[-1]


# --------------------------------------------------------------------------- layout

def file_relpath(file_index: int) -> str:
    f = file_index
    return f"sec{f // 100:03d}/part{(f // 10) % 10}/doc{f:05d}.txt"


def manifest_path(corpus_dir: Path) -> Path:
    return Path(corpus_dir).parent / "corpus.json"


def corpus_key(passages: int, seed: int, vocab: int, zipf_s: float) -> dict:
    return {
        "generator_version": GENERATOR_VERSION,
        "passages": int(passages),
        "seed": int(seed),
        "vocab": int(vocab),
        "zipf_s": float(zipf_s),
        "passages_per_file": PASSAGES_PER_FILE,
    }


# --------------------------------------------------------------------------- generation

class _Table:
    """Vocabulary and suffixes as one flat byte table, for gathering text."""

    def __init__(self, words: list[str]):
        wb = [w.encode("ascii") for w in words]
        sb = [s.encode("ascii") for s in _SUFFIXES]
        self.vlen = np.fromiter((len(b) for b in wb), np.int64, len(wb))
        self.vstart = np.zeros(len(wb), np.int64)
        np.cumsum(self.vlen[:-1], out=self.vstart[1:])
        vtotal = int(self.vlen.sum())
        self.slen = np.array([len(b) for b in sb], np.int64)
        self.sstart = vtotal + np.concatenate([[0], np.cumsum(self.slen[:-1])])
        self.bytes = np.frombuffer(b"".join(wb) + b"".join(sb), np.uint8)


def _chunk_text(rng: np.random.Generator, cdf: np.ndarray, table: _Table, n_passages: int,
                file_of_passage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bytes of `n_passages` consecutive passages and each passage's end offset."""
    L = np.clip(np.rint(rng.normal(80.0, 15.0, n_passages)), 20, 160).astype(np.int64)
    n = int(L.sum())
    pend = np.cumsum(L) - 1
    pstart = pend - L + 1

    ids = np.searchsorted(cdf, rng.random(n), side="right")
    np.minimum(ids, len(cdf) - 1, out=ids)

    u = rng.random(n, dtype=np.float32)
    send = u < (1.0 / 13.0)                     # sentence ends
    comma = (~send) & (u < (1.0 / 13.0 + 0.07))
    send[pend] = True
    comma[pend] = False
    v = rng.random(n, dtype=np.float32)
    punct = np.where(send, np.where(v < 0.85, P_DOT, np.where(v < 0.95, P_Q, P_EXCL)),
                     np.where(comma, P_COMMA, P_NONE))
    # wrap lines every K words, K drawn per passage in 9..14
    K = np.repeat(rng.integers(9, 15, n_passages), L)
    pos = np.arange(n, dtype=np.int64) - np.repeat(pstart, L)
    sep = np.where((pos + 1) % K == 0, S_NL, S_SPACE)
    sep[pend] = S_PARA
    last_in_file = np.flatnonzero(np.diff(file_of_passage, append=-1) != 0)
    sep[pend[last_in_file]] = S_NL              # a file ends with one newline
    code = punct * len(_SEPS) + sep

    cap = np.zeros(n, bool)
    cap[1:] = send[:-1]
    cap[pstart] = True

    # two pieces a token (word, suffix), gathered from the flat table
    plen = np.empty(2 * n, np.int64)
    plen[0::2] = table.vlen[ids]
    plen[1::2] = table.slen[code]
    psrc = np.empty(2 * n, np.int64)
    psrc[0::2] = table.vstart[ids]
    psrc[1::2] = table.sstart[code]
    pout = np.cumsum(plen)
    total = int(pout[-1])
    pout -= plen                                 # start offset of every piece
    idx = np.repeat(psrc - pout, plen)
    idx += np.arange(total, dtype=np.int64)
    buf = table.bytes[idx]
    buf[pout[0::2][cap]] -= 32                   # capitalise (all words are lowercase ascii)
    passage_end = pout[1::2][pend] + plen[1::2][pend]
    return buf, passage_end


def generate_corpus(corpus_dir: str | os.PathLike, passages: int, seed: int = DEFAULT_SEED,
                    vocab: int = DEFAULT_VOCAB, zipf_s: float = DEFAULT_ZIPF_S,
                    force: bool = False, log=print) -> dict:
    """Write the corpus (or reuse it when its manifest matches); return the manifest."""
    corpus_dir = Path(corpus_dir)
    key = corpus_key(passages, seed, vocab, zipf_s)
    mpath = manifest_path(corpus_dir)
    if not force and mpath.exists() and corpus_dir.is_dir():
        try:
            manifest = json.loads(mpath.read_text())
        except ValueError:
            manifest = {}
        if manifest.get("key") == key and manifest.get("complete"):
            manifest["reused"] = True
            return manifest
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    if mpath.exists():
        mpath.unlink()
    corpus_dir.mkdir(parents=True)

    t0 = time.perf_counter()
    words = make_vocab(vocab, seed)
    table = _Table(words)
    cdf = zipf_cdf(vocab, zipf_s)
    rng = np.random.default_rng([seed, 1])
    n_files = -(-passages // PASSAGES_PER_FILE)
    files_per_chunk = 20
    total_bytes = 0
    made_dirs: set[Path] = set()
    for f0 in range(0, n_files, files_per_chunk):
        f1 = min(n_files, f0 + files_per_chunk)
        p0, p1 = f0 * PASSAGES_PER_FILE, min(passages, f1 * PASSAGES_PER_FILE)
        file_of_passage = np.arange(p0, p1) // PASSAGES_PER_FILE
        buf, pend = _chunk_text(rng, cdf, table, p1 - p0, file_of_passage)
        start = 0
        for f in range(f0, f1):
            last = min(passages, (f + 1) * PASSAGES_PER_FILE) - 1 - p0
            end = int(pend[last])
            path = corpus_dir / file_relpath(f)
            if path.parent not in made_dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(path.parent)
            with open(path, "wb") as fh:
                fh.write(buf[start:end].data)
            total_bytes += end - start
            start = end
    manifest = {
        "key": key,
        "files": n_files,
        "bytes": total_bytes,
        "generate_s": round(time.perf_counter() - t0, 3),
        "complete": True,
    }
    mpath.write_text(json.dumps(manifest, indent=1))
    manifest["reused"] = False
    return manifest


# --------------------------------------------------------------------------- reading back

def iter_passages(text: str):
    """(passage_text, line_start, line_end) of a file written by generate_corpus."""
    line = 1
    for p in text.split("\n\n"):
        nl = p.count("\n")
        body = p.rstrip("\n")
        if body.strip():
            yield body, line, line + body.count("\n")
        line += nl + 2


def read_passage(corpus_dir: Path, passage_id: int) -> tuple[str, str, int, int]:
    f, i = divmod(passage_id, PASSAGES_PER_FILE)
    rel = file_relpath(f)
    text = (Path(corpus_dir) / rel).read_text(encoding="ascii")
    for j, (body, a, b) in enumerate(iter_passages(text)):
        if j == i:
            return rel, body, a, b
    raise IndexError(passage_id)


# --------------------------------------------------------------------------- queries

def make_queries(corpus_dir: str | os.PathLike, passages: int, n_queries: int = 200,
                 seed: int = DEFAULT_SEED, vocab: int = DEFAULT_VOCAB) -> list[dict]:
    """`n_queries` queries of 2-5 words, each taken from one target passage.

    Function words are left out (both systems would drop them).
    One word is drawn by token frequency within the passage (mostly frequent
    words), the others among its distinct words with weight sqrt(rank), which
    favours rare words: every query mixes frequent and rare terms.
    """
    corpus_dir = Path(corpus_dir)
    rank = {w: r for r, w in enumerate(make_vocab(vocab, seed))}
    rng = np.random.default_rng([seed, 2])
    targets = rng.choice(passages, size=min(n_queries, passages), replace=False)
    by_file: dict[int, list[int]] = {}
    for t in sorted(int(x) for x in targets):
        by_file.setdefault(t // PASSAGES_PER_FILE, []).append(t)
    info: dict[int, tuple[str, str, int, int]] = {}
    for f, ts in by_file.items():
        rel = file_relpath(f)
        text = (corpus_dir / rel).read_text(encoding="ascii")
        want = {t % PASSAGES_PER_FILE: t for t in ts}
        for j, (body, a, b) in enumerate(iter_passages(text)):
            if j in want:
                info[want[j]] = (rel, body, a, b)
    queries = []
    for qi, t in enumerate(int(x) for x in targets):
        rel, body, a, b = info[t]
        tokens = _WORD_RE.findall(body.lower())
        tokens = [w for w in tokens if rank[w] >= len(FUNCTION_WORDS)]
        uniq = sorted(set(tokens), key=lambda w: rank[w])
        n = int(rng.integers(2, 6))
        n = min(n, len(uniq))
        first = tokens[int(rng.integers(0, len(tokens)))]
        rest = [w for w in uniq if w != first]
        weights = np.sqrt(np.array([rank[w] + 1.0 for w in rest]))
        pick = rng.choice(len(rest), size=n - 1, replace=False, p=weights / weights.sum())
        chosen = [first] + [rest[i] for i in pick]
        order = rng.permutation(len(chosen))
        words = [chosen[i] for i in order]
        queries.append({
            "id": qi,
            "query": " ".join(words),
            "ranks": [rank[w] for w in words],
            "passage_id": t,
            "source": rel,
            "line_start": a,
            "line_end": b,
        })
    return queries


def write_queries(queries: list[dict], txt_path: Path, jsonl_path: Path) -> None:
    txt_path.write_text("".join(q["query"] + "\n" for q in queries))
    with open(jsonl_path, "w") as fh:
        for q in queries:
            fh.write(json.dumps(q) + "\n")


def load_queries(jsonl_path: str | os.PathLike) -> list[dict]:
    with open(jsonl_path) as fh:
        return [json.loads(line) for line in fh if line.strip()]
