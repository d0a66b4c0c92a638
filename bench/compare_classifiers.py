"""Method comparison for the appeal classifier (the table in docs/classifier.md).

Two splits, never mixed:
  * cv: 5-fold stratified cross-validation on the titles + details of 附件2 (exact duplicates
    removed before splitting); each model trains on the fold's texts plus synthetic title+detail
    pairs made from the training fold only, and is scored on the validation fold's titles, details
    and on title+detail pairs made inside the validation fold.
  * sample383: train on every title and detail except those equal to one of the 383 full rows of
    attachment2_sample_visible.csv, test on those rows as title + RAW detail (the judge's form).
Model choice uses cv only.

    PYTHONPATH=src python bench/compare_classifiers.py [--folds 5]   (--folds 0: sample383 only)
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from rexian.config import get_settings
from rexian.intelligence.classifier import (
    SAMPLE_FILE,
    TEDDY,
    LabelledText,
    _read_csv,
    build_features,
    build_model,
    compose_text,
    load_labelled,
    score,
    synthetic_pairs,
    text_key,
)
from rexian.intelligence.text import tokenize


def word_bigrams(text: str) -> list[str]:
    words = tokenize(text)
    return words + [a + " " + b for a, b in zip(words, words[1:])]


def classifiers() -> dict[str, object]:
    return {
        "LinearSVC (C=0.5)": LinearSVC(C=0.5),
        "LinearSVC + sigmoid calibration (chosen)": build_model().named_steps["svm"],
        "LogisticRegression (C=10)": LogisticRegression(C=10, max_iter=300),
        "SGD modified_huber": SGDClassifier(loss="modified_huber", alpha=2e-5, max_iter=50, random_state=0),
        "ComplementNB": ComplementNB(alpha=0.3),
    }


def fasttext_style() -> object:
    """fastText's input (hashed word unigrams + bigrams) and linear softmax, trained by SGD, sklearn only."""
    return make_pipeline(
        HashingVectorizer(analyzer=word_bigrams, n_features=2**21, alternate_sign=False, norm=None),
        TfidfTransformer(sublinear_tf=True),
        SGDClassifier(loss="log_loss", alpha=5e-6, max_iter=30, random_state=0),
    )


def run(
    train: list[LabelledText], tests: dict[str, tuple[list[str], list[str]]]
) -> dict[str, dict[str, dict]]:
    """Scores of every model on every test set, training once per model."""
    train = train + synthetic_pairs(train, 6000)
    x, y = [i.text for i in train], [i.label for i in train]
    features = build_features()
    fx = features.fit_transform(x)
    tx = {name: features.transform(texts) for name, (texts, _) in tests.items()}
    out: dict[str, dict[str, dict]] = {}
    probas: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for name, clf in classifiers().items():
        started = time.perf_counter()
        clf.fit(fx, y)
        out[name] = {}
        for test, (_, gold) in tests.items():
            p = clf.predict_proba(tx[test]) if hasattr(clf, "predict_proba") else None
            pred = clf.predict(tx[test])
            out[name][test] = score(gold, list(pred), p, list(clf.classes_))
            if p is not None:
                probas[name][test] = p
        print(f"  {name}: {time.perf_counter() - started:.0f}s", flush=True)
    ft = fasttext_style().fit(x, y)
    out["fastText-style (hashed word 1-2-grams, softmax SGD)"] = {
        test: score(gold, list(ft.predict(texts)), ft.predict_proba(texts), list(ft.classes_))
        for test, (texts, gold) in tests.items()
    }
    labels = list(ft.classes_)
    members = ["LinearSVC + sigmoid calibration (chosen)", "LogisticRegression (C=10)", "ComplementNB"]
    out["soft vote: calibrated SVC + LR + CNB"] = {}
    for test, (_, gold) in tests.items():
        p = np.mean([probas[m][test] for m in members], axis=0)
        out["soft vote: calibrated SVC + LR + CNB"][test] = score(
            gold, [labels[i] for i in p.argmax(1)], p, labels
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5, help="0: the sample383 split only")
    args = parser.parse_args()
    data_dir = get_settings().data_dir
    pool = [i for i in load_labelled(data_dir) if i.kind != "full"]
    sample = _read_csv(data_dir / TEDDY / SAMPLE_FILE)

    # split sample383
    held = {text_key(r["留言主题"]) for r in sample} | {text_key(r["留言详情"]) for r in sample}
    train = [i for i in pool if text_key(i.text) not in held]
    test = ([compose_text(r["留言主题"], r["留言详情"]) for r in sample], [r["一级分类"] for r in sample])
    print(f"sample383: train {len(train)} texts (+6000 pairs), test {len(test[0])} rows", flush=True)
    held_out = run(train, {"sample383": test})
    print("\n| model | sample383 macro-F1 | sample383 acc | ECE | Brier |\n|---|---|---|---|---|")
    for name, result in held_out.items():
        h = result["sample383"]
        cal = f"{h['ece']:.3f} | {h['brier']:.3f}" if "ece" in h else "– | –"
        print(f"| {name} | {h['macro_f1']:.4f} | {h['accuracy']:.4f} | {cal} |", flush=True)
    if args.folds < 2:
        return

    # split cv
    labels = np.array([i.label for i in pool])
    cv: dict[str, list[list[float]]] = defaultdict(list)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(np.zeros(len(pool)), labels)
    for k, (tr, va) in enumerate(folds):
        print(f"cv fold {k + 1}/{args.folds}", flush=True)
        valid = [pool[i] for i in va]
        pairs = synthetic_pairs(valid, len([v for v in valid if v.kind == "detail"]), seed=100 + k)
        tests = {
            kind: ([v.text for v in items], [v.label for v in items])
            for kind, items in (
                ("titles", [v for v in valid if v.kind == "title"]),
                ("details", [v for v in valid if v.kind == "detail"]),
                ("pairs", pairs),
            )
        }
        for name, result in run([pool[i] for i in tr], tests).items():
            cv[name].append([result[t]["macro_f1"] for t in ("titles", "details", "pairs")])

    print(
        "\n| model | cv titles | cv details | cv pairs | sample383 macro-F1 | sample383 acc | ECE | Brier |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, scores in cv.items():
        m = np.mean(scores, axis=0)
        h = held_out[name]["sample383"]
        cal = f"{h['ece']:.3f} | {h['brier']:.3f}" if "ece" in h else "– | –"
        print(
            f"| {name} | {m[0]:.4f} | {m[1]:.4f} | {m[2]:.4f} | {h['macro_f1']:.4f} | {h['accuracy']:.4f} | {cal} |"
        )


if __name__ == "__main__":
    main()
