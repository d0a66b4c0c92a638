"""The demo city: one user per role and a few hundred orders in every state, from real messages.

The appeal texts are real citizen messages (Teddy Cup 2020, data/teddy2020c); since they come from
another city, each gets a Guangzhou address (a real district and street) so routing has a place.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import timedelta
from typing import Any

from rexian.config import DATA_DIR, get_settings
from rexian.domain.clock import FixedClock
from rexian.domain.errors import DomainError
from rexian.domain.units import UnitKind
from rexian.domain.vocabulary import AppealType, Channel, Role, Satisfaction
from rexian.domain.workorder import Action, Actor, Caller, Status
from rexian.intelligence.text import clean_text
from rexian.services import workorders as uc
from rexian.services.auth import add_user, issue_token
from rexian.services.context import Hotline

DEMO_PASSWORD = "rexian-demo"
HOME_STREET = "440106006"  # 石牌街道办事处: the demo street office; a share of the orders happen on its street
# (name, role, unit code): the district government of 天河区 and its 石牌 street office
DEMO_USERS = [("admin", Role.ADMIN, None), ("agent", Role.AGENT, None), ("dispatcher", Role.DISPATCHER, None),
              ("supervisor", Role.SUPERVISOR, None), ("tianhe", Role.UNIT_ADMIN, "440106"),
              ("shipai", Role.UNIT_STAFF, HOME_STREET)]

HOME_SHARE = 0.15  # so that the street office's desk has work
PASSED_DOWN = 0.6  # of the orders a district signs for, the share it passes down to the street of the place

# the share of demo orders left in each stage of the loop
SCENARIOS = [("received", 3), ("dispatched", 4), ("signed", 5), ("replied", 3), ("closed", 6), ("reopened", 1),
             ("returned", 1), ("joint_review", 1), ("suspended", 1), ("extension", 1), ("answered", 2),
             ("merged", 1), ("withdrawn", 1)]


def _messages() -> list[dict[str, str]]:
    with (DATA_DIR / "teddy2020c" / "attachment2_sample_visible.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if clean_text(r["留言详情"])]


def _seed_users(hl: Hotline, actor: Actor) -> dict[str, str]:
    with hl.uow.begin() as tx:
        if tx.users.by_name("admin") is not None:
            return {}
    for name, role, unit in DEMO_USERS:
        add_user(hl, name, role, actor, unit, DEMO_PASSWORD)
    tokens = {name: issue_token(hl, name, actor) for name, _, _ in DEMO_USERS}
    path = get_settings().home / "demo-tokens.json"
    path.write_text(json.dumps(tokens, ensure_ascii=False, indent=1), encoding="utf-8")
    return tokens


def seed(hl: Hotline, actor: Actor, count: int = 300, seed_value: int = 12345) -> dict[str, Any]:
    """Idempotent: orders already seeded are left alone."""
    from rexian.services.knowledge import knowledge_base, load_demo_knowledge

    tokens = _seed_users(hl, actor)
    knowledge = load_demo_knowledge(hl, actor)
    knowledge_base(hl).index()  # built once now and cached on disk, so the server starts warm
    with hl.uow.begin() as tx:
        streets = [u for u in tx.units.all(hl.city.key) if u.kind == UnitKind.STREET]
        home = next((u for u in streets if u.code == HOME_STREET), None)
        if tx.orders.existing_external_refs(["demo:0"]):
            return {"users": len(tokens), "orders": 0, "knowledge": knowledge, "note": "already seeded"}
    rng = random.Random(seed_value)
    real_clock, now = hl.clock, hl.clock.now()
    clock = FixedClock(now)
    hl.clock = clock
    weights = [w for _, w in SCENARIOS]
    counts: dict[str, int] = {}
    masters: list[int] = []
    try:
        for i, message in enumerate(_messages()[:count]):
            street = home if home and rng.random() < HOME_SHARE else rng.choice(streets)
            clock.set(now - timedelta(days=rng.uniform(0.5, 25), hours=rng.uniform(0, 8)))
            scenario = rng.choices(SCENARIOS, weights)[0][0]
            intake = uc.AppealIntake(
                content=clean_text(message["留言详情"]), title=clean_text(message["留言主题"]),
                channel=rng.choice([Channel.PHONE, Channel.PHONE, Channel.WEB, Channel.WECHAT, Channel.APP]),
                appeal_type=AppealType.CONSULTATION if scenario == "answered" else
                rng.choice([AppealType.HELP, AppealType.COMPLAINT, AppealType.SUGGESTION, AppealType.REPORT]),
                caller=Caller(name=f"{rng.choice('王李张刘陈杨黄赵吴周')}{rng.choice(['先生', '女士'])}",
                              phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                              confidential=rng.random() < 0.1),
                address=f"{street.district}{street.street}", external_ref=f"demo:{i}",
                auto_dispatch=scenario != "answered",  # the agent answers it on the call, from the knowledge base
            )
            order, _ = uc.file_appeal(hl, intake, Actor("agent", Role.AGENT))
            try:
                _play(hl, clock, rng, order.id, scenario, street.code, masters)
            except DomainError:
                scenario = "stopped early"
            counts[scenario] = counts.get(scenario, 0) + 1
            if scenario in ("dispatched", "signed"):
                masters.append(order.id)
    finally:
        hl.clock = real_clock
    swept = uc.sweep_deadlines(hl)
    return {"users": len(tokens), "orders": sum(counts.values()), "by_scenario": counts, "sweep": swept,
            "knowledge": knowledge,
            "tokens_file": str(get_settings().home / "demo-tokens.json") if tokens else None,
            "password": DEMO_PASSWORD if tokens else None}


def _play(hl: Hotline, clock: FixedClock, rng: random.Random, order_id: int, scenario: str, street_code: str,
          masters: list[int]) -> None:
    """Drive one order along the loop up to its scenario's stage, as the people involved would."""
    office, agent = Actor("dispatcher", Role.DISPATCHER), Actor("agent", Role.AGENT)
    supervisor = Actor("supervisor", Role.SUPERVISOR)

    def step(action: Action, actor: Actor, hours: float = 2.0, **payload: Any) -> Status:
        clock.advance(hours=rng.uniform(0.2, hours))
        return uc.perform(hl, order_id, action, actor, payload).status

    if scenario == "received":
        return
    if scenario == "answered":
        step(Action.ANSWER, agent, 0.1, answer="已按知识库答复：可通过“穗好办”App在线办理。")
        if rng.random() < 0.7:
            step(Action.CALLBACK, agent, 24, satisfaction=Satisfaction.SATISFIED.value)
        return
    if scenario == "withdrawn":
        step(Action.WITHDRAW, agent, 4, reason="诉求人来电撤回，问题已自行解决")
        return
    if scenario == "merged" and masters:
        step(Action.MERGE, office, 1, master_id=rng.choice(masters), reason="同一地点同一问题，并单处理")
        return
    order, _ = uc.get_order(hl, order_id, office)
    if order.status in (Status.RECEIVED, Status.REVIEW):
        step(Action.DISPATCH, office, 1, unit_code=street_code, explanation="派单员按属地派单")
        order, _ = uc.get_order(hl, order_id, office)
    unit = Actor(f"staff-{order.unit_code}", Role.UNIT_STAFF, order.unit_code)
    if scenario == "dispatched":
        return
    if scenario in ("returned", "joint_review"):
        step(Action.RETURN, unit, 6, reason="该事项不属本单位职责", legal_basis="《广州市政务服务便民热线管理办法》第十六条")
        if scenario == "joint_review":
            step(Action.JOINT_REVIEW, office, 8, units=[order.unit_code, street_code], reason="职责存在争议")
        return
    step(Action.SIGN, unit, 10)
    handler = unit
    below = hl.unit_tree().subtree(order.unit_code or "")
    if street_code != order.unit_code and street_code in below and rng.random() < PASSED_DOWN:  # 区级下派到街道
        step(Action.PASS_DOWN, unit, 4, unit_code=street_code, reason="属地街道核查处理")
        handler = Actor(f"staff-{street_code}", Role.UNIT_STAFF, street_code)
        step(Action.SIGN, handler, 6)
    if scenario == "signed":
        return
    if scenario == "suspended":
        step(Action.SUSPEND, handler, 24, reason="等待第三方检测结果")
        return
    if scenario == "extension":
        step(Action.EXTEND, handler, 24, working_days=5, reason="需协调多个部门现场核查")
        if rng.random() < 0.5:
            step(Action.APPROVE_EXTENSION, supervisor, 8)
        return
    if handler is not unit:  # the street's reply goes up to the district, which answers the hotline
        step(Action.REPLY, handler, 48, text="街道已会同社区现场核查，督促责任方整改完毕。")
    step(Action.REPLY, unit, 72, text="经现场核查，已督促相关责任方整改，并将持续跟进。联系电话：020-12345678。")
    if scenario == "replied":
        return
    satisfied = scenario == "closed"
    step(Action.CALLBACK, agent, 20, satisfaction=(Satisfaction.SATISFIED if satisfied else Satisfaction.UNSATISFIED).value,
         note="回访诉求人")
