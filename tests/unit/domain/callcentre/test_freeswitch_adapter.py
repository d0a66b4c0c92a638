"""The FreeSWITCH event-socket adapter against a recorded inbound session (esl_inbound_session.txt:
auth, subscription, agent status, a parked hotline call bridged to an agent, hold, an abandoned call,
a background job with its own body, and the disconnect notice)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rexian.adapters.channels.freeswitch import (
    EslParser,
    FreeSwitchAdapter,
    auth_command,
    subscribe_command,
)
from rexian.domain.callcentre import (
    CANTONESE,
    MANDARIN,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Assignment,
    CallAbandoned,
    CallAnswered,
    CallCentre,
    CallEnded,
    CallerFlag,
    CallHeld,
    CallOffered,
    CallRetrieved,
    TransferOut,
)

RECORDING = (Path(__file__).parent / "esl_inbound_session.txt").read_bytes()
CALL = "8a9f1c2e-0b1d-4c1e-9e55-3f1d2c4b5a01"
ABANDONED = "8a9f1c2e-0b1d-4c1e-9e55-3f1d2c4b5a03"


def t(seconds: int) -> datetime:
    """Seconds after the first recorded event (09:00 Asia/Shanghai, 01:00 UTC)."""
    return datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(seconds=seconds)


def parse(chunk: int) -> list:
    parser = EslParser()
    return [m for i in range(0, len(RECORDING), chunk) for m in parser.feed(RECORDING[i : i + chunk])]


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_messages_are_framed_the_same_however_the_bytes_arrive(chunk):
    messages = parse(chunk)
    assert [m.content_type or m.name for m in messages][:3] == [
        "auth/request",
        "command/reply",
        "command/reply",
    ]
    assert messages[-1].content_type == "text/disconnect-notice"
    assert messages[-1].body.startswith("Disconnected, goodbye.")
    assert len(messages) == len(parse(len(RECORDING)))


def test_event_values_are_url_decoded_and_an_event_s_own_body_is_kept():
    messages = parse(64)
    park = next(m for m in messages if m.name == "CHANNEL_PARK")
    assert park.headers["Caller-Caller-ID-Name"] == "张三"
    assert park.headers["Channel-Name"] == "sofia/internal/12345@10.0.0.5"
    job = next(m for m in messages if m.name == "BACKGROUND_JOB")
    assert job.body == "+OK\n"


def test_the_session_translates_into_cti_events():
    adapter = FreeSwitchAdapter(agent_skills={"1001": frozenset({MANDARIN, CANTONESE})})
    events = [e for m in parse(512) for e in adapter.translate(m)]
    assert events == [
        AgentLoggedIn("1001", frozenset({MANDARIN, CANTONESE}), t(0)),
        AgentReady("1001", t(0)),
        AgentLoggedIn("1002", frozenset({MANDARIN}), t(1)),
        AgentNotReady("1002", "On Break", t(1)),
        CallOffered(CALL, "13800138000", "12345", CANTONESE, t(2), frozenset({CallerFlag.ELDERLY})),
        CallAnswered(CALL, "1001", t(5)),
        CallHeld(CALL, t(60)),
        CallRetrieved(CALL, t(80)),
        CallOffered(ABANDONED, "02087654321", "12345", MANDARIN, t(90)),
        CallAbandoned(ABANDONED, t(120)),
        CallEnded(CALL, t(200)),
        AgentLoggedOut("1001", t(230)),
    ]


def test_the_recorded_session_drives_the_call_centre_and_its_decisions_become_commands():
    adapter = FreeSwitchAdapter(agent_skills={"1001": frozenset({MANDARIN, CANTONESE})})
    centre = CallCentre(clock=lambda: t(0))
    commands = [adapter.command(d) for m in parse(512) for e in adapter.translate(m) for d in centre.apply(e)]
    assert commands == [f"bgapi uuid_transfer {CALL} set:rexian_agent=1001,bridge:user/1001 inline\n\n"]
    record = centre.ledger.records[0]
    assert (record.wait_s, record.hold_s, record.talk_s) == (3, 20, 195)
    assert centre.ledger.records[1].abandoned_at == t(120)


def test_an_agent_with_a_parked_leg_is_bridged_and_outside_transfers_use_the_dialplan():
    adapter = FreeSwitchAdapter(agent_legs={"1001": "leg-1001"}, context="public")
    assert adapter.command(Assignment("call-1", "1001")) == "bgapi uuid_bridge call-1 leg-1001\n\n"
    assert adapter.command(TransferOut("call-1", "110")) == "bgapi uuid_transfer call-1 110 XML public\n\n"


def test_the_client_authenticates_and_subscribes_with_plain_events():
    assert auth_command("ClueCon") == "auth ClueCon\n\n"
    assert subscribe_command().startswith("event plain CHANNEL_PARK ")
    assert subscribe_command().endswith("CUSTOM callcenter::info\n\n")
