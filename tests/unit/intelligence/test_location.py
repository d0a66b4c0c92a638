"""The location resolver on real Guangzhou and Beijing division names."""

from __future__ import annotations

import pytest

from rexian.adapters.divisions import Division, load_city, load_places
from rexian.intelligence.location import (
    Gazetteer,
    LocationResolver,
    PlaceMemory,
    RememberingResolver,
    city_resolver,
)


@pytest.fixture(scope="module")
def guangzhou() -> LocationResolver:
    return LocationResolver(Gazetteer(load_city("guangzhou")))


@pytest.fixture(scope="module")
def beijing() -> LocationResolver:
    return LocationResolver(Gazetteer(load_city("北京市")))


def test_the_city_loads_by_chinese_or_pinyin_name_and_municipalities_have_districts():
    assert load_city("广州") == load_city("guangzhou") == load_city("广州市")
    beijing = load_city("beijing")
    assert beijing.name == "北京市" and "海淀区" in {d.name for d in beijing.districts}
    assert any(s.name == "中关村街道" for s in beijing.streets)


def test_an_unknown_city_is_a_clear_error_in_both_languages():
    with pytest.raises(ValueError, match="未找到.*unknown city"):
        load_city("gotham")


def test_a_full_address_gives_district_and_street(guangzhou):
    where = guangzhou.resolve("广州市天河区石牌街道华师附中旁边的小区，物业不管垃圾")
    assert (where.district, where.street) == ("天河区", "石牌街道")
    assert where.confidence > 0.5 and "石牌街道" in where.evidence


def test_abbreviations_resolve_to_the_full_names(guangzhou):
    where = guangzhou.resolve("我在天河石牌这边，噪音很大")
    assert (where.district, where.street) == ("天河区", "石牌街道")


def test_a_street_name_alone_implies_its_district(guangzhou, beijing):
    assert guangzhou.resolve("沙面街道有一棵树倒了").district == "荔湾区"
    assert beijing.resolve("望京街道某小区电梯坏了").district == "朝阳区"


def test_a_short_form_that_is_a_common_word_needs_a_place_word_after_it(guangzhou, beijing):
    assert guangzhou.resolve("希望社会继续前进，感谢政府").district is None
    assert beijing.resolve("天桥附近的井盖丢了").street == "天桥街道"
    assert beijing.resolve("过街天桥的灯不亮").street is None


def test_a_street_name_shared_by_two_districts_is_unknown_unless_one_is_named(beijing):
    assert beijing.resolve("八里庄街道有占道经营").district is None
    where = beijing.resolve("海淀区八里庄街道有占道经营")
    assert (where.district, where.street) == ("海淀区", "八里庄街道")


def test_a_longer_name_wins_over_the_district_it_contains(beijing):
    where = beijing.resolve("朝阳门附近有人乱扔垃圾")
    assert where.district == "东城区" and where.street == "朝阳门街道"


def test_no_place_means_unknown_rather_than_a_guess(beijing):
    where = beijing.resolve("咨询医保补缴后等待期的问题")
    assert where.district is None and where.confidence == 0.0


def test_two_districts_named_equally_give_unknown(beijing):
    assert beijing.resolve("公司从延庆区搬到了朝阳区").district is None


def test_the_address_field_outranks_the_text(guangzhou):
    where = guangzhou.resolve("之前住在海珠区，现在问题在新家", address="白云区京溪街道某小区")
    assert (where.district, where.street) == ("白云区", "京溪街道")


def test_community_names_imply_street_and_district():
    city = load_city("guangzhou")
    shipai = next(s for s in city.streets if s.name == "石牌街道")
    resolver = LocationResolver(Gazetteer(city, communities=[Division("x1", "逸彩社区", shipai.code)]))
    where = resolver.resolve("逸彩社区门口的路灯坏了")
    assert (where.district, where.street, where.community) == ("天河区", "石牌街道", "逸彩社区")


def test_aliases_and_extra_districts_are_configuration(beijing):
    resolver = LocationResolver(Gazetteer(load_city("北京市"), aliases={"经开区": "经济技术开发区"},
                                          extra_districts=["经济技术开发区"]))
    assert resolver.resolve("经开区政务服务中心态度差").district == "经济技术开发区"
    assert beijing.resolve("经开区政务服务中心态度差").district is None


def test_a_city_resolver_reads_the_citys_places_file():
    assert city_resolver("beijing").resolve("经开区政务服务中心态度差").district == "经济技术开发区"
    assert city_resolver("guangzhou").resolve("经开区政务服务中心态度差").district is None


def test_places_rows_are_extra_districts_or_aliases(tmp_path):
    beijing = load_city("北京市")
    (tmp_path / "beijing").mkdir()
    (tmp_path / "beijing" / "places.csv").write_text(
        "name,target,note\n新城区,新城区,an area the hotline treats as a district\n"
        "新城,新城区,short\n上地信息产业基地,上地街道,a street area by another name\n海淀区,海淀区,already a division\n",
        encoding="utf-8")
    places = load_places(beijing, root=tmp_path)
    assert places.extra_districts == ("新城区",)
    assert places.aliases == (("新城", "新城区"), ("上地信息产业基地", "上地街道"))
    assert load_places(beijing, root=tmp_path / "nowhere").extra_districts == ()


def test_places_the_division_list_lacks_are_learned_from_orders_with_a_known_district(beijing):
    resolver = RememberingResolver(beijing)
    text = "北四环西路52号楼下的共享单车堆满了人行道"
    assert resolver.resolve(text).district is None
    resolver.learn("爱奇艺客服电话打不通", "北四环西路52号1层107房间", "海淀区", None)
    learned = resolver.resolve(text)
    assert learned.district == "海淀区" and "北四环西路" in learned.evidence
    assert resolver.resolve("西城区北四环西路").district == "西城区"  # the city's own names come first


def test_a_place_whose_past_orders_disagree_or_places_that_disagree_give_unknown():
    memory = PlaceMemory(purity=0.9)
    memory.learn("龙锦苑小区停车难", None, "昌平区", None)
    memory.learn("龙锦苑小区噪音", None, "海淀区", None)
    memory.learn("天华北街的路灯坏了", None, "经济技术开发区", None)
    memory.learn("觅凤路积水", None, "大兴区", "采育镇")
    assert memory.recall("龙锦苑小区又停水").district is None
    assert memory.recall("从天华北街到觅凤路都在修").district is None
    found = memory.recall("觅凤路口垃圾没人清")
    assert (found.district, found.street) == ("大兴区", "采育镇")
