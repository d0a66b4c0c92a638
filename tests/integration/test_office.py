"""The unit workbench and the hotline office through their pages and use cases, on both databases:
notices by email (a real local SMTP server) and in-app, attachments, templates, performance, audit."""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event
from tests.integration.conftest import LIEDE, ROOT, SHIPAI, TIANHE

from rexian.domain.errors import Forbidden, InvalidInput
from rexian.domain.vocabulary import Role, Satisfaction
from rexian.domain.workorder import Action, Actor, Caller
from rexian.services import office as svc
from rexian.services import performance as perf
from rexian.services import workorders as uc
from rexian.services.auth import add_user
from rexian.services.dispatching import Dispatcher
from rexian.services.notifications import LoggingSms, SmtpEmail, attach_notifications, deliver_due

OFFICE = Actor("dispatcher", Role.DISPATCHER)
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR)
AGENT = Actor("agent", Role.AGENT)
SHIPAI_STAFF = Actor("shipai", Role.UNIT_STAFF, SHIPAI)
LIEDE_STAFF = Actor("liede", Role.UNIT_STAFF, LIEDE)
TIANHE_ADMIN = Actor("tianhe", Role.UNIT_ADMIN, TIANHE)


def new_order(hl, **caller) -> int:
    intake = uc.AppealIntake(content="石牌村路口路灯不亮已经一周", channel=uc.Channel.PHONE,
                             caller=Caller(name="王先生", phone="13800138000", **caller), auto_dispatch=False)
    return uc.file_appeal(hl, intake, AGENT)[0].id


@pytest.fixture(autouse=True)
def delivery_by_hand(hotline):
    """The notices are recorded with each change; the tests deliver them themselves."""
    hotline.listeners[:], hotline.recorders[:] = [], []
    attach_notifications(hotline, background=False)


class Inbox:
    """What a local SMTP server received: each message's text."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default).get_content())
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_a_unit_is_told_by_email_sms_and_in_app_when_dispatched_and_why_it_must_redo_an_order(hotline, smtp_server):
    port, inbox = smtp_server
    svc.set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", "13900000000")
    oid = new_order(hotline)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)
    uc.perform(hotline, oid, Action.REPLY, SHIPAI_STAFF, {"text": "已修复"})
    uc.perform(hotline, oid, Action.CALLBACK, AGENT, {"satisfaction": "unsatisfied", "note": "灯仍不亮"})
    sms = LoggingSms()
    counts = deliver_due(hotline, {"email": SmtpEmail(host="127.0.0.1", port=port), "sms": sms})
    assert counts == {"sent": 5, "retry": 0, "failed": 0}  # 2 e-mails and 2 SMS to the unit, 1 SMS to the caller
    assert len(inbox.messages) == 2 and "灯仍不亮" in inbox.messages[1]
    assert [recipient for recipient, _ in sms.sent] == ["13900000000", "13800138000", "13900000000"]
    items, unread = svc.notices(hotline, SHIPAI_STAFF)
    assert unread == 2 and [n["kind"] for n in items] == ["reopened", "dispatched"]
    assert svc.notices(hotline, LIEDE_STAFF) == ([], 0)


def test_the_caller_is_texted_the_reply_with_a_link_to_read_and_rate_it_once_it_reaches_the_hotline(
        hotline, client, monkeypatch, caplog):
    """回复市民: a reply a street sends up to its district is not the answer yet; the district's is, and the caller's
    mobile gets it with the signed link, which opens the order's public page where the caller rates it. A caller
    who left a landline gets no text. The stand-in SMS sender logs the number masked."""
    monkeypatch.setenv("REXIAN_PUBLIC_URL", "https://12345.example.gov.cn/")
    oid = new_order(hotline)
    landline = uc.file_appeal(hotline, uc.AppealIntake(content="石牌村路口路灯不亮", channel=uc.Channel.PHONE,
                                                       caller=Caller(phone="020-8888 1234"), auto_dispatch=False),
                              AGENT)[0].id
    for order_id in (oid, landline):
        uc.perform(hotline, order_id, Action.DISPATCH, OFFICE, {"unit_code": TIANHE})
        uc.perform(hotline, order_id, Action.SIGN, TIANHE_ADMIN)
    uc.perform(hotline, oid, Action.PASS_DOWN, TIANHE_ADMIN, {"unit_code": SHIPAI, "reason": "属地街道处理"})
    uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)
    uc.perform(hotline, oid, Action.REPLY, SHIPAI_STAFF, {"text": "街道已更换灯泡"})  # up to the district
    sms = LoggingSms()
    deliver_due(hotline, {"sms": sms, "email": LoggingSms()})
    assert sms.sent == []
    reply = "已协调供电部门更换路灯线路并恢复照明，后续将加强巡查，" * 3
    for order_id in (oid, landline):
        uc.perform(hotline, order_id, Action.REPLY, TIANHE_ADMIN, {"text": reply})
    with caplog.at_level("INFO", logger="rexian.services.notifications"):
        assert deliver_due(hotline, {"sms": sms})["sent"] == 1
    assert "SMS to 138****8000" in caplog.text and "13800138000" not in caplog.text
    (recipient, text), = sms.sent
    code = uc.get_order(hotline, oid, OFFICE)[0].code
    assert recipient == "13800138000" and code in text and reply[:60] + "…" in text and reply not in text
    link = text.split("查看全文并评价：")[1]
    assert link.startswith("https://12345.example.gov.cn/track/")
    page = client.get(link.removeprefix("https://12345.example.gov.cn"))
    assert page.status_code == 200 and code in page.text and reply in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    rated = client.post(link.removeprefix("https://12345.example.gov.cn") + "/rate",
                        data={"csrf": csrf, "satisfied": "true"}, follow_redirects=False)
    assert rated.status_code == 303
    assert uc.get_order(hotline, oid, OFFICE)[0].satisfaction == Satisfaction.SATISFIED


def test_a_unit_is_told_of_an_order_dispatched_to_it_at_intake(hotline):
    svc.set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", None)
    hotline.dispatcher = Dispatcher(hotline, classifier=None)
    intake = uc.AppealIntake(content="小区楼下烧烤店噪音扰民，半夜还很吵", channel=uc.Channel.PHONE,
                             address="天河区石牌街道")
    order, _ = uc.file_appeal(hotline, intake, AGENT)
    assert order.status.value == "dispatched" and order.unit_code == SHIPAI
    items, unread = svc.notices(hotline, SHIPAI_STAFF)
    assert unread == 1 and items[0]["kind"] == "dispatched" and order.code in items[0]["message"]
    assert "石牌街道办事处" in items[0]["message"]  # the router's reason comes with it
    sms = LoggingSms()
    assert deliver_due(hotline, {"email": sms}) == {"sent": 1, "retry": 0, "failed": 0}
    assert sms.sent[0][0] == "shipai@example.org"


def test_a_batch_of_intakes_tells_each_unit_of_its_own_orders_in_one_statement_per_table(hotline):
    """Group commit stores a batch in one transaction: the batch's notices are one insert, its units' contacts
    one look-up and its outbox messages one insert, and each unit still gets exactly its own orders."""
    svc.set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", None)
    svc.set_unit_contact(hotline, ROOT, LIEDE, None, "13900139000")
    hotline.dispatcher = Dispatcher(hotline, classifier=None)
    places = ["天河区石牌街道", "天河区猎德街道", "天河区石牌街道", None]
    batch = [(uc.new_order(hotline, uc.AppealIntake(content="小区楼下烧烤店噪音扰民，半夜还很吵", address=place,
                                                    channel=uc.Channel.PHONE), AGENT), None) for place in places]
    assert [order.unit_code for order, _ in batch] == [SHIPAI, LIEDE, SHIPAI, None]  # the last one: no place
    statements: list[str] = []
    event.listen(hotline.uow.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql.split("(")[0].strip()))
    results = uc.store_intakes(hotline, batch)
    assert all(created for _, created in results)
    touching = [s for s in statements if "notifications" in s or "outbox" in s or "unit_contacts" in s]
    assert len(touching) == 3, touching
    codes = [order.code for order, _ in results]
    shipai = sorted(item["message"].split()[0] for item in svc.notices(hotline, SHIPAI_STAFF)[0])
    assert shipai == sorted([codes[0], codes[2]])
    assert [item["message"].split()[0] for item in svc.notices(hotline, LIEDE_STAFF)[0]] == [codes[1]]
    sent = LoggingSms()
    assert deliver_due(hotline, {"email": sent, "sms": sent})["sent"] == 3
    assert sorted(recipient for recipient, _ in sent.sent) == ["13900139000", "shipai@example.org",
                                                               "shipai@example.org"]


def test_a_failing_mail_server_is_retried_with_backoff_and_never_undoes_the_action(hotline, clock):
    svc.set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", None)
    oid = new_order(hotline)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    closed_port = SmtpEmail(host="127.0.0.1", port=1)
    assert deliver_due(hotline, {"email": closed_port}) == {"sent": 0, "retry": 1, "failed": 0}
    assert deliver_due(hotline, {"email": closed_port}) == {"sent": 0, "retry": 0, "failed": 0}  # not yet due
    clock.advance(minutes=1)
    assert deliver_due(hotline, {"email": closed_port})["retry"] == 1
    assert uc.get_order(hotline, oid, OFFICE)[0].status.value == "dispatched"


def test_a_notice_is_stored_with_its_change_or_not_at_all(hotline):
    """The notice and the outbox rows are written in the change's transaction: when that transaction fails
    after the notice was written, neither the dispatch nor the notice is stored."""
    svc.set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", None)
    oid = new_order(hotline)
    before = uc.get_order(hotline, oid, OFFICE)[0].status

    def fails(tx, action, orders):
        raise RuntimeError("the transaction dies after the notice was written")

    hotline.recorders.append(fails)
    with pytest.raises(RuntimeError):
        uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    hotline.recorders.remove(fails)
    assert uc.get_order(hotline, oid, OFFICE)[0].status == before
    assert svc.notices(hotline, SHIPAI_STAFF) == ([], 0)
    assert deliver_due(hotline, {"email": LoggingSms()}) == {"sent": 0, "retry": 0, "failed": 0}
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    assert svc.notices(hotline, SHIPAI_STAFF)[1] == 1


def test_a_yellow_reply_deadline_reminds_the_unit_once(hotline, clock):
    oid = new_order(hotline)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)
    assert uc.remind_near_deadlines(hotline) == 0
    order, _ = uc.get_order(hotline, oid, OFFICE)
    clock.set(order.reply_due - timedelta(hours=2))
    assert uc.remind_near_deadlines(hotline) == 1
    assert uc.remind_near_deadlines(hotline) == 0
    items, _ = svc.notices(hotline, SHIPAI_STAFF)
    assert items[0]["kind"] == "reminded" and uc.YELLOW_REMINDER in items[0]["message"]


def test_yellow_reminders_page_through_every_order_and_come_again_after_a_reassignment(hotline, clock):
    ids = [new_order(hotline) for _ in range(3)]
    for oid in ids:
        uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    order, _ = uc.get_order(hotline, ids[0], OFFICE)
    clock.set(order.reply_due - timedelta(hours=2))
    assert uc.remind_near_deadlines(hotline, batch=2) == 3  # two pages
    assert uc.remind_near_deadlines(hotline, batch=2) == 0
    clock.advance(minutes=1)
    uc.perform(hotline, ids[1], Action.REASSIGN, OFFICE, {"unit_code": LIEDE, "reason": "属地调整"})
    assert uc.remind_near_deadlines(hotline, batch=2) == 1  # the new unit is reminded too, once
    assert uc.remind_near_deadlines(hotline, batch=2) == 0


def test_attachments_get_generated_names_and_refuse_other_types_sizes_and_units(hotline, tmp_path, monkeypatch):
    monkeypatch.setenv("REXIAN_HOME", str(tmp_path))
    oid = new_order(hotline)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    aid = svc.add_attachment(hotline, SHIPAI_STAFF, oid, "../../etc/passwd.pdf", b"%PDF-1.4 report")
    meta, path = svc.open_attachment(hotline, TIANHE_ADMIN, aid)
    assert meta["filename"] == "passwd.pdf" and path.parent == tmp_path / "attachments"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", path.name) and path.read_bytes() == b"%PDF-1.4 report"
    with pytest.raises(InvalidInput):
        svc.add_attachment(hotline, SHIPAI_STAFF, oid, "run.sh", b"echo")
    with pytest.raises(InvalidInput):
        svc.add_attachment(hotline, SHIPAI_STAFF, oid, "big.pdf", b"0" * (svc.MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(Forbidden):
        svc.open_attachment(hotline, LIEDE_STAFF, aid)


def test_reply_templates_are_the_units_own_and_only_its_admin_changes_them(hotline):
    tid = svc.save_template(hotline, TIANHE_ADMIN, "已处理", "您好，您反映的问题已处理完毕。")
    assert [t["title"] for t in svc.templates_for(hotline, TIANHE_ADMIN)] == ["已处理"]
    assert svc.templates_for(hotline, SHIPAI_STAFF) == []
    with pytest.raises(Forbidden):
        svc.save_template(hotline, SHIPAI_STAFF, "x", "y")
    with pytest.raises(Forbidden):
        svc.delete_template(hotline, Actor("other", Role.UNIT_ADMIN, LIEDE), tid)
    svc.delete_template(hotline, TIANHE_ADMIN, tid)
    assert svc.templates_for(hotline, TIANHE_ADMIN) == []


def test_performance_counts_upheld_returns_satisfaction_and_ranks_units(hotline, clock):
    day = clock.now().date()
    kept, moved = new_order(hotline), new_order(hotline)
    for oid in (kept, moved):
        uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    uc.perform(hotline, kept, Action.SIGN, SHIPAI_STAFF)
    uc.perform(hotline, kept, Action.REPLY, SHIPAI_STAFF, {"text": "已修复"})
    uc.perform(hotline, kept, Action.CALLBACK, AGENT, {"satisfaction": Satisfaction.SATISFIED.value})
    uc.perform(hotline, moved, Action.RETURN, SHIPAI_STAFF, {"reason": "不属本单位", "legal_basis": "第十六条"})
    uc.perform(hotline, moved, Action.REASSIGN, OFFICE, {"unit_code": LIEDE, "reason": "改派"})
    rows = {p.unit_code: p for p in perf.unit_performance(hotline, OFFICE, day, day)}
    shipai = rows[SHIPAI]
    assert (shipai.orders, shipai.signed_on_time, shipai.replied_on_time) == (2, 1, 1)
    assert (shipai.returns, shipai.returns_upheld, shipai.satisfaction_rate) == (1, 1, 1.0)
    assert rows[LIEDE].orders == 1 and rows[SHIPAI].rank == 1
    assert perf.performance_xlsx(list(rows.values()), day, day)[:2] == b"PK"


def test_a_return_sent_back_to_the_same_unit_by_joint_review_is_not_upheld(hotline, clock):
    day = clock.now().date()
    oid = new_order(hotline)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    uc.perform(hotline, oid, Action.RETURN, SHIPAI_STAFF, {"reason": "不属本单位", "legal_basis": "第十六条"})
    uc.perform(hotline, oid, Action.JOINT_REVIEW, OFFICE, {"units": [SHIPAI, LIEDE], "reason": "争议"})
    uc.perform(hotline, oid, Action.DECIDE, SUPERVISOR, {"unit_code": SHIPAI, "reason": "属地管理"})
    shipai = {p.unit_code: p for p in perf.unit_performance(hotline, OFFICE, day, day)}[SHIPAI]
    assert (shipai.returns, shipai.returns_upheld) == (1, 0)


def test_the_caller_is_shown_to_a_unit_only_after_signing_and_every_read_is_audited(hotline):
    oid = new_order(hotline)
    uc.perform(hotline, oid, Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    assert svc.order_page(hotline, SHIPAI_STAFF, oid) and svc.audit_log(hotline, ROOT, action="read_caller")[1] == 0
    uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)
    svc.order_page(hotline, SHIPAI_STAFF, oid)
    assert svc.reveal_caller(hotline, OFFICE, oid).phone == "13800138000"
    entries, total = svc.audit_log(hotline, ROOT, action="read_caller")
    assert total == 2 and {e["actor"] for e in entries} == {"shipai", "dispatcher"}
    with pytest.raises(Forbidden):
        svc.audit_log(hotline, OFFICE)
    with pytest.raises(Forbidden):
        svc.reveal_caller(hotline, SHIPAI_STAFF, oid)


def test_the_office_pages_drive_an_order_and_show_it_on_the_timeline(hotline, client):
    add_user(hotline, "disp", Role.DISPATCHER, ROOT, None, "pw-disp-123")
    oid = new_order(hotline)
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"name": "disp", "password": "pw-disp-123", "csrf": csrf, "next": "/office"})
    office = client.get("/office")
    assert office.status_code == 200 and f'data-id="{oid}"' in office.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', office.text).group(1)
    client.post(f"/desk/orders/{oid}/act/dispatch", data={"csrf": csrf, "unit_code": SHIPAI, "back": "/office"})
    detail = client.get(f"/office/orders/{oid}")
    assert 'data-action="dispatch"' in detail.text and "138****8000" in detail.text
    assert "13800138000" in client.get(f"/office/orders/{oid}?reveal=1").text
    assert client.get("/office/performance").status_code == 200
    assert client.get("/office/performance.xlsx").content[:2] == b"PK"
    assert client.get("/unit").status_code == 403 and client.get("/admin/audit").status_code == 403


def test_two_processes_delivering_at_once_send_each_message_once(hotline, other_process):
    """Every worker delivers notices on a thread of its own after its commits, and cron runs `rexian notify
    send`: deliveries overlap. Each message is claimed before it is sent, so none goes out twice."""
    svc.set_unit_contact(hotline, ROOT, SHIPAI, "shipai@example.org", "13900139000")
    for _ in range(4):
        uc.perform(hotline, new_order(hotline), Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
    sent: list[tuple[str, str]] = []

    class Slow(LoggingSms):
        def send(self, recipient: str, subject: str, body: str) -> None:
            time.sleep(0.02)  # long enough for the other delivery to look at the same messages
            sent.append((recipient, body))

    start = threading.Barrier(2)
    counts: list[dict[str, int]] = []

    def deliver(hl) -> None:  # noqa: ANN001
        start.wait()
        counts.append(deliver_due(hl, {"email": Slow(), "sms": Slow()}))

    threads = [threading.Thread(target=deliver, args=(hl,)) for hl in (hotline, other_process)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(sent) == 8 and len(set(sent)) == 8, sent  # 4 orders × (email, SMS), each once
    assert sum(c["sent"] for c in counts) == 8
    assert deliver_due(hotline, {"email": Slow(), "sms": Slow()})["sent"] == 0


def test_desks_list_the_most_urgent_orders_first_and_say_how_many_more_there_are(hotline, clock, monkeypatch):
    """A desk lists a page of its orders, the nearest deadline first, and counts them all: with more open orders
    than a page, the oldest (most overdue) are the ones kept, and the extension requests and concentrated
    appeals are found among all the unit's orders, not only among those that fit on a page."""
    monkeypatch.setattr(svc, "INBOX_PAGE", 2)
    ids = []
    for _ in range(4):  # filed a day apart: the first has the nearest deadline
        ids.append(new_order(hotline))
        uc.perform(hotline, ids[-1], Action.DISPATCH, OFFICE, {"unit_code": SHIPAI})
        clock.advance(days=1)
    for oid in ids[:3]:
        uc.perform(hotline, oid, Action.SIGN, SHIPAI_STAFF)  # the fourth stays due for sign-for, tomorrow
    inbox = svc.unit_inbox(hotline, SHIPAI_STAFF)
    assert [o.id for o in inbox.orders] == [ids[3], ids[0]] and inbox.matching == 4  # sign-for due first
    uc.perform(hotline, ids[1], Action.EXTEND, SHIPAI_STAFF, {"working_days": 5, "reason": "需协调多个部门"})
    uc.perform(hotline, ids[2], Action.MERGE, OFFICE, {"master_id": ids[0]})
    queues = svc.office_queues(hotline, OFFICE)
    assert [o.id for o in queues["extension"].orders] == [ids[1]] and queues["extension"].matching == 1
    assert [o.id for o in queues["concentrated"].orders] == [ids[0]]
    uc.perform(hotline, ids[1], Action.REJECT_EXTENSION, OFFICE, {"reason": "时限内可办结"})
    assert svc.office_queues(hotline, OFFICE)["extension"].matching == 0
