"""Measure the extraction engine on the real data: phones, merchants, emergencies, update time.

    PYTHONPATH=src .venv/bin/python bench/eval_extraction.py [--json] [--sample N]

- Phones: a gold set from an independent, deliberately simple pattern (plain, dashed and spaced
  numbers) over the Beijing 主要内容 and all Teddy 留言详情; recall of `extract_phones` on it, plus
  the numbers only the extractor found (printed for a hand check), plus the same numbers re-said as
  spoken Chinese digits in random groups. Both corpora are anonymised, so real numbers are few.
- Merchants: each Beijing 企业名称 said in full, as the first four characters of its core, with one
  or two characters replaced by a homophone, and as a homophone brand + 公司; top-1 accuracy.
  False matches on the Beijing orders whose 企业名称 is empty.
- Emergencies: precision / recall on the labelled set below, and the share of real written
  messages flagged (all are non-emergency channels, so every flag there is a false alarm or a
  past event).
- Districts: the Beijing orders whose 被反映区 is known, with Beijing's resolver; again replayed in
  time order with the places learned from earlier orders (as the dispatcher learns from history).
- Update time: a Beijing order replayed as a growing transcript of ~20-character utterances
  through an extractor with Beijing's resolver and registry; p50 / p99 per update.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from rexian.adapters.files import read_rows
from rexian.intelligence.emergency import assess
from rexian.intelligence.extraction import SHANGHAI, Extractor, extract_phones
from rexian.intelligence.location import LocationResolver, RememberingResolver, city_resolver
from rexian.intelligence.merchants import MerchantRegistry, name_core
from rexian.intelligence.text import clean_text
from rexian.services.importing import parse_local_datetime

DATA = Path(__file__).resolve().parents[1] / "data"
BEIJING = DATA / "beijing12345" / "workorders_2024-08_09.csv"
TEDDY = [DATA / "teddy2020c" / f for f in
         ("attachment3_full.csv.gz", "attachment4_full.csv.gz", "attachment2_testset_unlabeled.csv.gz")]
NOW = datetime(2024, 9, 18, 17, 0, tzinfo=SHANGHAI)

# Independent gold pattern: no spoken digits, no grouping logic, no cue words beyond 电话/号码.
_GOLD = re.compile(
    r"(?<![\d.])(1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}-\d{7,8}|[48]00-?\d{3}-?\d{4})(?![\d.])"
    r"|(?:电话|号码)[：:（(]?(\d{8})(?!\d)"
)
_SPOKEN = "零幺二三四五六七八九"

EMERGENCY_SET: list[tuple[str, bool]] = [
    ("我家楼下着火了，快来人", True), ("厨房燃气泄漏了，味道很大", True), ("有人在小区门口打架，打得头破血流", True),
    ("我们被困在电梯里了，出不来", True), ("我妈突然昏迷了", True), ("孩子不见了，半小时前还在楼下", True),
    ("路口撞车了，有人受伤", True), ("对面楼有人要跳楼", True), ("有个男的拿刀在街上乱砍人", True),
    ("楼房塌了，下面可能有人", True), ("有人落水了，在河中间", True), ("仓库冒烟了，好像烧起来了", True),
    ("他威胁要杀了我，现在就在门外", True), ("店里有人抢劫", True), ("老人摔倒了，头在流血", True),
    ("邻居家一直有煤气味，敲门没人应", True), ("工地上有工人被压住了，受伤很重", True), ("我老公在家暴我", True),
    ("上次着火已经处理了，想问赔偿", False), ("担心会着火，楼道堆满杂物", False), ("没有着火，就是有焦味", False),
    ("去年小区发生过火灾，现在消防通道还是被堵", False), ("小区电梯经常坏，怕哪天困人", False),
    ("2019年我被保安殴打过，至今没有处理", False), ("请问交通事故认定书去哪里拿", False),
    ("建议在路口装红绿灯，防止发生交通事故", False), ("楼下餐馆油烟太大", False), ("路灯坏了三天了", False),
    ("物业乱收停车费", False), ("咨询一下社保转移怎么办", False), ("孩子找到了，谢谢你们", False),
    ("施工噪音每天晚上十点以后还在响", False), ("燃气公司上门检查收费合理吗", False),
    ("去年电梯困人的事已经解决了", False), ("老人摔伤后住院的医药费能报销吗", False),
    ("小区里的消防栓被拆了，存在安全隐患", False), ("我想投诉公交司机开车太猛，容易出事故", False),
]


def _beijing() -> list[dict]:
    return list(read_rows(BEIJING)[1])


def _texts() -> list[str]:
    texts = [clean_text(r["主要内容"]) for r in _beijing()]
    for path in TEDDY:
        texts += [clean_text(r["留言详情"]) for r in read_rows(path)[1]]
    return texts


def _normal(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    if digits.startswith("0") and not digits.startswith(("400", "800")):
        area = 3 if digits[1] in "12" else 4
        return f"{digits[:area]}-{digits[area:]}"
    return digits


def _say(number: str, rng: random.Random) -> str:
    digits = re.sub(r"\D", "", number)
    out, i = [], 0
    while i < len(digits):
        n = rng.choice((3, 4, 4, 11))
        out.append("".join(_SPOKEN[int(d)] if rng.random() < 0.8 else d for d in digits[i : i + n]))
        i += n
    return "我的电话是" + rng.choice((" ", "，", "")).join(out) + "，你记一下"


def eval_phones(texts: list[str], rng: random.Random) -> dict:
    gold, found, missed, extra = [], 0, [], defaultdict(int)
    for text in texts:
        golds = {_normal(m.group(1) or m.group(2)) for m in _GOLD.finditer(text)}
        golds = {g for g in golds if set(g.replace("-", "")) != {"0"}}
        got = set(extract_phones(text))
        gold += sorted(golds)
        found += len(golds & got)
        missed += sorted(golds - got)
        for g in got - golds:
            extra[g] += 1
    spoken = [_say(g, rng) for g in gold]
    spoken_found = sum(_normal(g) in extract_phones(s) for g, s in zip(gold, spoken, strict=True))
    return {
        "texts": len(texts), "gold_numbers": len(gold), "recall": found / len(gold) if gold else None,
        "missed": missed[:10],
        "extractor_only": dict(sorted(extra.items())[:20]), "extractor_only_count": sum(extra.values()),
        "spoken_recall": spoken_found / len(spoken) if spoken else None, "spoken_example": spoken[0] if spoken else None,
    }


def _homophones(corpus: str) -> dict[str, list[str]]:
    by_sound: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for ch in corpus:
        if "\u4e00" <= ch <= "\u9fff":
            counts[ch] += 1
    for ch, n in counts.items():
        if n >= 5:
            by_sound[lazy_pinyin(ch, style=Style.NORMAL)[0]].append(ch)
    return by_sound


def _corrupt(core: str, k: int, sounds: dict[str, list[str]], rng: random.Random) -> str | None:
    chars = list(core)
    positions = [i for i, c in enumerate(chars) if len(sounds.get(lazy_pinyin(c, style=Style.NORMAL)[0], [])) > 1]
    if len(positions) < k:
        return None
    for i in rng.sample(positions, k):
        sound = lazy_pinyin(chars[i], style=Style.NORMAL)[0]
        chars[i] = rng.choice([c for c in sounds[sound] if c != chars[i]])
    return "".join(chars)


def eval_merchants(texts: list[str], rng: random.Random) -> dict:
    registry = MerchantRegistry.from_file(DATA / "merchants" / "beijing_workorders.csv")
    sounds = _homophones("".join(texts))
    templates = ("我要反映{}的问题", "{}那边一直不给处理", "是{}，他们拖欠工资", "就是那个{}")
    results: dict[str, list[bool]] = defaultdict(list)
    examples: dict[str, list[str]] = defaultdict(list)
    for merchant in registry.merchants:
        core = name_core(merchant.name)
        mentions = {"full": merchant.name, "prefix4": core[:4] if len(core) > 4 else None,
                    "homophone1": _corrupt(core[:4], 1, sounds, rng), "homophone2": _corrupt(core[:4], 2, sounds, rng),
                    "brand_homophone+公司": (b + "公司") if (b := _corrupt(core[:2], 2, sounds, rng)) else None}
        for kind, mention in mentions.items():
            if not mention:
                continue
            match = registry.match(rng.choice(templates).format(mention))
            ok = match is not None and match.name == merchant.name
            results[kind].append(ok)
            if not ok and len(examples[kind]) < 5:
                examples[kind].append(f"{mention} → {match.name if match else None}")
    empty = [clean_text(r["主要内容"]) for r in _beijing() if r["企业名称"].strip() in ("", "0")]
    false = [m.mention + "→" + m.name for t in empty if (m := registry.match(t))]
    return {
        "merchants": len(registry),
        "top1": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in results.items()},
        "failures": dict(examples),
        "orders_without_merchant": len(empty), "matched_anyway": len(false), "matched_anyway_examples": false[:5],
    }


def eval_emergency(texts: list[str]) -> dict:
    tp = fp = fn = tn = 0
    wrong = []
    for text, label in EMERGENCY_SET:
        got = assess(text).is_emergency
        tp, fp, fn, tn = tp + (got and label), fp + (got and not label), fn + (label and not got), tn + (not got and not label)
        if got != label:
            wrong.append(text)
    flagged = sum(assess(t).is_emergency for t in texts)
    return {"labelled": len(EMERGENCY_SET), "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None, "wrong": wrong,
            "real_messages": len(texts), "real_flagged_share": flagged / len(texts)}


def _beijing_extractor(resolver: LocationResolver | RememberingResolver | None = None) -> Extractor:
    resolve = (resolver or city_resolver("北京市")).resolve
    return Extractor(resolve_location=resolve, merchants=MerchantRegistry.from_file(DATA / "merchants" / "beijing_workorders.csv"), now=NOW)


def eval_districts(memory: bool = False) -> dict:
    """`memory`: replay in time order, the resolver learning places from each earlier order."""
    resolver = RememberingResolver(city_resolver("北京市")) if memory else None
    extractor = _beijing_extractor(resolver)
    known = right = null = 0
    for row in sorted(_beijing(), key=lambda r: parse_local_datetime(r["创建时间"])):
        truth = row["被反映区"].strip()
        if truth in ("", "不详"):
            continue
        known += 1
        district = extractor.extract(row["主要内容"]).district
        right += district == truth
        null += district is None
        if resolver is not None:
            resolver.learn(row["主要内容"], None, truth, None)
    return {"orders_with_district": known, "right": right / known, "null": null / known,
            "wrong": (known - right - null) / known}


def eval_update_time(extractor: Extractor, calls: int) -> dict:
    rows = sorted(_beijing(), key=lambda r: -len(r["主要内容"]))[:calls]
    extractor.extract(rows[0]["主要内容"])  # warm caches (jieba, pypinyin) outside the timing
    times, lengths = [], []
    for row in rows:
        text = clean_text(row["主要内容"])[:900]  # ~3 minutes of speech at ~5 characters a second
        transcript = ""
        for i in range(0, len(text), 20):
            transcript += ("\n市民：" if i % 100 == 0 else "") + text[i : i + 20]
            start = time.perf_counter()
            extractor.extract(transcript)
            times.append((time.perf_counter() - start) * 1000)
        lengths.append(len(transcript))
    times.sort()
    return {"calls": len(rows), "updates": len(times), "max_chars": max(lengths),
            "p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1], "max_ms": times[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--calls", type=int, default=10, help="transcripts replayed for the timing")
    args = parser.parse_args()
    rng = random.Random(12345)
    texts = _texts()
    report = {"phones": eval_phones(texts, rng), "merchants": eval_merchants(texts, rng),
              "emergency": eval_emergency(texts)}
    report["districts_beijing"] = eval_districts()
    report["districts_beijing_learning_from_earlier_orders"] = eval_districts(memory=True)
    report["update_time"] = eval_update_time(_beijing_extractor(), args.calls)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for section, values in report.items():
        print(f"[{section}]")
        for key, value in values.items():
            shown = f"{value:.3f}" if isinstance(value, float) else json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
            print(f"  {key}: {shown}")


if __name__ == "__main__":
    main()
