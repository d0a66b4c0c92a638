"""Telling units what happened to their orders (in-app notices, email and SMS) and citizens what came of their
appeal (a text message with the reply and the signed link to read and rate it), through an outbox.

The in-app notice and the outbox rows are written in the order's own transaction (Hotline.recorders), so a
change is never stored without its notice, nor a notice without its change. Delivery is a separate step
(`deliver_due`) that retries each message with exponential backoff and counts failures; after the commit,
`attach_notifications` runs it on a background thread so no request waits for a mail server.
"""

from __future__ import annotations

import logging
import os
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from rexian.adapters.db.repo_office import NotificationRepository
from rexian.adapters.db.uow import Transaction
from rexian.config import get_settings
from rexian.domain.privacy import mask_phone, mobile_number
from rexian.domain.workorder import Action, Status, WorkOrder
from rexian.services.context import Hotline
from rexian.services.portal import track_path

log = logging.getLogger(__name__)

# action → (kind, Chinese message); the unit that now holds the order is told
NOTICES: dict[Action, tuple[str, str]] = {
    Action.DISPATCH: ("dispatched", "新派工单"),
    Action.REASSIGN: ("dispatched", "改派工单"),
    Action.DECIDE: ("dispatched", "联合审定确定由本单位承办"),
    Action.BACKSTOP: ("dispatched", "区级兜底工单"),
    Action.PASS_DOWN: ("dispatched", "上级单位下派工单"),
    Action.REMIND: ("reminded", "催办"),
    Action.SUPERVISE: ("supervised", "督办"),
    Action.REOPEN: ("reopened", "重办"),
}
# action → what the citizen is texted when the action leaves the order in that status (a reply a street sends up
# to its district is not yet the answer: only the reply that reaches the hotline is)
CITIZEN_NOTICES: dict[Action, tuple[Status, str]] = {
    Action.REPLY: (Status.REPLIED, "您反映的诉求（工单{code}）已有办理结果：{reply}。查看全文并评价：{link}"),
}
REPLY_IN_TEXT = 60  # characters of the reply in the message; the link shows it all
MAX_ATTEMPTS = 6
BACKOFF = timedelta(minutes=1)
CLAIM = timedelta(minutes=5)  # how long a claimed message is left to its sender (an SMTP attempt times out at 10 s)


class Sender(Protocol):
    """An outbound channel: raises on failure so the message is retried."""

    channel: str

    def send(self, recipient: str, subject: str, body: str) -> None: ...


@dataclass
class SmtpEmail:
    """Email through an SMTP server: REXIAN_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _STARTTLS."""

    host: str = field(default_factory=lambda: os.environ.get("REXIAN_SMTP_HOST", "localhost"))
    port: int = field(default_factory=lambda: int(os.environ.get("REXIAN_SMTP_PORT", "25")))
    user: str | None = field(default_factory=lambda: os.environ.get("REXIAN_SMTP_USER"))
    password: str | None = field(default_factory=lambda: os.environ.get("REXIAN_SMTP_PASSWORD"))
    sender: str = field(default_factory=lambda: os.environ.get("REXIAN_SMTP_FROM", "rexian@localhost"))
    starttls: bool = field(default_factory=lambda: os.environ.get("REXIAN_SMTP_STARTTLS") == "1")
    channel: str = "email"

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


@dataclass
class LoggingSms:
    """The SMS interface's stand-in until a carrier gateway is contracted: it logs each message, the number
    masked (a citizen's phone is personal data; a log is no place for it)."""

    channel: str = "sms"
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, recipient: str, subject: str, body: str) -> None:
        log.info("SMS to %s: %s %s", mask_phone(recipient), subject, body)
        self.sent.append((recipient, f"{subject} {body}"))


def notice_for(order: WorkOrder, action: Action, reason: str) -> tuple[str, str] | None:
    """What the unit holding `order` is told after `action`, or None."""
    if action == Action.CALLBACK and order.status == Status.REOPENED:
        return "reopened", f"回访不满意，需重办：{reason}" if reason else "回访不满意，需重办"
    if action not in NOTICES or not order.unit_code:
        return None
    kind, text = NOTICES[action]
    return kind, f"{text}：{reason}" if reason else text


def record_notices(hl: Hotline, tx: Transaction, action: Action, orders: Sequence[WorkOrder]) -> int:
    """In the change's transaction, before the orders are saved (their new events still pending): each order's
    in-app notice, one outbox message per contact of its unit and the citizens' text messages, in one statement
    each however many orders. Returns how many messages it queued."""
    now = hl.clock.now()
    notices = []
    for order in orders:
        reason = next((e.reason for e in reversed(order.events) if e.action == action.value), "")
        notice = notice_for(order, action, reason)
        if notice is not None and order.unit_code and order.id is not None:
            notices.append((order, notice[0], notice[1], f"{order.code} {order.title}：{notice[1]}"))
    repo = NotificationRepository(tx.conn)
    if notices:
        repo.notify([{"at": now, "unit_code": order.unit_code, "order_id": order.id, "kind": kind,
                      "message": message} for order, kind, _, message in notices])
    contacts = hl.unit_contacts() if notices else {}
    messages = [{"at": now, "channel": channel, "recipient": contact[key], "subject": f"【12345】{text[:60]}",
                 "body": message}
                for order, _, text, message in notices
                for contact in (contacts.get(order.unit_code or "", {}),)
                for channel, key in (("email", "email"), ("sms", "phone")) if contact.get(key)]
    messages += citizen_messages(orders, action, now)
    repo.enqueue(messages)
    return len(messages)


def citizen_messages(orders: Sequence[WorkOrder], action: Action, now: datetime) -> list[dict[str, Any]]:
    """The text messages to the callers of `orders` after `action`: only to a mobile they gave."""
    if action not in CITIZEN_NOTICES:
        return []
    status, template = CITIZEN_NOTICES[action]
    base = get_settings().public_url.rstrip("/")
    messages = []
    for order in orders:
        mobile = mobile_number(order.caller.phone)
        if order.status != status or mobile is None:
            continue
        reply = order.reply_text or ""
        body = template.format(code=order.code, link=base + track_path(order.code),
                               reply=reply if len(reply) <= REPLY_IN_TEXT else reply[:REPLY_IN_TEXT] + "…")
        messages.append({"at": now, "channel": "sms", "recipient": mobile, "subject": "【12345】", "body": body})
    return messages


def deliver_due(hl: Hotline, senders: dict[str, Sender], limit: int = 100) -> dict[str, int]:
    """Send what is due, up to `limit` messages, one at a time: each is claimed in a short transaction (so a
    delivery running in another process at the same moment skips it), sent, then marked sent or failed. A
    failure is retried later (1, 2, 4 … minutes) and given up after MAX_ATTEMPTS; a message whose sender died
    after claiming it is due again after CLAIM."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for _ in range(limit):
        with hl.uow.begin(write=True) as tx:
            now = hl.clock.now()
            claimed = NotificationRepository(tx.conn).claim_due(now, now + CLAIM, 1)
            tx.commit()
        if not claimed:
            break
        message = claimed[0]
        sender = senders.get(message["channel"])
        try:
            if sender is None:
                raise RuntimeError(f"no sender for {message['channel']}")
            sender.send(message["recipient"], message["subject"], message["body"])
        except Exception as error:  # noqa: BLE001 - any delivery failure is recorded and retried
            attempts = message["attempts"] + 1
            give_up = attempts >= MAX_ATTEMPTS
            with hl.uow.begin(write=True) as tx:
                NotificationRepository(tx.conn).attempt_failed(
                    message["id"], attempts, hl.clock.now() + BACKOFF * 2 ** (attempts - 1), str(error), give_up)
                tx.commit()
            counts["failed" if give_up else "retry"] += 1
            continue
        with hl.uow.begin(write=True) as tx:
            NotificationRepository(tx.conn).delivered(message["id"], hl.clock.now())
            tx.commit()
        counts["sent"] += 1
    return counts


def default_senders() -> dict[str, Sender]:
    return {"email": SmtpEmail(), "sms": LoggingSms()}


def attach_notifications(hl: Hotline, senders: dict[str, Sender] | None = None, background: bool = True) -> None:
    """Register the after-commit listener; with `background`, deliver on a thread after each notice."""
    chosen = senders or default_senders()
    one_at_a_time = threading.Lock()  # one delivery thread at a time here; claims keep other processes apart

    def deliver() -> None:
        with one_at_a_time:
            try:
                deliver_due(hl, chosen)
            except Exception:  # noqa: BLE001 - delivery is retried by the next run
                log.exception("notification delivery failed")

    queued = threading.local()  # set in the transaction, read after its commit, on the same thread

    def recorder(tx: Transaction, action: Action, orders: Sequence[WorkOrder]) -> None:
        if record_notices(hl, tx, action, orders):
            queued.any = True

    def listener(order: WorkOrder, action: Action) -> None:
        if getattr(queued, "any", False):
            queued.any = False
            if background:
                threading.Thread(target=deliver, daemon=True).start()

    hl.recorders.append(recorder)
    hl.listeners.append(listener)

