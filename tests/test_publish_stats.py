"""Yearly statistics: coverage, class shares, crowded key units, outcomes, hazards, workload and pairs."""

import datetime as dt

import publish_data as data
from dsr.publish import results as r
from dsr.publish import stats


def _results():
    units = data.view().units
    fail2 = ("不符合", "不符合") + ("符合",) * 7 + ("", "")
    return {
        (data.DRAW_ID, units[0].key): r.Result(data.DRAW_ID, units[0].key, units[0].name, dt.date(2026, 9, 10),
                                               "责令限期改正", "文消限字〔2026〕1号", fail2),
        (data.DRAW_ID, units[3].key): r.Result(data.DRAW_ID, units[3].key, units[3].name, dt.date(2026, 9, 11),
                                               "未发现问题", None, ("符合",) * 9 + ("", "")),
    }


def _directory():
    units = data.draw_result()["units"]
    return tuple(stats.UnitFacts(u["key"], "文峰区", "消防安全重点单位" if u["stratum"] == "人员密集重点单位" else "一般单位",
                                 u["stratum"] == "人员密集重点单位") for u in units)


def test_year_stats_counts():
    """Two inspections, two non-compliant points: 100 per 100; coverage and class shares add up."""
    s = stats.year_stats(2026, (data.view(),), _results(), _directory())
    assert (s.inspections, s.hazards, stats.hazards_per_100(s)) == (2, 2, "100.0")
    assert [(c.stratum, c.population, c.drawn, c.inspected) for c in s.coverage] == [
        ("一般单位", 8, 3, 1), ("人员密集重点单位", 6, 3, 1)]
    assert [(c.unit_class, c.units, c.inspected) for c in s.classes] == [("一般单位", 8, 1), ("消防安全重点单位", 6, 1)]
    assert len(s.uncovered_crowded_key) == 5
    assert dict(s.outcomes)["责令限期改正"] == 1 and dict(s.outcomes)["未发现问题"] == 1


def test_workload_and_repeated_pairs():
    """Six drawn units shared by two fixed pairs: each inspector has 3 units and each pair recurs 3 times."""
    s = stats.year_stats(2026, (data.view(),), {}, ())
    assert dict(s.workload) == {"张伟（豫消001）": 3, "李娜（豫消002）": 3, "王强（豫消003）": 3, "赵敏（豫消004）": 3}
    assert dict(s.repeated_pairs) == {"张伟（豫消001） + 李娜（豫消002）": 3, "王强（豫消003） + 赵敏（豫消004）": 3}


def test_other_years_are_left_out():
    """Draws dated in another year do not count."""
    s = stats.year_stats(2025, (data.view(),), _results(), _directory())
    assert s.inspections == 0 and s.coverage == () and stats.hazards_per_100(s) == "—"


def test_report_is_self_contained_html_with_charts(tmp_path):
    """The report embeds its charts as PNG data and escapes text."""
    s = stats.year_stats(2026, (data.view(),), _results(), _directory())
    text = stats.write_report(s, "安阳市消防救援支队<b>", tmp_path).read_text("utf-8")
    assert text.count('src="data:image/png;base64,') == 2
    assert "安阳市消防救援支队&lt;b&gt; 2026 年双随机抽查统计（内部）" in text
    assert "每百次检查 100.0 项" in text
