"""Extraction of draft fields from messages and transcripts, on real text and spoken numbers."""

from dataclasses import dataclass
from datetime import datetime

import pytest

from rexian.config import get_settings
from rexian.intelligence.extraction import (
    SHANGHAI,
    Extractor,
    address_text,
    appeal_type,
    cn_number,
    extract_amounts,
    extract_id_numbers,
    extract_name,
    extract_phones,
    extract_times,
    id_number_valid,
)
from rexian.intelligence.merchants import MerchantRegistry

NOW = datetime(2024, 9, 18, 16, 54, tzinfo=SHANGHAI)  # a Wednesday
# 热线-240918-055961, 主要内容 (real Beijing 12345 work order), abridged
HUAYU_ORDER = (
    "企业反映，公司名称：北京市华宇开关控制设备有限责任公司，注册地址：顺义区南法信镇东海洪村，"
    "2023年4月19日自己到顺义区水务局8011办公室申请增加用水量，告知企业水用超了，要罚款62800多元钱，"
    "企业要求顺义区水务局通过企业在2023年4月19日的申请"
)


@pytest.mark.parametrize(
    ("said", "phone"),
    [
        ("我的电话是幺三八零零一三八零零零", "13800138000"),
        ("号码是一三八 零零一三 八零零零", "13800138000"),
        ("一三八，零零一三，八零零零", "13800138000"),
        ("138零零13八000", "13800138000"),
        ("联系电话：189 7318 7780本人需求", "18973187780"),  # Teddy 附件3, spaced groups
        ("尽快解决问题，正确的电话号码：010-56718661", "010-56718661"),  # Beijing 主要内容
        ("市教育局举报电话：0746-8211562", "0746-8211562"),  # Teddy 附件2 test set
        ("自己拨打爱奇艺热线4009237171和打不通", "4009237171"),  # Beijing 主要内容
        ("多次拨打通州区台湖镇社保所电话61537001，一直打不通", "61537001"),  # Beijing, local number
        ("依约交购土地款100万元(发票号码6008937、6008938)", None),  # Teddy 附件4: invoice numbers
    ],
)
def test_phones_are_found_in_digits_words_and_groups(said, phone):
    assert extract_phones(said) == ([phone] if phone else [])


def test_two_numbers_in_a_row_stay_two_numbers():
    assert extract_phones("138-0013-8000，还有020-12345678") == ["13800138000", "020-12345678"]


def test_a_year_after_a_spaced_number_does_not_swallow_it():
    # Teddy 附件3: "杨永 132 0312 2222 二零一四年"
    assert extract_phones("江大海139 0748 2667 杨永 132 0312 2222 二零一四年") == ["13907482667", "13203122222"]


@pytest.mark.parametrize(
    "text",
    [
        "服务热线12319/0000-00000000，说他们",  # Teddy's anonymised numbers are not numbers
        "2024-08-14在水务局填表",
        "要罚款62800多元钱",
        "一二三四五六七八九十",
        "住宅设计规范 GB50096-2011中也有写",
    ],
)
def test_dates_amounts_codes_and_placeholders_are_not_phones(text):
    assert extract_phones(text) == []


def test_a_local_number_needs_a_phone_word_before_it_and_no_unit_after_it():
    assert extract_phones("举报电话8663333没人接") == ["8663333"]  # Teddy 附件3
    assert extract_phones("我的电话是五三幺，零2七五，幺") == ["53102751"]
    assert extract_phones("规划面积是1020408平方") == []
    assert extract_phones("汪财胜打了2382693元借条给我") == []  # Teddy 附件3: an amount, not a number


def test_id_numbers_are_checked_and_masked():
    assert extract_id_numbers("身份证号11010519491231002X，电话13800138000") == ["11010519491231002X"]
    assert extract_id_numbers("身份证号码是一一零一零五一九四九一二三一零零二X") == ["11010519491231002X"]
    assert extract_id_numbers("身份证号110105194912310021") == []  # wrong check digit
    assert not id_number_valid("110105194913310028")  # month 13


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我姓王，是男的", "王先生"),
        ("坐席：王女士您好。市民：对，我姓王", "王女士"),
        ("免贵姓陈", "陈"),
        ("我叫李明想咨询一下社保", "李明"),
        ("预留手机号：****，姓名：孙丽媛，身份证号码：****", "孙丽媛"),  # Beijing 主要内容
        ("经顺义区水务局核实，针对企业张玉英女士反映", "张玉英"),  # Beijing 处理结果
    ],
)
def test_the_callers_name_is_taken_from_how_it_is_said(text, name):
    assert extract_name(text) == name


def test_no_name_is_invented():
    assert extract_name("市民反映，小区门口的路灯坏了") is None


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("昨天晚上十点以后一直在施工", "2024-09-17T22:00:00+08:00"),
        ("上周三下午三点半", "2024-09-11T15:30:00+08:00"),
        ("2023年4月19日自己到顺义区水务局", "2023-04-19T00:00:00+08:00"),
        ("二〇二四年八月三号", "2024-08-03T00:00:00+08:00"),
        ("三天前", "2024-09-15T00:00:00+08:00"),
        ("今晚", "2024-09-18T20:00:00+08:00"),
    ],
)
def test_time_expressions_resolve_against_the_injected_now(said, value):
    (mention,) = extract_times(said, NOW)
    assert mention.value.isoformat() == value


def test_a_time_without_a_day_keeps_its_words_and_no_value():
    (mention,) = extract_times("每天晚上十点以后还在施工", NOW)
    assert mention.text == "晚上十点以后" and mention.value is None


def test_a_little_is_not_one_oclock():
    assert extract_times("麻烦快一点处理", NOW) == []


@pytest.mark.parametrize(
    ("text", "value", "approximate"),
    [("要罚款62800多元钱", 62800, True), ("押金三千块", 3000, False), ("装修花了1.5万元", 15000, False)],
)
def test_amounts_are_read_in_yuan(text, value, approximate):
    (amount,) = extract_amounts(text)
    assert (amount.value, amount.approximate) == (value, approximate)


@pytest.mark.parametrize(
    ("words", "number"), [("三千", 3000), ("二十三", 23), ("一百零五", 105), ("六万二千八百", 62800), ("二〇二四", 2024)]
)
def test_chinese_numbers_are_valued(words, number):
    assert cn_number(words) == number


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("市民咨询，自己是2024年的博士毕业生，想咨询自己提交的材料是否有用", "consultation"),  # Beijing 咨询 order
        ("我要投诉这个物业，态度恶劣", "complaint"),
        ("我想举报楼下的黑作坊", "report"),
        ("建议在路口加一个红绿灯", "suggestion"),
        ("家里老人摔倒了，想请你们帮忙联系社区", "help"),
        ("喂，你好", None),
    ],
)
def test_the_appeal_type_follows_the_callers_words(text, kind):
    assert appeal_type(text) == kind


def test_an_address_phrase_is_kept_as_said():
    assert address_text("我住在天河区车陂街道车陂路88号，楼下很吵") == "天河区车陂街道车陂路88号"


@dataclass
class FakePlace:
    district: str | None
    street: str | None
    community: str | None = None


@dataclass
class FakeCategory:
    label: str
    confidence: float


class FakeResolver:
    """Knows one place; records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> FakePlace | None:
        self.calls.append(text)
        return FakePlace("顺义区", "南法信镇") if "南法信" in text else None


def test_the_extractor_fills_a_draft_from_a_real_order_with_injected_collaborators():
    registry = MerchantRegistry.from_file(get_settings().data_dir / "merchants" / "beijing_workorders.csv")
    resolver = FakeResolver()
    extractor = Extractor(
        resolve_location=resolver, classify=lambda title, content: FakeCategory("水务", 0.8), merchants=registry, now=NOW
    )
    draft = extractor.extract(HUAYU_ORDER).to_dict()
    assert (draft["district"], draft["street"]) == ("顺义区", "南法信镇")
    assert draft["merchant"] == "北京市华宇开关控制设备有限责任公司"
    assert draft["category"] == "水务"
    assert draft["amounts"][0]["value"] == 62800
    assert draft["appeal_type"] == "help"
    assert draft["urgency"] == "normal" and draft["emergency"]["is_emergency"] is False
    assert draft["summary"].startswith("来电人反映北京市华宇开关控制设备有限责任公司：")
    assert len(draft["summary"]) <= 120
    assert resolver.calls


def test_a_live_transcript_yields_caller_fields_and_skips_the_agents_words():
    transcript = (
        "坐席：您好，12345热线，请问有什么可以帮您？\n"
        "市民：你好，我姓陈，我住在海珠区江南西路38号，楼上漏水已经三天了，水都渗到我家天花板。\n"
        "坐席：陈女士您好，请问您的联系电话？\n"
        "市民：幺三八 零零一三 八零零零。希望你们尽快派人处理。"
    )
    draft = Extractor(now=NOW).extract(transcript)
    assert draft.name == "陈女士"
    assert draft.phones == ["13800138000"]
    assert draft.summary == "陈女士反映海珠区江南西路38号：楼上漏水已经三天了，希望你们尽快派人处理"


def test_an_emergency_in_the_transcript_makes_the_draft_an_emergency():
    draft = Extractor(now=NOW).extract("市民：我家楼下着火了，烟很大，我在三楼下不去")
    assert draft.urgency == "emergency"
    assert draft.emergency.transfer_to == ("119",)


def test_feared_danger_makes_the_draft_urgent_only():
    assert Extractor(now=NOW).extract("楼道里堆满电动车，担心会着火").urgency == "urgent"


def test_unknown_fields_are_null_in_the_json():
    draft = Extractor(now=NOW).extract("喂，你好").to_dict()
    for key in ("name", "district", "street", "community", "merchant", "category", "appeal_type", "summary"):
        assert draft[key] is None, key
    assert draft["phones"] == []
