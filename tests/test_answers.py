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


def test_passages_that_share_some_sentences_are_both_shown(tmp_path):
    """Two guides that open alike and then say different things are two results, not one with an "also in": only a
    passage repeated nearly word for word is folded."""
    import qa
    opening = ("Proxies are configured on the client. The transport decides how each request travels. "
               "Requests for the internal network are sent directly without any proxy at all. ")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "proxies.md").write_text(opening + "An HTTP proxy is given with the proxy argument of the "
                                                  "client, and its credentials go in the proxy address.\n")
    (tmp_path / "docs" / "transports.md").write_text(opening + "Scheme routing mounts one transport for http and "
                                                     "another for https, each with its own retries and limits.\n")
    (tmp_path / "docs" / "copy.md").write_text(opening + "An HTTP proxy is given with the proxy argument of the "
                                               "client, and its credentials go in the proxy address (see above).\n")
    results = qa.build_index(tmp_path / "docs", tmp_path / "idx", warn=None, semantic=False).ask(
        "which transport and proxy does the client use for requests", k=5).results
    assert sorted(r.source for r in results) == ["proxies.md", "transports.md"]
    folded = next(r for r in results if r.source == "proxies.md")
    assert [c.source for c in folded.also_in] == ["copy.md"]


def test_k_controls_the_number_of_results(seeds_index):
    assert len(seeds_index.ask("Putin", 7).results) == 7
    assert [r.rank for r in seeds_index.ask("Putin", 4).results] == [1, 2, 3, 4]
