"""Deadlines counted in Chinese working days (weekends, statutory holidays and 调休 days)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar

from dsr.publish.errors import CalendarError

DEFAULT_DUE_WORKDAYS = 20  # results public within 20 working days of the inspection (domain.md §2.1)
DEFAULT_SOON_WORKDAYS = 5


@dataclass(frozen=True)
class WorkCalendar:
    """The chinese-calendar data, plus days the office adds for years the package does not ship yet."""

    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        """True if `day` is a working day on the State Council calendar (with 调休)."""
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarError(_unknown_year_message(day.year)) from None


def _unknown_year_message(year: int) -> str:
    """The Chinese message for a year outside the package's data."""
    return (
        f"工作日历缺少 {year} 年的法定节假日和调休安排，无法计算期限："
        f"请升级 chinesecalendar（pip install -U chinesecalendar），"
        f"或在工作日历补充文件中填写国务院办公厅公布的 {year} 年放假安排"
    )


def add_workdays(start: dt.date, days: int, calendar: WorkCalendar = WorkCalendar()) -> dt.date:
    """The date `days` working days after `start` (the start day itself not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return day


def workdays_between(start: dt.date, end: dt.date, calendar: WorkCalendar = WorkCalendar()) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -workdays_between(end, start, calendar)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        count += calendar.is_workday(day)
    return count


def due_date(inspected: dt.date, days: int = DEFAULT_DUE_WORKDAYS, calendar: WorkCalendar = WorkCalendar()) -> dt.date:
    """Last day the result of an inspection on `inspected` may be made public."""
    return add_workdays(inspected, days, calendar)
