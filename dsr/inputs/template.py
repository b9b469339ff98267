"""Blank workbooks a brigade hands out: headers, a 填写说明 sheet and drop-down lists."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from dsr.errors import UsageError
from dsr.inputs import schema
from dsr.inputs.normalize import DATE_EXPECTED

GUIDE = "填写说明"
CHOICES = "选项"
_ROWS = 5000  # rows that carry drop-downs and text format; clerks may add more below
_KIND_TEXT = {
    schema.TEXT: "文本",
    schema.CODE: "代码（按文本填写，全角字符自动转半角）",
    schema.ENUM: "从下拉列表中选择",
    schema.BOOL: "是 或 否（下拉选择）",
    schema.DATE: DATE_EXPECTED,
    schema.INT: "整数",
    schema.DECIMAL: "数字（不带单位）",
    schema.MULTI: "可多选，用顿号（、）分隔",
}
EXAMPLES = {
    ("items", "code"): "XF-001",
    ("items", "name"): "对单位履行法定消防安全职责情况的监督检查",
    ("items", "basis"): "《中华人民共和国消防法》《消防监督检查规定》",
    ("items", "subject"): "大队级消防救援机构",
    ("items", "target"): "消防安全重点单位、一般单位",
    ("items", "content"): "消防安全责任制落实、消防设施器材维护保养、疏散通道畅通情况",
    ("items", "method"): "现场检查",
    ("items", "ratio_freq"): "每季度不少于 5%",
    ("units", "name"): "安阳市某某商贸有限公司",
    ("units", "code"): "91410502MA9XK3L71K",
    ("units", "legal_rep"): "张三",
    ("units", "address"): "安阳市文峰区某某路 1 号",
    ("units", "reg_authority"): "安阳市文峰区市场监督管理局",
    ("units", "brigade"): "文峰区",
    ("units", "floor_area"): "1200",
    ("units", "scale"): "员工 120 人",
    ("units", "industry"): "零售业",
    ("inspectors", "name"): "李四",
    ("inspectors", "brigade"): "文峰区",
    ("inspectors", "post"): "防火监督员",
    ("inspectors", "title"): "工程师",
    ("inspectors", "years"): "6",
    ("inspectors", "enforcement_since"): "2019-07-01",
    ("inspectors", "cert_no"): "41050200123",
    ("inspectors", "cert_expiry"): "2028-12-31",
    ("inspectors", "items"): "XF-001、XF-002",
    ("conflicts", "cert_no"): "41050200123",
    ("conflicts", "inspector_name"): "李四",
    ("conflicts", "unit_key"): "91410502MA9XK3L71K",
    ("conflicts", "unit_name"): "安阳市某某商贸有限公司",
    ("conflicts", "valid_from"): "2026-01-01",
    ("conflicts", "valid_to"): "2026-12-31",
    ("exclusions", "unit_key"): "91410502MA9XK3L71K",
    ("exclusions", "unit_name"): "安阳市某某商贸有限公司",
    ("exclusions", "valid_from"): "2026-03-01",
    ("exclusions", "valid_to"): "2026-05-31",
    ("exclusions", "note"): "投诉件编号 2026-018",
}


def template_paths(directory: Path) -> list[Path]:
    """The files `write_templates` writes: one workbook per input, named as the input."""
    return [directory / f"{s.title}.xlsx" for s in schema.SHEETS.values()]


def write_templates(directory: Path | str) -> list[Path]:
    """Write one blank workbook per input into `directory`; refuse if any of them exists."""
    directory = Path(directory)
    paths = template_paths(directory)
    existing = [p.name for p in paths if p.exists()]
    if existing:
        raise UsageError(f"目录中已有同名文件，不覆盖：{'、'.join(existing)}")
    directory.mkdir(parents=True, exist_ok=True)
    for sheet, path in zip(schema.SHEETS.values(), paths, strict=True):
        workbook(sheet).save(path)
    return paths


def workbook(sheet: schema.Sheet) -> Workbook:
    """The blank workbook of one input."""
    wb = Workbook()
    data = wb.active
    data.title = sheet.title
    lists = wb.create_sheet(CHOICES)
    _headers(data, sheet)
    _validations(data, lists, sheet)
    _guide(wb.create_sheet(GUIDE), sheet)
    lists.sheet_state = "hidden"
    wb.move_sheet(lists, offset=1)  # keep 填写说明 right after the data sheet
    return wb


def put_text(ws, row: int, column: int, text: str):
    """Write `text` as a string cell even if it starts with '=' (never a formula)."""
    cell = ws.cell(row=row, column=column, value=text)
    cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    return cell


def _headers(ws, sheet: schema.Sheet) -> None:
    for index, col in enumerate(sheet.columns, 1):
        cell = put_text(ws, 1, index, col.header)
        cell.font = Font(bold=True)
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(12, min(40, 2.2 * len(col.header) + 4))
        if col.kind in (schema.CODE, schema.TEXT):
            # Text format stops Excel turning 18-digit codes into 9.14E+17.
            ws.column_dimensions[letter].number_format = "@"
    ws.freeze_panes = "A2"


def _validations(ws, lists, sheet: schema.Sheet) -> None:
    used = 0
    for index, col in enumerate(sheet.columns, 1):
        if col.kind not in (schema.ENUM, schema.BOOL):
            continue
        used += 1
        put_text(lists, 1, used, col.header)
        for n, choice in enumerate(col.choices, 2):
            put_text(lists, n, used, choice)
        letter, target = get_column_letter(used), get_column_letter(index)
        ref = f"{quote_sheetname(CHOICES)}!${letter}$2:${letter}${len(col.choices) + 1}"
        dv = DataValidation(type="list", formula1=ref, allow_blank=not col.nonempty, showErrorMessage=True,
                            errorTitle="不是可选值", error=f"请从下拉列表中选择「{col.header}」")
        dv.add(f"{target}2:{target}{_ROWS + 1}")
        ws.add_data_validation(dv)


def _guide(ws, sheet: schema.Sheet) -> None:
    heads = ("列名", "说明", "是否必填", "可填写的值", "示例")
    for index, text in enumerate(heads, 1):
        put_text(ws, 1, index, text).font = Font(bold=True)
    for row, col in enumerate(sheet.columns, 2):
        values = (col.header, _meaning(col), _required(col), _allowed(col), _example(sheet, col))
        for index, text in enumerate(values, 1):
            put_text(ws, row, index, text).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (24, 40, 14, 50, 30), strict=True):
        ws.column_dimensions[letter].width = width
    last = len(sheet.columns) + 3
    put_text(ws, last, 1, "注意")
    put_text(ws, last, 2, f"表头必须在第 1 行，工作表名保持「{sheet.title}」；不要合并单元格，不要使用公式；"
                          "每行一条记录，空行会被跳过。")
    ws.freeze_panes = "A2"


def _meaning(col: schema.Column) -> str:
    aliases = f"（也认：{'、'.join(col.aliases)}，但会提示改为标准列名）" if col.aliases else ""
    return (col.hint or _KIND_TEXT[col.kind]) + aliases


def _required(col: schema.Column) -> str:
    if col.nonempty:
        return "必填"
    if col.warn_empty:
        return "应填（空着会提示）"
    return "选填"


def _allowed(col: schema.Column) -> str:
    if col.choices and col.kind != schema.BOOL:
        return "、".join(col.choices)
    return _KIND_TEXT[col.kind]


def _example(sheet: schema.Sheet, col: schema.Column) -> str:
    if (sheet.kind, col.field) in EXAMPLES:
        return EXAMPLES[(sheet.kind, col.field)]
    if col.kind == schema.BOOL:
        return "否"
    return col.choices[0] if col.choices else ""
