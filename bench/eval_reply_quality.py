"""Reply scores on the 2,816 real replies of Teddy attachment 4: distribution, best and worst,
and a sanity check (a reply given to another appeal must score far lower on relevance).

    PYTHONPATH=src:bench .venv/bin/python bench/eval_reply_quality.py
"""

from __future__ import annotations

import random
import statistics

import _teddy

from rexian.intelligence.reply_quality import score_reply


def main() -> None:
    rows = _teddy.rows("attachment4_full.csv.gz")
    scored = []
    for r in rows:
        appeal = f"{r['留言主题']} {r['留言详情']}"
        s = score_reply(
            appeal, r["答复意见"], _teddy.parse_time(r["留言时间"]), _teddy.parse_time(r["答复时间"])
        )
        scored.append((s, r))
    totals = sorted(s.total for s, _ in scored)
    deciles = [totals[int(len(totals) * q / 10)] for q in range(1, 10)]
    print(f"{len(rows)} replies; total mean {statistics.mean(totals):.1f}, deciles {deciles}")
    for part in ("relevance", "completeness", "readability", "timeliness"):
        values = [getattr(s, part) for s, _ in scored if getattr(s, part) is not None]
        print(f"  {part}: mean {statistics.mean(values):.3f}")
    reasons: dict[str, int] = {}
    for s, _ in scored:
        for reason in s.reasons:
            key = reason.split("（")[0]
            reasons[key] = reasons.get(key, 0) + 1
    print("  reasons:", sorted(reasons.items(), key=lambda kv: -kv[1]))
    scored.sort(key=lambda item: item[0].total)
    for label, items in (("WORST", scored[:3]), ("BEST", scored[-3:][::-1])):
        for s, r in items:
            print(
                f"{label} {s.total} {r['留言编号']} {r['留言主题']}\n  reply: {r['答复意见'].strip()[:160]}"
                f"\n  reasons: {'；'.join(s.reasons) or '—'}"
            )
    random.seed(7)
    sample = random.sample(rows, 300)
    shuffled = sample[1:] + sample[:1]
    true_rel = [score_reply(f"{a['留言主题']} {a['留言详情']}", a["答复意见"]).relevance for a in sample]
    fake_rel = [
        score_reply(f"{a['留言主题']} {a['留言详情']}", b["答复意见"]).relevance
        for a, b in zip(sample, shuffled, strict=True)
    ]
    print(
        f"sanity: relevance true pairs {statistics.mean(true_rel):.3f} vs shuffled "
        f"{statistics.mean(fake_rel):.3f} (300 pairs); true > shuffled in "
        f"{sum(t > f for t, f in zip(true_rel, fake_rel, strict=True)) / 300:.0%} of pairs"
    )


if __name__ == "__main__":
    main()
