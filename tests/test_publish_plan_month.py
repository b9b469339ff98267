"""The public 抽查计划 names the month the inspections are planned for, not the month of the draw."""

from __future__ import annotations

import datetime as dt

from dsr.publish.draws import from_result
from dsr.publish.service import _plan

RESULT = {
    "brigade": "文峰区", "seed": "00" * 32, "algorithm": "dsr/draw/1", "inspection_date": "2027-01-04",
    "units": [{"key": "91410502MA9XK3L71X", "name": "某商贸公司", "stratum": "一般单位", "batch": 1,
               "ticket": "ab" * 32, "status": "drawn"}],
    "strata": [{"name": "一般单位", "N": 40, "n": 1}],
}


def test_plan_month_is_the_inspection_month():
    view = from_result(RESULT, "AY-2027-01-文峰区", dt.date(2026, 12, 28), "安阳市消防救援支队")
    assert view.inspection_date == dt.date(2027, 1, 4)
    assert [row.period for row in _plan((view,))] == ["2027年1月"]


def test_plan_month_falls_back_to_the_draw_month():
    for planned in (None, "", "明年一月"):
        result = {**RESULT, "inspection_date": planned}
        view = from_result(result, "AY-2027-01-文峰区", dt.date(2026, 12, 28), "安阳市消防救援支队")
        assert view.inspection_date is None
        assert [row.period for row in _plan((view,))] == ["2026年12月"]
