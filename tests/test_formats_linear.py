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
