"""Masking of phone and ID-card numbers; which phones a text message reaches."""

from __future__ import annotations

import pytest

from rexian.domain.privacy import mask_id_number, mask_phone, mask_text, mobile_number


@pytest.mark.parametrize(("phone", "masked"), [
    ("13800138000", "138****8000"),
    ("138-0013-8000", "138****8000"),
    ("020-83388888", "020****8888"),
    ("12345", "***45"),
    ("", ""),
    (None, None),
])
def test_a_phone_number_keeps_only_its_ends(phone: str | None, masked: str | None):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("phone", "mobile"), [
    ("13800138000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("(86)139 2000 1234", "13920001234"),
    ("020-83388888", None),  # a landline
    ("12345", None),
    ("1380013800", None),  # a digit short
    ("12800138000", None),  # no mobile starts 12
    ("", None),
    (None, None),
])
def test_only_a_mainland_mobile_is_a_number_to_text(phone: str | None, mobile: str | None):
    assert mobile_number(phone) == mobile


@pytest.mark.parametrize(("number", "masked"), [
    ("44010619900307123X", "440106********123X"),
    ("440106900307123", "440106*****7123"),  # the old 15-digit card
    ("1234567890", "**********"),
])
def test_an_id_number_keeps_its_region_and_last_four(number: str, masked: str):
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("我的电话13800138000，请回电", "我的电话138****8000，请回电"),
    ("身份证号44010619900307123X，手机15918881234。", "身份证号440106********123X，手机159****1234。"),
    ("身份证440106199003071234", "身份证440106********1234"),
    ("请拨打+8613800138000联系", "请拨打+86138****8000联系"),
    ("手机号 139 2000 1234 谢谢", "手机号 139****1234 谢谢"),
])
def test_phone_and_id_numbers_are_masked_inside_free_text(text: str, masked: str):
    assert mask_text(text) == masked
    assert mask_text(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize("text", [
    "已拨打12345热线",
    "订单号213800138000123",  # 15 digits: not a phone number
    "2026年10月1日上午10时",
    "工单GZ20261127-000123",
])
def test_numbers_that_are_not_personal_are_left_alone(text: str):
    assert mask_text(text) == text
