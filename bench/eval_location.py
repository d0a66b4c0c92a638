"""Measure the location resolver on real Beijing 12345 work orders (gold set by the hotline).

Text = 标题 + 主要内容 + 问题点位; gold = 被反映区 / 被反映街乡镇 ("不详" or empty: unknown).
`--memory` replays the orders in time order and lets the resolver learn places (roads, estates,
buildings) from each earlier order with a known district, as the dispatcher does from history.
Prints, for district and street: accuracy where gold is known and the resolver answered, coverage
(share of known-gold orders answered), wrong-guess rate (wrong answers / known-gold orders),
recall (right answers / known-gold orders), and the resolve time. `--address` passes 问题点位 as
the address field instead of appending it to the text.

    PYTHONPATH=src .venv/bin/python bench/eval_location.py [--json] [--address]
"""

from __future__ import annotations

import argparse
import csv
import json
import time

from rexian.config import DATA_DIR
from rexian.intelligence.location import LocationResolver, RememberingResolver, city_resolver
from rexian.services.importing import parse_local_datetime

ORDERS = DATA_DIR / "beijing12345" / "workorders_2024-08_09.csv"


def beijing_resolver() -> LocationResolver:
    """The product's Beijing resolver: divisions plus data/cities/beijing/places.csv (经开区 …)."""
    return city_resolver("北京市")


def _known(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "不详") else value


def _same_body(street: str | None) -> str | None:
    """The hotline writes 南法信镇 where the statistics say 南法信地区: one body, two plates."""
    if street and street.endswith(("镇", "乡")):
        return street[:-1] + "地区"
    return street


def _score(pairs: list[tuple[str | None, str | None]]) -> dict[str, float | int]:
    known = [(g, p) for g, p in pairs if g is not None]
    answered = [(g, p) for g, p in known if p is not None]
    right = sum(g == p for g, p in answered)
    n = len(known)
    return {
        "known": n,
        "answered": len(answered),
        "accuracy_when_answered": round(right / len(answered), 4) if answered else 0.0,
        "coverage": round(len(answered) / n, 4) if n else 0.0,
        "wrong_guess_rate": round((len(answered) - right) / n, 4) if n else 0.0,
        "recall": round(right / n, 4) if n else 0.0,
        "answered_when_gold_unknown": sum(p is not None for g, p in pairs if g is None),
    }


def evaluate(use_address_field: bool = False, memory: bool = False) -> dict:
    resolver = RememberingResolver(beijing_resolver()) if memory else beijing_resolver()
    with open(ORDERS, encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: parse_local_datetime(r["创建时间"]))
    districts, streets, times = [], [], []
    for row in rows:
        point = row["问题点位"]
        text = f"{row['标题']} {row['主要内容']}" + ("" if use_address_field else f" {point}")
        start = time.perf_counter()
        got = resolver.resolve(text, point if use_address_field else None)
        times.append(time.perf_counter() - start)
        gold_district = _known(row["被反映区"])
        gold_street = _known(row["被反映街乡镇"])
        if gold_street and gold_district and gold_street.startswith(gold_district):
            gold_street = gold_street[len(gold_district):]
        districts.append((gold_district, got.district))
        streets.append((_same_body(gold_street), _same_body(got.street)))
        if isinstance(resolver, RememberingResolver):
            resolver.learn(text, point if use_address_field else None, gold_district, gold_street)
    times.sort()
    return {
        "orders": len(rows),
        "address_field": use_address_field,
        "memory": memory,
        "district": _score(districts),
        "street": _score(streets),
        "resolve_ms_mean": round(1000 * sum(times) / len(times), 3),
        "resolve_ms_p99": round(1000 * times[int(0.99 * (len(times) - 1))], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--address", action="store_true", help="pass 问题点位 as the address")
    parser.add_argument("--memory", action="store_true", help="learn places from earlier orders")
    args = parser.parse_args()
    result = evaluate(args.address, args.memory)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"Beijing work orders: {result['orders']}  (问题点位 as {'address' if args.address else 'text'}"
          f"{'; places learned from earlier orders' if args.memory else ''})")
    for level in ("district", "street"):
        r = result[level]
        print(f"{level:9s} known={r['known']:3d} answered={r['answered']:3d} "
              f"accuracy-when-answered={r['accuracy_when_answered']:.1%} "
              f"coverage={r['coverage']:.1%} wrong-guess={r['wrong_guess_rate']:.1%} "
              f"recall={r['recall']:.1%} (answered where gold unknown: "
              f"{r['answered_when_gold_unknown']})")
    print(f"resolve time: mean {result['resolve_ms_mean']} ms, p99 {result['resolve_ms_p99']} ms")


if __name__ == "__main__":
    main()
