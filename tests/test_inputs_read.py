"""Reading and checking input files: each bad input gives its exact Chinese message and nothing passes."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from dsr.errors import InputError
from dsr.inputs import read_inputs, schema
from inputs_helpers import (CODE_A, CODE_B, DETACHMENT, ON, conflict_row, credit_code, exclusion_row, inspector_row,
                            item_row, unit_row, write_csv, write_xlsx)

UNITS = schema.UNITS.title
CODE_COL = "统一社会信用代码（注册号）"


def problems(paths, severity="error"):
    """Rendered problems of one severity from a run that must fail."""
    with pytest.raises(InputError) as info:
        read_inputs(paths, DETACHMENT, ON)
    return [p.render() for p in info.value.problems if p.severity == severity]


def units_file(tmp_path, *rows, name="units.xlsx"):
    """A units workbook with the given rows."""
    return write_xlsx(tmp_path / name, UNITS, list(rows))


def where(row, column, value):
    """The location prefix of a problem in units.xlsx."""
    return f"文件 units.xlsx，工作表 {UNITS}，第 {row} 行，列「{column}」，值「{value}」："


def test_valid_units_file_reads_into_units(tmp_path):
    """A clean file gives one Unit per row, sorted by key, with the source's hash and row count."""
    path = units_file(tmp_path, unit_row(code=CODE_B, brigade="林州市"), unit_row())
    checked = read_inputs([path], DETACHMENT, ON)
    assert [u.key for u in checked.directory.units] == sorted([CODE_A, CODE_B])
    unit = checked.directory.units[0]
    assert unit.facilities == ("室内消火栓系统", "灭火器") and unit.floor_area == 1200 and not unit.crowded
    source = checked.sources[0]
    assert (source.name, source.kind, source.sheet, source.rows) == ("units.xlsx", "units", UNITS, 2)
    assert len(source.sha256) == 64


def test_missing_column_names_it_and_suggests_near_header(tmp_path):
    """A required column that is absent is an error; a near-miss header is offered as the likely one."""
    row = unit_row()
    row["管辖大队单位"] = row.pop("管辖单位")
    errors = problems([units_file(tmp_path, row)])
    assert errors == [f"文件 units.xlsx，工作表 {UNITS}，第 1 行，列「管辖单位」：缺少必填列；表头中的「管辖大队单位」是否即为此列？"
                      "（应为：第 1 行有一列名为「管辖单位」）"]


def test_alias_header_is_read_with_a_warning(tmp_path):
    """法人代表 is read as 法定代表人, and the clerk is told the standard header."""
    row = unit_row()
    row["法人代表"] = row.pop("法定代表人")
    checked = read_inputs([units_file(tmp_path, row)], DETACHMENT, ON)
    assert checked.directory.units[0].legal_rep == "张三"
    assert [w.render() for w in checked.warnings] == [
        f"文件 units.xlsx，工作表 {UNITS}，第 1 行，列「法人代表」：不是标准列名，已按「法定代表人」读取（应为：列名改为「法定代表人」）"]


def test_missing_legal_rep_is_a_warning(tmp_path):
    """An empty 法定代表人 does not stop the run but is listed."""
    checked = read_inputs([units_file(tmp_path, unit_row(legal_rep=""))], DETACHMENT, ON)
    assert [w.render() for w in checked.warnings] == [f"文件 units.xlsx，工作表 {UNITS}，第 2 行，列「法定代表人」：未填写"]


def test_merged_header_cells_are_an_error(tmp_path):
    """Merged cells in the header row are named by range."""
    path = units_file(tmp_path, unit_row())
    wb = load_workbook(path)
    wb[UNITS].merge_cells("A1:B1")
    wb.save(path)
    errors = problems([path])
    assert errors[0] == (f"文件 units.xlsx，工作表 {UNITS}，第 1 行：表头中有合并单元格 A1:B1"
                         "（应为：取消合并，每个单元格各填一个值）")


def test_empty_sheet_is_an_error(tmp_path):
    """A sheet with nothing in it says so."""
    wb = Workbook()
    wb.active.title = UNITS
    wb.save(tmp_path / "units.xlsx")
    assert problems([tmp_path / "units.xlsx"]) == [
        f"文件 units.xlsx，工作表 {UNITS}：工作表为空（应为：第 1 行为列名，第 2 行起为数据）"]


def test_header_row_not_on_row_1_is_an_error(tmp_path):
    """A header found lower down is reported at the row where it is."""
    row = unit_row()
    wb = Workbook()
    ws = wb.active
    ws.title = UNITS
    ws.append([])
    ws.append([])
    ws.append(list(row))
    ws.append(list(row.values()))
    wb.save(tmp_path / "units.xlsx")
    assert problems([tmp_path / "units.xlsx"]) == [
        f"文件 units.xlsx，工作表 {UNITS}，第 3 行：表头在第 3 行，应在第 1 行（应为：删除表头上方的行，使列名位于第 1 行）"]


def test_title_row_above_header_is_an_error(tmp_path):
    """A title typed into row 1 is not a header row."""
    row = unit_row()
    wb = Workbook()
    ws = wb.active
    ws.title = UNITS
    ws.append(["2026 年检查对象名录"])
    ws.append(list(row))
    wb.save(tmp_path / "units.xlsx")
    expected = "、".join(c.header for c in schema.UNITS.columns)
    assert problems([tmp_path / "units.xlsx"]) == [
        f"文件 units.xlsx，工作表 {UNITS}，第 1 行：第 1 行不是本表的表头（应为：第 1 行为列名：{expected}）"]


def test_gbk_csv_with_stray_byte_names_line_and_byte(tmp_path):
    """A GBK CSV with an invalid byte is refused with its line, position and value."""
    path = write_csv(tmp_path / f"{UNITS}.csv", [unit_row()], encoding="gbk")
    raw = path.read_bytes()
    second = raw.index(b"\n") + 1
    path.write_bytes(raw[:second] + b"\xff" + raw[second:])
    assert problems([path]) == [f"文件 {UNITS}.csv，第 2 行：文件编码无法识别：按 GBK/GB18030 解码时，第 2 行第 1 个字节（0xFF）无效"
                                "（应为：UTF-8 或 GBK/GB18030 编码的 CSV；请用 Excel “另存为”CSV UTF-8）"]


@pytest.mark.parametrize(("encoding", "label"), [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）"),
                                                 ("gbk", "GBK/GB18030"), ("gb18030", "GBK/GB18030")])
def test_csv_encodings_are_detected_and_reported(tmp_path, encoding, label):
    """UTF-8, UTF-8 with BOM and GBK/GB18030 CSVs read the same, and the encoding found is recorded."""
    path = write_csv(tmp_path / "名录.csv", [unit_row()], encoding=encoding)
    checked = read_inputs([path], DETACHMENT, ON)
    assert checked.directory.units[0].name == "安阳市某某商贸有限公司"
    assert (checked.sources[0].kind, checked.sources[0].encoding) == ("units", label)
    assert f"编码 {label}" in checked.summary()


def test_wrong_check_character_is_an_error(tmp_path):
    """A code whose 18th character is wrong says what it should be."""
    bad = CODE_A[:17] + "A"
    assert problems([units_file(tmp_path, unit_row(code=bad))]) == [
        where(2, CODE_COL, bad) + "校验位错误：第 18 位为 A，按 GB 32100-2015 计算应为 K"
        "（应为：正确的统一社会信用代码；如确为校验位不符的合法历史代码，在「历史代码」列填“是”）"]


def test_legacy_code_with_wrong_check_character_is_accepted_and_listed(tmp_path):
    """A known legacy code (历史代码=是) passes, is flagged, and is listed as accepted."""
    legacy = "91350211M0000XUF46"  # a real pre-standard Xiamen code (domain.md §1.3)
    checked = read_inputs([units_file(tmp_path, unit_row(code=legacy, legacy_code="是"))], DETACHMENT, ON)
    assert checked.directory.units[0].legacy_code is True
    assert [w.message for w in checked.warnings] == [
        "校验位错误：第 18 位为 6，按 GB 32100-2015 计算应为 R；已按「历史代码」接受",
        "第 3–8 位登记机关行政区划码 350211 不在本市（4105xx）"]


@pytest.mark.parametrize("letter", list("OISVZ"))
def test_code_with_forbidden_letter_is_an_error(tmp_path, letter):
    """O, I, S, V and Z never occur in a credit code, whatever the check character."""
    bad = "91410502MA9XK3L7" + letter + "K"
    assert problems([units_file(tmp_path, unit_row(code=bad))]) == [
        where(2, CODE_COL, bad) + f"含有统一社会信用代码不使用的字母 {letter}（不使用 I、O、S、V、Z）"
        "（应为：18 位统一社会信用代码（不使用 I、O、S、V、Z），或 15 位工商注册号）"]


def test_code_is_normalised_before_checking(tmp_path):
    """Full-width characters, lower case, spaces and hyphens in a code are normalised away."""
    messy = " ９１４１０５０２ma9xk3l7-1k　"
    checked = read_inputs([units_file(tmp_path, unit_row(code=messy))], DETACHMENT, ON)
    assert checked.directory.units[0].key == CODE_A


def test_duplicate_codes_name_both_rows(tmp_path):
    """Two rows with the same code: the second names the first."""
    assert problems([units_file(tmp_path, unit_row(), unit_row(name="另一家"))]) == [
        where(3, CODE_COL, CODE_A) + "代码重复：与第 2 行相同（应为：每条记录的代码唯一）"]


def test_duplicate_codes_across_files_name_the_other_file(tmp_path):
    """A directory split over two files is checked for duplicates as one."""
    first = units_file(tmp_path, unit_row(), name="a.xlsx")
    second = units_file(tmp_path, unit_row(), name="b.xlsx")
    assert problems([first, second]) == [
        f"文件 b.xlsx，工作表 {UNITS}，第 2 行，列「{CODE_COL}」，值「{CODE_A}」：代码重复：与文件 a.xlsx 第 2 行相同"
        "（应为：每条记录的代码唯一）"]


def test_unknown_brigade_lists_the_valid_ones(tmp_path):
    """A 管辖单位 that is not a brigade of the detachment is an error listing the brigades."""
    assert problems([units_file(tmp_path, unit_row(brigade="郑州市"))]) == [
        where(2, "管辖单位", "郑州市") + "不是本支队所属的大队"
        "（应为：文峰区、北关区、殷都区、龙安区、安阳县、汤阴县、滑县、内黄县、林州市）"]


def test_brigade_full_name_is_accepted(tmp_path):
    """The brigade's full name maps to its short name."""
    checked = read_inputs([units_file(tmp_path, unit_row(brigade="安阳市文峰区消防救援大队"))], DETACHMENT, ON)
    assert checked.directory.units[0].brigade == "文峰区"


def test_impossible_date_is_an_error(tmp_path):
    """2026/13/01 is not a date."""
    path = write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title, [inspector_row(cert_expiry="2026/13/01")])
    assert problems([path]) == [
        f"文件 people.xlsx，工作表 {schema.INSPECTORS.title}，第 2 行，列「执法证有效期至」，值「2026/13/01」：月份 13 不存在"
        "（应为：日期，如 2026-03-01、2026/3/1、2026年3月1日 或 20260301）"]


def test_formula_cell_is_an_error_naming_the_cell(tmp_path):
    """A formula is refused, by cell reference and column header."""
    path = units_file(tmp_path, unit_row(), unit_row(code=CODE_B, brigade="林州市"))
    wb = load_workbook(path)
    wb[UNITS]["J3"] = '=IF(1,"是","否")'
    wb.save(path)
    assert problems([path]) == [f"文件 units.xlsx，工作表 {UNITS}，第 3 行，列「公众聚集场所」：单元格 J3 是公式，需要的是数值"
                                "（应为：复制后“选择性粘贴 → 数值”）"]


def test_number_stored_as_text_with_trailing_space_is_accepted(tmp_path):
    """'1200.5 ' typed as text is trimmed and read as the number 1200.5."""
    checked = read_inputs([units_file(tmp_path, unit_row(floor_area="1200.5 "))], DETACHMENT, ON)
    assert str(checked.directory.units[0].floor_area) == "1200.5"


def test_number_with_unit_is_an_error(tmp_path):
    """'1200平方米' is not a number: the unit must go."""
    assert problems([units_file(tmp_path, unit_row(floor_area="1200平方米"))]) == [
        where(2, "建筑面积（平方米）", "1200平方米") + "不是数字（应为：不小于 0 的数字，如 1200 或 1200.5（不带单位））"]


def test_workbook_with_wrong_sheet_names_the_sheets_it_has(tmp_path):
    """A workbook without a sheet named as an input lists its sheets and guesses the intended one."""
    path = write_xlsx(tmp_path / "units.xlsx", "Sheet1", [unit_row()])
    titles = "、".join(s.title for s in schema.SHEETS.values())
    assert problems([path]) == [f"文件 units.xlsx：工作簿中没有可识别的工作表（现有工作表：Sheet1）；工作表「Sheet1」的表头像是"
                                f"「{UNITS}」，请把工作表改名为「{UNITS}」（应为：名为 {titles} 之一的工作表）"]


def test_code_stored_as_number_is_an_error(tmp_path):
    """An all-digit code that Excel stored as a number has lost digits and is refused."""
    path = units_file(tmp_path, unit_row(code=914403001922038216))
    assert problems([path]) == [where(2, CODE_COL, "914403001922038272") + "代码被存成了数字，超过 15 位的部分已丢失"
                                "（应为：将该列设为“文本”格式后重新输入代码）"]


def test_registration_number_only_is_a_warning(tmp_path):
    """A 15-digit 注册号 becomes the key, with reg_no set and no credit code."""
    checked = read_inputs([units_file(tmp_path, unit_row(code="410502000012345"))], DETACHMENT, ON)
    unit = checked.directory.units[0]
    assert (unit.key, unit.credit_code, unit.reg_no) == ("410502000012345", None, "410502000012345")
    assert [w.message for w in checked.warnings] == ["仅有 15 位注册号，尚无统一社会信用代码"]


def test_code_registered_outside_the_city_is_a_warning(tmp_path):
    """A code whose division is outside 4105xx is accepted with a warning."""
    outside = credit_code("91410100MA9XK3L71")
    checked = read_inputs([units_file(tmp_path, unit_row(code=outside))], DETACHMENT, ON)
    assert [w.message for w in checked.warnings] == ["第 3–8 位登记机关行政区划码 410100 不在本市（4105xx）"]


def test_key_category_on_a_non_key_unit_is_an_error(tmp_path):
    """Only 消防安全重点单位 carry a 重点单位类别."""
    path = units_file(tmp_path, unit_row(unit_class="九小场所", key_category="国家机关"))
    assert problems([path]) == [where(2, "重点单位类别", "国家机关") + "单位类别为「九小场所」，不应填写重点单位类别"
                                "（应为：留空，或将单位类别改为「消防安全重点单位」）"]


def test_crowded_small_venue_is_allowed(tmp_path):
    """人员密集场所=是 on a 九小场所 is legal."""
    checked = read_inputs([units_file(tmp_path, unit_row(unit_class="九小场所", crowded="是"))], DETACHMENT, ON)
    assert checked.directory.units[0].crowded is True


def test_enum_value_outside_choices_suggests_the_nearest(tmp_path):
    """A near-miss enumeration value is refused with a suggestion and the list of choices."""
    assert problems([units_file(tmp_path, unit_row(unit_class="重点单位"))]) == [
        where(2, "单位类别", "重点单位") + "不是可选值；是否应为「消防安全重点单位」？（应为：消防安全重点单位、一般单位、九小场所）"]


def test_required_cell_empty_is_an_error(tmp_path):
    """An empty required cell names its column."""
    assert problems([units_file(tmp_path, unit_row(address=""))]) == [
        f"文件 units.xlsx，工作表 {UNITS}，第 2 行，列「住所」：必填，不能为空"]


def test_text_starting_with_equals_is_an_error(tmp_path):
    """A CSV cell beginning with = would become a formula when opened in Excel, so it is refused."""
    path = write_csv(tmp_path / f"{UNITS}.csv", [unit_row(name="=HYPERLINK(\"x\")")])
    assert problems([path]) == [f"文件 {UNITS}.csv，第 2 行，列「单位名称」，值「=HYPERLINK(\"x\")」：以“=”开头，会被当作公式"
                                "（应为：纯文本或数值，不要以 = 开头）"]


def test_expired_certificate_is_a_warning(tmp_path):
    """An inspector whose 执法证 expired before the reference date is kept, with a warning."""
    path = write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title, [inspector_row(cert_expiry="2026-02-28")])
    checked = read_inputs([path], DETACHMENT, ON)
    assert checked.directory.inspectors[0].cert_expiry.isoformat() == "2026-02-28"
    assert [w.message for w in checked.warnings] == ["执法证已过期（参照日期 2026-03-01），抽取时不会被选中"]


def test_years_derived_from_start_date(tmp_path):
    """执法工作起始日期 gives the years of service as of the reference date."""
    path = write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title,
                      [inspector_row(years="", enforcement_since="2019年3月2日", brigade="支队")])
    inspector = read_inputs([path], DETACHMENT, ON).directory.inspectors[0]
    assert (inspector.years, inspector.brigade) == (6, "支队")


def test_duplicate_certificate_numbers_are_an_error(tmp_path):
    """Two inspectors with one 执法证号 are refused."""
    path = write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title, [inspector_row(), inspector_row(name="王五")])
    assert problems([path]) == [f"文件 people.xlsx，工作表 {schema.INSPECTORS.title}，第 3 行，列「执法证号」，值「41050200123」："
                                "执法证号重复：与第 2 行相同（应为：每条记录的代码唯一）"]


def test_references_to_unknown_units_and_inspectors_are_errors(tmp_path):
    """Conflicts and exclusions must name units and inspectors of the same run."""
    files = [
        units_file(tmp_path, unit_row()),
        write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title, [inspector_row()]),
        write_xlsx(tmp_path / "items.xlsx", schema.ITEMS.title, [item_row()]),
        write_xlsx(tmp_path / "c.xlsx", schema.CONFLICTS.title, [conflict_row(cert_no="999", unit_key=CODE_B)]),
        write_xlsx(tmp_path / "e.xlsx", schema.EXCLUSIONS.title, [exclusion_row(unit_key=CODE_B)]),
    ]
    assert problems(files) == [
        f"文件 c.xlsx，工作表 {schema.CONFLICTS.title}，第 2 行，列「执法证号」，值「999」：执法检查人员名录库中没有此执法证号",
        f"文件 c.xlsx，工作表 {schema.CONFLICTS.title}，第 2 行，列「{CODE_COL}」，值「{CODE_B}」：检查对象名录库中没有此单位",
        f"文件 e.xlsx，工作表 {schema.EXCLUSIONS.title}，第 2 行，列「{CODE_COL}」，值「{CODE_B}」：检查对象名录库中没有此单位",
    ]


def test_references_are_not_checked_without_the_other_file(tmp_path):
    """A conflicts file checked alone is not held against a directory it was not given."""
    path = write_xlsx(tmp_path / "c.xlsx", schema.CONFLICTS.title, [conflict_row(cert_no="999")])
    assert read_inputs([path], DETACHMENT, ON).directory.conflicts[0].cert_no == "999"


def test_all_problems_of_all_files_are_collected(tmp_path):
    """One run reports the errors of every file, not just the first."""
    first = units_file(tmp_path, unit_row(brigade="郑州市"), unit_row(code=CODE_B, address=""), name="a.xlsx")
    second = write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title, [inspector_row(gender="未知")])
    assert [e.split("：")[0] for e in problems([first, second])] == [
        f"文件 a.xlsx，工作表 {UNITS}，第 2 行，列「管辖单位」，值「郑州市」",
        f"文件 a.xlsx，工作表 {UNITS}，第 3 行，列「住所」",
        f"文件 people.xlsx，工作表 {schema.INSPECTORS.title}，第 2 行，列「性别」，值「未知」",
    ]


def test_not_an_xlsx_file_is_an_error(tmp_path):
    """A text file named .xlsx is refused cleanly."""
    path = tmp_path / "units.xlsx"
    path.write_text("not a workbook")
    assert problems([path]) == ["文件 units.xlsx：不是有效的 .xlsx 文件（无法按 xlsx 打开）（应为：.xlsx 工作簿或 .csv 文件）"]


def test_formula_scan_finds_shared_formulas_in_large_sheets(tmp_path):
    """Formulas far into a sheet (past the first read chunk) are still found."""
    rows = [unit_row(code=credit_code(f"914105020000{n:05d}"), name=f"单位{n}" * 20) for n in range(3000)]
    path = units_file(tmp_path, *rows)
    wb = load_workbook(path)
    wb[UNITS]["O2999"] = '="零售业"'
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 1 << 20
    assert problems([path]) == [f"文件 units.xlsx，工作表 {UNITS}，第 2999 行，列「行业」：单元格 O2999 是公式，需要的是数值"
                                "（应为：复制后“选择性粘贴 → 数值”）"]


def test_two_inputs_in_one_workbook_is_an_error(tmp_path):
    """One file holds one input; a second input sheet is refused by name."""
    path = units_file(tmp_path, unit_row())
    wb = load_workbook(path)
    wb.create_sheet(schema.ITEMS.title)
    wb.save(path)
    assert problems([path]) == [f"文件 units.xlsx：一个文件只能放一种输入，本文件有 2 张：{UNITS}、{schema.ITEMS.title}"
                                "（应为：每种输入各存一个文件）"]


def test_old_xls_and_utf16_csv_are_refused_with_the_fix(tmp_path):
    """.xls and Excel's UTF-16 'Unicode text' each say how to save the file instead."""
    xls = tmp_path / "units.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    utf16 = tmp_path / f"{UNITS}.csv"
    utf16.write_bytes("单位名称\n".encode("utf-16"))
    assert problems([xls, utf16]) == [
        "文件 units.xls：不支持旧版 .xls 格式（应为：在 Excel 中“另存为”.xlsx 工作簿）",
        f"文件 {UNITS}.csv：文件是 UTF-16 编码（Excel 的“Unicode 文本”）（应为：另存为“CSV UTF-8（逗号分隔）”）"]


def test_period_ending_before_it_starts_is_an_error(tmp_path):
    """An exclusion whose end date precedes its start date is refused."""
    path = write_xlsx(tmp_path / "e.xlsx", schema.EXCLUSIONS.title,
                      [exclusion_row(valid_from="2026-05-01", valid_to="2026-04-30")])
    assert problems([path]) == [f"文件 e.xlsx，工作表 {schema.EXCLUSIONS.title}，第 2 行，列「结束日期」，值「2026-04-30」："
                                "早于开始日期 2026-05-01（应为：不早于开始日期的日期）"]


def test_inspector_items_must_exist_in_the_item_list(tmp_path):
    """可执法事项 naming an item code absent from the item list of the run is an error."""
    people = write_xlsx(tmp_path / "people.xlsx", schema.INSPECTORS.title, [inspector_row(items="XF-001、XF-009")])
    items = write_xlsx(tmp_path / "items.xlsx", schema.ITEMS.title, [item_row()])
    assert problems([people, items]) == [
        f"文件 people.xlsx，工作表 {schema.INSPECTORS.title}，第 2 行，列「可执法事项」，值「XF-009」："
        "随机抽查事项清单中没有这些事项编码（应为：XF-001）"]


def test_blank_rows_are_skipped_and_rows_keep_excel_numbers(tmp_path):
    """Blank rows between records are ignored, and later rows keep their Excel row numbers."""
    path = units_file(tmp_path, unit_row(), {}, {"单位名称": "\u3000 "}, unit_row(code=CODE_B, address=""))
    assert problems([path]) == [f"文件 units.xlsx，工作表 {UNITS}，第 5 行，列「住所」：必填，不能为空"]


def test_control_characters_are_refused_and_shown_escaped(tmp_path):
    """A name holding ESC or NUL is an error, and the value is printed with the control escaped, never raw."""
    path = write_csv(tmp_path / f"{UNITS}.csv", [unit_row(name="某某\x1b[31m商贸"), unit_row(code=CODE_B, name="A\x00B")])
    assert problems([path]) == [
        f"文件 {UNITS}.csv，第 2 行，列「单位名称」，值「某某\\x1b[31m商贸」：含有不可见的控制字符（多为从其他系统复制时带入）"
        "（应为：删除这些字符后重新填写）",
        f"文件 {UNITS}.csv，第 3 行，列「单位名称」，值「A\\x00B」：含有不可见的控制字符（多为从其他系统复制时带入）"
        "（应为：删除这些字符后重新填写）"]


def test_a_large_sheet_read_in_windows_gives_exactly_what_a_whole_read_gives(tmp_path, monkeypatch):
    """Windowed reading (sheets above 2 × WINDOW bytes of XML) changes nothing: values, problems, order, summary."""
    from dsr.inputs import check_inputs, sources

    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(300)]
    rows[7] = unit_row(code=rows[3]["统一社会信用代码（注册号）"])  # a duplicate key
    rows[150]["单位类别"] = "重点"  # a bad enumeration
    rows[299]["建筑面积（平方米）"] = "1200平方米"
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    wb = load_workbook(path)
    ws = wb[UNITS]
    ws.insert_rows(100, amount=3)  # blank rows inside the data
    ws["C200"] = "=A1"  # a formula
    ws.merge_cells("N250:O250")
    wb.save(path)

    def run(window, read):
        monkeypatch.setattr(sources, "WINDOW", window)
        with pytest.raises(InputError) as info:
            read([path], DETACHMENT, ON)
        return [p.render() for p in info.value.problems]

    whole = run(1 << 40, read_inputs)
    assert run(4096, read_inputs) == whole  # about 40 windows
    assert run(4096, check_inputs) == whole
    assert any("代码重复：与第 5 行相同" in p for p in whole) and any("C200 是公式" in p for p in whole)
    assert any("有合并单元格 N250:O250" in p for p in whole)

    for i in (299, 150, 7):  # now without errors
        del rows[i]
    # directory and summary
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    monkeypatch.setattr(sources, "WINDOW", 1 << 40)
    expected = read_inputs([path], DETACHMENT, ON)
    monkeypatch.setattr(sources, "WINDOW", 2048)
    windowed = read_inputs([path], DETACHMENT, ON)
    assert windowed.directory == expected.directory and windowed.warnings == expected.warnings
    checked = check_inputs([path], DETACHMENT, ON)
    assert checked.summary() == expected.summary() and checked.warnings == expected.warnings
    assert checked.directory.units == () and checked.tally.count == len(expected.directory.units) == 297


def test_workbook_damaged_inside_its_zip_is_a_problem_not_a_crash(tmp_path):
    """A byte broken inside a sheet's compressed data is reported as a damaged workbook (found by fuzzing)."""
    path = units_file(tmp_path, unit_row())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF  # middle of the deflate stream: CRC or deflate error on reading
    path.write_bytes(bytes(data))
    found = problems([path])
    assert len(found) == 1 and found[0].startswith(f"文件 {path.name}：工作簿已损坏，无法读取（"), found
