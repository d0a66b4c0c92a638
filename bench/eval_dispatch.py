"""Measure dispatch on real Beijing 12345 work orders against their real 承办单位.

Units: the distinct 承办单位 names (X区分中心 is the district's sub-centre and stands for the district,
so it is the backstop) plus Beijing's streets/towns from the division data. Context: text =
标题 + 主要内容; category = the hotline's own 问题分类 (taken as given, confidence 1.0: this measures
the router, not the classifier); district/street = what our resolver reads from text + 问题点位
(not the gold 被反映区). The ranker learns only from the training folds (5-fold cross-validation,
fixed seed). Orders without a 承办单位 are skipped.

Configurations: "backstop only" (no rules, no history: the resolved district's sub-centre), and
"history + backstop" (the learned ranker, the backstop where it has nothing). Reported: top-1
accuracy over all orders (the unit the router would choose, ignoring the review threshold), the
share dispatched automatically at the threshold, the accuracy of those, and the majority baseline.

    PYTHONPATH=src .venv/bin/python bench/eval_dispatch.py [--json] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import time
from collections import Counter

from eval_location import ORDERS, beijing_resolver

from rexian.domain.routing import DispatchContext, DispatchRanker, Router
from rexian.domain.units import Unit, UnitKind

FOLDS = 5


def beijing_units(names: set[str], resolver) -> list[Unit]:
    """Units from the 承办单位 names, kinds inferred from the name, plus streets/towns."""
    city = resolver.gazetteer.city
    districts = {d.name for d in city.districts} | {"经济技术开发区"}
    units = []
    for name in sorted(names):
        if (m := re.fullmatch(r"(.+?区)分中心", name)) and m.group(1) in districts:
            units.append(Unit(name, name, UnitKind.DISTRICT, district=m.group(1)))
        elif (m := re.fullmatch(r"(.+?区)(.+(?:街道|镇|乡|地区))", name)) and m.group(1) in districts:
            units.append(Unit(name, name, UnitKind.STREET, district=m.group(1), street=m.group(2)))
        elif name.startswith(("市", "北京市")):
            units.append(Unit(name, name, UnitKind.DEPARTMENT))
        else:
            units.append(Unit(name, name, UnitKind.ENTERPRISE))
    by_name = {s.name: s for s in city.streets}
    codes = {d.code: d.name for d in city.districts}
    known = {(u.district, u.street) for u in units}
    for s in by_name.values():
        if (codes[s.parent_code], s.name) not in known:
            units.append(Unit(s.code, f"{codes[s.parent_code]}{s.name}办事处", UnitKind.STREET,
                              district=codes[s.parent_code], street=s.name))
    return units


def _contexts(rows, resolver) -> list[DispatchContext]:
    out = []
    for row in rows:
        text = f"{row['标题']} {row['主要内容']}"
        where = resolver.resolve(f"{text} {row['问题点位']}")
        category = row["问题分类"].replace("->", "/") or None
        out.append(DispatchContext(text, category, 1.0 if category else 0.0,
                                   where.district, where.street, where.community,
                                   row["企业名称"] or None))
    return out


def evaluate(threshold: float = 0.5, seed: int = 0) -> dict:
    resolver = beijing_resolver()
    with open(ORDERS, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["承办单位"].strip()]
    gold = [r["承办单位"].strip() for r in rows]
    units = beijing_units(set(gold), resolver)
    contexts = _contexts(rows, resolver)
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    results: dict[str, dict] = {}
    for name in ("backstop only", "history + backstop"):
        chosen, automatic, times, majority_right = [], [], [], 0
        for k, test in enumerate(folds):
            train = [i for j, fold in enumerate(folds) if j != k for i in fold]
            ranker = None if name == "backstop only" else DispatchRanker()
            router = Router([], units, ranker, review_threshold=threshold)
            for i in train:
                router.learn(contexts[i], gold[i])
            majority = Counter(gold[i] for i in train).most_common(1)[0][0]
            for i in test:
                start = time.perf_counter()
                decision = router.decide(contexts[i])
                times.append(time.perf_counter() - start)
                top = decision.unit_code or (decision.candidates[0].unit_code
                                             if decision.candidates else None)
                chosen.append(top == gold[i])
                if not decision.needs_review:
                    automatic.append(decision.unit_code == gold[i])
                majority_right += majority == gold[i]
        times.sort()
        results[name] = {
            "top1_accuracy": round(sum(chosen) / len(chosen), 4),
            "automatic_share": round(len(automatic) / len(chosen), 4),
            "automatic_accuracy": round(sum(automatic) / len(automatic), 4) if automatic else 0.0,
            "majority_baseline": round(majority_right / len(chosen), 4),
            "decide_ms_p99": round(1000 * times[int(0.99 * (len(times) - 1))], 3),
        }
    return {"orders": len(rows), "units": len(units), "folds": FOLDS, "threshold": threshold,
            "configurations": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    result = evaluate(args.threshold)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"Beijing work orders with a 承办单位: {result['orders']}, units {result['units']}, "
          f"{result['folds']}-fold CV, review threshold {result['threshold']}")
    for name, r in result["configurations"].items():
        print(f"{name:20s} top-1 {r['top1_accuracy']:.1%}  automatic {r['automatic_share']:.1%} "
              f"of orders at {r['automatic_accuracy']:.1%} accuracy  "
              f"(majority baseline {r['majority_baseline']:.1%}; decide p99 {r['decide_ms_p99']} ms)")


if __name__ == "__main__":
    main()
