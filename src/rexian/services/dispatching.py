"""Intake intelligence: classify, locate and route each new order in the same request.

The router learns from the hotline's own decisions: every dispatch a person makes (or confirms
through a reassignment or a joint-review decision) is a lesson, and every return (退单) tells it
where not to send such an order again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from threading import Lock
from typing import Any

from rexian.domain.errors import RuleViolation
from rexian.domain.routing import DispatchContext, DispatchDecision, DispatchRanker, Router, RoutingRule
from rexian.domain.vocabulary import AppealType, Channel, Urgency
from rexian.domain.workorder import Action, Location, Status, WorkOrder
from rexian.intelligence.location import RememberingResolver, city_resolver
from rexian.services.context import Hotline
from rexian.services.workorders import IntakeAnalysis

log = logging.getLogger(__name__)
HISTORY_LIMIT = 50_000  # most recent orders the ranker learns from at start-up
LESSONS = {Action.DISPATCH, Action.REASSIGN, Action.DECIDE, Action.BACKSTOP}
# events read again behind the newest one learnt: a lesson whose transaction took its id early but committed
# late is still learnt (each event once)
LESSON_WINDOW = 1000
LESSON_PAGE = 1000


class Dispatcher:
    """The classifier, the location resolver and the router of one city, kept warm in memory."""

    def __init__(self, hl: Hotline, classifier: Any | None, review_threshold: float = 0.5) -> None:
        self.hl = hl
        self.classifier = classifier
        self.resolver = RememberingResolver(city_resolver(hl.city.name))
        self.ranker = DispatchRanker()
        self.review_threshold = review_threshold
        self._lock = Lock()
        self._seen = 0  # the newest lesson event read
        self._learnt: set[int] = set()  # lesson events learnt within LESSON_WINDOW of it
        self.reload_rules()
        self._learn_history()

    def reload_rules(self) -> None:
        """Rules and units are data: rebuild the router when they change (the ranker is kept)."""
        with self.hl.uow.begin() as tx:
            rules = tx.rules.all(self.hl.city.key)
            units = tx.units.all(self.hl.city.key)
        with self._lock:
            self.router = Router(rules, units, self.ranker, self.review_threshold)

    def context(self, order: WorkOrder) -> DispatchContext:
        return DispatchContext(text=f"{order.title} {order.content}", category=order.category,
                               category_confidence=order.category_confidence or 0.0,
                               district=order.location.district, street=order.location.street,
                               community=order.location.community)

    def analyse(self, order: WorkOrder) -> IntakeAnalysis:
        category, confidence = order.category, order.category_confidence
        if category is None and self.classifier is not None:
            prediction = self.classifier.predict(order.title, order.content)
            category, confidence = prediction.label, prediction.confidence
        loc = order.location
        district, street, community = loc.district, loc.street, loc.community
        if not district:
            place = self.resolver.resolve(f"{order.title} {order.content}", loc.address)
            district, street, community = place.district, place.street, place.community
        ctx = replace(self.context(order), category=category, category_confidence=confidence or 0.0,
                      district=district, street=street, community=community)
        with self._lock:
            decision = self.router.decide(ctx)
        return IntakeAnalysis(category, confidence, district, street, community, None, decision)

    def route(self, order: WorkOrder) -> DispatchDecision:
        with self._lock:
            return self.router.decide(self.context(order))

    def compare(self, rules: Sequence[RoutingRule], orders: Iterable[WorkOrder]
                ) -> Iterator[tuple[DispatchDecision, DispatchDecision]]:
        """What the rules in force and `rules` would each decide for every order, with what the router has
        learnt so far (a what-if: nothing is learnt or stored)."""
        with self._lock:
            proposed = Router(rules, list(self.router.units.values()), self.ranker, self.review_threshold)
        for order in orders:
            ctx = self.context(order)
            with self._lock:  # the ranker keeps learning meanwhile
                yield self.router.decide(ctx), proposed.decide(ctx)

    def learn(self, order: WorkOrder, action: Action) -> None:
        """After commit: a person's dispatch or a return is a lesson; learn it (and any other process's since
        the last look) at once."""
        if action in LESSONS or action == Action.RETURN:
            self.catch_up()

    def catch_up(self) -> None:
        """Learn the lessons stored since the last look, by this process or any other, each once: a person's
        dispatch teaches the ranker and the place memory, a return warns it off the unit that returned."""
        for event_id, action, to_status, data, order in self._lessons():
            self._learn_lesson(action, to_status, data, order)
            self._learnt.add(event_id)

    def _learn_lesson(self, action: str, to_status: str | None, data: dict[str, Any], order: WorkOrder) -> None:
        if action == Action.RETURN.value:
            if to_status == Status.RETURNED.value and data.get("from_unit"):
                self.router.penalise(self.context(order), data["from_unit"])
        elif data.get("unit"):
            self.router.learn(self.context(order), data["unit"])
            self._learn_place(order, data["unit"])

    def _lessons(self) -> Iterator[tuple[int, str, str | None, dict[str, Any], WorkOrder]]:
        """The lesson events not learnt yet, oldest first (holding the lock while the caller learns them)."""
        actions = [a.value for a in (*LESSONS, Action.RETURN)]
        with self._lock:
            after = max(0, self._seen - LESSON_WINDOW)
            while True:
                with self.hl.uow.begin() as tx:
                    page = tx.orders.lessons_after(after, actions, LESSON_PAGE)
                yield from (lesson for lesson in page if lesson[0] not in self._learnt)
                if page:
                    self._seen = after = max(self._seen, page[-1][0])
                if len(page) < LESSON_PAGE:
                    break
            self._learnt = {i for i in self._learnt if i > self._seen - LESSON_WINDOW}

    def _learn_history(self) -> None:
        """The stored history, then the lessons stored while it was being read (a return committed meanwhile is
        learnt; one read in both ways counts twice, which does no harm)."""
        with self.hl.uow.begin() as tx:
            before = tx.orders.last_event_id()  # the history read next holds every lesson up to here
            rows = tx.orders.dispatch_history(HISTORY_LIMIT)
        for order, returned_units in rows:
            ctx = self.context(order)
            for unit in returned_units:
                self.router.penalise(ctx, unit)
            if order.unit_code and order.unit_code not in returned_units:
                self.router.learn(ctx, order.unit_code)
                self._learn_place(order, order.unit_code)
        self._seen = before
        for event_id, action, to_status, data, order in self._lessons():
            if event_id > before:
                self._learn_lesson(action, to_status, data, order)
            self._learnt.add(event_id)
        log.info("router learned from %d past orders", len(rows))

    def _learn_place(self, order: WorkOrder, unit_code: str) -> None:
        """A dispatched order teaches the places it names: its district, or where it had none, the
        district (and street) of the territorial unit a person sent it to."""
        loc = order.location
        district, street = loc.district, loc.street
        if not district and (unit := self.router.units.get(unit_code)) is not None:
            district, street = unit.district, unit.street
        self.resolver.learn(f"{order.title} {order.content}", loc.address, district, street)


def attach_intelligence(hl: Hotline, review_threshold: float = 0.5) -> Dispatcher | None:
    """Wire classification, location and routing into intake; without a trained classifier the
    router still works from the place and the keywords."""
    from rexian.intelligence.classifier import load_default

    try:
        dispatcher = Dispatcher(hl, load_default(), review_threshold)
    except Exception:  # noqa: BLE001 - a database not yet migrated or loaded: serve without intelligence
        log.warning("intake intelligence unavailable", exc_info=True)
        return None
    hl.dispatcher = dispatcher
    hl.listeners.append(dispatcher.learn)
    return dispatcher



def preview(hl: Hotline, text: str, address: str | None = None) -> dict[str, Any]:
    """The dispatch decision for a text, stored nowhere (`rexian dispatch`)."""
    if hl.dispatcher is None:
        raise RuleViolation("智能派单不可用：请先加载城市（rexian city load）",
                            "intelligent dispatch is unavailable: load a city first (rexian city load)")
    now = hl.clock.now()
    order = WorkOrder(code="PREVIEW", channel=Channel.PHONE, appeal_type=AppealType.HELP, urgency=Urgency.NORMAL,
                      title="", content=text, received_at=now, location=Location(address=address))
    a = hl.dispatcher.analyse(order)
    d = a.decision
    return {"category": a.category, "category_confidence": a.category_confidence, "district": a.district,
            "street": a.street, "community": a.community,
            "unit_code": d.unit_code, "unit_name": d.unit_name, "confidence": d.confidence,
            "explanation": d.explanation, "rule_id": d.rule_id, "backstop": d.backstop,
            "needs_review": d.needs_review,
            "candidates": [{"unit_code": c.unit_code, "score": c.score, "support": c.support, "source": c.source}
                           for c in d.candidates]}
