"""Analytics use cases: duplicates at intake, hotspots, surges, reply quality, dashboard and reports.

The engines live in `rexian.intelligence`; this module feeds them from the database, stores what
they find (reply scores, surge alerts, hotspot runs) and hands the office what it needs. The
dashboard and reports sum order_counts, kept current in the transaction of every order change; only
hotspots and surges read rows, and only those of their time window.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError

from rexian.adapters.db.locks import exclusive
from rexian.adapters.db.repo_analytics import AnalyticsRepository, fold_stripes, recount
from rexian.domain.access import check_write
from rexian.domain.clock import LOCAL_TZ
from rexian.domain.errors import InvalidInput
from rexian.domain.workorder import OPEN, Action, Actor, Status, WorkOrder
from rexian.services import workorders as uc
from rexian.services.context import Hotline

if TYPE_CHECKING:  # the engines load scikit-learn, scipy and jieba: imported where used, not at start-up
    from rexian.intelligence.duplicates import DuplicateIndex
    from rexian.intelligence.hotspots import Hotspot
    from rexian.intelligence.surges import SurgeDetector

log = logging.getLogger(__name__)
OPEN_STATUSES = sorted(s.value for s in OPEN)
LOW_QUALITY = 60.0  # reply scores below this reach the office before the callback
ALERT_HOOKS: list[Callable[[dict[str, Any]], None]] = []  # notification adapters append a sender here
PERIODS = {"day": 1, "week": 7, "month": 30}
_THIS_SECOND = timedelta(seconds=1)  # periods ending now include what was filed this very second


class Analytics:
    """Per-hotline analytics state: the duplicate index of recent open orders, kept current.

    New orders are picked up by id on each lookup (intake has no listener); orders leaving the open
    states are dropped by the after-commit listener, and candidates are re-checked in the database.
    """

    def __init__(self, hl: Hotline, window_days: float = 30) -> None:
        self.hl = hl
        self.window_days = window_days
        self._duplicates: DuplicateIndex | None = None
        self._last_id = 0
        self._lock = Lock()

    @property
    def duplicates(self) -> DuplicateIndex:
        if self._duplicates is None:
            from rexian.intelligence.duplicates import DuplicateIndex

            self._duplicates = DuplicateIndex(window_days=self.window_days)
        return self._duplicates

    def sync(self) -> None:
        """Add open orders filed since the last look (the first call builds the index)."""
        since = self.hl.clock.now() - timedelta(days=self.window_days)
        with self._lock, self.hl.uow.begin() as tx:
            for row in AnalyticsRepository(tx.conn).open_orders(OPEN_STATUSES, since, self._last_id):
                self.duplicates.add(str(row.id), f"{row.title} {row.content}", row.district, row.street,
                                    row.received_at)
                self._last_id = row.id

    def on_change(self, order: WorkOrder, action: Action) -> None:
        """After-commit listener: score replies, forget orders that are no longer open."""
        if action is Action.REPLY and order.id is not None and order.reply_text:
            store_reply_score(self.hl, order)
        if order.status not in OPEN and order.id is not None and self._duplicates is not None:
            with self._lock:
                self.duplicates.remove(str(order.id))


def attach_analytics(hl: Hotline) -> Analytics:
    """Wire analytics into a hotline (bootstrap calls this once)."""
    analytics = Analytics(hl)
    hl.listeners.append(analytics.on_change)
    return analytics


def analytics_of(hl: Hotline) -> Analytics:
    """The analytics attached to `hl`, attaching them on first use."""
    for listener in hl.listeners:
        owner = getattr(listener, "__self__", None)
        if isinstance(owner, Analytics):
            return owner
    return attach_analytics(hl)


# -- duplicates (并单 suggestions) ----------------------------------------------------------------


def duplicate_candidates(hl: Hotline, order_id: int, actor: Actor, k: int = 5) -> list[dict[str, Any]]:
    """Earlier open orders about the same problem at the same place as order `order_id`, most similar
    first, each with its reason: what the office offers to merge."""
    check_write(actor, "read_analytics")
    order, _ = uc.get_order(hl, order_id, actor)
    analytics = analytics_of(hl)
    analytics.sync()
    with analytics._lock:
        found = analytics.duplicates.candidates(f"{order.title} {order.content}", order.location.district,
                                                order.location.street, order.received_at, k + 5)
    earlier = [c for c in found if int(c.record_id) < order_id]
    if not earlier:
        return []
    with hl.uow.begin() as tx:
        current = AnalyticsRepository(tx.conn).statuses([int(c.record_id) for c in earlier])
    result = []
    for c in earlier:
        status, code, title = current.get(int(c.record_id), ("", "", ""))
        if status in OPEN_STATUSES:
            result.append({"id": int(c.record_id), "code": code, "title": title, "status": status,
                           "similarity": c.similarity, "reason": c.reason})
    return result[:k]


# -- reply quality ----------------------------------------------------------------------------------


def store_reply_score(hl: Hotline, order: WorkOrder) -> dict[str, Any]:
    """Score the order's reply and store the score with its reasons."""
    from rexian.intelligence.reply_quality import score_reply

    score = score_reply(f"{order.title} {order.content}", order.reply_text or "", order.received_at,
                        order.replied_at)
    values = {**asdict(score), "reasons": list(score.reasons), "scored_at": hl.clock.now()}
    with hl.uow.begin(write=True) as tx:
        AnalyticsRepository(tx.conn).save_reply_score(order.id or 0, values)
        tx.commit()
    return values


def low_quality_replies(hl: Hotline, actor: Actor, below: float = LOW_QUALITY, limit: int = 100
                        ) -> list[dict[str, Any]]:
    """Replied orders still waiting for their callback whose reply scored below `below`."""
    check_write(actor, "read_analytics")
    with hl.uow.begin() as tx:
        rows = AnalyticsRepository(tx.conn).low_quality_replies(below, [Status.REPLIED.value], limit)
    names = hl.unit_names()
    return [{**r, "unit_name": names.get(r["unit_code"] or "", r["unit_code"])} for r in rows]


# -- hotspots -----------------------------------------------------------------------------------------


def read_likes(path: Path) -> dict[str, tuple[int, int]]:
    """Likes and dislikes per external reference from a Teddy attachment-3 file (留言编号, 点赞数, 反对数).

    Likes belong to the web board a message was posted on, not to the work order, so they are read
    beside the orders at analysis time instead of being stored on them.
    """
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    if not reader.fieldnames or "留言编号" not in reader.fieldnames or "点赞数" not in reader.fieldnames:
        raise InvalidInput("点赞文件需要列：留言编号、点赞数（、反对数）",
                           "the likes file needs the columns 留言编号, 点赞数 (and 反对数)")
    return {f"teddy:{r['留言编号'].strip()}": (int(r.get("点赞数") or 0), int(r.get("反对数") or 0))
            for r in reader}


def hotspots(hl: Hotline, start: datetime | None = None, end: datetime | None = None, top: int = 20,
             likes: dict[str, tuple[int, int]] | None = None, store: bool = True,
             progress: bool = False, workers: int = 1) -> list[Hotspot]:
    """Hotspots among the orders received in [start, end); message ids are external references
    (e.g. teddy:188006) where the order was imported, else order codes. The run is stored for the
    dashboard. `workers` processes share the work on large windows (the CLI uses every core)."""
    from rexian.intelligence.hotspots import HotspotMessage, detect_hotspots

    likes = likes or {}
    messages = []
    with hl.uow.begin(streams=True) as tx:
        for r in AnalyticsRepository(tx.conn).messages(start, end):
            ref = r.external_ref or r.code
            up, down = likes.get(ref, (0, 0))
            messages.append(HotspotMessage(id=ref, user=r.caller_name or r.caller_phone or r.code,
                                           title=r.title, text=r.content, at=r.received_at,
                                           likes=up, dislikes=down, district=r.district))
    found = detect_hotspots(messages, top=top, workers=workers, progress=progress)
    if store:
        with hl.uow.begin(write=True) as tx:
            AnalyticsRepository(tx.conn).save_hotspot_run(hl.clock.now(), start, end,
                                                          [hotspot_dict(h) for h in found])
            tx.commit()
    return found


def hotspot_dict(h: Hotspot) -> dict[str, Any]:
    return {"rank": h.rank, "heat": h.heat, "place": h.place, "problem": h.problem, "summary": h.summary,
            "first_at": h.first_at.isoformat(), "last_at": h.last_at.isoformat(), "appeals": h.appeals,
            "users": h.users, "likes": h.likes, "dislikes": h.dislikes, "message_ids": list(h.message_ids)}


# -- surges -------------------------------------------------------------------------------------------


def detect_surges(hl: Hotline, detector: SurgeDetector | None = None, notify: bool = True
                  ) -> dict[str, Any]:
    """The surge detection below, by one process at a time (cron may run it on every machine): a run that
    finds another one running does nothing, so no alert goes out twice."""
    with exclusive(hl.uow.engine, "surge-detection") as mine:
        if not mine:
            return {"firing": 0, "new": 0, "closed": 0, "orders_read": 0, "skipped": True}
        return _detect_surges(hl, detector, notify)


def _detect_surges(hl: Hotline, detector: SurgeDetector | None, notify: bool) -> dict[str, Any]:
    """Per category × district and per named place, compare the last days with their seasonal
    baseline; store firing alerts, close those that stopped, send new ones to the office."""
    from rexian.intelligence.places import extract_places, place_key
    from rexian.intelligence.surges import SurgeDetector

    detector = detector or SurgeDetector()
    now = hl.clock.now()
    since = now - timedelta(days=detector.window_days + detector.history_days)
    by_area: list[tuple[str, datetime, str]] = []
    by_place: list[tuple[str, datetime, str]] = []
    with hl.uow.begin(streams=True) as tx:
        for r in AnalyticsRepository(tx.conn).surge_events(since, now):
            at = r.received_at.astimezone(LOCAL_TZ)
            if r.category and r.district:
                by_area.append((f"{r.category} · {r.district}", at, r.code))
            place = extract_places(r.title).main
            if place:
                by_place.append((place_key(place), at, r.code))
    local_now = now.astimezone(LOCAL_TZ)
    alerts = [("category_district", a) for a in detector.detect(by_area, local_now)]
    alerts += [("place", a) for a in detector.detect(by_place, local_now)]
    new: list[dict[str, Any]] = []
    with hl.uow.begin(write=True) as tx:
        repo = AnalyticsRepository(tx.conn)
        for kind, a in alerts:
            values = {"kind": kind, "key": str(a.key), "window_start": a.window_start, "window_end": a.window_end,
                      "observed": a.observed, "expected": a.expected, "p_value": a.p_value, "ratio": a.ratio,
                      "evidence": list(a.evidence_ids[:200]), "created_at": now}
            if repo.upsert_alert(values):
                new.append(values)
        closed = repo.close_alerts_except({(kind, str(a.key)) for kind, a in alerts})
        tx.commit()
    if notify:
        for alert in new:
            send_alert(alert)
    return {"firing": len(alerts), "new": len(new), "closed": closed, "orders_read": len(by_area)}


def send_alert(alert: dict[str, Any]) -> None:
    """Hand a new alert to every registered notification adapter; log it when there is none."""
    if not ALERT_HOOKS:
        log.warning("surge alert %s %s: %d appeals, %.1f expected", alert["kind"], alert["key"],
                    alert["observed"], alert["expected"])
    for hook in ALERT_HOOKS:
        try:
            hook(alert)
        except Exception:  # noqa: BLE001 - a failing notifier must not lose the alert
            log.exception("surge alert notification failed")


def open_surges(hl: Hotline, actor: Actor) -> list[dict[str, Any]]:
    check_write(actor, "read_analytics")
    with hl.uow.begin() as tx:
        return AnalyticsRepository(tx.conn).open_alerts()


# -- dashboard and reports -------------------------------------------------------------------------


def _period_view(hl: Hotline, start: datetime, end: datetime) -> dict[str, Any]:
    with hl.uow.begin() as tx:
        repo = AnalyticsRepository(tx.conn)
        counts = repo.period_counts(start, end, hl.clock.now())
        run = repo.latest_hotspot_run()
        surges = repo.open_alerts(limit=20)
    top_categories: Counter[str] = Counter()
    for category, n in counts.count("category").items():
        top_categories[(category or "未分类").split("/")[0]] += n
    satisfaction = counts.count("satisfaction")
    satisfaction.pop("", None)
    rated = sum(satisfaction.values())
    good = satisfaction.get("satisfied", 0) + satisfaction.get("basically_satisfied", 0)
    on_time = counts.total("replied_on_time")
    due = on_time + counts.total("replied_late") + sum(counts.late_unreplied.values())
    names = hl.unit_names()
    units = sorted(({"unit_code": u, "orders": m["orders"], "on_time": m["replied_on_time"],
                     "late": m["replied_late"] + counts.late_unreplied[u], "satisfied": m["satisfied"],
                     "rated": m["rated"], "returns": m["returns"]}
                    for u, m in counts.totals["unit"].items() if u and m["orders"]),
                   key=lambda u: (-u["orders"], u["unit_code"]))
    return {
        "from": start.isoformat(), "to": end.isoformat(),
        "total": counts.total(),
        "volume": [{"day": d, "channel": c, "count": n} for (d, c), n in sorted(counts.volume.items()) if n],
        "categories": [{"name": k, "count": n} for k, n in top_categories.most_common()],
        "districts": [{"name": k, "count": n} for k, n in sorted(counts.count("district").items(),
                                                                  key=lambda x: -x[1]) if k],
        "on_time": {"on_time": on_time, "due": due, "rate": round(on_time / due, 3) if due else None},
        "satisfaction": {"counts": satisfaction, "rated": rated,
                         "rate": round(good / rated, 3) if rated else None},
        "units": [{**u, "unit_name": names.get(u["unit_code"], u["unit_code"])} for u in units[:20]],
        "hotspots": (run["hotspots"][:10] if run else []),
        "hotspots_computed_at": run["computed_at"].isoformat() if run else None,
        "surges": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in s.items()
                    if k != "evidence"} | {"evidence": s["evidence"][:20]} for s in surges],
    }


def recount_orders(hl: Hotline, actor: Actor) -> int:
    """Rebuild the dashboard's order counts from the orders (after rows were written around the
    repositories, e.g. a bulk SQL load); returns the count rows written."""
    check_write(actor, "sweep")  # a maintenance job, like the deadline sweep
    with hl.uow.begin(write=True) as tx:
        rows = recount(tx.conn)
        tx.commit()
    return rows


LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout passes


def fold_order_counts(hl: Hotline) -> int:
    """Fold the dashboard's counts of days before today from their stripes into one row each, so that reading a
    year stays as cheap as with one writer (run by the periodic sweep, one process at a time); the rows
    folded."""
    with exclusive(hl.uow.engine, "fold-order-counts") as mine:
        if not mine:
            return 0
        try:
            with hl.uow.begin(write=True) as tx:
                folded = fold_stripes(tx.conn, hl.clock.now().astimezone(LOCAL_TZ).date())
                tx.commit()
        except OperationalError as e:
            if getattr(e.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            return 0  # a writer held a row the fold needed: it never waits long on one; the next sweep folds
    return folded


def dashboard(hl: Hotline, actor: Actor, days: int = 30) -> dict[str, Any]:
    """What the dashboard shows for the last `days` days (order counts, never a scan of the orders)."""
    check_write(actor, "read_analytics")
    if not 1 <= days <= 366:
        raise InvalidInput("天数须在1到366之间", "days must be between 1 and 366")
    end = hl.clock.now() + _THIS_SECOND
    return _period_view(hl, end - timedelta(days=days), end)


def period_report(hl: Hotline, actor: Actor, period: str, end: datetime | None = None) -> dict[str, Any]:
    """A report for the government over the last day, week or month ending at `end` (default now):
    volumes and the change against the period before, categories, districts, timeliness,
    satisfaction, unit performance, hotspots of the period, surges and typical cases."""
    check_write(actor, "read_analytics")
    if period not in PERIODS:
        raise InvalidInput(f"未知的周期：{period}（day、week、month）", f"unknown period: {period} (day, week, month)")
    end = end or hl.clock.now() + _THIS_SECOND
    start = end - timedelta(days=PERIODS[period])
    report = _period_view(hl, start, end)
    with hl.uow.begin() as tx:
        previous = AnalyticsRepository(tx.conn).period_counts(start - (end - start), start, hl.clock.now()).total()
        report["surges"] = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in s.items()
                             if k != "evidence"} for s in AnalyticsRepository(tx.conn).alerts_between(start, end)]
    report["period"] = period
    report["previous_total"] = previous
    report["change"] = round((report["total"] - previous) / previous, 3) if previous else None
    found = hotspots(hl, start, end, top=10, store=False)
    report["hotspots"] = [hotspot_dict(h) for h in found]
    report["typical_cases"] = [{"hotspot": h.rank, "place": h.place, "title": h.summary, "appeals": h.appeals}
                               for h in found[:3]]
    return report
