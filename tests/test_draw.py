"""The stratified draw dsr-sha256/1 (dsr/core/draw.py): sizes, exclusions, lowest tickets, batches."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from draw_factories import (
    DAY,
    Exclusion,
    HistoryEntry,
    crowded_key,
    inputs,
    inspector,
    keys,
    multiplier_rules,
    other_key,
    rules,
    unit,
)

from dsr.core.canonical import canonical_bytes, to_plain
from dsr.core.draw import ALGORITHM, cell_size, plan, run_draw
from dsr.core.rules import Batches, HazardIndustry, Stratum, Team, UnitFilter
from dsr.core.tickets import LABEL_BATCH, LABEL_UNIT, ticket
from dsr.errors import DrawError

SEED = "测试种子🎲".encode()
STAFF = [inspector(f"豫E{i:04d}") for i in range(8)]


def seed_directory():
    """5 crowded key units, 12 other key units, 40 general units."""
    return ([crowded_key(k) for k in keys("CR", 5)] + [other_key(k) for k in keys("OK", 12)]
            + [unit(k) for k in keys("GU", 40)])


def sizes(plans):
    """(name, N, n) per stratum."""
    return [(p.name, p.N, p.n) for p in plans]


def test_plan_follows_the_seed_rules():
    """Crowded key units all; 20 % of 12 rounds up to 3; 5 % of 40 is 2."""
    plans = plan(inputs(seed_directory(), STAFF))
    assert sizes(plans) == [("人员密集场所重点单位", 5, 5), ("其他重点单位", 12, 3), ("一般单位", 40, 2)]
    assert [c.probability for p in plans for c in p.cells] == ["5/5", "3/12", "2/40"]
    assert [c.cell for p in plans for c in p.cells] == ["人员密集场所重点单位/ALL", "其他重点单位/r=0.2", "一般单位/r=0.05"]


@pytest.mark.parametrize("rounding,expected", [("ceil", 3), ("floor", 2), ("half_up", 2)])
def test_rounding_rules(rounding, expected):
    """12 × 0.2 = 2.4: ceil 3, floor 2, half_up 2."""
    s = Stratum("x", "RATIO", ratio=Decimal("0.2"))
    assert cell_size(rules(rounding=rounding), s, 12, Fraction(1, 5)) == expected


def test_half_up_rounds_a_half_up():
    """10 × 0.25 = 2.5 rounds to 3 under half_up."""
    assert cell_size(rules(rounding="half_up"), Stratum("x", "RATIO", ratio=Decimal("0.25")), 10, Fraction(1, 4)) == 3


def test_minimum_maximum_and_count():
    """minimum raises a positive cell, maximum caps it, COUNT takes count, nothing exceeds N."""
    r = rules(rounding="floor")
    assert cell_size(r, Stratum("x", "RATIO", ratio=Decimal("0.01"), minimum=2), 10, Fraction(1, 100)) == 2
    assert cell_size(r, Stratum("x", "RATIO", ratio=Decimal(0), minimum=2), 10, Fraction(0)) == 0
    assert cell_size(r, Stratum("x", "RATIO", ratio=Decimal(1), maximum=4), 10, Fraction(1)) == 4
    assert cell_size(r, Stratum("x", "COUNT", count=7), 5, None) == 5
    assert cell_size(r, Stratum("x", "COUNT", count=3), 5, None) == 3


def test_multipliers_split_a_stratum_into_cells():
    """Credit A halves, D doubles, a hazard industry multiplies by 1.5; each cell is drawn on its own."""
    units = ([other_key(k, credit="A") for k in keys("A", 10)] + [other_key(k, credit="D") for k in keys("D", 10)]
             + [other_key(k, industry="化工") for k in keys("H", 10)])
    (_, other, _) = plan(inputs(units, STAFF, multiplier_rules()))
    assert [(c.cell, c.ratio, c.N, c.n, c.probability) for c in other.cells] == [
        ("其他重点单位/r=0.1", "0.1", 10, 1, "1/10"),
        ("其他重点单位/r=0.3", "0.3", 10, 3, "3/10"),
        ("其他重点单位/r=0.4", "0.4", 10, 4, "4/10"),
    ]


def test_effective_ratio_is_capped_at_one_and_override_wins():
    """A product above 1 becomes 1; a hazard ratio override replaces the product."""
    r = multiplier_rules(hazard_industries=(HazardIndustry("化工", ratio=Decimal("0.9")),),
                         strata=(Stratum("全部", "RATIO", ratio=Decimal("0.6")),))
    units = [unit(k, credit="D") for k in keys("D", 5)] + [unit(k, credit="D", industry="化工") for k in keys("H", 10)]
    (only,) = plan(inputs(units, STAFF, r))
    assert [(c.ratio, c.N, c.n) for c in only.cells] == [("0.9", 10, 9), ("1", 5, 5)]


def test_exclusion_reasons_in_documented_order():
    """Status, 九小场所, the exclusion list, no stratum, and drawn this year each exclude with a reason."""
    units = [
        unit("U1", status="停业"),
        unit("U2", unit_class="九小场所"),
        unit("U3"),
        unit("U4", unit_class="九小场所", status="注销"),
        unit("U5"),
        unit("U6"),
        unit("U7"),
    ]
    ex = [Exclusion("U3", "专项整治", dt.date(2026, 11, 1), dt.date(2026, 12, 31)),
          Exclusion("U6", "临时查封中", dt.date(2026, 1, 1), dt.date(2026, 6, 30))]  # expired: no effect
    hist = [HistoryEntry("U5", "D-2026-03", dt.date(2026, 3, 2)), HistoryEntry("U7", "D-2025-03", dt.date(2025, 3, 2))]
    r = rules(strata=(Stratum("一般单位", "RATIO", UnitFilter(unit_classes=("一般单位",)), ratio=Decimal(1)),))
    res = run_draw(SEED, inputs(units, STAFF, r, exclusions=ex, history=hist))
    assert [(u.key, u.status, u.reason) for u in res.units] == [
        ("U1", "excluded", "单位状态为停业"),
        ("U2", "excluded", "九小场所不列入本次抽查"),
        ("U3", "excluded", "不列入随机抽查：专项整治"),
        ("U4", "excluded", "单位状态为注销"),
        ("U5", "excluded", "本年度已抽查"),
        ("U6", "drawn", None),
        ("U7", "drawn", None),
    ]
    assert [(c.reason, c.count) for c in res.excluded] == [
        ("不列入随机抽查：专项整治", 1), ("九小场所不列入本次抽查", 1), ("单位状态为停业", 1), ("单位状态为注销", 1),
        ("本年度已抽查", 1),
    ]


def test_nine_small_included_but_unmatched_is_reported():
    """With 九小场所 included but no stratum for them, they are excluded as 未列入任何抽查层."""
    r = rules(include_nine_small=True)
    res = run_draw(SEED, inputs([unit("U1", unit_class="九小场所")], STAFF, r))
    assert (res.units[0].stratum, res.units[0].reason) == (None, "未列入任何抽查层")


def test_units_in_no_stratum_with_an_exclusion_row_or_a_draw_this_year_are_counted_once():
    """Rule 3 beats rule 4 for a unit in no stratum; a draw this year leaves it 未列入任何抽查层; each counted once."""
    r = rules(include_nine_small=True)
    units = [unit("N1", unit_class="九小场所"), unit("N2", unit_class="九小场所"), unit("N3", unit_class="九小场所")]
    ex = [Exclusion("N1", "专项整治", dt.date(2026, 11, 1), dt.date(2026, 12, 31))]
    hist = [HistoryEntry("N2", "D-2026-03", dt.date(2026, 3, 2))]
    res = run_draw(SEED, inputs(units, STAFF, r, exclusions=ex, history=hist))
    assert [(u.key, u.stratum, u.status, u.reason) for u in res.units] == [
        ("N1", None, "excluded", "不列入随机抽查：专项整治"),
        ("N2", None, "excluded", "未列入任何抽查层"),
        ("N3", None, "excluded", "未列入任何抽查层"),
    ]
    assert [(c.reason, c.count) for c in res.excluded] == [("不列入随机抽查：专项整治", 1), ("未列入任何抽查层", 2)]


def test_stratum_may_override_drawn_this_year():
    """A stratum with exclude_drawn_this_year false keeps units drawn earlier this year."""
    s = Stratum("人员密集场所重点单位", "ALL", UnitFilter(crowded=True), exclude_drawn_this_year=False)
    hist = [HistoryEntry("C1", "D-2026-03", dt.date(2026, 3, 2))]
    res = run_draw(SEED, inputs([crowded_key("C1")], STAFF, rules(strata=(s,)), history=hist))
    assert res.units[0].status == "drawn"


def test_priority_for_units_not_drawn_last_year():
    """Units not drawn last year are drawn first; probabilities are exact per group."""
    units = [unit(k) for k in keys("GU", 20)]
    last_year = [HistoryEntry(k, "D-2025-06", dt.date(2025, 6, 1)) for k in keys("GU", 20)[:17]]
    r = rules(priority_not_drawn_last_year=True,
              strata=(Stratum("一般单位", "RATIO", UnitFilter(), ratio=Decimal("0.25")),))
    res = run_draw(SEED, inputs(units, STAFF, r, history=last_year))
    cell = res.strata[0].cells[0]
    assert (cell.N, cell.n, cell.priority_N, cell.probability, cell.probability_rest) == (20, 5, 3, "3/3", "2/17")
    drawn = {u.key for u in res.units if u.status == "drawn"}
    assert set(keys("GU", 20)[17:]) <= drawn and len(drawn) == 5


def test_drawn_units_have_the_lowest_tickets():
    """In each cell the n units with the lowest HMAC tickets are drawn, recomputed here from ticket()."""
    units = seed_directory()
    res = run_draw(SEED, inputs(units, STAFF))
    for stratum, prefix, n in (("其他重点单位", "OK", 3), ("一般单位", "GU", 2)):
        cell = sorted((ticket(SEED, LABEL_UNIT, u.key), u.key) for u in units if u.key.startswith(prefix))
        expected = {k for _, k in cell[:n]}
        assert {u.key for u in res.units if u.stratum == stratum and u.status == "drawn"} == expected
    assert all(u.ticket == ticket(SEED, LABEL_UNIT, u.key).hex() for u in res.units)


def test_batches_are_near_equal_and_follow_the_order_rule():
    """10 drawn units in 3 batches: 4, 3, 3; order stratum puts crowded key units first."""
    r = rules(batches=Batches(3, "stratum"))
    res = run_draw(SEED, inputs(seed_directory(), STAFF, r))
    assert [len(b.units) for b in res.batches] == [4, 3, 3]
    order = [k for b in res.batches for k in b.units]
    assert order[:5] == sorted(keys("CR", 5), key=lambda k: ticket(SEED, LABEL_BATCH, k))
    assert all(u.batch == next(b.number for b in res.batches if u.key in b.units)
               for u in res.units if u.status == "drawn")


def test_random_batch_order_is_by_batch_ticket():
    """With order random the drawn units are sorted by their batch tickets alone."""
    res = run_draw(SEED, inputs(seed_directory(), STAFF, rules(batches=Batches(2, "random"))))
    order = [k for b in res.batches for k in b.units]
    assert order == sorted(order, key=lambda k: ticket(SEED, LABEL_BATCH, k))


def test_more_batches_than_units():
    """A batch count above the number drawn gives one unit per batch and no empty batch."""
    res = run_draw(SEED, inputs([crowded_key("C1"), crowded_key("C2")], STAFF, rules(batches=Batches(5))))
    assert [len(b.units) for b in res.batches] == [1, 1]


def test_duplicate_unit_key_is_refused():
    """A unit key appearing twice stops the draw and names the key."""
    units = [unit("91410502MA00000001"), unit("91410502MA00000001", name="另一家")]
    with pytest.raises(DrawError) as e:
        plan(inputs(units, STAFF))
    assert str(e.value) == "单位代码重复，无法抽取：「91410502MA00000001」出现 2 次"


def test_take_all_stratum_larger_than_inspectors_can_cover():
    """30 crowded key units × 2 = 60 slots exceed 4 inspectors × 10: refused before any seed, with the numbers."""
    r = rules(team=Team(size=2, pool=("文峰区",), max_units_per_inspector=10))
    with pytest.raises(DrawError) as e:
        plan(inputs([crowded_key(k) for k in keys("CR", 30)], STAFF[:4], r))
    assert str(e.value) == (
        "文峰区：本次应抽取 30 家单位（其中「人员密集场所重点单位」全部抽取 30 家），每家需 2 名检查人员，共 60 人次；"
        "符合条件的检查人员 4 名、每人本次最多 10 家，最多 40 人次，无法覆盖。"
        "请调整抽查比例、team.max_units_per_inspector 或人员名录。"
    )


def test_too_few_inspectors_for_one_team():
    """One eligible inspector cannot form a team of two."""
    with pytest.raises(DrawError) as e:
        plan(inputs([crowded_key("C1")], [inspector("豫E0001"), inspector("豫E0002", status="休假")]))
    assert str(e.value) == (
        "文峰区：本次应抽取 1 家单位（其中「人员密集场所重点单位」全部抽取 1 家），每组需 2 人且至少 1 名可任组长，"
        "但符合条件的检查人员只有 1 名（其中可任组长 1 名），无法组成检查组。"
    )


def test_result_is_canonical_json_without_floats():
    """The result encodes canonically; tickets are 64 lower-case hex digits; the algorithm is named."""
    res = run_draw(SEED, inputs(seed_directory(), STAFF))
    doc = json.loads(canonical_bytes(res))
    assert doc["algorithm"] == ALGORITHM == "dsr-sha256/1"
    assert doc["seed"] == SEED.hex() and doc["inspection_date"] == "2026-12-01"
    assert all(len(u["ticket"]) == 64 and u["ticket"] == u["ticket"].lower() for u in doc["units"])
    assert to_plain(res) == doc


def test_row_order_does_not_matter():
    """Reversing the units (as a careless caller might) gives the same result."""
    units = seed_directory()
    a = run_draw(SEED, inputs(units, STAFF))
    b = run_draw(SEED, replace(inputs(units, STAFF), units=tuple(reversed(units))))
    assert canonical_bytes(a) == canonical_bytes(b)


def test_inspection_date_is_part_of_the_result():
    """A different inspection date is visible in the result (certificates are judged on it)."""
    res = run_draw(SEED, inputs(seed_directory(), STAFF, day=dt.date(2026, 11, 2)))
    assert res.inspection_date == dt.date(2026, 11, 2) and DAY != res.inspection_date


def test_every_demo_brigade_is_feasible():
    """The demo rules, on the demo workbooks and date, plan and match for all nine brigades."""
    import glob
    from pathlib import Path

    from dsr.core.freeze import build_draw_inputs
    from dsr.inputs.detachment import load_detachment
    from dsr.inputs.reader import read_inputs
    from dsr.rules import load_rules

    root = Path(__file__).resolve().parent.parent
    det = load_detachment(root / "params" / "detachment.yaml")
    directory = read_inputs(sorted(glob.glob(str(root / "demo" / "data" / "*.xlsx"))), det, DAY).directory
    names = [b.name for b in det.brigades]
    for stem in ("wenfeng", "beiguan", "yindu", "longan", "anyangxian", "tangyin", "huaxian", "neihuang", "linzhou"):
        r = load_rules(root / "params" / "demo" / f"{stem}.yaml", names)
        res = run_draw(SEED, build_draw_inputs(directory, "安阳市消防救援支队", r.brigade, r, (), DAY))
        crowded = res.strata[0]
        assert crowded.n == crowded.N > 0 and len(res.teams) == sum(p.n for p in res.strata)
        assert max(w.total for w in res.workload) <= r.team.max_units_per_inspector


def test_rules_arriving_without_the_loader_are_still_checked():
    """A team of one or a ratio of 1.5 in rules rebuilt from JSON is refused by the core too."""
    bad = rules(team=Team(size=1, pool=("文峰区",)),
                strata=(Stratum("一般单位", "RATIO", UnitFilter(), ratio=Decimal("1.5")),))
    with pytest.raises(DrawError) as e:
        plan(inputs([unit("U1")], STAFF, bad))
    assert str(e.value) == "抽查细则不合规，拒绝抽取：第 1 个抽查层的抽查比例应在 0 到 1 之间；检查组人数不得少于 2 人（实际为 1）"


def test_lowest_is_exact_for_any_tickets():
    """The bounded selection equals a full sort by (ticket, key), also for skewed tickets and ties."""
    import random

    from dsr.core.draw import _lowest

    rng = random.Random(7)
    keys = [f"K{i:06d}" for i in range(3000)]
    uniform = [rng.randbytes(32) for _ in keys]
    skewed = [bytes([255]) + t[1:] if i % 3 else t for i, t in enumerate(uniform)]  # most tickets high
    low = [bytes(31) + bytes([i % 4]) for i in range(len(keys))]  # all near zero, many ties
    for tickets_ in (uniform, skewed, low):
        members = sorted(rng.sample(range(len(keys)), 2000))
        for n in (0, 1, 2, 17, 500, 1999, 2000, 2500):
            naive = sorted(i for _, _, i in sorted((tickets_[i], keys[i], i) for i in members)[:n])
            assert sorted(_lowest(n, members, tickets_, keys)) == naive


def test_ticket_function_gives_the_same_draw_and_a_wrong_one_is_refused():
    """run_draw with dsr.parallel's two-process tickets is byte-identical; a function returning other bytes is refused."""
    from dsr.core.tickets import ticket_list
    from dsr.parallel import parallel_ticket_list

    units = [unit(f"U{i:05d}") for i in range(300)]
    inp = inputs(units, STAFF)
    expected = canonical_bytes(run_draw(SEED, inp))
    assert canonical_bytes(run_draw(SEED, inp, parallel_ticket_list(2, min_keys=10))) == expected
    assert parallel_ticket_list(3, min_keys=1)(SEED, LABEL_UNIT, [u.key for u in units]) == \
        ticket_list(SEED, LABEL_UNIT, [u.key for u in units])

    def wrong(seed, label, keys):
        return ticket_list(seed + b"x", label, keys)

    with pytest.raises(DrawError, match="票值"):
        run_draw(SEED, inp, wrong)
    with pytest.raises(DrawError, match="票值"):
        run_draw(SEED, inp, lambda seed, label, keys: ticket_list(seed, label, keys)[:-1])
