"""Inspector teams: eligibility with reasons, then a deterministic ticket-driven assignment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dsr.core.model import DrawInputs, HistoryEntry, Inspector, RowView, Unit, UnitName, UnitTable
from dsr.core.rules import Rules, team_pool
from dsr.core import tickets
from dsr.core.tickets import LABEL_INSPECTOR, _pads
from dsr.errors import DrawError

ON_DUTY = "在岗"
REASON_NOT_IN_POOL = "不在人员池"
REASON_EXPIRED = "执法证已过期"
REASON_OFF_DUTY = "非在岗状态（{status}）"
REASON_NOT_AUTHORISED = "未授权该事项"
REASON_CONFLICT = "利害关系回避（{kind}）"
REASON_ROTATION = "轮换：上次检查过该单位"
SKIP_IN_TEAM = "已在本组"
SKIP_BATCH_CAP = "已达本批次工作量上限（{cap} 家）"
SKIP_DRAW_CAP = "已达本次抽查每人最多 {cap} 家"
OUTCOME_LEADER = "组长"
OUTCOME_MEMBER = "组员"
OUTCOME_OVER_CAP = "（超出工作量上限）"


@dataclass(frozen=True)
class PoolEntry:
    """One inspector of the inputs, judged on the inspection date for the whole draw."""

    cert_no: str
    name: str
    brigade: str
    can_lead: bool  # meets the leader rule
    eligible: bool
    reasons: tuple[str, ...]  # why not eligible, in the fixed order of eligibility_reasons()


@dataclass(frozen=True)
class Removal:
    """An inspector who may not serve on one unit, with every reason."""

    cert_no: str
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Attempt:
    """One inspector ticket of one unit: which pool position it hit and what came of it."""

    index: int  # j in ticket(seed, LABEL_INSPECTOR, unit_key + "|" + j)
    ticket: str  # lower-case hex
    list: str  # "leaders" or "pool": the list the position indexes
    position: int  # ticket mod len(list)
    cert_no: str
    outcome: str  # 组长 / 组员 / 跳过：reason


@dataclass(frozen=True)
class TeamAssignment:
    """The team of one drawn unit. Eligible = the eligible pool minus `removed`."""

    unit_key: str
    unit_name: str
    batch: int
    members: tuple[str, ...]  # cert_no, the leader first, then in the order drawn
    leader: str
    eligible_count: int
    removed: tuple[Removal, ...]  # sorted by cert_no; includes inspectors ineligible for the whole draw
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True)
class Workload:
    """How many units one eligible inspector was given, in total and per batch."""

    cert_no: str
    name: str
    total: int
    per_batch: tuple[int, ...]


@dataclass(frozen=True)
class TeamsResult:
    """Everything matching produced."""

    pool: tuple[PoolEntry, ...]  # sorted by cert_no
    batch_caps: tuple[int, ...]  # per batch: ⌈slots / eligible⌉ + max_extra_load
    teams: tuple[TeamAssignment, ...]  # in batch order; match() gives a TeamAssignments, which reads as this tuple
    workload: tuple[Workload, ...]  # sorted by cert_no
    warnings: tuple[str, ...]


def _valid_on(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def can_lead(inspector: Inspector, rules: Rules) -> bool:
    """Whether the inspector meets the leader rule."""
    rule = rules.team.leader
    return (inspector.leader or not rule.required) and inspector.years >= rule.min_years


def eligibility_reasons(inspector: Inspector, rules: Rules, day: dt.date) -> tuple[str, ...]:
    """Every reason the inspector may serve on no unit of this draw (empty if eligible)."""
    reasons = []
    if inspector.brigade not in team_pool(rules):
        reasons.append(REASON_NOT_IN_POOL)
    if inspector.cert_expiry < day:
        reasons.append(REASON_EXPIRED)
    if inspector.status != ON_DUTY:
        reasons.append(REASON_OFF_DUTY.format(status=inspector.status))
    if inspector.items and rules.item_code not in inspector.items:
        reasons.append(REASON_NOT_AUTHORISED)
    return tuple(reasons)


def base_pool(inputs: DrawInputs) -> tuple[PoolEntry, ...]:
    """Judge every inspector of the inputs for the whole draw, sorted by cert_no."""
    rules: Rules = inputs.rules  # type: ignore[assignment]
    out = []
    for ins in sorted(inputs.inspectors, key=lambda i: i.cert_no):
        reasons = eligibility_reasons(ins, rules, inputs.inspection_date)
        out.append(PoolEntry(ins.cert_no, ins.name, ins.brigade, can_lead(ins, rules), not reasons, reasons))
    return tuple(out)


def unit_removals(inputs: DrawInputs) -> dict[str, dict[str, list[str]]]:
    """unit_key → cert_no → reasons specific to that unit (conflicts, then rotation)."""
    rules: Rules = inputs.rules  # type: ignore[assignment]
    out: dict[str, dict[str, list[str]]] = {}
    conflicts = sorted(inputs.conflicts, key=lambda c: (c.unit_key, c.cert_no, c.kind))
    for c in conflicts:
        if _valid_on(inputs.inspection_date, c.valid_from, c.valid_to):
            _add(out, c.unit_key, c.cert_no, REASON_CONFLICT.format(kind=c.kind))
    if rules.team.rotation:
        for unit_key, entry in sorted(last_draws(inputs.history, inputs.inspection_date).items()):
            for cert in sorted(set(entry.inspectors)):
                _add(out, unit_key, cert, REASON_ROTATION)
    return out


def _add(out: dict[str, dict[str, list[str]]], unit_key: str, cert: str, reason: str) -> None:
    reasons = out.setdefault(unit_key, {}).setdefault(cert, [])
    if reason not in reasons:  # two conflict rows of one kind give one reason
        reasons.append(reason)


def last_draws(history: Sequence[HistoryEntry], day: dt.date) -> dict[str, HistoryEntry]:
    """Each unit's latest earlier draw (by date, then draw_id) before `day`."""
    last: dict[str, HistoryEntry] = {}
    for h in history:
        if h.date < day:
            prev = last.get(h.unit_key)
            if prev is None or (h.date, h.draw_id) > (prev.date, prev.draw_id):
                last[h.unit_key] = h
    return last


def _fast(cls, **fields):
    """An instance of frozen dataclass `cls` built without its __init__ (equal in every respect, several times
    cheaper: a frozen __init__ sets each field through object.__setattr__)."""
    o = object.__new__(cls)
    object.__setattr__(o, "__dict__", fields)
    return o


_NO_REMOVALS: dict[str, list[str]] = {}  # a unit nobody is removed from (never written to)


class Unfrozen:
    """A plain object with the layout of any frozen dataclass here (draw.UnitOutcome, Attempt): fields are set
    the ordinary way, in the class's field order, and then `__class__` is switched to the frozen class.

    A frozen dataclass sets each field through object.__setattr__, which at a million results costs seconds;
    switching `__class__` between classes of identical layout is allowed, and the result is an ordinary
    instance equal in every respect to one its __init__ makes, about 3x faster.
    """


def _attempt(index: int, ticket: str, list_: str, position: int, cert_no: str, outcome: str) -> Attempt:
    a = Unfrozen()
    a.index = index  # in Attempt's field order, as __init__ would set them
    a.ticket = ticket
    a.list = list_
    a.position = position
    a.cert_no = cert_no
    a.outcome = outcome
    a.__class__ = Attempt
    return a  # type: ignore[return-value]


class TeamAssignments(RowView, Sequence[TeamAssignment]):
    """The teams, in batch order, kept as rows and made into TeamAssignment (and Attempt) objects when asked for.

    Reads like the tuple of TeamAssignment it stands for: len, indexing (a slice gives a tuple), iteration,
    equality with a tuple of teams or another TeamAssignments, hash, repr, pickling; to_plain writes the same
    plain rows (canonical_plain). Matching 20,000 teams then makes no 80,000 objects on the way.
    """

    __slots__ = ("_rows",)

    def __init__(self, rows: list[tuple]):
        # (unit_key, unit_name, batch, members, leader, eligible_count, removed,
        #  attempts flat: index, 32-byte ticket, list, position, cert_no, outcome, index, ...)
        self._rows = rows

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return tuple(map(_team, self._rows[index]))
        return _team(self._rows[index])

    def canonical_plain(self) -> list[dict]:
        """The canonical plain form: what to_plain gives for the tuple of TeamAssignment (keys in canonical order)."""
        return [{"attempts": [{"cert_no": cert, "index": j, "list": kind, "outcome": outcome, "position": pos,
                               "ticket": t.hex()} for j, t, kind, pos, cert, outcome in _sixes(attempts)],
                 "batch": batch, "eligible_count": eligible_count, "leader": leader, "members": list(members),
                 "removed": [{"cert_no": r.cert_no, "name": r.name, "reasons": list(r.reasons)} for r in removed],
                 "unit_key": key, "unit_name": name}
                for key, name, batch, members, leader, eligible_count, removed, attempts in self._rows]


def _team(row: tuple) -> TeamAssignment:
    key, name, batch, members, leader, eligible_count, removed, attempts = row
    return _fast(TeamAssignment, unit_key=key, unit_name=name, batch=batch, members=members, leader=leader,
                 eligible_count=eligible_count, removed=removed,
                 attempts=tuple(_attempt(j, t.hex(), kind, pos, cert, outcome)
                                for j, t, kind, pos, cert, outcome in _sixes(attempts)))


TeamAssignments._make = staticmethod(_team)


def _sixes(flat: tuple) -> Iterator[tuple]:
    """A team row's flat attempts, six values at a time."""
    step = iter(flat)
    return zip(step, step, step, step, step, step)


class _Matcher:
    """Mutable state of one matching run; kept private so the result is still a frozen value."""

    def __init__(self, seed: bytes, inputs: DrawInputs, n_batches: int):
        self.seed = seed
        inner, outer = _pads(seed, LABEL_INSPECTOR)
        self.icopy, self.ocopy = inner.copy, outer.copy  # assign() hashes inline: ticketer's bytes, no call per ticket
        self.inputs = inputs
        self.rules: Rules = inputs.rules  # type: ignore[assignment]
        self.pool = base_pool(inputs)
        self.by_cert = {p.cert_no: p for p in self.pool}
        self.eligible = [p.cert_no for p in self.pool if p.eligible]
        self.leaders = [p.cert_no for p in self.pool if p.eligible and p.can_lead]
        self.global_removed = tuple(Removal(p.cert_no, p.name, p.reasons) for p in self.pool if not p.eligible)
        self.specific = unit_removals(inputs)
        self.total = dict.fromkeys(self.eligible, 0)
        self.per_batch = {c: [0] * n_batches for c in self.eligible}
        self.leader_set = frozenset(self.leaders)
        self.draw_cap = self.rules.team.max_units_per_inspector
        self.draw_cap_text = SKIP_DRAW_CAP.format(cap=self.draw_cap)
        self.batch_cap_text: dict[int, str] = {}
        # counts[0]: below both caps in this batch; counts[1]: below the per-draw cap
        self.counts = [{"leaders": 0, "pool": 0}, {"leaders": 0, "pool": 0}]
        self.relaxed: dict[tuple[int, int, str], list[str]] = {}  # (batch, level, role) → units over a cap
        self.slots = ((("leaders", self.leaders, OUTCOME_LEADER),)
                      + (("pool", self.eligible, OUTCOME_MEMBER),) * (self.rules.team.size - 1))

    def removed_for(self, unit_key: str) -> tuple[dict[str, list[str]], tuple[Removal, ...]]:
        """The unit's specific reasons by cert, and the full removal list (global + specific)."""
        specific = self.specific.get(unit_key, {})
        if not specific:
            return specific, self.global_removed
        merged: dict[str, list[str]] = {r.cert_no: list(r.reasons) for r in self.global_removed}
        for cert in sorted(specific):
            if cert in self.by_cert:  # conflicts may name inspectors outside this draw's inputs
                merged.setdefault(cert, []).extend(specific[cert])
        rows = tuple(Removal(c, self.by_cert[c].name, tuple(merged[c])) for c in sorted(merged))
        return specific, rows

    def free(self, cert: str, batch: int, cap: int, level: int) -> str | None:
        """Why `cert` is at a workload cap at this relax level (0 both caps, 1 per-draw only, 2 none)."""
        if level < 2 and self.draw_cap is not None and self.total[cert] >= self.draw_cap:
            return self.draw_cap_text
        if level < 1 and self.per_batch[cert][batch - 1] >= cap:
            text = self.batch_cap_text.get(cap)
            if text is None:
                text = self.batch_cap_text[cap] = SKIP_BATCH_CAP.format(cap=cap)
            return text
        return None

    def blocked(self, cert: str, batch: int, cap: int, chosen: list[str], specific: dict[str, list[str]],
                level: int) -> str | None:
        """Why `cert` cannot take this slot now, or None."""
        if cert in chosen:
            return SKIP_IN_TEAM
        if cert in specific:
            return "、".join(specific[cert])
        return self.free(cert, batch, cap, level)

    def open_count(self, kind: str, batch: int, cap: int, chosen: list[str],
                   specific: dict[str, list[str]], level: int) -> int:
        """How many of the list could take the slot; exact, so rejection sampling always ends.

        Kept as running counters (not a scan of the list) so a 500-strong pool stays cheap.
        """
        members = self.leader_set if kind == "leaders" else self.total
        n = self.counts[level][kind] if level < 2 else len(members)
        if not specific:
            if not chosen:
                return n
            if len(chosen) == 1:  # the leader alone
                cert = chosen[0]
                return n - 1 if cert in members and self.free(cert, batch, cap, level) is None else n
        for cert in sorted(set(chosen) | set(specific)):
            if cert in members and self.free(cert, batch, cap, level) is None:
                n -= 1
        return n

    def start_batch(self, batch: int, cap: int) -> None:
        """Recount, for a new batch, who is below the caps."""
        for level in (0, 1):
            for kind, names in (("leaders", self.leaders), ("pool", self.eligible)):
                self.counts[level][kind] = sum(1 for c in names if self.free(c, batch, cap, level) is None)

    def book(self, cert: str, batch: int, cap: int) -> None:
        """Count one more unit for `cert`, updating the counters when a cap is reached."""
        total, loads, draw_cap = self.total[cert], self.per_batch[cert], self.draw_cap
        if loads[batch - 1] + 1 != cap and (draw_cap is None or total + 1 != draw_cap):  # no cap reached now
            self.total[cert] = total + 1
            loads[batch - 1] += 1
            return
        below_draw = draw_cap is None or total < draw_cap  # level 1: below the per-draw cap
        below_both = below_draw and loads[batch - 1] < cap  # level 0: below both caps
        self.total[cert] = total + 1
        loads[batch - 1] += 1
        now_draw = draw_cap is None or total + 1 < draw_cap
        now_both = now_draw and loads[batch - 1] < cap
        kinds = ("leaders", "pool") if cert in self.leader_set else ("pool",)
        for level, before, after in ((0, below_both, now_both), (1, below_draw, now_draw)):
            if before and not after:
                for kind in kinds:
                    self.counts[level][kind] -= 1

    def level_for(self, unit: Unit, batch: int, cap: int, kind: str, role: str, chosen: list[str],
                  specific: dict[str, list[str]]) -> int:
        """The lowest relax level at which someone of the list `kind` can take the slot; noted if above 0."""
        if not specific and not chosen and self.counts[0][kind] > 0:  # the common case: open_count at level 0
            return 0
        for level in (0, 1, 2):
            if self.open_count(kind, batch, cap, chosen, specific, level) > 0:
                break
        else:  # plan() refuses such inputs before the seed exists; kept as a safeguard
            raise DrawError(infeasibility(self.pool, unit, self.rules.team.size, specific, chosen))
        if level:
            self.relaxed.setdefault((batch, level, role), []).append(unit.key)
        return level

    def assign(self, unit: Unit | UnitName, batch: int, cap: int, first: Sequence[bytes] = (), at: int = 0) -> tuple:
        """Leader first from the leader list, then members from the eligible pool, by successive inspector tickets.

        One loop over every slot with the hashing inlined (ticket(seed, LABEL_INSPECTOR, key|j) with the pads
        hashed once); j runs on across slots. `first` may hold, per j = 0, 1, ..., the tickets of key|j of a list
        of units computed beforehand in bulk (32 bytes each, joined), this unit being number `at` of the list.
        Returns the team as a row of TeamAssignments (attempts flat: index, 32-byte ticket, list, position,
        cert_no, outcome, index, ...).
        """
        key = unit.key
        if "\x00" in key:
            raise ValueError("NUL is not allowed in a ticket key")
        if self.specific.get(key):
            specific, removed = self.removed_for(key)
        else:
            specific, removed = _NO_REMOVALS, self.global_removed
        chosen: list[str] = []
        attempts: list = []  # flat: six values an attempt (one tuple a team, not one an attempt, for the collector)
        prefix = b""  # key|, encoded once a ticket beyond `first` is needed
        more_from, more = -MORE, b""  # tickets of key|more_from .. key|more_from + MORE - 1, joined
        icopy, ocopy = self.icopy, self.ocopy
        total, loads, draw_cap, b = self.total, self.per_batch, self.draw_cap, batch - 1
        below_caps = self.counts[0]  # per list: how many are below both caps in this batch
        j = 0
        for kind, names, role in self.slots:
            # open_count at level 0 is at least the list's count below both caps minus those already chosen
            if not specific and below_caps[kind] > len(chosen):
                level = 0
            else:
                level = self.level_for(unit, batch, cap, kind, role, chosen, specific)
            size = len(names)
            while True:
                if j < len(first):
                    t = first[j][32 * at:32 * at + 32]
                elif tickets._fast is not None:  # past the tickets computed ahead: the next MORE in one call
                    if not more_from <= j < more_from + MORE:
                        more_from, more = j, _more_tickets(self.seed, key, j)
                    t = more[32 * (j - more_from):32 * (j - more_from) + 32]
                else:
                    prefix = prefix or (key + "|").encode("utf-8")
                    h = icopy()
                    h.update(prefix + str(j).encode("ascii"))
                    o = ocopy()
                    o.update(h.digest())
                    t = o.digest()
                pos = int.from_bytes(t, "big") % size
                cert = names[pos]
                # Matcher.blocked(), with free() inlined for the common case
                if cert in chosen:
                    why: str | None = SKIP_IN_TEAM
                elif cert in specific:
                    why = "、".join(specific[cert])
                elif level < 2 and draw_cap is not None and total[cert] >= draw_cap:
                    why = self.draw_cap_text
                elif level < 1 and loads[cert][b] >= cap:
                    why = self.free(cert, batch, cap, 0)
                else:
                    why = None
                if why is not None:
                    attempts += (j, t, kind, pos, cert, "跳过：" + why)
                    j += 1
                    continue
                over = level and self.free(cert, batch, cap, 0) is not None
                attempts += (j, t, kind, pos, cert, role + OUTCOME_OVER_CAP if over else role)
                j += 1
                chosen.append(cert)
                break
        for cert in chosen:
            self.book(cert, batch, cap)
        eligible_count = len(self.eligible) - sum(1 for c in specific if c in total) if specific else len(self.eligible)
        return key, unit.name, batch, tuple(chosen), chosen[0], eligible_count, removed, tuple(attempts)


def infeasibility(pool: Sequence[PoolEntry], unit: Unit, size: int, specific: dict[str, list[str]],
                  chosen: Sequence[str] = ()) -> str:
    """The refusal text: the unit, the shortfall, and every inspector with every reason."""
    free = [p for p in pool if p.eligible and p.cert_no not in specific]
    leaders = sum(1 for p in free if p.can_lead)
    lines = [(f"无法为「{unit.name}」（{unit.key}）组成 {size} 人检查组：可选检查人员 {len(free)} 名"
              f"（其中可任组长 {leaders} 名），至少需要 {size} 名且其中 1 名可任组长。各检查人员情况：")]
    for p in pool:
        reasons = list(p.reasons) + list(specific.get(p.cert_no, ()))
        if not reasons and not p.can_lead:
            reasons.append("不符合组长条件")
        if p.cert_no in chosen:
            reasons.append(SKIP_IN_TEAM)
        lines.append(f"  {p.name}（{p.cert_no}）：{'、'.join(reasons) or '可选'}")
    if not pool:
        lines.append("  （名录中没有检查人员）")
    return "\n".join(lines)


def check_teams(inputs: DrawInputs, candidates: set[str]) -> None:
    """Refuse, before the seed exists, any candidate unit that could not get a team whoever is drawn.

    Recusal and rotation do not depend on the seed, so a unit left with fewer than `size` eligible
    inspectors, or with no leader, is known now; workload caps are relaxed (with a warning) instead.
    Units without removals are covered by plan()'s pool check, so only units with removals are read.
    """
    rules: Rules = inputs.rules  # type: ignore[assignment]
    specific = unit_removals(inputs)
    todo = sorted(k for k in specific if k in candidates)
    if not todo:
        return
    size = rules.team.size
    pool = base_pool(inputs)
    eligible = [p for p in pool if p.eligible]
    for key in todo:
        removed = specific[key]
        free = [p for p in eligible if p.cert_no not in removed]
        if len(free) < size or not any(p.can_lead for p in free):
            raise DrawError(infeasibility(pool, _unit_of(inputs.units, key), size, removed))


def _unit_of(units: Sequence[Unit], key: str) -> Unit:
    """The unit with this key (a UnitTable is searched in its key column, making one Unit only)."""
    keys = units.column("key") if isinstance(units, UnitTable) else [u.key for u in units]
    return units[keys.index(key)]


MORE = 16  # inspector tickets computed at a time for a unit that needs more than those computed ahead


def _more_tickets(seed: bytes, key: str, j: int) -> bytes:
    """ticket(seed, LABEL_INSPECTOR, key|i) for i = j .. j + MORE - 1, joined."""
    return tickets.joined_tickets(seed, LABEL_INSPECTOR, "\x00".join(f"{key}|{i}" for i in range(j, j + MORE))
                                  .encode("utf-8"), MORE)


def _first_tickets(seed: bytes, units: Sequence[Unit | UnitName], ahead: int) -> list[bytes]:
    """Per j < ahead, ticket(seed, LABEL_INSPECTOR, key|j) of every unit in order, 32 bytes each, joined."""
    if not ahead or not units:
        return []
    keys = [u.key for u in units]
    if "\x00" in "".join(keys):
        raise ValueError("NUL is not allowed in a ticket key")
    return [tickets.joined_tickets(seed, LABEL_INSPECTOR, (f"|{j}\x00".join(keys) + f"|{j}").encode("utf-8"), len(keys))
            for j in range(ahead)]


def batch_cap(slots: int, eligible: int, extra: int) -> int:
    """The per-batch workload cap ⌈slots / eligible⌉ + extra (extra alone if nobody is eligible)."""
    return (-(-slots // eligible) if eligible else 0) + extra


def match(seed: bytes, inputs: DrawInputs, batches: Sequence[Sequence[Unit | UnitName]]) -> TeamsResult:
    """Give every drawn unit a team, batch by batch, unit by unit in batch order.

    Of each unit only its key and name are read: a Unit or a UnitName does.
    """
    m = _Matcher(seed, inputs, len(batches))
    size, extra = m.rules.team.size, m.rules.team.max_extra_load
    caps = tuple(batch_cap(len(b) * size, len(m.eligible), extra) for b in batches)
    teams = []
    ahead = size + 2 if tickets._fast is not None else 0  # with the compiled hashing: most units need no more
    for number, units in enumerate(batches, start=1):
        m.start_batch(number, caps[number - 1])
        first = _first_tickets(seed, units, ahead)
        for i, unit in enumerate(units):
            teams.append(m.assign(unit, number, caps[number - 1], first, i))
    teams = TeamAssignments(teams)
    workload = tuple(
        Workload(c, m.by_cert[c].name, m.total[c], tuple(m.per_batch[c])) for c in m.eligible
    )
    return TeamsResult(m.pool, caps, teams, workload, _warnings(m.relaxed, caps, m.draw_cap))


def _warnings(relaxed: dict[tuple[int, int, str], list[str]], caps: tuple[int, ...],
              draw_cap: int | None) -> tuple[str, ...]:
    """One line per batch, cap and role where a workload cap had to give way."""
    out = []
    for (batch, level, role), units in sorted(relaxed.items()):
        what = f"已达本批次工作量上限（{caps[batch - 1]} 家）" if level == 1 else f"已达本次抽查每人最多 {draw_cap} 家"
        out.append(f"第 {batch} 批：{len(units)} 家单位的{role}只能由{what}的检查人员担任，已放宽上限（首家：{units[0]}）")
    return tuple(out)
