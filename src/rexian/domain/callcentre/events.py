"""The vendor-neutral CTI vocabulary: what a switch tells Rexian, and what Rexian decides.

A switch (FreeSWITCH, Asterisk, a vendor ACD, the simulator) reports events; `CallCentre.apply`
answers with decisions the switch carries out. Every event carries the time the switch saw it,
so a replayed or simulated day behaves exactly like a live one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Skills are plain strings so a city can add languages or sub-centre topics without code changes.
MANDARIN = "mandarin"
CANTONESE = "cantonese"
ENGLISH = "english"
FOREIGN = "foreign"  # other foreign languages: the foreign-affairs multi-language seats
TAX = "tax"  # 税务分中心
SOCIAL_SECURITY = "social_security"  # 人社分中心
DEDICATED = "dedicated"  # 免排队专属人员服务: seats reserved for registered older or disabled callers

EMERGENCY_NUMBERS = frozenset({"110", "119", "120", "122"})


class CallerFlag(StrEnum):
    """Why a caller is served before others (set by the switch, the IVR or the caller registry)."""

    ELDERLY = "elderly"  # registered older caller
    DISABLED = "disabled"  # registered disabled caller
    REPEAT_OPEN_ORDER = "repeat_open_order"  # calls again about a work order still open
    CALLBACK_DUE = "callback_due"  # a scheduled callback (回访) that is due


# ---- events: switch → Rexian ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallOffered:
    """A call reached the queue. `topic` names a sub-centre skill (tax, social security) if chosen."""

    call_id: str
    caller_number: str
    dialled_number: str
    language: str
    at: datetime
    caller_flags: frozenset[CallerFlag] = field(default_factory=frozenset)
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class CallAnswered:
    call_id: str
    agent_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallTransferred:
    """An agent transfers the call: to an emergency or outside number, to one agent, or to a skill.

    Exactly one of `to_number`, `to_agent`, `to_skill` is set.
    """

    call_id: str
    at: datetime
    to_number: str | None = None
    to_agent: str | None = None
    to_skill: str | None = None

    def __post_init__(self) -> None:
        if sum(t is not None for t in (self.to_number, self.to_agent, self.to_skill)) != 1:
            raise ValueError("a transfer names exactly one of to_number, to_agent, to_skill")


@dataclass(frozen=True, slots=True)
class CallHeld:
    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallRetrieved:
    """The agent takes the call off hold."""

    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallEnded:
    """An answered call hung up; its agent enters after-call work."""

    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """The caller hung up before an agent answered."""

    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    agent_id: str
    skills: frozenset[str]
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    agent_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentReady:
    agent_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentNotReady:
    agent_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentAfterCallWork:
    agent_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: re-check time-based rules (overflow to wider skill groups)."""

    at: datetime


CtiEvent = (
    CallOffered
    | CallAnswered
    | CallTransferred
    | CallHeld
    | CallRetrieved
    | CallEnded
    | CallAbandoned
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentReady
    | AgentNotReady
    | AgentAfterCallWork
    | Tick
)


# ---- decisions: Rexian → switch ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assignment:
    """Connect this waiting call to this agent (the agent is reserved until the switch answers)."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class TransferOut:
    """Send the call to an outside number (110/119/120/122 or a partner line); it leaves the queue."""

    call_id: str
    number: str


Decision = Assignment | TransferOut
