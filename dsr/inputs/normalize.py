"""Cell normalisation and parsing: trim, full-width → half-width in codes, dates, numbers, 是/否."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Every Unicode whitespace (U+3000, NBSP, …) plus invisible characters that are not "whitespace".
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
TRIM = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + _INVISIBLE
_CODE_DROP = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_HYPHENS = re.compile(r"[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d]+")
_DATE_SEP = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_INT = re.compile(r"^[+-]?\d+$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's 1900 date system, leap-year bug included
_MAX_SERIAL = 2958465  # 9999-12-31
TRUE_WORDS = ("是", "Y", "√")
FALSE_WORDS = ("否", "N", "×")
_BOOL_FAST = {"是": True, "否": False}
MULTI_SEP = re.compile(r"[、,，;；\n]+")

DATE_EXPECTED = "日期，如 2026-03-01、2026/3/1、2026年3月1日 或 20260301"


def clean(text: str) -> str:
    """Trim whitespace (incl. U+3000, NBSP) and invisible characters at both ends."""
    return text.strip(TRIM)


def code(text: str, drop_hyphens: bool = False) -> str:
    """An identifier: NFKC (full-width → half-width), upper-cased, without inner spaces (and hyphens)."""
    if text.isascii() and text.isalnum():  # the common case, already half-width
        return text.upper()
    for _ in range(8):  # to a fixed point: NFKC and upper-casing can each undo the other's form
        new = unicodedata.normalize("NFKC", text).upper()
        new = _CODE_DROP.sub("", new)
        if drop_hyphens:
            new = _HYPHENS.sub("", new)
        if new == text:
            break
        text = new
    return text


def number_text(text: str) -> str:
    """A number written as text: NFKC, trimmed, thousands separators removed (to a fixed point: removing a
    separator can leave a space to trim, as in ",´" ▶ ", ́" ▶ " ́")."""
    for _ in range(8):
        new = clean(unicodedata.normalize("NFKC", text)).replace(",", "")
        if new == text:
            break
        text = new
    return text


def cell_text(value: object) -> str:
    """Any calamine/CSV cell value as trimmed text (integral floats without '.0')."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(str(value))


def parse_date(value: object) -> dt.date | str:
    """A date from a date cell, an Excel serial or text; else a Chinese reason."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_number(value)
    text = number_text(str(value))
    for pattern in (_DATE_SEP, _DATE_CN, _DATE_COMPACT):
        m = pattern.match(text)
        if m:
            return _ymd(*(int(g) for g in m.groups()))
    return "无法识别为日期"


def _from_number(value: float) -> dt.date | str:
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite: int() would raise
        return "数字超出日期范围"
    if value != int(value):
        return "是带小数的数字，不是日期"
    n = int(value)
    if 19000101 <= n <= 99991231:  # 20260301 typed as a number; far beyond any serial
        return _ymd(n // 10000, n // 100 % 100, n % 100)
    if 1 <= n <= _MAX_SERIAL:
        return _EXCEL_EPOCH + dt.timedelta(days=n)
    return "数字超出日期范围"


def _ymd(year: int, month: int, day: int) -> dt.date | str:
    if not 1 <= month <= 12:
        return f"月份 {month} 不存在"
    try:
        return dt.date(year, month, day)
    except ValueError:
        return f"{year} 年 {month} 月没有第 {day} 日"


def parse_int(value: object) -> int | str:
    """An integer from a number cell or text (trailing spaces and full-width digits accepted)."""
    if isinstance(value, bool):
        return "不是整数"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else "不是整数"
    text = number_text(str(value))
    if _INT.match(text):
        return int(text)
    return "不是整数"


def parse_decimal(value: object) -> Decimal | str:
    """A non-negative decimal number; units or other text are refused."""
    if isinstance(value, bool):
        return "不是数字"
    text = repr(value) if isinstance(value, float) else number_text(str(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        return "不是数字"
    if not number.is_finite():
        return "不是数字"
    if number < 0:
        return "不能为负数"
    return number


def parse_bool(value: object) -> bool | str:
    """是/否; also Y/N (any case, full-width), √/× and Excel TRUE/FALSE cells."""
    if isinstance(value, bool):
        return value
    if value in _BOOL_FAST:
        return _BOOL_FAST[value]
    text = code(str(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return "不是“是”或“否”"


def parse_enum(value: object, choices: tuple[str, ...]) -> str | None:
    """The choice the cell names (exact, or equal after full-width → half-width), else None."""
    if value in choices:
        return value
    text = cell_text(value)
    if text in choices:
        return text
    folded = code(text)
    for choice in choices:
        if code(choice) == folded:
            return choice
    return None


def split_multi(text: str) -> list[str]:
    """Parts of a multi-valued cell separated by 、 , ， ; ； or line breaks."""
    return [p for p in (clean(x) for x in MULTI_SEP.split(text)) if p]
