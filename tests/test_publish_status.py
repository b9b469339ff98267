"""dsr status: what is overdue and what is due soon, on the working-day calendar."""

import datetime as dt

import publish_data as data
from dsr.publish import results as r
from dsr.publish import status as st
from dsr.publish.review import Entry


def _entry(unit, inspected, state="entered"):
    res = r.Result(data.DRAW_ID, unit.key, unit.name, inspected, "未发现问题", None, ("符合",) * 9 + ("", ""))
    return Entry(res, state, "刘洋", "2026-10-01T09:00:00+08:00")


def test_overdue_soon_open_done_and_not_entered():
    """Inspected 09-28 is due 10-30 (National Day + 调休); on 11-02 it is 1 working day overdue."""
    units = data.view().units
    entries = {
        (data.DRAW_ID, units[0].key): _entry(units[0], dt.date(2026, 9, 28)),
        (data.DRAW_ID, units[1].key): _entry(units[1], dt.date(2026, 10, 8), "reviewed"),
        (data.DRAW_ID, units[2].key): _entry(units[2], dt.date(2026, 10, 30)),
        (data.DRAW_ID, units[3].key): _entry(units[3], dt.date(2026, 9, 28), "published"),
    }
    lines = st.status((data.view(),), entries, dt.date(2026, 11, 2))
    kinds = {x.unit_key: x.kind for x in lines}
    assert kinds == {units[0].key: st.OVERDUE, units[1].key: st.SOON, units[2].key: st.OPEN,
                     units[3].key: st.DONE, units[4].key: st.NOT_ENTERED, units[5].key: st.NOT_ENTERED}
    assert lines[0].due == dt.date(2026, 10, 30) and lines[0].workdays_left == -1
    assert lines[1].due == dt.date(2026, 11, 4) and lines[1].workdays_left == 2  # 10-08 + 20: Sat 10-10 counts


def test_report_text_names_unit_deadline_and_state():
    """The printed report has a summary line and one line per overdue or soon-due unit."""
    unit = data.view().units[0]
    entries = {(data.DRAW_ID, unit.key): _entry(unit, dt.date(2026, 9, 28))}
    text = st.render(st.status((data.view(),), entries, dt.date(2026, 11, 2)), dt.date(2026, 11, 2))
    assert text.splitlines() == [
        "截至 2026-11-02（检查后 20 个工作日内公开）：已超期 1，即将到期 0，未到期 0，未录入结果 5，已公开 0",
        f"已超期：文峰区 {data.DRAW_ID} {unit.name}（{unit.key}），检查 2026-09-28，期限 2026-10-30，超期 1 个工作日，状态 已录入",
    ]
