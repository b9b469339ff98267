"""Fixture builders for the inputs tests: valid rows per input, written as .xlsx or .csv on demand."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook

from dsr.inputs import load_detachment, schema
from dsr.inputs.uscc import check_char

ROOT = Path(__file__).resolve().parents[1]
DETACHMENT = load_detachment(ROOT / "params" / "detachment.yaml")
ON = dt.date(2026, 3, 1)


def credit_code(first17: str) -> str:
    """A valid 统一社会信用代码 with the given first 17 characters."""
    return first17 + check_char(first17)


CODE_A = credit_code("91410502MA9XK3L71")  # 文峰区 enterprise, documented in domain.md
CODE_B = credit_code("92410581MA4F8TQ22")  # 林州市 individual business


def unit_row(**over: object) -> dict[str, object]:
    """One valid 检查对象名录库 row, header ▶ value; keyword overrides use field names."""
    row = {
        "name": "安阳市某某商贸有限公司", "code": CODE_A, "legal_rep": "张三", "address": "文峰区某某路 1 号",
        "reg_authority": "安阳市文峰区市场监督管理局", "brigade": "文峰区", "unit_class": "一般单位",
        "key_category": "", "crowded": "否", "public_gathering": "否", "building_category": "多层",
        "floor_area": "1200", "scale": "员工 50 人", "facilities": "灭火器、室内消火栓系统", "industry": "零售业",
        "risk": "一般", "credit": "A", "status": "在营", "legacy_code": "",
    }
    row.update(over)
    return _headers(schema.UNITS, row)


def inspector_row(**over: object) -> dict[str, object]:
    """One valid 执法检查人员名录库 row."""
    row = {
        "name": "李四", "gender": "男", "brigade": "文峰区", "post": "防火监督员", "title": "工程师", "years": "6",
        "enforcement_since": "", "cert_no": "41050200123", "cert_expiry": "2028-12-31", "status": "在岗",
        "leader": "是", "expert": "否", "items": "XF-001",
    }
    row.update(over)
    return _headers(schema.INSPECTORS, row)


def item_row(**over: object) -> dict[str, object]:
    """One valid 随机抽查事项清单 row."""
    row = {
        "code": "XF-001", "name": "对单位履行法定消防安全职责情况的监督检查", "category": "一般检查事项",
        "basis": "《消防监督检查规定》", "subject": "大队", "target": "一般单位", "content": "消防安全责任制落实",
        "method": "现场检查", "ratio_freq": "每季度 5%",
    }
    row.update(over)
    return _headers(schema.ITEMS, row)


def conflict_row(**over: object) -> dict[str, object]:
    """One valid 利害关系登记 row."""
    row = {"cert_no": "41050200123", "inspector_name": "李四", "unit_key": CODE_A, "unit_name": "某某商贸",
           "kind": "近亲属", "source": "本人申报", "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    row.update(over)
    return _headers(schema.CONFLICTS, row)


def exclusion_row(**over: object) -> dict[str, object]:
    """One valid 不列入随机抽查名单 row."""
    row = {"unit_key": CODE_A, "unit_name": "某某商贸", "reason": "专项整治", "valid_from": "2026-03-01",
           "valid_to": "2026-05-31", "note": ""}
    row.update(over)
    return _headers(schema.EXCLUSIONS, row)


def _headers(sheet: schema.Sheet, row: dict[str, object]) -> dict[str, object]:
    by_field = {c.field: c.header for c in sheet.columns}
    return {by_field.get(k, k): v for k, v in row.items()}


def write_xlsx(path: Path, title: str, rows: list[dict[str, object]], headers: list[str] | None = None) -> Path:
    """A workbook with one sheet `title`: headers in row 1 (from the first row unless given), then rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    headers = headers if headers is not None else list(rows[0])
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h, "") for h in headers])
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    """A CSV of rows (headers from the first row) in the given encoding."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    headers = list(rows[0])
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHARED_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
}


def write_shared_xlsx(path: Path, title: str, rows: list[dict[str, object]], entries: dict[str, str] | None = None,
                      order=None) -> Path:
    """A workbook as Excel saves one: every text in the shared-strings table (in the order of first use, or
    `order(texts)`), cells citing it by index, numbers as numbers, empty cells left out. `entries` gives the XML
    of a text's `<si>` entry where it should not be the plain `<si><t>text</t></si>` (rich text, escapes)."""
    headers = list(rows[0])
    texts: dict[str, int] = {}
    table = [headers] + [[row.get(h, "") for h in headers] for row in rows]
    for line in table:
        for value in line:
            if isinstance(value, str) and value:
                texts.setdefault(value, len(texts))
    if order is not None:
        texts = {text: i for i, text in enumerate(order(list(texts)))}
    sheet = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet xmlns="{_MAIN}"><sheetData>']
    for r, line in enumerate(table, 1):
        cells = []
        for c, value in enumerate(line):
            ref = f"{chr(65 + c) if c < 26 else 'A' + chr(39 + c)}{r}"
            if isinstance(value, str) and value:
                cells.append(f'<c r="{ref}" s="1" t="s"><v>{texts[value]}</v></c>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        sheet.append(f'<row r="{r}" spans="1:{len(headers)}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    entries = entries or {}
    items = "".join(entries.get(text) or f"<si><t>{escape(text)}</t></si>" for text in texts)
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<sst xmlns="{_MAIN}" '
           f'uniqueCount="{len(texts)}">{items}</sst>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in _SHARED_PARTS.items():
            z.writestr(name, xml)
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{_MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
                   f'officeDocument/2006/relationships"><sheets><sheet name="{escape(title)}" sheetId="1" '
                   'r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/worksheets/sheet1.xml", "".join(sheet))
        z.writestr("xl/sharedStrings.xml", sst)
    return path
