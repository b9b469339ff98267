"""The results workbook: the template a clerk fills in, and the checks on import."""

import datetime as dt

import openpyxl
import pytest

import publish_data as data
from dsr.errors import InputError
from dsr.publish import results as r
from dsr.publish.results_import import read_results
from dsr.publish.results_template import write_template

TODAY = dt.date(2026, 9, 30)
OK_CHECKS = ["符合"] * 9 + ["不涉及", "不涉及"]


def _template(tmp_path, draw=None):
    return write_template(draw or data.view(), tmp_path / "结果.xlsx")


def _fill(path, rows: dict[int, dict[str, object]], info_draw_id=None):
    """Write values into the results sheet by (Excel row, header) and save."""
    book = openpyxl.load_workbook(path)
    sheet = book[r.RESULTS_SHEET]
    for number, values in rows.items():
        for header, value in values.items():
            sheet.cell(number, r.HEADERS.index(header) + 1, value)
    if info_draw_id is not None:
        book[r.INFO_SHEET]["B2"] = info_draw_id
    book.save(path)
    return path


def _ok(date=dt.date(2026, 9, 10), outcome="未发现问题", doc=None, checks=OK_CHECKS):
    row = {r.H_DATE: date, r.H_OUTCOME: outcome}
    if doc:
        row[r.H_DOC] = doc
    checks_headers = [h for h in r.HEADERS if h.startswith(r.CHECK_PREFIX)]
    row.update(dict(zip(checks_headers, checks)))
    return row


def _messages(path, draw=None):
    with pytest.raises(InputError) as err:
        read_results(path, draw or data.view(), TODAY)
    return [p.render() for p in err.value.problems]


def test_template_lists_every_drawn_unit_with_its_team(tmp_path):
    """The template has one row per drawn unit, with code, batch and team by name and 执法证号."""
    book = openpyxl.load_workbook(_template(tmp_path))
    rows = list(book[r.RESULTS_SHEET].iter_rows(values_only=True))
    assert rows[0] == r.HEADERS
    assert [row[2] for row in rows[1:]] == [u.key for u in data.view().units]
    expected = {"豫消001": "张伟（豫消001）组长、李娜（豫消002）", "豫消003": "王强（豫消003）组长、赵敏（豫消004）"}
    assert rows[1][4] == expected[data.view().units[0].team[0].cert_no]
    assert book[r.INFO_SHEET]["B2"].value == data.DRAW_ID


def test_template_offers_outcomes_as_a_drop_down(tmp_path):
    """The 检查结果 column has a list validation with exactly the eight outcomes."""
    sheet = openpyxl.load_workbook(_template(tmp_path))[r.RESULTS_SHEET]
    formulas = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert '"' + ",".join(r.OUTCOMES) + '"' in formulas


def test_template_cells_cannot_become_formulas(tmp_path):
    """A unit name starting with '=' is written as text with a leading apostrophe, never as a formula."""
    view = data.view()
    evil = view.units[0].__class__(view.units[0].key, "=HYPERLINK(\"http://x\")", "s", "b", "00")
    draw = view.__class__(**{**view.__dict__, "units": (evil,)})
    sheet = openpyxl.load_workbook(_template(tmp_path, draw))[r.RESULTS_SHEET]
    assert sheet["B2"].value == "'=HYPERLINK(\"http://x\")"
    assert sheet["B2"].data_type == "s"


def test_import_reads_filled_rows_and_skips_blank_ones(tmp_path):
    """Filled rows become results; rows not yet filled are left out."""
    path = _fill(_template(tmp_path), {2: _ok(), 3: _ok(outcome="责令限期改正", doc="文消限字〔2026〕0012号",
                                                      checks=["不符合"] + OK_CHECKS[1:])})
    got = read_results(path, data.view(), TODAY)
    units = data.view().units
    assert [x.unit_key for x in got.results] == [units[0].key, units[1].key]
    assert got.results[1].failed_points() == ("消防安全责任人及职责",)
    assert got.results[1].document_no == "文消限字〔2026〕0012号"
    assert got.results[0].inspected_on == dt.date(2026, 9, 10)


def test_workbook_of_another_draw_is_refused(tmp_path):
    """A workbook whose 抽查编号 names another draw is refused before any row is read."""
    path = _fill(_template(tmp_path), {2: _ok()}, info_draw_id="2026-北关区-03")
    assert _messages(path) == [
        "文件 结果.xlsx，工作表 抽查信息，第 2 行，列「值」，值「2026-北关区-03」："
        "结果表属于另一次抽查，不是本次抽查的结果表（应为：2026-文峰区-01）"]


def test_unit_not_drawn_is_refused(tmp_path):
    """A row for a unit that is not on the drawn list is refused with its code."""
    other = data.code("MY000009")
    path = _fill(_template(tmp_path), {2: {r.H_CODE: other, **_ok()}})
    assert _messages(path) == [
        f"文件 结果.xlsx，工作表 检查结果，第 2 行，列「统一社会信用代码（注册号）」，值「{other}」："
        "该单位不在本次抽查的抽中名单中"]


def test_outcome_not_in_list_is_refused(tmp_path):
    """An outcome outside the eight is refused, naming the eight."""
    path = _fill(_template(tmp_path), {2: _ok(outcome="合格")})
    assert _messages(path) == [
        "文件 结果.xlsx，工作表 检查结果，第 2 行，列「检查结果」，值「合格」：不是规定的检查结果（应为：" + "、".join(r.OUTCOMES) + "）"]


def test_dates_before_the_draw_or_in_the_future_are_refused(tmp_path):
    """An inspection before the draw date or after today is refused, each on its own row."""
    path = _fill(_template(tmp_path), {2: _ok(date=dt.date(2026, 8, 31)), 3: _ok(date="2026-10-01")})
    assert _messages(path) == [
        "文件 结果.xlsx，工作表 检查结果，第 2 行，列「检查日期」，值「2026-08-31」：早于抽取日期 2026-09-01",
        "文件 结果.xlsx，工作表 检查结果，第 3 行，列「检查日期」，值「2026-10-01」：晚于今天 2026-09-30"]


def test_penalty_without_document_number_is_refused(tmp_path):
    """行政处罚 needs the number of the 行政处罚决定书."""
    path = _fill(_template(tmp_path), {4: _ok(outcome="行政处罚", checks=["不符合"] * 9 + ["不涉及"] * 2)})
    assert _messages(path) == [
        "文件 结果.xlsx，工作表 检查结果，第 4 行，列「文书编号」：检查结果为“行政处罚”时必须填写行政处罚决定书编号"
        "（应为：行政处罚决定书编号）"]


def test_all_problems_are_reported_together(tmp_path):
    """Several bad cells in several rows are all reported in one pass."""
    path = _fill(_template(tmp_path), {2: _ok(outcome="未发现问题", checks=["不符合"] + OK_CHECKS[1:]),
                                       3: {r.H_DATE: "2026-09-31", r.H_OUTCOME: "临时查封"}})
    messages = _messages(path)
    assert messages[0] == ("文件 结果.xlsx，工作表 检查结果，第 2 行，列「检查结果」，值「未发现问题」："
                           "检查结果为“未发现问题”，但有检查要点为“不符合”（应为：有不符合项时选择相应的处理结果）")
    assert messages[1] == ("文件 结果.xlsx，工作表 检查结果，第 3 行，列「检查日期」，值「2026-09-31」："
                           "2026 年 9 月没有第 31 日（应为：日期，如 2026-03-01、2026/3/1、2026年3月1日 或 20260301）")
    assert messages[2] == ("文件 结果.xlsx，工作表 检查结果，第 3 行，列「文书编号」："
                           "检查结果为“临时查封”时必须填写临时查封决定书编号（应为：临时查封决定书编号）")
    assert len(messages) == 3 + 9  # and each of the nine required checklist points


def test_formulas_are_refused(tmp_path):
    """A formula cell in the results sheet is refused."""
    path = _fill(_template(tmp_path), {2: {**_ok(), r.H_NOTE: "=1+1"}})
    assert _messages(path) == ["文件 结果.xlsx，工作表 检查结果：单元格 V2 含有公式（应为：直接填写值，不要使用公式）"]


def test_empty_workbook_is_refused(tmp_path):
    """A template with nothing filled in is refused rather than imported as nothing."""
    assert _messages(_template(tmp_path)) == [
        "文件 结果.xlsx，工作表 检查结果：结果表中没有填写任何检查结果（应为：至少填写一家单位的检查日期和检查结果）"]


def test_damaged_workbook_is_refused_not_crashed_on(tmp_path):
    """A results workbook whose zip directory lacks the results sheet is reported as damaged (InputError)."""
    import zipfile

    from dsr.inputs.sources import sheet_part

    path = _fill(_template(tmp_path), {2: _ok()})
    part = sheet_part(path, r.RESULTS_SHEET)
    damaged = tmp_path / "损坏.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info))
    messages = _messages(damaged)
    assert len(messages) == 1 and messages[0].startswith("文件 损坏.xlsx：工作簿已损坏，无法读取（"), messages
