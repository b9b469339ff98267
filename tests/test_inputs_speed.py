"""The fast read path (column-wise checks, quick units, streamed windows) against the plain one, and B10."""

from __future__ import annotations

import zipfile

import pytest
from inputs_helpers import DETACHMENT, ON, credit_code, unit_row, write_shared_xlsx, write_xlsx

from dsr.errors import InputError
from dsr.inputs import check_inputs, read_inputs, schema, sources, uscc
from dsr.inputs import rows as rows_module
from dsr.inputs.reader import read_one

UNITS = schema.UNITS.title


SHEET = "xl/worksheets/sheet1.xml"


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(SHEET)


def _rewrite_sheet_xml(path, sheet: bytes) -> None:
    """Write the workbook again with its first sheet's XML replaced by `sheet` (every other part as it was)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts[SHEET] = sheet
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def _problems(paths, read=read_inputs):
    try:
        read(paths, DETACHMENT, ON)
    except InputError as exc:
        return [p.render() for p in exc.problems]
    return []


def test_zip_directory_without_the_sheet_is_a_damaged_workbook(tmp_path):
    """B10: the central directory names no xl/worksheets/sheet1.xml (one flipped byte): a problem, not a KeyError."""
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, [unit_row()])
    data = path.read_bytes()
    name = b"xl/worksheets/sheet1.xml"
    at = data.rindex(name)  # the central directory comes last; the local header keeps the right name
    path.write_bytes(data[:at] + b"y" + data[at + 1:])
    one = read_one(path, DETACHMENT, ON)
    assert [p.render() for p in one.problems] == [
        "文件 units.xlsx：工作簿已损坏，无法读取（BadZipFile）（应为：.xlsx 工作簿）"]
    assert one.values == () and one.source is None
    assert _problems([path]) == _problems([path], check_inputs) == [p.render() for p in one.problems]


def test_a_code_with_other_digits_is_a_structure_error_not_a_crash():
    """A code whose positions 3–8 hold digits of another script (٤) has no check character: 结构不符, not KeyError."""
    assert uscc.problem("91\u066410502MA9XK3L71X").startswith("结构不符")


def _mixed_rows(n):
    """Units rows where most are clean and some take every slow path of the column-wise checks."""
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(n)]
    rows[3]["统一社会信用代码（注册号）"] = "410502123456789"  # 注册号 only: warning
    rows[4]["统一社会信用代码（注册号）"] = rows[4]["统一社会信用代码（注册号）"][:17] + "Y"  # check character
    rows[5]["历史代码"] = "是"  # legacy flag on a valid code: warning
    rows[6]["统一社会信用代码（注册号）"] = credit_code("91350211MA9XK3L71")  # another city: warning
    rows[7]["管辖单位"] = "安阳市文峰区消防救援大队"  # full name, resolved
    rows[8]["管辖单位"] = "北京"  # not a brigade
    rows[9]["单位类别"] = "消防安全重点单位"  # key unit without category: warning
    rows[10]["重点单位类别"] = "国家机关"  # category on a unit that is not a key unit: error
    rows[11]["法定代表人"] = ""  # warning
    rows[12]["建筑面积（平方米）"] = "1,200 "
    rows[13]["消防设施类别"] = "灭火器，火箭"
    rows[14]["人员密集场所"] = "Ｙ"
    rows[15]["统一社会信用代码（注册号）"] = " ９１４１０５０２ＭＡ９ＸＫ３Ｌ７１Ｘ"
    rows[16]["单位名称"] = "=HYPERLINK(1)"
    rows[17]["统一社会信用代码（注册号）"] = rows[2]["统一社会信用代码（注册号）"]  # duplicate
    return rows


@pytest.mark.parametrize("window", [1 << 40, 4096])
def test_quick_rows_and_slow_rows_give_what_the_row_checks_give(tmp_path, monkeypatch, window):
    """Every slow path mixed among quick rows: the same messages, in row order, read whole or in windows."""
    monkeypatch.setattr(sources, "WINDOW", window)
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, _mixed_rows(300))
    found = _problems([path])
    assert found == _problems([path], check_inputs)
    expected = [(18, "单元格 A18 是公式"), (5, "仅有 15 位注册号"), (6, "校验位错误：第 18 位为 Y"),
                (7, "「历史代码」填了“是”"), (8, "登记机关行政区划码 350211 不在本市"), (10, "不是本支队所属的大队"),
                (11, "消防安全重点单位未填写重点单位类别"), (12, "不应填写重点单位类别"), (13, "未填写"),
                (15, "含有不可选的值「火箭」"), (17, "校验位错误：第 18 位为 X"), (19, "代码重复：与第 4 行相同")]
    assert len(found) == len(expected)
    for line, (row, message) in zip(found, expected):
        assert f"第 {row} 行" in line and message in line, line


def test_units_built_column_wise_equal_the_dataclass(tmp_path, monkeypatch):
    """A quick Unit is equal, field for field and in field order, to model.Unit built the ordinary way."""
    monkeypatch.setattr(sources, "WINDOW", 4096)
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(200)]
    checked = read_inputs([write_xlsx(tmp_path / "units.xlsx", UNITS, rows)], DETACHMENT, ON)
    unit = checked.directory.units[0]
    again = type(unit)(**vars(unit))
    assert unit == again and list(vars(unit)) == list(vars(again)) and len(checked.directory.units) == 200


def test_a_window_cut_inside_a_comment_falls_back_to_a_whole_read(tmp_path, monkeypatch):
    """A `</row>` inside an XML comment of the sheet would cut a window wrongly: the sheet is read whole instead."""
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(120)]
    rows[60]["建筑面积（平方米）"] = "1200平方米"
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    sheet = _sheet_xml(path)
    at = sheet.index(b'<row r="40"')
    _rewrite_sheet_xml(path, sheet[:at] + b"<!-- " + b"</row> " * 2000 + b"-->" + sheet[at:])
    monkeypatch.setattr(sources, "WINDOW", 1 << 40)
    whole = _problems([path])
    monkeypatch.setattr(sources, "WINDOW", 4096)
    assert _problems([path]) == _problems([path], check_inputs) == whole
    assert len(whole) == 1 and "第 62 行" in whole[0]


def test_check_counts_a_damaged_file_not_at_all(tmp_path, monkeypatch):
    """A large sheet found damaged only at the end of its XML (CRC): check_inputs reports what read_inputs does."""
    monkeypatch.setattr(sources, "WINDOW", 4096)
    monkeypatch.setattr(sources, "_CHUNK", 4096)  # rows are read and counted before the damage shows
    monkeypatch.setattr(rows_module, "_CHUNK_ROWS", 16)
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(150)]
    good = write_xlsx(tmp_path / "good.xlsx", UNITS, rows)
    bad = write_xlsx(tmp_path / "bad.xlsx", UNITS, rows)  # the same keys: duplicates if its rows were counted
    data = bytearray(bad.read_bytes())
    entry = data.rindex(b"xl/worksheets/sheet1.xml") - 46  # the sheet's central directory entry
    data[entry + 16] ^= 0xFF  # its CRC-32: zipfile notices once the whole member has been read
    bad.write_bytes(bytes(data))
    expected = _problems([bad, good])
    assert expected == ["文件 bad.xlsx：工作簿已损坏，无法读取（BadZipFile）（应为：.xlsx 工作簿）"]
    assert _problems([bad, good], check_inputs) == expected


def _read_all_ways(path, monkeypatch):
    """(problems, units) of `path` read whole, in windows with the shared strings cut per window, and in windows
    with the shared strings read once (`sources._strings`); all must agree."""
    results = []
    for window, index_above in ((1 << 40, 1 << 40), (4096, 1 << 40), (4096, 0)):
        monkeypatch.setattr(sources, "WINDOW", window)
        monkeypatch.setattr(sources, "_INDEX_ABOVE", index_above)
        one = read_one(path, DETACHMENT, ON)
        results.append(([p.render() for p in one.problems], [x.value for x in one.values]))
        assert _problems([path]) == _problems([path], check_inputs)
    assert results[0] == results[1] == results[2]
    return results[0]


def test_shared_strings_read_in_windows_give_what_a_whole_read_gives(tmp_path, monkeypatch):
    """A workbook as Excel saves it (texts in the shared-strings table): the same messages and values as the
    same rows written by openpyxl, read whole or in windows, with the table cut per window or read once."""
    rows = _mixed_rows(300)
    for i in range(20, 300, 7):
        rows[i]["建筑面积（平方米）"] = 100.25 + i  # a number cell
    rows[30]["建筑面积（平方米）"] = -5.0
    rows[31]["统一社会信用代码（注册号）"] = 914105020000000031.0  # a code stored as a number
    rows[16]["单位名称"] = "=HYPERLINK(1)"  # a text here (openpyxl would write a formula)
    shared = _read_all_ways(write_shared_xlsx(tmp_path / "shared.xlsx", UNITS, rows), monkeypatch)
    monkeypatch.setattr(sources, "WINDOW", 1 << 40)
    plain = read_one(write_xlsx(tmp_path / "plain.xlsx", UNITS, rows), DETACHMENT, ON)
    formula = [p.render() for p in plain.problems if "是公式" in p.message]
    assert [p.replace("shared.xlsx", "plain.xlsx") for p in shared[0] if "以“=”开头" not in p] == [
        p.render() for p in plain.problems if p.render() not in formula]
    assert shared[1] == [x.value for x in plain.values]
    assert len(shared[0]) == 13 and len(shared[1]) == 292  # duplicates are found across files, later


def test_shared_strings_in_other_forms_are_read_as_calamine_reads_them(tmp_path, monkeypatch):
    """Rich text, escapes, preserved and trimmed spaces, and a table not in the order of first use (a window
    then cites entries past its cut and is parsed again with the whole table): the same as a whole read."""
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(200)]
    rows[50]["单位名称"] = "甲&乙"
    rows[60]["单位名称"] = "rich"
    rows[70]["住所"] = "tab"
    rows[80]["登记机关"] = "spaced"
    rows[90]["单位名称"] = "line"
    entries = {"rich": "<si><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r></si>",
               "tab": "<si><t>北关区_x0009_路</t></si>", "spaced": "<si><t>  两端空格  </t></si>",
               "line": '<si><t xml:space="preserve"> 第一行&#10;第二行 </t></si>'}
    path = write_shared_xlsx(tmp_path / "forms.xlsx", UNITS, rows, entries)
    problems, units = _read_all_ways(path, monkeypatch)
    names = {u.name for u in units}
    assert "甲&乙" in names and "富文本" in names
    assert any("含有不可见的控制字符" in p or "第一行" in p for p in problems) or "第一行\n第二行" in names
    monkeypatch.setattr(sources, "_TAIL", 300)  # the cut is taken from the last cells only
    backwards = write_shared_xlsx(tmp_path / "backwards.xlsx", UNITS, rows, order=lambda texts: texts[::-1])
    assert _read_all_ways(backwards, monkeypatch) == _read_all_ways(
        write_shared_xlsx(tmp_path / "forwards.xlsx", UNITS, rows), monkeypatch)


def test_a_shared_string_index_past_the_table_is_a_damaged_workbook(tmp_path, monkeypatch):
    """A cell citing an entry the table lacks: calamine refuses the workbook, read whole or in windows."""
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(150)]
    path = write_shared_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    sheet = _sheet_xml(path)
    at = sheet.index(b'<row r="120"')
    at = sheet.index(b"<v>", at) + 3
    _rewrite_sheet_xml(path, sheet[:at] + b"99999" + sheet[sheet.index(b"</v>", at):])
    problems, units = _read_all_ways(path, monkeypatch)
    assert problems == ["文件 units.xlsx：工作簿已损坏，无法读取（CalamineError）（应为：.xlsx 工作簿）"] and not units


def test_inline_strings_among_shared_strings_are_read_with_the_table(tmp_path, monkeypatch):
    """A window holding an inline string among shared ones cannot take indices for texts: it is parsed with the
    table (read again from the zip when the table is read once), and every value is what a whole read gives."""
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(150)]
    path = write_shared_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    sheet = _sheet_xml(path)
    at = sheet.index(b'<c r="A100"')
    end = sheet.index(b"</c>", at) + 4
    _rewrite_sheet_xml(path, sheet[:at] + '<c r="A100" t="inlineStr"><is><t>内联单位</t></is></c>'.encode() + sheet[end:])
    problems, units = _read_all_ways(path, monkeypatch)
    assert not problems and "内联单位" in {u.name for u in units} and len(units) == 150


def test_what_later_chunks_skip_still_gives_every_message(tmp_path, monkeypatch):
    """Chunks of 16 rows: the first ones teach the reader that names never repeat (no sharing) and what each
    facilities value comes to; later chunks bring an empty name, a formula in the name column, an empty 法定代表人, a
    bad and a good facilities value seen before, and number cells beside a negative one. Every message and value is
    what one chunk for the whole sheet gives, read whole or in windows."""
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(120)]
    for i in range(0, 120, 3):
        rows[i]["消防设施类别"] = "灭火器、室内消火栓系统"
        rows[i]["建筑面积（平方米）"] = 100.5 + i
    rows[70]["单位名称"] = ""
    rows[71]["单位名称"] = "=A1"
    rows[72]["法定代表人"] = ""
    rows[5]["消防设施类别"] = rows[90]["消防设施类别"] = "灭火器，火箭"
    rows[99]["建筑面积（平方米）"] = -1.0
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    monkeypatch.setattr(rows_module, "_DISTINCT_SAMPLE", 8)  # a chunk of 16 tells whether texts repeat
    results = []
    for chunk, window in ((1 << 20, 1 << 40), (16, 1 << 40), (16, 4096)):
        monkeypatch.setattr(rows_module, "_CHUNK_ROWS", chunk)
        monkeypatch.setattr(sources, "WINDOW", window)
        one = read_one(path, DETACHMENT, ON)
        results.append(([p.render() for p in one.problems], [x.value for x in one.values]))
        assert _problems([path]) == _problems([path], check_inputs)
    assert results[0] == results[1] == results[2]
    problems, units = results[0]
    for row, message in ((7, "含有不可选的值「火箭」"), (72, "必填，不能为空"), (73, "是公式"), (74, "未填写"),
                         (92, "含有不可选的值「火箭」"), (101, "不能为负数")):
        assert any(f"第 {row} 行" in p and message in p for p in problems), (row, message)
    assert len(units) == 120 - 5 and {u.facilities for u in units} >= {("室内消火栓系统", "灭火器")}


@pytest.mark.parametrize("shared", [False, True])
def test_pieces_shorter_than_a_row_give_what_a_whole_read_gives(tmp_path, monkeypatch, shared):
    """The sheet XML read in pieces shorter than a row and cut into windows of a few rows (rows, markers and
    `</sheetData>` split between pieces): the same messages and values as a whole read, and no whole read after
    all (every window was taken as cut)."""
    from dsr.inputs import reader

    rows = _mixed_rows(200)
    rows[120]["建筑面积（平方米）"] = 300.5
    path = (write_shared_xlsx if shared else write_xlsx)(tmp_path / "units.xlsx", UNITS, rows)
    calls = []
    once = reader._read_file_once

    def spy(*args, windowed, **kwargs):
        calls.append(windowed)
        return once(*args, windowed=windowed, **kwargs)

    monkeypatch.setattr(reader, "_read_file_once", spy)
    results = []
    for window, piece in ((1 << 40, 1 << 20), (4096, 97), (2048, 1000), (8192, 4096)):
        monkeypatch.setattr(sources, "WINDOW", window)
        monkeypatch.setattr(sources, "_CHUNK", piece)
        one = read_one(path, DETACHMENT, ON)
        results.append(([p.render() for p in one.problems], [x.value for x in one.values]))
        assert _problems([path]) == _problems([path], check_inputs)
    assert all(r == results[0] for r in results[1:])
    assert False not in calls and len(results[0][0]) == 11


def test_a_sheet_read_early_counts_only_if_calamine_opens_the_workbook(tmp_path, monkeypatch):
    """A large sheet is read before calamine opens the workbook (calamine opens it at the end): if calamine then
    refuses it, the file gives calamine's problem, as if it had been asked first, and check_inputs counts none of
    its rows (the good file's same keys are no duplicates)."""
    from dsr.errors import Problem
    from dsr.inputs import reader

    monkeypatch.setattr(sources, "WINDOW", 4096)
    monkeypatch.setattr(sources, "_CHUNK", 4096)
    monkeypatch.setattr(rows_module, "_CHUNK_ROWS", 16)
    rows = [unit_row(code=credit_code(f"914105020{i:08d}"), name=f"单位{i}") for i in range(150)]
    good = write_xlsx(tmp_path / "good.xlsx", UNITS, rows)
    bad = write_xlsx(tmp_path / "bad.xlsx", UNITS, rows)
    refusal = Problem(bad.name, "工作簿已损坏，无法读取（XmlError）", expected=".xlsx 工作簿")
    opens = reader.open_workbook
    monkeypatch.setattr(reader, "open_workbook", lambda path: (None, [refusal]) if path == bad else opens(path))
    assert _problems([bad, good]) == _problems([bad, good], check_inputs) == [refusal.render()]


def test_a_sheet_read_early_is_read_again_if_calamine_sees_other_sheets(tmp_path, monkeypatch):
    """calamine names two input sheets where workbook.xml seemed to name one: the early reading is dropped and
    the file is read as before, calamine first (one input per file)."""
    from dsr.inputs import reader

    monkeypatch.setattr(sources, "WINDOW", 4096)
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, [unit_row(code=credit_code(f"914105020{i:08d}"))
                                                        for i in range(150)])

    class Book:
        sheet_names = [UNITS, schema.INSPECTORS.title]

    monkeypatch.setattr(reader, "open_workbook", lambda _path: (Book(), []))
    assert _problems([path]) == _problems([path], check_inputs) == [
        f"文件 units.xlsx：一个文件只能放一种输入，本文件有 2 张：{UNITS}、{schema.INSPECTORS.title}（应为：每种输入各存一个文件）"]


def _strip_refs(sheet: bytes, every: int, cells: bool) -> bytes:
    """Every `every`-th data row of an openpyxl sheet without its r attribute (and its cells' too if `cells`)."""
    import re

    def row(m: re.Match) -> bytes:
        if int(m.group(1)) < 2 or int(m.group(1)) % every:
            return m.group(0)
        body = re.sub(rb' r="[A-Z]+[0-9]+"', b"", m.group(3)) if cells else m.group(3)
        return b"<row" + m.group(2) + b">" + body + b"</row>"

    return re.sub(rb'<row r="([0-9]+)"([^>]*)>(.*?)</row>', row, sheet, flags=re.S)


@pytest.mark.parametrize("every, cells", [(7, False), (5, True), (1, True)])
def test_rows_without_numbers_give_what_a_whole_read_gives(tmp_path, monkeypatch, every, cells):
    """Rows without their r attribute (calamine numbers them after the row before), with or without their cells'
    references: read in windows of a few rows, every value and message is what a whole read gives (a window that
    would start on such a row is not cut there: the sheet is read whole)."""
    rows = _mixed_rows(160)
    rows[16]["单位名称"] = "某单位"  # no formula: a formula cell without a reference is not located alike
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    _rewrite_sheet_xml(path, _strip_refs(_sheet_xml(path), every, cells))
    results = []
    for window, piece in ((1 << 40, 1 << 20), (4096, 97), (2048, 1000)):
        monkeypatch.setattr(sources, "WINDOW", window)
        monkeypatch.setattr(sources, "_CHUNK", piece)
        one = read_one(path, DETACHMENT, ON)
        results.append(([p.render() for p in one.problems], [x.value for x in one.values]))
    assert all(r == results[0] for r in results[1:])
    assert len(results[0][1]) > 100


def test_prefixed_rows_give_what_a_whole_read_gives(tmp_path, monkeypatch):
    """Rows written with a namespace prefix (`<x:row>`, which calamine reads as rows but no window can be cut
    after): the sheet is read whole, with the same values."""
    rows = _mixed_rows(120)
    path = write_xlsx(tmp_path / "units.xlsx", UNITS, rows)
    sheet = _sheet_xml(path)
    head = sheet.index(b"<sheetData>")
    sheet = (sheet[:head].replace(b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                                  b'spreadsheetml/2006/main" ', 1)
             + sheet[head:].replace(b"<row ", b"<x:row ").replace(b"</row>", b"</x:row>"))
    _rewrite_sheet_xml(path, sheet)
    results = []
    for window in (1 << 40, 4096):
        monkeypatch.setattr(sources, "WINDOW", window)
        one = read_one(path, DETACHMENT, ON)
        results.append(([p.render() for p in one.problems], [x.value for x in one.values]))
    assert results[0] == results[1] and len(results[0][1]) > 100


def test_entries_of_a_shared_strings_table_are_found_and_summed_as_far_as_asked(monkeypatch):
    """`_Entries` finds where entry k starts (across its counting spans, forwards and back) and sums each prefix
    it hands out to the CRC-32 of its bytes."""
    import zlib

    monkeypatch.setattr(sources, "_SPAN", 64)  # many spans, marks across their ends
    table = (b'<?xml version="1.0"?><sst count="300">'
             + b"".join(b"<si><t>%s</t></si>" % (b"x" * (i % 7)) for i in range(300)) + b"</sst>")
    entries = sources._Entries(table)
    for k in (0, 1, 63, 200, 17, 299, 250):
        cut = entries.start(k)
        assert table[cut:cut + 4] == b"<si>" and table.count(b"<si", 0, cut) == k
        prefix = entries.prefix(cut)
        assert prefix.crc == zlib.crc32(b"".join(map(bytes, prefix))) and bytes(prefix[1]) == b"</sst>"
    assert entries.start(300) is None
    # a comment among the entries: the table may be cut before it, not after it (nor ever again)
    table = table.replace(b"<si><t>x</t></si>", b"<si><t>x</t></si><!-- -->", 1)
    commented = table.index(b"<!--")
    entries = sources._Entries(table)
    first = table.index(b"<si>")
    second = table.index(b"<si>", first + 1)
    assert entries.start(1) == second < commented and entries.start(0) == first
    assert entries.start(200) is None and entries.start(1) is None
    assert sources._Entries(b"<sst/>").start(0) is None and sources._Entries(b"<sst><si/></sst>").start(0) == 5


def test_the_collector_is_restored_and_what_others_froze_stays_frozen(tmp_path):
    """Reading pauses the cyclic collector and gives it back enabled; what survived counts as old (nothing young left
    to walk), and objects frozen by someone else (gc.freeze) stay frozen."""
    import gc

    path = write_xlsx(tmp_path / "units.xlsx", UNITS, [unit_row(code=credit_code(f"914105020{i:08d}"))
                                                        for i in range(20)])
    assert gc.isenabled()
    read_inputs([path], DETACHMENT, ON)
    assert gc.isenabled() and gc.get_count()[0] < 700 and gc.get_freeze_count() == 0
    frozen = [object(), [1]]
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        read_inputs([path], DETACHMENT, ON)
        assert gc.isenabled() and gc.get_freeze_count() == count
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        read_inputs([path], DETACHMENT, ON)
        assert not gc.isenabled()
    finally:
        gc.enable()
    del frozen
