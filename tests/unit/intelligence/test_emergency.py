"""Emergency detection: hazards happening now transfer; negated, finished or feared ones only alert."""

import pytest

from rexian.intelligence.emergency import SEVERITY_CRITICAL, SEVERITY_NONE, assess


@pytest.mark.parametrize(
    ("text", "transfer_to"),
    [
        ("我家楼下着火了，浓烟很大，快派人来", ("119",)),
        ("厨房里闻到很浓的煤气味，我不敢开灯", ("119",)),
        ("隔壁两个人在打架，有一个拿刀砍人", ("110",)),
        ("电梯困人了，我和孩子被困在里面半小时了", ("119",)),
        ("我爸突然晕倒了，叫不醒", ("120",)),
        ("我家孩子不见了，在公园门口走丢的", ("110",)),
        ("路口两辆车撞车，有人受伤流血", ("122", "120")),
        ("我真的不想活了", ("110", "120")),
    ],
)
def test_a_danger_happening_now_is_an_emergency_with_the_right_service(text, transfer_to):
    result = assess(text)
    assert result.is_emergency
    assert set(transfer_to) <= set(result.transfer_to)


def test_a_traffic_accident_without_injuries_goes_to_122_only():
    assert assess("门口发生了车祸，两辆车堵在路中间").transfer_to == ("122",)


@pytest.mark.parametrize(
    "text",
    [
        "上次着火已经处理了，我想问问赔偿的事",
        "担心会着火，楼道里堆满了电动车",
        "没有着火，就是闻到有点焦味",
        "小区消防通道被占用，存在火灾隐患",
        "2019年5月10日我被保安殴打，至今没有处理结果",
    ],
)
def test_negated_finished_or_feared_danger_is_not_an_emergency_but_is_potential(text):
    result = assess(text)
    assert not result.is_emergency
    assert result.is_potential
    assert result.transfer_to == ()


def test_an_ordinary_complaint_from_the_beijing_orders_raises_nothing():
    # 热线-240914-021576, 主要内容 (real Beijing 12345 work order)
    text = "市民反映，自己于9月13日在北京市政务服务网办理个人失业登记，自己在西城区缴纳的社保，提示基础库户籍区划为空"
    result = assess(text)
    assert result.severity == SEVERITY_NONE
    assert not result.spans


def test_kitchen_fumes_are_not_smoke_from_a_fire():
    assert assess("楼下餐馆油烟太大，每天熏得开不了窗").severity == SEVERITY_NONE


def test_the_gravest_current_hazard_sets_the_severity_and_the_reasons_name_each_kind():
    result = assess("有人持刀行凶，有人受伤了")
    assert result.severity == SEVERITY_CRITICAL
    assert result.reasons == ("暴力伤害", "人员受伤")
    assert {"110", "120"} <= set(result.transfer_to)
    assert all(s.framing == "current" for s in result.spans)


def test_the_assessment_serialises_to_plain_json_values():
    data = assess("着火了").to_dict()
    assert data["is_emergency"] is True
    assert data["transfer_to"] == ["119"]
    assert data["spans"][0]["text"] == "着火"
