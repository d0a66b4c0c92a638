"""The live call centre: one `CallCentre` per process, driven by CTI events from the switch.

The switch's events carry the time it saw them (`at`); the centre runs on event time, so a replayed
or simulated day (hours compressed into seconds) behaves like a live one. Between events the
centre's time moves on with the hotline clock, and a background tick each second re-checks overflow;
every event is also preceded by a tick at its own time. Decisions a background tick makes reach
WebSocket subscribers at once and, when none is connected, come back in the next HTTP answer.
"""

from __future__ import annotations

import csv
import dataclasses
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rexian.adapters.db.repo_cti import CtiRepository
from rexian.domain.access import check_write, is_unit_scoped
from rexian.domain.callcentre import (
    AgentAfterCallWork,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Assignment,
    CallAbandoned,
    CallAnswered,
    CallCentre,
    CallCentreError,
    CallEnded,
    CallerFlag,
    CallHeld,
    CallOffered,
    CallRetrieved,
    CallTransferred,
    CtiEvent,
    Decision,
    RoutingPolicy,
    Tick,
    TransferNotAllowed,
    TransferOut,
)
from rexian.domain.callcentre.erlang import agents_needed, service_level
from rexian.domain.callcentre.forecast import CallForecast
from rexian.domain.clock import LOCAL_TZ, zoned
from rexian.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from rexian.domain.privacy import mask_phone, mask_text
from rexian.domain.workorder import OPEN, Actor, Status
from rexian.services.context import Hotline
from rexian.services.views import FULL_CONTACT_ROLES, local
from rexian.services.workorders import scope_of

SERVICE_LEVEL_TARGET = 0.8  # answered within 15 s, the staffing plan's target
EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    CallOffered, CallAnswered, CallTransferred, CallHeld, CallRetrieved, CallEnded, CallAbandoned,
    AgentLoggedIn, AgentLoggedOut, AgentReady, AgentNotReady, AgentAfterCallWork, Tick)}
REGISTERED_FLAGS = (CallerFlag.ELDERLY, CallerFlag.DISABLED)


# ---- JSON ↔ events and decisions -------------------------------------------------------------

def parse_time(value: object) -> datetime:
    """An ISO 8601 time (Asia/Shanghai without an offset); 422 when it is not one."""
    if not isinstance(value, str):
        raise InvalidInput("时间须为 ISO 8601 字符串", "`at` must be an ISO 8601 string")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"无法识别的时间：{value}", f"not an ISO 8601 time: {value}") from None
    return zoned(at).astimezone(LOCAL_TZ)


def event_from_json(payload: object, default_at: datetime) -> CtiEvent:
    """One event from its JSON object (`type` names the event; `at` defaults to the centre's time)."""
    if not isinstance(payload, dict):
        raise InvalidInput("事件须为 JSON 对象", "an event must be a JSON object")
    cls = EVENT_TYPES.get(str(payload.get("type")))
    if cls is None:
        raise InvalidInput(f"未知的事件类型：{payload.get('type')}",
                           f"unknown event type {payload.get('type')!r}; one of {', '.join(EVENT_TYPES)}")
    fields = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in payload.items() if k in fields}
    values["at"] = parse_time(values["at"]) if values.get("at") is not None else default_at
    try:
        if "skills" in values:
            values["skills"] = frozenset(values["skills"])
        if "caller_flags" in values:
            values["caller_flags"] = frozenset(CallerFlag(f) for f in values["caller_flags"])
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"事件 {cls.__name__} 字段有误：{e}", f"invalid {cls.__name__}: {e}") from None


def event_to_json(event: CtiEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(event).__name__}
    for f in dataclasses.fields(event):  # type: ignore[arg-type]
        value = getattr(event, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, frozenset):
            value = sorted(value)
        out[f.name] = value
    return out


def decision_to_json(decision: Decision) -> dict[str, Any]:
    return {"type": type(decision).__name__, **dataclasses.asdict(decision)}


def decision_from_json(payload: dict[str, Any]) -> Decision:
    cls = {"Assignment": Assignment, "TransferOut": TransferOut}[payload["type"]]
    return cls(**{f.name: payload[f.name] for f in dataclasses.fields(cls)})


def _domain_error(e: CallCentreError) -> Exception:
    if isinstance(e, TransferNotAllowed):
        return RuleViolation("来电最多转接一次：此来电已转接过，只能再转 110/119/120/122",
                             "a call is transferred at most once: this one was already transferred; "
                             "only 110/119/120/122 remain")
    return IllegalTransition(f"事件与呼叫中心状态不符：{e}", f"the event contradicts the centre's state: {e}")


# ---- the caller registry ---------------------------------------------------------------------

def caller_flags(hl: Hotline, number: str) -> frozenset[CallerFlag]:
    """What the hotline knows of a caller: registered older/disabled, an open work order."""
    with hl.uow.begin() as tx:
        flag, repeat = CtiRepository(tx.conn).caller(number)
    flags = {CallerFlag(flag)} if flag else set()
    return frozenset(flags | ({CallerFlag.REPEAT_OPEN_ORDER} if repeat else set()))


def load_registered_callers(hl: Hotline, actor: Actor, path: Path) -> int:
    """Replace the register of older and disabled callers with a CSV of `phone,flag[,note]` rows."""
    check_write(actor, "drive_cti")
    rows: dict[str, tuple[str, str, str | None]] = {}
    with path.open(encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if not row or row[0].strip().lower() in ("", "phone"):
                continue
            phone = "".join(ch for ch in row[0] if ch.isdigit())
            flag = row[1].strip().lower() if len(row) > 1 else ""
            if not phone or flag not in REGISTERED_FLAGS:
                raise InvalidInput(f"第 {line} 行须为“电话,elderly|disabled[,备注]”",
                                   f"line {line}: expected phone,elderly|disabled[,note]")
            rows[phone] = (phone, flag, row[2].strip() if len(row) > 2 and row[2].strip() else None)
    with hl.uow.begin(write=True) as tx:
        now = hl.clock.now()
        count = CtiRepository(tx.conn).replace_registered(rows.values(), now)
        tx.audit.record(now, actor.name, "load_registered_callers", "cti", "registered_callers",
                        {"count": count, "file": path.name})
        tx.commit()
    return count


def caller_history(hl: Hotline, actor: Actor, number: str) -> dict[str, Any]:
    """A caller's orders for the desk: hotline staff see them whole; units see their own, masked."""
    check_write(actor, "read_wallboard")
    full = actor.role in FULL_CONTACT_ROLES
    with hl.uow.begin() as tx:
        repo = CtiRepository(tx.conn)
        orders = tx.orders.of_caller(number, limit=50)
        scope = scope_of(hl, actor) if is_unit_scoped(actor) else None
        flag = repo.registered_flag(number) if full else None
    if scope is not None:
        orders = [o for o in orders if o["unit_code"] in scope]
    return {
        "number": number if full else mask_phone(number),
        "registered": flag,
        "orders": [{**o, "title": o["title"] if full else mask_text(o["title"]),
                    "received_at": local(o["received_at"]), "open": Status(o["status"]) in OPEN}
                   for o in orders],
    }


# ---- the live centre -------------------------------------------------------------------------

class CtiService:
    """The process's call centre: parses events, applies them in order, keeps time, pushes ticks."""

    def __init__(self, hl: Hotline, policy: RoutingPolicy | None = None, tick_every_s: float | None = 1.0,
                 calls_per_day: float = 35_000.0, aht_s: float = 240.0,
                 registry: Callable[[str], frozenset[CallerFlag]] | None = None) -> None:
        self.hl = hl
        self.calls_per_day, self.aht_s = calls_per_day, aht_s
        self.centre = CallCentre(self.now, policy, registry or (lambda number: caller_flags(hl, number)))
        self._lock = threading.RLock()
        self._last_at: datetime | None = None  # time of the last event
        self._last_wall: datetime | None = None  # hotline clock when it came
        self._subscribers: list[Callable[[list[dict[str, Any]]], None]] = []
        self._undelivered: list[dict[str, Any]] = []
        self._stop = threading.Event()
        if tick_every_s:
            threading.Thread(target=_tick_loop, args=(weakref.ref(self), self._stop, tick_every_s),
                             name="cti-tick", daemon=True).start()

    def now(self) -> datetime:
        """Event time, moved on by the hotline clock since the last event."""
        wall = self.hl.clock.now()
        if self._last_at is None or self._last_wall is None:
            return wall.astimezone(LOCAL_TZ)
        return self._last_at + max(timedelta(0), wall - self._last_wall)

    def close(self) -> None:
        self._stop.set()

    def handle(self, actor: Actor, payloads: list[object]) -> list[dict[str, Any]]:
        """Apply events in order; each gets its decisions or its error (a batch does not stop)."""
        check_write(actor, "drive_cti")
        results: list[dict[str, Any]] = []
        with self._lock:
            backlog, self._undelivered = self._undelivered, []
            for payload in payloads:
                try:
                    results.append({"decisions": [decision_to_json(d) for d in self._apply(payload)]})
                except (InvalidInput, RuleViolation, IllegalTransition) as e:
                    results.append({"error": e.code, "message": e.message_zh, "message_en": e.message_en,
                                    "status": 422 if isinstance(e, InvalidInput) else 409})
        if backlog and results:
            results[0]["decisions"] = backlog + results[0].get("decisions", [])
        return results

    def _apply(self, payload: object) -> list[Decision]:
        event = event_from_json(payload, self.now())
        if self._last_at is not None and event.at < self._last_at:  # the ledger runs in time order
            event = dataclasses.replace(event, at=self._last_at)  # type: ignore[type-var]
        self._last_at, self._last_wall = event.at, self.hl.clock.now()
        decisions = self.centre.apply(Tick(event.at)) if self.centre.waiting and not isinstance(event, Tick) else []
        try:
            return decisions + self.centre.apply(event)
        except CallCentreError as e:
            raise _domain_error(e) from None

    def tick(self) -> list[dict[str, Any]]:
        """Re-check overflow now; decisions go to subscribers, else wait for the next HTTP answer."""
        with self._lock:
            if not self.centre.waiting:
                return []
            decisions = [decision_to_json(d) for d in self.centre.apply(Tick(self.now()))]
            if decisions and not self._publish(decisions):
                self._undelivered.extend(decisions)
        return decisions

    def subscribe(self, push: Callable[[list[dict[str, Any]]], None]) -> Callable[[], None]:
        """Receive decisions made by background ticks; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(push)
        return lambda: self._subscribers.remove(push)

    def _publish(self, decisions: list[dict[str, Any]]) -> bool:
        for push in list(self._subscribers):
            push(decisions)
        return bool(self._subscribers)

    # ---- reading ----------------------------------------------------------------------------

    def snapshot(self, actor: Actor) -> dict[str, Any]:
        """The wallboard's live numbers (GB/T 33358: answered within 15 s, 24-hour connection rate)."""
        check_write(actor, "read_wallboard")
        with self._lock:
            s = self.centre.snapshot(self.now())
            logged_in = len(self.centre.agents)
        day = s.last_24h
        level = day.service_level
        return {
            "at": s.at.isoformat(), "calls_waiting": s.calls_waiting, "longest_wait_s": round(s.longest_wait_s, 1),
            "agents_by_state": s.agents_by_state, "agents_logged_in": logged_in,
            "last_24h": {"offered": day.offered, "answered": day.answered, "abandoned": day.abandoned,
                         "answered_within": day.answered_within, "within_s": day.within_s,
                         "asa_s": day.asa_s, "aht_s": day.aht_s},
            "answered_within_rate": level, "service_level_target": SERVICE_LEVEL_TARGET,
            "meets_service_level": level is None or level >= SERVICE_LEVEL_TARGET,
            "connection_rate": day.connection_rate, "connection_target": s.connection_target,
            "meets_connection_target": s.meets_connection_target,
            "staffing": self._staffing(s.at, logged_in),
        }

    def history(self, actor: Actor, period: str, by: str) -> list[dict[str, Any]]:
        check_write(actor, "read_wallboard")
        with self._lock:
            rows = self.centre.ledger.history(period, by)
        return [{"period_start": r.period_start.isoformat(), "key": r.key, "offered": r.totals.offered,
                 "answered": r.totals.answered, "abandoned": r.totals.abandoned,
                 "answered_within_rate": r.totals.service_level, "asa_s": r.totals.asa_s,
                 "aht_s": r.totals.aht_s, "acw_s": r.totals.acw_s} for r in rows]

    def calls(self, actor: Actor, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
        """Call detail records: what the centre recorded of each call offered in [since, until)."""
        check_write(actor, "read_wallboard")
        with self._lock:
            records = self.centre.ledger.window(since or _EARLIEST, until or _LATEST)
            return [{"call_id": r.call_id, "skill": r.skill, "offered_at": r.offered_at.isoformat(),
                     "answered_at": _iso(r.answered_at), "agent_id": r.agent_id, "ended_at": _iso(r.ended_at),
                     "abandoned_at": _iso(r.abandoned_at), "wait_s": r.wait_s, "hold_s": r.hold_s,
                     "acw_s": r.acw_s, "transfers": r.transfers} for r in records]

    def _forecast(self, now: datetime) -> CallForecast:
        """From the centre's own history when it holds a whole earlier day, else the configured volume."""
        start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        records = self.centre.ledger.window(start_of_day - timedelta(days=28), start_of_day)
        if records and (start_of_day - records[0].offered_at) >= timedelta(days=1):
            return CallForecast.from_history(r.offered_at.astimezone(LOCAL_TZ) for r in records)
        return CallForecast.flat(self.calls_per_day)

    def _staffing(self, now: datetime, logged_in: int) -> dict[str, Any]:
        """The Erlang C plan for the current half hour beside the agents logged in."""
        slot = (now.hour * 60 + now.minute) // 30
        calls = self._forecast(now).for_day(now.date())[slot]
        needed = agents_needed(calls, self.aht_s, SERVICE_LEVEL_TARGET)
        traffic = calls * self.aht_s / 1800.0
        return {"half_hour": f"{slot // 2:02d}:{30 * (slot % 2):02d}", "forecast_calls": round(calls, 1),
                "aht_s": self.aht_s, "agents_needed": needed, "agents_logged_in": logged_in,
                "short_by": max(0, needed - logged_in),
                "promised_level": service_level(needed, traffic, self.aht_s, 15.0) if needed else 1.0,
                "level_with_logged_in": service_level(logged_in, traffic, self.aht_s, 15.0)
                if traffic else 1.0}


_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _tick_loop(ref: weakref.ReferenceType[CtiService], stop: threading.Event, every_s: float) -> None:
    while not stop.wait(every_s):
        service = ref()
        if service is None:
            return
        service.tick()
        del service


_services_lock = threading.Lock()


def cti_service(holder: Any, hl: Hotline) -> CtiService:
    """The one `CtiService` kept on `holder` (the web app's state), made on first use."""
    with _services_lock:
        service = getattr(holder, "cti", None)
        if service is None:
            service = holder.cti = CtiService(hl)
        return service

