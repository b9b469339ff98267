"""Deadlines in Chinese working days, with 调休 and a clear refusal for unknown years."""

import datetime as dt

import pytest

from dsr.publish.errors import CalendarError
from dsr.publish.workdays import WorkCalendar, add_workdays, due_date, workdays_between


def test_deadline_skips_national_day_and_counts_the_makeup_saturday():
    """20 working days after 2026-09-28 skip Oct 1–7 and count Sat Oct 10 (调休), ending Fri Oct 30."""
    assert due_date(dt.date(2026, 9, 28)) == dt.date(2026, 10, 30)


def test_one_working_day_after_friday_is_monday():
    """The start day is not counted and weekends are skipped."""
    assert add_workdays(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)


def test_makeup_sunday_is_a_working_day():
    """Sunday 2026-09-20 is a 调休 working day, so it is the first working day after Sat 09-19."""
    assert add_workdays(dt.date(2026, 9, 19), 1) == dt.date(2026, 9, 20)


def test_workdays_between_is_inverse_of_add():
    """Counting the working days up to a due date gives back the number added."""
    start = dt.date(2026, 4, 28)
    assert workdays_between(start, add_workdays(start, 17)) == 17
    assert workdays_between(add_workdays(start, 17), start) == -17


def test_unknown_year_is_refused_in_chinese():
    """A deadline that runs into a year the package has no data for is refused with advice."""
    with pytest.raises(CalendarError) as err:
        due_date(dt.date(2034, 3, 2))
    assert str(err.value) == (
        "工作日历缺少 2034 年的法定节假日和调休安排，无法计算期限：请升级 chinesecalendar（pip install -U "
        "chinesecalendar），或在工作日历补充文件中填写国务院办公厅公布的 2034 年放假安排")


def test_extra_days_override_the_package():
    """Days the office adds take precedence: a declared holiday is skipped, a declared workday counts."""
    cal = WorkCalendar(extra_holidays=frozenset({dt.date(2026, 11, 23)}),
                       extra_workdays=frozenset({dt.date(2026, 11, 21)}))
    assert add_workdays(dt.date(2026, 11, 20), 2, cal) == dt.date(2026, 11, 24)
