"""The stratified draw dsr-sha256/1: strata, cells, lowest tickets, batches, then teams."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import chain, compress, islice
from math import isqrt
from operator import attrgetter, eq, itemgetter, lt, not_
from typing import NamedTuple

from dsr.core.model import DrawInputs, Unit
from dsr.core.rules import BATCH_ORDERS, MODES, ROUNDINGS, Rules, Stratum, UnitFilter
from dsr.core.teams import (
    Attempt,
    PoolEntry,
    Removal,
    TeamAssignment,
    Workload,
    base_pool,
    check_teams,
    match,
)
from dsr.core.tickets import (
    LABEL_BATCH,
    LABEL_UNIT,
    TicketFunction,
    ticket,
    ticket_list,
    tickets,
)
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
class Where:
    """What every unit with one signature shares: stratum index (-1 none), cell, ratio, status reason."""

    stratum: int
    cell: str | None
    ratio: Fraction | None
    reason: str | None  # 单位状态 / 九小场所 / 未列入任何抽查层, else None


@dataclass(frozen=True)
class Placement:
    """Where every unit fell, before the seed.

    Units are named by their position in inputs.units; per unit only an index into `wheres`,
    because a million small objects cost seconds. Cells list their candidates in input order.
    """

    wheres: tuple[Where, ...]
    shared: tuple[str | None, ...]  # per where: the reason all its units share (§6.3 rules 1, 2 and 4), or None
    where_of: tuple[int, ...]  # per unit position: index into wheres
    keys: tuple[str, ...]  # per unit position: its key
    names: tuple[str, ...]  # per unit position: its name
    reasons: dict[int, tuple[str, int]]  # unit position → (a reason of its own, stratum index or -1)
    cells: tuple[tuple[str, int, Fraction | None, tuple[int, ...], tuple[int, ...]], ...]
    # per cell: (cell, stratum index, effective ratio, candidates not drawn last year, the others)

    def reason_of(self, position: int) -> str | None:
        """The one exclusion reason of a unit, or None for a candidate."""
        own = self.reasons.get(position)
        return own[0] if own is not None else self.shared[self.where_of[position]]


class Profile(NamedTuple):
    """Every unit field the strata, multipliers and status rules read; units sharing it share a Where."""

    unit_class: str
    crowded: bool
    public_gathering: bool
    key_category: str | None
    industry: str | None
    credit: str
    risk: str
    status: str


_key = attrgetter("key")
_row = attrgetter("key", "name", *Profile._fields)  # one pass over the units: a million objects miss the cache
_keys_of, _names_of, _profile_of = itemgetter(0), itemgetter(1), itemgetter(slice(2, None))


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


def _where(rules: Rules, u: Unit) -> Where:
    """Stratum, cell, ratio and the reasons that depend only on the signature, in documented order."""
    index = next((i for i, s in enumerate(rules.strata) if matches(s.filter, u)), -1)
    index, cell, ratio = _cell_of(rules, index, u) if index >= 0 else (-1, None, None)
    if u.status not in rules.eligible_statuses:
        return Where(index, cell, ratio, REASON_STATUS.format(status=u.status))
    if u.unit_class == NINE_SMALL and not rules.include_nine_small:
        return Where(index, cell, ratio, REASON_NINE_SMALL)
    return Where(index, cell, ratio, None)


def _own_reason(rules: Rules, where: Where, key: str, excluded: dict[str, str], this_year: set[str]) -> str | None:
    """Reasons 3–5 of §6.3 for a unit whose signature gave none."""
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


def place(inputs: DrawInputs, rows: list[tuple] | None = None) -> Placement:
    """Stratum, cell and exclusion of every unit; the first reason in the documented order wins.

    The rules are applied once per distinct Profile (first-seen order); per unit only C-level
    look-ups remain, plus one Python step that files candidates into their cell. `rows` (run_draw's
    _row of every unit, keys known to be unique) saves reading the units again.
    """
    rules: Rules = inputs.rules  # type: ignore[assignment]
    check_rules(rules)
    if rows is None:
        rows = list(map(_row, inputs.units))
        keys = tuple(map(_keys_of, rows))
        _check_unique(keys)
    else:
        keys = tuple(map(_keys_of, rows))
    this_year, last_year = _history_sets(inputs)
    excluded = _exclusion_reasons(inputs)
    signatures = list(map(_profile_of, rows))
    names = tuple(map(_names_of, rows))
    del rows
    distinct = dict.fromkeys(signatures)  # insertion order: first seen
    wheres = tuple(_where(rules, Profile._make(sig)) for sig in distinct)
    where_index = dict(zip(distinct, range(len(wheres))))
    where_of = tuple(map(where_index.__getitem__, signatures))
    del signatures, distinct, where_index
    shared = tuple(w.reason or (REASON_NO_STRATUM if w.stratum < 0 else None) for w in wheres)
    reasons: dict[int, tuple[str, int]] = {}
    special = set(excluded) | this_year  # the only keys that may have a reason of their own (§6.3 rules 3, 5)
    if special:
        for i in compress(range(len(keys)), map(special.__contains__, keys)):
            w = wheres[where_of[i]]
            if w.reason is None and (own := _own_reason(rules, w, keys[i], excluded, this_year)):
                reasons[i] = (own, w.stratum)
    lists: dict[str, list[int]] = {}  # cell → candidate positions, in input order
    sink: set[int] = set()
    appends = [lists.setdefault(w.cell, []).append if r is None else sink.discard  # type: ignore[arg-type]
               for w, r in zip(wheres, shared)]
    for i, wi in enumerate(where_of):
        appends[wi](i)
    if reasons:
        for cell, members in lists.items():
            lists[cell] = [i for i in members if i not in reasons]
    return Placement(wheres, shared, where_of, keys, names, reasons, _cell_table(rules, wheres, lists, keys, last_year))


def _cell_table(rules: Rules, wheres: tuple[Where, ...], lists: dict[str, list[int]], keys: Sequence[str],
                last_year: set[str]):
    """Cells in stratum order, then ascending effective ratio; each with its two priority groups."""
    info = {w.cell: (w.stratum, w.ratio) for w in wheres if w.cell in lists}
    out = []
    for cell in sorted((c for c in lists if lists[c]), key=lambda c: (info[c][0], info[c][1] or 0)):
        members = lists[cell]
        if rules.priority_not_drawn_last_year and last_year:
            later = list(map(last_year.__contains__, map(keys.__getitem__, members)))
            first = tuple(compress(members, map(not_, later)))
            rest = tuple(compress(members, later))
        else:
            first, rest = tuple(members), ()
        out.append((cell, info[cell][0], info[cell][1], first, rest))
    return tuple(out)


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
        keys = placed.keys
        check_teams(inputs, _Lazy(lambda: {keys[i] for _, _, _, first, rest in placed.cells for i in chain(first, rest)}))
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
    for wi, count in Counter(placed.where_of).items():
        w, reason = placed.wheres[wi], placed.shared[wi]
        if w.stratum >= 0 and reason is not None:
            excluded[w.stratum][reason] += count
    for reason, stratum in placed.reasons.values():
        if stratum >= 0:
            excluded[stratum][reason] += 1
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


def _select(plans: tuple[StratumPlan, ...], placed: Placement, unit_tickets: Sequence[bytes]) -> list[int]:
    """In every cell, the n units with the lowest (priority group, ticket, key); their positions.

    One sequential pass over all tickets first keeps, per cell without a second priority group, the
    units whose ticket is below that cell's bound (see _lowest); a cell where fewer than n fall below
    it (or with two groups) is drawn by _lowest on its own.
    """
    sizes = {c.cell: c.n for sp in plans for c in sp.cells}
    keys = placed.keys
    bounds: dict[str, bytes] = {}
    for cell, _, _, first, rest in placed.cells:
        n = sizes[cell]
        if not rest and 0 < n < len(first) and (limit := _limit(n, len(first))) < _SPACE:
            bounds[cell] = limit.to_bytes(32, "big")
    below: dict[str, list[int]] = {cell: [] for cell in bounds}
    if bounds:
        none = b""  # no ticket is below the empty string: units of other cells, and excluded ones
        by_where = [bounds.get(w.cell, none) if r is None else none  # type: ignore[arg-type]
                    for w, r in zip(placed.wheres, placed.shared)]
        wheres, where_of, own = placed.wheres, placed.where_of, placed.reasons
        for i in compress(range(len(keys)), map(lt, unit_tickets, map(by_where.__getitem__, where_of))):
            if i not in own:
                below[wheres[where_of[i]].cell].append(i)  # type: ignore[index]
    drawn: list[int] = []
    for cell, _, _, first, rest in placed.cells:
        n = sizes[cell]
        if cell in bounds and len(below[cell]) >= n:
            drawn += [i for _, _, i in sorted((unit_tickets[i], keys[i], i) for i in below[cell])[:n]]
            continue
        taken = _lowest(n, first, unit_tickets, keys)
        drawn += taken
        if n > len(taken):  # with priority, the units drawn last year come second
            drawn += _lowest(n - len(taken), rest, unit_tickets, keys)
    return drawn


def _limit(n: int, size: int, margin: int = 1) -> int:
    """A ticket bound (as an integer) below which about n + 4√n + 16 of `size` uniform tickets fall."""
    return (n + 4 * isqrt(n) + 16) * margin * _SPACE // size


_SPACE = 1 << 256  # tickets are 256-bit big-endian integers


def _lowest(n: int, members: Sequence[int], unit_tickets: Sequence[bytes], keys: Sequence[str]) -> list[int]:
    """The n members with the lowest (ticket, key), exactly, in no particular order; fast as tickets are near uniform.

    Only members whose ticket is below a bound are sorted: every other ticket is at or above the
    bound, so once at least n are below it, the n lowest are among them (ties included). The bound
    is set a little above the expected n-th ticket and doubled until enough fall below it; the
    uniformity of HMAC output only makes the first bound suffice, correctness never rests on it.
    """
    if n <= 0:
        return []
    if n >= len(members):
        return list(members)
    ts = list(map(unit_tickets.__getitem__, members))
    margin = 1
    while True:
        limit = _limit(n, len(members), margin)
        if limit >= _SPACE:
            below = list(zip(ts, members))
        else:
            bound = limit.to_bytes(32, "big")
            below = list(compress(zip(ts, members), map(bound.__gt__, ts)))  # ticket < bound
        if len(below) >= n:
            return [i for _, _, i in sorted((t, keys[i], i) for t, i in below)[:n]]
        margin *= 2


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


def _outcomes(units: Sequence[Unit], placed: Placement, plans: tuple[StratumPlan, ...], unit_tickets: Sequence[bytes],
              drawn: list[int], batch_of: dict[str, int], rules: Rules) -> tuple[UnitOutcome, ...]:
    """One UnitOutcome per unit, in the order of `units`.

    Most units share everything but key, name and ticket with the others of their profile: one
    row (stratum, cell, status, reason, batch, probability) per profile, and rows of their own
    only for the few units that were drawn, excluded by key, or drawn last year (priority).
    """
    probability: dict[tuple[str | None, bool], str | None] = {}
    for sp in plans:
        for c in sp.cells:
            probability[(c.cell, False)] = c.probability
            probability[(c.cell, True)] = c.probability_rest
    names = [s.name for s in rules.strata]
    keys = placed.keys
    base = []
    for w, reason in zip(placed.wheres, placed.shared):
        stratum = names[w.stratum] if w.stratum >= 0 else None
        base.append((stratum, w.cell, EXCLUDED, reason, None, None) if reason is not None else
                    (stratum, w.cell, NOT_DRAWN, None, None, probability.get((w.cell, False))))
    rows = list(map(base.__getitem__, placed.where_of))
    for i, (reason, _) in placed.reasons.items():
        stratum, cell = rows[i][:2]
        rows[i] = (stratum, cell, EXCLUDED, reason, None, None)
    for _, _, _, _, rest in placed.cells:  # drawn last year, with priority on
        for i in rest:
            stratum, cell = rows[i][:2]
            rows[i] = (stratum, cell, NOT_DRAWN, None, None, probability[(cell, True)])
    for i in drawn:
        stratum, cell, _, _, _, p = rows[i]
        rows[i] = (stratum, cell, DRAWN, None, batch_of[keys[i]], p)
    new, set_dict = object.__new__, object.__setattr__
    out = []
    append = out.append
    rows = tuple(rows)  # like the other per-unit columns a tuple, which the collector stops scanning
    for key, name, hexed, (stratum, cell, status, reason, batch, p) in zip(
            keys, placed.names, map(bytes.hex, unit_tickets), rows):
        # Built without the frozen __init__ (about 5x faster; equal to UnitOutcome(...) in every respect):
        # a draw makes one per unit, and at a million units the ordinary constructor alone costs seconds.
        o = new(UnitOutcome)
        set_dict(o, "__dict__", {"key": key, "name": name, "stratum": stratum, "cell": cell, "ticket": hexed,
                                 "status": status, "reason": reason, "batch": batch, "probability": p})
        append(o)
    return tuple(out)


_CHECKS = 16  # tickets of a supplied ticket function checked against ticket()


def sorted_rows(inputs: DrawInputs) -> tuple[DrawInputs, list[tuple]]:
    """The inputs with units sorted by key (row order never matters), and _row of each unit, read once.

    Refuses duplicate keys; a strictly ascending key column (the usual case) needs no sort and no set.
    """
    units = inputs.units
    rows = list(map(_row, units))
    keys = list(map(_keys_of, rows))
    if not all(map(lt, keys, islice(keys, 1, None))):
        order = sorted(range(len(keys)), key=keys.__getitem__)
        units, rows = tuple(map(units.__getitem__, order)), list(map(rows.__getitem__, order))
        keys = list(map(_keys_of, rows))
        if any(map(eq, keys, islice(keys, 1, None))):
            _check_unique(keys)
        inputs = replace(inputs, units=units)
    return inputs, rows


def run_draw(seed: bytes, inputs: DrawInputs, ticket_function: TicketFunction | None = None) -> DrawResult:
    """Draw units, cut batches and match teams: a pure function of the seed and the inputs.

    `ticket_function` computes the unit tickets (default: ticket_list, in this process); another
    one, e.g. dsr.parallel.parallel_ticket_list() on several cores, must return the same bytes,
    and a spread of its answers is checked against ticket().
    """
    rules: Rules = inputs.rules  # type: ignore[assignment]
    inputs, rows = sorted_rows(inputs)
    units = inputs.units
    placed = place(inputs, rows)
    del rows
    plans = _plan_from(inputs, placed)
    keys = placed.keys
    # Per-unit columns are tuples of strings, bytes and ints: after one look the cyclic garbage collector
    # stops tracking them, instead of re-reading a million entries at every collection while outcomes are built.
    unit_tickets = tuple((ticket_function or ticket_list)(seed, LABEL_UNIT, keys))
    if ticket_function is not None:
        _check_tickets(seed, keys, unit_tickets)
    drawn = sorted(_select(plans, placed, unit_tickets))
    batches = _batches(seed, rules, [(placed.wheres[placed.where_of[i]].stratum, keys[i]) for i in drawn])
    batch_of = {k: b.number for b in batches for k in b.units}
    by_key = {keys[i]: units[i] for i in drawn}
    teams = match(seed, inputs, [[by_key[k] for k in b.units] for b in batches])
    outcomes = _outcomes(units, placed, plans, unit_tickets, drawn, batch_of, rules)
    reasons: Counter[str] = Counter()
    for wi, count in Counter(placed.where_of).items():
        if placed.shared[wi] is not None:
            reasons[placed.shared[wi]] += count  # type: ignore[index]
    for i, (reason, _) in placed.reasons.items():  # a reason of its own replaces the shared one
        reasons[reason] += 1
        if (was := placed.shared[placed.where_of[i]]) is not None:
            reasons[was] -= 1
    reasons = +reasons  # drop reasons left at zero
    return DrawResult(
        ALGORITHM, inputs.detachment, inputs.brigade, rules.item_code, inputs.inspection_date, seed.hex(),
        plans, tuple(ReasonCount(r, k) for r, k in sorted(reasons.items())), outcomes, batches,
        teams.pool, teams.batch_caps, teams.teams, teams.workload, teams.warnings,
    )


def _check_tickets(seed: bytes, keys: Sequence[str], unit_tickets: Sequence[bytes]) -> None:
    """Refuse a ticket function whose answer is not ticket() at every checked position."""
    if len(unit_tickets) != len(keys):
        raise DrawError(f"票值函数返回 {len(unit_tickets)} 个票值，应为 {len(keys)} 个")
    n = len(keys)
    for i in sorted({(n - 1) * j // (_CHECKS - 1) for j in range(_CHECKS)} if n else ()):
        if unit_tickets[i] != ticket(seed, LABEL_UNIT, keys[i]):
            raise DrawError(f"票值函数对「{keys[i]}」返回的票值有误")
