"""Dispatch (派单): from category, location, keywords and history to one responsible unit.

Routing rules are data, evaluated by priority with wildcards; on a tie the more specific rule wins.
A rule may name a unit or a placeholder ({district}, {street}, {community}: the territorial unit of
the order's location, one level up when that level is not known), as in data/cities/*/routing_rules.csv. Where rules tie between units or none matches, a ranker learned from past
dispatches and returns (退单) chooses. 首派负责、区级兜底: when no unit can be fixed but the district
is known, the district government is the backstop. Below the review threshold nothing is
dispatched automatically: the order waits in the dispatcher's review queue.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from rexian.domain.units import Unit, UnitKind

ANY = "*"
PLACE_ROLES = {"{district}": UnitKind.DISTRICT, "{street}": UnitKind.STREET,
               "{community}": UnitKind.COMMUNITY}
_LEVEL_UP = {"{community}": "{street}", "{street}": "{district}"}


def _root(category: str) -> str:
    """The top level of a taxonomy path ("城乡建设/物业管理" → "城乡建设")."""
    return category.split("/", 1)[0]


@dataclass(frozen=True)
class RoutingRule:
    """A routing rule (like FixMyStreet's Contact): these orders go to that unit."""

    id: str
    priority: int
    unit_code: str  # a unit code, or a placeholder: {district}, {street}, {community}
    category: str = ANY  # taxonomy path prefix such as "城乡建设/物业管理"
    district: str = ANY
    street: str = ANY
    keywords: tuple[str, ...] = ()  # any one of them must occur in the text
    note: str = ""

    @property
    def specificity(self) -> int:
        depth = 0 if self.category == ANY else self.category.count("/") + 1
        return depth + (self.district != ANY) * 2 + (self.street != ANY) * 3 + bool(self.keywords)

    def matches(self, ctx: DispatchContext) -> bool:
        if self.category != ANY:
            category = ctx.category or ""
            if not (category == self.category or category.startswith(self.category + "/")):
                return False
        if self.district != ANY and self.district != ctx.district:
            return False
        if self.street != ANY and self.street != ctx.street:
            return False
        return not self.keywords or any(k in ctx.text for k in self.keywords)


_CSV_FIELDS = [f.name for f in fields(RoutingRule)]


def rules_from_csv(text: str) -> list[RoutingRule]:
    """Rules from CSV with the columns of RoutingRule; keywords separated by "|"."""
    rules = []
    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as e:  # e.g. a cell over the csv module's 128 kB, on the line after the last read
        raise ValueError(f"第 {reader.line_num + 1} 行无法读取 / line {reader.line_num + 1}: {e}") from e
    for row in rows:
        missing = {"id", "priority", "unit_code"} - {k for k, v in row.items() if v}
        if missing:
            raise ValueError(f"规则缺少字段 {sorted(missing)} / rule row lacks {sorted(missing)}: {row}")
        rules.append(RoutingRule(
            id=row["id"], priority=int(row["priority"]), unit_code=row["unit_code"],
            category=row.get("category") or ANY, district=row.get("district") or ANY,
            street=row.get("street") or ANY,
            keywords=tuple(k for k in (row.get("keywords") or "").split("|") if k),
            note=row.get("note") or "",
        ))
    return rules


def rules_to_csv(rules: Iterable[RoutingRule]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for rule in rules:
        row = {name: getattr(rule, name) for name in _CSV_FIELDS}
        row["keywords"] = "|".join(rule.keywords)
        writer.writerow(row)
    return out.getvalue()


@dataclass(frozen=True)
class DispatchContext:
    """What is known about an order when it is dispatched."""

    text: str
    category: str | None
    category_confidence: float
    district: str | None
    street: str | None
    community: str | None = None
    merchant: str | None = None


@dataclass(frozen=True)
class Candidate:
    unit_code: str
    score: float
    support: int  # similar past orders that went there
    source: str  # "rule", "history" or "backstop"


@dataclass(frozen=True)
class DispatchDecision:
    """The router's answer; `unit_code` is None when the order waits for review."""

    unit_code: str | None
    unit_name: str | None
    confidence: float
    explanation: str
    rule_id: str | None
    backstop: bool
    needs_review: bool
    candidates: tuple[Candidate, ...] = ()


def _features(ctx: DispatchContext) -> list[str]:
    """What the ranker learns from: category levels, place, their pairs, merchant, text bigrams."""
    feats = []
    parts = (ctx.category or "").split("/") if ctx.category else []
    for i in range(1, len(parts) + 1):
        feats.append("c:" + "/".join(parts[:i]))
    if ctx.district:
        feats.append("d:" + ctx.district)
        if parts:
            feats.append(f"dc:{ctx.district}|{parts[0]}")
    if ctx.street:
        feats.append("s:" + ctx.street)
    if ctx.merchant:
        feats.append("m:" + ctx.merchant)
    text = ctx.text[:200]  # the title and the opening of the content carry the subject
    feats.extend({"w:" + text[i : i + 2] for i in range(len(text) - 1)})
    return feats


@dataclass
class DispatchRanker:
    """Naive Bayes over past dispatches; returns (退单) subtract and veto the refused unit.

    `learn` records that an order like `ctx` went to a unit; `penalise` records a return: the
    same context (category, district, street) will not go to that unit again, and similar ones
    count it less.
    """

    alpha: float = 0.1
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    totals: Counter[str] = field(default_factory=Counter)
    vetoes: dict[tuple, set[str]] = field(default_factory=lambda: defaultdict(set))
    keyed: dict[tuple, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @staticmethod
    def _key(ctx: DispatchContext) -> tuple:
        return (ctx.category, ctx.district, ctx.street)

    def learn(self, ctx: DispatchContext, unit_code: str, weight: float = 1.0) -> None:
        self.totals[unit_code] += weight
        for f in _features(ctx):
            self.counts[f][unit_code] += weight
        self.keyed[self._key(ctx)][unit_code] += weight
        self.vetoes[self._key(ctx)].discard(unit_code)

    def penalise(self, ctx: DispatchContext, unit_code: str, weight: float = 1.0) -> None:
        self.vetoes[self._key(ctx)].add(unit_code)
        self.totals[unit_code] = max(0.0, self.totals[unit_code] - weight)
        for f in _features(ctx):
            c = self.counts[f]
            c[unit_code] = max(0.0, c[unit_code] - weight)
        self.keyed[self._key(ctx)][unit_code] = 0

    def vetoed(self, ctx: DispatchContext) -> set[str]:
        """Units that returned an order of exactly this category and place."""
        return self.vetoes.get(self._key(ctx), set())

    def similar(self, ctx: DispatchContext, unit_code: str) -> int:
        """How many past orders with the same category and place went to `unit_code`."""
        return int(self.keyed.get(self._key(ctx), Counter())[unit_code])

    def rank(self, ctx: DispatchContext) -> list[tuple[str, float]]:
        """Units with their posterior probability, best first; refused units are left out."""
        vetoed = self.vetoed(ctx)
        units = [u for u, n in self.totals.items() if n > 0 and u not in vetoed]
        if not units:
            return []
        # Sparse naive Bayes: start every unit at "all features unseen", then add only the
        # features a unit has actually seen.
        grand = sum(self.totals.values()) + self.alpha * len(units)
        feats = [f for f in _features(ctx) if f in self.counts]
        vocabulary = max(len(self.counts), 1)
        log_alpha = math.log(self.alpha)
        logp = {}
        for u in units:
            total = math.log(self.totals[u] + self.alpha * vocabulary)
            prior = math.log((self.totals[u] + self.alpha) / grand)
            logp[u] = prior + len(feats) * (log_alpha - total)
        for f in feats:
            for u, n in self.counts[f].items():
                if n > 0 and u in logp:
                    logp[u] += math.log(n + self.alpha) - log_alpha
        top = max(logp.values())
        norm = sum(math.exp(v - top) for v in logp.values())
        ranked = ((u, math.exp(v - top) / norm) for u, v in logp.items())
        return sorted(ranked, key=lambda kv: kv[1], reverse=True)


class Router:
    """Rules first, then learned history, then the district backstop; low confidence → review."""

    def __init__(
        self,
        rules: Iterable[RoutingRule],
        units: Sequence[Unit],
        ranker: DispatchRanker | None = None,
        review_threshold: float = 0.5,
    ) -> None:
        self.rules = sorted(rules, key=lambda r: (r.priority, r.specificity), reverse=True)
        self.units = {u.code: u for u in units}
        self.ranker = ranker
        self.review_threshold = review_threshold
        self._territorial = {(u.kind, u.district, u.street if u.kind != UnitKind.DISTRICT else None):
                             u for u in units if u.is_territorial}
        self._community = {(u.district, u.street, u.name): u for u in units
                           if u.kind == UnitKind.COMMUNITY}
        # the rules an order can match, by its top-level category and district (each rule names at most one)
        self._roots = {_root(r.category) for r in self.rules} - {ANY}
        self._districts = {r.district for r in self.rules} - {ANY}
        self._shortlists: dict[tuple[str | None, str | None], list[RoutingRule]] = {}

    def _place_unit(self, role: str, ctx: DispatchContext) -> Unit | None:
        kind = PLACE_ROLES[role]
        if kind == UnitKind.DISTRICT:
            return self._territorial.get((kind, ctx.district, None)) if ctx.district else None
        if kind == UnitKind.STREET:
            return self._territorial.get((kind, ctx.district, ctx.street)) if ctx.street else None
        if not ctx.community:
            return None
        return self._community.get((ctx.district, ctx.street, ctx.community)) or next(
            (u for u in self._community.values() if ctx.community in (u.name, *u.aliases)), None)

    def _unit_of(self, rule: RoutingRule, ctx: DispatchContext) -> Unit | None:
        role: str | None = rule.unit_code
        if role not in PLACE_ROLES:
            return self.units.get(rule.unit_code)
        while role is not None:
            if unit := self._place_unit(role, ctx):
                return unit
            role = _LEVEL_UP.get(role)
        return None

    def _shortlist(self, ctx: DispatchContext) -> list[RoutingRule]:
        """The rules that can match `ctx` by its top-level category and district, in rank order. One list per
        (category, district) the rules name, plus one for any other; made on first use."""
        root = _root(ctx.category or "")
        key = (root if root in self._roots else None, ctx.district if ctx.district in self._districts else None)
        rules = self._shortlists.get(key)
        if rules is None:
            rules = [r for r in self.rules if (r.category == ANY or _root(r.category) == key[0])
                     and (r.district == ANY or r.district == key[1])]
            self._shortlists[key] = rules
        return rules

    def _matching_rules(self, ctx: DispatchContext) -> dict[str, RoutingRule]:
        """The units named by the best-ranked matching rules (several when they tie)."""
        top: dict[str, RoutingRule] = {}
        rank = None
        for rule in self._shortlist(ctx):
            if rank is not None and (rule.priority, rule.specificity) != rank:
                break
            if rule.matches(ctx) and (unit := self._unit_of(rule, ctx)):
                rank = (rule.priority, rule.specificity)
                top.setdefault(unit.code, rule)
        return top

    def _label(self, ctx: DispatchContext, unit_code: str) -> str:
        """History is kept by role where it can be ("went to its district"), so what is learned
        in one district carries over to the others."""
        for role in PLACE_ROLES:
            unit = self._place_unit(role, ctx)
            if unit is not None and unit.code == unit_code:
                return role
        return unit_code

    def learn(self, ctx: DispatchContext, unit_code: str) -> None:
        """Record a dispatch that stood (signed for and handled)."""
        if self.ranker is not None:
            self.ranker.learn(ctx, self._label(ctx, unit_code))

    def penalise(self, ctx: DispatchContext, unit_code: str) -> None:
        """Record a return (退单): this unit refused an order like `ctx`."""
        if self.ranker is not None:
            self.ranker.penalise(ctx, self._label(ctx, unit_code))

    def _vetoed(self, ctx: DispatchContext, unit_code: str) -> bool:
        return self.ranker is not None and self._label(ctx, unit_code) in self.ranker.vetoed(ctx)

    def _history(self, ctx: DispatchContext) -> dict[str, float]:
        """Unit code → probability from the ranker, roles resolved at this order's place."""
        history: dict[str, float] = defaultdict(float)
        for label, p in self.ranker.rank(ctx) if self.ranker else ():
            unit = self._place_unit(label, ctx) if label in PLACE_ROLES else self.units.get(label)
            if unit is not None:
                history[unit.code] += p
        return dict(sorted(history.items(), key=lambda kv: kv[1], reverse=True))

    def _candidates(self, ctx: DispatchContext) -> tuple[list[Candidate], dict[str, RoutingRule]]:
        by_unit = {c: r for c, r in self._matching_rules(ctx).items() if not self._vetoed(ctx, c)}
        history = self._history(ctx)
        if not by_unit:
            return [Candidate(c, round(p, 4), self._support(ctx, c), "history")
                    for c, p in list(history.items())[:5]], by_unit
        scores = {}
        for code, rule in by_unit.items():
            confidence = 0.95
            if rule.category != ANY:  # the rule is only as sure as the category it relies on
                confidence *= 0.5 + 0.5 * ctx.category_confidence
            if len(by_unit) > 1:  # tied rules: history shares the confidence out
                weight = sum(history.get(c, 0.0) for c in by_unit)
                confidence *= history.get(code, 0.0) / weight if weight else 1 / len(by_unit)
            scores[code] = confidence
        return [Candidate(c, round(v, 4), self._support(ctx, c), "rule")
                for c, v in scores.items()], by_unit

    def decide(self, ctx: DispatchContext) -> DispatchDecision:
        what = ctx.category or "uncategorised"
        where = (ctx.district or "") + (ctx.street or "") or "unknown place"
        candidates, by_unit = self._candidates(ctx)
        candidates.sort(key=lambda c: c.score, reverse=True)
        if candidates and candidates[0].score >= self.review_threshold:
            best = candidates[0]
            unit = self.units[best.unit_code]
            rule = by_unit.get(best.unit_code)
            how = f"by rule {rule.id}" if rule else "by dispatch history"
            if rule and len(by_unit) > 1:
                how += " (rules tied; history chose)"
            support = f"; {best.support} similar past orders went there" if best.support else ""
            backstop = bool(rule and rule.specificity == 0 and unit.kind == UnitKind.DISTRICT)
            if backstop:
                how += ": 首派负责、区级兜底 (district backstop)"
            return DispatchDecision(
                unit.code, unit.name, best.score, f"{what} at {where} → {unit.name} {how}{support}",
                rule.id if rule else None, backstop, False, tuple(candidates),
            )
        backstop = self._place_unit("{district}", ctx)
        if not candidates and backstop is not None:
            return DispatchDecision(
                backstop.code, backstop.name, self.review_threshold,
                f"{what} at {where} → {backstop.name}: no unit could be fixed; "
                "首派负责、区级兜底 (district backstop)",
                None, True, False, (Candidate(backstop.code, self.review_threshold, 0, "backstop"),),
            )
        if backstop is not None:
            candidates.append(Candidate(backstop.code, 0.0, 0, "backstop"))
        reason = (f"best {candidates[0].unit_code} at {candidates[0].score:.2f}" if candidates
                  else "no unit and no district")
        return DispatchDecision(
            None, None, candidates[0].score if candidates else 0.0,
            f"{what} at {where} → review queue ({reason}; threshold {self.review_threshold})",
            None, False, True, tuple(candidates),
        )

    def _support(self, ctx: DispatchContext, code: str) -> int:
        return self.ranker.similar(ctx, self._label(ctx, code)) if self.ranker else 0


REVIEW = "review"  # in a rule change's moves: the review queue, where no unit is fixed


@dataclass(frozen=True)
class RuleImpact:
    """What a rule change would do to past orders (规则变更影响评估), before it is made: how many would now
    go elsewhere, to the review queue or to the district backstop, and how often each set of rules agrees with
    the unit that really handled the order (after any return and reassignment)."""

    orders: int
    changed: int
    review: tuple[int, int]  # (now, with the proposed rules)
    backstop: tuple[int, int]
    handled: int  # orders that have a handling unit to compare with
    agree: tuple[int, int]  # of those, how many each set of rules would send there
    moves: tuple[tuple[str, str, int, tuple[str, ...]], ...]  # (from, to, orders, example codes), largest first

    @classmethod
    def of(cls, outcomes: Iterable[tuple[str, str | None, DispatchDecision, DispatchDecision]],
           examples: int = 3) -> RuleImpact:
        """From (order code, the unit handling it, today's decision, the proposed rules' decision)."""
        n = changed = handled = 0
        review, backstop, agree = [0, 0], [0, 0], [0, 0]
        moves: dict[tuple[str, str], list[str]] = defaultdict(list)
        for code, handler, now, proposed in outcomes:
            n += 1
            for i, decision in enumerate((now, proposed)):
                review[i] += decision.needs_review
                backstop[i] += decision.backstop
                agree[i] += handler is not None and decision.unit_code == handler
            handled += handler is not None
            if now.unit_code != proposed.unit_code:
                changed += 1
                moves[(now.unit_code or REVIEW, proposed.unit_code or REVIEW)].append(code)
        ranked = sorted(moves.items(), key=lambda m: (-len(m[1]), m[0]))
        return cls(n, changed, (review[0], review[1]), (backstop[0], backstop[1]), handled, (agree[0], agree[1]),
                   tuple((a, b, len(codes), tuple(codes[:examples])) for (a, b), codes in ranked))
