"""Documentation answer lines: one sentence (never a run of list items), never a picture, raw HTML or a
bare code line when the passage or the next result has prose; the citation holds the quoted text."""
from __future__ import annotations

import re

from conftest import json_lines, run_qa

from qa.prose import is_prose, looks_like_code

LIMITS = """\
# Resource limits

You can control the connection pool size using the `limits` keyword argument on the client.

- `max_keepalive_connections`, number of allowable keep-alive connections. (Defaults 20)
- `max_connections`, maximum number of allowable pool connections, or `None` for no limits.
(Default 100)
- `keepalive_expiry`, time limit on idle keep-alive connections in seconds.

![a diagram of the connection pool](../img/pool-connections.png)

<div align="center">
    <img src="https://example.org/pool.svg"/>
    <figcaption><em>Diagram of the connection pool: each keep-alive connection waits idle in the pool.</em></figcaption>
</div>
"""

MUTEX = """\
# Shared state

## The API of Mutex

A mutex allows only one thread to access some data at any given time: to use a mutex, a thread
first acquires the lock, then uses the data, then releases the lock.

## Sharing a counter

```rust
use std::sync::Mutex;
use std::thread;

fn main() {
    let counter = Mutex::new(0);
    let handle = thread::spawn(move || {
        let mut num = counter.lock().unwrap();
        *num += 1;
    });
    handle.join().unwrap();
    println!("Result: {}", *counter.lock().unwrap());
}
```
"""


def ask(tmp_path, files: dict[str, str], question: str) -> dict:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    r = run_qa("ask", "--json", "--lexical", "-k", "3", "--corpus", folder, "--index", tmp_path / "idx", question)
    assert r.returncode == 0, r.stderr
    return json_lines(r.stdout)[0]


def quoted_lines(text: str, answer: dict) -> str:
    return "\n".join(text.splitlines()[answer["line_start"] - 1:answer["line_end"]])


def test_code_and_terminal_lines_are_told_from_sentences():
    for code in ["use std::sync::Mutex;\nuse std::thread;", "app = Flask(__name__)", "fn main() {", "$ cargo run",
                 ">>> r = httpx.get('https://example.org')\n>>> r.status_code", "print(r.text)",
                 "limits = httpx.Limits(max_keepalive_connections=5, max_connections=10)",
                 'with httpx.Client(proxy="http://username:password@localhost:8030") as client:',
                 "for chunk in response.iter_bytes():", "from qa import open_index", "import httpx"]:
        assert looks_like_code(code), code
    for sentence in ["To create a new thread, we call the thread::spawn function and pass it a closure.",
                     "The HTTPX equivalent of `requests.Session` is `httpx.Client`.",
                     "Use `httpx.get(url, params=params)` to send the query string with the request.",
                     "The type HashMap<K, V> stores a mapping of keys of type K to values of type V.",
                     "For example, pass `timeout=10.0` to `httpx.get()` for a ten second limit:",
                     "with the following options, all of them optional:", "from the package index, as usual."]:
        assert not looks_like_code(sentence), sentence


def test_pictures_and_raw_html_lines_are_not_prose():
    for markup in ["![a diagram of the connection pool](../img/pool-connections.png)",
                   '    <img src="https://example.org/pool.svg"/>',
                   "<figcaption><em>Diagram of the connection pool: each connection waits.</em></figcaption>"]:
        assert not is_prose(markup), markup


def test_the_answer_line_is_one_list_item_not_a_run_of_them(tmp_path):
    answer = ask(tmp_path, {"limits.md": LIMITS}, "what is the maximum number of pool connections by default")["answer"]
    assert answer["text"].startswith("- `max_connections`") and "keepalive_expiry" not in answer["text"]
    assert "max_keepalive_connections" not in answer["text"]
    assert answer["text"] in quoted_lines(LIMITS, answer)


def test_a_diagram_or_its_html_caption_is_never_the_answer_line(tmp_path):
    answer = ask(tmp_path, {"limits.md": LIMITS}, "diagram of the idle keep-alive connection pool")["answer"]
    assert answer is not None and is_prose(answer["text"])
    assert not any(mark in answer["text"] for mark in ("![", "<img", "<figcaption", "<div", "](../img"))
    assert answer["text"] in quoted_lines(LIMITS, answer)


def test_a_bare_listing_on_top_leaves_the_answer_line_to_the_prose_below_it(tmp_path):
    obj = ask(tmp_path, {"mutex.md": MUTEX}, "how do I share a counter between threads with a mutex")
    top, answer = obj["results"][0], obj["answer"]
    assert "use std::sync::Mutex;\nuse std::thread;\n" in top["text"]  # the listing ranks first, quoted whole
    assert answer["text"].startswith("A mutex allows only one thread") and not looks_like_code(answer["text"])
    assert (answer["line_start"], answer["line_end"]) == (5, 6)
    assert answer["text"] in quoted_lines(MUTEX, answer)


def test_a_list_of_short_lines_on_top_is_quoted_not_replaced_by_another_files_sentence(tmp_path):
    files = {"phones.txt": "Phone numbers\nplumber 555-0101\nelectrician 555-0199\ndentist 555-0123\n",
             "cafe.txt": "Call the number on the fridge if the cafeteria is closed.\n"}
    obj = ask(tmp_path, files, "phone number of the plumber")
    assert obj["results"][0]["source"] == "phones.txt"
    assert obj["answer"]["source"] == "phones.txt" and "plumber 555-0101" in obj["answer"]["text"]


def test_code_terms_choice_changes_only_how_code_words_count(monkeypatch):
    from qa.formats import markdown, sections

    def indexed(choice: str) -> list[str]:
        monkeypatch.setattr(sections, "CODE_TERMS", choice)
        return [piece.index_text for piece in markdown.passages(MUTEX)]

    prose, once, none = indexed("prose"), indexed("once"), indexed("none")
    assert prose[0] == once[0] == none[0]  # a passage without code is indexed the same way
    def counted(text: str) -> int:
        return re.findall(r"\w+", text).count("counter")

    assert counted(prose[1]) == 2 + 3 and counted(once[1]) == 2 + 1  # twice in the heading path and line
    assert "unwrap" in none[1]  # a passage of nothing but code keeps its words (once), so it can be found
    mixed = "# Threads\n\nSpawn a thread by handing a closure to the spawn function.\n\n```rust\nthread::spawn(|| work());\n```\n"
    monkeypatch.setattr(sections, "CODE_TERMS", "none")
    text = markdown.passages(mixed)[0].index_text
    assert "Spawn a thread" in text and "work" not in text


API_PAGE = """\
# Developer interface

## Client

::: httpx.Client
    :docstring:
    :members: headers cookies params get post stream close

=== "Sync client"

    Create the client once and reuse it for every request to the same host.

--8<-- "snippets/client-footer.md"

{* ../../docs_src/client/tutorial001.py hl[3:5] *}

[client-docs]: https://www.example.org/client/members/stream

The stream members of the client read a large body piece by piece.[^1]

[^1]: The streamed body is never held in memory as a whole.
"""


def test_directives_are_neither_answer_lines_nor_indexed_paths(tmp_path):
    from qa.formats import markdown

    indexed = " ".join(piece.index_text for piece in markdown.passages(API_PAGE))
    assert "httpx.Client" in indexed and "stream close" in indexed  # the documented names stay findable
    assert not any(mark in indexed for mark in (":::", ":docstring:", "--8<--", "docs_src", "tutorial001",
                                                "client-footer", "https://", "==="))
    assert "never held in memory" in indexed  # a footnote is text, unlike a link reference definition
    answer = ask(tmp_path, {"api.md": API_PAGE}, "client members stream docs")["answer"]
    assert answer["text"].startswith("The stream members of the client"), answer
    assert answer["text"] in quoted_lines(API_PAGE, answer)


HARBOUR_MD = """\
Harbour survey
==============

The committee published the harbour survey last spring after a long review of the coast.

Tide gauges
-----------

| Gauge | Reading |
|---|---|
| north pier | 3.2 metres at high water |
| south jetty | 2.7 metres at high water |
"""


def test_a_table_row_answers_not_the_table_and_a_setext_heading_is_no_answer_line(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "harbour.md").write_text(HARBOUR_MD)
    lines = HARBOUR_MD.splitlines()
    row = run_qa("ask", "--json", "--lexical", "-k", "1", "--corpus", tmp_path / "docs", "--index", tmp_path / "idx",
                 "What does the south jetty gauge read?")
    answer = json_lines(row.stdout)[0]["answer"]
    assert answer["text"] == "| south jetty | 2.7 metres at high water |" == lines[answer["line_start"] - 1]
    assert answer["line_start"] == answer["line_end"] == 12
    gauges = run_qa("ask", "--json", "--lexical", "-k", "1", "--corpus", tmp_path / "docs", "--index", tmp_path / "idx",
                    "tide gauges")
    answer = json_lines(gauges.stdout)[0]["answer"]
    assert answer is not None and "Tide gauges" not in answer["text"] and not answer["text"].startswith("---")
