"""Weak top-level labels for 附件4 messages from the department their reply (答复意见) names.

Rule (decided by reading replies; docs/classifier.md, "Weak labels from 附件4 replies"):
  * a department is a name from DEPARTMENTS below; each maps to one of the 7 classes of the labelled data,
    or to None for a department of another top-level class (公安/交警 → 政法, 民政, 农业/林业/水利, 国土/自然资源,
    纪委, 发改/财政/税务, 供电/通信 ...) or of two classes (文旅, 安监/应急管理);
  * the handler is the first department named in the reply's opening (its first OPENING characters);
    if the opening names none, the one named in its signature (the last SIGNATURE characters);
  * the message is labelled with the handler's class only if every department named in that part of the
    reply (opening or signature) is of the same class; no department, an out-of-scope one (None) or two
    classes → unlabelled.

Read by eye (40 random labelled messages): 37 name the handler's domain correctly, but only ~32 agree with
附件2's labelling conventions (bus/metro messages, answered by 交通运输局, are mostly 城乡建设 in 附件2;
noise handled by 城管 is mostly 环境保护 there). 695 of 2,816 messages get a label.

    python bench/weak_labels.py            # counts, and a random sample of labelled messages to read
"""

from __future__ import annotations

import re

from rexian.intelligence.text import clean_text

OPENING = 200
SIGNATURE = 60

# (class, pattern); a class of None: a department outside the 7 classes (or of two of them)
DEPARTMENTS: list[tuple[str | None, str]] = [
    (
        "城乡建设",
        r"住房和城乡建设|住房与城乡建设|住建[局委厅部]|城乡建设局|城乡规划|规划(?:分)?局|(?<![交])建设局|建委"
        r"|城管|城市管理|行政执法局|房产局|房管局|房地产管理局|住房保障局|住保局|公积金管理中心|市政(?:工程|设施|管理|局|公司)",
    ),
    (
        "劳动和社会保障",
        r"人力资源和社会保障|人力资源与社会保障|人社[局厅部]|社保局|社会保险(?:事业)?(?:管理)?(?:局|中心|处)|医疗保障局|医保[局中]"
        r"|劳动(?:保障)?监察",
    ),
    ("教育文体", r"教育局|教育体育局|教体局|教育厅|文体局|体育局|(?<!旅游)文化局|文广|新闻出版|文物局"),
    (
        "商贸旅游",
        r"商务局|商务和粮食局|旅游局|旅发委|市场监督管理局|市场监管局|(?:工商局|工商分局|工商行政管理局)(?!注册|登记)"
        r"|质监局|质量技术监督局|质量监督管理局",
    ),
    ("环境保护", r"环保局|环境保护局|生态环境局|生态环境分局|环保分局|环境保护分局"),
    (
        "卫生计生",
        r"卫生和计划生育|卫计[委局]|卫生健康委|卫健[委局]|卫生局|卫生健康局|计生局|人口计生"
        r"|食品药品监督管理局|食药监",
    ),
    (
        "交通运输",
        r"交通运输局|交通局|交通运输委|交通委|运管处|运管局|运输管理处|公路局|公路管理局|公交公司|公交集团"
        r"|邮政管理局|出租汽车管理|客运管理",
    ),
    (
        None,
        r"公安|派出所|交警|消防|司法局|法院|检察院|民政局|农业局|农业农村局|农委|林业局|水利局|水务局|畜牧"
        r"|国土资源|国土局|国土所|自然资源|不动产登记|纪委|监委|监察局|发展和改革|发改|物价局|财政局|税务局|统计局"
        r"|工信|工业和信息化|经信|扶贫办|安监|安全生产监督|应急管理|文化旅游|文旅|文化和旅游|供电|电力局|电力公司|移动公司"
        r"|联通|电信|残联|宗教局|民宗局|人防|气象局|科技局|侨办|信访局",
    ),
]
_PATTERN = re.compile("|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(DEPARTMENTS)))
CLASSES = sorted({c for c, _ in DEPARTMENTS if c})


def mentions(text: str) -> list[tuple[int, str | None, str]]:
    """(position, class, name) of every department named in `text`."""
    out = []
    for m in _PATTERN.finditer(text):
        i = int(m.lastgroup[1:])
        out.append((m.start(), DEPARTMENTS[i][0], m.group()))
    return out


def weak_label(reply: str) -> str | None:
    """The class of the department that handled a message, from its reply; None where the rule abstains."""
    text = clean_text(reply)
    part = (
        mentions(text) if len(text) <= OPENING else (mentions(text[:OPENING]) or mentions(text[-SIGNATURE:]))
    )
    if not part:
        return None
    classes = {c for _, c, _ in part}
    return part[0][1] if len(classes) == 1 else None


if __name__ == "__main__":
    import random
    from collections import Counter

    from rexian.adapters.files import read_rows
    from rexian.config import get_settings

    rows = list(read_rows(get_settings().data_dir / "teddy2020c" / "attachment4_full.csv.gz")[1])
    labels = [weak_label(r["答复意见"]) for r in rows]
    print(len(rows), "messages;", sum(x is not None for x in labels), "weakly labelled", Counter(labels))
    random.seed(0)
    for r, lab in random.sample([(r, x) for r, x in zip(rows, labels) if x], 40):
        t = clean_text(r["答复意见"])
        print(
            f"[{lab}] {r['留言主题']}\n    {clean_text(r['留言详情'])[:120]}\n    R: {t[:OPENING]} … {t[-SIGNATURE:]}\n"
        )
