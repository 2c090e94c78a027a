"""The seed dev questions: evidence in the top 3, no-answer where nothing answers (figures by kind)."""
from qa.evaluate import evaluate, load_questions

import pytest
import qa
from conftest import DEV_QUESTIONS, SEEDS


def test_dev_questions(seeds_index, capsys):
    result = evaluate(seeds_index, load_questions(DEV_QUESTIONS), k=3)
    with capsys.disabled():
        print()
        for kind, f in sorted(result["by_kind"].items()):
            print(f"  {kind:18} n={f['n']:2}  hit@1={f['hit1']:.2f}  hit@3={f['hit3']:.2f}  null={f['null']:.2f}")
    answerable = result["by_kind"]["all answerable"]
    unanswerable = result["by_kind"]["all unanswerable"]
    assert answerable["hit3"] >= 0.8
    assert unanswerable["null"] >= 0.6
    # 0.3 held for the old 25 questions; on the 85 the lexical path wrongly refuses 0.47 (benchmarks/semantic_cv.py):
    # the default (semantic) path must stay within 0.35 and refuse less wrongly, and refuse more rightly, than lexical
    assert answerable["null"] <= 0.35
    lexical = qa.open_index(SEEDS, seeds_index.path, update=False, semantic=False)
    plain = evaluate(lexical, load_questions(DEV_QUESTIONS), k=3)["by_kind"]
    assert answerable["null"] < plain["all answerable"]["null"]
    assert unanswerable["null"] >= plain["all unanswerable"]["null"]
    assert answerable["hit3"] >= plain["all answerable"]["hit3"]
    # answerable questions whose evidence is on top almost never get "no answer"
    found = [r for r in result["rows"] if r["hit1"]]
    assert sum(r["null"] for r in found) <= 0.25 * len(found)  # 0.1 on the old 25; lexical on the 85: 10/45
    followup = result["by_kind"]["followup"]
    assert followup["hit3"] >= 0.9


def test_follow_ups_are_told_from_new_topics(seeds_index):
    """Each dev follow-up leans on its previous question; every other dev question, asked after an unrelated one, is
    asked alone (its own "it", "that", "there" or "his" points inside it)."""
    conversation = seeds_index.conversation()
    taken, missed = [], []
    for q in load_questions(DEV_QUESTIONS):
        conversation.reset()
        for previous in q.get("previous") or ["When did Russia annex Crimea?"]:
            conversation.ask(previous, k=1)
        followup = conversation.is_followup(q["question"], seeds_index.parse(q["question"]))
        if q.get("previous") and not followup:
            missed.append(q["question"])
        elif not q.get("previous") and followup:
            taken.append(q["question"])
    assert missed == [] and taken == []


@pytest.mark.parametrize("question, followup", [
    ("show me an example", True), ("Give me more details, please.", True), ("can I use a different one?", True),
    ("Show me an example of the Kremlin's statements on Qatar", False), ("Which example did Putin give?", False),
])
def test_a_request_for_more_of_the_same_follows_up(seeds_index, question, followup):
    conversation = seeds_index.conversation()
    conversation.ask("What did Peskov say about Qatar?", k=1)
    assert conversation.is_followup(question, seeds_index.parse(question)) is followup
