"""Answers: the answer line, no-answer, misspellings, duplicates folded into "also in"."""
import pytest


def test_answer_line_is_a_sentence_of_the_top_passage(seeds_index):
    a = seeds_index.ask("When did Russia annex Crimea?")
    assert a.answer is not None
    assert "annexed in 2014" in a.answer.text
    top = a.results[0]
    assert a.answer.text in top.text and a.answer.source == top.source
    assert top.line_start <= a.answer.line_start <= a.answer.line_end <= top.line_end


@pytest.mark.parametrize("question,evidence", [
    ("Zelensky", "Zelensk"),
    ("What did Peskof say?", "Peskov"),
    ("who has controll of the regions", "control"),
    ("embasy kiyv", "embassies in Kyiv"),
])
def test_misspellings_still_match(seeds_index, question, evidence):
    a = seeds_index.ask(question)
    assert any(evidence in r.text for r in a.results), [r.text[:80] for r in a.results]


@pytest.mark.parametrize("question", ["What is the population of Kherson?", "recipe for banana bread",
                                      "quantum chromodynamics lattice"])
def test_nothing_relevant_gives_no_answer_but_closest_matches(seeds_index, question):
    a = seeds_index.ask(question)
    assert a.answer is None
    assert a.to_dict()["answer"] is None


@pytest.mark.parametrize("question", ["Who is the Kremlin spokesman?", "nuclear doctrine", "ATACMS",
                                      "What did Zelenskyy say Ukrainian forces need?"])
def test_relevant_questions_get_an_answer(seeds_index, question):
    assert seeds_index.ask(question).answer is not None


def test_same_fact_from_several_sources_is_shown_once(seeds_index):
    a = seeds_index.ask("no progress in terms of Ukraine's readiness for negotiations military operation", 5)
    quoted = [r for r in a.results if "we are continuing with our [military] operation" in r.text]
    assert len(quoted) == 1
    assert quoted[0].also_in and quoted[0].also_in[0].source != quoted[0].source


def test_k_controls_the_number_of_results(seeds_index):
    assert len(seeds_index.ask("Putin", 7).results) == 7
    assert [r.rank for r in seeds_index.ask("Putin", 4).results] == [1, 2, 3, 4]
