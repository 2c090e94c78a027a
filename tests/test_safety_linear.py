"""The rewritten linear pieces (HTML comments and tags, ATX headings, the chat's cutting of long words) give
what the quadratic regexes and the per-character cutting gave; benchmarks/linear.py shows the times."""
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chat.wrap import wrap
from qa.formats import markdown

OLD_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.S)
OLD_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["<!--", "-->", "<a>", "</b x>", "x", "<", ">", "-", "!", " ", "\n", "<!"]),
                max_size=16).map("".join))
def test_tags_and_comments_removed_as_the_regex_did(text):
    assert markdown.without_tags(text) == OLD_TAG.sub(" ", text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=" \t#ab", max_size=14))
def test_atx_heading_title_as_the_regex_gave(rest):
    line = "## " + rest
    assert markdown.atx_title(line[2:].lstrip(" \t")) == (OLD_ATX.match(line).group(2) or "")


def test_unclosed_comment_openers_stay_text_and_closed_ones_go():
    text = "kettle <!-- hidden --> tea <b>strong</b> " + "<!--" * 50000 + " kept"
    cleaned = markdown.without_tags(text)
    assert cleaned.startswith("kettle   tea  strong  ") and cleaned.endswith(" kept")
    assert cleaned.count("<!--") == 50000
    small = "a <!-- b --> c " + "<!--" * 500 + " d --> e"  # the first unclosed opener swallows up to the -->
    assert markdown.without_tags(small) == OLD_TAG.sub(" ", small) == "a   c   e"


def test_heading_with_a_long_space_run_keeps_its_title():
    pieces = markdown.passages("# Kettle" + " \t" * 50000 + "tea ##\n\nBody text about tea.\n")
    assert pieces[0].section.split() == ["Kettle", "tea"]


def test_a_long_token_is_cut_into_line_wide_pieces_not_characters():
    token = "x" * 1_000_000
    lines = wrap([("bold", "kettle " + token + " tea")], 100)
    assert "".join(text for line in lines for _, text in line) == "kettle" + token + "tea"  # no blank at a line end
    assert all(sum(len(text) for _, text in line) <= 100 for line in lines)
    assert sum(len(line) for line in lines) < 12_000  # about one fragment a line, not a million


def test_wide_characters_are_cut_at_the_cell_width():
    lines = wrap([("", "世" * 25)], 10)
    assert ["".join(t for _, t in line) for line in lines] == ["世" * 5] * 5
