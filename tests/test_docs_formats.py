"""Documentation folders: the answer line is prose, never a heading, a fence, an admonition marker or raw HTML."""
from __future__ import annotations

import pytest
from conftest import REPO, json_lines, run_qa

from qa.formats import markdown
from qa.prose import is_prose

GUIDE = """\
# Running the server { #running-the-server }

<div class="termy">

```console
$ fastapi dev main.py
<span style="color: green;"><font color="#4E9A06">INFO</font></span>:     Uvicorn running on port 8000
```

</div>

/// tip

The development server reloads the code whenever a file changes.

///

## Stopping the server { .advanced }

!!! note
    Press Control and C to stop the development server cleanly.
"""


def test_markup_lines_are_not_prose():
    for line in ["# Running the server { #running }", "```console", "///", "/// tip", "!!! note",
                 '<div class="termy">', '<span style="color: green;"><font color="#4E9A06">INFO</font></span>:',
                 "----", "| --- | :-: |"]:
        assert not is_prose(line), line
    assert is_prose("The development server reloads the code whenever a file changes.")
    assert is_prose("Use `thread::spawn` to create a <em>new</em> thread.")


def test_attribute_lists_and_admonitions_leave_the_indexed_text():
    paths = {piece.section for piece in markdown.passages(GUIDE)}
    assert "Running the server > Stopping the server" in paths
    assert not any("{" in p or "#running" in p or ".advanced" in p for p in paths)
    indexed = " ".join(piece.index_text for piece in markdown.passages(GUIDE))
    assert "///" not in indexed and "!!!" not in indexed and "<span" not in indexed and "termy" not in indexed
    assert "reloads the code" in indexed


def test_the_answer_line_is_a_sentence_with_an_exact_citation(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "server.md").write_text(GUIDE)
    lines = GUIDE.splitlines()
    for question, expected in [("how do I stop the development server", "Press Control and C"),
                               ("does the development server reload when a file changes", "reloads the code")]:
        r = run_qa("ask", "--json", "--corpus", folder, "--index", tmp_path / "idx", question)
        assert r.returncode == 0, r.stderr
        answer = json_lines(r.stdout)[0]["answer"]
        assert expected in answer["text"] and is_prose(answer["text"])
        assert answer["text"].strip() in "\n".join(lines[answer["line_start"] - 1:answer["line_end"]])


def test_html_listings_keep_their_line_breaks_and_exact_lines(tmp_path):
    page = REPO / "tests" / "data" / "docs" / "threads.html"
    source = page.read_text().splitlines()
    r = run_qa("ask", "--json", "-k", "2", "--corpus", page.parent, "--index", tmp_path / "idx",
               "how do I create a new thread with spawn")
    assert r.returncode == 0, r.stderr
    obj = json_lines(r.stdout)[0]
    top = obj["results"][0]
    assert "fn main() {\n    thread::spawn(|| {\n" in top["text"]  # the listing, line breaks and all
    assert (top["line_start"], top["line_end"]) == (9, 22)
    assert source[22 - 1].startswith("}</code></pre>") and "Creating a New Thread" in source[9 - 1]
    assert is_prose(obj["answer"]["text"]) and "thread::spawn" in obj["answer"]["text"]
    r = run_qa("ask", "--json", "-k", "1", "--corpus", page.parent, "--index", tmp_path / "idx",
               "cargo run compiling threads main thread completes")
    top = json_lines(r.stdout)[0]["results"][0]
    assert "$ cargo run\n   Compiling threads v0.1.0\n" in top["text"]
    assert (top["line_start"], top["line_end"]) == (25, 30) and source[29 - 1].endswith("thread!</pre>")


NOTES_PAGE = """<!DOCTYPE html>
<html><head><title>Notes</title></head>
<body><article>
<h1>Harbour notes</h1>
<p>The harbour committee met in spring to review the survey of the coast and the plans
for the new breakwater that the engineers have been drafting for two years.</p>
<section class="note">
<p>Note: the zebrafinch report goes to the engineers first,
then to the committee, and the chair files the
zebrafinch report.</p>
</section>
<p>The survey <!-- a comment
that runs over
three lines --> counts the <code>buoys</code> of the harbour, and the
number of <code>buoys</code> is
7</p>
</article></body></html>
"""


@pytest.mark.parametrize("block, lines", [
    ("Harbour notes", (4, 4)),
    ("The harbour committee met in spring to review the survey of the coast and the plans for the new breakwater "
     "that the engineers have been drafting for two years.", (5, 6)),
    # a <p> that is all of its <section>: the <p>'s lines, to the line of its last word (not the first "zebrafinch")
    ("Note: the zebrafinch report goes to the engineers first, then to the committee, and the chair files the "
     "zebrafinch report.", (8, 10)),
    # a comment's lines count; a last "word" of one digit is looked for too; a tag is no word
    ("The survey counts the buoys of the harbour, and the number of buoys is 7", (12, 16)),
])
def test_an_html_block_is_cited_from_its_first_to_its_last_line(block, lines):
    pytest.importorskip("lxml")
    from qa.formats.html import SourceMap

    for ending in ("\n", "\r\n", "\r"):  # lone CRs end lines too, as everywhere in qa
        assert SourceMap(NOTES_PAGE.replace("\n", ending)).lines_of(block) == lines, repr(ending)


def test_every_citation_of_a_mixed_folder_holds_its_passage(tmp_path):
    """benchmarks/citations.py, which reads the files without qa, finds every citation right: HTML with CR, CRLF or
    LF line ends and sections around paragraphs, Markdown, plain text with CRLF."""
    import subprocess
    import sys

    pytest.importorskip("trafilatura")
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, ending in (("lf.html", "\n"), ("crlf.html", "\r\n"), ("cr.html", "\r")):
        (docs / name).write_bytes(NOTES_PAGE.replace("\n", ending).replace("zebrafinch", f"zebrafinch {name}")
                                  .encode())
    (docs / "guide.md").write_text("# Guide\n\nThe harbour opens at dawn.\n\n## Tides\n\n| gauge | metres |\n|---|---|\n"
                                   "| north | 3.2 |\n")
    (docs / "notes.txt").write_bytes(b"Line one of the notes.\r\n\r\nThe ferry leaves at noon\r\nfrom the north pier.\r\n")
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "citations.py"), str(docs), "--index",
                           str(tmp_path / "idx")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    counts = dict(item.split("=") for item in done.stdout.split("\n")[0].split("  "))
    assert counts["wrong"] == "0" and int(counts["checked"]) >= 5, done.stdout
    assert counts["html lines unknown"] == "0"


KEY_PAGE = """<html><head><title>Editor tips</title></head>
<body>
<article>
<h2>Mail <john.doe@example.com> for a new key</h2>
<p>Press Control and C together: the selected text goes to the clipboard until you copy something else.</p>
</article>
</body>
</html>
"""


def test_a_page_whose_tag_names_xml_refuses_is_read_and_the_folder_answers(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("The spare key to the server room is kept at reception.\n")
    run_qa("index", "--lexical", "--corpus", folder, "--index", tmp_path / "idx")
    (folder / "tips.html").write_text(KEY_PAGE)  # added to a working index: it must stay working
    for question, source, lines in [("Where is the spare key to the server room?", "notes.txt", (1, 1)),
                                    ("How do I copy the selected text to the clipboard?", "tips.html", (4, 5))]:
        r = run_qa("ask", "--json", "--lexical", "--corpus", folder, "--index", tmp_path / "idx", question)
        assert r.returncode == 0 and "internal error" not in r.stderr, r.stderr
        answer = json_lines(r.stdout)[0]["answer"]
        assert (answer["source"], answer["line_start"], answer["line_end"]) == (source, *lines)


def ask_page(tmp_path, name: str, page: bytes, question: str) -> dict:
    """The JSON answer of ``qa ask --lexical`` over a folder holding the one page ``name``."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / name).write_bytes(page)
    r = run_qa("ask", "--json", "--lexical", "--corpus", folder, "--index", tmp_path / "idx", question)
    assert r.returncode == 0, r.stderr
    return json_lines(r.stdout)[0]


def test_a_page_in_another_script_and_its_declared_charset_is_read_and_cited_by_line(tmp_path):
    page = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">"
            "<title>Новости библиотеки</title></head><body><article>\n<h1>Новости библиотеки</h1>\n"
            "<p>Городская библиотека закрыта на ремонт до пятнадцатого сентября.</p>\n"
            "<p>Читальный зал на втором этаже откроется после ремонта.</p>\n</article></body></html>\n")
    obj = ask_page(tmp_path, "news.html", page.encode("cp1251"), "библиотека закрыта на ремонт")
    assert "Городская библиотека закрыта на ремонт" in obj["answer"]["text"]
    top = obj["results"][0]
    assert (top["line_start"], top["line_end"]) == (2, 4)


def test_a_table_row_is_cited_by_its_own_source_line(tmp_path):
    page = ("<html><body>\n<table>\n<tr><td>Server</td><td>Owner</td></tr>\n"
            "<tr><td>db-prod-3</td><td>Ingrid Svensson</td></tr>\n<tr><td>web-prod-1</td><td>Karl Nyberg</td></tr>\n"
            "</table>\n</body></html>\n")
    obj = ask_page(tmp_path, "owners.html", page.encode(), "Who is the owner of db-prod-3?")
    assert obj["answer"]["text"] == "db-prod-3 | Ingrid Svensson"
    assert (obj["results"][0]["line_start"], obj["results"][0]["line_end"]) == (3, 5)  # it was 0: cells side by side


def test_a_block_whose_start_tag_stands_alone_is_cited_from_the_line_its_text_starts_on(tmp_path):
    page = ("<html><body><main>\n<blockquote>\n<p><strong>Note:</strong> For better readability, keep one table "
            "of settings in each configuration file that Cargo reads, and:</p>\n<ul>\n<li>name each table once."
            "</li>\n</ul>\n</blockquote>\n</main></body></html>\n")
    top = ask_page(tmp_path, "config.html", page.encode(), "readability one table of settings in each configuration "
                   "file")["results"][0]
    assert top["text"].startswith("Note:") and top["line_start"] == 3  # not 2, the line of <blockquote> alone
