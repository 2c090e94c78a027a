"""Load the classic test collections and write them as folders of documents.

A collection folder holds corpus.jsonl ({"id","title","text"}),
queries.jsonl ({"id","text"}) and qrels.tsv (header query-id corpus-id score;
a score > 0 is relevant).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

# Bump when the layout of the written documents changes: cached folders are rewritten.
DOCS_FORMAT = 1
ISSUE_ORDER = ("cranfield", "cisi", "med", "cacm", "time", "npl", "adi", "lisa")


@dataclass
class Collection:
    name: str
    path: Path
    docs: list[tuple[str, str, str]]  # (id, title, text)
    queries: dict[str, str]  # id -> text, only judged queries
    qrels: dict[str, set[str]] = field(default_factory=dict)

    def doc_texts(self) -> list[str]:
        """title + " " + text, the way the baselines see a document."""
        return [f"{t} {x}".strip() for _, t, x in self.docs]

    def doc_ids(self) -> list[str]:
        return [d for d, _, _ in self.docs]


def find_collections(root: Path, only: list[str] | None = None) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no collections folder at {root}")
    # The issue's order first, then any other collection by name.
    order = {n: i for i, n in enumerate(ISSUE_ORDER)}
    found = sorted(
        (p for p in root.iterdir() if p.is_dir() and (p / "corpus.jsonl").is_file()),
        key=lambda p: (order.get(p.name, len(order)), p.name),
    )
    if only:
        names = {p.name: p for p in found}
        missing = [n for n in only if n not in names]
        if missing:
            raise FileNotFoundError(
                f"no collection named {', '.join(missing)} in {root} "
                f"(have: {', '.join(names) or 'none'})"
            )
        found = [names[n] for n in only]
    return found


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_collection(path: Path) -> Collection:
    path = Path(path)
    docs = [
        (str(d["id"]), d.get("title") or "", d.get("text") or "")
        for d in _read_jsonl(path / "corpus.jsonl")
    ]
    qrels: dict[str, set[str]] = {}
    with open(path / "qrels.tsv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header is None or header[0] != "query-id":
            raise ValueError(f"{path / 'qrels.tsv'}: expected header query-id corpus-id score")
        for row in reader:
            if len(row) < 3:
                continue
            q, d, s = row[0], row[1], row[2]
            if float(s) > 0:
                qrels.setdefault(q, set()).add(d)
    queries = {
        str(q["id"]): q["text"]
        for q in _read_jsonl(path / "queries.jsonl")
        if str(q["id"]) in qrels
    }
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    return Collection(path.name, path, docs, queries, qrels)


def doc_filename(doc_id: str) -> str:
    return quote(doc_id, safe="") + ".txt"


def doc_id_from_source(source: str) -> str:
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    if name.endswith(".txt"):
        name = name[:-4]
    return unquote(name)


def document_text(title: str, text: str) -> str:
    """The file a user would have: title, a blank line, then the text; empty parts skipped."""
    parts = [p.strip() for p in (title, text) if p and p.strip()]
    return "\n\n".join(parts) + "\n" if parts else ""


def _fingerprint(col: Collection) -> str:
    st = (col.path / "corpus.jsonl").stat()
    h = hashlib.sha256()
    h.update(f"{DOCS_FORMAT}:{st.st_size}:{st.st_mtime_ns}:{len(col.docs)}".encode())
    return h.hexdigest()[:16]


def write_docs(col: Collection, docs_dir: Path) -> tuple[Path, bool]:
    """Write one file per document into docs_dir, unless an identical copy is there.

    Returns (docs_dir, written). A document whose title and text are both empty
    is written as an empty file so that the folder mirrors the corpus.
    """
    docs_dir = Path(docs_dir)
    stamp = docs_dir.parent / "docs.stamp"
    fp = _fingerprint(col)
    if docs_dir.is_dir() and stamp.is_file() and stamp.read_text().strip() == fp:
        return docs_dir, False
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    tmp = docs_dir.with_name(docs_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for doc_id, title, text in col.docs:
        with open(tmp / doc_filename(doc_id), "w", encoding="utf-8", newline="\n") as f:
            f.write(document_text(title, text))
    os.replace(tmp, docs_dir)
    stamp.write_text(fp + "\n")
    return docs_dir, True
