"""Classifier latency on one core: p50 / p99 per message and throughput, against clean_text alone.

Uses the default model (`rexian model train` first) on the 383 full rows of the labelled sample,
as title + raw detail, one message per call (the intake path).

    PYTHONPATH=src python bench/bench_classifier.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

import numpy as np

from rexian.config import get_settings
from rexian.intelligence.classifier import SAMPLE_FILE, TEDDY, _read_csv, compose_text, load_default
from rexian.intelligence.text import clean_text


def timings(fn, items, rounds: int) -> np.ndarray:
    out = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            fn(item)
            out.append(time.perf_counter() - started)
    return np.array(out) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    classifier = load_default()
    if classifier is None:
        sys.exit("no model: run `rexian model train` first")
    rows = _read_csv(get_settings().data_dir / TEDDY / SAMPLE_FILE)
    pairs = [(r["留言主题"], r["留言详情"]) for r in rows]
    classifier.predict(*pairs[0])  # warm up the tokenizer and numpy
    base = timings(lambda p: clean_text(compose_text(*p)), pairs, args.rounds)
    model = timings(lambda p: classifier.predict(*p), pairs, args.rounds)
    texts = [compose_text(*p) for p in pairs]
    parts = [
        (f"  of which {name} look-up", timings(lookup, texts, args.rounds))
        for name, lookup in zip(("chars", "words"), classifier._scorer.lookups)
    ]
    print(f"{os.getloadavg()[0]:.1f} load; gc frozen objects: {gc.get_freeze_count()}")
    print(f"messages: {len(pairs)} × {args.rounds} rounds, one core, one message per call")
    for name, t in (("clean_text (baseline)", base), ("classifier.predict", model), *parts):
        p50, p99 = np.percentile(t, [50, 99])
        print(f"{name:<30} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  {1000 / t.mean():9.0f} msg/s")
    print(f"ratio predict / clean_text (mean): {model.mean() / base.mean():.1f}×")


if __name__ == "__main__":
    main()
