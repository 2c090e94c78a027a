"""Format readers on adversarial input (long runs, unclosed marks) keep the words and drop only the markup."""
from qa.formats import markdown


def test_run_of_spaces_keeps_both_words():
    text = "alpha" + " " * 20000 + "omega ##\n"
    cleaned = markdown.clean(text)
    assert cleaned.split() == ["alpha", "omega"]


def test_unclosed_brackets_and_tags_are_kept_as_text():
    text = "[" * 5000 + "word " + "<a" * 3000 + " [a](" * 2000 + "\n"
    cleaned = markdown.clean(text)
    assert "word" in cleaned
    assert markdown.passages(text)


def test_links_tags_and_closing_hashes_still_cleaned():
    text = "# Title ##\n\nSee [the guide](http://x.y/z) and <b>bold</b> [ref][1] text.\n"
    cleaned = markdown.clean(text)
    assert "the guide" in cleaned and "ref" in cleaned and "bold" in cleaned
    assert "http" not in cleaned and "<b>" not in cleaned and "##" not in cleaned


def test_pdf_units_go_to_the_page_they_start_on():
    from types import SimpleNamespace

    from qa.formats import pdf

    units = [SimpleNamespace(start=s) for s in (0, 5, 12, 20, 31, 45)]
    bounds = [(1, 0, 10), (2, 12, 25), (4, 40, 50)]
    expected = [[u for u in units if s <= u.start < e] for _, s, e in bounds]
    assert pdf.units_by_page(units, bounds) == expected


def test_html_lines_are_counted_as_the_file_has_them_despite_u2028():
    from qa.formats.html import SourceMap

    page = "<html><body>\n<p>one\u2028two\u2028three\u2028four</p>\n<p>closing words here</p>\n</body></html>\n"
    source = SourceMap(page)
    assert len(source.lines) == page.count("\n") + 1
    assert source.lines_of("closing words here") == (3, 3)
