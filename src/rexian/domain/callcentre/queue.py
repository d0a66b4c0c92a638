"""The call queue: who gets each waiting call, decided from CTI events.

`CallCentre.apply(event)` is the single entry point; it returns the decisions the switch must carry
out. Rules, in order:
1. priority: registered older or disabled callers, then transferred calls (they already waited),
   repeat callers about an open order, callbacks due, everyone else; first come first served within;
2. older and disabled callers go to dedicated seats (免排队专属人员服务) when one is free, else to
   any qualified agent ahead of everyone; dedicated seats take no other calls;
3. an agent qualifies when they have every skill the call needs (its language, its topic);
   among qualified ready agents the one idle longest gets the call;
4. after `overflow_after_s` of waiting a call's skills widen (e.g. tax → any agent of its language);
5. a call is transferred at most once (来电最多转接一次), except to 110/119/120/122.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from rexian.domain.callcentre.events import (
    CANTONESE,
    DEDICATED,
    EMERGENCY_NUMBERS,
    MANDARIN,
    SOCIAL_SECURITY,
    TAX,
    AgentAfterCallWork,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Assignment,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerFlag,
    CallHeld,
    CallOffered,
    CallRetrieved,
    CallTransferred,
    CtiEvent,
    Decision,
    Tick,
    TransferOut,
)
from rexian.domain.callcentre.ledger import CallRecord, ServiceLevelLedger, Totals


class CallCentreError(Exception):
    """An event that contradicts the centre's state."""


class TransferNotAllowed(CallCentreError):
    """来电最多转接一次: a second transfer is only allowed to 110/119/120/122."""


class Priority(IntEnum):
    VULNERABLE = 0  # registered older or disabled caller
    TRANSFERRED = 1
    REPEAT_OPEN_ORDER = 2
    CALLBACK_DUE = 3
    NORMAL = 4


_FLAG_PRIORITY = {
    CallerFlag.ELDERLY: Priority.VULNERABLE,
    CallerFlag.DISABLED: Priority.VULNERABLE,
    CallerFlag.REPEAT_OPEN_ORDER: Priority.REPEAT_OPEN_ORDER,
    CallerFlag.CALLBACK_DUE: Priority.CALLBACK_DUE,
}


class AgentState(StrEnum):
    READY = "ready"
    RESERVED = "reserved"  # a call was assigned, the switch has not reported the answer yet
    ON_CALL = "on_call"
    AFTER_CALL_WORK = "after_call_work"
    NOT_READY = "not_ready"


class CallState(StrEnum):
    WAITING = "waiting"
    RESERVED = "reserved"
    CONNECTED = "connected"
    HELD = "held"
    ENDED = "ended"
    ABANDONED = "abandoned"
    TRANSFERRED_OUT = "transferred_out"


@dataclass(frozen=True)
class RoutingPolicy:
    """The configurable part of routing. `widen` maps a skill to its wider group after the overflow
    wait; None drops the requirement (any agent of the call's other skills may take it)."""

    overflow_after_s: float = 60.0
    widen: Mapping[str, str | None] = field(
        default_factory=lambda: {TAX: None, SOCIAL_SECURITY: None, CANTONESE: MANDARIN}
    )
    max_transfers: int = 1


def priority_of(flags: frozenset[CallerFlag]) -> Priority:
    """A newly offered call's priority: its most urgent flag."""
    return min((_FLAG_PRIORITY[f] for f in flags), default=Priority.NORMAL)


CallerRegistry = Callable[[str], frozenset[CallerFlag]]
"""Caller number → flags known to the hotline (registered older/disabled callers, open orders)."""


@dataclass(slots=True)
class Agent:
    agent_id: str
    skills: frozenset[str]
    state: AgentState
    since: datetime
    call_id: str | None = None
    reason: str | None = None  # why not ready
    acw_call: CallRecord | None = None  # the call whose wrap-up is running
    dedicated: bool = False  # a 免排队 seat: takes registered older and disabled callers only


@dataclass(slots=True)
class Call:
    call_id: str
    caller_number: str
    language: str
    skills: frozenset[str]
    priority: Priority
    queued_at: datetime
    record: CallRecord
    state: CallState = CallState.WAITING
    agent_id: str | None = None
    target_agent: str | None = None
    held_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The live wallboard."""

    at: datetime
    calls_waiting: int
    longest_wait_s: float
    agents_by_state: dict[str, int]
    last_24h: Totals
    connection_target: float

    @property
    def meets_connection_target(self) -> bool:
        rate = self.last_24h.connection_rate
        return rate is None or rate >= self.connection_target


class CallCentre:
    """The state of one hotline's queue and agents, driven only by `apply`."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        policy: RoutingPolicy | None = None,
        registry: CallerRegistry | None = None,
        ledger: ServiceLevelLedger | None = None,
        connection_target: float = 0.95,
    ) -> None:
        self.clock = clock
        self.policy = policy or RoutingPolicy()
        self.registry = registry
        self.ledger = ledger or ServiceLevelLedger()
        self.connection_target = connection_target
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        # ready agents in the order they became ready: the first qualified one has been idle longest
        self._ready: dict[str, Agent] = {}
        self._waiting: list[dict[str, Call]] = [{} for _ in Priority]
        self._overflow = timedelta(seconds=self.policy.overflow_after_s)
        self._handlers: dict[type, Callable[..., list[Decision]]] = {
            CallOffered: self._offered,
            CallAnswered: self._answered,
            CallTransferred: self._transferred,
            CallHeld: self._held,
            CallRetrieved: self._retrieved,
            CallEnded: self._ended,
            CallAbandoned: self._abandoned,
            AgentLoggedIn: self._logged_in,
            AgentLoggedOut: self._logged_out,
            AgentReady: self._agent_ready,
            AgentNotReady: self._not_ready,
            AgentAfterCallWork: self._after_call_work,
            Tick: self._tick,
        }

    # ---- the entry point ---------------------------------------------------------------------

    def apply(self, event: CtiEvent) -> list[Decision]:
        """Consume one switch event; return what the switch must do now."""
        return self._handlers[type(event)](event)

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._waiting)

    def snapshot(self, now: datetime | None = None) -> Snapshot:
        now = now or self.clock()
        oldest = [next(iter(q.values())).queued_at for q in self._waiting if q]
        by_state: dict[str, int] = {s.value: 0 for s in AgentState}
        for agent in self.agents.values():
            by_state[agent.state] += 1
        return Snapshot(
            at=now,
            calls_waiting=self.waiting,
            longest_wait_s=max(((now - t).total_seconds() for t in oldest), default=0.0),
            agents_by_state=by_state,
            last_24h=self.ledger.last(now),
            connection_target=self.connection_target,
        )

    # ---- calls -------------------------------------------------------------------------------

    def _offered(self, e: CallOffered) -> list[Decision]:
        if e.call_id in self.calls:
            raise CallCentreError(f"call {e.call_id} was already offered")
        flags = e.caller_flags | (self.registry(e.caller_number) if self.registry else frozenset())
        priority = priority_of(flags)
        skills = frozenset(s for s in (e.language, e.topic) if s)
        record = CallRecord(e.call_id, e.topic or e.language, e.at)
        self.ledger.open(record)
        call = Call(e.call_id, e.caller_number, e.language, skills, priority, e.at, record)
        self.calls[e.call_id] = call
        return self._route_call(call, e.at)

    def _answered(self, e: CallAnswered) -> list[Decision]:
        call = self._call(e.call_id, CallState.WAITING, CallState.RESERVED)
        decisions: list[Decision] = []
        if call.state is CallState.WAITING:
            self._dequeue(call)
        elif call.agent_id != e.agent_id:  # the switch connected someone else: free the reserved agent
            decisions = self._make_ready(self.agents[call.agent_id], e.at)  # type: ignore[index]
        agent = self._agent(e.agent_id)
        self._ready.pop(agent.agent_id, None)
        agent.state, agent.since, agent.call_id = AgentState.ON_CALL, e.at, call.call_id
        call.state, call.agent_id = CallState.CONNECTED, agent.agent_id
        if call.record.answered_at is None:
            call.record.answered_at, call.record.agent_id = e.at, agent.agent_id
        return decisions

    def _transferred(self, e: CallTransferred) -> list[Decision]:
        call = self._call(e.call_id, CallState.CONNECTED, CallState.HELD)
        if call.record.transfers >= self.policy.max_transfers and e.to_number not in EMERGENCY_NUMBERS:
            raise TransferNotAllowed(
                f"call {e.call_id} was already transferred {call.record.transfers} time(s); "
                f"来电最多转接一次 — only 110/119/120/122 remain allowed"
            )
        if e.to_agent is not None:
            self._agent(e.to_agent)
        call.record.transfers += 1
        self._release_hold(call, e.at)
        if e.to_number is not None:
            call.state = CallState.TRANSFERRED_OUT
            self._end_talk(call, e.at)
            return [TransferOut(call.call_id, e.to_number)]
        self._end_talk(call, e.at)
        call.agent_id, call.queued_at, call.target_agent = None, e.at, e.to_agent
        call.priority = min(call.priority, Priority.TRANSFERRED)
        if e.to_skill is not None:
            call.skills = frozenset({call.language, e.to_skill})
        return self._route_call(call, e.at)

    def _held(self, e: CallHeld) -> list[Decision]:
        call = self._call(e.call_id, CallState.CONNECTED)
        call.state, call.held_at = CallState.HELD, e.at
        return []

    def _retrieved(self, e: CallRetrieved) -> list[Decision]:
        call = self._call(e.call_id, CallState.HELD)
        self._release_hold(call, e.at)
        call.state = CallState.CONNECTED
        return []

    def _ended(self, e: CallEnded) -> list[Decision]:
        call = self._call(e.call_id, CallState.CONNECTED, CallState.HELD)
        self._release_hold(call, e.at)
        call.state = CallState.ENDED
        self._end_talk(call, e.at)
        return []

    def _abandoned(self, e: CallAbandoned) -> list[Decision]:
        call = self._call(e.call_id, CallState.WAITING, CallState.RESERVED)
        decisions: list[Decision] = []
        if call.state is CallState.WAITING:
            self._dequeue(call)
        else:
            decisions = self._make_ready(self.agents[call.agent_id], e.at)  # type: ignore[index]
        call.state = CallState.ABANDONED
        if call.record.answered_at is None:
            call.record.abandoned_at = e.at
        else:  # hung up waiting for the second agent of a transfer: answered once, not abandoned
            call.record.ended_at = e.at
        del self.calls[call.call_id]
        return decisions

    # ---- agents ------------------------------------------------------------------------------

    def _logged_in(self, e: AgentLoggedIn) -> list[Decision]:
        if e.agent_id in self.agents:
            raise CallCentreError(f"agent {e.agent_id} is already logged in")
        self.agents[e.agent_id] = Agent(
            e.agent_id, frozenset(e.skills), AgentState.NOT_READY, e.at, dedicated=DEDICATED in e.skills
        )
        return []

    def _logged_out(self, e: AgentLoggedOut) -> list[Decision]:
        agent = self._agent(e.agent_id)
        if agent.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise CallCentreError(f"agent {e.agent_id} is on a call")
        self._close_acw(agent, e.at)
        self._ready.pop(agent.agent_id, None)
        del self.agents[agent.agent_id]
        return []

    def _agent_ready(self, e: AgentReady) -> list[Decision]:
        agent = self._agent(e.agent_id)
        if agent.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise CallCentreError(f"agent {e.agent_id} is on a call")
        if agent.state is AgentState.READY:
            return []
        return self._make_ready(agent, e.at)

    def _not_ready(self, e: AgentNotReady) -> list[Decision]:
        agent = self._agent(e.agent_id)
        if agent.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise CallCentreError(f"agent {e.agent_id} is on a call")
        self._close_acw(agent, e.at)
        self._ready.pop(agent.agent_id, None)
        agent.state, agent.since, agent.reason = AgentState.NOT_READY, e.at, e.reason
        return []

    def _after_call_work(self, e: AgentAfterCallWork) -> list[Decision]:
        agent = self._agent(e.agent_id)
        if agent.state is not AgentState.AFTER_CALL_WORK:
            self._ready.pop(agent.agent_id, None)
            agent.state, agent.since = AgentState.AFTER_CALL_WORK, e.at
        return []

    def _tick(self, e: Tick) -> list[Decision]:
        return self._drain(e.at)

    # ---- routing -----------------------------------------------------------------------------

    def _needs(self, call: Call, now: datetime) -> frozenset[str]:
        if now - call.queued_at < self._overflow:
            return call.skills
        widened = (self.policy.widen.get(s, s) for s in call.skills)
        return frozenset(s for s in widened if s is not None)

    def _qualifies(self, agent: Agent, call: Call, needs: frozenset[str]) -> bool:
        if call.target_agent is not None:
            return agent.agent_id == call.target_agent
        if agent.dedicated and call.priority is not Priority.VULNERABLE:
            return False
        return needs <= agent.skills

    def _route_call(self, call: Call, now: datetime) -> list[Decision]:
        """Find an agent for a call that just arrived (or came back); else queue it."""
        needs = self._needs(call, now)
        chosen = None
        for agent in self._ready.values():  # longest idle first
            if self._qualifies(agent, call, needs):
                if agent.dedicated or call.priority is not Priority.VULNERABLE:
                    chosen = agent
                    break
                chosen = chosen or agent  # a vulnerable caller keeps looking for a dedicated seat
        if chosen is not None:
            return [self._assign(call, chosen)]
        call.state = CallState.WAITING
        self._waiting[call.priority][call.call_id] = call
        return []

    def _route_agent(self, agent: Agent, now: datetime) -> Decision | None:
        """Find the most urgent waiting call this agent may take."""
        for queue in self._waiting[: 1 if agent.dedicated else None]:
            for call in queue.values():
                if self._qualifies(agent, call, self._needs(call, now)):
                    del queue[call.call_id]
                    return self._assign(call, agent)
        return None

    def _drain(self, now: datetime) -> list[Decision]:
        """Match ready agents to waiting calls until no pair fits (after a tick or a release)."""
        decisions: list[Decision] = []
        for agent in list(self._ready.values()):
            if not self.waiting:
                break
            if (decision := self._route_agent(agent, now)) is not None:
                decisions.append(decision)
        return decisions

    def _assign(self, call: Call, agent: Agent) -> Assignment:
        del self._ready[agent.agent_id]
        agent.state, agent.call_id = AgentState.RESERVED, call.call_id
        call.state, call.agent_id = CallState.RESERVED, agent.agent_id
        return Assignment(call.call_id, agent.agent_id)

    def _make_ready(self, agent: Agent, now: datetime) -> list[Decision]:
        self._close_acw(agent, now)
        agent.state, agent.since, agent.call_id, agent.reason = AgentState.READY, now, None, None
        self._ready[agent.agent_id] = agent
        decision = self._route_agent(agent, now) if self.waiting else None
        return [decision] if decision else []

    def _dequeue(self, call: Call) -> None:
        del self._waiting[call.priority][call.call_id]

    def _end_talk(self, call: Call, now: datetime) -> None:
        """The agent leaves the call and starts after-call work on it."""
        agent = self.agents[call.agent_id]  # type: ignore[index]
        agent.state, agent.since, agent.call_id, agent.acw_call = (
            AgentState.AFTER_CALL_WORK,
            now,
            None,
            call.record,
        )
        call.record.ended_at = now
        if call.state in (CallState.ENDED, CallState.TRANSFERRED_OUT):
            del self.calls[call.call_id]

    def _close_acw(self, agent: Agent, now: datetime) -> None:
        if agent.acw_call is not None:
            record = agent.acw_call
            record.acw_s = (record.acw_s or 0.0) + (now - agent.since).total_seconds()
            agent.acw_call = None

    @staticmethod
    def _release_hold(call: Call, now: datetime) -> None:
        if call.held_at is not None:
            call.record.hold_s += (now - call.held_at).total_seconds()
            call.held_at = None

    def _call(self, call_id: str, *states: CallState) -> Call:
        call = self.calls.get(call_id)
        if call is None:
            raise CallCentreError(f"unknown or finished call {call_id}")
        if call.state not in states:
            raise CallCentreError(
                f"call {call_id} is {call.state}, expected one of {[s.value for s in states]}"
            )
        return call

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise CallCentreError(f"agent {agent_id} is not logged in")
        return agent
