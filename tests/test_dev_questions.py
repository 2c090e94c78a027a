"""The seed dev questions: evidence in the top 3, no-answer where nothing answers (figures by kind)."""
from qa.evaluate import evaluate, load_questions

from conftest import DEV_QUESTIONS


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
    assert answerable["null"] <= 0.3
    # answerable questions whose evidence is on top almost never get "no answer"
    found = [r for r in result["rows"] if r["hit1"]]
    assert sum(r["null"] for r in found) <= 0.1 * len(found)
    followup = result["by_kind"]["followup"]
    assert followup["hit3"] >= 0.9
