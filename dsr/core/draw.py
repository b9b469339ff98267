"""The stratified draw dsr-sha256/1: strata, cells, lowest tickets, batches, then teams."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import partial
from itertools import compress, count, islice
from math import isqrt
from operator import attrgetter, eq, itemgetter, lt
from typing import NamedTuple

from dsr.core.model import DrawInputs, Mapped, TupleView, Unit, UnitTable
from dsr.core.rules import BATCH_ORDERS, MODES, ROUNDINGS, Rules, Stratum, UnitFilter
from dsr.core.teams import (
    Attempt,
    PoolEntry,
    Removal,
    TeamAssignment,
    Unfrozen,
    Workload,
    base_pool,
    check_teams,
    match,
)
from dsr.core.tickets import (
    LABEL_BATCH,
    LABEL_UNIT,
    TicketFunction,
    joined_tickets,
    split_tickets,
    ticket,
    ticket_list,
)
from dsr.core import tickets as _tickets
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
    "StratumPlan", "TeamAssignment", "UnitOutcome", "UnitOutcomes", "Workload", "plan", "run_draw",
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
    units: tuple[UnitOutcome, ...]  # sorted by key; run_draw gives a UnitOutcomes, which reads as this tuple
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
class Where:
    """What every unit with one profile shares: stratum index (-1 none), cell, ratio, status reason."""

    stratum: int
    cell: str | None
    ratio: Fraction | None
    reason: str | None  # 单位状态 / 九小场所, else None


class Profile(NamedTuple):
    """Every unit field the strata, multipliers and status rules may read; units sharing it share a Where."""

    unit_class: str
    crowded: bool
    public_gathering: bool
    key_category: str | None
    industry: str | None
    credit: str
    risk: str
    status: str


_NO_PROFILE = dict.fromkeys(Profile._fields)


def profile_fields(rules: Rules) -> tuple[str, ...]:
    """The Profile fields these rules read (in Profile order): all that classification needs from each unit.

    状态 always (§6.3 rule 1); 单位类别 for a filter on it or to leave out 九小场所; the other fields only for a
    filter or a multiplier that reads them. A field no rule reads cannot change any unit's stratum, cell or
    reason, so it is not read a million times (_where sees None for it, and never looks).
    """
    used = {"status"}
    if not rules.include_nine_small:
        used.add("unit_class")
    for s in rules.strata:
        f = s.filter
        if f.unit_classes:
            used.add("unit_class")
        if f.crowded is not None:
            used.add("crowded")
        if f.public_gathering is not None:
            used.add("public_gathering")
        if f.key_categories:
            used.add("key_category")
        if f.industries:
            used.add("industry")
        if s.mode == "RATIO" and s.multipliers:  # effective_ratio reads these only through non-empty tables
            if rules.hazard_industries:
                used.add("industry")
            if rules.credit_multipliers:
                used.add("credit")
            if rules.risk_multipliers:
                used.add("risk")
    return tuple(f for f in Profile._fields if f in used)


def _profile(fields: tuple[str, ...], values: tuple) -> Profile:
    return Profile(**{**_NO_PROFILE, **dict(zip(fields, values))})


@dataclass(frozen=True)
class Columns:
    """The per-unit columns a draw reads, in key order."""

    inputs: DrawInputs  # with units sorted by key
    keys: Sequence[str]  # a list, or a UnitTable's own tuple
    names: Sequence[str]  # read from the units when asked for
    where_of: list[int]  # per unit: the position of the first unit with its profile (its Where id)
    profiles: dict[tuple, int]  # each distinct profile (its values of `fields`) → its Where id, ascending
    fields: tuple[str, ...]  # profile_fields(rules)
    order: list[int] | None  # if the given units were not sorted by key: the given position of each sorted one


_key = attrgetter("key")


def read_units(inputs: DrawInputs) -> Columns:
    """Key and profile (the fields the rules read) of every unit, in key order; refuses duplicate keys.

    Frozen inputs (dsr.core.freeze) hold their units as a model.UnitTable: the profiles come from its rows,
    which lie side by side in key order, the keys from its key column, and the names, which only the outcomes
    show, are read from the rows when asked for. Other inputs (a tuple of Units) take two passes over the unit
    objects, where each field read costs about as much as reading the object (a cache miss each). A strictly
    ascending key column (the usual case) needs no sort and no set.
    """
    fields = profile_fields(inputs.rules)  # type: ignore[arg-type]
    units = inputs.units
    ids: dict = {}
    if isinstance(units, UnitTable):  # frozen inputs: read from its rows, side by side in memory
        where_of = list(map(ids.setdefault, units.values(fields), count()))
        keys = units.keys  # the table's tuple: no new million-entry container for the collector to walk
    else:
        where_of = list(map(ids.setdefault, map(attrgetter(*fields), units), count()))
        keys = list(map(_key, units))
    order = None
    if not (units.keys_ascending() if isinstance(units, UnitTable) else all(map(lt, keys, islice(keys, 1, None)))):
        order = sorted(range(len(keys)), key=keys.__getitem__)
        keys = list(map(keys.__getitem__, order))
        if any(map(eq, keys, islice(keys, 1, None))):
            _check_unique(keys)
        inputs = replace(inputs, units=units.take(order) if isinstance(units, UnitTable)
                         else tuple(map(units.__getitem__, order)))
        renamed: dict[int, int] = {}  # id by given position → id by sorted position
        where_of = list(map(renamed.setdefault, map(where_of.__getitem__, order), count()))
        ids = {values: renamed[i] for values, i in ids.items()}
    if len(fields) == 1:  # attrgetter of one field gives the value itself
        ids = {(value,): i for value, i in ids.items()}
    profiles = dict(sorted(ids.items(), key=itemgetter(1)))
    units = inputs.units
    names = units.field("name") if isinstance(units, UnitTable) else Mapped(units, attrgetter("name"))
    return Columns(inputs, keys, names, where_of, profiles, fields, order)


@dataclass(frozen=True)
class Cell:
    """One cell's candidates, described without listing them (a million-unit list costs seconds)."""

    cell: str
    stratum: int
    ratio: Fraction | None
    wheres: frozenset[int]  # the profiles (Where ids) whose candidates it holds
    N: int
    rest: tuple[int, ...]  # with priority on: positions of its candidates drawn last year, ascending


@dataclass(frozen=True)
class Placement:
    """Where every unit fell, before the seed.

    Units are named by their position in key order; per unit only the id of its Where, because a million
    small objects cost seconds. A Where id is the position of the first unit with that profile.
    """

    wheres: dict[int, Where]  # by id, in first-seen order
    shared: dict[int, str | None]  # per Where id: the reason all its units share (§6.3 rules 1, 2 and 4), or None
    where_of: list[int]  # per unit position: its Where id
    counts: Counter  # per Where id: its units
    keys: list[str]  # per unit position: its key
    names: Sequence[str]  # per unit position: its name
    reasons: dict[int, tuple[str, int]]  # unit position → (a reason of its own, stratum index or -1)
    later: frozenset[int]  # with priority on: positions of the candidates drawn last year
    cells: tuple[Cell, ...]  # in stratum order, then ascending effective ratio; only cells with candidates

    def reason_of(self, position: int) -> str | None:
        """The one exclusion reason of a unit, or None for a candidate."""
        own = self.reasons.get(position)
        return own[0] if own is not None else self.shared[self.where_of[position]]


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


def _check_unique(keys: Sequence[str]) -> None:
    if len(set(keys)) != len(keys):
        counts = Counter(keys)
        dups = sorted(k for k, c in counts.items() if c > 1)
        raise DrawError("单位代码重复，无法抽取：" + "、".join(f"「{k}」出现 {counts[k]} 次" for k in dups))


def _where(rules: Rules, u: Unit | Profile) -> Where:
    """Stratum, cell, ratio and the reasons that depend only on the profile, in documented order."""
    index = next((i for i, s in enumerate(rules.strata) if matches(s.filter, u)), -1)  # type: ignore[arg-type]
    index, cell, ratio = _cell_of(rules, index, u) if index >= 0 else (-1, None, None)  # type: ignore[arg-type]
    if u.status not in rules.eligible_statuses:
        return Where(index, cell, ratio, REASON_STATUS.format(status=u.status))
    if u.unit_class == NINE_SMALL and not rules.include_nine_small:
        return Where(index, cell, ratio, REASON_NINE_SMALL)
    return Where(index, cell, ratio, None)


def _own_reason(rules: Rules, where: Where, key: str, excluded: dict[str, str], this_year: set[str]) -> str | None:
    """Reasons 3–5 of §6.3 for a unit whose profile gave none."""
    if key in excluded:
        return excluded[key]
    if where.stratum < 0:
        return REASON_NO_STRATUM
    if key in this_year and _exclude_this_year(rules, rules.strata[where.stratum]):
        return REASON_DRAWN_THIS_YEAR
    return None


def check_rules(rules: Rules) -> None:
    """Refuse rules the loader would have refused, when they arrive another way (e.g. a record's JSON)."""
    problems = []
    for i, s in enumerate(rules.strata, start=1):
        if s.mode not in MODES:
            problems.append(f"第 {i} 个抽查层的 mode 应为 ALL、RATIO、COUNT 之一")
        if s.mode == "RATIO" and (s.ratio is None or not 0 <= s.ratio <= 1):
            problems.append(f"第 {i} 个抽查层的抽查比例应在 0 到 1 之间")
        if s.mode == "COUNT" and (s.count is None or s.count < 0):
            problems.append(f"第 {i} 个抽查层的抽取家数不能为负数")
        if s.minimum < 0 or (s.maximum is not None and s.maximum < 0):
            problems.append(f"第 {i} 个抽查层的最少、最多家数不能为负数")
    if rules.team.size < 2:
        problems.append(f"检查组人数不得少于 2 人（实际为 {rules.team.size}）")
    if rules.batches.count < 1 or rules.rounding not in ROUNDINGS or rules.batches.order not in BATCH_ORDERS:
        problems.append("批次数须至少为 1，取整方式与批次顺序须为规定取值")
    if problems:
        raise DrawError("抽查细则不合规，拒绝抽取：" + "；".join(problems))


def place(inputs: DrawInputs, columns: Columns | None = None) -> Placement:
    """Stratum, cell and exclusion of every unit; the first reason in the documented order wins.

    The rules are applied once per distinct profile (first-seen order); per unit only C-level look-ups
    remain. `columns` (run_draw's read_units, keys known to be unique) saves reading the units again.
    """
    rules: Rules = inputs.rules  # type: ignore[assignment]
    if columns is None:
        check_rules(rules)
        columns = read_units(inputs)
    else:
        check_rules(rules)
    keys, where_of = columns.keys, columns.where_of
    this_year, last_year = _history_sets(inputs)
    excluded = _exclusion_reasons(inputs)
    wheres = {i: _where(rules, _profile(columns.fields, values)) for values, i in columns.profiles.items()}
    shared = {i: w.reason or (REASON_NO_STRATUM if w.stratum < 0 else None) for i, w in wheres.items()}
    counts = Counter(where_of)
    reasons: dict[int, tuple[str, int]] = {}
    special = set(excluded) | this_year  # the only keys that may have a reason of their own (§6.3 rules 3, 5)
    if special:
        for i in compress(range(len(keys)), map(special.__contains__, keys)):
            w = wheres[where_of[i]]
            if w.reason is None and (own := _own_reason(rules, w, keys[i], excluded, this_year)):
                reasons[i] = (own, w.stratum)
    groups: dict[str, list[int]] = {}  # cell → the Where ids of its candidates
    for i, w in wheres.items():
        if shared[i] is None:
            groups.setdefault(w.cell, []).append(i)  # type: ignore[arg-type]
    sizes = {cell: sum(counts[i] for i in ids_) for cell, ids_ in groups.items()}
    cell_of = {i: cell for cell, ids_ in groups.items() for i in ids_}
    for i in reasons:  # a reason of its own takes a candidate out of its cell
        if (cell := cell_of.get(where_of[i])) is not None:
            sizes[cell] -= 1
    later: set[int] = set()
    rest: dict[str, list[int]] = {cell: [] for cell in groups}
    if rules.priority_not_drawn_last_year and last_year:
        for i in compress(range(len(keys)), map(last_year.__contains__, keys)):
            if (cell := cell_of.get(where_of[i])) is not None and i not in reasons:
                later.add(i)
                rest[cell].append(i)
    info = {w.cell: (w.stratum, w.ratio) for w in wheres.values() if w.cell in groups}
    cells = tuple(Cell(cell, info[cell][0], info[cell][1], frozenset(groups[cell]), sizes[cell], tuple(rest[cell]))
                  for cell in sorted((c for c in groups if sizes[c]), key=lambda c: (info[c][0], info[c][1] or 0)))
    return Placement(wheres, shared, where_of, counts, keys, columns.names, reasons, frozenset(later), cells)


def _exclude_this_year(rules: Rules, s: Stratum) -> bool:
    return rules.exclude_drawn_this_year if s.exclude_drawn_this_year is None else s.exclude_drawn_this_year


def _candidate_keys(placed: Placement) -> set[str]:
    """Keys of every candidate unit (in some cell, no reason of its own)."""
    flags = {i: r is None for i, r in placed.shared.items()}
    keys = set(compress(placed.keys, map(flags.__getitem__, placed.where_of)))
    return keys.difference(placed.keys[i] for i in placed.reasons)


def _members(placed: Placement, cells: Sequence[Cell]) -> dict[str, list[int]]:
    """Positions of the candidates of each of `cells` not drawn last year, ascending (one pass over the units)."""
    if not cells:
        return {}
    own, later, where_of = placed.reasons, placed.later, placed.where_of
    if len(cells) == 1:
        (c,) = cells
        found = {c.cell: compress(range(len(where_of)), map(c.wheres.__contains__, where_of))}
    else:
        lists: dict[str, list[int]] = {c.cell: [] for c in cells}
        appends = {i: lists[c.cell].append for c in cells for i in c.wheres}
        get = appends.get
        for i, wi in enumerate(where_of):
            if (add := get(wi)) is not None:
                add(i)
        found = lists  # type: ignore[assignment]
    if not own and not later:
        return {cell: list(members) for cell, members in found.items()}
    return {cell: [i for i in members if i not in own and i not in later] for cell, members in found.items()}


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
        check_teams(inputs, _Lazy(lambda: _candidate_keys(placed)))
    return plans


class _Lazy:
    """A set built on the first membership test (check_teams asks only when some unit has removals)."""

    def __init__(self, make):
        self._make, self._set = make, None

    def __contains__(self, key: object) -> bool:
        if self._set is None:
            self._set = self._make()
        return key in self._set


def _sizes(inputs: DrawInputs, placed: Placement) -> tuple[StratumPlan, ...]:
    rules: Rules = inputs.rules  # type: ignore[assignment]
    excluded: list[Counter] = [Counter() for _ in rules.strata]
    for wi, n in placed.counts.items():
        w, reason = placed.wheres[wi], placed.shared[wi]
        if w.stratum >= 0 and reason is not None:
            excluded[w.stratum][reason] += n
    for reason, stratum in placed.reasons.values():
        if stratum >= 0:
            excluded[stratum][reason] += 1
    out = []
    for i, s in enumerate(rules.strata):
        cells = tuple(_cell_plan(rules, s, c.cell, c.ratio, c.N - len(c.rest), len(c.rest))
                      for c in placed.cells if c.stratum == i)
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


@contextmanager
def collector_paused():
    """The cyclic garbage collector paused, then restored as it was.

    A draw of a million units makes millions of objects and no reference cycles; each full collection
    meanwhile re-reads every object made so far (and the inputs), which cost more than building the
    result. Nothing about the draw depends on it.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def plan(inputs: DrawInputs) -> tuple[StratumPlan, ...]:
    """Strata and cells with N, n and exact probabilities, computed without the seed.

    Raises DrawError for duplicate unit keys, for a draw the inspectors cannot cover, and for a
    candidate unit that could get no team whoever is drawn (recusal and rotation are known now).
    """
    with collector_paused():
        return _plan_from(inputs, place(inputs))


# ---------------------------------------------------------------- the draw (seed)


_SPACE = 1 << 256  # tickets are 256-bit big-endian integers


def _limit(n: int, size: int, margin: int = 1) -> int:
    """A ticket bound (as an integer) below which about n + 4√n + 16 of `size` uniform tickets fall."""
    return (n + 4 * isqrt(n) + 16) * margin * _SPACE // size


def _bound(limit: int, like: bytes | str) -> bytes | str:
    """A bound of the same kind as the tickets: 32 bytes, or their lower-case hex (which sorts the same)."""
    b = limit.to_bytes(32, "big")
    return b.hex() if isinstance(like, str) else b


def _cell_bounds(plans: tuple[StratumPlan, ...], placed: Placement) -> tuple[dict[str, bytes], dict[int, bytes]]:
    """Per cell, a ticket bound a little above its expected n-th lowest ticket (see _lowest), and per Where id
    the bound its units are compared with (b"" below which no ticket lies: excluded units, cells without one)."""
    sizes = {c.cell: c.n for sp in plans for c in sp.cells}
    bounds: dict[str, bytes] = {}
    for c in placed.cells:
        first = c.N - len(c.rest)
        take = min(sizes[c.cell], first)
        if 0 < take < first and (limit := _limit(take, first)) < _SPACE:
            bounds[c.cell] = limit.to_bytes(32, "big")
    cell_of = {i: w.cell for i, w in placed.wheres.items()}
    by_where = {i: bounds.get(cell_of[i], b"") if r is None else b""  # type: ignore[arg-type]
                for i, r in placed.shared.items()}
    return bounds, by_where


BLOB = 4096  # keys joined per buffer (key_blobs); dsr.parallel's chunks are a multiple of it


def key_blobs(keys: Sequence[str]) -> list[bytes]:
    """The keys, BLOB at a time, joined by 0x00 and UTF-8 encoded.

    A forked worker hashing from these few buffers touches no key object, so it copies far fewer of the
    parent's pages than one slicing the key list (every key's reference count is written): about 13,000
    instead of 25,000 page faults for half of a million keys. In one process it costs the same as encoding
    each key (measured on the 1,000,000-unit bench).
    """
    return ["\x00".join(keys[a:a + BLOB]).encode("utf-8") for a in range(0, len(keys), BLOB)]


def unit_chunk(seed: bytes, blobs: Sequence[bytes], n: int, where_of: Sequence[int], by_where: dict[int, bytes],
               start: int, end: int) -> tuple[bytes, bytes]:
    """The unit tickets of keys[start:end] (32 bytes each, joined) and, per unit, 1 if its ticket lies below its
    cell's bound (_cell_bounds), else 0: a pure function of its arguments (blobs = key_blobs(keys), n keys),
    run in any process on any range. A key holding NUL is refused."""
    first, last = start // BLOB, -(-end // BLOB)
    buffer = b"".join(joined_tickets(seed, LABEL_UNIT, blobs[b], min(BLOB, n - b * BLOB)) for b in range(first, last))
    skip = start - first * BLOB
    if skip or len(buffer) != 32 * (end - start):
        buffer = buffer[32 * skip:32 * (skip + end - start)]
    if _tickets._fast is not None and where_of.__class__ is list:
        return buffer, _tickets._fast.below(buffer, where_of, start, by_where)
    return buffer, bytes(map(lt, split_tickets(buffer), map(by_where.__getitem__, islice(where_of, start, end))))


def _select(plans: tuple[StratumPlan, ...], placed: Placement, unit_tickets: Sequence[bytes],
            flags: bytes) -> list[int]:
    """In every cell, the n units with the lowest (priority group, ticket, key); their positions.

    `flags` (unit_chunk) marks the units whose ticket is below their cell's bound: per cell, the group-0
    candidates among them are sorted; a cell where fewer than needed fall below it, or that takes all of a
    group, is drawn by _lowest on its members.
    """
    sizes = {c.cell: c.n for sp in plans for c in sp.cells}
    keys, where_of, own, later = placed.keys, placed.where_of, placed.reasons, placed.later
    bounds, _ = _cell_bounds(plans, placed)
    below: dict[str, list[int]] = {cell: [] for cell in bounds}
    if bounds:
        cell_of = {i: placed.wheres[i].cell for i in placed.wheres}
        for i in compress(range(len(keys)), flags):
            if i not in own and i not in later:
                below[cell_of[where_of[i]]].append(i)  # type: ignore[index]
    drawn: list[int] = []
    todo = [c for c in placed.cells if 0 < min(sizes[c.cell], c.N - len(c.rest))
            and not (c.cell in bounds and len(below[c.cell]) >= min(sizes[c.cell], c.N - len(c.rest)))]
    members = _members(placed, todo)
    for c in placed.cells:
        n = sizes[c.cell]
        take = min(n, c.N - len(c.rest))
        if c.cell in members:
            drawn += _lowest(take, members[c.cell], unit_tickets, keys)
        elif take:
            mine = below[c.cell]
            drawn += list(map(mine.__getitem__, _order(_tickets_at(unit_tickets, mine), mine, keys)[:take]))
        if n > take:  # with priority, the units drawn last year come second
            drawn += _lowest(n - take, c.rest, unit_tickets, keys)
    return drawn


def _tickets_at(unit_tickets: Sequence[bytes], positions: list[int]) -> list[bytes]:
    """The tickets at these positions (sliced straight from a TicketColumn's buffer)."""
    if isinstance(unit_tickets, TicketColumn):
        buffer = unit_tickets._buffer
        return [buffer[32 * i:32 * i + 32] for i in positions]
    return list(map(unit_tickets.__getitem__, positions))


def _lowest(n: int, members: Sequence[int], unit_tickets: Sequence, keys: Sequence[str]) -> list[int]:
    """The n members with the lowest (ticket, key), exactly, in no particular order; fast as tickets are near uniform.

    Only members whose ticket is below a bound are sorted: every other ticket is at or above the
    bound, so once at least n are below it, the n lowest are among them (ties included). The bound
    is set a little above the expected n-th ticket and doubled until enough fall below it; the
    uniformity of HMAC output only makes the first bound suffice, correctness never rests on it.
    Tickets are all bytes or all lower-case hex (same order).
    """
    if n <= 0:
        return []
    if n >= len(members):
        return list(members)
    ts = _tickets_at(unit_tickets, members if isinstance(members, list) else list(members))
    margin = 1
    while True:
        limit = _limit(n, len(members), margin)
        if limit >= _SPACE:
            below = list(zip(ts, members))
        else:
            bound = _bound(limit, ts[0])
            below = list(compress(zip(ts, members), map(bound.__gt__, ts)))  # ticket < bound
        if len(below) >= n:
            positions = [i for _, i in below]
            return list(map(positions.__getitem__, _order([t for t, _ in below], positions, keys)[:n]))
        margin *= 2


def _order(tickets: list, positions: Sequence[int], keys: Sequence[str]) -> list[int]:
    """The indexes 0..len-1 of `tickets` ordered by (ticket, key of the unit at that position).

    Sorted by ticket alone, then checked: only if two tickets are equal (HMAC outputs of distinct keys
    practically never are) are they sorted again by (ticket, key). Either way the order is (ticket, key)'s.
    """
    order = sorted(range(len(tickets)), key=tickets.__getitem__)
    ordered = list(map(tickets.__getitem__, order))
    if any(map(eq, ordered, islice(ordered, 1, None))):
        order = sorted(range(len(tickets)), key=lambda p: (tickets[p], keys[positions[p]]))
    return order


def _batches(seed: bytes, rules: Rules, drawn: list[tuple[int, str]]) -> tuple[Batch, ...]:
    """Order drawn units (stratum index, key) by the batch rule; cut into near-equal parts."""
    keys = [k for _, k in drawn]
    order = _order(ticket_list(seed, LABEL_BATCH, keys), range(len(keys)), keys)  # by (batch ticket, key)
    if rules.batches.order == "stratum":  # (stratum, batch ticket, key): a stable sort by stratum keeps the rest
        strata = [i for i, _ in drawn]
        order.sort(key=strata.__getitem__)
    keys = list(map(keys.__getitem__, order))
    count_ = min(rules.batches.count, len(keys))
    size, extra = divmod(len(keys), count_) if count_ else (0, 0)
    out, start = [], 0
    for b in range(count_):
        end = start + size + (1 if b < extra else 0)  # the first `extra` batches take one more
        out.append(Batch(b + 1, tuple(keys[start:end])))
        start = end
    return tuple(out)


def _position(index, n: int, what: str) -> int:
    """A sequence index (negative counts from the end) as a position in 0..n-1, or IndexError as a tuple gives."""
    i = index.__index__()
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(f"{what} index out of range")
    return i


class TicketColumn(Sequence[bytes]):
    """Tickets of 32 bytes each, in one buffer: no object per unit until one is asked for."""

    __slots__ = ("_buffer",)

    def __init__(self, buffer: bytes):
        if len(buffer) % 32:
            raise ValueError("a ticket column holds whole 32-byte tickets")
        self._buffer = buffer

    def __len__(self) -> int:
        return len(self._buffer) // 32

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return list(map(self.__getitem__, range(*index.indices(len(self)))))
        i = _position(index, len(self), "TicketColumn")
        return self._buffer[32 * i:32 * i + 32]

    def __iter__(self):
        n = len(self._buffer)
        return map(self._buffer.__getitem__, map(slice, range(0, n, 32), range(32, n + 32, 32)))

    def __reduce__(self):
        return (TicketColumn, (self._buffer,))


class UnitOutcomes(TupleView, Sequence[UnitOutcome]):
    """Every unit's UnitOutcome, in key order, kept as columns and made when asked for.

    Reads like the tuple of UnitOutcome it stands for: len, indexing (a slice gives a tuple), iteration,
    equality with a tuple of outcomes or another UnitOutcomes, hash, repr, pickling; to_plain writes the
    same plain rows (canonical_plain). A million-unit draw then makes no million objects that are mostly "not drawn": most
    units share everything but key, name and ticket with the others of their profile (one row per
    profile); drawn units, units excluded by key and units drawn last year (priority) have rows of their own.
    """

    __slots__ = ("_base", "_keys", "_names", "_own", "_tickets", "_where_of")

    def __init__(self, keys: Sequence[str], names: Sequence[str], unit_tickets: Sequence[bytes],
                 where_of: Sequence[int], base: dict[int, tuple], own: dict[int, tuple]):
        # tickets as 32 bytes (shown as hex); base: Where id → (stratum, cell, status, reason, batch, probability);
        # own: position → the same
        self._keys, self._names, self._tickets, self._where_of = keys, names, unit_tickets, where_of
        self._base, self._own = base, own

    def __len__(self) -> int:
        return len(self._keys)

    def _make(self, i: int) -> UnitOutcome:
        row = self._own.get(i)
        if row is None:
            row = self._base[self._where_of[i]]
        return _outcome(self._keys[i], self._names[i], self._tickets[i].hex(), row)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return tuple(map(self._make, range(*index.indices(len(self)))))
        return self._make(_position(index, len(self), "UnitOutcomes"))

    def _rows(self):
        own, base = self._own, self._base
        rows = map(base.__getitem__, self._where_of)
        if own:
            rows = (own.get(i, row) for i, row in enumerate(rows))
        return rows

    def __iter__(self):
        return map(_outcome, self._keys, self._names, map(bytes.hex, self._tickets), self._rows())

    def __reversed__(self):
        return map(self._make, reversed(range(len(self))))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UnitOutcomes):
            return len(self) == len(other) and all(map(eq, self._plain_rows(), other._plain_rows()))
        if isinstance(other, tuple):  # equal to the tuple of outcomes it stands for, as a tuple would be
            return len(self) == len(other) and all(map(eq, self, other))
        return NotImplemented

    __hash__ = TupleView.__hash__  # defining __eq__ above would otherwise make the class unhashable

    def __reduce__(self):
        tickets_ = self._tickets if isinstance(self._tickets, TicketColumn) else TicketColumn(b"".join(self._tickets))
        return (UnitOutcomes, (list(self._keys), list(self._names), tickets_, list(self._where_of), self._base,
                               self._own))

    def _plain_rows(self):
        return zip(self._keys, self._names, map(bytes.hex, self._tickets), self._rows())

    def canonical_plain(self) -> list[dict]:
        """The canonical plain form: what to_plain gives for the tuple of UnitOutcome (keys in canonical order)."""
        return [{"batch": batch, "cell": cell, "key": key, "name": name, "probability": p, "reason": reason,
                 "status": status, "stratum": stratum, "ticket": hexed}
                for key, name, hexed, (stratum, cell, status, reason, batch, p) in self._plain_rows()]


def _outcome(key: str, name: str, hexed: str, row: tuple) -> UnitOutcome:
    stratum, cell, status, reason, batch, p = row
    o = Unfrozen()  # fields set in UnitOutcome's field order, so its __dict__ is as __init__ would leave it
    o.key = key
    o.name = name
    o.stratum = stratum
    o.cell = cell
    o.ticket = hexed
    o.status = status
    o.reason = reason
    o.batch = batch
    o.probability = p
    o.__class__ = UnitOutcome
    return o  # type: ignore[return-value]


def _outcomes(placed: Placement, plans: tuple[StratumPlan, ...], unit_tickets: Sequence[bytes], drawn: list[int],
              batch_of: dict[str, int], rules: Rules) -> UnitOutcomes:
    """Every unit's outcome, in key order: one row per profile, and rows of their own for the few units that
    were drawn, excluded by key, or drawn last year (priority)."""
    probability: dict[tuple[str | None, bool], str | None] = {}
    for sp in plans:
        for c in sp.cells:
            probability[(c.cell, False)] = c.probability
            probability[(c.cell, True)] = c.probability_rest
    names = [s.name for s in rules.strata]
    keys, where_of = placed.keys, placed.where_of
    base = {}
    for i, w in placed.wheres.items():
        stratum, reason = names[w.stratum] if w.stratum >= 0 else None, placed.shared[i]
        base[i] = ((stratum, w.cell, EXCLUDED, reason, None, None) if reason is not None else
                   (stratum, w.cell, NOT_DRAWN, None, None, probability.get((w.cell, False))))
    own: dict[int, tuple] = {}
    for i, (reason, _) in placed.reasons.items():
        stratum, cell = base[where_of[i]][:2]
        own[i] = (stratum, cell, EXCLUDED, reason, None, None)
    for c in placed.cells:  # drawn last year, with priority on
        for i in c.rest:
            stratum, cell = base[where_of[i]][:2]
            own[i] = (stratum, cell, NOT_DRAWN, None, None, probability[(cell, True)])
    shared: dict[tuple, tuple] = {}  # drawn units share a few hundred rows (cell × batch), not one tuple each
    for i in drawn:
        stratum, cell, _, _, _, p = own.get(i) or base[where_of[i]]
        row = (stratum, cell, DRAWN, None, batch_of[keys[i]], p)
        own[i] = shared.setdefault(row, row)
    return UnitOutcomes(keys, placed.names, unit_tickets, where_of, base, own)


_CHECKS = 16  # tickets of a supplied ticket function checked against ticket()


class UnitKeys(Sequence[str]):
    """The keys of a sequence of units, read when asked for: what a ticket job started before the units are read gets.

    A forked worker reads them itself, in parallel with this process reading the units for classification;
    once this process has read them (`known`), it serves slices from its own list.
    """

    def __init__(self, units: Sequence[Unit]):
        self._units = units
        self._keys: list[str] | None = None

    def known(self, keys: list[str]) -> None:
        """The keys, read by this process in the same order."""
        self._keys = keys

    def __len__(self) -> int:
        return len(self._units)

    def __getitem__(self, index):  # type: ignore[override]
        if self._keys is not None:
            return self._keys[index]
        if isinstance(index, slice):
            return list(map(_key, self._units[index]))
        return self._units[index].key

    def __iter__(self):
        return iter(self._keys) if self._keys is not None else map(_key, self._units)


def unit_tickets(seed: bytes, placed: Placement, plans: tuple[StratumPlan, ...],
                 ticket_function: TicketFunction | None = None) -> tuple[TicketColumn, bytes]:
    """Every unit's ticket, in key order, and the flags of unit_chunk (ticket below its cell's bound).

    A `ticket_function` with a `map_chunks(n, work, widths)` method (dsr.parallel) runs unit_chunk over
    ranges of the units in several processes; any other is called like ticket_list. Either way, a spread
    of the answers is checked against ticket().
    """
    keys, where_of = placed.keys, placed.where_of
    _, by_where = _cell_bounds(plans, placed)
    chunks = getattr(ticket_function, "map_chunks", None)
    if chunks is not None:
        work = partial(unit_chunk, seed, key_blobs(keys), len(keys), where_of, by_where)
        buffer, flags = chunks(len(keys), work, (32, 1))
    elif ticket_function is not None:
        digests = ticket_function(seed, LABEL_UNIT, keys)
        if len(digests) != len(keys):
            raise DrawError(f"票值函数返回 {len(digests)} 个票值，应为 {len(keys)} 个")
        try:
            buffer, flags = b"".join(digests), bytes(map(lt, digests, map(by_where.__getitem__, where_of)))
        except TypeError:
            raise DrawError("票值函数返回的不是 32 字节的票值") from None
    else:
        buffer, flags = _in_two_threads(partial(unit_chunk, seed, key_blobs(keys), len(keys), where_of, by_where),
                                        len(keys))
    if len(buffer) != 32 * len(keys):
        raise DrawError("票值函数返回的不是 32 字节的票值")
    column = TicketColumn(buffer)
    _check_tickets(seed, keys, column)
    if len(flags) != len(keys) or not all(flags[i] == (column[i] < by_where[where_of[i]]) for i in _spread(len(keys))):
        raise DrawError("票值函数返回的票值标记有误")
    return column, flags


THREAD_MIN = 8 * BLOB  # below this many units a second thread saves less than it costs


def _in_two_threads(work, n: int) -> tuple[bytes, bytes]:
    """work(0, n), the back half in a second thread when the compiled hashing (which releases the GIL) is there and
    this process may use two CPUs: the same bytes as one call, about 40 % sooner on two cores."""
    if _tickets._fast is None or n < THREAD_MIN or _usable_cpus() < 2:
        return work(0, n)
    half = n // 2 // BLOB * BLOB  # whole key buffers on each side
    with ThreadPoolExecutor(1) as pool:
        back = pool.submit(work, half, n)
        front = work(0, half)
        back_buffer, back_flags = back.result()
    return front[0] + back_buffer, front[1] + back_flags


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_draw(seed: bytes, inputs: DrawInputs, ticket_function: TicketFunction | None = None) -> DrawResult:
    """Draw units, cut batches and match teams: a pure function of the seed and the inputs.

    `ticket_function` computes the unit tickets (default: in this process); another one, e.g.
    dsr.parallel.parallel_ticket_list() on several cores, must give the same bytes, and a spread of
    its answers is checked against ticket(). The units are read, classified and planned first (every
    refusal comes before any ticket), then the tickets are computed with, per unit, whether it lies
    below its cell's selection bound.
    """
    with collector_paused():
        columns = read_units(inputs)
        inputs = columns.inputs
        placed = place(inputs, columns)
        plans = _plan_from(inputs, placed)
        del columns
        column, flags = unit_tickets(seed, placed, plans, ticket_function)
        return _finish(seed, inputs, placed, plans, column, flags)


def _finish(seed: bytes, inputs: DrawInputs, placed: Placement, plans: tuple[StratumPlan, ...],
            column: TicketColumn, flags: bytes) -> DrawResult:
    """Select, cut batches, match teams and write down every unit's outcome."""
    rules: Rules = inputs.rules  # type: ignore[assignment]
    keys, units = placed.keys, inputs.units
    drawn = sorted(_select(plans, placed, column, flags))
    batches = _batches(seed, rules, [(placed.wheres[placed.where_of[i]].stratum, keys[i]) for i in drawn])
    batch_of = {k: b.number for b in batches for k in b.units}
    teams = match(seed, inputs, _batch_units(units, keys, drawn, batches))
    outcomes = _outcomes(placed, plans, column, drawn, batch_of, rules)
    return DrawResult(
        ALGORITHM, inputs.detachment, inputs.brigade, rules.item_code, inputs.inspection_date, seed.hex(),
        plans, _excluded(placed), outcomes, batches,
        teams.pool, teams.batch_caps, teams.teams, teams.workload, teams.warnings,
    )


def _batch_units(units: Sequence[Unit], keys: Sequence[str], drawn: list[int],
                 batches: tuple[Batch, ...]) -> list[Sequence[Unit]]:
    """Each batch's units in batch order; from a UnitTable only their key and name (UnitName), all that matching
    reads: making twenty thousand Units costs more than matching them."""
    position = {keys[i]: i for i in drawn}
    if isinstance(units, UnitTable):
        return [units.names_at([position[k] for k in b.units]) for b in batches]
    return [[units[position[k]] for k in b.units] for b in batches]


def _excluded(placed: Placement) -> tuple[ReasonCount, ...]:
    """Every excluded unit counted by reason, sorted by reason (also those in no stratum)."""
    reasons: Counter[str] = Counter()
    for wi, n in placed.counts.items():
        if placed.shared[wi] is not None:
            reasons[placed.shared[wi]] += n  # type: ignore[index]
    for i, (reason, _) in placed.reasons.items():  # a reason of its own replaces the shared one
        reasons[reason] += 1
        if (was := placed.shared[placed.where_of[i]]) is not None:
            reasons[was] -= 1
    reasons = +reasons  # drop reasons left at zero
    return tuple(ReasonCount(r, k) for r, k in sorted(reasons.items()))


def _spread(n: int) -> list[int]:
    """_CHECKS positions spread evenly over n, first and last included."""
    return sorted({(n - 1) * j // (_CHECKS - 1) for j in range(_CHECKS)}) if n else []


def _check_tickets(seed: bytes, keys: Sequence[str], unit_tickets: Sequence[bytes]) -> None:
    """Refuse a ticket function whose answer is not ticket() at every checked position."""
    if len(unit_tickets) != len(keys):
        raise DrawError(f"票值函数返回 {len(unit_tickets)} 个票值，应为 {len(keys)} 个")
    for i in _spread(len(keys)):
        if unit_tickets[i] != ticket(seed, LABEL_UNIT, keys[i]):
            raise DrawError(f"票值函数对「{keys[i]}」返回的票值有误")
