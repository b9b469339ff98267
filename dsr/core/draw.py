"""The stratified draw dsr-sha256/1: strata, cells, lowest tickets, batches, then teams."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from dataclasses import dataclass, fields, replace
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Sequence

from dsr.core.model import DrawInputs, Unit
from dsr.core.rules import Rules, Stratum, UnitFilter
from dsr.core.teams import (
    Attempt, PoolEntry, Removal, TeamAssignment, Workload, base_pool, check_teams, match,
)
from dsr.core.tickets import LABEL_BATCH, LABEL_UNIT, tickets
from dsr.errors import DrawError

ALGORITHM = "dsr-sha256/1"
NINE_SMALL = "九小场所"

DRAWN = "drawn"
NOT_DRAWN = "not_drawn"
EXCLUDED = "excluded"

REASON_STATUS = "单位状态为{status}"
REASON_NINE_SMALL = "九小场所不列入本次抽查"
REASON_EXCLUSION = "不列入随机抽查：{reason}"
REASON_NO_STRATUM = "未列入任何抽查层"
REASON_DRAWN_THIS_YEAR = "本年度已抽查"

__all__ = [
    "ALGORITHM", "Attempt", "Batch", "CellPlan", "DrawResult", "PoolEntry", "ReasonCount", "Removal",
    "StratumPlan", "TeamAssignment", "UnitOutcome", "Workload", "plan", "run_draw",
]


@dataclass(frozen=True)
class ReasonCount:
    """How many units were excluded for one reason."""

    reason: str
    count: int


@dataclass(frozen=True)
class CellPlan:
    """One cell of a stratum: the units sharing one effective ratio, drawn on their own."""

    cell: str  # "<stratum>/ALL", "<stratum>/COUNT" or "<stratum>/r=<effective ratio>"
    ratio: str | None  # effective ratio (RATIO), as a plain decimal string
    N: int
    n: int
    probability: str | None  # "n/N"; with priority, that of the units not drawn last year (None if none)
    priority_N: int | None  # units not drawn last year (None: priority off)
    probability_rest: str | None  # with priority: that of the units drawn last year (None if none)


@dataclass(frozen=True)
class StratumPlan:
    """One stratum's sizes, computed before the seed exists."""

    name: str
    mode: str
    N: int
    n: int
    cells: tuple[CellPlan, ...]
    excluded: tuple[ReasonCount, ...]  # units matching this stratum but excluded, by reason


@dataclass(frozen=True)
class UnitOutcome:
    """One unit of the inputs: where it fell and what happened to it."""

    key: str
    name: str
    stratum: str | None
    cell: str | None
    ticket: str  # lower-case hex of ticket(seed, LABEL_UNIT, key)
    status: str  # drawn / not_drawn / excluded
    reason: str | None  # why excluded
    batch: int | None
    probability: str | None  # exact inclusion probability "a/b" (None if excluded)


@dataclass(frozen=True)
class Batch:
    """One 批次: its number (from 1) and its drawn units in order."""

    number: int
    units: tuple[str, ...]


@dataclass(frozen=True)
class DrawResult:
    """Everything a draw produced; `to_plain` gives its canonical JSON form."""

    algorithm: str
    detachment: str
    brigade: str
    item_code: str
    inspection_date: dt.date
    seed: str  # lower-case hex
    strata: tuple[StratumPlan, ...]
    excluded: tuple[ReasonCount, ...]  # every excluded unit, by reason (also those in no stratum)
    units: tuple[UnitOutcome, ...]  # sorted by key
    batches: tuple[Batch, ...]
    pool: tuple[PoolEntry, ...]  # every inspector, judged for the whole draw
    batch_caps: tuple[int, ...]
    teams: tuple[TeamAssignment, ...]  # in batch order
    workload: tuple[Workload, ...]  # eligible inspectors, sorted by cert_no
    warnings: tuple[str, ...]


# ---------------------------------------------------------------- classification (no seed)


def matches(f: UnitFilter, u: Unit) -> bool:
    """Whether a unit passes a stratum filter (every set criterion must hold)."""
    return (
        (not f.unit_classes or u.unit_class in f.unit_classes)
        and (f.crowded is None or u.crowded == f.crowded)
        and (f.public_gathering is None or u.public_gathering == f.public_gathering)
        and (not f.key_categories or u.key_category in f.key_categories)
        and (not f.industries or u.industry in f.industries)
    )


def effective_ratio(rules: Rules, s: Stratum, u: Unit) -> Fraction:
    """A RATIO stratum's ratio for one unit: a hazard override, else min(1, base × multipliers)."""
    base = Fraction(s.ratio)  # type: ignore[arg-type]
    if not s.multipliers:
        return base
    for h in rules.hazard_industries:
        if h.industry == u.industry and h.ratio is not None:
            return Fraction(h.ratio)
    r = base * _factor(rules.credit_multipliers, u.credit) * _factor(rules.risk_multipliers, u.risk)
    for h in rules.hazard_industries:
        if h.industry == u.industry and h.multiplier is not None:
            r *= Fraction(h.multiplier)
    return min(Fraction(1), r)


def _factor(factors, level: str) -> Fraction:
    for f in factors:
        if f.level == level:
            return Fraction(f.value)
    return Fraction(1)


def ratio_text(r: Fraction) -> str:
    """A terminating fraction as a plain decimal string ("0.075", "1")."""
    with localcontext() as ctx:
        ctx.prec = 200  # products of short decimals terminate well within this
        d = (Decimal(r.numerator) / Decimal(r.denominator)).normalize()
    return format(d, "f")


def _cell_of(rules: Rules, index: int, u: Unit) -> tuple[int, str, Fraction | None]:
    s = rules.strata[index]
    if s.mode == "RATIO":
        r = effective_ratio(rules, s, u)
        return index, f"{s.name}/r={ratio_text(r)}", r
    return index, f"{s.name}/{s.mode}", None


@dataclass(frozen=True)
class Placement:
    """Where every unit fell, before the seed: columns in the order of inputs.units.

    Columns rather than one object per unit, because a million small objects cost seconds.
    """

    stratum: tuple[int, ...]  # index into rules.strata, -1 for none
    cell: tuple[str | None, ...]
    reason: tuple[str | None, ...]  # exclusion reason, None if the unit is a candidate
    cells: tuple[tuple[str, int, Fraction | None, tuple[str, ...], tuple[str, ...]], ...]
    # per cell: (cell, stratum index, effective ratio, candidate keys not drawn last year, the others)


def _signature(u: Unit) -> tuple:
    # Every field the strata, multipliers and the status rules read; units sharing it share a cell.
    return (u.unit_class, u.crowded, u.public_gathering, u.key_category, u.industry, u.credit, u.risk, u.status)


def _history_sets(inputs: DrawInputs) -> tuple[set[str], set[str]]:
    day = inputs.inspection_date
    this_year = {h.unit_key for h in inputs.history if h.date.year == day.year and h.date < day}
    last_year = {h.unit_key for h in inputs.history if h.date.year == day.year - 1}
    return this_year, last_year


def _exclusion_reasons(inputs: DrawInputs) -> dict[str, str]:
    day = inputs.inspection_date
    out: dict[str, str] = {}
    for e in sorted(inputs.exclusions, key=lambda e: (e.unit_key, e.reason)):
        valid = (e.valid_from is None or e.valid_from <= day) and (e.valid_to is None or day <= e.valid_to)
        if valid and e.unit_key not in out:  # the first reason in sorted order wins
            out[e.unit_key] = REASON_EXCLUSION.format(reason=e.reason)
    return out


def _check_unique(units: Sequence[Unit]) -> None:
    keys = [u.key for u in units]
    if len(set(keys)) != len(keys):
        counts = Counter(keys)
        dups = sorted(k for k, c in counts.items() if c > 1)
        raise DrawError("单位代码重复，无法抽取：" + "、".join(f"「{k}」出现 {counts[k]} 次" for k in dups))


def _where(rules: Rules, u: Unit) -> tuple[int, str | None, Fraction | None, str | None]:
    """Stratum, cell, ratio and the unit-independent part of the exclusion reason (status, 九小场所)."""
    index = next((i for i, s in enumerate(rules.strata) if matches(s.filter, u)), -1)
    index, cell, ratio = _cell_of(rules, index, u) if index >= 0 else (-1, None, None)
    if u.status not in rules.eligible_statuses:
        return index, cell, ratio, REASON_STATUS.format(status=u.status)
    if u.unit_class == NINE_SMALL and not rules.include_nine_small:
        return index, cell, ratio, REASON_NINE_SMALL
    return index, cell, ratio, None


def place(inputs: DrawInputs) -> Placement:
    """Stratum, cell and exclusion of every unit; the first reason in the documented order wins."""
    rules: Rules = inputs.rules  # type: ignore[assignment]
    _check_unique(inputs.units)
    this_year, last_year = _history_sets(inputs)
    excluded = _exclusion_reasons(inputs)
    skip_this_year = [_exclude_this_year(rules, s) for s in rules.strata]
    cache: dict[tuple, tuple[int, str | None, Fraction | None, str | None]] = {}
    strata, cells, reasons = [], [], []
    members: dict[str, tuple[int, Fraction | None, list[str], list[str]]] = {}
    for u in inputs.units:
        sig = _signature(u)
        where = cache.get(sig)
        if where is None:
            where = cache[sig] = _where(rules, u)
        index, cell, ratio, reason = where
        key = u.key
        if reason is None:
            if key in excluded:
                reason = excluded[key]
            elif index < 0:
                reason = REASON_NO_STRATUM
            elif key in this_year and skip_this_year[index]:
                reason = REASON_DRAWN_THIS_YEAR
            else:
                m = members.get(cell)  # type: ignore[arg-type]
                if m is None:
                    m = members[cell] = (index, ratio, [], [])  # type: ignore[index]
                m[3 if rules.priority_not_drawn_last_year and key in last_year else 2].append(key)
        strata.append(index)
        cells.append(cell)
        reasons.append(reason)
    # cells in stratum order, then ascending effective ratio; ALL and COUNT strata have one cell
    order = sorted(members, key=lambda c: (members[c][0], members[c][1] or 0))
    table = tuple((c, members[c][0], members[c][1], tuple(members[c][2]), tuple(members[c][3])) for c in order)
    return Placement(tuple(strata), tuple(cells), tuple(reasons), table)


def _exclude_this_year(rules: Rules, s: Stratum) -> bool:
    return rules.exclude_drawn_this_year if s.exclude_drawn_this_year is None else s.exclude_drawn_this_year


# ---------------------------------------------------------------- sizes (no seed)


def _round(x: Fraction, rounding: str) -> int:
    if rounding == "ceil":
        return -((-x.numerator) // x.denominator)
    if rounding == "floor":
        return x.numerator // x.denominator
    return (x + Fraction(1, 2)).numerator // (x + Fraction(1, 2)).denominator  # half_up


def cell_size(rules: Rules, s: Stratum, N: int, ratio: Fraction | None) -> int:
    """n of one cell: ALL → N; COUNT → count; RATIO → round(N × r); then minimum, maximum, N."""
    if s.mode == "ALL":
        return N
    raw = s.count if s.mode == "COUNT" else _round(N * ratio, rules.rounding)  # type: ignore[operator]
    positive = (s.count or 0) > 0 if s.mode == "COUNT" else ratio > 0  # type: ignore[operator]
    n = max(raw, s.minimum) if positive else raw  # type: ignore[type-var]
    if s.maximum is not None:
        n = min(n, s.maximum)
    return min(n, N)


def _cell_plan(rules: Rules, s: Stratum, cell: str, ratio: Fraction | None, first: int, rest: int) -> CellPlan:
    N = first + rest
    n = cell_size(rules, s, N, ratio)
    text = ratio_text(ratio) if ratio is not None else None
    if not rules.priority_not_drawn_last_year:
        return CellPlan(cell, text, N, n, f"{n}/{N}", None, None)
    taken = min(n, first)
    return CellPlan(cell, text, N, n, f"{taken}/{first}" if first else None, first,
                    f"{n - taken}/{rest}" if rest else None)


def _plan_from(inputs: DrawInputs, placed: Placement) -> tuple[StratumPlan, ...]:
    plans = _sizes(inputs, placed)
    _check_capacity(inputs, plans)
    if sum(p.n for p in plans):
        candidates = [u for u, r, c in zip(inputs.units, placed.reason, placed.cell) if r is None and c is not None]
        check_teams(inputs, candidates)
    return plans


def _sizes(inputs: DrawInputs, placed: Placement) -> tuple[StratumPlan, ...]:
    rules: Rules = inputs.rules  # type: ignore[assignment]
    excluded: list[Counter] = [Counter() for _ in rules.strata]
    for index, reason in zip(placed.stratum, placed.reason):
        if index >= 0 and reason is not None:
            excluded[index][reason] += 1
    out = []
    for i, s in enumerate(rules.strata):
        cells = tuple(_cell_plan(rules, s, c, ratio, len(first), len(rest))
                      for c, si, ratio, first, rest in placed.cells if si == i)
        out.append(StratumPlan(s.name, s.mode, sum(c.N for c in cells), sum(c.n for c in cells), cells,
                               tuple(ReasonCount(r, k) for r, k in sorted(excluded[i].items()))))
    return tuple(out)


def _check_capacity(inputs: DrawInputs, plans: tuple[StratumPlan, ...]) -> None:
    """Refuse a draw the inspectors cannot cover: team size, and the per-inspector cap."""
    rules: Rules = inputs.rules  # type: ignore[assignment]
    total = sum(p.n for p in plans)
    if total == 0:
        return
    team = rules.team
    pool = base_pool(inputs)
    available = sum(1 for p in pool if p.eligible)
    leaders = sum(1 for p in pool if p.eligible and p.can_lead)
    all_part = "".join(f"（其中「{p.name}」全部抽取 {p.n} 家）" for p in plans if p.mode == "ALL" and p.n)
    if available < team.size or leaders == 0:
        raise DrawError(
            f"{rules.brigade}：本次应抽取 {total} 家单位{all_part}，每组需 {team.size} 人且至少 1 名可任组长，"
            f"但符合条件的检查人员只有 {available} 名（其中可任组长 {leaders} 名），无法组成检查组。"
        )
    cap = team.max_units_per_inspector
    if cap is not None and total * team.size > available * cap:
        raise DrawError(
            f"{rules.brigade}：本次应抽取 {total} 家单位{all_part}，每家需 {team.size} 名检查人员，"
            f"共 {total * team.size} 人次；符合条件的检查人员 {available} 名、每人本次最多 {cap} 家，"
            f"最多 {available * cap} 人次，无法覆盖。请调整抽查比例、team.max_units_per_inspector 或人员名录。"
        )
    if cap is not None and total > leaders * cap:  # every team needs its own leader
        raise DrawError(
            f"{rules.brigade}：本次应抽取 {total} 家单位{all_part}，每家需 1 名组长；可任组长的检查人员 {leaders} 名、"
            f"每人本次最多 {cap} 家，最多 {leaders * cap} 家，无法覆盖。请调整抽查比例、team.max_units_per_inspector、"
            f"组长条件或人员名录。"
        )


def plan(inputs: DrawInputs) -> tuple[StratumPlan, ...]:
    """Strata and cells with N, n and exact probabilities, computed without the seed.

    Raises DrawError for duplicate unit keys, for a draw the inspectors cannot cover, and for a
    candidate unit that could get no team whoever is drawn (recusal and rotation are known now).
    """
    return _plan_from(inputs, place(inputs))


# ---------------------------------------------------------------- the draw (seed)


def _select(plans: tuple[StratumPlan, ...], placed: Placement, unit_tickets: dict[str, bytes]) -> set[str]:
    """In every cell, the n units with the lowest (priority group, ticket, key).

    Cell lists are in key order and nsmallest is stable, so equal tickets fall back to the key.
    """
    sizes = {c.cell: c.n for sp in plans for c in sp.cells}
    drawn: set[str] = set()
    by_ticket = unit_tickets.__getitem__
    for cell, _, _, first, rest in placed.cells:
        n = sizes[cell]
        taken = heapq.nsmallest(n, first, key=by_ticket)
        drawn.update(taken)
        if n > len(taken):  # with priority, the units drawn last year come second
            drawn.update(heapq.nsmallest(n - len(taken), rest, key=by_ticket))
    return drawn


def _batches(seed: bytes, rules: Rules, drawn: list[tuple[int, str]]) -> tuple[Batch, ...]:
    """Order drawn units (stratum index, key) by the batch rule; cut into near-equal parts."""
    bt = tickets(seed, LABEL_BATCH, sorted(k for _, k in drawn))
    if rules.batches.order == "stratum":
        order = sorted(drawn, key=lambda d: (d[0], bt[d[1]], d[1]))
    else:
        order = sorted(drawn, key=lambda d: (bt[d[1]], d[1]))
    keys = [k for _, k in order]
    count = min(rules.batches.count, len(keys))
    size, extra = divmod(len(keys), count) if count else (0, 0)
    out, start = [], 0
    for b in range(count):
        end = start + size + (1 if b < extra else 0)  # the first `extra` batches take one more
        out.append(Batch(b + 1, tuple(keys[start:end])))
        start = end
    return tuple(out)


_NEW = object.__new__
_SET = object.__setattr__
_OUTCOME_FIELDS = tuple(f.name for f in fields(UnitOutcome))


def _outcome(*values) -> UnitOutcome:
    """A UnitOutcome equal to UnitOutcome(*values), built without the frozen __init__ (5x faster).

    A draw makes one per unit; at a million units the ordinary constructor alone costs seconds.
    """
    o = _NEW(UnitOutcome)
    _SET(o, "__dict__", dict(zip(_OUTCOME_FIELDS, values)))
    return o


def _outcomes(units: Sequence[Unit], placed: Placement, plans: tuple[StratumPlan, ...], unit_tickets: dict[str, bytes],
              drawn: set[str], batch_of: dict[str, int], rules: Rules) -> tuple[UnitOutcome, ...]:
    names = [s.name for s in rules.strata]
    probability: dict[tuple[str | None, bool], str] = {}
    for sp in plans:
        for c in sp.cells:
            probability[(c.cell, False)] = c.probability  # type: ignore[assignment]
            probability[(c.cell, True)] = c.probability_rest  # type: ignore[assignment]
    later = {k for _, _, _, _, rest in placed.cells for k in rest}  # drawn last year, with priority on
    out = []
    for u, index, cell, reason in zip(units, placed.stratum, placed.cell, placed.reason):
        key = u.key
        stratum = names[index] if index >= 0 else None
        t = unit_tickets[key].hex()
        if reason is not None:
            out.append(_outcome(key, u.name, stratum, cell, t, EXCLUDED, reason, None, None))
        elif key in drawn:
            out.append(_outcome(key, u.name, stratum, cell, t, DRAWN, None, batch_of[key],
                                probability[(cell, key in later)]))
        else:
            out.append(_outcome(key, u.name, stratum, cell, t, NOT_DRAWN, None, None, probability[(cell, key in later)]))
    return tuple(out)


def run_draw(seed: bytes, inputs: DrawInputs) -> DrawResult:
    """Draw units, cut batches and match teams: a pure function of the seed and the inputs."""
    rules: Rules = inputs.rules  # type: ignore[assignment]
    inputs = replace(inputs, units=tuple(sorted(inputs.units, key=lambda u: u.key)))  # row order never matters
    units = inputs.units
    placed = place(inputs)
    plans = _plan_from(inputs, placed)
    unit_tickets = tickets(seed, LABEL_UNIT, [u.key for u in units])
    drawn = _select(plans, placed, unit_tickets)
    batches = _batches(seed, rules, [(i, u.key) for u, i in zip(units, placed.stratum) if u.key in drawn])
    batch_of = {k: b.number for b in batches for k in b.units}
    by_key = {u.key: u for u in units if u.key in batch_of}
    teams = match(seed, inputs, [[by_key[k] for k in b.units] for b in batches])
    outcomes = _outcomes(units, placed, plans, unit_tickets, drawn, batch_of, rules)
    reasons = Counter(r for r in placed.reason if r is not None)
    return DrawResult(
        ALGORITHM, inputs.detachment, inputs.brigade, rules.item_code, inputs.inspection_date, seed.hex(),
        plans, tuple(ReasonCount(r, k) for r, k in sorted(reasons.items())), outcomes, batches,
        teams.pool, teams.batch_caps, teams.teams, teams.workload, teams.warnings,
    )
