"""The draw's fast paths give exactly what the plain ones give: tickets from forked workers, the profile
fields read per unit, outcomes and attempts built through a same-layout class, the paused collector."""

from __future__ import annotations

import gc
import os
import pickle
from dataclasses import FrozenInstanceError, fields, replace

import pytest
from draw_factories import (
    Conflict,
    crowded_key,
    inputs,
    inspector,
    multiplier_rules,
    other_key,
    rules,
    unit,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr.core.canonical import canonical_bytes
from dsr.core.draw import (
    Profile,
    UnitKeys,
    UnitOutcome,
    _lowest,
    _profile,
    _where,
    profile_fields,
    read_units,
    run_draw,
)
from dsr.core.rules import HazardIndustry, Stratum, UnitFilter
from dsr.core.teams import Attempt
from dsr.core.tickets import LABEL_UNIT, ticket, ticket_hex_list, ticket_list
from dsr.errors import DrawError
from dsr.parallel import ParallelTickets, parallel_ticket_list

SEED = b"speed equivalence seed"
STAFF = [inspector(f"豫E{i:04d}", leader=i % 2 == 0) for i in range(12)]
MAKERS = (unit, crowded_key, other_key)


def directory(n: int, start: int = 0):
    """n units of mixed strata, credit, risk and industry."""
    return [MAKERS[i % 3](f"KEY{i * 7919 % 100003:09d}", credit="ABCD"[i % 4], risk=("低", "一般", "高")[i % 3],
                          industry=("商贸", "化工", "餐饮", None)[i % 4]) for i in range(start, start + n)]


def test_hex_tickets_are_the_tickets():
    """ticket_hex_list is ticket_list in hex, and hex sorts as the bytes do."""
    keys = [u.key for u in directory(200)]
    as_bytes = ticket_list(SEED, LABEL_UNIT, keys)
    as_hex = ticket_hex_list(SEED, LABEL_UNIT, keys)
    assert as_hex == [t.hex() for t in as_bytes]
    assert sorted(range(200), key=as_hex.__getitem__) == sorted(range(200), key=as_bytes.__getitem__)
    with pytest.raises(ValueError):
        ticket_hex_list(SEED, LABEL_UNIT, ["A\x00B"])


def test_lowest_is_the_same_for_hex_and_bytes():
    keys = [u.key for u in directory(3000)]
    as_bytes = ticket_list(SEED, LABEL_UNIT, keys)
    as_hex = [t.hex() for t in as_bytes]
    members = list(range(0, 3000, 2))
    for n in (0, 1, 17, 700, 1499, 1500, 2000):
        assert sorted(_lowest(n, members, as_hex, keys)) == sorted(_lowest(n, members, as_bytes, keys))


@pytest.mark.parametrize("shuffle", [False, True])
def test_started_tickets_give_the_same_draw(shuffle):
    """run_draw with tickets started in forked workers (and helped from the back) is byte-identical."""
    units = directory(3000)
    inp = inputs(units, STAFF, multiplier_rules())
    if shuffle:  # the workers hash in the given order, the draw needs key order
        inp = replace(inp, units=tuple(reversed(inp.units)))
    expected = canonical_bytes(run_draw(SEED, inp))
    for workers in (2, 3):
        assert canonical_bytes(run_draw(SEED, inp, ParallelTickets(workers, min_keys=10))) == expected
    assert canonical_bytes(run_draw(SEED, inp, ParallelTickets(1))) == expected  # one CPU: computed here


class _FailsInWorker(UnitKeys):
    """Keys that cannot be read in a forked worker: the worker dies, its share is computed again here."""

    def __init__(self, units):
        super().__init__(units)
        self._home = os.getpid()

    def __getitem__(self, index):
        if os.getpid() != self._home:
            raise RuntimeError("worker failure")
        return super().__getitem__(index)


def test_a_failed_worker_is_replaced_here(capfd):
    units = tuple(sorted(directory(2000), key=lambda u: u.key))
    pending = ParallelTickets(2, min_keys=10).start(SEED, LABEL_UNIT, _FailsInWorker(units))
    assert pending.result() == ticket_hex_list(SEED, LABEL_UNIT, [u.key for u in units])
    pending.close()  # twice is fine
    capfd.readouterr()  # the worker's traceback


def test_started_workers_are_stopped_when_the_draw_is_refused():
    """A refusal while the workers run (duplicate keys) leaves no worker behind and the collector as it was."""
    units = directory(3000)
    inp = inputs(units, STAFF)
    inp = replace(inp, units=inp.units + (inp.units[5],))
    before = {p.pid for p in __import__("multiprocessing").active_children()}
    with pytest.raises(DrawError, match="单位代码重复"):
        run_draw(SEED, inp, parallel_ticket_list(2, min_keys=10))
    assert {p.pid for p in __import__("multiprocessing").active_children()} <= before
    assert gc.isenabled()


def test_the_collector_is_restored():
    inp = inputs(directory(50), STAFF)
    assert gc.isenabled()
    run_draw(SEED, inp)
    assert gc.isenabled()
    gc.disable()
    try:
        run_draw(SEED, inp)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_outcomes_and_attempts_are_ordinary_frozen_instances():
    """Built through a same-layout class, they equal what their constructors make, in every respect."""
    res = run_draw(SEED, inputs(directory(60), STAFF))
    for o in res.units[:5] + tuple(u for u in res.units if u.status == "drawn")[:3]:
        assert type(o) is UnitOutcome
        again = UnitOutcome(*(getattr(o, f.name) for f in fields(UnitOutcome)))
        assert o == again and hash(o) == hash(again) and repr(o) == repr(again) and vars(o) == vars(again)
        assert list(vars(o)) == [f.name for f in fields(UnitOutcome)]
        assert pickle.loads(pickle.dumps(o)) == o
        with pytest.raises(FrozenInstanceError):
            o.status = "drawn"  # type: ignore[misc]
    a = res.teams[0].attempts[0]
    assert type(a) is Attempt and a == Attempt(*(getattr(a, f.name) for f in fields(Attempt)))
    with pytest.raises(FrozenInstanceError):
        a.outcome = "组长"  # type: ignore[misc]


def test_unit_keys_reads_keys_lazily():
    units = tuple(directory(10))
    keys = UnitKeys(units)
    assert len(keys) == 10 and list(keys) == [u.key for u in units] and keys[2:4] == [u.key for u in units[2:4]]
    keys.known([u.key for u in units])
    assert keys[3] == units[3].key and list(keys) == [u.key for u in units]


def test_read_units_sorts_and_refuses_duplicates():
    units = directory(30)
    cols = read_units(replace(inputs(units, STAFF), units=tuple(sorted(units, key=lambda u: u.key, reverse=True))))
    assert cols.keys == sorted(u.key for u in units) and cols.order == list(range(29, -1, -1))
    with pytest.raises(DrawError, match="单位代码重复"):
        read_units(inputs(units + [units[3]], STAFF))


FILTERS = st.builds(
    UnitFilter,
    unit_classes=st.sampled_from(((), ("一般单位",), ("消防安全重点单位", "九小场所"))),
    crowded=st.sampled_from((None, True, False)),
    public_gathering=st.sampled_from((None, True)),
    key_categories=st.sampled_from(((), ("公众聚集场所",))),
    industries=st.sampled_from(((), ("化工",), ("商贸", "餐饮"))),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(FILTERS, min_size=1, max_size=4), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from(((), (HazardIndustry("化工", multiplier=__import__("decimal").Decimal("1.5")),),
                        (HazardIndustry("餐饮", ratio=__import__("decimal").Decimal("0.3")),))))
def test_fields_left_unread_change_nothing(filters, multipliers, nine_small, priority, hazard):
    """Every unit's Where from the fields the rules read equals its Where from the whole profile."""
    from decimal import Decimal

    strata = tuple(Stratum(f"层{i}", ("RATIO", "ALL", "COUNT")[i % 3], f, ratio=Decimal("0.2") if i % 3 == 0 else None,
                           count=2 if i % 3 == 2 else None, multipliers=multipliers) for i, f in enumerate(filters))
    r = multiplier_rules(strata=strata, include_nine_small=nine_small, priority_not_drawn_last_year=priority,
                         hazard_industries=hazard)
    used = profile_fields(r)
    units = directory(48) + [unit("NINE00001", unit_class="九小场所"), unit("SHUT00001", status="停业"),
                             crowded_key("PUB000001", public_gathering=True)]
    for u in units:
        whole = Profile(*(getattr(u, f) for f in Profile._fields))
        assert _where(r, _profile(used, tuple(getattr(u, f) for f in used))) == _where(r, whole)


def test_conflicts_history_and_priority_draw_the_same_in_both_ticket_modes():
    import datetime as dt

    from dsr.core.model import Exclusion, HistoryEntry

    units = directory(600)
    conflicts = [Conflict(STAFF[i % 12].cert_no, units[i].key, "近亲属", "本人申报", None, None) for i in range(0, 600, 9)]
    history = [HistoryEntry(units[i].key, f"D{i}", dt.date(2025 + (i // 4) % 2, 3, 1), (STAFF[i % 12].cert_no,))
               for i in range(0, 600, 4)]
    exclusions = [Exclusion(units[i].key, "专项整治", None, None) for i in range(1, 600, 50)]
    inp = inputs(units, STAFF, rules(priority_not_drawn_last_year=True), conflicts=conflicts, history=history,
                 exclusions=exclusions)
    plain = run_draw(SEED, inp)
    assert {u.reason for u in plain.units} >= {"本年度已抽查", "不列入随机抽查：专项整治", None}
    assert any(c.priority_N is not None and c.priority_N < c.N for s in plain.strata for c in s.cells)
    assert canonical_bytes(run_draw(SEED, inp, ParallelTickets(2, min_keys=10))) == canonical_bytes(plain)


def test_unit_outcomes_read_as_the_tuple_they_stand_for():
    """DrawResult.units is built as columns; every way of reading it gives what the tuple of UnitOutcome gives."""
    import datetime as dt

    from dsr.core.canonical import to_plain
    from dsr.core.draw import UnitOutcomes
    from dsr.core.model import Exclusion, HistoryEntry

    units = directory(300)
    history = [HistoryEntry(units[i].key, f"D{i}", dt.date(2025 + (i // 5) % 2, 3, 1), ()) for i in range(0, 300, 5)]
    exclusions = [Exclusion(units[i].key, "专项整治", None, None) for i in range(3, 300, 40)]
    res = run_draw(SEED, inputs(units, STAFF, rules(priority_not_drawn_last_year=True), history=history,
                                exclusions=exclusions))
    lazy = res.units
    assert isinstance(lazy, UnitOutcomes)
    whole = tuple(lazy)
    assert {u.status for u in whole} == {"drawn", "not_drawn", "excluded"}
    assert len(lazy) == len(whole) and list(reversed(lazy)) == list(reversed(whole))
    assert [lazy[i] for i in range(len(whole))] == list(whole) == [lazy[i - len(whole)] for i in range(len(whole))]
    assert lazy[3:40:7] == whole[3:40:7] and lazy[::-1] == whole[::-1] and lazy[:0] == ()
    for bad in (len(whole), -len(whole) - 1):
        with pytest.raises(IndexError):
            lazy[bad]
    assert lazy == whole and whole == lazy and (lazy != whole) is False and lazy != whole[:-1] and lazy != list(whole)
    assert hash(lazy) == hash(whole) and repr(lazy) == repr(whole)
    assert lazy.index(whole[7]) == 7 and whole[9] in lazy and lazy.count(whole[2]) == 1
    again = pickle.loads(pickle.dumps(lazy))
    assert isinstance(again, UnitOutcomes) and again == lazy and tuple(again) == whole
    assert to_plain(lazy) == to_plain(whole) == lazy.canonical_plain()
    assert canonical_bytes(res) == canonical_bytes(replace(res, units=whole))
    assert res == replace(res, units=whole) and hash(res) == hash(replace(res, units=whole))
    assert [type(o) for o in lazy] == [UnitOutcome] * len(whole)


@pytest.mark.parametrize("seed", [b"", b"k", SEED, bytes(range(64)), bytes(range(65)) * 3])
def test_tickets_through_the_built_in_sha256_are_hmac(seed):
    """The pads hashed by the interpreter's own SHA-256 give hmac's bytes, for short, block-sized and long seeds."""
    import hashlib
    import hmac

    from dsr.core.tickets import ticketer

    keys = ["A", "统一社会信用代码🎲", "x" * 200, ""] + [u.key for u in directory(20)]
    expected = [hmac.new(seed, b"dsr/unit/1\x00" + k.encode(), hashlib.sha256).digest() for k in keys]
    assert ticket_list(seed, LABEL_UNIT, keys) == expected
    assert ticket_hex_list(seed, LABEL_UNIT, keys) == [t.hex() for t in expected]
    assert [ticketer(seed, LABEL_UNIT)(k) for k in keys] == expected


def reference_match(seed, inp, batches):
    """§8 read literally: every availability found by scanning the list, one ticket() call per attempt."""
    from dsr.core.teams import (
        Attempt,
        Removal,
        TeamAssignment,
        TeamsResult,
        Workload,
        _warnings,
        base_pool,
        batch_cap,
        unit_removals,
    )
    from dsr.core.tickets import LABEL_INSPECTOR, ticket

    team = inp.rules.team
    pool = base_pool(inp)
    eligible = [p.cert_no for p in pool if p.eligible]
    leaders = [p.cert_no for p in pool if p.eligible and p.can_lead]
    specific = unit_removals(inp)
    total = {c: 0 for c in eligible}
    per = {c: [0] * len(batches) for c in eligible}
    caps = tuple(batch_cap(len(b) * team.size, len(eligible), team.max_extra_load) for b in batches)
    m = team.max_units_per_inspector
    teams, relaxed = [], {}
    for b, units in enumerate(batches):
        cap = caps[b]

        def at_cap(c, level, b=b, cap=cap):
            if level < 2 and m is not None and total[c] >= m:
                return f"已达本次抽查每人最多 {m} 家"
            if level < 1 and per[c][b] >= cap:
                return f"已达本批次工作量上限（{cap} 家）"
            return None

        for u in units:
            spec = specific.get(u.key, {})
            chosen, attempts, j = [], [], 0
            for slot in range(team.size):
                names, kind, role = (leaders, "leaders", "组长") if slot == 0 else (eligible, "pool", "组员")
                levels = [lv for lv in (0, 1, 2)
                          if any(c not in chosen and c not in spec and at_cap(c, lv) is None for c in names)]
                if not levels:
                    raise DrawError("no team")
                level = levels[0]
                if level:
                    relaxed.setdefault((b + 1, level, role), []).append(u.key)
                while True:
                    t = ticket(seed, LABEL_INSPECTOR, f"{u.key}|{j}")
                    pos = int.from_bytes(t, "big") % len(names)
                    c = names[pos]
                    why = "已在本组" if c in chosen else "、".join(spec[c]) if c in spec else at_cap(c, level)
                    if why:
                        attempts.append(Attempt(j, t.hex(), kind, pos, c, "跳过：" + why))
                        j += 1
                        continue
                    over = "（超出工作量上限）" if level and at_cap(c, 0) else ""
                    attempts.append(Attempt(j, t.hex(), kind, pos, c, role + over))
                    j += 1
                    chosen.append(c)
                    break
            for c in chosen:
                total[c] += 1
                per[c][b] += 1
            reasons = {p.cert_no: list(p.reasons) for p in pool if not p.eligible}
            for c in sorted(spec):
                if any(p.cert_no == c for p in pool):
                    reasons.setdefault(c, []).extend(spec[c])
            removed = tuple(Removal(c, next(p.name for p in pool if p.cert_no == c), tuple(reasons[c]))
                            for c in sorted(reasons))
            teams.append(TeamAssignment(u.key, u.name, b + 1, tuple(chosen), chosen[0],
                                        len(eligible) - sum(1 for c in spec if c in total), removed, tuple(attempts)))
    names_ = {p.cert_no: p.name for p in pool}
    workload = tuple(Workload(c, names_[c], total[c], tuple(per[c])) for c in eligible)
    return TeamsResult(tuple(pool), caps, tuple(teams), workload, _warnings(relaxed, caps, m))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 3), st.integers(3, 9), st.integers(1, 4), st.sampled_from((None, 2, 5)),
       st.integers(0, 2), st.booleans(), st.integers(0, 12))
def test_matching_is_the_literal_reading_of_the_spec(salt, size, staff, leader_every, per_draw_cap, extra, rotation,
                                                     n_conflicts):
    """match() (counters, inlined hashing, fast attempts) gives what §8 read literally gives, refusals included."""
    import datetime as dt

    from dsr.core.model import HistoryEntry
    from dsr.core.rules import Team
    from dsr.core.teams import match

    seed = salt.to_bytes(4, "big")
    people = [inspector(f"豫E{i:04d}", leader=i % leader_every == 0, status="在岗" if i != 5 else "休假")
              for i in range(staff)]
    units = directory(30, start=salt % 1000)
    conflicts = [Conflict(people[(salt + i) % staff].cert_no, units[(i * 7 + salt) % 30].key, kind, "本人申报", None, None)
                 for i, kind in zip(range(n_conflicts), ("近亲属", "曾任职", "近亲属", "其他") * 3)]
    history = [HistoryEntry(units[i].key, f"D{i}", dt.date(2026, 3, 1), (people[i % staff].cert_no,))
               for i in range(0, 30, 3)]
    r = rules(team=Team(size=size, pool=("文峰区",), rotation=rotation, max_extra_load=extra,
                        max_units_per_inspector=per_draw_cap))
    inp = inputs(units, people, r, conflicts=conflicts, history=history)
    cut = salt % 7 + 1
    batches = [list(inp.units[:cut]), list(inp.units[cut:cut + 12]), list(inp.units[cut + 12:])]
    try:
        expected = canonical_bytes(reference_match(seed, inp, batches))
    except DrawError:
        with pytest.raises(DrawError):
            match(seed, inp, batches)
        return
    assert canonical_bytes(match(seed, inp, batches)) == expected


@pytest.mark.parametrize("workers", [2, 3])
def test_chunks_over_forked_workers_join_in_order(monkeypatch, workers):
    """map_chunks gives work(0, n) whoever computes which chunk: many small chunks, several widths, n = 0."""
    import dsr.parallel

    monkeypatch.setattr(dsr.parallel, "CHUNK", 37)

    def work(start, end):
        return bytes(i % 251 for i in range(start, end)), b"".join(i.to_bytes(4, "big") for i in range(start, end))

    for n in (0, 1, 36, 37, 38, 1000, 5003):
        assert ParallelTickets(workers, min_keys=1).map_chunks(n, work, (1, 4)) == work(0, n)


def test_chunks_a_failed_worker_took_are_computed_here(monkeypatch, capfd):
    import dsr.parallel

    monkeypatch.setattr(dsr.parallel, "CHUNK", 50)
    home = os.getpid()

    def work(start, end):
        if os.getpid() != home:
            raise RuntimeError("worker failure")
        return (bytes(i % 253 for i in range(start, end)),)

    assert ParallelTickets(2, min_keys=1).map_chunks(1000, work, (1,)) == work(0, 1000)
    capfd.readouterr()  # the worker's traceback


def test_chunked_tickets_and_flags_give_the_same_draw(monkeypatch):
    """run_draw with unit_chunk over forked workers in many chunks (exclusions, history, priority) is byte-identical."""
    import datetime as dt

    import dsr.parallel
    from dsr.core.model import Exclusion, HistoryEntry

    monkeypatch.setattr(dsr.parallel, "CHUNK", 97)
    units = directory(2500)
    history = [HistoryEntry(units[i].key, f"D{i}", dt.date(2025 + (i // 4) % 2, 3, 1), ()) for i in range(0, 2500, 4)]
    exclusions = [Exclusion(units[i].key, "专项整治", None, None) for i in range(1, 2500, 50)]
    for r in (rules(priority_not_drawn_last_year=True), multiplier_rules()):
        inp = inputs(units, STAFF, r, history=history, exclusions=exclusions)
        expected = canonical_bytes(run_draw(SEED, inp))
        for workers in (2, 3):
            assert canonical_bytes(run_draw(SEED, inp, ParallelTickets(workers, min_keys=10))) == expected


def test_tickets_or_flags_from_elsewhere_are_checked():
    """A map_chunks answer with a wrong ticket, or a wrong bound flag, is refused."""
    from dsr.core.draw import TicketColumn, unit_chunk  # noqa: F401

    inp = inputs(directory(400), STAFF)

    class Tampered:
        def __init__(self, at, which):
            self.at, self.which = at, which

        def map_chunks(self, n, work, widths):
            out = [bytearray(b) for b in work(0, n)]
            out[self.which][self.at * widths[self.which]] ^= 1
            return tuple(bytes(b) for b in out)

    for which in (0, 1):
        with pytest.raises(DrawError, match="票值"):
            run_draw(SEED, inp, Tampered(0, which))
    for wrong in (lambda s, label, keys: [t.hex() for t in ticket_list(s, label, keys)],
                  lambda s, label, keys: [t[:31] for t in ticket_list(s, label, keys)]):
        with pytest.raises(DrawError, match="票值"):
            run_draw(SEED, inp, wrong)
    assert canonical_bytes(run_draw(SEED, inp, ParallelTickets(1))) == canonical_bytes(run_draw(SEED, inp))


def test_ticket_column_reads_as_a_list_of_tickets():
    from dsr.core.draw import TicketColumn

    keys = [u.key for u in directory(50)]
    tickets_ = ticket_list(SEED, LABEL_UNIT, keys)
    column = TicketColumn(b"".join(tickets_))
    assert len(column) == 50 and list(column) == tickets_ and column[-1] == tickets_[-1] and column[3:9] == tickets_[3:9]
    assert pickle.loads(pickle.dumps(column))[7] == tickets_[7]
    with pytest.raises(IndexError):
        column[50]
    with pytest.raises(ValueError):
        TicketColumn(b"x" * 33)


def test_team_assignments_read_as_the_tuple_they_stand_for():
    """DrawResult.teams is kept as rows; every way of reading it gives what the tuple of TeamAssignment gives."""
    import datetime as dt

    from dsr.core.canonical import to_plain
    from dsr.core.model import HistoryEntry
    from dsr.core.rules import Team
    from dsr.core.teams import TeamAssignment, TeamAssignments

    units = directory(120)
    conflicts = [Conflict(STAFF[i % 12].cert_no, units[i].key, "近亲属", "本人申报", None, None) for i in range(0, 120, 3)]
    history = [HistoryEntry(units[i].key, f"D{i}", dt.date(2026, 3, 1), (STAFF[i % 12].cert_no,)) for i in range(1, 120, 4)]
    r = rules(team=Team(size=3, pool=("文峰区",), rotation=True, max_units_per_inspector=12))
    res = run_draw(SEED, inputs(units, STAFF, r, conflicts=conflicts, history=history))
    lazy = res.teams
    assert isinstance(lazy, TeamAssignments)
    whole = tuple(lazy)
    assert len(whole) > 5 and any(t.removed for t in whole) and any(len(t.attempts) > 3 for t in whole)
    assert [type(t) for t in whole] == [TeamAssignment] * len(whole)
    assert [lazy[i] for i in range(len(whole))] == list(whole) and lazy[-1] == whole[-1] and lazy[1:4] == whole[1:4]
    assert list(reversed(lazy)) == list(reversed(whole))
    assert lazy == whole and whole == lazy and (lazy != whole) is False and lazy != whole[:-1] and lazy != list(whole)
    assert hash(lazy) == hash(whole) and repr(lazy) == repr(whole)
    again = pickle.loads(pickle.dumps(lazy))
    assert isinstance(again, TeamAssignments) and again == lazy and tuple(again) == whole
    assert to_plain(lazy) == to_plain(whole) == lazy.canonical_plain()
    assert canonical_bytes(res) == canonical_bytes(replace(res, teams=whole))
    assert res == replace(res, teams=whole) and hash(res) == hash(replace(res, teams=whole))
    t = whole[0]
    assert t == TeamAssignment(*(getattr(t, f.name) for f in fields(TeamAssignment)))
    assert list(vars(t)) == [f.name for f in fields(TeamAssignment)]
    with pytest.raises(FrozenInstanceError):
        t.leader = "x"  # type: ignore[misc]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6)), max_size=60, unique_by=lambda d: d[1]),
       st.integers(1, 7), st.sampled_from(("random", "stratum")))
def test_batches_are_the_literal_reading_of_the_spec(drawn, count_, order):
    """§7: sorted by (batch ticket, key) or (stratum, batch ticket, key), cut into near-equal consecutive parts."""
    from dsr.core.draw import _batches
    from dsr.core.rules import Batches
    from dsr.core.tickets import LABEL_BATCH, ticket

    drawn = [(s, f"K{k:09d}") for s, k in drawn]
    by = {k: ticket(SEED, LABEL_BATCH, k) for _, k in drawn}
    key = (lambda d: (d[0], by[d[1]], d[1])) if order == "stratum" else (lambda d: (by[d[1]], d[1]))
    ordered = [k for _, k in sorted(drawn, key=key)]
    c = min(count_, len(ordered))
    sizes = [len(ordered) // c + (1 if b < len(ordered) % c else 0) for b in range(c)]
    expected = [tuple(ordered[sum(sizes[:b]):sum(sizes[:b + 1])]) for b in range(c)]
    got = _batches(SEED, rules(batches=Batches(count_, order)), drawn)
    assert [b.units for b in got] == expected and [b.number for b in got] == list(range(1, c + 1))


@pytest.mark.parametrize("one_field", [False, True])
def test_read_units_ids_are_first_positions_in_key_order_whatever_the_given_order(one_field):
    """Profiles go straight to ids; for shuffled units the ids are re-based on key order; one field works too."""
    import random

    from dsr.core.draw import place

    r = (rules(include_nine_small=True, strata=(Stratum("全部", "RATIO", UnitFilter(), ratio=__import__("decimal").Decimal("0.1")),))
         if one_field else multiplier_rules())
    assert (profile_fields(r) == ("status",)) == one_field
    units = directory(400) + [unit(f"SHUT{i:05d}", status="停业") for i in range(9)]
    ordered = inputs(units, STAFF, r)
    shuffled = list(ordered.units)
    random.Random(5).shuffle(shuffled)
    for presented in (ordered, replace(ordered, units=tuple(shuffled))):
        cols = read_units(presented)
        profiles = [tuple(getattr(u, f) for f in cols.fields) for u in cols.inputs.units]
        first = {}
        for i, p in enumerate(profiles):
            first.setdefault(p, i)
        assert cols.keys == sorted(u.key for u in units)
        assert cols.where_of == [first[p] for p in profiles] and cols.profiles == first
        assert list(cols.profiles.values()) == sorted(cols.profiles.values())
        assert list(cols.names) == [u.name for u in cols.inputs.units]
    a, b = place(ordered), place(replace(ordered, units=tuple(shuffled)))
    assert (a.wheres, a.where_of, a.cells) == (b.wheres, b.where_of, b.cells)
    assert canonical_bytes(run_draw(SEED, ordered)) == canonical_bytes(run_draw(SEED, replace(ordered, units=tuple(shuffled))))


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_keys_hashed_from_joined_buffers_are_the_keys(monkeypatch, compiled):
    """unit_chunk hashes every range of key_blobs' buffers as ticket() the keys (empty, non-ASCII, blob edges),
    with the compiled accelerator and without it; a key holding NUL is refused either way."""
    import dsr.core.draw as draw_module
    import dsr.core.tickets as tickets_module
    from dsr.core.draw import key_blobs, unit_chunk

    if compiled and tickets_module._fast is None:
        pytest.skip("dsr.core._ticketc is not built here")
    if not compiled:
        monkeypatch.setattr(tickets_module, "_fast", None)
    monkeypatch.setattr(draw_module, "BLOB", 7)
    keys = ["", "统一社会信用代码", "🎲x", "a|b"] + [f"K{i:03d}" for i in range(40)]
    blobs = key_blobs(keys)
    assert len(blobs) == 7
    bound = bytes([128]) + bytes(31)
    where_of = [i % 3 for i in range(len(keys))]
    by_where = {0: bound, 1: b"", 2: b"\xff" * 32}
    for start in range(0, len(keys) + 1, 3):
        for end in range(start, len(keys) + 1, 5):
            digests, flags = unit_chunk(SEED, blobs, len(keys), where_of, by_where, start, end)
            expected = [ticket(SEED, LABEL_UNIT, k) for k in keys[start:end]]
            assert digests == b"".join(expected)
            assert flags == bytes(t < by_where[where_of[i]] for i, t in enumerate(expected, start))
    for at in (0, 6, 7, 20):
        bad = keys[:at] + ["NUL\x00inside"] + keys[at:]
        with pytest.raises(ValueError, match="NUL"):
            unit_chunk(SEED, key_blobs(bad), len(bad), [0] * len(bad), {0: bound}, 0, len(bad))
    with pytest.raises(ValueError, match="NUL"):
        run_draw(SEED, inputs([unit("A\x00B"), unit("C")], STAFF))
