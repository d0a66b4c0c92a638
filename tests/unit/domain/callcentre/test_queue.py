"""Routing rules of the call queue, driven only through CallCentre.apply."""

from datetime import datetime, timedelta

import pytest

from rexian.domain.callcentre import (
    CANTONESE,
    DEDICATED,
    ENGLISH,
    MANDARIN,
    TAX,
    AgentLoggedIn,
    AgentNotReady,
    AgentReady,
    AgentState,
    Assignment,
    CallAbandoned,
    CallAnswered,
    CallCentre,
    CallCentreError,
    CallEnded,
    CallerFlag,
    CallOffered,
    CallTransferred,
    RoutingPolicy,
    Tick,
    TransferNotAllowed,
    TransferOut,
)

T0 = datetime(2026, 3, 2, 9, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def offer(
    call_id: str,
    t: float = 0,
    language: str = MANDARIN,
    topic: str | None = None,
    flags: frozenset[CallerFlag] = frozenset(),
    number: str = "13800000000",
) -> CallOffered:
    return CallOffered(call_id, number, "12345", language, at(t), flags, topic)


def login(centre: CallCentre, agent_id: str, skills: set[str], t: float = 0) -> list:
    centre.apply(AgentLoggedIn(agent_id, frozenset(skills), at(t)))
    return centre.apply(AgentReady(agent_id, at(t)))


@pytest.fixture
def centre() -> CallCentre:
    return CallCentre(clock=lambda: at(0), policy=RoutingPolicy(overflow_after_s=60))


def connect(centre: CallCentre, call_id: str, t: float = 0) -> str:
    """Offer-free helper: answer an assigned call and return its agent."""
    agent_id = centre.calls[call_id].agent_id
    centre.apply(CallAnswered(call_id, agent_id, at(t)))
    return agent_id


def test_a_call_goes_to_a_ready_agent_at_once(centre):
    login(centre, "a1", {MANDARIN})
    assert centre.apply(offer("c1", 1)) == [Assignment("c1", "a1")]
    assert centre.agents["a1"].state is AgentState.RESERVED


def test_the_longest_idle_qualified_agent_gets_the_call(centre):
    login(centre, "a1", {MANDARIN}, t=0)
    login(centre, "a2", {MANDARIN}, t=5)
    login(centre, "a3", {MANDARIN}, t=10)
    centre.apply(AgentNotReady("a1", "break", at(12)))
    centre.apply(AgentReady("a1", at(20)))  # a1 now idle for the shortest time
    assert centre.apply(offer("c1", 30)) == [Assignment("c1", "a2")]
    assert centre.apply(offer("c2", 31)) == [Assignment("c2", "a3")]
    assert centre.apply(offer("c3", 32)) == [Assignment("c3", "a1")]


def test_a_call_waits_for_an_agent_with_its_language(centre):
    login(centre, "mandarin_only", {MANDARIN})
    assert centre.apply(offer("c1", 1, language=ENGLISH)) == []
    assert centre.waiting == 1
    assert login(centre, "english", {MANDARIN, ENGLISH}, t=5) == [Assignment("c1", "english")]


def test_a_topic_call_needs_the_sub_centre_skill(centre):
    login(centre, "general", {MANDARIN}, t=0)
    login(centre, "tax_seat", {MANDARIN, TAX}, t=1)
    assert centre.apply(offer("c1", 2, topic=TAX)) == [Assignment("c1", "tax_seat")]


def test_a_waiting_topic_call_overflows_to_its_language_group_after_the_wait(centre):
    login(centre, "general", {MANDARIN})
    assert centre.apply(offer("c1", 0, topic=TAX)) == []
    assert centre.apply(Tick(at(59))) == []
    assert centre.apply(Tick(at(60))) == [Assignment("c1", "general")]


def test_a_cantonese_call_overflows_to_mandarin_agents_but_not_before(centre):
    centre.apply(offer("c1", 0, language=CANTONESE))
    assert login(centre, "mandarin", {MANDARIN}, t=30) == []
    assert centre.apply(Tick(at(61))) == [Assignment("c1", "mandarin")]


def test_priority_callers_are_served_before_earlier_callers(centre):
    centre.apply(offer("normal", 0))
    centre.apply(offer("callback", 1, flags=frozenset({CallerFlag.CALLBACK_DUE})))
    centre.apply(offer("repeat", 2, flags=frozenset({CallerFlag.REPEAT_OPEN_ORDER})))
    centre.apply(offer("elderly", 3, flags=frozenset({CallerFlag.ELDERLY})))
    served = []
    for i in range(4):
        [decision] = login(centre, f"a{i}", {MANDARIN}, t=10 + i)
        served.append(decision.call_id)
    assert served == ["elderly", "repeat", "callback", "normal"]


def test_an_older_caller_goes_to_a_free_dedicated_seat_even_if_another_agent_idled_longer(centre):
    login(centre, "general", {MANDARIN}, t=0)
    login(centre, "seat", {MANDARIN, DEDICATED}, t=5)
    assert centre.apply(offer("c1", 9, flags=frozenset({CallerFlag.ELDERLY}))) == [Assignment("c1", "seat")]


def test_dedicated_seats_do_not_take_ordinary_calls(centre):
    login(centre, "seat", {MANDARIN, DEDICATED})
    assert centre.apply(offer("c1", 1)) == []
    assert centre.apply(offer("c2", 2, flags=frozenset({CallerFlag.DISABLED}))) == [Assignment("c2", "seat")]


def test_the_caller_registry_flags_registered_older_callers(centre):
    registered = {"02088880000"}
    centre = CallCentre(
        clock=lambda: at(0),
        registry=lambda n: frozenset({CallerFlag.ELDERLY}) if n in registered else frozenset(),
    )
    centre.apply(offer("young", 0, number="13900000000"))
    centre.apply(offer("old", 1, number="02088880000"))
    assert login(centre, "a1", {MANDARIN}, t=2) == [Assignment("old", "a1")]


def test_a_call_is_transferred_once_and_then_only_to_emergency_numbers(centre):
    login(centre, "a1", {MANDARIN})
    login(centre, "tax_seat", {MANDARIN, TAX}, t=1)
    centre.apply(offer("c1", 2))
    connect(centre, "c1", 3)
    assert centre.apply(CallTransferred("c1", at(60), to_skill=TAX)) == [Assignment("c1", "tax_seat")]
    connect(centre, "c1", 61)
    with pytest.raises(TransferNotAllowed, match="来电最多转接一次"):
        centre.apply(CallTransferred("c1", at(90), to_agent="a1"))
    with pytest.raises(TransferNotAllowed):
        centre.apply(CallTransferred("c1", at(90), to_number="12315"))
    assert centre.apply(CallTransferred("c1", at(95), to_number="110")) == [TransferOut("c1", "110")]
    assert "c1" not in centre.calls


def test_a_caller_who_hangs_up_waiting_after_a_transfer_was_answered_not_abandoned(centre):
    login(centre, "a1", {MANDARIN})
    centre.apply(offer("c1", 0))
    connect(centre, "c1", 5)
    centre.apply(CallTransferred("c1", at(60), to_skill=TAX))  # nobody with the tax skill is in
    centre.apply(CallAbandoned("c1", at(90)))
    [record] = centre.ledger.records
    assert (record.answered_at, record.abandoned_at, record.ended_at) == (at(5), None, at(90))
    day = centre.ledger.last(at(100))
    assert (day.answered, day.abandoned) == (1, 0)


def test_a_transferred_call_waits_for_its_named_agent_ahead_of_new_callers(centre):
    login(centre, "a1", {MANDARIN})
    centre.apply(offer("c1", 1))
    connect(centre, "c1", 1)
    login(centre, "a2", {MANDARIN}, t=2)
    centre.apply(AgentNotReady("a2", "meeting", at(3)))
    assert centre.apply(CallTransferred("c1", at(30), to_agent="a2")) == []
    centre.apply(offer("c2", 31))
    assert centre.apply(AgentReady("a2", at(40))) == [Assignment("c1", "a2")]


def test_the_agent_wraps_up_after_a_call_and_then_takes_the_next(centre):
    login(centre, "a1", {MANDARIN})
    centre.apply(offer("c1", 0))
    connect(centre, "c1", 0)
    centre.apply(offer("c2", 10))
    centre.apply(CallEnded("c1", at(100)))
    assert centre.agents["a1"].state is AgentState.AFTER_CALL_WORK
    assert centre.apply(AgentReady("a1", at(130))) == [Assignment("c2", "a1")]
    assert centre.ledger.records[0].acw_s == 30


def test_an_abandoned_call_leaves_the_queue_and_is_counted(centre):
    centre.apply(offer("c1", 0))
    centre.apply(offer("c2", 1))
    centre.apply(CallAbandoned("c1", at(40)))
    assert login(centre, "a1", {MANDARIN}, t=50) == [Assignment("c2", "a1")]
    assert [r.abandoned_at for r in centre.ledger.records] == [at(40), None]


def test_a_caller_who_hangs_up_while_ringing_frees_the_agent_for_the_next_call(centre):
    login(centre, "a1", {MANDARIN})
    centre.apply(offer("c1", 0))
    centre.apply(offer("c2", 1))
    assert centre.apply(CallAbandoned("c1", at(3))) == [Assignment("c2", "a1")]


def test_events_that_contradict_the_state_are_refused(centre):
    with pytest.raises(CallCentreError, match="unknown"):
        centre.apply(CallEnded("nope", at(0)))
    centre.apply(offer("c1", 0))
    with pytest.raises(CallCentreError, match="already offered"):
        centre.apply(offer("c1", 1))
    with pytest.raises(CallCentreError, match="waiting"):
        centre.apply(CallEnded("c1", at(2)))
