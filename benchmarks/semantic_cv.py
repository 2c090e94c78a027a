"""Choose the semantic stage's parameters by cross-validation over the dev questions and report held-out figures.

    python benchmarks/semantic_cv.py [--questions tests/data/seed_questions_dev.jsonl] [--corpus seeds]
                                     [--folds 5] [--seeds 0 1 2]

For every question (a follow-up asked in a conversation after its previous questions) the lexical
candidates (depth 40), their lexical scores, their cosines with the question (a follow-up embedded with
its previous question) and their coverage of the question are computed once with the real model. Then,
for each split (5 folds grouped so a follow-up stays with the question it follows, repeated over seeds),
the fusion weight, candidate depth and the no-answer thresholds are picked on the training folds and
the held-out fold is scored. The candidates: the lexical top ``depth`` and the passages closest in meaning
over the whole index that these miss (Settings.nearest; the seeds are small enough).
Ranking by the candidates' order (near-duplicates are not folded here).
The shipped values (qa/semantic/fusion.py Settings) are those picked by the same rule over all questions.
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import qa  # noqa: E402
from qa.answer import coverage  # noqa: E402
from qa.semantic.fusion import Settings  # noqa: E402

COVERAGE_DEPTH = Settings().coverage_depth
from qa.pipeline import Question  # noqa: E402
from qa.semantic.embedder import Embedder  # noqa: E402
from qa.semantic.fusion import fuse  # noqa: E402
from qa.semantic.stage import embedding_text  # noqa: E402
from _seeds import is_hit, load_questions  # noqa: E402

DEPTHS = (10, 20, 30, 40)
WEIGHTS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)
COVERAGES = (0.3, 0.4, 0.5, 0.6, 0.7, 1.01)
COSINES = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 2.0)


def features(index, embedder, questions, nearest):
    """Per question: lexical scores, cosines, coverages and gold hits of its candidates: the lexical top 40, then
    the passages closest in meaning over the whole index that they miss (fusion.Settings.nearest, lexical 0)."""
    rows = []
    every = embedder.embed([index.passage_text(p) for p in range(index.passage_count)])
    for q in questions:
        conversation = index.conversation()
        for earlier in q.get("previous") or []:
            conversation.ask(earlier)
        seen = {}
        answer = index.answer

        def capture(query, k=3, context=None, answer=answer, seen=seen):
            seen["question"] = Question(query, k, max(DEPTHS), query.weights, context or [])
            return answer(query, k, context)

        index.answer = capture
        conversation.ask(q["question"])
        index.answer = answer
        question = seen["question"]
        found = index.pipeline.rank(question)
        cosine_all = every @ embedder.embed([embedding_text(question)])[0]
        listed = [c.pid for c in found]
        extra = [int(p) for p in np.argsort(-cosine_all, kind="stable")[:nearest] if int(p) not in set(listed)]
        pids = listed + extra
        texts = [index.passage_text(p) for p in pids]
        gold = q.get("gold") or []
        concepts = question.query.concepts + question.context
        rows.append({"q": q, "lexical": np.array([c.score for c in found] + [0.0] * len(extra)),
                     "cosine": cosine_all[pids], "listed": len(listed),
                     "coverage": np.array([coverage(concepts, t) for t in texts]),
                     "gold": np.array([bool(gold) and is_hit([t], gold, 1) for t in texts]), "answerable": bool(gold)})
    return rows


def lexical_only(rows):
    """The rows without the candidates that only the cosine over the whole index found."""
    keep = ("lexical", "cosine", "coverage", "gold")
    return [dict(r, **{k: r[k][:r["listed"]] for k in keep}) for r in rows]


def outcome(row, weight, depth, min_coverage, min_cosine):
    """(hit@1, hit@3, answered) of one question under one setting."""
    taken = list(range(min(depth, row["listed"]))) + list(range(row["listed"], len(row["lexical"])))
    if not taken:
        return False, False, False
    score = fuse(row["lexical"][taken], row["cosine"][taken], weight)
    order = [taken[i] for i in sorted(range(len(taken)), key=lambda i: (-score[i], i))]
    gold = row["gold"]
    top = order[0]
    leading = order[:COVERAGE_DEPTH]  # the no-answer call reads the coverage of the first few (fusion.Settings)
    answered = (max(row["coverage"][i] for i in leading) >= min_coverage
                or (min_cosine <= 1 and row["cosine"][top] >= min_cosine))
    return bool(gold[top]), bool(any(gold[i] for i in order[:3])), bool(answered)


def figures(rows, weight, depth, min_coverage, min_cosine):
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    para = [r for r in ans if r["q"].get("kind") == "paraphrase"]
    out = {r["q"]["id"]: outcome(r, weight, depth, min_coverage, min_cosine) for r in rows}

    def mean(rs, i, neg=False):
        return sum((not out[r["q"]["id"]][i]) if neg else out[r["q"]["id"]][i] for r in rs) / len(rs) if rs else 0.0

    return {"hit@1": mean(ans, 0), "hit@3": mean(ans, 1), "para@3": mean(para, 1),
            "unanswerable refused": mean(una, 2, neg=True), "answerable refused": mean(ans, 2, neg=True)}


def choose(rows, at_most=None):
    """Ranking: the (weight, depth) with the best hit@1 + hit@3; then the thresholds with the best
    unanswerable refused - answerable wrongly refused (Youden's J: both errors count alike), or, given
    ``at_most``, the most unanswerable refused with at most that share of answerable ones refused."""
    best_rank = max(itertools.product(WEIGHTS, DEPTHS), key=lambda wd: (
        (f := figures(rows, wd[0], wd[1], 2.0, 2.0))["hit@1"] + f["hit@3"], -abs(wd[0] - 0.25), wd[1]))
    weight, depth = best_rank

    def merit(rule):
        f = figures(rows, weight, depth, *rule)
        if at_most is None:
            return f["unanswerable refused"] - f["answerable refused"], -rule[1]
        return f["answerable refused"] <= at_most + 1e-9, f["unanswerable refused"], -f["answerable refused"], -rule[1]

    return weight, depth, *max(itertools.product(COVERAGES, COSINES), key=merit)


def held_out(rows, group_of, seeds, folds, at_most=None, log=None):
    """The figures of every question scored with the values chosen on the other folds, pooled over the seeds."""
    scored = []
    for seed in seeds:
        unique = sorted(set(group_of))
        random.Random(seed).shuffle(unique)
        fold_of = {g: i % folds for i, g in enumerate(unique)}
        for fold in range(folds):
            train = [r for r, g in zip(rows, group_of) if fold_of[g] != fold]
            test = [r for r, g in zip(rows, group_of) if fold_of[g] == fold]
            chosen = choose(train, at_most)
            scored.extend((r, chosen) for r in test)
            if log:
                log(f"  seed {seed} fold {fold}: chosen w={chosen[0]} depth={chosen[1]} "
                    f"coverage>={chosen[2]} cosine>={chosen[3]}")
    out = {r["q"]["id"] + f"/{i}": outcome(r, *chosen) for i, (r, chosen) in enumerate(scored)}
    keys = list(out)

    def rate(pick, i, neg=False):
        chosen = [out[k][i] != neg for k, (r, _) in zip(keys, scored) if pick(r)]
        return sum(chosen) / len(chosen) if chosen else 0.0

    def answerable(r):
        return r["answerable"]

    return {"hit@1": rate(answerable, 0), "hit@3": rate(answerable, 1),
            "para@3": rate(lambda r: r["answerable"] and r["q"].get("kind") == "paraphrase", 1),
            "unanswerable refused": rate(lambda r: not r["answerable"], 2, neg=True),
            "answerable refused": rate(answerable, 2, neg=True)}


def answer_lines(corpus, questions):
    """Of the answerable questions whose top passage (shipped ranking) holds a gold phrase, how many answer lines
    hold one: chosen lexically (the first of the best) and with both signals (of the best, the closest in meaning).
    Every question is made to answer here, so that the line is measured whatever the no-answer call says."""
    index = qa.open_index(corpus, warn=lambda m: None)
    verdict = index.pipeline.composer.verdict
    verdict.answerable = lambda question, results: bool(results)
    closeness = verdict.closeness
    counts = {"top passage holds gold": 0, "lexical line": 0, "both signals": 0}
    for q in (q for q in questions if q.get("gold")):
        lines = []
        for chooser in (lambda question, texts: None, closeness):
            verdict.closeness = chooser
            conversation = index.conversation()
            for earlier in q.get("previous") or []:
                conversation.ask(earlier)
            answer = conversation.ask(q["question"])
            lines.append(answer)
        if lines[0].results and is_hit([lines[0].results[0].text], q["gold"], 1):
            counts["top passage holds gold"] += 1
            counts["lexical line"] += is_hit([lines[0].answer.text], q["gold"], 1)
            counts["both signals"] += is_hit([lines[1].answer.text], q["gold"], 1)
    return counts


def classifier(rows, group_of, seeds, folds, weight, depth):
    """Held-out AUC of a logistic regression (scikit-learn, here only) on the top passage's cosine and the first
    three's coverage, and of each of these alone (no fitting): can the no-answer call be learned from them?"""
    from sklearn.linear_model import LogisticRegression
    x, y = [], []
    for r in rows:
        taken = list(range(min(depth, r["listed"]))) + list(range(r["listed"], len(r["lexical"])))
        score = fuse(r["lexical"][taken], r["cosine"][taken], weight) if taken else np.zeros(0)
        order = [taken[i] for i in np.argsort(-score, kind="stable")]
        x.append([r["cosine"][order[0]], max(r["coverage"][i] for i in order[:COVERAGE_DEPTH])] if order else [0, 0])
        y.append(r["answerable"])
    x, y = np.array(x), np.array(y)

    def auc(p):
        pos, neg = p[y][:, None], p[~y][None, :]
        return float(((pos > neg) + 0.5 * (pos == neg)).mean())

    aucs = []
    for seed in seeds:
        unique = sorted(set(group_of))
        random.Random(seed).shuffle(unique)
        fold = np.array([{g: i % folds for i, g in enumerate(unique)}[g] for g in group_of])
        p = np.zeros(len(y))
        for f in range(folds):
            model = LogisticRegression(class_weight="balanced").fit(x[fold != f], y[fold != f])
            p[fold == f] = model.predict_proba(x[fold == f])[:, 1]
        aucs.append(auc(p))
    return {"cosine alone": auc(x[:, 0]), "coverage alone": auc(x[:, 1]), "logistic, held-out": float(np.mean(aucs))}


def groups(questions):
    """Question index -> group: a follow-up joins the group of the question it follows."""
    by_text, out = {}, []
    for i, q in enumerate(questions):
        previous = (q.get("previous") or [None])[0]
        g = by_text.get(previous, i) if previous else i
        by_text.setdefault(q["question"], g)
        out.append(g)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=REPO / "tests" / "data" / "seed_questions_dev.jsonl")
    ap.add_argument("--corpus", type=Path, default=REPO / "seeds")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--nearest", type=int, default=Settings().nearest,
                    help="passages closest in meaning over the whole index added to the candidates (0: before)")
    ap.add_argument("--lines", action="store_true", help="also measure the answer line (lexical vs both signals)")
    ap.add_argument("--classifier", action="store_true", help="also the held-out AUC of a logistic no-answer call")
    args = ap.parse_args()
    questions = load_questions(args.questions)
    index = qa.open_index(args.corpus, semantic=False)
    rows = features(index, Embedder(), questions, args.nearest)
    group_of = groups(questions)
    names = ["hit@1", "hit@3", "para@3", "unanswerable refused", "answerable refused"]
    print(f"{len(rows)} questions, {args.folds} folds grouped by conversation, seeds {args.seeds}")
    print(f"{'':28}" + "".join(f"{n:>22}" for n in names))
    lexical = figures(lexical_only(rows), 1.0, 40, 0.5, 2.0)
    print(f"{'lexical qa (all questions)':28}" + "".join(f"{v:22.2f}" for v in lexical.values()))
    held = held_out(rows, group_of, args.seeds, args.folds, log=lambda m: print(m, file=sys.stderr))
    print(f"{'semantic, held-out folds':28}" + "".join(f"{held[k]:22.2f}" for k in names))
    print("the no-answer call held-out: thresholds chosen on the training folds for the most unanswerable "
          "refused with at most this share of answerable refused (unanswerable refused / answerable refused):")
    for at_most in (0.05, 0.1, 0.2, 0.3, 0.4):
        f = held_out(rows, group_of, args.seeds, args.folds, at_most)
        print(f"  at most {at_most}: {f['unanswerable refused']:.2f} / {f['answerable refused']:.2f}")
    chosen = choose(rows)
    print(f"shipped (chosen on all): lexical_weight={chosen[0]} depth={chosen[1]} "
          f"answer_coverage={chosen[2]} answer_cosine={chosen[3]}")
    print("the no-answer curve at the shipped weight and depth (coverage, cosine: unanswerable refused, "
          "answerable wrongly refused):")
    for c in COVERAGES:
        print(f"  coverage>={c:<5}" + "".join(
            f" cos>={t}: {(f := figures(rows, chosen[0], chosen[1], c, t))['unanswerable refused']:.2f}/"
            f"{f['answerable refused']:.2f}" for t in COSINES[:-1]))
    print(f"{'  its figures (tuned, not held-out)':28}" + "".join(f"{v:22.2f}" for v in figures(rows, *chosen).values()))
    if args.classifier:
        print("answerable vs unanswerable, AUC:", ", ".join(
            f"{k} {v:.2f}" for k, v in classifier(rows, group_of, args.seeds, args.folds, *chosen[:2]).items()))
    if args.lines:
        print("answer lines holding a gold phrase:", answer_lines(args.corpus, questions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
