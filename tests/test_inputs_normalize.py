"""Cell normalisation: trimming, code folding, dates, numbers and 是/否, with Hypothesis properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsr.inputs import normalize as nz


@given(st.text())
def test_clean_is_idempotent(text):
    """Trimming twice is trimming once."""
    assert nz.clean(nz.clean(text)) == nz.clean(text)


@given(st.text(), st.booleans())
def test_code_is_idempotent(text, drop):
    """Folding a code twice is folding it once, for any Unicode input."""
    once = nz.code(text, drop)
    assert nz.code(once, drop) == once


@given(st.text())
def test_number_text_is_idempotent(text):
    """Normalising number text twice changes nothing more."""
    assert nz.number_text(nz.number_text(text)) == nz.number_text(text)


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYabcdefghjkmnpqrtuwxy", min_size=1, max_size=20))
def test_full_width_and_lower_case_codes_fold_to_ascii_upper(text):
    """A code typed full-width, lower-case, with spaces and hyphens folds to its ASCII upper-case form."""
    wide = "".join(chr(ord(c) + 0xFEE0) for c in text)  # the full-width forms
    messy = "\u3000" + "-".join(wide[i:i + 3] for i in range(0, len(wide), 3)) + " "
    assert nz.code(messy, drop_hyphens=True) == text.upper()


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_every_text_date_form_parses_to_the_same_date(day):
    """ISO, slashes, 年月日, compact digits, an Excel serial and a date cell all give the same date."""
    forms = [day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日",
             day.strftime("%Y%m%d"), (day - dt.date(1899, 12, 30)).days, day, dt.datetime(day.year, day.month, day.day)]
    assert {nz.parse_date(f) for f in forms} == {day}


@pytest.mark.parametrize(("text", "reason"), [
    ("2026/13/01", "月份 13 不存在"),
    ("2026-02-30", "2026 年 2 月没有第 30 日"),
    ("下个月", "无法识别为日期"),
    (45000.5, "是带小数的数字，不是日期"),
])
def test_bad_dates_give_reasons(text, reason):
    """A value that is not a date gives the reason shown to the clerk."""
    assert nz.parse_date(text) == reason


def test_trailing_spaces_and_full_width_digits_in_numbers_are_accepted():
    """Numbers stored as text with spaces or full-width digits are read as numbers."""
    assert nz.parse_int(" ６ ") == 6
    assert nz.parse_decimal("1,200.50\u3000") == Decimal("1200.50")
    assert nz.parse_decimal(1200.5) == Decimal("1200.5")


def test_decimal_refuses_units_and_negatives():
    """'1200㎡' and '-3' are refused with a reason."""
    assert (nz.parse_decimal("1200㎡"), nz.parse_decimal("-3"), nz.parse_decimal("NaN")) == \
        ("不是数字", "不能为负数", "不是数字")


@pytest.mark.parametrize(("raw", "value"), [("是", True), ("否", False), ("y", True), ("Ｎ", False), ("√", True),
                                            ("×", False), (True, True), (False, False)])
def test_yes_no_words(raw, value):
    """是/否, Y/N in any width or case, √/× and Excel booleans are accepted."""
    assert nz.parse_bool(raw) is value


def test_other_yes_no_words_are_refused():
    """'有' is not a yes/no answer."""
    assert nz.parse_bool("有") == "不是“是”或“否”"


def test_cell_text_of_numbers_drops_the_float_suffix():
    """An integral float cell reads as '41050012345', not '41050012345.0'."""
    assert (nz.cell_text(41050012345.0), nz.cell_text(2.5), nz.cell_text(" a\u00a0")) == ("41050012345", "2.5", "a")


def test_multi_values_split_on_every_separator():
    """、 , ， ; ； and line breaks all separate values; blanks disappear."""
    assert nz.split_multi("灭火器、 室内消火栓系统,,防排烟系统；\n无") == ["灭火器", "室内消火栓系统", "防排烟系统", "无"]


def test_enum_accepts_full_width_form_of_a_choice():
    """'Ａ' is the credit level 'A'; a value outside the choices is None."""
    assert (nz.parse_enum("Ａ", ("A", "B")), nz.parse_enum("E", ("A", "B"))) == ("A", None)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_number_is_not_a_date(value):
    """An infinite or NaN number cell where a date belongs is reported, not raised (found by the 10,000-case fuzz)."""
    assert nz.parse_date(value) == "数字超出日期范围"


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_number_in_a_code_column_is_text_not_a_crash(value):
    """An infinite or NaN number cell in a code column becomes text for the code check (found by fuzzing)."""
    from dsr.inputs import rows

    code, problem, _hint = rows._code(value, True)
    assert (code, problem) == (repr(value).upper(), None)
