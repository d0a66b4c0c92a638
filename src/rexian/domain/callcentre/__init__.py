"""The call centre brain beside the switch: CTI events in, routing decisions out, service levels,
Erlang staffing, forecasts and a simulator. Pure Python; transports live in adapters."""

from rexian.domain.callcentre.events import (
    CANTONESE,
    DEDICATED,
    EMERGENCY_NUMBERS,
    ENGLISH,
    FOREIGN,
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
from rexian.domain.callcentre.ledger import CallRecord, HistoryRow, ServiceLevelLedger, Totals
from rexian.domain.callcentre.queue import (
    AgentState,
    CallCentre,
    CallCentreError,
    Priority,
    RoutingPolicy,
    Snapshot,
    TransferNotAllowed,
)

__all__ = [
    "CANTONESE", "DEDICATED", "EMERGENCY_NUMBERS", "ENGLISH", "FOREIGN", "MANDARIN", "SOCIAL_SECURITY", "TAX",
    "AgentAfterCallWork", "AgentLoggedIn", "AgentLoggedOut", "AgentNotReady", "AgentReady", "AgentState",
    "Assignment", "CallAbandoned", "CallAnswered", "CallCentre", "CallCentreError", "CallEnded", "CallHeld",
    "CallOffered", "CallRecord", "CallRetrieved", "CallTransferred", "CallerFlag", "CtiEvent", "Decision",
    "HistoryRow", "Priority", "RoutingPolicy", "ServiceLevelLedger", "Snapshot", "Tick", "Totals",
    "TransferNotAllowed", "TransferOut",
]
