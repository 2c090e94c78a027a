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


def test_a_quote_two_articles_share_around_sentences_of_their_own_is_shown_in_both(seeds_index):
    """Two articles quote Peskov alike; each has a sentence the other lacks ("Ukraine has shown no sign..."),
    so neither is folded into the other, where that sentence would be hidden."""
    a = seeds_index.ask("no progress in terms of Ukraine's readiness for negotiations military operation", 5)
    quoted = [r for r in a.results if "we are continuing with our [military] operation" in r.text]
    assert sorted(r.source for r in quoted) == ["002_cf0f16a4fca10365.txt", "003_aa968f9833f5d48c.txt"]
    assert any("Ukraine has shown no sign" in r.text for r in quoted)


def test_notes_sharing_a_footer_are_each_shown_with_their_own_decision(tmp_path):
    import qa
    footer = ("This note was recorded by the secretary of the platform team. It is confidential and intended only "
              "for members of the platform team; please do not forward it outside the company.")
    decisions = ["the office move to Building C is postponed until June because the wiring is unfinished",
                 "the office move is cancelled altogether because the lease on Building C fell through",
                 "the team adopts a new on-call rota starting next month"]
    (tmp_path / "notes").mkdir()
    for n, decision in enumerate(decisions, 1):
        (tmp_path / "notes" / f"meeting-{n}.md").write_text(f"# Platform team meeting {n}\n\nDecision: {decision}."
                                                            f"\n\n{footer}\n")
    results = qa.build_index(tmp_path / "notes", tmp_path / "idx", warn=None, semantic=False).ask(
        "What happened with the office move to Building C?").results
    assert {r.source for r in results[:2]} == {"meeting-1.md", "meeting-2.md"}
    assert not any(c.source in ("meeting-1.md", "meeting-2.md") for r in results for c in r.also_in)


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


def test_the_answer_in_a_log_or_a_list_is_its_one_line_not_the_block(tmp_path):
    import qa
    log = [f"2024-03-{d:02d} 04:{d:02d}:00 INFO backup job finished, {d * 3} files copied to volume /srv/data"
           for d in range(1, 25)]
    log.insert(17, "2024-03-18 04:12:55 ERROR the backup job failed because the disk quota on volume /srv/data was "
                   "exceeded")
    phones = ["name, department, phone extension, office room"] + [
        f"{name}, Department of {dept}, extension {4700 + i}, room C{i}" for i, (name, dept) in enumerate(
            [("Alice Martin", "Things"), ("Bob Stone", "Physics"), ("Carla Diaz", "Law"), ("Zoe Kowalski", "Marine Biology"),
             ("Dan Wu", "History"), ("Eve Park", "Music"), ("Finn Ode", "Art")])]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "app.log.txt").write_text("\n".join(log) + "\n")
    (tmp_path / "docs" / "phones.txt").write_text("\n".join(phones) + "\n")
    index = qa.build_index(tmp_path / "docs", tmp_path / "idx", warn=None, semantic=False)
    for question, source, line in [("Why did the backup job fail?", "app.log.txt", 18),
                                   ("What is Zoe Kowalski's phone extension?", "phones.txt", 5)]:
        answer = index.ask(question).answer
        assert (answer.source, answer.line_start, answer.line_end) == (source, line, line)
        assert answer.text == ((tmp_path / "docs" / source).read_text().splitlines()[line - 1])


TROUBLESHOOTING = """# Troubleshooting

## Timeouts through a proxy

**Description**: when using a proxy for secure requests you see an exception looking like this:

```console
relay.ProxyError: _tls.c:1091: The handshake operation timed out
```

The usual cause is a relay proxy that cannot speak TLS to the client. Configure the relay proxy address with
the plain scheme instead, and the relay handshake completes at once.

## Something else

Other problems with certificates are described in the security guide of the relay project.
"""


def test_a_pasted_error_message_is_answered_by_the_explanation_not_by_its_own_echo(tmp_path):
    import qa
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "troubleshooting.md").write_text(TROUBLESHOOTING)
    index = qa.build_index(tmp_path / "docs", tmp_path / "idx", warn=None, semantic=False)
    answer = index.ask("relay.ProxyError: _tls.c:1091: The handshake operation timed out").answer
    assert "ProxyError" not in answer.text and 11 <= answer.line_start <= answer.line_end <= 12  # the explanation


def test_a_lead_in_that_announces_the_answer_is_not_quoted_when_a_sentence_holds_as_much(tmp_path):
    import qa
    guide = ("# Streaming\n\nThe streaming methods of the client are the following:\n\n"
             "- `client.stream()` opens a streaming response.\n\n"
             "The streaming methods of the client close the response when the block ends.\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(guide)
    index = qa.build_index(tmp_path / "docs", tmp_path / "idx", warn=None, semantic=False)
    answer = index.ask("What do the streaming methods of the client do?").answer
    assert answer.text == "The streaming methods of the client close the response when the block ends."
