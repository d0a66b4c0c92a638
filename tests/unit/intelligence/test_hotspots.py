from tests.unit.intelligence.conftest import parse_time

from rexian.intelligence.hotspots import HotspotMessage, detect_hotspots, heat_index
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
