"""The credit export: gsxt 抽查检查结果 fields, UTF-8 with BOM, and no cell a spreadsheet would run."""

import csv
import dataclasses
import datetime as dt
import io

import openpyxl

import publish_data as data
from dsr.publish import credit
from dsr.publish import results as r

AGENCIES = {"文峰区": "安阳市文峰区消防救援大队"}


def _results(view, names=None):
    out = {}
    for i, u in enumerate(view.units[:2]):
        out[(view.draw_id, u.key)] = r.Result(view.draw_id, u.key, u.name, dt.date(2026, 9, 10 + i), "未发现问题",
                                              None, ("符合",) * 9 + ("", ""))
    return out


def test_rows_carry_the_gsxt_fields_for_published_results_only():
    """One row per published result: code, name, agency, 抽查, date, outcome."""
    view = data.view()
    rows = credit.credit_rows((view,), _results(view), AGENCIES)
    assert [row.cells() for row in rows] == [
        [view.units[0].key, view.units[0].name, "安阳市文峰区消防救援大队", "抽查", "2026-09-10", "未发现问题"],
        [view.units[1].key, view.units[1].name, "安阳市文峰区消防救援大队", "抽查", "2026-09-11", "未发现问题"],
    ]


def test_csv_has_bom_and_neutralises_formulas(tmp_path):
    """The CSV starts with a BOM; a name starting with '=' or '@' is written with a leading apostrophe."""
    view = data.view()
    evil = dataclasses.replace(view.units[0], name='=cmd|"/c calc"!A1')
    view = dataclasses.replace(view, units=(evil, view.units[1]))
    rows = credit.credit_rows((view,), _results(view), {"文峰区": "@SUM(1)"})
    raw = credit.csv_bytes(rows)
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == list(credit.HEADERS)
    assert table[1][1] == "'=cmd|\"/c calc\"!A1" and table[1][2] == "'@SUM(1)"


def test_xlsx_cells_are_text_not_formulas(tmp_path):
    """In the xlsx every cell is a string cell, so '=…' is never stored as a formula."""
    view = data.view()
    evil = dataclasses.replace(view.units[0], name="=HYPERLINK(\"http://x\",\"y\")")
    view = dataclasses.replace(view, units=(evil,))
    _, xlsx = credit.write_credit(credit.credit_rows((view,), _results(view), AGENCIES), tmp_path)
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet["B2"].value == "'=HYPERLINK(\"http://x\",\"y\")"
    assert {c.data_type for row in sheet.iter_rows() for c in row} == {"s"}
