"""The merchant registry: import with credit-code checks, and matching partial, homophone names."""

from pathlib import Path

import pytest

from rexian.config import get_settings
from rexian.intelligence.merchants import (
    MerchantColumns,
    MerchantRegistry,
    name_core,
    uscc_check_char,
    uscc_problem,
)

MERCHANTS = get_settings().data_dir / "merchants"
HUAYU = "北京市华宇开关控制设备有限责任公司"


@pytest.fixture(scope="module")
def beijing() -> MerchantRegistry:
    return MerchantRegistry.from_file(MERCHANTS / "beijing_workorders.csv")


@pytest.fixture(scope="module")
def guangzhou() -> MerchantRegistry:
    return MerchantRegistry.from_file(MERCHANTS / "demo_guangzhou.csv")


def test_a_code_completed_with_its_check_character_is_valid_and_bad_shapes_are_not():
    code = "91110000710931234"
    assert uscc_problem(code + uscc_check_char(code)) is None
    assert "格式" in uscc_problem(code + "I")  # I, O, S, V, Z are never used
    assert "格式" in uscc_problem(code)


def test_a_changed_character_breaks_the_checksum():
    code = "91440106MA5CXXXX0"
    good = code + uscc_check_char(code)
    bad = good[:5] + ("1" if good[5] != "1" else "2") + good[6:]
    assert "校验位" in uscc_problem(bad)


def test_the_demo_registry_has_only_valid_codes(guangzhou):
    assert len(guangzhou) >= 60
    assert guangzhou.problems == []
    assert all(m.credit_code and uscc_problem(m.credit_code) is None for m in guangzhou.merchants)


def test_import_keeps_a_merchant_with_a_bad_code_and_reports_it():
    rows = [{"商户名称": "广州市测试餐饮有限公司", "统一社会信用代码": "91440101ABCDEFGHIJ"}]
    registry = MerchantRegistry.from_rows(rows)
    assert registry.merchants[0].credit_code is None
    assert registry.problems[0].row == 2 and registry.problems[0].value == "91440101ABCDEFGHIJ"


def test_columns_are_configurable(tmp_path: Path):
    path = tmp_path / "shops.csv"
    path.write_text("shop,nick\n广州市越秀区莲香楼餐饮有限公司,莲香\n", encoding="utf-8")
    registry = MerchantRegistry.from_file(path, MerchantColumns(name="shop", aliases="nick"))
    assert registry.merchants[0].aliases == ("莲香",)


def test_an_xlsx_registry_loads_like_a_csv(tmp_path: Path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["企业名称", "区"])
    book.active.append([HUAYU, "顺义区"])
    book.save(tmp_path / "r.xlsx")
    registry = MerchantRegistry.from_file(tmp_path / "r.xlsx")
    assert registry.merchants[0].district == "顺义区"


@pytest.mark.parametrize(
    ("name", "core"),
    [(HUAYU, "华宇开关控制设备"), ("芙特碳汇（北京）科技有限公司", "芙特碳汇科技"),
     ("北京市昌平区瀚林荣博学科培训学校", "瀚林荣博学科培训学校"), ("北京银行股份有限公司北京分行", "北京银行")],
)
def test_the_name_core_drops_region_and_legal_form_but_never_leaves_a_bare_word(name, core):
    assert name_core(name) == core


def test_the_full_name_in_a_real_order_is_found(beijing):
    # 热线-240918-055961, 主要内容
    text = "企业反映，公司名称：北京市华宇开关控制设备有限责任公司，注册地址：顺义区南法信镇东海洪村"
    assert beijing.match(text).name == HUAYU


@pytest.mark.parametrize(
    "said",
    ["我要反映华宇开关的问题", "华雨开关那边说要罚款", "花语公司不给我们回执"],
)
def test_partial_and_homophone_mentions_find_the_registered_name(beijing, said):
    match = beijing.match(said)
    assert match is not None and match.name == HUAYU


def test_a_homophone_scores_below_the_exact_words(beijing):
    assert beijing.match("华雨开关").score < beijing.match("华宇开关").score


def test_a_common_word_before_gongsi_is_not_a_brand(beijing):
    # 单氏兄弟科技 sounds like 但是: "但是公司…" must not match it
    assert beijing.match("审核通过的，但是公司已经给盖章证明了") is None


def test_the_merchant_in_the_callers_district_wins_a_tie():
    registry = MerchantRegistry.from_rows(
        [{"name": "广州市海珠区好运来餐饮有限公司", "district": "海珠区"},
         {"name": "广州市白云区好运来餐饮有限公司", "district": "白云区"}]
    )
    assert registry.match("好运来餐饮的菜不干净", district="白云区").merchant.district == "白云区"
    assert registry.match("好运来餐饮的菜不干净", district="海珠区").merchant.district == "海珠区"


def test_aliases_are_matched_to_the_full_name_and_code(guangzhou):
    match = guangzhou.match("我在天河城买的衣服有质量问题", district="天河区")
    assert match.name == "广州天河城百货有限公司"
    assert match.credit_code and match.reason


def test_text_naming_no_merchant_matches_nothing(beijing):
    # 热线-240914-013259, 主要内容 (企业名称 empty)
    text = "市民咨询，自己是2024年的博士毕业生，在办理应届毕业生户口，自己在硕士毕业后工作过"
    assert beijing.match(text) is None
