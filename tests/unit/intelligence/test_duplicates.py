from datetime import timedelta

from tests.unit.intelligence.conftest import parse_time

from rexian.intelligence.duplicates import DuplicateIndex
from rexian.intelligence.text import clean_text


def _exact_pairs(appeals, limit):
    seen, pairs = {}, []
    for row in appeals:
        text = clean_text(row["留言详情"])
        if text in seen and len(pairs) < limit:
            pairs.append((seen[text], row))
        seen.setdefault(text, row)
    return pairs


def test_a_reposted_appeal_is_found_among_unrelated_ones(appeals):
    index = DuplicateIndex()
    pairs = _exact_pairs(appeals, 10)
    for first, _ in pairs:
        index.add(first["留言编号"], first["留言详情"])
    for row in appeals[:300]:
        index.add("other-" + row["留言编号"], row["留言详情"])
    for first, again in pairs:
        found = index.candidates(again["留言详情"], k=1)
        assert found and found[0].similarity == 1.0
        assert found[0].record_id in {first["留言编号"], "other-" + first["留言编号"]}


def test_unrelated_appeals_are_not_suggested(appeals):
    index = DuplicateIndex()
    texts = {clean_text(r["留言详情"]) for r in appeals[:200]}
    rows = [r for r in appeals[:200] if clean_text(r["留言详情"]) in texts]
    for row in rows[:100]:
        index.add(row["留言编号"], row["留言详情"])
    suggested = [
        r
        for r in rows[100:200]
        if clean_text(r["留言详情"]) not in {clean_text(x["留言详情"]) for x in rows[:100]}
        and index.candidates(r["留言详情"])
    ]
    assert suggested == []


def test_a_different_district_or_an_old_appeal_is_not_a_duplicate(appeals):
    row = appeals[0]
    at = parse_time(row["留言时间"])
    index = DuplicateIndex(window_days=30)
    index.add("same", row["留言详情"], district="A3区", at=at)
    assert index.candidates(row["留言详情"], district="A3区", at=at + timedelta(days=2))
    assert not index.candidates(row["留言详情"], district="A5区", at=at)
    assert not index.candidates(row["留言详情"], district="A3区", at=at + timedelta(days=90))


def test_a_removed_record_is_no_longer_suggested(appeals):
    index = DuplicateIndex()
    index.add("1", appeals[0]["留言详情"])
    index.remove("1")
    assert index.candidates(appeals[0]["留言详情"]) == [] and len(index) == 0
