"""Markdown, HTML and PDF files, made here, in one folder with a plain-text file: each is read in its
own terms, and a question whose answer sits in it is cited by heading and line, source line, or page."""
import json
import sys

import pytest

import qa
from qa import formats, render
from qa.formats import markdown
from qa.install import install_hint
from conftest import json_lines, run_qa

GUIDE = """\
# Otter Tracker Guide

Otter Tracker counts **otters** along a river from camera traps. This guide explains how to set it up
and read its reports. See [the project site](https://zanzibarhost.example/otters) for news.

## Install

Otter Tracker runs on any computer with Python 3.10 or later; pick your system below.

### Linux

On Linux, install the package with `pipx install otter-tracker` and then add your user to the
`video` group so that the camera traps can be read without root. Log out and in again afterwards.

- check the camera with `otter-tracker probe`
- the first calibration takes about ten minutes

```bash
# the service starts at boot
sudo systemctl enable otter-tracker
```

### Windows

| Setting | Value |
|---|---|
| camera port | COM7 |
| baud rate | 19200 |

## Reports

Each night the tracker writes a report listing every sighting with its time, the camera that saw it
and a confidence score; sightings below a confidence of 0.4 are left out of the report.
"""

NEWS = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Otters return to the Thames | River News</title>
  <style>body { font-family: sans-serif; } .menu { color: teal; }</style>
  <script>window.dataLayer = []; function trackVisitor() { return "xylophonetracking pixel"; }</script>
</head>
<body>
  <header>
    <nav class="site-nav">
      <ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
      <li><a href="/weather">Weather</a></li><li><a href="/quokkapedia">Quokkapedia</a></li></ul>
    </nav>
  </header>
  <div id="cookie-banner" class="cookie-consent">
    <p>We use cookies and marzipan trackers to improve your experience. By continuing to browse you accept
    our cookie policy.</p>
    <button>Accept all cookies</button>
  </div>
  <main>
    <article>
      <h1>Otters return to the Thames</h1>
      <p class="byline">By Jane Doe, 3 May 2024</p>
      <p>Otters have been seen on the River Thames in central London for the first time in
      decades, according to a survey published by the London Wildlife Trust on Monday.</p>
      <p>The survey counted seven otters between Kew and the Isle of Dogs over the winter,
      and volunteers said the animals were feeding on eels and crayfish near the old docks.</p>
      <h2>Why the river recovered</h2>
      <p>Scientists credit the Tideway sewer tunnel, which opened in 2023 and stopped most of the
      sewage overflows that used to foul the river after heavy rain.</p>
      <p>Fish numbers have climbed steadily since then, and the otters followed the fish upstream
      from the estuary, the trust said in its report.</p>
    </article>
  </main>
  <aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Beavers in Devon</a></li></ul></aside>
  <footer class="site-footer">
    <p>Copyright 2024 River News Ltd. All rights reserved. Write to the gazpacho desk for corrections.</p>
  </footer>
  <script>trackVisitor();</script>
</body>
</html>
"""

PDF_PAGES = [
    "Summary. The River Trust surveyed the lower river through the whole of last year. Volunteers walked "
    "the banks every week and recorded what they saw, and this report gathers their counts.",
    "Funding. The survey cost 48,000 pounds, paid by the Heritage Lottery Fund and by the members of the "
    "trust. Most of the money went on camera traps and on the boat that carried the volunteers.",
    "Next steps. The trust will repeat the survey in the spring and extend it to the tributaries, where "
    "mink are still reported. Volunteers are welcome to join the walks on Saturday mornings.",
]
NOTES = ("The lighthouse keeper on Skerryvore logged every passing ship in a leather book, and the book "
         "is now kept in the museum at Hynish, where visitors can read the entries for the stormy winter.")


def _pdf(path):
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (the test extra) writes the test PDF")
    from PIL import Image

    pdf = fpdf.FPDF()
    pdf.set_title("River Trust Annual Report")
    pdf.set_auto_page_break(False)
    for number, text in enumerate(PDF_PAGES, 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 6, "River Trust Annual Report 2024")  # a running head on every page
        pdf.ln(12)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
        pdf.set_y(-20)
        pdf.cell(0, 6, str(number))  # the page number at the foot
    pdf.add_page()  # a scanned page: an image, no text layer
    pdf.image(Image.new("RGB", (60, 80), (200, 200, 200)), x=20, y=20, w=60)
    pdf.output(str(path))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats") / "docs"
    root.mkdir()
    (root / "guide.md").write_text(GUIDE, encoding="utf-8")
    (root / "notes.txt").write_text(NOTES, encoding="utf-8")
    (root / "news.html").write_text(NEWS, encoding="utf-8")
    _pdf(root / "report.pdf")
    return root


@pytest.fixture(scope="module")
def index(folder, tmp_path_factory):
    pytest.importorskip("pypdf", reason="the qa[pdf] extra is not installed")
    pytest.importorskip("trafilatura", reason="the qa[html] extra is not installed")
    messages = []
    idx = qa.build_index(folder, tmp_path_factory.mktemp("idx"), warn=messages.append)
    idx.messages = messages
    return idx


def _line_numbers(text: str, needle: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line]


# ---------------------------------------------------------------- Markdown


def test_markdown_answer_is_cited_by_lines_and_heading_path(index, folder):
    a = index.ask("How do I install on Linux? which group for the camera traps?")
    top = a.results[0]
    assert top.source == "guide.md" and top.section == "Otter Tracker Guide > Install > Linux"
    lines = GUIDE.splitlines()
    assert top.text == "\n".join(lines[top.line_start - 1:top.line_end])  # the file's own lines
    assert top.line_start == _line_numbers(GUIDE, "### Linux")[0]
    assert str(top.citation) == f"guide.md:{top.line_start}-{top.line_end} (Otter Tracker Guide > Install > Linux)"
    assert "`video` group" in top.text
    assert a.answer is not None and a.answer.section == top.section
    assert str(a.answer.citation).endswith("(Otter Tracker Guide > Install > Linux)")


def test_markdown_heading_words_weigh_in_and_tables_are_read(index):
    # "Windows" and "port" stand only in the heading and the table: the heading path is indexed with it
    top = index.ask("Windows camera port")
    assert top.results[0].source == "guide.md" and top.results[0].section.endswith("> Windows")
    assert "COM7" in top.results[0].text


def test_markdown_markup_and_link_targets_are_not_words(index):
    a = index.ask("zanzibarhost")  # only in a link's URL
    assert all(r.source != "guide.md" for r in a.results)


def test_markdown_passages_never_cross_a_heading():
    from qa.corpus import Params
    pieces = markdown.passages(GUIDE, Params(min_words=500, max_words=600))  # merge as much as allowed
    lines = GUIDE.splitlines()
    for p in pieces:
        inside = lines[p.span.line_start - 1:p.span.line_end]
        headings = [ln for ln in inside if ln.startswith("#") and not ln.startswith("# the")]
        assert len(headings) <= 1 and (not headings or inside[0] == headings[0]), inside
    assert [p.section.split(" > ")[-1] for p in pieces] == ["Otter Tracker Guide", "Install", "Linux", "Windows",
                                                            "Reports"]
    code = next(p for p in pieces if "systemctl" in p.index_text)
    assert "**" not in code.index_text and "```" not in code.index_text and "|" not in code.index_text


def test_markdown_clean_drops_markup_keeps_words():
    text = "## Set **up** the [camera](https://x.example/a_b) | `probe` |\n|---|---|\n- item _one_"
    cleaned = markdown.clean(text)
    assert cleaned.split() == ["Set", "up", "the", "camera", "probe", "item", "one"]


# ---------------------------------------------------------------- PDF


def test_pdf_answer_is_cited_by_page(index):
    a = index.ask("How much did the survey cost and who paid for it?")
    top = a.results[0]
    assert top.source == "report.pdf" and top.page == 2
    assert str(top.citation) == "report.pdf p. 2"
    assert "48,000 pounds" in top.text and "Heritage Lottery Fund" in top.text
    assert "River Trust Annual Report 2024" not in top.text  # the running head is boilerplate
    assert a.answer is not None and str(a.answer.citation) == "report.pdf p. 2"
    d = a.to_dict()
    assert d["results"][0]["page"] == 2 and d["answer"]["page"] == 2
    assert index.source_text("report.pdf")[top.char_start:top.char_end] == top.text


def test_pdf_passages_stay_on_their_page(index):
    a = index.ask("mink tributaries spring volunteers Saturday")
    assert (a.results[0].source, a.results[0].page) == ("report.pdf", 3)


def test_scanned_pdf_page_is_reported_as_skipped(index):
    notes = [m for m in index.messages if "report.pdf" in m]
    assert notes == ["note: report.pdf: page 4 without a text layer (scanned?) skipped"]
    assert index.source_info("report.pdf")["notes"] and index.source_info("report.pdf")["title"] == "River Trust Annual Report"


def test_pdf_without_the_extra_is_skipped_with_one_warning(folder, tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "pypdf" or m.startswith("pypdf.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf now raises ImportError
    (folder.parent / "two").mkdir(exist_ok=True)
    root = folder.parent / "two"
    for name in ("a.pdf", "b.pdf"):
        (root / name).write_bytes((folder / "report.pdf").read_bytes())
    (root / "notes.txt").write_text(NOTES)
    messages = []
    idx = qa.build_index(root, tmp_path / "idx", warn=messages.append)
    hint = install_hint("pdf")  # in a clone: pip install -e '/path/to/clone[pdf]'
    assert hint.startswith("pip install -e ") and hint.endswith("[pdf]'")
    assert messages == [f"skipped 2 .pdf files: {hint} to read them"]
    assert idx.skipped() == [("a.pdf", f"needs {hint}"), ("b.pdf", f"needs {hint}")]
    assert dict(idx.sources()) == {"notes.txt": 1}
    monkeypatch.delitem(sys.modules, "pypdf")  # the extra is installed now: the next open reads them
    idx = qa.open_index(root, tmp_path / "idx", warn=messages.append)
    assert dict(idx.sources()) == {"a.pdf": 3, "b.pdf": 3, "notes.txt": 1} and not idx.skipped()


# ---------------------------------------------------------------- HTML


def test_html_article_is_cited_by_source_lines_and_heading(index):
    a = index.ask("What do scientists credit for the river's recovery?")
    top = a.results[0]
    assert top.source == "news.html" and top.section == "Otters return to the Thames > Why the river recovered"
    source_lines = NEWS.splitlines()
    assert top.line_start == _line_numbers(NEWS, "<h2>Why the river recovered</h2>")[0]
    cited = "\n".join(source_lines[top.line_start - 1:top.line_end])
    for word in ("Tideway", "sewage overflows", "upstream", "its report."):
        assert word in cited and word in top.text
    assert top.line_end == _line_numbers(NEWS, "from the estuary")[0]
    assert str(top.citation) == f"news.html:{top.line_start}-{top.line_end} ({top.section})"
    assert "<p>" not in top.text and index.source_info("news.html")["title"] == "Otters return to the Thames"


@pytest.mark.parametrize("word", ["xylophonetracking", "quokkapedia", "marzipan", "gazpacho", "teal"])
def test_html_navigation_scripts_styles_cookie_banner_and_footer_are_not_indexed(index, word):
    assert all(r.source != "news.html" for r in index.ask(word).results)


def test_html_page_title_weighs_in(index):
    a = index.ask("Thames otters survey Kew")
    assert a.results[0].source == "news.html" and a.results[0].line_start > 0


# ---------------------------------------------------------------- together


def test_one_folder_of_every_format_counts_and_renders(index, folder):
    assert index.formats() == {"html": 1, "md": 1, "pdf": 1, "txt": 1}
    a = index.ask("Skerryvore lighthouse keeper")
    assert str(a.results[0].citation) == "notes.txt:1" and a.results[0].section is None
    assert set(a.to_dict()["results"][0]) == {"rank", "score", "source", "line_start", "line_end", "text",
                                              "char_start", "char_end", "passage_id", "also_in",
                                              "lexical_score", "semantic_score"}
    out = render.render_answer(index.ask("survey cost Heritage Lottery Fund"))
    assert "-- report.pdf p. 2" in out and "[1] report.pdf p. 2" in out


def test_cli_reports_formats_and_citations(index, folder):
    r = run_qa("sources", "--corpus", folder, "--index", index.path)
    assert r.returncode == 0
    assert r.stderr.splitlines() == ["qa: 4 documents (1 html, 1 md, 1 pdf, 1 txt), "
                                     f"{index.passage_count} passages"]
    assert "news.html  (Otters return to the Thames)" in r.stdout
    rows = {d["source"]: d for d in json_lines(run_qa("sources", "--json", "--corpus", folder,
                                                      "--index", index.path).stdout)}
    assert rows["report.pdf"]["format"] == "pdf" and rows["guide.md"]["format"] == "md"
    r = run_qa("ask", "--json", "-k", "1", "--corpus", folder, "--index", index.path, "survey cost lottery")
    [obj] = json_lines(r.stdout)
    assert obj["results"][0]["page"] == 2 and "section" not in obj["results"][0]
    json.dumps(obj)


def test_chat_context_of_an_extracted_passage_marks_its_own_lines(index):
    from qa.chat import render as chat_render
    result = index.ask("survey cost lottery").results[0]
    text = index.source_text(result.source)
    fragments = chat_render.context_fragments(text, result, [], 100)
    marked = "".join(t for style, t in fragments if "passage" in style)
    assert "48,000 pounds" in marked


def test_reader_dispatch_by_extension():
    assert [formats.kind_of(n) for n in ("a.TXT", "b.md", "c.markdown", "d.htm", "e.HTML", "f.pdf")] == \
        ["txt", "md", "md", "html", "html", "pdf"]
