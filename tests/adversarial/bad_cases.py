"""The malformed inputs of the bad-input test: each edits a copy of the small ceremony in one way."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from openpyxl import Workbook, load_workbook

from .builders import (CONFLICTS, EXCLUSIONS, INSPECTORS, ITEMS, UNITS, book, cell, column, edit_book, edit_yaml,
                       replace_input, set_cell)

CODE = "统一社会信用代码（注册号）"


@dataclass(frozen=True)
class Case:
    """One malformed input: a short id, what is wrong (for the doc), the edit, and whether it needs the draw."""

    id: str
    what: str
    edit: Callable[[Path], None]
    draw: bool = False  # entropy cases fail only when the draw is attempted


def _units(case: Path) -> Path:
    return book(case, UNITS)


def _code_edit(new: Callable[[str], str]) -> Callable[[Path], None]:
    def edit(case: Path) -> None:
        path = _units(case)
        set_cell(path, CODE, 3, new(str(cell(path, CODE, 3))))
    return edit


def _swap(code: str, pos: int, ch: str) -> str:
    return code[:pos] + ch + code[pos + 1:]


def _merged_header(case: Path) -> None:
    edit_book(_units(case), lambda ws: ws.merge_cells("A1:B1"))


def _merged_body(case: Path) -> None:
    edit_book(_units(case), lambda ws: ws.merge_cells("C5:D5"))


def _formula(case: Path) -> None:
    set_cell(_units(case), "建筑面积（平方米）", 3, "=100*12")


def _text_equals(case: Path) -> None:
    set_cell(_units(case), "单位名称", 4, "=HYPERLINK(\"http://x\")", data_type="s")


def _code_as_number(case: Path) -> None:
    set_cell(_units(case), CODE, 3, 914105021234567890)


def _title_row(case: Path) -> None:
    edit_book(_units(case), lambda ws: ws.insert_rows(1, 2))


def _rename_sheet(case: Path) -> None:
    path = _units(case)
    wb = load_workbook(path)
    wb[UNITS].title = "Sheet1"
    wb.save(path)


def _two_sheets(case: Path) -> None:
    path = _units(case)
    wb = load_workbook(path)
    ws = wb.create_sheet(INSPECTORS)
    ws.append(["姓名"])
    wb.save(path)


def _header_only(case: Path) -> None:
    edit_book(_units(case), lambda ws: ws.delete_rows(2, ws.max_row))


def _drop_column(case: Path) -> None:
    edit_book(_units(case), lambda ws: ws.delete_cols(column(ws, "单位名称")))


def _dup_column(case: Path) -> None:
    def change(ws):
        col = ws.max_column + 1
        ws.cell(row=1, column=col, value="管辖单位")
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=col, value=ws.cell(row=r, column=column(ws, "管辖单位")).value)
    edit_book(_units(case), change)


def _dup_code(case: Path) -> None:
    path = _units(case)
    set_cell(path, CODE, 4, cell(path, CODE, 2))


def _not_zip(case: Path) -> None:
    _units(case).write_bytes(b"PK\x03\x04 not really a zip" + bytes(range(256)))


def _xls(case: Path) -> None:
    path = _units(case)
    new = path.with_suffix(".xls")
    path.rename(new)
    replace_input(case, path, new)


def _txt(case: Path) -> None:
    path = _units(case)
    new = path.with_suffix(".txt")
    path.rename(new)
    replace_input(case, path, new)


def _missing_file(case: Path) -> None:
    _units(case).unlink()


def _items_csv(case: Path, data: bytes, name: str = ITEMS) -> None:
    path = book(case, ITEMS)
    new = path.with_name(f"{name}.csv")
    new.write_bytes(data)
    path.unlink()
    replace_input(case, path, new)


_ITEMS_HEAD = "事项编码,事项名称,事项类别,抽查依据,抽查主体,抽查对象,抽查内容,抽查方式,抽查比例/频次\n"
_ITEMS_ROW = "XF-001,日常消防监督抽查,一般检查事项,《消防监督检查规定》,大队,一般单位,消防安全责任制,现场检查,每季度 5%\n"


def _gbk_stray(case: Path) -> None:
    _items_csv(case, _ITEMS_HEAD.encode("gbk") + b"\xff" + _ITEMS_ROW.encode("gbk"))


def _utf8_stray(case: Path) -> None:
    _items_csv(case, (_ITEMS_HEAD + _ITEMS_ROW).encode("utf-8").replace("日常".encode(), "日\xff常".encode()[:3] + b"\xff"))


def _utf16(case: Path) -> None:
    _items_csv(case, (_ITEMS_HEAD + _ITEMS_ROW).encode("utf-16"))


def _unknown_csv(case: Path) -> None:
    _items_csv(case, b"a,b,c\n1,2,3\n", name="清单")


def _inspector(header: str, row: int, value: object, data_type: str | None = None) -> Callable[[Path], None]:
    return lambda case: set_cell(book(case, INSPECTORS), header, row, value, data_type)


def _unit(header: str, row: int, value: object, data_type: str | None = None) -> Callable[[Path], None]:
    return lambda case: set_cell(_units(case), header, row, value, data_type)


def _no_years(case: Path) -> None:
    path = book(case, INSPECTORS)
    set_cell(path, "执法工作年限", 2, None)
    set_cell(path, "执法工作起始日期", 2, None)


def _dup_cert(case: Path) -> None:
    path = book(case, INSPECTORS)
    set_cell(path, "执法证号", 3, cell(path, "执法证号", 2))


def _conflict(header: str, value: object) -> Callable[[Path], None]:
    return lambda case: set_cell(book(case, CONFLICTS), header, 2, value)


def _exclusion(header: str, value: object) -> Callable[[Path], None]:
    return lambda case: set_cell(book(case, EXCLUSIONS), header, 2, value)


def _dup_item(case: Path) -> None:
    edit_book(book(case, ITEMS), lambda ws: ws.append([c.value for c in ws[2]]))


def _rules(change: Callable[[dict], object], brigade: str = "文峰区") -> Callable[[Path], None]:
    return lambda case: edit_yaml(case / "rules" / f"{brigade}.yaml", change)


def _rules_text(text: str) -> Callable[[Path], None]:
    def edit(case: Path) -> None:
        (case / "rules" / "文峰区.yaml").write_text(text, encoding="utf-8")
    return edit


def _stratum(index: int, **values) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        d["strata"][index].update(values)
    return change


def _pop_stratum_key(index: int, key: str) -> Callable[[dict], None]:
    return lambda d: d["strata"][index].pop(key)


def _rename_key(old: str, new: str) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        d[new] = d.pop(old)
    return change


def _sources(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda case: edit_yaml(case / "sources.yaml", change)


def _source(index: int, **values) -> Callable[[dict], None]:
    return lambda d: d["sources"][index].update(values)


def _entropy(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda case: edit_yaml(case / "entropy.yaml", change)


def _values(**values) -> Callable[[dict], None]:
    return lambda d: d["values"].update(values)


def _ceremony(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda case: edit_yaml(case / "ceremony.yaml", change)


def _detachment_text(text: str) -> Callable[[Path], None]:
    def edit(case: Path) -> None:
        (case / "detachment.yaml").write_text(text, encoding="utf-8")
    return edit


def _zip_bomb_like(case: Path) -> None:
    """A valid zip that holds no workbook parts at all."""
    path = _units(case)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "不是工作簿")


def _empty_sheet(case: Path) -> None:
    path = _units(case)
    wb = Workbook()
    wb.active.title = UNITS
    wb.save(path)


CASES: tuple[Case, ...] = (
    # --- 检查对象名录库 (units workbook)
    Case("units-merged-header", "表头合并单元格 A1:B1", _merged_header),
    Case("units-merged-body", "数据区合并单元格 C5:D5", _merged_body),
    Case("units-formula", "建筑面积单元格是公式 =100*12", _formula),
    Case("units-text-equals", "单位名称以 = 开头的文本", _text_equals),
    Case("units-code-as-number", "18 位代码存成数字", _code_as_number),
    Case("units-title-rows", "表头上方插入两行空行", _title_row),
    Case("units-sheet-renamed", "工作表改名为 Sheet1", _rename_sheet),
    Case("units-two-inputs", "一个工作簿两张输入表", _two_sheets),
    Case("units-header-only", "只有表头，没有数据行", _header_only),
    Case("units-empty-sheet", "工作表为空", _empty_sheet),
    Case("units-missing-column", "缺少必填列「单位名称」", _drop_column),
    Case("units-duplicate-column", "「管辖单位」列出现两次", _dup_column),
    Case("units-code-letter-O", "代码含字母 O", _code_edit(lambda c: _swap(c, 10, "O"))),
    Case("units-code-letter-Z", "代码含字母 Z", _code_edit(lambda c: _swap(c, 12, "Z"))),
    Case("units-code-check-char", "校验位错误", _code_edit(lambda c: _swap(c, 17, "0" if c[17] != "0" else "1"))),
    Case("units-code-17", "代码只有 17 位", _code_edit(lambda c: c[:17])),
    Case("units-code-structure", "第 3–8 位不是数字", _code_edit(lambda c: _swap(c, 4, "A"))),
    Case("units-duplicate-code", "两行代码相同", _dup_code),
    Case("units-unknown-brigade", "管辖单位为郑州市", _unit("管辖单位", 3, "郑州市金水区消防救援大队")),
    Case("units-area-unit", "建筑面积 1200平方米", _unit("建筑面积（平方米）", 3, "1200平方米")),
    Case("units-area-negative", "建筑面积为负数", _unit("建筑面积（平方米）", 3, -5)),
    Case("units-enum-near-miss", "单位类别写成“重点单位”", _unit("单位类别", 3, "重点单位")),
    Case("units-yes-no", "人员密集场所填“可能”", _unit("人员密集场所", 3, "可能")),
    Case("units-name-empty", "单位名称为空", _unit("单位名称", 3, None)),
    Case("units-not-zip", "以 PK 开头但不是 zip", _not_zip),
    Case("units-zip-no-workbook", "zip 中没有工作簿", _zip_bomb_like),
    Case("units-xls", "旧版 .xls", _xls),
    Case("units-txt", "不支持的扩展名 .txt", _txt),
    Case("units-missing-file", "文件不存在", _missing_file),
    # --- CSV
    Case("items-csv-gbk-stray", "GBK CSV 中有无效字节 0xFF", _gbk_stray),
    Case("items-csv-utf8-stray", "UTF-8 CSV 中有一个坏字节", _utf8_stray),
    Case("items-csv-utf16", "UTF-16 CSV", _utf16),
    Case("items-csv-unknown", "CSV 文件名与表头都无法识别", _unknown_csv),
    Case("items-duplicate-code", "事项编码重复", _dup_item),
    # --- 执法检查人员名录库
    Case("inspectors-month-13", "执法证有效期至 2026/13/01", _inspector("执法证有效期至", 2, "2026/13/01")),
    Case("inspectors-feb-30", "执法证有效期至 2026-02-30", _inspector("执法证有效期至", 2, "2026-02-30")),
    Case("inspectors-years-fraction", "执法工作年限 6.5", _inspector("执法工作年限", 2, "6.5")),
    Case("inspectors-no-years", "年限与起始日期都空", _no_years),
    Case("inspectors-duplicate-cert", "执法证号重复", _dup_cert),
    Case("inspectors-unknown-unit", "单位为“市局”", _inspector("单位", 2, "市局")),
    Case("inspectors-unknown-item", "可执法事项 XF-999", _inspector("可执法事项", 2, "XF-999")),
    # --- 利害关系登记 / 不列入随机抽查名单
    Case("conflicts-unknown-cert", "登记的执法证号不在人员库", _conflict("执法证号", "99999999999")),
    Case("conflicts-end-before-start", "失效日期早于生效日期", _conflict("失效日期", "2020-01-01")),
    Case("exclusions-unknown-unit", "单位不在名录库", _exclusion(CODE, "91410502MA9XK3L71X")),
    # --- 细则 (rules YAML)
    Case("rules-ratio-1.5", "ratio: 1.5", _rules(_stratum(1, ratio=1.5))),
    Case("rules-negative-minimum", "minimum: -1", _rules(_stratum(1, minimum=-1))),
    Case("rules-misspelt-key", "strata 拼成 stratta", _rules(_rename_key("strata", "stratta"))),
    Case("rules-misspelt-nested", "ratio 拼成 ratoi", _rules(lambda d: d["strata"][1].update(ratoi=d["strata"][1].pop("ratio")))),
    Case("rules-unknown-mode", "mode: RANDOM", _rules(_stratum(0, mode="RANDOM"))),
    Case("rules-ratio-missing", "RATIO 层没有 ratio", _rules(_pop_stratum_key(1, "ratio"))),
    Case("rules-team-size-1", "检查组 1 人", _rules(lambda d: d["team"].update(size=1))),
    Case("rules-ratio-text", "ratio: 五成", _rules(_stratum(1, ratio="五成"))),
    Case("rules-duplicate-key", "同一键写两次", _rules_text("brigade: 文峰区\nyear: 2026\nyear: 2027\n")),
    Case("rules-yaml-syntax", "YAML 语法错误", _rules_text("brigade: 文峰区\nstrata: [\n")),
    Case("rules-not-mapping", "内容是列表", _rules_text("- 文峰区\n")),
    Case("rules-include-missing", "include 的文件不存在", _rules(lambda d: d.update(include="_nope.yaml"))),
    Case("rules-include-escape", "include 指向上级目录", _rules(lambda d: d.update(include="../sources.yaml"))),
    Case("rules-foreign-brigade", "大队不在支队名单", _rules(lambda d: d["team"].update(pool=["郑州市"]))),
    # --- 熵源声明 (sources)
    Case("sources-dice-high-11", "骰子 high: 11", _sources(_source(0, high=11))),
    Case("sources-unknown-kind", "kind: coin", _sources(_source(0, kind="coin"))),
    Case("sources-duplicate-id", "两个熵源同名", _sources(_source(1, id="dice-a"))),
    Case("sources-not-list", "sources 不是列表", _sources(lambda d: d.update(sources="dice"))),
    Case("sources-misspelt-key", "fallback 拼成 fallbak", _sources(lambda d: d["sources"][0].update(fallbak=d["sources"][0].pop("fallback")))),
    Case("sources-bad-id", "熵源 id 含中文", _sources(_source(0, id="骰子"))),
    # --- 熵值 (entropy, read at the draw)
    Case("entropy-dice-11", "骰子读数 11", _entropy(_values(**{"dice-a": "3 8 0 9 5 1 2 7 4 6 0 9 1 8 2 7 3 6 4 11"})), draw=True),
    Case("entropy-unannounced", "未声明的熵源 coin", _entropy(_values(coin="1 0 1")), draw=True),
    Case("entropy-too-few", "骰子只读了 19 个数", _entropy(_values(**{"dice-a": "3 8 0 9 5 1 2 7 4 6 0 9 1 8 2 7 3 6 4"})), draw=True),
    Case("entropy-other-ceremony", "熵值文件属于另一仪式", _entropy(lambda d: d.update(ceremony_id="AY-2025-01")), draw=True),
    Case("entropy-misspelt-key", "values 拼成 valeus", _entropy(_rename_key("values", "valeus")), draw=True),
    # --- 仪式参数 (ceremony) and 支队参数 (detachment)
    Case("ceremony-misspelt-key", "witnesses 拼成 witneses", _ceremony(_rename_key("witnesses", "witneses"))),
    Case("ceremony-bad-role", "见证人身份“路人”", _ceremony(lambda d: d["witnesses"][1].update(role="路人"))),
    Case("ceremony-id-path", "ceremony_id 含 ../", _ceremony(lambda d: d.update(ceremony_id="../../etc"))),
    Case("ceremony-missing-key", "缺少 sources", _ceremony(lambda d: d.pop("sources"))),
    Case("ceremony-rules-missing", "细则文件不存在", _ceremony(lambda d: d["rules"].update(文峰区="rules/无此文件.yaml"))),
    Case("ceremony-brigade-mismatch", "大队与细则文件不符", _ceremony(lambda d: d.update(rules={"北关区": d["rules"]["文峰区"], "殷都区": d["rules"]["殷都区"]}))),
    Case("detachment-not-yaml", "支队参数 YAML 语法错误", _detachment_text("brigades: [\n")),
)
