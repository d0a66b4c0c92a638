"""The agent desk: call sessions whose transcript fills a work-order draft as the caller speaks.

A call starts with the number the switch reports; utterances (from speech recognition or a
replayed transcript) are stored one by one; the draft — every extracted field, the category, the
router's decision with its explanation, knowledge suggestions, the emergency assessment — is kept
warm in memory per call so an utterance costs one extraction over the transcript held in memory,
the routing only when its inputs changed and the knowledge search only when the caller spoke
(bench/bench_desk.py measures it against a rebuild from the database). Fields the agent edits are
stored on the call and never overwritten. A call ends in one of three ways, each through the
work-order use cases: submitted (filed and dispatched by the router in the same request),
answered instantly from the knowledge base, or transferred to 110/119/120/122.

Any app process may serve any request of a call: every change bumps the call's stored version in its
transaction (holding the call's row, so changes made on two processes queue), and a process uses its warm
draft only while that draft is of the stored version, else rebuilds it from the database.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rexian.adapters.db.repo_calls import CallRecord, CallRepository, Utterance
from rexian.adapters.db.uow import Transaction
from rexian.domain.access import check_write
from rexian.domain.errors import InvalidInput, NotFound, RuleViolation
from rexian.domain.vocabulary import AppealType, Channel, Urgency
from rexian.domain.workorder import EMERGENCY_SERVICES, Action, Actor, Caller, Location, WorkOrder
from rexian.intelligence.desk import DRAFT_FIELDS, elderly_cue, fields_from
from rexian.intelligence.extraction import Extraction, Extractor
from rexian.intelligence.knowledge import KnowledgeIndex
from rexian.intelligence.merchants import MerchantRegistry
from rexian.services import workorders as uc
from rexian.services.context import Hotline

log = logging.getLogger(__name__)
SPEAKERS = {"caller": "市民", "agent": "坐席"}
LIVE = "live"
LIVE_CALLS_KEPT = 500  # calls whose draft stays warm in memory
TEXT_LIMIT = 2000
FIELD_LIMITS = {"content": 4000}
ARTICLES, CASES = 3, 2  # knowledge suggestions shown
QUERY_CHARS = 300  # the knowledge query: the caller's latest words, so its cost stays bounded


@dataclass
class _LiveCall:
    """A call's warm state: the transcript as text and the parts of the draft that are costly."""

    record: CallRecord
    lines: list[str] = field(default_factory=list)
    caller_lines: list[str] = field(default_factory=list)
    version: int = 0  # the stored version this state reflects
    extraction: Extraction | None = None
    route_key: tuple[Any, ...] | None = None
    route: dict[str, Any] | None = None
    knowledge_key: str | None = None
    knowledge: list[dict[str, Any]] = field(default_factory=list)

    def append(self, utterances: list[Utterance]) -> None:
        for u in utterances:
            self.lines.append(f"{SPEAKERS[u.speaker]}：{u.text}")
            if u.speaker == "caller":
                self.caller_lines.append(u.text)
        self.record.utterances.extend(utterances)


class Desk:
    """The desk's engines for one hotline: extractor, knowledge search, warm drafts of live calls.

    Suggestions come from the hotline's one shared knowledge base (services.knowledge), so the desk,
    the portal and the self-service answers agree; tests and benchmarks may inject a small index.
    """

    def __init__(self, hl: Hotline, extractor: Extractor | None = None, knowledge: KnowledgeIndex | None = None
                 ) -> None:
        self.hl = hl
        self.extractor = extractor or self._default_extractor()
        self._own_knowledge = knowledge
        self._lock = threading.RLock()
        self._live: OrderedDict[int, _LiveCall] = OrderedDict()

    def _default_extractor(self) -> Extractor:
        from rexian.config import get_settings
        from rexian.intelligence.location import city_resolver

        dispatcher = self.hl.dispatcher
        resolver = dispatcher.resolver if dispatcher else city_resolver(self.hl.city.name)
        classifier = getattr(dispatcher, "classifier", None)
        registry_path = Path(get_settings().data_dir) / "merchants" / f"demo_{self.hl.city.key}.csv"
        return Extractor(
            resolve_location=resolver.resolve,
            classify=(lambda summary, text: classifier.predict(summary, text)) if classifier else None,
            merchants=MerchantRegistry.from_file(registry_path) if registry_path.exists() else None,
            now=self.hl.clock.now,
        )

    @property
    def knowledge(self) -> KnowledgeIndex:
        if self._own_knowledge is not None:
            return self._own_knowledge
        from rexian.services.knowledge import knowledge_base

        return knowledge_base(self.hl).index()

    # -- warm state ---------------------------------------------------------------------------------
    def live(self, tx: Transaction, call_id: int, lock: bool = False) -> _LiveCall:
        """The call's warm state, rebuilt from the database when this process has none or the call changed
        since (on another process: the stored version tells). `lock`: for a change, hold the call's row."""
        calls = CallRepository(tx.conn)
        stored = calls.version(call_id, lock)
        if stored is None:
            raise NotFound("通话不存在", "call not found")
        with self._lock:
            state = self._live.get(call_id)
            if state is not None and state.version == stored:
                self._live.move_to_end(call_id)
                return state
        record = calls.get(call_id)
        if record is None:
            raise NotFound("通话不存在", "call not found")
        utterances, record.utterances = record.utterances, []
        state = _LiveCall(record, version=record.version)
        state.append(utterances)
        with self._lock:
            self._live[call_id] = state
            while len(self._live) > LIVE_CALLS_KEPT:
                self._live.popitem(last=False)
        return state

    def forget(self, call_id: int) -> None:
        with self._lock:
            self._live.pop(call_id, None)

    def version(self, call_id: int) -> int | None:
        with self._lock:
            state = self._live.get(call_id)
            return None if state is None else state.version

    # -- the draft ------------------------------------------------------------------------------------
    def draft(self, state: _LiveCall) -> dict[str, Any]:
        """The work-order draft as it stands (see the module docstring)."""
        with self._lock:
            if state.extraction is None:
                state.extraction = self.extractor.extract("\n".join(state.lines))
            e, record = state.extraction, state.record
            auto = fields_from(e, record.caller_number)
            fields = {**auto, **record.edits}
            if state.route_key != (key := _route_key(fields)):
                state.route_key, state.route = key, self._route(fields)
            caller_text = "\n".join(state.caller_lines)
            if state.knowledge_key != caller_text:
                state.knowledge_key, state.knowledge = caller_text, self._suggest(caller_text)
            cue = elderly_cue(caller_text)
            return {
                "call_id": record.id, "status": record.status, "version": state.version,
                "caller_number": record.caller_number, "order_id": record.order_id,
                "started_at": record.started_at,
                "transcript": [{"speaker": u.speaker, "text": u.text, "at": u.at} for u in record.utterances],
                "fields": fields,
                "auto_filled": sorted(k for k, v in auto.items() if v not in (None, "") and k not in record.edits),
                "edited": sorted(record.edits),
                "extraction": e.to_dict(),
                "emergency": e.emergency.to_dict() if e.emergency else None,
                "routing": state.route, "knowledge": state.knowledge,
                "elderly": {"priority": record.elderly or cue is not None,
                            "reason": "switch" if record.elderly else cue},
            }

    def _route(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        if self.hl.dispatcher is None:
            return None
        decision = self.hl.route(_order_of(fields, None, self.hl.clock.now()))
        return {"unit_code": decision.unit_code, "unit_name": decision.unit_name, "confidence": decision.confidence,
                "explanation": decision.explanation, "needs_review": decision.needs_review,
                "backstop": decision.backstop}

    def _suggest(self, caller_text: str) -> list[dict[str, Any]]:
        if not caller_text.strip():
            return []
        index, region, query = self.knowledge, self.hl.city.name, caller_text[-QUERY_CHARS:]
        hits = (index.search(query, ARTICLES, region=region, kinds=["article"])
                + index.search(query, CASES, kinds=["case"]))
        return [{"doc_id": h.doc_id, "kind": h.kind, "title": h.title, "snippet": h.snippet,
                 "score": round(h.score, 3)} for h in hits]

    def answer_text(self, doc_id: str) -> str | None:
        doc = self.knowledge.get(doc_id)
        return doc.body if doc else None


def _route_key(fields: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(fields.get(k) for k in ("category", "district", "street", "community", "content", "title"))


def _order_of(fields: dict[str, Any], appeal_type: str | None, at: datetime) -> WorkOrder:
    """A transient order from the draft, for the router's preview."""
    return WorkOrder(code="DRAFT", channel=Channel.PHONE, appeal_type=AppealType(appeal_type or "help"),
                     urgency=Urgency.NORMAL, title=fields.get("title") or "", content=fields.get("content") or "",
                     received_at=at, category=fields.get("category"),
                     location=Location(fields.get("address"), fields.get("district"), fields.get("street"),
                                       fields.get("community")))


_DESK_LOCK = threading.Lock()


def desk_of(hl: Hotline) -> Desk:
    """The hotline's desk, built on first use (the knowledge articles load in well under a second)."""
    with _DESK_LOCK:
        desk = getattr(hl, "desk", None)
        if desk is None:
            desk = Desk(hl)
            hl.desk = desk  # type: ignore[attr-defined]
        return desk


def install_desk(hl: Hotline, desk: Desk) -> None:
    """Use `desk` (e.g. one without the background reference cases, in tests)."""
    hl.desk = desk  # type: ignore[attr-defined]


# -- use cases -----------------------------------------------------------------------------------------

def start_call(hl: Hotline, actor: Actor, caller_number: str | None, elderly: bool = False) -> dict[str, Any]:
    """A call is picked up: store it and open the caller's history (their previous orders by phone)."""
    check_write(actor, "take_calls")
    number = (caller_number or "").strip() or None
    with hl.uow.begin(write=True) as tx:
        now = hl.clock.now()
        call_id = CallRepository(tx.conn).add(number, actor.name, elderly, now)
        tx.audit.record(now, actor.name, "start_call", "call", str(call_id), {"caller_number": number})
        tx.commit()
    return get_draft(hl, actor, call_id)


def add_utterances(hl: Hotline, actor: Actor, call_id: int, items: list[tuple[str, str, datetime | None]]
                   ) -> dict[str, Any]:
    """Append one or more utterances (speaker, text, time) and return the new draft."""
    check_write(actor, "take_calls")
    if not items:
        raise InvalidInput("至少需要一句话", "at least one utterance is required")
    desk = desk_of(hl)
    with hl.uow.begin(write=True) as tx:
        state = desk.live(tx, call_id, lock=True)
        _require_live(state.record)
        now = hl.clock.now()
        utterances = [_utterance(speaker, text, at or now) for speaker, text, at in items]
        CallRepository(tx.conn).add_utterances(call_id, utterances)
        tx.commit()
    with desk._lock:
        state.append(utterances)
        state.version += 1
        state.extraction = None
        return desk.draft(state)


def stored_version(hl: Hotline, call_id: int) -> int | None:
    """The call's version as stored, whichever process changed it last (None: no such call)."""
    with hl.uow.begin() as tx:
        return CallRepository(tx.conn).version(call_id)


def get_draft(hl: Hotline, actor: Actor, call_id: int) -> dict[str, Any]:
    check_write(actor, "take_calls")
    desk = desk_of(hl)
    with hl.uow.begin() as tx:
        state = desk.live(tx, call_id)
        # the caller's previous orders: the history the agent sees on pick-up
        history = tx.orders.of_caller(state.record.caller_number, limit=10) if state.record.caller_number else []
    return {**desk.draft(state), "history": history}


def edit_draft(hl: Hotline, actor: Actor, call_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """The agent sets fields by hand; those stay as set (null gives a field back to extraction)."""
    check_write(actor, "take_calls")
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise InvalidInput(f"不可编辑的字段：{'、'.join(sorted(unknown))}", f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        _check_field(name, value)
    desk = desk_of(hl)
    with hl.uow.begin(write=True) as tx:
        state = desk.live(tx, call_id, lock=True)
        _require_live(state.record)
        edits = {**state.record.edits, **changes}
        edits = {k: v for k, v in edits.items() if v is not None}
        CallRepository(tx.conn).set_edits(call_id, edits)
        tx.audit.record(hl.clock.now(), actor.name, "edit_draft", "call", str(call_id), {"fields": sorted(changes)})
        tx.commit()
    with desk._lock:
        state.record.edits = edits
        state.version += 1
    return get_draft(hl, actor, call_id)


def submit_call(hl: Hotline, actor: Actor, call_id: int) -> WorkOrder:
    """File the confirmed draft as a work order; the router dispatches it in the same request."""
    return _finish(hl, actor, call_id, "submitted", auto_dispatch=True)


def answer_call(hl: Hotline, actor: Actor, call_id: int, answer: str | None, article_id: str | None) -> WorkOrder:
    """Close a consultation as answered instantly (即时解答) with a knowledge answer."""
    desk = desk_of(hl)
    text = (answer or "").strip() or (desk.answer_text(article_id) if article_id else None)
    if not text:
        raise InvalidInput("请填写答复内容或选择知识条目", "give an answer or a knowledge article_id")
    return _finish(hl, actor, call_id, "answered", auto_dispatch=False, appeal_type="consultation",
                   then=(Action.ANSWER, {"answer": text, "article_id": article_id}))


def transfer_call(hl: Hotline, actor: Actor, call_id: int, service: str, reason: str | None) -> WorkOrder:
    """One-click transfer to 110/119/120/122, recorded on an order filed for the call."""
    if service not in EMERGENCY_SERVICES:
        raise InvalidInput("只能转接110、119、120、122", "transfer only to 110, 119, 120 or 122")
    return _finish(hl, actor, call_id, "transferred", auto_dispatch=False, urgency="emergency",
                   then=(Action.TRANSFER, {"service": service, "reason": reason or f"一键转接{service}"}))


def _finish(hl: Hotline, actor: Actor, call_id: int, outcome: str, auto_dispatch: bool,
            appeal_type: str | None = None, urgency: str | None = None,
            then: tuple[Action, dict[str, Any]] | None = None) -> WorkOrder:
    check_write(actor, "take_calls")
    draft = get_draft(hl, actor, call_id)
    if draft["status"] != LIVE:
        raise RuleViolation("通话已结束", "the call has already ended", order_id=draft["order_id"])
    f = draft["fields"]
    caller_text = "\n".join(u["text"] for u in draft["transcript"] if u["speaker"] == "caller")
    content = f.get("content") or caller_text
    intake = uc.AppealIntake(
        content=content, channel=Channel.PHONE, title=f.get("title"),
        appeal_type=AppealType(appeal_type or f.get("appeal_type") or "help"),
        urgency=Urgency(urgency or f.get("urgency") or "normal"),
        caller=Caller(name=f.get("name"), phone=f.get("phone")), address=f.get("address"),
        district=f.get("district"), street=f.get("street"), category=f.get("category"),
        received_at=draft["started_at"], auto_dispatch=auto_dispatch,
    )
    # the key makes a retry after a failure between the two transactions return the same order
    order, _ = uc.file_appeal(hl, intake, actor, idempotency_key=f"call-{call_id}")
    if then is not None and order.status.value in ("received", "review"):
        order = uc.perform(hl, order.id, then[0], actor, then[1])  # type: ignore[arg-type]
    with hl.uow.begin(write=True) as tx:
        CallRepository(tx.conn).finish(call_id, outcome, order.id, hl.clock.now())  # type: ignore[arg-type]
        tx.commit()
    desk_of(hl).forget(call_id)
    return order


def _require_live(record: CallRecord) -> None:
    if record.status != LIVE:
        raise RuleViolation("通话已结束", "the call has already ended", order_id=record.order_id)


def _utterance(speaker: str, text: str, at: datetime) -> Utterance:
    if speaker not in SPEAKERS:
        raise InvalidInput("说话人只能是caller或agent", "speaker must be caller or agent")
    text = (text or "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise InvalidInput(f"每句话1至{TEXT_LIMIT}字", f"each utterance needs 1 to {TEXT_LIMIT} characters")
    if at.tzinfo is None:
        raise InvalidInput("时间需带时区", "times need a time zone")
    return Utterance(speaker, text, at)


def _check_field(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) > FIELD_LIMITS.get(name, 500):
        raise InvalidInput(f"字段“{name}”格式不对", f"field {name} must be text of at most {FIELD_LIMITS.get(name, 500)} characters")
    if name == "appeal_type" and value not in {a.value for a in AppealType}:
        raise InvalidInput("诉求类型不对", "unknown appeal_type")
    if name == "urgency" and value not in {u.value for u in Urgency}:
        raise InvalidInput("紧急程度不对", "unknown urgency")


def demo_calls(path: Path | str | None = None) -> list[dict[str, Any]]:
    """Recorded call transcripts for the demo mode (data/desk/demo_calls.json)."""
    import json

    from rexian.config import get_settings

    path = Path(path) if path else Path(get_settings().data_dir) / "desk" / "demo_calls.json"
    try:
        calls = json.loads(path.read_text(encoding="utf-8"))["calls"]
    except (OSError, ValueError, KeyError) as e:
        raise InvalidInput(f"无法读取演示通话：{path}", f"cannot read demo calls: {path} ({e})") from e
    return calls
