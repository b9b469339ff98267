"""Read and check a filled results workbook against its draw: every problem with sheet, row, column, value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dsr.errors import InputError, Problem
from dsr.inputs import normalize
from dsr.inputs.sources import (
    DAMAGED,
    column_letter,
    formula_cells,
    open_workbook,
    read_sheet,
    sha256_file,
    sheet_part,
)
from dsr.publish import results as r
from dsr.publish.cells import same_text
from dsr.publish.draws import DrawView

_ENTRY = (r.H_DATE, r.H_OUTCOME, r.H_DOC, r.H_REDATE, r.H_REOUTCOME)
_CHECK_HEADERS = tuple(h for h in r.HEADERS if h.startswith(r.CHECK_PREFIX))
_REQUIRED_CHECKS = 9  # Art. 10 points apply to every unit; Art. 11 points only to 人员密集场所


@dataclass(frozen=True)
class _Row:
    """One sheet row with its Excel number and cells by header."""

    number: int
    cells: dict[str, object]

    def text(self, header: str) -> str:
        """The trimmed text of a cell."""
        value = self.cells.get(header)
        return "" if value is None else normalize.cell_text(value)


class _Checker:
    """Collects the problems of one workbook while reading its rows."""

    def __init__(self, path: Path, draw: DrawView, today: dt.date):
        self.file, self.draw, self.today = path.name, draw, today
        self.problems: list[Problem] = []
        self.columns: dict[str, str] = {}

    def add(self, row: _Row | int | None, header: str | None, message: str, value: object = None,
            expected: str | None = None, sheet: str = r.RESULTS_SHEET) -> None:
        number = row.number if isinstance(row, _Row) else row
        text = None if value is None else normalize.cell_text(value)
        self.problems.append(Problem(self.file, message, sheet, number, header, text, expected))

    def date(self, row: _Row, header: str, not_before: dt.date, before_label: str) -> dt.date | None:
        raw = row.cells.get(header)
        parsed = normalize.parse_date(raw)
        if isinstance(parsed, str):
            self.add(row, header, parsed, raw, normalize.DATE_EXPECTED)
            return None
        if parsed < not_before:
            self.add(row, header, f"早于{before_label} {not_before.isoformat()}", parsed)
            return None
        if parsed > self.today:
            self.add(row, header, f"晚于今天 {self.today.isoformat()}", parsed)
            return None
        return parsed


def _sheet_rows(path: Path, book, name: str, checker: _Checker) -> list[list] | None:
    """All rows of a sheet, or None (with a problem) when the sheet is missing."""
    if name not in book.sheet_names:
        checker.problems.append(Problem(checker.file, f"缺少工作表「{name}」", expected="使用 dsr results template 生成的结果表"))
        return None
    table = read_sheet(path, book, name)
    checker.problems.extend(table.problems)
    return [list(row) for row in table.rows]


def _check_draw_id(rows: list[list], checker: _Checker) -> bool:
    """True if the 抽查信息 sheet names this draw."""
    for number, row in enumerate(rows, start=1):
        if row and normalize.cell_text(row[0]) == r.INFO_DRAW_ID:
            found = normalize.cell_text(row[1]) if len(row) > 1 else ""
            if found == checker.draw.draw_id:
                return True
            checker.add(number, "值", "结果表属于另一次抽查，不是本次抽查的结果表", found,
                        checker.draw.draw_id, sheet=r.INFO_SHEET)
            return False
    checker.add(None, None, f"找不到「{r.INFO_DRAW_ID}」", None, "使用 dsr results template 生成的结果表",
                sheet=r.INFO_SHEET)
    return False


def _layout(header_row: list, checker: _Checker) -> dict[str, int] | None:
    """Column index by header; missing headers are problems."""
    found = {normalize.cell_text(h): i for i, h in enumerate(header_row) if normalize.cell_text(h)}
    for header in r.HEADERS:
        if header not in found:
            checker.add(1, header, "缺少列", None, "使用 dsr results template 生成的结果表")
        else:
            checker.columns[header] = column_letter(found[header])
    return {h: found[h] for h in r.HEADERS} if all(h in found for h in r.HEADERS) else None


def _rows(rows: list[list], layout: dict[str, int]) -> list[_Row]:
    """Data rows as _Row, keyed by header."""
    out = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {h: (row[i] if i < len(row) else None) for h, i in layout.items()}
        out.append(_Row(number, cells))
    return out


def _entered(row: _Row) -> bool:
    """True if the clerk entered anything beyond the pre-filled columns."""
    return any(row.text(h) for h in (*_ENTRY, *_CHECK_HEADERS))


def _unit(row: _Row, seen: dict[str, int], checker: _Checker):
    """The drawn unit this row names, or None with a problem."""
    key = normalize.code(row.text(r.H_CODE), drop_hyphens=True)
    unit = checker.draw.unit(key)
    if unit is None:
        checker.add(row, r.H_CODE, "该单位不在本次抽查的抽中名单中", row.cells.get(r.H_CODE))
        return None
    if key in seen:
        checker.add(row, r.H_CODE, f"同一单位重复填写（另见第 {seen[key]} 行）", key)
        return None
    seen[key] = row.number
    if not same_text(row.text(r.H_NAME), unit.name):
        checker.add(row, r.H_NAME, "单位名称与抽中名单不一致", row.cells.get(r.H_NAME), unit.name)
    return unit


def _outcome(row: _Row, checker: _Checker) -> str | None:
    raw = row.cells.get(r.H_OUTCOME)
    if not row.text(r.H_OUTCOME):
        checker.add(row, r.H_OUTCOME, "未填写检查结果", None, "、".join(r.OUTCOMES))
        return None
    outcome = normalize.parse_enum(raw, r.OUTCOMES)
    if outcome is None:
        checker.add(row, r.H_OUTCOME, "不是规定的检查结果", raw, "、".join(r.OUTCOMES))
    return outcome


def _document(row: _Row, outcome: str | None, checker: _Checker) -> str | None:
    doc = row.text(r.H_DOC) or None
    if outcome in r.DOCUMENTS and doc is None:
        checker.add(row, r.H_DOC, f"检查结果为“{outcome}”时必须填写{r.DOCUMENTS[outcome]}编号", None,
                    f"{r.DOCUMENTS[outcome]}编号")
    return doc


def _checks(row: _Row, outcome: str | None, checker: _Checker) -> tuple[str, ...]:
    values = []
    for index, header in enumerate(_CHECK_HEADERS):
        raw = row.cells.get(header)
        if not row.text(header):
            if index < _REQUIRED_CHECKS and outcome is not None and outcome not in r.NOT_INSPECTED:
                checker.add(row, header, "未填写检查要点", None, "、".join(r.CHECK_VALUES))
            values.append("")
            continue
        value = normalize.parse_enum(raw, r.CHECK_VALUES)
        if value is None:
            checker.add(row, header, "不是规定的检查要点结论", raw, "、".join(r.CHECK_VALUES))
        values.append(value or "")
    if outcome == "未发现问题" and "不符合" in values:
        checker.add(row, r.H_OUTCOME, "检查结果为“未发现问题”，但有检查要点为“不符合”", outcome,
                    "有不符合项时选择相应的处理结果")
    return tuple(values)


def _reinspection(row: _Row, inspected: dt.date | None, checker: _Checker) -> tuple[dt.date | None, str | None]:
    has_date, has_result = bool(row.text(r.H_REDATE)), bool(row.text(r.H_REOUTCOME))
    if not has_date and not has_result:
        return None, None
    if not has_date:
        checker.add(row, r.H_REDATE, "填写了复查结果但未填写复查日期", None, normalize.DATE_EXPECTED)
        return None, None
    date = checker.date(row, r.H_REDATE, inspected or checker.draw.drawn_on, "检查日期" if inspected else "抽取日期")
    raw = row.cells.get(r.H_REOUTCOME)
    result = normalize.parse_enum(raw, r.REINSPECTION_RESULTS) if has_result else None
    if not has_result:
        checker.add(row, r.H_REOUTCOME, "填写了复查日期但未填写复查结果", None, "、".join(r.REINSPECTION_RESULTS))
    elif result is None:
        checker.add(row, r.H_REOUTCOME, "不是规定的复查结果", raw, "、".join(r.REINSPECTION_RESULTS))
    return date, result


def _result(row: _Row, seen: dict[str, int], checker: _Checker) -> r.Result | None:
    """One checked result, or None when the row has problems (already recorded)."""
    before = len(checker.problems)
    unit = _unit(row, seen, checker)
    inspected = None
    if row.text(r.H_DATE):
        inspected = checker.date(row, r.H_DATE, checker.draw.drawn_on, "抽取日期")
    else:
        checker.add(row, r.H_DATE, "未填写检查日期", None, normalize.DATE_EXPECTED)
    outcome = _outcome(row, checker)
    doc = _document(row, outcome, checker)
    checks = _checks(row, outcome, checker)
    re_date, re_result = _reinspection(row, inspected, checker)
    if len(checker.problems) > before or unit is None or inspected is None or outcome is None:
        return None
    return r.Result(checker.draw.draw_id, unit.key, unit.name, inspected, outcome, doc, checks,
                    re_date, re_result, row.text(r.H_NOTE) or None)


def _formulas(path: Path, checker: _Checker) -> None:
    """Formula cells are refused: their stored value is whatever Excel last computed."""
    part = sheet_part(path, r.RESULTS_SHEET)
    for ref in formula_cells(path, part) if part else ():
        checker.add(None, None, f"单元格 {ref} 含有公式", None, "直接填写值，不要使用公式")


def read_results(path: Path, draw: DrawView, today: dt.date) -> r.ResultSet:
    """The checked results of `draw` in the workbook at `path`; InputError lists every problem."""
    try:
        return _read_results(path, draw, today)
    except DAMAGED as exc:  # a zip or deflate stream broken past the first look: the workbook is damaged
        raise InputError([Problem(path.name, f"工作簿已损坏，无法读取（{type(exc).__name__}）", expected=".xlsx 工作簿")]) from exc


def _read_results(path: Path, draw: DrawView, today: dt.date) -> r.ResultSet:
    checker = _Checker(path, draw, today)
    book, problems = open_workbook(path)
    if book is None:
        raise InputError(problems)
    info = _sheet_rows(path, book, r.INFO_SHEET, checker)
    if info is None or not _check_draw_id(info, checker):
        raise InputError(checker.problems)
    rows = _sheet_rows(path, book, r.RESULTS_SHEET, checker)
    layout = _layout(rows[0], checker) if rows else None
    if rows is not None and not rows:
        checker.add(None, None, "工作表为空", None, "使用 dsr results template 生成的结果表")
    _formulas(path, checker)
    results: list[r.Result] = []
    if layout is not None:
        seen: dict[str, int] = {}
        for row in _rows(rows, layout):
            if _entered(row) and (result := _result(row, seen, checker)):
                results.append(result)
    if not checker.problems and not results:
        checker.add(None, None, "结果表中没有填写任何检查结果", None, "至少填写一家单位的检查日期和检查结果")
    if any(p.severity == "error" for p in checker.problems):
        raise InputError(checker.problems)
    return r.ResultSet(draw.draw_id, path.name, sha256_file(path), tuple(results))
