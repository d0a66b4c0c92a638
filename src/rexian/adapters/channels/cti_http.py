"""A simulated switch that plays the simulator's day through the CTI HTTP API instead of in-process.

Every event goes to POST /api/v1/cti/events with its simulated `at`, so the service runs on the
simulator's clock however fast the day is played. On top of the simulator's day it transfers a share
of calls to another skill group at their end and, when such a call ends again, tries a second transfer
to an agent (which the service must refuse, 来电最多转接一次) before ending it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from rexian.domain.callcentre import MANDARIN, Assignment, CallTransferred, CtiEvent, Decision
from rexian.domain.callcentre.simulator import SimulationConfig, _Simulation
from rexian.services.callcentre import decision_from_json, event_to_json


class HttpClient(Protocol):  # httpx.Client or fastapi.testclient.TestClient
    def post(self, url: str, *, json: Any, headers: dict[str, str]) -> Any: ...


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass
class _Call:
    agent_id: str | None = None


class RemoteCentre:
    """Stands in for `CallCentre` in the simulator: `apply` posts the event and decodes decisions."""

    def __init__(self, client: HttpClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}
        self.calls: dict[str, _Call] = {}
        self.requests = 0

    def apply(self, event: CtiEvent) -> list[Decision]:
        self.requests += 1
        response = self.client.post("/api/v1/cti/events", json=event_to_json(event), headers=self.headers)
        if response.status_code != 200:
            raise ApiError(response.status_code, response.json())
        decisions = [decision_from_json(d) for d in response.json()["decisions"]]
        for d in decisions:
            if isinstance(d, Assignment):
                self.calls.setdefault(d.call_id, _Call()).agent_id = d.agent_id
        return decisions


@dataclass
class ApiDayReport:
    offered: int
    waits_vulnerable: list[float]
    waits_others: list[float]
    transfers: int
    second_transfers_refused: list[dict[str, Any]] = field(default_factory=list)
    transferred_out: int = 0
    requests: int = 0


class ApiSimulation(_Simulation):
    """The simulator's day with `RemoteCentre` as the brain; `transfer_every` calls are transferred."""

    def __init__(self, client: HttpClient, token: str, calls_per_slot: Sequence[float], roster: Sequence[int],
                 config: SimulationConfig, start: datetime, transfer_every: int = 50) -> None:
        super().__init__(calls_per_slot, roster, config, start)
        self.centre = RemoteCentre(client, token)  # type: ignore[assignment]
        self.transfer_every = transfer_every
        self.transferred: set[str] = set()
        self.refused: list[dict[str, Any]] = []
        self.offered_at: dict[str, float] = {}
        self.answered_at: dict[str, float] = {}

    def _offer(self, offered: Any) -> None:
        self.offered_at[offered.call_id] = self.now_s
        super()._offer(offered)

    def _carry_out(self, decisions: list[Decision]) -> None:
        for d in decisions:
            if isinstance(d, Assignment):
                self.answered_at.setdefault(d.call_id, self.now_s)
        super()._carry_out(decisions)

    def _end(self, call_id: str) -> None:
        if self.index[call_id] % self.transfer_every == 1:
            at = self._at(self.now_s)
            agent_id = self.centre.calls[call_id].agent_id
            if call_id not in self.transferred:
                self.transferred.add(call_id)
                self._push(self.now_s + self.acw[self.index[call_id]], 2, agent_id)  # _ACW_DONE
                self._carry_out(self.centre.apply(CallTransferred(call_id, at, to_skill=MANDARIN)))
                return
            try:
                self.centre.apply(CallTransferred(call_id, at, to_agent=agent_id))
            except ApiError as e:
                self.refused.append({"status": e.status, **e.body})
        super()._end(call_id)

    def _report(self) -> None:  # type: ignore[override]
        """The service keeps the ledger; `play` reports what the switch saw."""

    def play(self) -> ApiDayReport:
        self.run()
        vulnerable = {o.call_id for _, o in self.calls if o.caller_flags & {"elderly", "disabled"}}
        waits = {c: self.answered_at[c] - t for c, t in self.offered_at.items() if c in self.answered_at}
        return ApiDayReport(
            offered=len(self.calls),
            waits_vulnerable=[w for c, w in waits.items() if c in vulnerable],
            waits_others=[w for c, w in waits.items() if c not in vulnerable],
            transfers=len(self.transferred), second_transfers_refused=self.refused,
            transferred_out=self.transferred_out, requests=self.centre.requests)
