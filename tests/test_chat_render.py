"""Answers, passages in context, sources and help as formatted text, and how they meet a terminal."""
from __future__ import annotations

import re

import pytest
from prompt_toolkit.formatted_text import fragment_list_to_text
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.utils import get_cwidth

from qa.analysis import analyze
from qa.chat import render
from qa.chat.pager import page
from qa.chat.style import chat_style
from qa.chat.wrap import hang, wrap
from qa.model import Answer, AnswerLine, Citation, Result

QATAR = ("Peskov told Izvestia that “many countries have expressed their readiness” for possible peace "
         "talks, including Qatar.")
MEDIATOR = "“In fact, the emirate has been a very active mediator in several areas, it has been quite effective,” he added."
TERMS = analyze("Peskov Qatar mediator")


def _result(rank, text, source="000_ba940200d1e312e2.txt", line=6, also_in=()):
    return Result(rank=rank, score=1.0 / rank, source=source, line_start=line, line_end=line + text.count("\n"),
                  text=text, char_start=0, char_end=len(text), passage_id=rank, also_in=list(also_in))


def _answer(results, line: AnswerLine | None):
    return Answer(question="What did Peskov say about Qatar?", answer=line, results=results, terms=TERMS)


def _plain(fragments) -> str:
    return fragment_list_to_text(fragments)


def _with_class(fragments, name) -> list[str]:
    return [text for style, text, *_ in fragments if f"class:{name}" in style.split()]


ANSWER = _answer(
    [_result(1, QATAR, also_in=[Citation("001_4d5b5b13e485a5f2.txt", 3, 3)]),
     _result(2, MEDIATOR, line=7)],
    AnswerLine(QATAR, "000_ba940200d1e312e2.txt", 6, 6),
)


def test_answer_line_is_bold_then_cited_then_numbered_passages():
    fragments = render.answer_fragments(ANSWER, 100)
    text = _plain(fragments)
    assert text.startswith("Peskov told Izvestia")
    first_citation = next(n for n, (style, _) in enumerate(fragments) if "class:citation" in style)
    answer_line = fragments[:first_citation]
    assert " ".join(_plain(answer_line).split()) == QATAR
    assert all("class:answer" in style for style, text in answer_line if text.strip())
    lines = text.splitlines()
    assert "000_ba940200d1e312e2.txt:6" in lines[2]
    assert lines[4].startswith("[1] 000_ba940200d1e312e2.txt:6 also in 001_4d5b5b13e485a5f2.txt:3")
    assert "[2] 000_ba940200d1e312e2.txt:7" in text
    assert "    “In fact, the emirate has been a very active mediator" in text


def test_the_questions_terms_are_highlighted():
    fragments = render.answer_fragments(ANSWER, 100)
    assert set(_with_class(fragments, "hit")) == {"Peskov", "Qatar", "mediator"}


def test_nothing_relevant_is_said_plainly_with_the_closest_matches():
    fragments = render.answer_fragments(_answer([_result(1, MEDIATOR)], None), 80)
    text = _plain(fragments)
    assert text.startswith(render.NOTHING_FOUND + " The closest matches:")
    assert "[1] 000_ba940200d1e312e2.txt:6" in text
    assert _plain(render.answer_fragments(_answer([], None), 80)) == render.NOTHING_FOUND


HOSTILE = "Qatar\x1b[2J\x1b]0;owned\x07 is \x9b31mnear\x07\x08 the\rGulf\x1b[1;31m mediator\x00."


def _assert_inert(fragments):
    for _, text, *_ in fragments:
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), repr(text)


def test_document_text_never_sends_control_sequences():
    result = _result(1, HOSTILE, source="evil\x1b[31m.txt", also_in=[Citation("b\x07.txt", 1, 1)])
    answer = _answer([result], AnswerLine(HOSTILE, result.source, 6, 6))
    fragments = render.answer_fragments(answer, 80)
    _assert_inert(fragments)
    # highlighting still lands on the words, after the escapes are gone
    assert _with_class(fragments, "hit").count("Qatar") == 2
    assert _with_class(fragments, "hit").count("mediator") == 2
    _assert_inert(render.context_fragments(HOSTILE + "\nnext line\x1b[5m", result, TERMS, 80))
    _assert_inert(render.sources_fragments([("evil\x1b[31m.txt", 3)], 80))
    # a file name keeps its control characters visible, as qa ask prints them: the citation names the real file
    assert "evil\\x1b[31m.txt:6" in _plain(fragments)
    assert "evil\\x1b[31m.txt" in _plain(render.sources_fragments([("evil\x1b[31m.txt", 3)], 80))


@pytest.mark.parametrize("width", [28, 30, 41, 60])
def test_a_narrow_terminal_wraps_at_words_and_keeps_citations_whole(width):
    fragments = render.answer_fragments(ANSWER, width)
    lines = _plain(fragments).splitlines()
    assert all(get_cwidth(line) <= width for line in lines), lines
    for citation in ("000_ba940200d1e312e2.txt:6", "001_4d5b5b13e485a5f2.txt:3", "000_ba940200d1e312e2.txt:7"):
        assert any(citation in line for line in lines), (citation, lines)
    words = " ".join(lines).split()
    assert "readiness”" in words and "including" in words  # no word cut in two


def test_a_citation_wider_than_the_terminal_is_cut_rather_than_overflowing():
    lines = _plain(hang([("", "[1] ")], [("", "    ")], [("", "a" * 30 + ".txt:1")], 20)).splitlines()
    assert lines[0].rstrip() == "[1]"
    assert all(get_cwidth(line) <= 20 for line in lines)
    assert "".join(lines[1:]) == "a" * 30 + ".txt:1"


def test_wrap_keeps_a_word_whole_across_styles():
    lines = wrap([("", "the "), ("class:hit", "Qatar"), ("", "’s mediation")], 12)
    assert [_plain(line) for line in lines] == ["the Qatar’s", "mediation"]
    assert ("class:hit", "Qatar") in lines[0]


def test_wide_characters_count_double():
    lines = wrap([("", "東京 東京 東京")], 10)
    assert [_plain(line) for line in lines] == ["東京 東京", "東京"]


DOCUMENT = "\r\n".join(f"line {n} about the Qatar talks" for n in range(1, 13))


def _passage(first, last, rank=1):
    starts = [m.start() for m in re.finditer(r"line \d+", DOCUMENT)]
    start = starts[first - 1]
    end = starts[last] - 2 if last < len(starts) else len(DOCUMENT)
    result = _result(rank, DOCUMENT[start:end], source="talks.txt", line=first)
    result.char_start, result.char_end = start, end
    return result


def test_open_shows_the_passage_lines_marked_with_the_lines_around():
    result = _passage(5, 6)
    lines = _plain(render.context_fragments(DOCUMENT, result, TERMS, 80)).splitlines()
    assert lines[0] == "talks.txt:5-6  passage [1]"
    assert lines[1:] == [
        f"{n} {'┃' if n in (5, 6) else '│'} line {n} about the Qatar talks" for n in range(2, 10)
    ]


def test_open_stops_at_the_ends_of_the_document_and_aligns_numbers():
    lines = _plain(render.context_fragments(DOCUMENT, _passage(1, 1), TERMS, 80)).splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "4"]
    lines = _plain(render.context_fragments(DOCUMENT, _passage(11, 12), TERMS, 80)).splitlines()
    assert lines[1] == " 8 │ line 8 about the Qatar talks"
    assert lines[-1] == "12 ┃ line 12 about the Qatar talks"
    # a file ending with a newline has no empty line 13 after its last one
    ended = render.context_fragments(DOCUMENT + "\r\n", _passage(11, 12), TERMS, 80)
    assert _plain(ended).splitlines()[-1] == "12 ┃ line 12 about the Qatar talks"


def test_open_highlights_only_inside_the_passage():
    fragments = render.context_fragments(DOCUMENT, _passage(5, 5), TERMS, 80)
    assert _with_class(fragments, "hit") == ["Qatar"]
    assert "line 5 about the Qatar talks" == "".join(_with_class(fragments, "passage"))


def test_open_wraps_long_lines_under_the_gutter():
    text = "short\n" + " ".join(["Qatar mediation"] * 12) + "\nlast"
    result = _result(1, text.split("\n")[1], source="a.txt", line=2)
    result.char_start = 6
    result.char_end = 6 + len(result.text)
    lines = _plain(render.context_fragments(text, result, TERMS, 40)).splitlines()
    assert lines[1] == "1 │ short"
    assert lines[2].startswith("2 ┃ Qatar mediation")
    assert all(line.startswith("  ┃ ") for line in lines[3:-1])
    assert lines[-1] == "3 │ last"
    assert all(get_cwidth(line) <= 40 for line in lines)


def test_sources_and_help():
    text = _plain(render.sources_fragments([("a.txt", 3), ("sub/b.md", 12)], 80))
    assert text.splitlines() == ["2 documents, 15 passages", " 3  a.txt", "12  sub/b.md"]
    assert _plain(render.sources_fragments([("a.txt", 1)], 80)).splitlines()[0] == "1 document, 1 passage"
    help_text = _plain(render.help_fragments(80))
    for usage in ("/open N", "/sources", "/k N", "/new", "/help", "/quit", "Ctrl-R", "Ctrl-D"):
        assert usage in help_text
    narrow = _plain(render.help_fragments(40)).splitlines()
    assert all(get_cwidth(line) <= 40 for line in narrow) and narrow[0].startswith("Type a question")


# ---------------------------------------------------------------- the pager's keys

def _page(keys: str, fragments) -> int:
    with create_pipe_input() as pipe:
        pipe.send_text(keys)  # read after the first drawing, as a person's keys would be
        return page(fragments, "test", chat_style(), output=DummyOutput(), input=pipe)


LONG = [("", "\n".join(f"row {n}" for n in range(1, 101)))]


def test_the_pager_scrolls_and_quits():
    assert _page("q", LONG) == 0
    assert _page(" q", LONG) > 30  # Space: a page down (DummyOutput is 40 rows)
    assert _page("jjjq", LONG) == 3
    assert _page("Gq", LONG) > 60
    assert _page("G" + "g" + "q", LONG) == 0
    assert _page("\x1b[6~\x1b[5~q", LONG) == 0  # PgDn then PgUp


@pytest.mark.parametrize("width", [100, 60, 40, 20])
def test_the_pagers_status_line_always_says_how_to_quit(width):
    from qa.chat.pager import status_line
    line = status_line("000_ba940200d1e312e2.txt:6 passage [1]", "lines 5-20 of 28", width)
    assert "q quits" in line and len(line) <= width
    if width >= 80:
        assert "lines 5-20 of 28" in line and "passage [1]" in line


def test_the_pager_opens_at_the_passage():
    text = "\n".join(f"line {n} about the Qatar talks" for n in range(1, 200))
    result = _result(1, "line 100 about the Qatar talks", source="t.txt", line=100)
    result.char_start = text.index(result.text)
    result.char_end = result.char_start + len(result.text)
    fragments = render.context_fragments(text, result, TERMS, 80, around=60)
    top = _page("q", fragments)
    lines = _plain(fragments).splitlines()
    assert lines[top + 1].startswith("100 ┃")


def test_open_on_an_html_passage_shows_only_the_citations_line_numbers(tmp_path):
    pytest.importorskip("trafilatura", reason="HTML needs the html extra")
    import qa
    corpus = tmp_path / "docs"
    corpus.mkdir()
    filler = "\n".join(f"<!-- line {n} of the page's head -->" for n in range(60))
    paragraphs = "\n".join(f"<p>Paragraph {n} says how threads share data with channels and locks.</p>" for n in range(12))
    (corpus / "threads.html").write_text(f"<html><head><title>Threads</title>\n{filler}\n</head><body><article>\n"
                                         f"<h1>Threads</h1>\n{paragraphs}\n<p>Spawn a thread with thread::spawn and a "
                                         f"closure.</p>\n</article></body></html>\n")
    index = qa.build_index(corpus, tmp_path / "index", warn=lambda message: None)
    result = index.ask("how do I spawn a thread with a closure?").results[0]
    assert result.line_start > 60  # the page's own line, far from the extracted text's few lines
    text = index.source_text(result.source)
    lines = _plain(render.context_fragments(text, result, analyze("spawn thread closure"), 100)).splitlines()
    assert lines[0] == f"{result.citation}  passage [1]"
    assert lines[1] == "(the text read from the file, without its line numbers)"
    # no numbers of the extracted text in the gutter: the only line numbers shown are the citation's
    assert all(line[:2] in ("┃ ", "│ ") for line in lines[2:])
    assert any(line.startswith("┃ ") and "thread::spawn" in line for line in lines[2:])


def test_the_open_header_wraps_between_words():
    result = _result(1, "line 5 about the Qatar talks", source="a-rather-long-folder-name/talks.txt", line=5)
    text = "\n".join(f"line {n} about the Qatar talks" for n in range(1, 9))
    result.char_start = text.index("line 5")
    result.char_end = result.char_start + len(result.text)
    header = _plain(render.context_fragments(text, result, TERMS, 40)).splitlines()[:2]
    assert header == ["a-rather-long-folder-name/talks.txt:5", "passage [1]"]


def test_the_toolbar_counts_one_document_in_the_singular():
    from qa.chat.toolbar import fit_toolbar
    assert "1 document · 1 passage · k=3" in _plain(fit_toolbar("notes", 1, 1, 3, 100))


@pytest.mark.parametrize("width", [200, 80, 50, 40, 24])
def test_the_toolbar_fits_the_terminal(width):
    from qa.chat.toolbar import fit_toolbar
    text = _plain(fit_toolbar("projects/rust-book", 195, 4321, 3, width))
    assert len(text) <= width and "k=3" in text
    if width >= 80:
        assert "195 documents · 4321 passages" in text and "/help" in text
    if width >= 40:
        assert "projects/rust-book" in text
