"""Precision and recall of duplicate detection on the real duplicates of Teddy attachment 3/4.

Messages are replayed in time order; each is checked against the earlier ones, then indexed.
Truth: pairs with the same cleaned 留言详情 (exact duplicates), plus near pairs that a person
checked by reading both texts (HAND_CHECKED below). Predicted near pairs nobody has checked are
printed so they can be read and added.

    PYTHONPATH=src .venv/bin/python bench/eval_duplicates.py [--threshold 0.7]
"""

from __future__ import annotations

import argparse
import time

import _teddy

from rexian.intelligence.duplicates import DuplicateIndex
from rexian.intelligence.places import extract_places, place_key
from rexian.intelligence.text import clean_text

# (earlier id, later id) -> is it the same appeal? Read by a person, both texts side by side.
HAND_CHECKED: dict[tuple[str, str], bool] = {
    ("190156", "220576"): True,
    ("190346", "251228"): True,
    ("190346", "259350"): True,
    ("190669", "255772"): True,
    ("190694", "278979"): True,
    ("191062", "245799"): True,
    ("193680", "190346"): True,
    ("194879", "254980"): True,
    ("195917", "262477"): False,
    ("198111", "228091"): True,
    ("199190", "220534"): True,
    ("199330", "197964"): True,
    ("201290", "214164"): True,
    ("201707", "193286"): True,
    ("202397", "241293"): True,
    ("202575", "216316"): False,
    ("203369", "225357"): True,
    ("204464", "281748"): True,
    ("205217", "192702"): True,
    ("206087", "270539"): True,
    ("206733", "276992"): True,
    ("207281", "200586"): True,
    ("207281", "257255"): True,
    ("207677", "255516"): True,
    ("208775", "282611"): True,
}


def evaluate(name: str, threshold: float, window_days: float, limit: int) -> None:
    rows = sorted(_teddy.rows(name), key=lambda r: _teddy.parse_time(r["留言时间"]))
    index = DuplicateIndex(threshold=threshold, window_days=window_days)
    first_with_text: dict[str, str] = {}
    exact: set[tuple[str, str]] = set()
    predicted: set[tuple[str, str]] = set()
    texts = {}
    started = time.perf_counter()
    for row in rows:
        rid, text = row["留言编号"], clean_text(row["留言详情"])
        texts[rid] = row["留言主题"] + " | " + text[:80]
        places = extract_places(row["留言主题"], text)
        where = dict(
            district=places.district,
            street=place_key(places.main) if places.main else None,
            at=_teddy.parse_time(row["留言时间"]),
        )
        if text in first_with_text and first_with_text[text] != rid:
            exact.add((first_with_text[text], rid))
        first_with_text.setdefault(text, rid)
        for candidate in index.candidates(text, k=1, **where):
            predicted.add((candidate.record_id, rid))
        index.add(rid, text, **where)
    elapsed = time.perf_counter() - started
    near = predicted - exact
    unchecked = sorted(p for p in near if p not in HAND_CHECKED)
    true_near = {p for p in near if HAND_CHECKED.get(p)}
    correct = len(predicted & exact) + len(true_near)
    print(f"{name}: {len(rows)} messages, {elapsed:.1f}s, threshold {threshold}, window {window_days}d")
    print(
        f"  exact-duplicate pairs: {len(exact)}; found {len(predicted & exact)} "
        f"(recall {len(predicted & exact) / max(1, len(exact)):.3f})"
    )
    print(
        f"  predicted pairs: {len(predicted)}; near (not identical) {len(near)}, "
        f"hand-checked true {len(true_near)}, unchecked {len(unchecked)}"
    )
    checked = len(predicted) - len(unchecked)
    print(f"  precision over checked pairs: {correct}/{checked} = {correct / max(1, checked):.3f}")
    for a, b in unchecked[:limit]:
        print(f"  UNCHECKED {a} {b}\n    {texts[a]}\n    {texts[b]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--window-days", type=float, default=30)
    parser.add_argument("--show", type=int, default=10, help="unchecked pairs to print")
    args = parser.parse_args()
    for name in ("attachment3_full.csv.gz", "attachment4_full.csv.gz"):
        evaluate(name, args.threshold, args.window_days, args.show)


if __name__ == "__main__":
    main()
