"""A discrete-event simulator that plays a day of calls through `CallCentre.apply`.

Arrivals are a non-homogeneous Poisson process (a Poisson count per half hour, uniform times
within it: exact for a rate that is constant per half hour); talk times are lognormal (or
exponential), after-call work and patience exponential. Agents log in and out with the roster;
an agent asked to leave mid-call finishes the call first; an assigned call rings `ring_s` before the
agent answers, and a caller may hang up while it rings. Every decision comes from the same routing
code a real switch talks to.

The simulation is the switch: it sends each event with `_send(event, then)` and carries out the
decisions when they come back (`then`). Here they come back at once; `ApiSimulation` batches events
over the API and relies on the ring time to know that no decision is needed sooner.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from rexian.domain.callcentre.events import (
    CANTONESE,
    DEDICATED,
    ENGLISH,
    FOREIGN,
    MANDARIN,
    SOCIAL_SECURITY,
    TAX,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReady,
    Assignment,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerFlag,
    CallOffered,
    CallTransferred,
    CtiEvent,
    Decision,
    Tick,
)
from rexian.domain.callcentre.forecast import SLOTS_PER_DAY
from rexian.domain.callcentre.ledger import ServiceLevelLedger, Totals, totals
from rexian.domain.callcentre.queue import CallCentre, RoutingPolicy

SLOT_S = 1800.0


@dataclass(frozen=True)
class CallerMix:
    """Who calls: shares of priority callers, languages and sub-centre topics."""

    vulnerable_share: float = 0.05  # registered older or disabled callers
    repeat_share: float = 0.08  # calling again about an open work order
    languages: Mapping[str, float] = field(
        default_factory=lambda: {MANDARIN: 0.83, CANTONESE: 0.15, ENGLISH: 0.015, FOREIGN: 0.005}
    )
    topics: Mapping[str, float] = field(default_factory=lambda: {TAX: 0.03, SOCIAL_SECURITY: 0.04})
    emergency_share: float = 0.002  # answered calls passed on to 110


MANDARIN_ONLY = CallerMix(
    vulnerable_share=0.0, repeat_share=0.0, languages={MANDARIN: 1.0}, topics={}, emergency_share=0.0
)

# skill sets of the agent pool and their shares; agents log in in pool order
DEFAULT_AGENT_SKILLS: tuple[tuple[frozenset[str], float], ...] = (
    (frozenset({MANDARIN, CANTONESE}), 0.62),
    (frozenset({MANDARIN}), 0.16),
    (frozenset({MANDARIN, CANTONESE, ENGLISH}), 0.06),
    (frozenset({MANDARIN, ENGLISH, FOREIGN}), 0.04),
    (frozenset({MANDARIN, CANTONESE, TAX}), 0.06),
    (frozenset({MANDARIN, CANTONESE, SOCIAL_SECURITY}), 0.06),
)


@dataclass(frozen=True)
class SimulationConfig:
    talk_mean_s: float = 210.0
    talk_sigma: float | None = 0.6  # lognormal σ of log talk time; None: exponential (Erlang's case)
    acw_mean_s: float = 30.0
    patience_mean_s: float | None = 90.0  # exponential patience; None: nobody abandons
    mix: CallerMix = field(default_factory=CallerMix)
    agent_skills: Sequence[tuple[frozenset[str], float]] = DEFAULT_AGENT_SKILLS
    dedicated_seats: int = 0  # 免排队 seats on top of the roster, all day
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    ring_s: float = 0.0  # from the assignment to the agent's answer; 0: connected at once
    seed: int = 12345

    @property
    def aht_s(self) -> float:
        return self.talk_mean_s + self.acw_mean_s


@dataclass(frozen=True)
class SimulationReport:
    day: Totals
    by_interval: list[Totals]
    vulnerable: Totals
    others: Totals
    transferred_out: int
    max_waiting: int
    ledger: ServiceLevelLedger


# event kinds, in the order they are handled when simultaneous
SLOT, END, ACW_DONE, ABANDON, TICK, ANSWER = range(6)
_OFFER = -1  # arrivals come from the sorted list of calls, not the heap


def simulate_day(
    calls_per_slot: Sequence[float],
    roster: Sequence[int],
    config: SimulationConfig | None = None,
    start: datetime = datetime(2026, 3, 2),
) -> SimulationReport:
    """Simulate one day (48 half hours) of `calls_per_slot` expected calls against `roster` agents."""
    config = config or SimulationConfig()
    if len(calls_per_slot) != SLOTS_PER_DAY or len(roster) != SLOTS_PER_DAY:
        raise ValueError(f"a day has {SLOTS_PER_DAY} half hours")
    return Simulation(calls_per_slot, roster, config, start).run()


def _skill_pool(shares: Sequence[tuple[frozenset[str], float]], size: int) -> list[frozenset[str]]:
    """Skill sets for agents 0..size-1 such that every prefix keeps roughly the given shares
    (golden-ratio sequence over the cumulative shares)."""
    total = sum(s for _, s in shares)
    bounds = np.cumsum([s / total for _, s in shares])
    picks = np.searchsorted(bounds, (np.arange(size) * 0.6180339887498949) % 1.0, side="right")
    return [shares[min(i, len(shares) - 1)][0] for i in picks]


class Simulation:
    """One simulated day: calls offered from a sorted list, every other event (the half-hour slots, ends of
    calls and after-call work, hang-ups, ticks, answers) from a heap. Subclasses replace how calls are routed
    (adapters.channels.cti_http drives the real CTI API with it)."""

    def __init__(
        self,
        calls_per_slot: Sequence[float],
        roster: Sequence[int],
        config: SimulationConfig,
        start: datetime,
    ) -> None:
        self.config, self.start, self.roster = config, start, list(roster)
        self.now_s = 0.0
        self.centre = CallCentre(clock=lambda: self._at(self.now_s), policy=config.policy)
        rng = np.random.default_rng(config.seed)
        counts = rng.poisson(np.asarray(calls_per_slot, dtype=float))
        slot_of = np.repeat(np.arange(SLOTS_PER_DAY), counts)
        times = np.sort((slot_of + rng.random(slot_of.size)) * SLOT_S)
        n = times.size
        mix = config.mix
        if config.talk_sigma is None:
            talk = rng.exponential(config.talk_mean_s, n)
        else:
            mu = math.log(config.talk_mean_s) - config.talk_sigma**2 / 2
            talk = rng.lognormal(mu, config.talk_sigma, n)
        acw = rng.exponential(config.acw_mean_s, n) if config.acw_mean_s > 0 else np.zeros(n)
        patience = (
            rng.exponential(config.patience_mean_s, n)
            if config.patience_mean_s is not None
            else np.full(n, math.inf)
        )
        languages = list(mix.languages)
        language = rng.choice(
            len(languages), n, p=np.array(list(mix.languages.values())) / sum(mix.languages.values())
        )
        topics = [*mix.topics, None]
        topic_p = [*mix.topics.values(), 1.0 - sum(mix.topics.values())]
        topic = rng.choice(len(topics), n, p=topic_p)
        flag_draw = rng.random(n)
        self.calls = [
            (
                float(times[i]),
                CallOffered(
                    call_id=f"c{i}",
                    caller_number=f"1380000{i:05d}",
                    dialled_number="12345",
                    language=languages[language[i]],
                    at=self._at(float(times[i])),
                    caller_flags=_flags(flag_draw[i], mix),
                    topic=topics[topic[i]],
                ),
            )
            for i in range(n)
        ]
        self.talk, self.acw, self.patience = talk.tolist(), acw.tolist(), patience.tolist()
        self.emergency = (rng.random(n) < mix.emergency_share).tolist()
        self.index = {f"c{i}": i for i in range(n)}
        pool_size = max(self.roster, default=0)
        self.pool = [
            (f"a{i:04d}", skills) for i, skills in enumerate(_skill_pool(config.agent_skills, pool_size))
        ]
        self.pool += [
            (f"d{i:03d}", frozenset({DEDICATED, *config.mix.languages}))
            for i in range(config.dedicated_seats)
        ]
        self.skills = dict(self.pool)
        self.heap: list[tuple[float, int, int, str]] = []
        self.seq = 0
        self.online: set[str] = set()  # logged in
        self.leaving: set[str] = set()  # asked to log out once their call and wrap-up end
        self.free: set[str] = set()  # logged in and not busy with a call
        self.waiting: set[str] = set()  # offered, not assigned (as far as the switch knows)
        self.ringing: dict[str, str] = {}  # assigned, not answered yet: call → agent
        self.agent_of: dict[str, str] = {}  # the agent talking to each call
        self.connected: set[str] = set()  # answered at least once
        self.transferred_out = 0
        self.max_waiting = 0

    def _at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def _push(self, t: float, kind: int, key: str) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, kind, self.seq, key))  # type: ignore[arg-type]

    def run(self) -> SimulationReport:
        for slot in range(SLOTS_PER_DAY):
            self._push(slot * SLOT_S, SLOT, str(slot))
        for agent_id, _ in self.pool[len(self.pool) - self.config.dedicated_seats :]:
            self._log_in(agent_id)
        handlers = {
            SLOT: self._slot,
            END: self._end,
            ACW_DONE: self._acw_done,
            ABANDON: self._abandon,
            TICK: self._tick,
            ANSWER: self._answer,
        }
        next_call = 0
        while True:
            arrival = self.calls[next_call][0] if next_call < len(self.calls) else math.inf
            if not self.heap and arrival == math.inf:
                self._flush()
                if not self.heap:
                    break
                continue
            offer_next = arrival < (self.heap[0][0] if self.heap else math.inf)
            if self._before(arrival, _OFFER) if offer_next else self._before(self.heap[0][0], self.heap[0][1]):
                continue  # decisions came back and may have scheduled something sooner
            if offer_next:
                self.now_s, offered = self.calls[next_call]
                next_call += 1
                self._offer(offered)
                continue
            t, kind, _, key = heapq.heappop(self.heap)  # type: ignore[misc]
            self.now_s = t
            handlers[kind](key)
        return self._report()

    # ---- the link to the centre ----------------------------------------------------------------

    def _send(self, event: CtiEvent, then: Callable[[list[Decision]], None] | None = None) -> None:
        """Send one event; `then` carries out its decisions (here at once)."""
        decisions = self.centre.apply(event)
        if then is not None:
            then(decisions)

    def _before(self, t: float, kind: int) -> bool:
        """Called before the event at `t` of `kind` is handled; True when held-back events were
        delivered first (a batching link), so that the next event is chosen again."""
        return False

    def _flush(self) -> None:
        """Deliver events still held back (none here)."""

    # ---- handlers ----------------------------------------------------------------------------

    def _offer(self, offered: CallOffered) -> None:
        self.waiting.add(offered.call_id)
        i = self.index[offered.call_id]
        if self.patience[i] < math.inf:  # both are skipped when they come if the call was answered
            self._push(self.now_s + self.patience[i], ABANDON, offered.call_id)
        self._push(self.now_s + self.config.policy.overflow_after_s, TICK, offered.call_id)
        self._send(offered, lambda decisions: self._offered(offered.call_id, decisions))

    def _offered(self, call_id: str, decisions: list[Decision]) -> None:
        self._carry_out(decisions)
        if call_id in self.waiting:
            self.max_waiting = max(self.max_waiting, len(self.waiting))

    def _carry_out(self, decisions: list[Decision]) -> None:
        """Act as the switch: ring the assigned agent (answered after `ring_s`), count transfers out."""
        for decision in decisions:
            if isinstance(decision, Assignment):
                self.waiting.discard(decision.call_id)
                self.free.discard(decision.agent_id)
                self.ringing[decision.call_id] = decision.agent_id
                if self.config.ring_s:
                    self._push(self.now_s + self.config.ring_s, ANSWER, decision.call_id)
                else:
                    self._answer(decision.call_id)
            else:
                self.transferred_out += 1

    def _answer(self, call_id: str) -> None:
        agent_id = self.ringing.pop(call_id, None)
        if agent_id is None:  # the caller hung up while it rang
            return
        self.agent_of[call_id] = agent_id
        self.connected.add(call_id)
        self._push(self.now_s + self.talk[self.index[call_id]], END, call_id)
        self._send(CallAnswered(call_id, agent_id, self._at(self.now_s)), self._carry_out)

    def _end(self, call_id: str) -> None:
        i = self.index[call_id]
        at = self._at(self.now_s)
        if self.emergency[i]:
            self._send(CallTransferred(call_id, at, to_number="110"), self._carry_out)
        else:
            self._send(CallEnded(call_id, at))
        self._push(self.now_s + self.acw[i], ACW_DONE, self.agent_of.pop(call_id))

    def _acw_done(self, agent_id: str) -> None:
        if agent_id in self.leaving:
            self._log_out(agent_id)
        else:
            self.free.add(agent_id)
            self._send(AgentReady(agent_id, self._at(self.now_s)), self._carry_out)

    def _abandon(self, call_id: str) -> None:
        """Patience runs out in the first wait only (while queued or ringing; a transfer is not abandoned)."""
        if call_id in self.waiting or (call_id in self.ringing and call_id not in self.connected):
            self.waiting.discard(call_id)
            self.ringing.pop(call_id, None)
            self._send(CallAbandoned(call_id, self._at(self.now_s)), lambda d: self._abandoned(call_id, d))

    def _abandoned(self, call_id: str, decisions: list[Decision]) -> None:
        self.ringing.pop(call_id, None)  # assigned by a decision that came back with this one
        self._carry_out(decisions)

    def _tick(self, call_id: str) -> None:
        if call_id in self.waiting:
            self._send(Tick(self._at(self.now_s)), self._carry_out)

    def _slot(self, key: str) -> None:
        """Bring the number of rostered agents (dedicated seats aside) to this half hour's roster."""
        target = self.roster[int(key)]
        rostered = [a for a, _ in self.pool[: len(self.pool) - self.config.dedicated_seats]]
        staying = [a for a in rostered if a in self.online and a not in self.leaving]
        if len(staying) < target:
            for agent_id in rostered:
                if len(staying) >= target:
                    break
                if agent_id in self.leaving:
                    self.leaving.discard(agent_id)
                    staying.append(agent_id)
                elif agent_id not in self.online:
                    self._log_in(agent_id)
                    staying.append(agent_id)
        for agent_id in staying[target:]:
            if agent_id in self.free:
                self._log_out(agent_id)
            else:
                self.leaving.add(agent_id)

    def _log_in(self, agent_id: str) -> None:
        at = self._at(self.now_s)
        self.online.add(agent_id)
        self.free.add(agent_id)
        self._send(AgentLoggedIn(agent_id, self.skills[agent_id], at))
        self._send(AgentReady(agent_id, at), self._carry_out)

    def _log_out(self, agent_id: str) -> None:
        self.online.discard(agent_id)
        self.leaving.discard(agent_id)
        self.free.discard(agent_id)
        self._send(AgentLoggedOut(agent_id, self._at(self.now_s)))

    def _report(self) -> SimulationReport:
        ledger = self.centre.ledger
        within = ledger.within_s
        vulnerable_ids = {o.call_id for _, o in self.calls if _flags_vulnerable(o.caller_flags)}
        records = ledger.records
        return SimulationReport(
            day=totals(records, within),
            by_interval=[
                ledger_window_totals(ledger, self._at(s * SLOT_S), self._at((s + 1) * SLOT_S))
                for s in range(SLOTS_PER_DAY)
            ],
            vulnerable=totals((r for r in records if r.call_id in vulnerable_ids), within),
            others=totals((r for r in records if r.call_id not in vulnerable_ids), within),
            transferred_out=self.transferred_out,
            max_waiting=self.max_waiting,
            ledger=ledger,
        )


def ledger_window_totals(ledger: ServiceLevelLedger, start: datetime, end: datetime) -> Totals:
    return totals(ledger.window(start, end), ledger.within_s)


def _flags(draw: float, mix: CallerMix) -> frozenset[CallerFlag]:
    if draw < mix.vulnerable_share:
        return frozenset({CallerFlag.ELDERLY})
    if draw < mix.vulnerable_share + mix.repeat_share:
        return frozenset({CallerFlag.REPEAT_OPEN_ORDER})
    return frozenset()


def _flags_vulnerable(flags: frozenset[CallerFlag]) -> bool:
    return bool(flags & {CallerFlag.ELDERLY, CallerFlag.DISABLED})
