from dataclasses import replace

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from tests.unit.intelligence.conftest import parse_time

from rexian.intelligence import hotspots
from rexian.intelligence.hotspots import (
    HotspotMessage,
    _near_duplicates,
    _ngram_counts,
    _prepare,
    _split,
    _tfidf,
    detect_hotspots,
    heat_index,
)
from rexian.intelligence.places import extract_places
from rexian.intelligence.text import clean_text


def _messages(appeals, word):
    return [
        HotspotMessage(
            r["留言编号"],
            r["留言用户"],
            clean_text(r["留言主题"]),
            clean_text(r["留言详情"]),
            parse_time(r["留言时间"]),
            int(r["点赞数"]),
            int(r["反对数"]),
        )
        for r in appeals
        if word is None or word in r["留言主题"]
    ]


def test_estates_are_found_before_roads_and_districts():
    places = extract_places("A市万家丽南路丽发新城居民区附近搅拌站扰民", "A2区丽发新城小区旁边")
    assert places.main == "丽发新城"
    assert extract_places("投诉A5区魅力之城小区油烟扰民").district == "A5区"


def test_the_mixing_plant_complaints_at_lifa_xincheng_form_the_top_hotspot(appeals):
    sample = _messages(appeals, "丽发") + _messages(appeals[:400], None)
    top = detect_hotspots(sample, top=3)
    assert "丽发" in top[0].place
    assert "搅拌" in top[0].problem
    assert top[0].users >= 5 and top[0].first_at <= top[0].last_at


def test_the_time_window_leaves_out_messages_outside_it(appeals):
    sample = _messages(appeals, "丽发")
    last = max(m.at for m in sample)
    top = detect_hotspots(sample, start=last, top=5)
    assert all(h.first_at >= last for h in top)


def test_more_people_make_a_hotter_spot_than_one_person_posting_often(appeals):
    times = [parse_time(r["留言时间"]) for r in appeals[:10]]
    assert heat_index(10, 10, 0, 0, times) > heat_index(10, 1, 0, 0, times)


def test_hashed_ngram_counts_match_the_character_2_and_3_grams_of_each_text():
    texts = ["丽发新城搅拌站噪音", "", "a", "噪音噪音噪音", "丽发新城搅拌站噪音"]
    counted = CountVectorizer(analyzer="char", ngram_range=(2, 3), lowercase=False).fit_transform(texts)
    hashed = _ngram_counts(texts)
    for row in range(len(texts)):
        assert sorted(hashed[row].data) == sorted(counted[row].data)
    assert (hashed[0] != hashed[4]).nnz == 0


def test_a_text_posted_several_times_weighs_in_the_idf_once_per_copy():
    counts = CountVectorizer(analyzer="char", ngram_range=(2, 3)).fit_transform(
        ["搅拌站噪音", "车位捆绑销售", "噪音扰民"]
    )
    copies = np.array([3, 1, 2])
    expected = TfidfTransformer(sublinear_tf=True).fit_transform(counts[np.repeat(np.arange(3), copies)])
    got = _tfidf(counts.astype(float), copies)
    assert np.allclose(got.toarray(), expected[[0, 3, 4]].toarray())


def test_a_block_larger_than_the_limit_is_cut_into_parts_within_it(appeals):
    sample = _messages(appeals[:600], None)
    *_, counts = _prepare([(m.title, m.text, m.district) for m in sample], duplicate=0.8)
    matrix = _tfidf(counts, np.ones(counts.shape[0], dtype=np.int64))
    parts = _split(np.arange(counts.shape[0]), matrix, max_block=100)
    assert max(len(p) for p in parts) <= 100
    assert sorted(np.concatenate(parts).tolist()) == list(range(counts.shape[0]))


def test_worker_processes_find_the_same_hotspots_as_one_process(appeals, monkeypatch):
    sample = _messages(appeals, "丽发") + _messages(appeals[:300], None)
    alone = detect_hotspots(sample, top=5)
    monkeypatch.setattr(hotspots, "_CHUNK", 150)  # several chunks, so the pool is used
    together = detect_hotspots(sample, top=5, workers=2)
    assert together == alone


def _reposted(message, times):
    """The message re-posted by other people, each copy with one character typed twice."""
    copies = []
    for n in range(times):
        at = 5 + 7 * n
        text = message.text[:at] + message.text[at - 1] + message.text[at:]
        copies.append(replace(message, id=f"{message.id}-{n}", user=f"{message.user}-{n}", text=text))
    return copies


def test_reposts_with_small_edits_form_one_group_and_other_problems_at_the_place_stay_apart(appeals):
    lifa = _messages(appeals, "丽发")
    noise = next(m for m in lifa if "搅拌" in m.title and len(m.text) > 100)
    other = next(m for m in _messages(appeals, None) if "丽发" not in m.title and len(m.text) > 100)
    same_place = replace(other, title=noise.title[:8] + other.title, text=noise.text[:10] + other.text)
    sample = [*_reposted(noise, 6), same_place]
    _, keys, signatures, firsts, counts = _prepare([(m.title, m.text, m.district) for m in sample], 0.8)
    assert len(set(keys)) == 1  # one place, so one block
    assert firsts.tolist() == [0] * 6 + [6] and counts.shape[0] == 2  # n-grams kept once a group
    each = np.arange(len(sample))
    groups = _near_duplicates(signatures, np.zeros(len(sample), dtype=np.int64), 0.8, each)
    assert len(set(groups[:6].tolist())) == 1
    assert groups[6] != groups[0]
    apart = _near_duplicates(signatures, each, 0.8, each)  # the same texts at other places
    assert len(set(apart.tolist())) == len(sample)


def test_every_copy_of_a_reposted_appeal_counts_in_the_heat(appeals):
    lifa = _messages(appeals, "丽发")
    noise = next(m for m in lifa if "搅拌" in m.title and len(m.text) > 100)
    copies = _reposted(noise, 6)
    sample = copies + [m for m in _messages(appeals[:300], None) if "丽发" not in m.title]
    top = detect_hotspots(sample, top=1)[0]
    assert set(top.message_ids) == {m.id for m in copies}
    assert top.users == 6
    assert top.heat == round(
        heat_index(
            6, 6, sum(m.likes for m in copies), sum(m.dislikes for m in copies), [m.at for m in copies]
        ),
        2,
    )
