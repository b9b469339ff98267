"""Blank templates: headers, 填写说明, drop-downs, no formulas, no overwrite, and a filled one passes the check."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from openpyxl.utils import quote_sheetname

from dsr.errors import UsageError
from dsr.inputs import read_inputs, schema
from dsr.inputs.template import CHOICES, GUIDE, put_text, workbook, write_templates
from inputs_helpers import DETACHMENT, ON, conflict_row, exclusion_row, inspector_row, item_row, unit_row

ROWS = {"units": unit_row, "inspectors": inspector_row, "items": item_row, "conflicts": conflict_row,
        "exclusions": exclusion_row}


def test_one_workbook_per_input_with_headers_in_row_1(tmp_path):
    """Each template has its data sheet named as the input, the schema headers in row 1, and a guide."""
    paths = write_templates(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{s.title}.xlsx" for s in schema.SHEETS.values())
    for sheet, path in zip(schema.SHEETS.values(), paths, strict=True):
        wb = load_workbook(path)
        assert wb.sheetnames == [sheet.title, GUIDE, CHOICES]
        ws = wb[sheet.title]
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
        assert ws.freeze_panes == "A2" and ws["A1"].font.b
        assert wb[CHOICES].sheet_state == "hidden"
        assert [r[0] for r in wb[GUIDE].iter_rows(min_row=2, max_row=len(sheet.columns) + 1, values_only=True)] \
            == [c.header for c in sheet.columns]


def test_every_enumerated_column_has_a_drop_down(tmp_path):
    """ENUM and BOOL columns carry a list validation pointing at the hidden choices sheet."""
    for sheet in schema.SHEETS.values():
        ws = workbook(sheet)[sheet.title]
        covered = {str(dv.sqref).split(":")[0] for dv in ws.data_validations.dataValidation}
        letters = {ws.cell(row=2, column=i).coordinate for i, c in enumerate(sheet.columns, 1)
                   if c.kind in (schema.ENUM, schema.BOOL)}
        assert covered == letters
        prefix = f"{quote_sheetname(CHOICES)}!"
        assert all(dv.type == "list" and dv.formula1.startswith(prefix) for dv in ws.data_validations.dataValidation)


def test_choices_sheet_lists_the_schema_choices(tmp_path):
    """The hidden sheet holds exactly the allowed values of each enumerated column."""
    wb = workbook(schema.UNITS)
    columns = list(wb[CHOICES].iter_cols(values_only=True))
    listed = {col[0]: tuple(v for v in col[1:] if v) for col in columns}
    expected = {c.header: c.choices for c in schema.UNITS.columns if c.kind in (schema.ENUM, schema.BOOL)}
    assert listed == expected


def test_no_cell_of_a_template_is_a_formula(tmp_path):
    """Every text cell is stored as a string, even one starting with '='."""
    for path in write_templates(tmp_path):
        wb = load_workbook(path)
        assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    wb = workbook(schema.ITEMS)
    put_text(wb[GUIDE], 40, 1, "=HYPERLINK(\"http://x\")")
    assert wb[GUIDE].cell(row=40, column=1).data_type == "s"


def test_existing_files_are_never_overwritten(tmp_path):
    """A second run refuses and leaves the first run's files untouched."""
    paths = write_templates(tmp_path)
    before = {p: p.read_bytes() for p in paths}
    with pytest.raises(UsageError) as info:
        write_templates(tmp_path)
    assert str(info.value).startswith("目录中已有同名文件，不覆盖：随机抽查事项清单.xlsx、")
    assert {p: p.read_bytes() for p in paths} == before


def test_filled_templates_pass_the_check(tmp_path):
    """Round trip: fill every template with openpyxl below its headers, and dsr's reader accepts them all."""
    paths = write_templates(tmp_path)
    for sheet, path in zip(schema.SHEETS.values(), paths, strict=True):
        wb = load_workbook(path)
        ws = wb[sheet.title]
        headers = [c.value for c in ws[1]]
        row = ROWS[sheet.kind]()
        ws.append([row.get(h, "") for h in headers])
        wb.save(path)
    checked = read_inputs(paths, DETACHMENT, ON)
    d = checked.directory
    assert (len(d.units), len(d.inspectors), len(d.items), len(d.conflicts), len(d.exclusions)) == (1, 1, 1, 1, 1)
    assert [s.rows for s in checked.sources] == [1, 1, 1, 1, 1]
    assert not checked.warnings
