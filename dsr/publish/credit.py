"""The credit export: 抽查检查结果 rows for the national enterprise credit publicity system (gsxt)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from dsr.publish.cells import safe_text, write_row
from dsr.publish.draws import DrawView
from dsr.publish.results import Result

HEADERS = ("统一社会信用代码", "企业名称", "检查实施机关", "类型", "日期", "结果")
TYPE_DRAW = "抽查"  # gsxt insType 1 = 抽查, 2 = 检查


@dataclass(frozen=True)
class CreditRow:
    """One 抽查检查结果 entry."""

    code: str
    name: str
    agency: str
    kind: str
    date: str
    result: str

    def cells(self) -> list[str]:
        """The row in HEADERS order."""
        return [self.code, self.name, self.agency, self.kind, self.date, self.result]


def credit_rows(draws: tuple[DrawView, ...], results: dict[tuple[str, str], Result],
                agencies: dict[str, str]) -> tuple[CreditRow, ...]:
    """One row per published result, ordered by date, agency and code."""
    rows = []
    for d in draws:
        for u in d.units:
            res = results.get((d.draw_id, u.key))
            if res is not None:
                rows.append(CreditRow(u.key, u.name, agencies.get(d.brigade, d.brigade), TYPE_DRAW,
                                      res.inspected_on.isoformat(), res.outcome))
    return tuple(sorted(rows, key=lambda x: (x.date, x.agency, x.code)))


def csv_bytes(rows: tuple[CreditRow, ...]) -> bytes:
    """UTF-8 CSV with BOM (so Excel reads the Chinese) and every cell injection-safe."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([safe_text(c) for c in row.cells()])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_credit(rows: tuple[CreditRow, ...], folder: Path, stem: str = "抽查检查结果") -> tuple[Path, Path]:
    """Write <stem>.csv and <stem>.xlsx into `folder`; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    csv_path.write_bytes(csv_bytes(rows))
    book = Workbook()
    sheet = book.active
    sheet.title = "抽查检查结果"
    write_row(sheet, list(HEADERS))
    for row in rows:
        write_row(sheet, row.cells())
    for col, width in zip("ABCDEF", (22, 36, 30, 8, 12, 20)):
        sheet.column_dimensions[col].width = width
    book.save(xlsx_path)
    return csv_path, xlsx_path
