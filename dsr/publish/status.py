"""What is overdue and what is due soon: publication deadlines in working days after each inspection."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dsr.publish.draws import DrawView
from dsr.publish.results import STATE_NAMES
from dsr.publish.review import Entry
from dsr.publish.workdays import DEFAULT_DUE_WORKDAYS, DEFAULT_SOON_WORKDAYS, WorkCalendar, due_date, workdays_between

OVERDUE, SOON, OPEN, DONE, NOT_ENTERED = "overdue", "soon", "open", "done", "not_entered"
KIND_NAMES = {OVERDUE: "已超期", SOON: "即将到期", OPEN: "未到期", DONE: "已公开", NOT_ENTERED: "未录入结果"}


@dataclass(frozen=True)
class Line:
    """One drawn unit's publication status."""

    draw_id: str
    brigade: str
    unit_key: str
    unit_name: str
    state: str  # entered / reviewed / published, or "" when nothing was entered
    inspected_on: dt.date | None
    due: dt.date | None
    workdays_left: int | None  # negative: working days overdue
    kind: str


def _line(d: DrawView, unit, entry: Entry | None, today: dt.date, days: int, soon: int, cal: WorkCalendar) -> Line:
    if entry is None:
        return Line(d.draw_id, d.brigade, unit.key, unit.name, "", None, None, None, NOT_ENTERED)
    due = due_date(entry.result.inspected_on, days, cal)
    left = workdays_between(today, due, cal)
    if entry.state == "published":
        kind = DONE
    elif today > due:
        kind = OVERDUE
    else:
        kind = SOON if left <= soon else OPEN
    return Line(d.draw_id, d.brigade, unit.key, unit.name, entry.state, entry.result.inspected_on, due, left, kind)


def status(draws: tuple[DrawView, ...], entries: dict[tuple[str, str], Entry], today: dt.date,
           days: int = DEFAULT_DUE_WORKDAYS, soon: int = DEFAULT_SOON_WORKDAYS,
           calendar: WorkCalendar = WorkCalendar()) -> tuple[Line, ...]:
    """A line per drawn unit of every draw, most urgent first."""
    lines = [_line(d, u, entries.get((d.draw_id, u.key)), today, days, soon, calendar) for d in draws for u in d.units]
    order = {OVERDUE: 0, SOON: 1, OPEN: 2, NOT_ENTERED: 3, DONE: 4}
    return tuple(sorted(lines, key=lambda x: (order[x.kind], x.due or dt.date.max, x.draw_id, x.unit_key)))


def render(lines: tuple[Line, ...], today: dt.date, days: int = DEFAULT_DUE_WORKDAYS) -> str:
    """The Chinese report `dsr status` prints."""
    counts = {k: sum(1 for x in lines if x.kind == k) for k in KIND_NAMES}
    out = [f"截至 {today.isoformat()}（检查后 {days} 个工作日内公开）：" +
           "，".join(f"{KIND_NAMES[k]} {counts[k]}" for k in (OVERDUE, SOON, OPEN, NOT_ENTERED, DONE))]
    for x in lines:
        if x.kind in (OVERDUE, SOON):
            when = f"超期 {-x.workdays_left} 个工作日" if x.kind == OVERDUE else f"剩 {x.workdays_left} 个工作日"
            out.append(f"{KIND_NAMES[x.kind]}：{x.brigade} {x.draw_id} {x.unit_name}（{x.unit_key}），"
                       f"检查 {x.inspected_on.isoformat()}，期限 {x.due.isoformat()}，{when}，状态 {STATE_NAMES[x.state]}")
    return "\n".join(out)
