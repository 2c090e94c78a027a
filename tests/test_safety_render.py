"""A long unbroken token is wrapped into full lines (now in linear time), nothing lost or reordered."""
from qa.model import Answer, AnswerLine
from qa.render import render_answer


def test_long_token_is_cut_into_lines_of_the_width():
    token = "".join(chr(ord("a") + i % 26) for i in range(50_000))
    text = f"kettle {token} tea"
    out = render_answer(Answer("q", AnswerLine(text, "long.txt", 1, 1), []), color=False, width=80)
    body = out.split("\n")[:-1]  # the last line is the citation
    assert all(len(line) <= 80 for line in body)
    assert sum(len(line) == 80 for line in body) >= len(token) // 80 - 1
    assert "".join(line.replace(" ", "") for line in body) == "kettle" + token + "tea"
