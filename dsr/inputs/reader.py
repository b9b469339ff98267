"""read_inputs: files ▶ one checked Directory, or InputError with every problem of every file."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import operator
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import ne, or_
from pathlib import Path
from xml.etree import ElementTree

from dsr.core import model
from dsr.errors import InputError, Problem
from dsr.inputs import schema
from dsr.inputs.build import build
from dsr.inputs.detachment import Detachment
from dsr.inputs.headers import Layout, fold, guess_kind, match, misplaced_header, score
from dsr.inputs.normalize import cell_text
from dsr.inputs.rows import Context, Located
from dsr.inputs.sources import (
    DAMAGED,
    RawTable,
    Unordered,
    open_workbook,
    read_csv,
    read_sheet,
    scan_sheet,
    sha256_file,
    sheet_names,
    sheet_part,
    should_stream,
    stream_table,
)

_TITLES = {fold(s.title): s for s in schema.SHEETS.values()}
_MAY_BE_EMPTY = (schema.CONFLICTS.kind, schema.EXCLUSIONS.kind)
_REF = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass(frozen=True)
class SourceFile:
    """One file read: its name, which input it holds, SHA-256 of its raw bytes, sheet, data rows."""

    name: str
    kind: str
    sha256: str
    sheet: str | None
    rows: int
    encoding: str | None = None  # CSV only: the encoding detected


@dataclass(frozen=True)
class OneInput:
    """What one file yielded: located values and every problem found in it."""

    kind: str | None
    values: tuple[Located, ...]
    source: SourceFile | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class CheckedInputs:
    """The normalised directory, the warnings that did not stop it, and the files it came from."""

    directory: model.Directory
    warnings: tuple[Problem, ...]
    sources: tuple[SourceFile, ...]
    tally: UnitTally | None = None  # check_inputs only: the units counted instead of kept (directory.units is empty)

    def summary(self) -> str:
        """A Chinese summary per input: files, rows, and counts per brigade and class."""
        return summarize(self)


class UnitTally:
    """What `dsr check` keeps of the units instead of the units: each key's first row, and the summary's counts.

    Duplicate keys are found as the rows arrive, in the order read_inputs finds them, with the same messages.
    """

    def __init__(self) -> None:
        self.first: dict[str, int] = {}  # key ▶ file number << 32 | row
        self.files: list[tuple[str, str | None]] = []
        self.duplicates: list[Problem] = []
        self.count = self.legacy = self.reg_only = 0
        self.brigades: Counter = Counter()
        self.classes: Counter = Counter()

    def add(self, units: list[model.Unit], file: str, sheet: str | None, rows: list[int]) -> None:
        """Count good unit rows (in row order); a key seen before is a duplicate, as in `_duplicates`."""
        if not units:
            return
        self.add_columns(list(map(_KEY, units)), list(map(_BRIGADE, units)), list(map(_CLASS, units)),
                         file, sheet, rows)
        self.legacy += sum(map(_LEGACY, units))
        self.reg_only += list(map(_CREDIT_CODE, units)).count(None)

    def add_columns(self, keys: list[str], brigades: list[str], classes: list[str], file: str, sheet: str | None,
                    rows: list[int]) -> None:
        """`add` for good units given as columns (key, brigade, class), none of them legacy or 注册号 only."""
        if not keys:
            return
        if not self.files or self.files[-1] != (file, sheet):
            self.files.append((file, sheet))
        base = (len(self.files) - 1) << 32
        ats = list(map(or_, repeat(base), rows))
        seen = list(map(self.first.setdefault, keys, ats))
        for i in compress(itertools.count(), map(ne, seen, ats)):  # rare: duplicates, in row order
            seen_file, seen_row = self.files[seen[i] >> 32][0], seen[i] & 0xFFFFFFFF
            where = f"第 {seen_row} 行" if seen_file == file else f"文件 {seen_file} 第 {seen_row} 行"
            self.duplicates.append(Problem(file, f"代码重复：与{where}相同", sheet, rows[i],
                                           schema.UNITS.columns[1].header, keys[i], "每条记录的代码唯一"))
        self.count += len(keys)
        self.brigades.update(brigades)
        self.classes.update(classes)

    def checkpoint(self) -> tuple:
        """The state to return to if the file being read turns out damaged or is read again."""
        return (len(self.first), len(self.files), len(self.duplicates), self.count, self.legacy, self.reg_only,
                self.brigades.copy(), self.classes.copy())

    def rollback(self, mark: tuple) -> None:
        """Forget every row counted since `checkpoint()` (keys first seen since then are the newest in `first`)."""
        keys, files, duplicates, self.count, self.legacy, self.reg_only, brigades, classes = mark
        while len(self.first) > keys:
            self.first.popitem()
        del self.files[files:], self.duplicates[duplicates:]
        self.brigades, self.classes = brigades, classes


# ---------------------------------------------------------------- one file


def read_one(path: Path | str, detachment: Detachment, on: dt.date, tally: UnitTally | None = None) -> OneInput:
    """Read and check one file; problems are returned, not raised.

    With a `tally`, good unit rows are counted into it and not returned (see check_inputs).
    """
    path = Path(path)
    if not path.is_file():
        return OneInput(None, (), None, (Problem(path.name, "文件不存在", expected="已有的 .xlsx 或 .csv 文件"),))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm", ".xls"):
        return OneInput(None, (), None, (Problem(path.name, f"不支持的文件类型「{path.suffix}」", expected=".xlsx 或 .csv"),))
    try:
        with _collector_paused():
            return _read_file(path, suffix == ".csv", detachment, on, tally)
    except DAMAGED as exc:  # a zip or deflate stream broken past the first look: the workbook is damaged
        problem = Problem(path.name, f"工作簿已损坏，无法读取（{type(exc).__name__}）", expected=".xlsx 工作簿")
        return OneInput(None, (), None, (problem,))


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector paused while a file is read (the previous state restored after).

    Reading builds hundreds of thousands of lists, tuples and Units, none of them in a reference cycle; each
    collection would walk every one of them kept so far, again and again. Memory is not affected: without
    cycles, reference counting frees everything the collector would.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                # What survived (the Directory: ~400,000 containers at 100,000 units) is old by now; once enabled,
                # the collector would walk all of it as young at the next allocation (0.1-0.2 s) and again a
                # generation later. Moved to the oldest generation in O(1) instead, it is walked when a full
                # collection comes due. (Not where something else froze objects: those stay frozen.)
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _read_file(path: Path, csv: bool, detachment: Detachment, on: dt.date, tally: UnitTally | None) -> OneInput:
    """read_one once the file type is known (exceptions of a damaged workbook propagate to read_one)."""
    mark = tally.checkpoint() if tally is not None else None
    try:
        try:
            try:
                return _read_file_once(path, csv, detachment, on, tally, windowed=True)
            except _NotAsCalamineSees:  # read as before: calamine's view of the workbook first
                if tally is not None:
                    tally.rollback(mark)
                return _read_file_once(path, csv, detachment, on, tally, windowed=True, early=False)
        except Unordered:  # a large sheet that cannot be read in windows after all: read it whole
            if tally is not None:
                tally.rollback(mark)
            return _read_file_once(path, csv, detachment, on, tally, windowed=False)
    except BaseException:
        if tally is not None:
            tally.rollback(mark)  # a damaged file counts no units
        raise


class _NotAsCalamineSees(Exception):
    """A sheet read early (`_early_stream`) is not the single input sheet calamine names, or calamine cannot open
    the workbook: read the file again, asking calamine first."""


def _read_file_once(path: Path, csv: bool, detachment: Detachment, on: dt.date, tally: UnitTally | None,
                    windowed: bool, early: bool = True) -> OneInput:
    if csv:
        table = read_csv(path)
        sheet = _csv_kind(path, table)
    else:
        table, sheet = _open_xlsx(path, windowed, early)
    try:
        if sheet is None or any(p.severity == "error" for p in table.problems) and not table.rows:
            return OneInput(sheet.kind if sheet else None, (), None, tuple(table.problems))
        one = _read_table(path, table, sheet, detachment, on, tally)
    except Exception:
        if isinstance(table.then, _Early):  # as calamine sees the workbook, this may not have been read at all
            table.close()
            table.then.check()
        raise
    finally:
        table.close()
    if isinstance(table.then, _Early):
        table.then.check()
    return one


def _open_xlsx(path: Path, windowed: bool = True, early: bool = True) -> tuple[RawTable, schema.Sheet | None]:
    if windowed and early and path.suffix.lower() != ".xls":
        found = _early_stream(path)
        if found is not None:
            name, table = found
            table.sha256 = sha256_file(path)
            return table, _TITLES[fold(name)]
    book, problems = open_workbook(path)
    names = list(book.sheet_names) if book is not None else []
    titled = [n for n in names if fold(n) in _TITLES]
    if book is None:
        return RawTable(path.name, None, "", None, [], problems=problems), None
    if len(titled) != 1:
        return RawTable(path.name, None, "", None, [], problems=[_sheet_problem(path, book, names, titled)]), None
    name = titled[0]
    part = sheet_part(path, name)
    if part and windowed and should_stream(path, part):
        table = stream_table(path, part, name)  # read in windows, formulas found on the way
    else:
        scan = scan_sheet(path, part) if part else None
        table = read_sheet(path, book, name, scan)
    table.sha256 = sha256_file(path)
    return table, _TITLES[fold(name)]


def _early_stream(path: Path) -> tuple[str, RawTable] | None:
    """A large input sheet's windowed read, started without waiting for calamine to open the workbook (which
    parses its whole shared-strings table first): the sheet is found through workbook.xml. calamine opens the
    workbook in the stream's reading thread once the last window is parsed; `_read_file_once` keeps the reading
    only if calamine opens it and names this sheet as its single input sheet (else `_NotAsCalamineSees`: read
    again as before). None if the sheet is small or anything is unusual."""
    try:
        titled = [n for n in sheet_names(path) if fold(n) in _TITLES]
        part = sheet_part(path, titled[0]) if len(titled) == 1 else None
        if not part or not should_stream(path, part):
            return None
    except (*DAMAGED, KeyError, ValueError, OSError, ElementTree.ParseError):
        return None
    early = _Early(path, titled[0])
    table = stream_table(path, part, titled[0], then=early)
    table.then = early
    return titled[0], table


class _Early:
    """calamine's opening of a workbook whose sheet was read early: asked in the stream's reading thread at the
    end, or here if the stream never got there."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name
        self.opened: tuple | None = None

    def __call__(self) -> None:
        self.opened = open_workbook(self.path)

    def check(self) -> None:
        """Raise _NotAsCalamineSees unless calamine opens the workbook and names the sheet as its only input
        (called once the stream is closed)."""
        book, _problems = self.opened if self.opened is not None else open_workbook(self.path)
        if book is None or [n for n in book.sheet_names if fold(n) in _TITLES] != [self.name]:
            raise _NotAsCalamineSees(self.name)


def _sheet_problem(path: Path, book, names: list[str], titled: list[str]) -> Problem:
    have = "、".join(names) or "（无）"
    if titled:
        return Problem(path.name, f"一个文件只能放一种输入，本文件有 {len(titled)} 张：{'、'.join(titled)}",
                       expected="每种输入各存一个文件")
    hint = ""
    if names:
        first = book.get_sheet_by_name(names[0])
        rows = list(itertools.islice(first.iter_rows(), 1)) if first.height else []
        guess = guess_kind(rows[0]) if rows else None
        hint = f"；工作表「{names[0]}」的表头像是「{guess.title}」，请把工作表改名为「{guess.title}」" if guess else ""
    return Problem(path.name, f"工作簿中没有可识别的工作表（现有工作表：{have}）{hint}",
                   expected="名为 " + "、".join(s.title for s in schema.SHEETS.values()) + " 之一的工作表")


def _csv_kind(path: Path, table: RawTable) -> schema.Sheet | None:
    by_name = _TITLES.get(fold(path.stem))
    if by_name or table.problems:
        return by_name
    first = table.rows[0] if table.rows else []
    guess = guess_kind(first)
    if guess is None:
        table.problems.append(Problem(path.name, "无法判断这是哪一种输入：文件名和第 1 行表头都对不上",
                                      row=1, expected="文件名或表头为 " + "、".join(s.title for s in schema.SHEETS.values())))
    return guess


def _read_table(path: Path, table: RawTable, sheet: schema.Sheet, detachment: Detachment, on: dt.date,
                tally: UnitTally | None = None) -> OneInput:
    where = {"file": path.name, "sheet": table.sheet}
    rows = iter(table.rows)
    head = list(itertools.islice(rows, 1))
    header = head[0] if head else []
    if not any(cell_text(c) for c in header):
        found = _no_header(sheet, header, rows, where)
        table.finish()
        return OneInput(sheet.kind, (), None, tuple(table.problems + found))
    if score(sheet, header) == 0:
        table.finish()
        return OneInput(sheet.kind, (), None, tuple(table.problems + [
            Problem(**where, row=1, message="第 1 行不是本表的表头",
                    expected="第 1 行为列名：" + "、".join(c.header for c in sheet.columns))]))
    layout, found = match(sheet, header, where)
    if any(p.severity == "error" for p in found):
        table.finish()
        return OneInput(sheet.kind, (), None, tuple(table.problems + found + _formula_problems(table, layout, where)))
    ctx = Context(path.name, table.sheet, detachment, on, formula_source=_FormulaFields(table, layout))
    sink = tally if tally is not None and sheet.kind == schema.UNITS.kind else None
    before = tally.count if sink else 0
    values = build(sheet.kind, rows, layout, ctx, sink)
    table.finish()  # a streamed sheet: the merged cells and every formula are known once it has been read
    count = tally.count - before if sink else len(values)
    problems = table.problems + found + _formula_problems(table, layout, where)
    problems += sorted(ctx.problems, key=lambda p: p.row or 0)  # cells are checked column-wise; report by row
    if not count and not ctx.errors and sheet.kind not in _MAY_BE_EMPTY:
        problems.append(Problem(**where, row=2, message="只有表头，没有数据行", expected="从第 2 行起每行一条记录"))
    source = SourceFile(path.name, sheet.kind, table.sha256, table.sheet, count, table.encoding)
    return OneInput(sheet.kind, tuple(values), source, tuple(problems))


class _FormulaFields:
    """(Excel row, field) of the formula cells found so far; a streamed sheet's list grows as it is read."""

    def __init__(self, table: RawTable, layout: Layout) -> None:
        self.table, self.layout, self.seen, self.fields = table, layout, -1, frozenset()

    def __call__(self) -> frozenset[tuple[int, str]]:
        refs = self.table.formulas
        if len(refs) != self.seen:
            self.seen, self.fields = len(refs), _formula_fields(list(refs), self.layout)
        return self.fields


def _no_header(sheet: schema.Sheet, header: list, rows: Iterable[list], where: dict) -> list[Problem]:
    """Row 1 is blank: either the sheet is empty or the header sits lower down."""
    peek = [header, *itertools.islice(rows, 20)]
    if not any(cell_text(c) for row in peek for c in row):
        return [Problem(**where, message="工作表为空", expected="第 1 行为列名，第 2 行起为数据")]
    lower = misplaced_header(sheet, peek)
    if lower:
        return [Problem(**where, row=lower, message=f"表头在第 {lower} 行，应在第 1 行",
                        expected="删除表头上方的行，使列名位于第 1 行")]
    return [Problem(**where, row=1, message="第 1 行为空，没有表头",
                    expected="第 1 行为列名：" + "、".join(c.header for c in sheet.columns))]


def _formula_problems(table: RawTable, layout: Layout, where: dict) -> list[Problem]:
    out = []
    for ref in table.formulas:
        m = _REF.match(ref)
        if not m:
            out.append(Problem(**where, message="含有公式", expected="复制后“选择性粘贴 → 数值”"))
            continue
        letters, row = m.groups()
        index = _column_index(letters)
        column = layout.header_of(index) or f"{letters} 列"
        out.append(Problem(**where, row=int(row), column=column, message=f"单元格 {ref} 是公式，需要的是数值",
                           expected="复制后“选择性粘贴 → 数值”"))
    return out


def _formula_fields(refs: list[str], layout: Layout) -> frozenset[tuple[int, str]]:
    fields = {index: name for name, (index, _) in layout.positions.items()}
    hits = (_REF.match(r) for r in refs)
    return frozenset((int(m.group(2)), fields[_column_index(m.group(1))]) for m in hits
                     if m and _column_index(m.group(1)) in fields)


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


# ---------------------------------------------------------------- all files


def read_inputs(paths: Sequence[Path | str], detachment: Detachment, on: dt.date) -> CheckedInputs:
    """Read, check and join all files; raise InputError with every problem if any is an error.

    In a process forked after `dsr.inputs.primed.prime` read these very bytes (a batch's record kernels),
    that reading is returned instead of reading them again: the same value (see dsr/inputs/primed.py).
    """
    from dsr.inputs.primed import recall

    primed = recall(paths, detachment, on)
    if primed is not None:
        return primed
    return _read_all(paths, detachment, on, None)


def check_inputs(paths: Sequence[Path | str], detachment: Detachment, on: dt.date) -> CheckedInputs:
    """read_inputs for `dsr check`: the same problems, warnings, sources and summary, but the units are not kept.

    `directory.units` is empty; `tally` holds what the cross-file checks and the summary need (each unit key
    and its first row, and the counts), so memory does not hold every unit of a very large directory.
    """
    return _read_all(paths, detachment, on, UnitTally())


def _read_all(paths: Sequence[Path | str], detachment: Detachment, on: dt.date,
              tally: UnitTally | None) -> CheckedInputs:
    with _collector_paused():  # one pause for every file and the join: the collector looks once, at the end
        results = [read_one(p, detachment, on, tally) for p in paths]
        return _join(results, tally)


def _join(results: list[OneInput], tally: UnitTally | None) -> CheckedInputs:
    problems = [p for r in results for p in r.problems]
    by_kind: dict[str, list[Located]] = {k: [] for k in schema.SHEETS}
    for r in results:
        if r.kind:
            by_kind[r.kind].extend(r.values)
    present = {r.kind for r in results if r.kind and r.source}
    problems += cross_check(by_kind, present, tally)
    if any(p.severity == "error" for p in problems):
        raise InputError(problems)
    directory = model.Directory(
        units=_sorted(by_kind["units"], _KEY),
        inspectors=_sorted(by_kind["inspectors"], lambda i: i.cert_no),
        items=_sorted(by_kind["items"], lambda i: i.code),
        conflicts=_sorted(by_kind["conflicts"], lambda c: (c.cert_no, c.unit_key, str(c.valid_from))),
        exclusions=_sorted(by_kind["exclusions"], lambda e: (e.unit_key, str(e.valid_from))),
    )
    return CheckedInputs(directory, tuple(problems), tuple(r.source for r in results if r.source), tally)


_KEY = operator.attrgetter("key")
_BRIGADE, _CLASS = operator.attrgetter("brigade"), operator.attrgetter("unit_class")
_LEGACY, _CREDIT_CODE = operator.attrgetter("legacy_code"), operator.attrgetter("credit_code")


def _sorted(located: list[Located], key) -> tuple:
    # Row order must never matter downstream.
    return tuple(sorted(map(_VALUE, located), key=key))


_VALUE = operator.itemgetter(0)  # Located.value


def cross_check(by_kind: dict[str, list[Located]], present: set[str], tally: UnitTally | None = None) -> list[Problem]:
    """Duplicate keys across all files of an input, and references between inputs of this run."""
    problems = _duplicates(by_kind["units"], _KEY, "代码重复")
    if tally is not None:
        problems += tally.duplicates
    problems += _duplicates(by_kind["inspectors"], lambda i: i.cert_no, "执法证号重复")
    problems += _duplicates(by_kind["items"], lambda i: i.code, "事项编码重复")
    units = tally.first if tally is not None else set(map(_KEY, map(_VALUE, by_kind["units"])))
    certs = {x.value.cert_no for x in by_kind["inspectors"]}
    codes = {x.value.code for x in by_kind["items"]}
    for x in by_kind["conflicts"]:
        if "inspectors" in present and x.value.cert_no not in certs:
            problems.append(_at(x, "执法证号", x.value.cert_no, "执法检查人员名录库中没有此执法证号"))
        if "units" in present and x.value.unit_key not in units:
            problems.append(_at(x, schema.CONFLICTS.columns[2].header, x.value.unit_key, "检查对象名录库中没有此单位"))
    for x in by_kind["exclusions"]:
        if "units" in present and x.value.unit_key not in units:
            problems.append(_at(x, schema.EXCLUSIONS.columns[0].header, x.value.unit_key, "检查对象名录库中没有此单位"))
    if "items" in present:
        for x in by_kind["inspectors"]:
            unknown = [c for c in x.value.items if c not in codes]
            if unknown:
                problems.append(_at(x, "可执法事项", "、".join(unknown), "随机抽查事项清单中没有这些事项编码",
                                    "、".join(sorted(codes))))
    return problems


def _at(x: Located, column: str, value: str, message: str, expected: str | None = None) -> Problem:
    return Problem(x.file, message, x.sheet, x.row, column, value, expected)


def _duplicates(located: list[Located], key, message: str) -> list[Problem]:
    keys = list(map(key, map(_VALUE, located)))
    if len(set(keys)) == len(keys):  # the usual case: no key twice
        return []
    first: dict[str, Located] = {}
    problems = []
    for x in located:
        k = key(x.value)
        seen = first.setdefault(k, x)
        if seen is x:
            continue
        where = f"第 {seen.row} 行" if seen.file == x.file else f"文件 {seen.file} 第 {seen.row} 行"
        column = _key_header(x)
        problems.append(Problem(x.file, f"{message}：与{where}相同", x.sheet, x.row, column, k, "每条记录的代码唯一"))
    return problems


def _key_header(x: Located) -> str:
    if isinstance(x.value, model.Unit):
        return schema.UNITS.columns[1].header
    if isinstance(x.value, model.Inspector):
        return "执法证号"
    return "事项编码"


# ---------------------------------------------------------------- summary


def summarize(checked: CheckedInputs) -> str:
    """The text `dsr check` prints on success."""
    d = checked.directory
    lines = [f"检查通过：{len(checked.sources)} 个文件，{len(checked.warnings)} 处警告"]
    for s in checked.sources:
        where = f"工作表「{s.sheet}」" if s.sheet else f"编码 {s.encoding}"
        lines.append(f"  {s.name}（{schema.SHEETS[s.kind].title}，{where}）：{s.rows} 行，sha256 {s.sha256[:16]}…")
    t = checked.tally
    if t is not None and t.count:
        lines.append(f"检查对象名录库：{t.count} 个单位")
        lines.append("  按管辖单位：" + _counts(t.brigades))
        lines.append("  按单位类别：" + _counts(t.classes))
        lines.append(f"  仅有注册号 {t.reg_only} 个，按历史代码接受 {t.legacy} 个")
    elif d.units:
        lines.append(f"检查对象名录库：{len(d.units)} 个单位")
        lines.append("  按管辖单位：" + _counts(Counter(u.brigade for u in d.units)))
        lines.append("  按单位类别：" + _counts(Counter(u.unit_class for u in d.units)))
        legacy = sum(u.legacy_code for u in d.units)
        reg_only = sum(u.credit_code is None for u in d.units)
        lines.append(f"  仅有注册号 {reg_only} 个，按历史代码接受 {legacy} 个")
    if d.inspectors:
        lines.append(f"执法检查人员名录库：{len(d.inspectors)} 人")
        lines.append("  按单位：" + _counts(i.brigade for i in d.inspectors))
        lines.append("  按状态：" + _counts(i.status for i in d.inspectors))
    if d.items:
        lines.append(f"随机抽查事项清单：{len(d.items)} 项；" + _counts(i.category for i in d.items))
    if d.conflicts or "conflicts" in {s.kind for s in checked.sources}:
        lines.append(f"利害关系登记：{len(d.conflicts)} 条")
    if d.exclusions or "exclusions" in {s.kind for s in checked.sources}:
        lines.append(f"不列入随机抽查名单：{len(d.exclusions)} 条")
    return "\n".join(lines)


def _counts(values: Iterable[str] | Counter) -> str:
    counts = values if isinstance(values, Counter) else Counter(values)
    return "、".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
