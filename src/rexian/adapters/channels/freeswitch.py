"""FreeSWITCH event socket (ESL) protocol layer: switch events in, CTI events out, decisions back.

Only the protocol is here (no sockets), so it is tested against recorded exchanges and can sit
behind any transport (asyncio, a thread, greenswitch). A message on the socket is a block of
`Name: value` header lines ended by a blank line, followed by `Content-Length` bytes of body.
An event arrives as `Content-Type: text/event-plain` whose body is again headers (values
URL-encoded) and, if it carries its own `Content-Length`, a body of its own.

Mapping (the dialplan parks hotline calls and sets `rexian_*` channel variables from the IVR):
- CHANNEL_PARK on a hotline number → CallOffered (language, topic, caller flags from variables);
- CHANNEL_BRIDGE of a known call → CallAnswered (the agent from `variable_rexian_agent`, set by
  our own transfer command, or from the agent's parked leg);
- CHANNEL_HOLD / CHANNEL_UNHOLD → CallHeld / CallRetrieved;
- CHANNEL_HANGUP_COMPLETE → CallEnded if it was bridged, else CallAbandoned;
- CUSTOM callcenter::info agent-status-change (mod_callcenter agent status, also settable from the
  desk with `callcenter_config agent set status`) → AgentLoggedIn/AgentReady/AgentNotReady/AgentLoggedOut.
Decisions become `bgapi` commands: Assignment → `uuid_bridge` to the agent's parked leg, or
`uuid_transfer` with an inline dialplan that bridges to `user/<agent>`; TransferOut →
`uuid_transfer <uuid> <number> XML <context>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

from rexian.domain.callcentre.events import (
    MANDARIN,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerFlag,
    CallHeld,
    CallOffered,
    CallRetrieved,
    CtiEvent,
    Decision,
    TransferOut,
)

SUBSCRIBED_EVENTS = (
    "CHANNEL_PARK CHANNEL_BRIDGE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_HANGUP_COMPLETE CUSTOM callcenter::info"
)


@dataclass(frozen=True)
class EslMessage:
    headers: dict[str, str]
    body: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def name(self) -> str:
        return self.headers.get("Event-Name", "")


def _headers(block: bytes, decode: bool) -> dict[str, str]:
    headers = {}
    for line in block.decode("utf-8").split("\n"):
        if line:
            name, _, value = line.partition(":")
            value = value.strip()
            headers[name.strip()] = unquote(value) if decode else value
    return headers


class EslParser:
    """Turns the byte stream from the socket into messages, however the bytes are chunked."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[EslMessage]:
        self._buffer += data
        messages = []
        while (message := self._next()) is not None:
            messages.append(message)
        return messages

    def _next(self) -> EslMessage | None:
        end = self._buffer.find(b"\n\n")
        if end < 0:
            return None
        headers = _headers(self._buffer[:end], decode=False)
        length = int(headers.get("Content-Length", 0))
        if len(self._buffer) < end + 2 + length:
            return None
        body = self._buffer[end + 2 : end + 2 + length]
        self._buffer = self._buffer[end + 2 + length :]
        if headers.get("Content-Type") == "text/event-plain":
            return parse_event_body(body)
        return EslMessage(headers, body.decode("utf-8"))


def parse_event_body(body: bytes) -> EslMessage:
    """A `text/event-plain` body: URL-encoded headers, then the event's own body if it has one."""
    head, _, rest = body.partition(b"\n\n")
    headers = _headers(head, decode=True)
    length = int(headers.get("Content-Length", 0))
    return EslMessage(headers, rest[:length].decode("utf-8"))


def auth_command(password: str) -> str:
    return f"auth {password}\n\n"


def subscribe_command() -> str:
    return f"event plain {SUBSCRIBED_EVENTS}\n\n"


def _timestamp(headers: Mapping[str, str]) -> datetime:
    return datetime.fromtimestamp(int(headers["Event-Date-Timestamp"]) / 1e6, tz=UTC)


_STATUS_READY = {"Available", "Available (On Demand)"}
_STATUS_LOGGED_OUT = "Logged Out"


@dataclass
class FreeSwitchAdapter:
    """Translates one switch's events for `CallCentre.apply` and its decisions into commands.

    `agent_skills` is the agent directory (extension → skills); `agent_legs` maps an agent to a
    parked channel of theirs (persistent agent legs), when the site works that way.
    """

    hotline_numbers: frozenset[str] = frozenset({"12345"})
    agent_skills: Mapping[str, frozenset[str]] = field(default_factory=dict)
    default_language: str = MANDARIN
    context: str = "default"
    agent_legs: dict[str, str] = field(default_factory=dict)
    _offered: set[str] = field(default_factory=set)
    _bridged: set[str] = field(default_factory=set)
    _logged_in: set[str] = field(default_factory=set)

    def translate(self, message: EslMessage) -> list[CtiEvent]:
        handler = {
            "CHANNEL_PARK": self._park,
            "CHANNEL_BRIDGE": self._bridge,
            "CHANNEL_HOLD": self._hold,
            "CHANNEL_UNHOLD": self._unhold,
            "CHANNEL_HANGUP_COMPLETE": self._hangup,
            "CUSTOM": self._custom,
        }.get(message.name)
        return handler(message.headers) if handler else []

    def command(self, decision: Decision) -> str:
        if isinstance(decision, TransferOut):
            return f"bgapi uuid_transfer {decision.call_id} {decision.number} XML {self.context}\n\n"
        leg = self.agent_legs.get(decision.agent_id)
        if leg is not None:
            return f"bgapi uuid_bridge {decision.call_id} {leg}\n\n"
        agent = decision.agent_id
        return (
            f"bgapi uuid_transfer {decision.call_id} set:rexian_agent={agent},bridge:user/{agent} inline\n\n"
        )

    # ---- channel events ----------------------------------------------------------------------

    def _park(self, h: Mapping[str, str]) -> list[CtiEvent]:
        call_id = h["Unique-ID"]
        if h.get("Caller-Destination-Number") not in self.hotline_numbers or call_id in self._offered:
            return []
        self._offered.add(call_id)
        flags = frozenset(CallerFlag(f) for f in h.get("variable_rexian_flags", "").split(",") if f)
        return [
            CallOffered(
                call_id=call_id,
                caller_number=h.get("Caller-Caller-ID-Number", ""),
                dialled_number=h["Caller-Destination-Number"],
                language=h.get("variable_rexian_language") or self.default_language,
                at=_timestamp(h),
                caller_flags=flags,
                topic=h.get("variable_rexian_topic") or None,
            )
        ]

    def _call_of(self, h: Mapping[str, str]) -> str | None:
        """The hotline call an event is about: its own channel or the other leg of a bridge."""
        for key in ("Unique-ID", "Other-Leg-Unique-ID"):
            if h.get(key) in self._offered:
                return h[key]
        return None

    def _bridge(self, h: Mapping[str, str]) -> list[CtiEvent]:
        call_id = self._call_of(h)
        if call_id is None or call_id in self._bridged:
            return []
        agent = h.get("variable_rexian_agent") or next(
            (a for a, leg in self.agent_legs.items() if leg == h.get("Other-Leg-Unique-ID")), None
        )
        if agent is None:
            return []
        self._bridged.add(call_id)
        return [CallAnswered(call_id, agent, _timestamp(h))]

    def _hold(self, h: Mapping[str, str]) -> list[CtiEvent]:
        call_id = self._call_of(h)
        return [CallHeld(call_id, _timestamp(h))] if call_id in self._bridged else []

    def _unhold(self, h: Mapping[str, str]) -> list[CtiEvent]:
        call_id = self._call_of(h)
        return [CallRetrieved(call_id, _timestamp(h))] if call_id in self._bridged else []

    def _hangup(self, h: Mapping[str, str]) -> list[CtiEvent]:
        call_id = h["Unique-ID"]
        if call_id not in self._offered:
            return []
        self._offered.discard(call_id)
        if call_id in self._bridged:
            self._bridged.discard(call_id)
            return [CallEnded(call_id, _timestamp(h))]
        return [CallAbandoned(call_id, _timestamp(h))]

    # ---- agent status (mod_callcenter) -------------------------------------------------------

    def _custom(self, h: Mapping[str, str]) -> list[CtiEvent]:
        if h.get("Event-Subclass") != "callcenter::info" or h.get("CC-Action") != "agent-status-change":
            return []
        agent = h["CC-Agent"].partition("@")[0]
        status, at = h["CC-Agent-Status"], _timestamp(h)
        if status == _STATUS_LOGGED_OUT:
            if agent not in self._logged_in:
                return []
            self._logged_in.discard(agent)
            return [AgentLoggedOut(agent, at)]
        events: list[CtiEvent] = []
        if agent not in self._logged_in:
            self._logged_in.add(agent)
            skills = self.agent_skills.get(agent, frozenset({self.default_language}))
            events.append(AgentLoggedIn(agent, skills, at))
        events.append(AgentReady(agent, at) if status in _STATUS_READY else AgentNotReady(agent, status, at))
        return events
