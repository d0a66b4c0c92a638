"""A simulated switch that plays the simulator's day through the CTI API instead of in-process.

Events go to the API with their simulated `at` (POST /api/v1/cti/events or the WebSocket), so the
service runs on the simulator's clock however fast the day is played. They go in batches, exactly:
an assigned call rings `ring_s` before the switch answers it, so no decision has to be carried out
sooner than `ring_s` after the event that made it, and every event within `ring_s` of a batch's
first one can travel with it (a half-hour roster change waits for the answers, as it needs them).
On top of the simulator's day the switch transfers a share of calls to another skill group at
their end and, when such a call ends again, tries a second transfer (which the service must refuse,
来电最多转接一次) before ending it. `audit_day` checks the day against the service's call records.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from rexian.domain.callcentre import (
    EMERGENCY_NUMBERS,
    MANDARIN,
    CallOffered,
    CallTransferred,
    CtiEvent,
    Decision,
    TransferOut,
)
from rexian.domain.callcentre.queue import Priority, priority_of
from rexian.domain.callcentre.simulator import ACW_DONE, SLOT, Simulation, SimulationConfig
from rexian.services.callcentre import decision_from_json, event_to_json


class CtiLink(Protocol):
    def exchange(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send events in order; one result (`decisions`, or the error with its `status`) each."""
        ...


class HttpClient(Protocol):  # httpx.Client or fastapi.testclient.TestClient
    def post(self, url: str, *, json: Any, headers: dict[str, str]) -> Any: ...


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class HttpLink:
    """A batch per POST /api/v1/cti/events."""

    def __init__(self, client: HttpClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def exchange(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.client.post("/api/v1/cti/events", json=events, headers=self.headers)
        if response.status_code != 200:
            raise ApiError(response.status_code, response.json())
        results: list[dict[str, Any]] = response.json()["results"]
        return results


class JsonSocket(Protocol):  # starlette's WebSocketTestSession or a websockets client wrapper
    def send_json(self, data: Any) -> None: ...
    def receive_json(self) -> Any: ...


class WebSocketLink:
    """A batch per message on WS /api/v1/cti/ws; decisions pushed by background ticks meanwhile
    come first in the first result, as over HTTP."""

    def __init__(self, socket: JsonSocket) -> None:
        self.socket = socket

    def exchange(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.socket.send_json(events)
        pushed: list[dict[str, Any]] = []
        while (message := self.socket.receive_json())["type"] != "results":
            pushed += message["decisions"]
        results: list[dict[str, Any]] = message["results"]
        if pushed:
            results[0] = {**results[0], "decisions": pushed + results[0].get("decisions", [])}
        return results


@dataclass
class ApiDayReport:
    offers: list[CallOffered]
    waits_vulnerable: list[float]  # offer to answer, as the switch saw them
    waits_others: list[float]
    transfers: int  # calls transferred once to another skill group
    second_transfers: int  # second transfers the switch tried (each must be refused)
    second_transfers_refused: list[dict[str, Any]] = field(default_factory=list)
    sent_out: dict[str, str] = field(default_factory=dict)  # call → outside number (TransferOut)
    errors: list[dict[str, Any]] = field(default_factory=list)  # events the service refused unexpectedly
    dedicated_agents: frozenset[str] = frozenset()
    requests: int = 0
    events: int = 0

    @property
    def offered(self) -> int:
        return len(self.offers)

    @property
    def transferred_out(self) -> int:
        return len(self.sent_out)


_Then = Callable[[list[Decision]], None]


class ApiSimulation(Simulation):
    """The simulator's day with the CTI API as the brain; every `transfer_every`-th call is transferred
    (0: none)."""

    def __init__(self, link: CtiLink, calls_per_slot: Sequence[float], roster: Sequence[int],
                 config: SimulationConfig, start: datetime, transfer_every: int = 50) -> None:
        if config.ring_s <= 0:
            raise ValueError("playing a day through the API needs a ring time (config.ring_s > 0)")
        super().__init__(calls_per_slot, roster, config, start)
        self.link, self.transfer_every = link, transfer_every
        self.batch: list[tuple[CtiEvent, float, _Then | None, bool]] = []  # event, sent at, then, refusable
        self.window_end = 0.0
        self.transferred: set[str] = set()
        self.second_transfers = 0
        self.refused: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.sent_out: dict[str, str] = {}
        self.offered_at: dict[str, float] = {}
        self.answered_at: dict[str, float] = {}
        self.requests = self.events = 0

    # ---- the batching link ---------------------------------------------------------------------

    def _send(self, event: CtiEvent, then: _Then | None = None) -> None:
        self.batch.append((event, self.now_s, then, False))

    def _before(self, t: float, kind: int) -> bool:
        if self.batch and (t >= self.window_end or kind == SLOT):
            self._flush()
            return True
        if not self.batch:
            self.window_end = t + self.config.ring_s
        return False

    def _flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        self.requests += 1
        self.events += len(batch)
        results = self.link.exchange([event_to_json(event) for event, *_ in batch])
        now = self.now_s
        for (event, sent_s, then, refusable), result in zip(batch, results, strict=True):
            self.now_s = sent_s  # decisions are carried out as of the event they answer
            (then or self._carry_out)([decision_from_json(d) for d in result.get("decisions", [])])
            if "error" in result:
                (self.refused if refusable else self.errors).append({"event": event_to_json(event), **result})
        self.now_s = now

    # ---- what the switch does beyond the simulator ---------------------------------------------

    def _offer(self, offered: CallOffered) -> None:
        self.offered_at[offered.call_id] = self.now_s
        super()._offer(offered)

    def _answer(self, call_id: str) -> None:
        if call_id in self.ringing:
            self.answered_at.setdefault(call_id, self.now_s)
        super()._answer(call_id)

    def _carry_out(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, TransferOut):
                self.sent_out[d.call_id] = d.number
        super()._carry_out(decisions)

    def _end(self, call_id: str) -> None:
        if not self.transfer_every or self.index[call_id] % self.transfer_every != 1:
            super()._end(call_id)
            return
        at, agent_id = self._at(self.now_s), self.agent_of[call_id]
        if call_id not in self.transferred:  # first end: to the Mandarin group, the agent wraps up
            self.transferred.add(call_id)
            del self.agent_of[call_id]
            self._push(self.now_s + self.acw[self.index[call_id]], ACW_DONE, agent_id)
            self._send(CallTransferred(call_id, at, to_skill=MANDARIN), self._carry_out)
            return
        self.second_transfers += 1  # second end: a second transfer must be refused, then it ends
        self.batch.append((CallTransferred(call_id, at, to_agent=agent_id), self.now_s, None, True))
        super()._end(call_id)

    def _report(self) -> ApiDayReport:  # type: ignore[override]
        offers = [o for _, o in self.calls]
        vulnerable = {o.call_id for o in offers if priority_of(o.caller_flags) is Priority.VULNERABLE}
        waits = {c: self.answered_at[c] - t for c, t in self.offered_at.items() if c in self.answered_at}
        return ApiDayReport(
            offers=offers,
            waits_vulnerable=[w for c, w in waits.items() if c in vulnerable],
            waits_others=[w for c, w in waits.items() if c not in vulnerable],
            transfers=len(self.transferred), second_transfers=self.second_transfers,
            second_transfers_refused=self.refused, sent_out=self.sent_out, errors=self.errors,
            dedicated_agents=frozenset(a for a, skills in self.pool if "dedicated" in skills),
            requests=self.requests, events=self.events)

    def play(self) -> ApiDayReport:
        return self.run()  # type: ignore[return-value]


# ---- the audit -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def audit_day(report: ApiDayReport, records: list[dict[str, Any]], ring_s: float) -> list[Check]:
    """The day's invariants, checked on the service's call detail records (GET /api/v1/cti/calls)."""
    return [_accounted(report, records), _transfers(report, records), _priorities(report, records, ring_s),
            Check("the service accepted every other event", not report.errors,
                  f"{len(report.errors)} refused" + (f", first: {report.errors[0]}" if report.errors else ""))]


def _accounted(report: ApiDayReport, records: list[dict[str, Any]]) -> Check:
    """Each offered call has one record, and it ended answered-and-finished or abandoned."""
    ids = [r["call_id"] for r in records]
    missing = {o.call_id for o in report.offers} - set(ids)
    unexpected = set(ids) - {o.call_id for o in report.offers}
    answered = [r["call_id"] for r in records
                if r["answered_at"] is not None and r["ended_at"] is not None and r["abandoned_at"] is None]
    abandoned = [r["call_id"] for r in records if r["answered_at"] is None and r["abandoned_at"] is not None]
    other = len(records) - len(answered) - len(abandoned)  # still going, or both answered and abandoned
    ok = not missing and not unexpected and len(ids) == len(set(ids)) and not other
    return Check("every call accounted for", ok,
                 f"{len(report.offers)} offered, {len(records)} records: {len(answered)} answered and finished, "
                 f"{len(abandoned)} abandoned, {other} neither or both; missing {len(missing)}, unknown "
                 f"{len(unexpected)}, duplicated {len(ids) - len(set(ids))}")


def _transfers(report: ApiDayReport, records: list[dict[str, Any]]) -> Check:
    """At most one transfer, except onwards to 110/119/120/122; every second transfer tried got a 409."""
    emergency = {c for c, number in report.sent_out.items() if number in EMERGENCY_NUMBERS}
    too_many = [r["call_id"] for r in records if r["transfers"] > (2 if r["call_id"] in emergency else 1)]
    refused = report.second_transfers_refused
    rule = [r for r in refused if r.get("status") == 409 and r.get("error") == "rule_violation"]
    ok = not too_many and len(rule) == len(refused) == report.second_transfers
    return Check("a call is transferred at most once (110/119/120/122 aside)", ok,
                 f"{sum(r['transfers'] > 0 for r in records)} calls transferred, {len(too_many)} more than "
                 f"allowed; {report.second_transfers} second transfers tried, {len(rule)} refused with 409; "
                 f"{len(emergency)} sent to an emergency number")


def _priorities(report: ApiDayReport, records: list[dict[str, Any]], ring_s: float) -> Check:
    """No call was assigned while a plain Mandarin call of a higher priority, or of the same priority
    and offered earlier, was waiting: every agent speaks Mandarin, so each of them could have taken
    it (dedicated seats take older and disabled callers only). A call's first wait ends when it is
    assigned, `ring_s` before its answer; a call that hung up while it rang is counted as assigned
    `ring_s` before (the conservative end). Second waits, after a transfer, are not recorded."""
    offers = {o.call_id: o for o in report.offers}
    tolerance = timedelta(milliseconds=1)  # `at` is sent to the microsecond
    ring = timedelta(seconds=ring_s)
    timeline: list[tuple[datetime, int, tuple[int, datetime], str]] = []  # at, 0 end / 1 assign / 2 start
    dedicated_others = 0
    for r in records:
        offer = offers.get(r["call_id"])
        if offer is None:
            continue
        offered = datetime.fromisoformat(r["offered_at"])
        key = (int(priority_of(offer.caller_flags)), offered)
        stop = r["answered_at"] or r["abandoned_at"]
        if stop is None:
            continue
        assigned = datetime.fromisoformat(stop) - ring
        if r["answered_at"] is not None:
            timeline.append((assigned, 1, key, r["call_id"]))
            dedicated_others += r["agent_id"] in report.dedicated_agents and key[0] != Priority.VULNERABLE
        if offer.language == MANDARIN and offer.topic is None:
            timeline.append((offered + tolerance, 2, key, r["call_id"]))
            timeline.append((assigned - tolerance, 0, key, r["call_id"]))
    timeline.sort(key=lambda e: (e[0], e[1]))
    waiting: list[tuple[tuple[int, datetime], str]] = []
    ended: set[str] = set()
    breaches: list[str] = []
    for _, what, key, call_id in timeline:
        if what == 0:
            ended.add(call_id)
        elif what == 2:
            heapq.heappush(waiting, (key, call_id))
        else:
            while waiting and waiting[0][1] in ended:
                heapq.heappop(waiting)
            if waiting and waiting[0][0] < key:
                breaches.append(f"{call_id} before {waiting[0][1]}")
    assignments = sum(e[1] == 1 for e in timeline)
    return Check("priorities: older/disabled, transferred, repeat callers, then everyone, first come first served",
                 not breaches and not dedicated_others,
                 f"{assignments} assignments checked against waiting Mandarin calls: {len(breaches)} out of "
                 f"order{' (' + ', '.join(breaches[:3]) + ')' if breaches else ''}; "
                 f"{dedicated_others} other callers on dedicated seats")
