"""Inspector matching (dsr/core/teams.py): eligibility, recusal, rotation, leaders, workload, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from draw_factories import Conflict, HistoryEntry, crowded_key, inputs, inspector, keys, rules

from dsr.core.draw import plan, run_draw
from dsr.core.rules import LeaderRule, Team
from dsr.core.teams import base_pool, batch_cap
from dsr.core.tickets import LABEL_INSPECTOR, ticket
from dsr.errors import DrawError

SEED = "测试种子🎲".encode()
STAFF = [inspector(f"豫E{i:04d}") for i in range(6)]


def test_eligibility_reasons_are_all_given():
    """Every reason an inspector cannot serve on this draw is listed, in the fixed order."""
    staff = [
        inspector("豫E0001"),
        inspector("豫E0002", cert_expiry=dt.date(2026, 11, 30)),
        inspector("豫E0003", status="借调", brigade="北关区"),
        inspector("豫E0004", items=("XF-002",), cert_expiry=dt.date(2026, 1, 1), status="休假"),
        inspector("豫E0005", items=("XF-001", "XF-002"), cert_expiry=dt.date(2026, 12, 1)),
    ]
    pool = base_pool(inputs([], staff))
    assert [(p.cert_no, p.eligible, p.reasons) for p in pool] == [
        ("豫E0001", True, ()),
        ("豫E0002", False, ("执法证已过期",)),
        ("豫E0003", False, ("不在人员池", "非在岗状态（借调）")),
        ("豫E0004", False, ("执法证已过期", "非在岗状态（休假）", "未授权该事项")),
        ("豫E0005", True, ()),  # a certificate valid to the inspection date itself is still valid
    ]


def test_configured_pool_admits_another_brigade():
    """With a cross-district pool, an inspector of 北关区 may serve a 文峰区 unit."""
    r = rules(team=Team(size=2, pool=("文峰区", "北关区")))
    pool = base_pool(inputs([], [inspector("豫E0003", brigade="北关区")], r))
    assert pool[0].eligible


def test_every_team_has_size_members_and_a_leader_first():
    """Teams have exactly the configured size, distinct members, and a qualified leader listed first."""
    staff = [inspector(f"豫E{i:04d}", leader=i < 2) for i in range(6)]
    res = run_draw(SEED, inputs([crowded_key(k) for k in keys("CR", 6)], staff, rules(team=Team(size=3, pool=("文峰区",)))))
    leaders = {"豫E0000", "豫E0001"}
    for t in res.teams:
        assert len(t.members) == len(set(t.members)) == 3
        assert t.leader == t.members[0] and t.leader in leaders


def test_leader_rule_with_minimum_years():
    """A leader rule of 8 years picks only the inspector with 10 years as leader."""
    staff = [inspector("豫E0001", years=10, leader=False), inspector("豫E0002", years=3), inspector("豫E0003", years=4)]
    r = rules(team=Team(size=2, pool=("文峰区",), leader=LeaderRule(required=False, min_years=8)))
    res = run_draw(SEED, inputs([crowded_key("C1")], staff, r))
    assert res.teams[0].leader == "豫E0001"


def test_conflicted_inspector_is_recused_and_listed():
    """An inspector with a valid conflict never serves the unit, and the result says why."""
    units = [crowded_key(k) for k in keys("CR", 8)]
    target = units[0].key
    conflicts = [Conflict("豫E0000", target, "近亲属", "本人申报", dt.date(2026, 1, 1), None),
                 Conflict("豫E0001", target, "持股", "单位申请", None, dt.date(2026, 6, 30))]  # expired: no effect
    res = run_draw(SEED, inputs(units, STAFF, conflicts=conflicts))
    team = next(t for t in res.teams if t.unit_key == target)
    assert "豫E0000" not in team.members
    assert [(r.cert_no, r.reasons) for r in team.removed] == [("豫E0000", ("利害关系回避（近亲属）",))]
    assert team.eligible_count == 5


def test_rotation_removes_last_team():
    """Nobody inspects a unit they inspected at its last draw; with rotation off they may."""
    units = [crowded_key("C1")]
    staff = STAFF[:4]
    hist = [HistoryEntry("C1", "D-2025-01", dt.date(2025, 1, 5), ("豫E0002",)),
            HistoryEntry("C1", "D-2025-09", dt.date(2025, 9, 5), ("豫E0000", "豫E0001"))]
    res = run_draw(SEED, inputs(units, staff, history=hist))
    assert set(res.teams[0].members) == {"豫E0002", "豫E0003"}
    assert [(r.cert_no, r.reasons) for r in res.teams[0].removed] == [
        ("豫E0000", ("轮换：上次检查过该单位",)), ("豫E0001", ("轮换：上次检查过该单位",))]
    off = run_draw(SEED, inputs(units, staff, rules(team=Team(size=2, pool=("文峰区",), rotation=False)), history=hist))
    assert off.teams[0].removed == ()


def test_attempts_recompute_from_inspector_tickets():
    """Each attempt's ticket is HMAC(seed, dsr/inspector/1, unit key|j) and its position is ticket mod list length."""
    res = run_draw(SEED, inputs([crowded_key(k) for k in keys("CR", 4)], STAFF))
    for t in res.teams:
        for a in t.attempts:
            raw = ticket(SEED, LABEL_INSPECTOR, f"{t.unit_key}|{a.index}")
            assert a.ticket == raw.hex() and a.position == int.from_bytes(raw, "big") % len(STAFF)
        assert [a.cert_no for a in t.attempts if not a.outcome.startswith("跳过")] == list(t.members)
        assert [a.index for a in t.attempts] == list(range(len(t.attempts)))


def test_workload_cap_holds_when_feasible():
    """With enough inspectors nobody exceeds ⌈slots / eligible⌉ + 1 in a batch, and no warning is given."""
    units = [crowded_key(k) for k in keys("CR", 20)]
    res = run_draw(SEED, inputs(units, STAFF))
    assert res.batch_caps == (batch_cap(20, 6, 1), batch_cap(20, 6, 1)) == (5, 5)
    assert all(n <= 5 for w in res.workload for n in w.per_batch)
    assert sum(w.total for w in res.workload) == 40 and res.warnings == ()


def test_scarce_leaders_exceed_the_cap_and_say_so():
    """One leader must lead every team: the cap gives way and one warning per batch says so."""
    staff = [inspector(f"豫E{i:04d}", leader=i == 0) for i in range(6)]
    res = run_draw(SEED, inputs([crowded_key(k) for k in keys("CR", 10)], staff))
    assert all(t.leader == "豫E0000" for t in res.teams)
    assert res.warnings[0].startswith("第 1 批：2 家单位的组长只能由已达本批次工作量上限（3 家）的检查人员担任，已放宽上限")
    assert len(res.warnings) == 2


def test_per_draw_cap_holds_with_slack():
    """max_units_per_inspector holds when the capacity has slack (24 slots, 6 × 5 = 30)."""
    r = rules(team=Team(size=2, pool=("文峰区",), max_units_per_inspector=5))
    res = run_draw(SEED, inputs([crowded_key(k) for k in keys("CR", 12)], STAFF, r))
    assert max(w.total for w in res.workload) <= 5 and res.warnings == ()


def test_per_draw_cap_gives_way_rather_than_fail_after_the_seed():
    """At exactly full capacity greedy matching can strand the last slot; the cap gives way and says so."""
    r = rules(team=Team(size=2, pool=("文峰区",), max_units_per_inspector=4))
    res = run_draw(SEED, inputs([crowded_key(k) for k in keys("CR", 12)], STAFF, r))
    over = [w for w in res.workload if w.total > 4]
    assert over and any("已达本次抽查每人最多 4 家的检查人员担任，已放宽上限" in w for w in res.warnings)


def test_infeasible_team_is_refused_before_the_seed():
    """When recusal leaves a candidate unit too few inspectors, plan() names the unit and every reason."""
    staff = [inspector("豫E0001"), inspector("豫E0002"), inspector("豫E0003", status="离岗")]
    unit = crowded_key("C1", name="安阳市文峰区鑫源宾馆有限公司")
    conflicts = [Conflict("豫E0001", "C1", "近亲属", "本人申报", None, None)]
    with pytest.raises(DrawError) as e:
        plan(inputs([unit], staff, conflicts=conflicts))
    assert str(e.value) == (
        "无法为「安阳市文峰区鑫源宾馆有限公司」（C1）组成 2 人检查组：可选检查人员 1 名（其中可任组长 1 名），"
        "至少需要 2 名且其中 1 名可任组长。各检查人员情况：\n"
        "  检查员001（豫E0001）：利害关系回避（近亲属）\n"
        "  检查员002（豫E0002）：可选\n"
        "  检查员003（豫E0003）：非在岗状态（离岗）"
    )


def test_no_leader_available_is_refused():
    """A unit whose only leader is recused cannot get a team; non-leaders are marked as such."""
    staff = [inspector("豫E0001"), inspector("豫E0002", leader=False), inspector("豫E0003", leader=False)]
    conflicts = [Conflict("豫E0001", "C1", "曾任职", "组织查明", None, None)]
    with pytest.raises(DrawError) as e:
        run_draw(SEED, inputs([crowded_key("C1", name="测试宾馆")], staff, conflicts=conflicts))
    assert str(e.value).splitlines() == [
        ("无法为「测试宾馆」（C1）组成 2 人检查组：可选检查人员 2 名（其中可任组长 0 名），至少需要 2 名且其中 1 名可任组长。"
         "各检查人员情况："),
        "  检查员001（豫E0001）：利害关系回避（曾任职）",
        "  检查员002（豫E0002）：不符合组长条件",
        "  检查员003（豫E0003）：不符合组长条件",
    ]
