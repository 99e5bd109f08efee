#!/usr/bin/env python3
"""Fits the confidence rule of madoguchi-search (standard library only).

    faq_eval --signals [--ipadic DIR --words --sudachi FILE] [--questions heldout.jsonl --split dev] > signals.tsv
    bench/faq/fit_confidence.py signals.tsv [more.tsv …]

Fit on development questions only (the old set and the development half of the held-out set); the test half is
for reporting. `faq_eval --fit-bias` then picks the bias that answers the most questions confidently while 85 %
of confident answers are right.

Logistic regression of "the first hit is right" over the signals (coverage, question coverage, margin over the
second hit, ln(1 + score), score per query weight, share of the query's content words found). Prints the fit on the even lines checked on the odd ones,
then the fit on everything with, for several biases, the share of answerable questions answered right and
confidently and the no-answer precision/recall. Copy the chosen weights into `Params::default()` (`conf_*`).
"""

import csv
import math
import sys


def features(row):
    s, s2 = float(row["score"]), float(row["second"])
    qw = max(float(row["query_weight"]), 1e-6)
    return [1.0, float(row["coverage"]), float(row["question_coverage"]), (s - s2) / max(s, 1e-6), math.log1p(s),
            s / qw, float(row.get("word_coverage") or 1.0)]


def fit(xs, ys, rounds=3000, rate=0.5):
    w = [0.0] * len(xs[0])
    for _ in range(rounds):
        grad = [0.0] * len(w)
        for x, y in zip(xs, ys):
            p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(w, x))))
            for k in range(len(w)):
                grad[k] += (p - y) * x[k]
        w = [a - rate * g / len(xs) for a, g in zip(w, grad)]
    return w


def evaluate(w, rows, xs, shift):
    """(right & confident, no-answer P, no-answer R, confident precision, confident share)"""
    answerable = right_confident = none = none_found = said_none = confident_n = answerable_confident = 0
    for row, x in zip(rows, xs):
        confident = sum(a * b for a, b in zip(w, x)) >= shift
        confident_n += confident
        if row["label"] == "none":
            none += 1
            none_found += not confident
        else:
            answerable += 1
            answerable_confident += confident
            right_confident += confident and row["label"] == "right"
        said_none += not confident
    return (right_confident / max(answerable, 1), none_found / max(said_none, 1), none_found / max(none, 1),
            right_confident / max(confident_n, 1), answerable_confident / max(answerable, 1))


def main():
    rows = []
    for path in sys.argv[1:] or ["/dev/stdin"]:
        with open(path, encoding="utf-8") as f:
            rows += list(csv.DictReader(f, delimiter="\t"))
    xs = [features(r) for r in rows]
    ys = [1 if r["label"] == "right" else 0 for r in rows]
    names = ["bias", "coverage", "question_coverage", "margin", "log_score", "score_per_weight", "word_coverage"]

    even = [i for i in range(len(rows)) if i % 2 == 0]
    odd = [i for i in range(len(rows)) if i % 2 == 1]
    w = fit([xs[i] for i in even], [ys[i] for i in even])
    print("fit on even lines:", ", ".join(f"{n} {v:.3f}" for n, v in zip(names, w)))
    print("shift  (right&confident, no-answer P, no-answer R, confident P, confident share)  even | odd")
    for shift in (-1, -0.75, -0.5, -0.25, 0):
        tr = evaluate(w, [rows[i] for i in even], [xs[i] for i in even], shift)
        te = evaluate(w, [rows[i] for i in odd], [xs[i] for i in odd], shift)
        print(f"{shift:>5}  {tuple(round(v, 3) for v in tr)} | {tuple(round(v, 3) for v in te)}")

    w = fit(xs, ys)
    print("\nfit on all lines:", ", ".join(f"{n} {v:.3f}" for n, v in zip(names, w)))
    for shift in (-1, -0.75, -0.5, -0.25, 0, 0.5, 1, 1.5, 2):
        print(f"{shift:>5}  {tuple(round(v, 3) for v in evaluate(w, rows, xs, shift))}"
              f"  → conf_bias {w[0] - shift:.3f}")


if __name__ == "__main__":
    main()
