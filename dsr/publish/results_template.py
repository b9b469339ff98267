"""The pre-filled results workbook of one draw: one row per drawn unit, drop-downs for every choice."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dsr.publish import results as r
from dsr.publish.cells import write_row
from dsr.publish.draws import DrawView

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_MAX_ROW = 5000


def team_text(unit) -> str:
    """检查组 as one cell: 姓名（执法证号）, leader first and marked 组长."""
    members = sorted(unit.team, key=lambda m: not m.leader)
    return "、".join(f"{m.name}（{m.cert_no}）" + ("组长" if m.leader else "") for m in members)


def _info(book: Workbook, draw: DrawView) -> None:
    sheet = book.active
    sheet.title = r.INFO_SHEET
    write_row(sheet, ["项目", "值"])
    for label, value in ((r.INFO_DRAW_ID, draw.draw_id), (r.INFO_BRIGADE, draw.brigade),
                         ("抽取日期", draw.drawn_on.isoformat()), ("支队", draw.detachment)):
        write_row(sheet, [label, value])
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 40
    sheet.protection.sheet = True  # the draw id identifies the draw; clerks do not edit it


def _choices(sheet, header: str, options: tuple[str, ...]) -> None:
    col = get_column_letter(r.HEADERS.index(header) + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="无效值", error="请从下拉列表中选择")
    dv.add(f"{col}2:{col}{_MAX_ROW}")
    sheet.add_data_validation(dv)


def _results(book: Workbook, draw: DrawView) -> None:
    sheet = book.create_sheet(r.RESULTS_SHEET)
    write_row(sheet, list(r.HEADERS))
    for cell in sheet[1]:
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for seq, unit in enumerate(draw.units, start=1):
        write_row(sheet, [seq, unit.name, unit.key, unit.batch, team_text(unit)])
    _choices(sheet, r.H_OUTCOME, r.OUTCOMES)
    _choices(sheet, r.H_REOUTCOME, r.REINSPECTION_RESULTS)
    for header in r.HEADERS:
        if header.startswith(r.CHECK_PREFIX):
            _choices(sheet, header, r.CHECK_VALUES)
    widths = {r.H_NAME: 30, r.H_CODE: 22, r.H_TEAM: 36, r.H_OUTCOME: 18, r.H_DOC: 22, r.H_NOTE: 24}
    for i, header in enumerate(r.HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(header, 12)
    sheet.freeze_panes = "C2"


def _guide(book: Workbook) -> None:
    sheet = book.create_sheet(r.GUIDE_SHEET)
    lines = [
        ["列", "填写说明"],
        [r.H_DATE, "实际检查日期，不得早于抽取日期，不得晚于今天；尚未检查的单位整行留空"],
        [r.H_OUTCOME, "从下拉列表选择：" + "、".join(r.OUTCOMES)],
        [r.H_DOC, "检查结果为" + "、".join(r.DOCUMENTS) + "时必填对应文书编号（"
         + "、".join(f"{k}：{v}" for k, v in r.DOCUMENTS.items()) + "）"],
        [r.H_REDATE, "复查日期；未复查留空"],
        [r.H_REOUTCOME, "已改正 / 未改正；填写复查日期时必填"],
        ["要点1–11", "《消防监督检查规定》第十条、第十一条检查要点：符合 / 不符合 / 不涉及；要点10–11 仅人员密集场所"],
        ["其他", "单位名称、统一社会信用代码、批次、检查组由抽取结果预填，请勿修改或增删单位"],
    ]
    for line in lines:
        write_row(sheet, line)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 90


def write_template(draw: DrawView, path: Path) -> Path:
    """Write the results workbook of `draw` to `path` (.xlsx) and return the path."""
    book = Workbook()
    _info(book, draw)
    _results(book, draw)
    _guide(book)
    book.active = 1
    book.save(path)
    return path
