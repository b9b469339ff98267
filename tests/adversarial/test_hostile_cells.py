"""Hostile names in the results workbook, without a kernel: formula prefixes and control characters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
import pytest

import publish_data as data
from dsr.errors import DsrError
from dsr.publish import results as r
from dsr.publish.results_import import read_results
from dsr.publish.results_template import write_template

from .hostile import CONTROL, NUL

TODAY = dt.date(2026, 9, 30)
OK = {r.H_DATE: dt.date(2026, 9, 10), r.H_OUTCOME: "未发现问题",
      **{h: "符合" for h in r.HEADERS if h.startswith(r.CHECK_PREFIX)}}


def _renamed(name: str):
    """The publishing test draw with its first drawn unit renamed."""
    view = data.view()
    first = dataclasses.replace(view.units[0], name=name)
    return dataclasses.replace(view, units=(first, *view.units[1:]))


def _filled(tmp_path, draw):
    path = write_template(draw, tmp_path / "结果.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book[r.RESULTS_SHEET]
    for header, value in OK.items():
        sheet.cell(2, r.HEADERS.index(header) + 1, value)
    book.save(path)
    return path


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "../../etc/passwd", "\u202e右向左", "🔥🚒", "长" * 500])
def test_template_round_trips_hostile_names(tmp_path, name):
    """A hostile but formula-free name goes out in the template and comes back on import unchanged."""
    draw = _renamed(name)
    results = read_results(_filled(tmp_path, draw), draw, TODAY)
    assert draw.units[0].key in {x.unit_key for x in results.results}


@pytest.mark.parametrize("name", ["+1 商贸", "-1 商贸", "@SUM(1) 商贸"])
def test_template_round_trips_formula_like_names(tmp_path, name):
    """A unit named like a formula is neutralised in the template and still accepted when the filled template returns."""
    draw = _renamed(name)
    results = read_results(_filled(tmp_path, draw), draw, TODAY)
    assert draw.units[0].key in {x.unit_key for x in results.results}


def test_template_neutralises_formula_like_names(tmp_path):
    """In the template a name starting with + - @ is stored as text with a leading apostrophe."""
    for i, name in enumerate(["+1 商贸", "-1 商贸", "@SUM(1) 商贸"]):
        path = write_template(_renamed(name), tmp_path / f"{i}.xlsx")
        cell = openpyxl.load_workbook(path)[r.RESULTS_SHEET]["B2"]
        assert (cell.value, cell.data_type) == ("'" + name, "s")


@pytest.mark.parametrize("name", [CONTROL, NUL])
def test_template_survives_control_characters(tmp_path, name):
    """A name with NUL or ESC (accepted by the reader) gives a template or a DsrError, never a crash."""
    try:
        write_template(_renamed(name), tmp_path / "结果.xlsx")
    except DsrError:
        pass


FORMULA_NAMES = ("=1+1", "+1 商贸", "-1 商贸", "@SUM(1)", "\t=1", "\r=1", "＝1", "=HYPERLINK(\"http://x\",\"y\")")


def _credit(names):
    from dsr.publish.credit import CreditRow

    return tuple(CreditRow(f"9141050200000000{i:02d}", n, "安阳市文峰区消防救援大队", "抽查", "2026-09-10", "未发现问题")
                 for i, n in enumerate(names))


def test_credit_csv_neutralises_formula_prefixes():
    """No field of the credit CSV starts with = + - @ (or a tab/CR before one); each such name is kept after a quote."""
    import csv
    import io

    from dsr.publish.credit import csv_bytes

    rows = list(csv.reader(io.StringIO(csv_bytes(_credit(FORMULA_NAMES)).decode("utf-8-sig"))))
    assert [f for row in rows for f in row if f[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    assert [row[1] for row in rows[1:]] == ["'" + n if n[0] in "=+-@\t\r＝" else n for n in FORMULA_NAMES]


def test_credit_xlsx_has_no_formula_cell(tmp_path):
    """The credit workbook stores every hostile name as a text cell, none as a formula."""
    from dsr.publish.credit import write_credit

    _csv, xlsx = write_credit(_credit(FORMULA_NAMES), tmp_path)
    cells = [c for row in openpyxl.load_workbook(xlsx).active.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"] == []


def test_credit_export_survives_control_characters(tmp_path):
    """A published name with NUL or ESC gives a credit export or a DsrError, never a crash."""
    from dsr.publish.credit import write_credit

    try:
        write_credit(_credit([CONTROL, NUL]), tmp_path)
    except DsrError:
        pass
