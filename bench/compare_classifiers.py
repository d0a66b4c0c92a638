"""Cross-validation of the appeal classifier in the judge's form (the table in docs/classifier.md).

Protocol: K folds over all three sources at once. The 383 full rows are split stratified by class; every
title and detail equal (ignoring whitespace and '*') to a full row's title or detail goes to that row's
fold, the rest are split stratified by class. Each fold trains on the other folds only (synthetic pairs
are made from training texts only) and is scored on:
  * full: the held-out full rows as title + RAW detail, the judge's form;
  * pairs: synthetic title + detail pairs of the same class made inside the held-out fold.
Methods:
  * joint (shipped): `fit`, one calibrated model on titles, details, full rows and 6,000 synthetic pairs,
    reading title + detail as one text;
  * split: a title model and a detail model (the same pipeline), probabilities multiplied;
  * detail only: that detail model alone;
  * mean(joint, detail): the average of the joint and the detail model's probabilities.

    python bench/compare_classifiers.py [--folds 5] [--only 0,1]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from rexian.config import get_settings
from rexian.intelligence.classifier import (
    DETAILS_FILE,
    SAMPLE_FILE,
    TEDDY,
    TITLES_FILE,
    LabelledText,
    _read_csv,
    build_model,
    compose_text,
    fit,
    score,
    text_key,
)
from rexian.intelligence.text import clean_text


def stratified_folds(labels: list[str], k: int, rng: np.random.Generator) -> np.ndarray:
    fold = np.zeros(len(labels), int)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    for indices in by_class.values():
        for j, i in enumerate(rng.permutation(indices)):
            fold[i] = j % k
    return fold


@dataclass(frozen=True)
class ProtocolFolds:
    """The data of the protocol and its fold of every item; `linked`: the texts of the full rows."""

    full: list[dict[str, str]]
    full_fold: np.ndarray
    titles: list[LabelledText]
    details: list[LabelledText]
    folds: dict[str, np.ndarray]  # "title" / "detail" → fold per item
    linked: dict[str, int]  # text_key of a full row's title or detail → its fold


def protocol_folds(k: int, seed: int = 0) -> ProtocolFolds:
    """The full rows split stratified by class; a title or detail equal to a full row's goes to its fold."""
    folder = get_settings().data_dir / TEDDY
    full = _read_csv(folder / SAMPLE_FILE)

    def distinct(rows: list[dict[str, str]], column: str, kind: str) -> list[LabelledText]:
        unique: dict[str, LabelledText] = {}
        for r in rows:
            unique.setdefault(text_key(r[column]), LabelledText(clean_text(r[column]), r["一级标签"], kind))
        return list(unique.values())

    titles = distinct(_read_csv(folder / TITLES_FILE), "留言主题", "title")
    details = distinct(_read_csv(folder / DETAILS_FILE), "留言详情", "detail")
    rng = np.random.default_rng(seed)
    full_fold = stratified_folds([r["一级分类"] for r in full], k, rng)
    linked = {text_key(r[c]): f for r, f in zip(full, full_fold) for c in ("留言主题", "留言详情")}
    folds = {}
    for name, items in (("title", titles), ("detail", details)):
        fold = stratified_folds([i.label for i in items], k, rng)
        folds[name] = np.array([linked.get(text_key(i.text), f) for i, f in zip(items, fold)])
    return ProtocolFolds(full, full_fold, titles, details, folds, linked)


def held_out_pairs(titles: list[LabelledText], details: list[LabelledText], n: int, seed: int):
    """`n` (title, detail, label) joining a random title and detail of one class, classes as often as titles."""
    rng = np.random.default_rng(seed)
    by_title, by_detail = defaultdict(list), defaultdict(list)
    for t in titles:
        by_title[t.label].append(t.text)
    for d in details:
        by_detail[d.label].append(d.text)
    weighted = [t.label for t in titles if t.label in by_detail]
    return [
        (by_title[c][rng.integers(len(by_title[c]))], by_detail[c][rng.integers(len(by_detail[c]))], str(c))
        for c in rng.choice(weighted, size=n)
    ]


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scores = np.log(a + 1e-9) + np.log(b + 1e-9)
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated fold numbers to run (default: all)")
    args = parser.parse_args()
    cv = protocol_folds(args.folds)
    full, full_fold, titles, details, folds = cv.full, cv.full_fold, cv.titles, cv.details, cv.folds
    print(
        f"{len(titles)} titles, {len(details)} details, {len(full)} full rows; {args.folds} folds", flush=True
    )

    results: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    seconds = []
    runs = [int(k) for k in args.only.split(",")] if args.only else range(args.folds)
    for k in runs:
        train_t = [i for i, f in zip(titles, folds["title"]) if f != k]
        train_d = [i for i, f in zip(details, folds["detail"]) if f != k]
        train_full = [r for r, f in zip(full, full_fold) if f != k]
        test_full = [r for r, f in zip(full, full_fold) if f == k]
        test_t = [i for i, f in zip(titles, folds["title"]) if f == k]
        test_d = [i for i, f in zip(details, folds["detail"]) if f == k]
        test_pairs = held_out_pairs(test_t, test_d, len(test_d), seed=100 + k)
        tests = {
            "full": ([(r["留言主题"], r["留言详情"]) for r in test_full], [r["一级分类"] for r in test_full]),
            "pairs": ([(t, d) for t, d, _ in test_pairs], [c for *_, c in test_pairs]),
        }
        full_items = [
            LabelledText(compose_text(r["留言主题"], r["留言详情"]), r["一级分类"], "full")
            for r in train_full
        ]
        started = time.perf_counter()
        joint = fit(train_t + train_d + full_items)
        seconds.append(time.perf_counter() - started)
        title_model = build_model().fit(
            [i.text for i in train_t] + [clean_text(r["留言主题"]) for r in train_full],
            [i.label for i in train_t] + [r["一级分类"] for r in train_full],
        )
        detail_model = build_model().fit(
            [i.text for i in train_d] + [text_key(r["留言详情"]) for r in train_full],
            [i.label for i in train_d] + [r["一级分类"] for r in train_full],
        )
        labels = joint.labels
        for form, (pairs, gold) in tests.items():
            pj = joint.probabilities([compose_text(t, d) for t, d in pairs])
            pt = title_model.predict_proba([clean_text(t) for t, _ in pairs])
            pd = detail_model.predict_proba([text_key(d) for _, d in pairs])
            methods = {
                "joint (shipped)": pj,
                "split: title × detail": product(pt, pd),
                "detail only": pd,
                "mean(joint, detail)": (pj + pd) / 2,
            }
            for method, p in methods.items():
                r = score(gold, [labels[i] for i in p.argmax(1)], p, labels)
                results[method][form].append((r["macro_f1"], r["accuracy"], r["ece"], r["brier"]))
        shipped = results["joint (shipped)"]["full"][-1][0]
        print(f"fold {k}: joint trained in {seconds[-1]:.0f}s; full macro-F1 {shipped:.4f}", flush=True)

    print(
        "\n| method | folds | full macro-F1 | full acc | full ECE | full Brier | pairs macro-F1 | pairs acc |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for method, forms in results.items():
        f, p = np.mean(forms["full"], axis=0), np.mean(forms["pairs"], axis=0)
        print(
            f"| {method} | {len(forms['full'])} | {f[0]:.4f} | {f[1]:.4f} | {f[2]:.3f} | {f[3]:.3f} | "
            f"{p[0]:.4f} | {p[1]:.4f} |"
        )
    print(f"joint fit per fold: {np.mean(seconds):.0f} s")


if __name__ == "__main__":
    main()
